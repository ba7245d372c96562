"""The outbox relay and an idempotent consumer, on real PostgreSQL and RabbitMQ."""

import asyncio
import contextlib
import time

import aio_pika
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from shared.db import create_engine, session_factory
from shared.events import CloudEvent, IntegrationRequested
from shared.inbox import claim, processed_messages_table
from shared.messaging import Consumer, Delivery, OutgoingMessage, Publisher
from shared.outbox import OutboxRelay, add_events, outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
processed = processed_messages_table(metadata)
applied = Table("applied", metadata, Column("id", Integer, primary_key=True),
                Column("request_id", String(64), nullable=False))

REQUESTED = IntegrationRequested.event_type


def requested(n: int) -> CloudEvent:
    return CloudEvent.wrap(IntegrationRequested(
        request_id=f"r{n}", company_rut="12.345.678-5", company_name="Ferretería",
        contract_rut="76.354.771-K"))


@pytest.fixture(scope="module")
async def engine(infra):
    engine = create_engine(await infra.create_database("messaging"))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def publisher(infra, topology):
    publisher = Publisher(infra.service_url("invoicing"), topology)  # REQUESTED's owner
    await publisher.connect()
    yield publisher
    await publisher.close()


@contextlib.asynccontextmanager
async def running(*coroutines):
    tasks = [asyncio.create_task(c) for c in coroutines]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def wait_until(predicate, within=15.0):
    deadline = asyncio.get_running_loop().time() + within
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_relay_publishes_committed_events_once_and_consumer_applies_each_once(
    infra, topology, engine, publisher
):
    sessions = session_factory(engine)

    async def handler(deliveries: list[Delivery]) -> None:
        async with sessions.begin() as session:
            for d in deliveries:
                if await claim(session, processed, d.event.id, d.event.type):
                    await session.execute(insert(applied).values(request_id=d.payload.request_id))

    consumer = Consumer(infra.amqp_url, topology, "probe", [REQUESTED], handler, batch_size=50)
    relay = OutboxRelay(engine, outbox, publisher, batch_size=7)
    events = [requested(n) for n in range(20)]
    async with sessions.begin() as session:
        await add_events(session, outbox, events)

    async def applied_count():
        async with engine.connect() as conn:
            return (await conn.execute(select(func.count()).select_from(applied))).scalar_one()

    async with running(consumer.run()):
        await asyncio.wait_for(consumer.ready.wait(), 10)
        relay_task = asyncio.create_task(relay.run())
        await wait_until(lambda: _eq(applied_count, 20))
        # The same events again (a relay that crashed between confirm and mark would do
        # this): the consumer must not apply them twice.
        await publisher.publish([
            OutgoingMessage(e.id, e.type, e.model_dump_json().encode()) for e in events[:5]
        ])
        await asyncio.sleep(1.0)
        assert await applied_count() == 20
        relay_task.cancel()

    assert await relay.backlog() == 0
    async with engine.connect() as conn:
        ids = (await conn.execute(select(applied.c.request_id))).scalars().all()
    assert sorted(ids) == sorted(f"r{n}" for n in range(20))


async def _eq(fn, expected):
    return await fn() == expected


async def test_poison_message_is_dead_lettered_and_the_stream_keeps_flowing(
    infra, topology, publisher
):
    seen: list[str] = []

    async def handler(deliveries: list[Delivery]) -> None:
        # All or nothing, as a handler that commits one transaction per batch.
        ids = [d.payload.request_id for d in deliveries]
        if "always-fails" in ids:
            raise RuntimeError("this one never succeeds")
        seen.extend(ids)

    name = "probe-poison"
    consumer = Consumer(infra.amqp_url, topology, name, [REQUESTED], handler,
                        batch_size=10, retry_delay=0.05)
    connection = await aio_pika.connect(infra.amqp_url)
    try:
        channel = await connection.channel()
        async with running(consumer.run()):
            await asyncio.wait_for(consumer.ready.wait(), 10)
            exchange = await channel.get_exchange(topology.exchange)
            bad_json = aio_pika.Message(b"{not json", message_id="bad-json")
            await exchange.publish(bad_json, routing_key=REQUESTED)
            failing = requested(0).model_copy(update={"data": {
                **requested(0).data, "request_id": "always-fails"}})
            for event in (requested(1), failing, requested(2)):
                await exchange.publish(aio_pika.Message(
                    event.model_dump_json().encode(), message_id=event.id,
                    user_id=infra.owner_user(REQUESTED)), routing_key=REQUESTED)

            dlq = await channel.declare_queue(topology.dead_letter_queue_name(name),
                                              passive=True)

            await wait_until(lambda: _dlq_count_at_least(channel, dlq.name, 2), within=30)
        assert sorted(seen) == ["r1", "r2"]
        ids = []
        while (message := await dlq.get(no_ack=True, fail=False)) is not None:
            ids.append(message.message_id)
        assert "bad-json" in ids and failing.id in ids
    finally:
        await channel.queue_delete(topology.queue_name(name))
        await channel.queue_delete(topology.dead_letter_queue_name(name))
        await connection.close()


