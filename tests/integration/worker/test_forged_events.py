"""Issue 11.4 on the real RabbitMQ: each service is its own broker user.

The broker refuses an event published with another service's credentials (permissions
and topic permissions) or with a ``user_id`` that is not the publisher's own; the worker
dead-letters, with the reason, an event whose publisher is not the owner of its type, even
when it reached its queue through a route the topic permissions allow, and posts nothing.
Replaying a dead letter keeps the verified publisher, so a forged one stays refused and a
genuine one goes through.
"""

import asyncio

import aio_pika
import pytest
from aiormq.exceptions import ChannelAccessRefused, ChannelPreconditionFailed

from integration_worker.config import CONSUMER_NAME
from shared.events import SettingsChanged
from shared.messaging import OutgoingMessage, Publisher
from shared.messaging.consumer import ERROR_HEADER, PUBLISHED_BY_HEADER
from shared.messaging.dead_letters import DeadLetters
from tests.integration.worker.conftest import invoice_synced, wait_until
from tests.integration.worker.test_worker_consumer import new_sync

SYNCED = "invoicing.invoice.synced.v1"


async def publish_raw(url: str, exchange: str, routing_key: str, body: bytes, *,
                      user_id: str | None = None, message_id: str = "forged") -> None:
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        target = (channel.default_exchange if exchange == ""
                  else await channel.get_exchange(exchange, ensure=True))
        await target.publish(aio_pika.Message(body, message_id=message_id, user_id=user_id,
                                              type=SYNCED), routing_key=routing_key)
    finally:
        await connection.close()


async def publish_genuine(infra, topology, event) -> None:
    publisher = Publisher(infra.service_url("invoicing"), topology)
    await publisher.connect()
    try:
        await publisher.publish([OutgoingMessage(event.id, event.type,
                                                 event.model_dump_json().encode())])
    finally:
        await publisher.close()