async def _refresh(channel, name):
    return (await channel.declare_queue(name, passive=True)).declaration_result.message_count


async def _dlq_count_at_least(channel, name, n):
    return await _refresh(channel, name) >= n


async def test_relay_batches_stop_at_their_byte_budget_and_keep_the_order(engine, publisher):
    """Large rows (pages of a sync) go out a few at a time, so a batch's transaction stays
    short; a row larger than the budget still goes out, alone."""
    sessions = session_factory(engine)
    async with engine.begin() as conn:
        await conn.execute(outbox.update().where(outbox.c.published_at.is_(None))
                           .values(published_at=func.now()))  # earlier tests' leftovers
    events = [requested(n) for n in range(100, 110)]
    size = max(len(e.model_dump_json()) for e in events)
    async with sessions.begin() as session:
        await add_events(session, outbox, events)
    relay = OutboxRelay(engine, outbox, publisher, batch_bytes=3 * size)
    assert [await relay.publish_pending() for _ in range(5)] == [3, 3, 3, 1, 0]

    async with sessions.begin() as session:
        await add_events(session, outbox, [requested(200)])
    tiny = OutboxRelay(engine, outbox, publisher, batch_bytes=1)
    assert await tiny.publish_pending() == 1
    assert await relay.backlog() == 0
    async with engine.connect() as conn:
        published = (await conn.execute(
            select(outbox.c.event_id).where(outbox.c.event_id.in_([e.id for e in events]))
            .order_by(outbox.c.published_at, outbox.c.id))).scalars().all()
    assert published == [e.id for e in events]


async def test_a_batch_is_published_in_a_few_turns_of_a_busy_event_loop(publisher):
    """The relay shares its event loop with the API. Publishing cost a turn of that loop
    per message (aiormq's hand-over to its writer), so under steady load the relay fell
    behind and live documents waited seconds to leave invoicing."""
    turns = 0
    stop = asyncio.Event()

    async def ticking() -> None:  # once per turn of the loop
        nonlocal turns
        while not stop.is_set():
            turns += 1
            await asyncio.sleep(0)

    async def serving() -> None:  # a request's work between two awaits, ~2 ms
        while not stop.is_set():
            time.sleep(0.002)  # noqa: ASYNC251 - blocking the loop is the point
            await asyncio.sleep(0)

    batch = [OutgoingMessage(f"turns-{n}", "invoicing.test.unrouted", b"{}") for n in range(300)]
    async with running(ticking(), *(serving() for _ in range(5))):
        await asyncio.sleep(0.05)
        before = turns
        await publisher.publish(batch)
        taken = turns - before
        stop.set()
    # Confirms still arrive a few per turn (aiormq's channel takes frames ten at a time).
    assert taken < len(batch) / 2, f"{len(batch)} messages took {taken} turns of the loop"


class _Recording:
    """A publisher of our own: records what it is handed, fails or waits when told to."""

    def __init__(self, *, fail: bool = False, hold: asyncio.Event | None = None):
        self.published: list[str] = []
        self.fail, self.hold = fail, hold
        self.holding = asyncio.Event()

    async def publish(self, messages: list[OutgoingMessage]) -> None:
        if self.hold is not None:
            self.holding.set()
            await self.hold.wait()
        if self.fail:
            raise ConnectionError("the broker did not confirm")
        self.published.extend(m.message_id for m in messages)