async def until(condition, seconds: float = 30.0):
    """Wait for an async condition; its last truthy value."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not (value := await condition()):
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)
    return value


async def letters_in(channel, topology) -> dict[str, aio_pika.IncomingMessage]:
    queue = await channel.get_queue(topology.dead_letter_queue_name(CONSUMER_NAME), ensure=True)
    found = {}
    while (message := await queue.get(fail=False)) is not None:
        found[message.message_id] = message
        await message.ack()
    return found


@pytest.mark.parametrize(("service", "routing_key", "stamp"), [
    ("integration-worker", SYNCED, None),  # the worker publishes nothing at all
    ("accounting", SYNCED, None),  # another service's routing key: topic permissions
    ("invoicing", SettingsChanged.event_type, None),
    ("invoicing", SYNCED, "accounting"),  # its own key, someone else's user_id
])
async def test_the_broker_refuses_an_event_published_with_another_services_credentials(
    infra, topology, channel, accounting, worker, service, routing_key, stamp
):
    forged_sync = new_sync()
    forged = invoice_synced(forged_sync, 1)
    with pytest.raises((ChannelAccessRefused, ChannelPreconditionFailed)) as refused:
        await publish_raw(infra.service_url(service), topology.exchange, routing_key,
                          forged.model_dump_json().encode(),
                          user_id=topology.user_name(stamp) if stamp else None)
    assert ("ACCESS_REFUSED" in str(refused.value) if stamp is None
            else "user_id property set to" in str(refused.value))

    # The worker goes on with genuine events, and nothing of the forged one was posted.
    genuine_sync = new_sync()
    await publish_genuine(infra, topology, invoice_synced(genuine_sync, 1))
    await wait_until(lambda: len(accounting.stored(genuine_sync)) == 1)
    assert accounting.stored(forged_sync) == {}


async def test_a_service_cannot_touch_another_services_queues_or_the_exchanges(infra, topology):
    connection = await aio_pika.connect(infra.service_url("integration-worker"))
    try:
        attempts = {
            "bind to an event type it does not consume": lambda ch: _bind(
                ch, topology, CONSUMER_NAME, "accounting.integration.approved.v1"),
            "declare another service's queue": lambda ch: ch.declare_queue(
                topology.queue_name("accounting"), durable=True,
                arguments={"x-queue-type": "quorum"}),
            "delete another service's queue": lambda ch: ch.queue_delete(
                topology.queue_name("accounting")),
            "delete the event exchange": lambda ch: ch.exchange_delete(topology.exchange),
            "read another service's queue": lambda ch: _get(ch, topology.queue_name("invoicing")),
        }
        for what, attempt in attempts.items():
            channel = await connection.channel()
            with pytest.raises(ChannelAccessRefused):
                await attempt(channel)
                pytest.fail(f"the worker's user could {what}")
    finally:
        await connection.close()


async def _bind(channel, topology, consumer: str, key: str) -> None:
    queue = await channel.declare_queue(topology.queue_name(consumer), passive=True)
    await queue.bind(topology.exchange, routing_key=key)


async def _get(channel, name: str) -> None:
    queue = await channel.declare_queue(name, passive=True)
    await queue.get(fail=False)


async def test_an_event_not_published_by_its_owner_is_dead_lettered_with_the_reason(
    infra, topology, channel, accounting, worker
):
    await letters_in(channel, topology)  # start from an empty dead-letter queue
    accounting_user = topology.user_name("accounting")
    forged_sync = new_sync()
    # Accounting may publish accounting.settings.changed.v1, which the worker consumes: an
    # invoice.synced inside it passes the topic permissions but not the owner check.
    under_its_key = invoice_synced(forged_sync, 1)
    publisher = Publisher(infra.service_url("accounting"), topology)
    await publisher.connect()
    try:
        await publisher.publish([OutgoingMessage(under_its_key.id, SettingsChanged.event_type,
                                                 under_its_key.model_dump_json().encode())])
    finally:
        await publisher.close()
    # Straight into the worker's queue through the default exchange (accounting may write
    # to it to replay its own dead letters), with and without a user_id.
    direct = invoice_synced(forged_sync, 2)
    await publish_raw(infra.service_url("accounting"), "", topology.queue_name(CONSUMER_NAME),
                      direct.model_dump_json().encode(), user_id=accounting_user,
                      message_id=direct.id)
    unsigned = invoice_synced(forged_sync, 3)
    await publish_raw(infra.service_url("accounting"), "", topology.queue_name(CONSUMER_NAME),
                      unsigned.model_dump_json().encode(), message_id=unsigned.id)

    genuine_sync = new_sync()
    await publish_genuine(infra, topology, invoice_synced(genuine_sync, 1))
    await wait_until(lambda: len(accounting.stored(genuine_sync)) == 1)

    forged_ids = {under_its_key.id, direct.id, unsigned.id}
    letters: dict[str, aio_pika.IncomingMessage] = {}

    async def all_dead() -> bool:
        letters.update(await letters_in(channel, topology))
        return forged_ids <= letters.keys()

    await until(all_dead)
    owner = topology.user_name("invoicing")
    for event_id in (under_its_key.id, direct.id):
        error = letters[event_id].headers[ERROR_HEADER]
        assert f"published only by broker user '{owner}'" in error
        assert f"published by '{accounting_user}'" in error
        assert letters[event_id].headers[PUBLISHED_BY_HEADER] == accounting_user
    assert "a connection that set no user_id" in letters[unsigned.id].headers[ERROR_HEADER]
    assert PUBLISHED_BY_HEADER not in letters[unsigned.id].headers
    assert accounting.stored(forged_sync) == {}


async def test_replayed_dead_letters_keep_their_verified_publisher(
    infra, topology, channel, accounting, worker
):
    await letters_in(channel, topology)
    letters = DeadLetters(infra.service_url("integration-worker"), topology, CONSUMER_NAME)
    # A genuine event that fails until accounting knows the company …
    unknown = "60805000-0"
    accounting.unknown_companies.add(unknown)
    genuine_sync = new_sync()
    genuine = invoice_synced(genuine_sync, 1, company_rut=unknown)
    await publish_genuine(infra, topology, genuine)
    # … and a forged one, put in the worker's dead-letter queue through the dead-letter
    # exchange by accounting's user, with a header claiming invoicing published it.
    forged_sync = new_sync()
    forged = invoice_synced(forged_sync, 1)
    connection = await aio_pika.connect(infra.service_url("accounting"))
    try:
        ch = await connection.channel(publisher_confirms=True)
        dlx = await ch.get_exchange(topology.dead_letter_exchange, ensure=True)
        await dlx.publish(aio_pika.Message(
            forged.model_dump_json().encode(), message_id=forged.id, type=SYNCED,
            user_id=topology.user_name("accounting"),
            headers={PUBLISHED_BY_HEADER: topology.user_name("invoicing")}),
            routing_key=topology.queue_name(CONSUMER_NAME))
    finally:
        await connection.close()

    async def both_dead() -> bool:
        ids = {d.message_id for d in (await letters.list(10))[0]}
        return {genuine.id, forged.id} <= ids

    await until(both_dead)

    accounting.unknown_companies.discard(unknown)
    assert await letters.replay(genuine.id)
    assert await letters.replay(forged.id)
    await wait_until(lambda: len(accounting.stored(genuine_sync)) == 1)

    async def forged_back() -> str | None:
        for letter in (await letters.list(10))[0]:
            if letter.message_id == forged.id:
                return letter.error
        return None

    error = await until(forged_back)
    assert f"published by '{topology.user_name('accounting')}'" in error
    assert accounting.stored(forged_sync) == {}
    assert accounting.stored(genuine_sync)[f"sales:{unknown}:33:1"].event_id == genuine.id