async def _fresh_outbox(engine, events) -> None:
    async with engine.begin() as conn:
        await conn.execute(outbox.update().where(outbox.c.published_at.is_(None))
                           .values(published_at=func.now()))  # earlier tests' leftovers
        await add_events(conn, outbox, events)


async def test_a_batch_whose_publish_fails_stays_unpublished_for_the_next(engine):
    """The rows are marked in the statement that claims them, so the mark must go with a
    failed publish: the next batch publishes the same rows, in order."""
    events = [requested(n) for n in range(300, 305)]
    await _fresh_outbox(engine, events)
    with pytest.raises(ConnectionError):
        await OutboxRelay(engine, outbox, _Recording(fail=True)).publish_pending()
    relay = OutboxRelay(engine, outbox, publisher := _Recording())
    assert await relay.backlog() == 5
    assert await relay.publish_pending() == 5
    assert publisher.published == [e.id for e in events]
    assert await relay.backlog() == 0


async def test_two_relays_at_once_take_different_rows(engine):
    """Several replicas run a relay each: a batch skips the rows another batch holds."""
    events = [requested(n) for n in range(400, 406)]
    await _fresh_outbox(engine, events)
    first = _Recording(hold=asyncio.Event())
    holding = asyncio.create_task(
        OutboxRelay(engine, outbox, first, batch_size=3).publish_pending())
    await asyncio.wait_for(first.holding.wait(), 10)  # its three rows claimed, unconfirmed
    second = _Recording()
    # Blocking on the held rows instead of skipping them would time out here.
    assert await asyncio.wait_for(
        OutboxRelay(engine, outbox, second, batch_size=10).publish_pending(), 10) == 3
    first.hold.set()
    assert await holding == 3
    assert first.published == [e.id for e in events[:3]]
    assert second.published == [e.id for e in events[3:]]


async def test_events_committed_one_at_a_time_go_out_together_once_the_relay_is_busy(engine):
    """A live document is a commit of its own: woken again soon after a batch, the relay
    gathers what came meanwhile into one batch instead of a batch per event."""
    await _fresh_outbox(engine, [])
    batches: list[list[str]] = []

    class Batches(_Recording):
        async def publish(self, messages: list[OutgoingMessage]) -> None:
            batches.append([m.message_id for m in messages])

    relay = OutboxRelay(engine, outbox, Batches(), coalesce=6.0)
    events = [requested(n) for n in range(500, 505)]
    async with running(relay.run()):
        async with engine.begin() as conn:
            await add_events(conn, outbox, events[:1])
        relay.wake()  # nothing sent for a while: published at once
        await wait_until(lambda: _eq(relay.backlog, 0), within=3)
        for event in events[1:]:
            async with engine.begin() as conn:
                await add_events(conn, outbox, [event])
            relay.wake()
        assert await relay.backlog() == 4  # held back: its last batch began just now
        await wait_until(lambda: _eq(relay.backlog, 0))
    assert batches == [[events[0].id], [e.id for e in events[1:]]]


async def test_a_published_event_carries_what_consumers_read_of_it(
        infra, topology, publisher, channel, consumer_name):
    """Its id, type and correlation id, the verified publisher, the content type, and
    persistence (it survives a broker restart)."""
    queue = await topology.declare_queue(channel, consumer_name, [REQUESTED])
    event = requested(600)
    await publisher.publish([OutgoingMessage(event.id, REQUESTED,
                                             event.model_dump_json().encode(), "corr-600")])
    message = None
    for _ in range(100):
        if (message := await queue.get(no_ack=True, fail=False)) is not None:
            break
        await asyncio.sleep(0.05)
    assert message is not None
    assert (message.message_id, message.type, message.correlation_id, message.user_id,
            message.content_type, message.delivery_mode) == (
        event.id, REQUESTED, "corr-600", infra.owner_user(REQUESTED),
        "application/cloudevents+json", aio_pika.DeliveryMode.PERSISTENT)
    assert message.body == event.model_dump_json().encode()
