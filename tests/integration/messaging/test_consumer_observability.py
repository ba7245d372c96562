"""On real RabbitMQ: the consumer counts what it consumed and dead-lettered, per consumer
and type, handles each delivery under its event's correlation id, and the publisher
counts what the broker confirmed."""

import uuid

from prometheus_client import REGISTRY

from shared.events import CloudEvent, IntegrationRequested
from shared.messaging import Consumer, Delivery, Publisher
from shared.messaging.publisher import OutgoingMessage
from shared.observability.correlation import current_correlation_id
from tests.integration.messaging.test_dead_letters import requested, running, wait_until


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_consumed_and_dead_lettered_events_are_counted_under_their_correlation_id(
    infra, topology, consumer_name
):
    key = f"test.{consumer_name}"
    key_type = IntegrationRequested.event_type
    seen: list[tuple[str, str | None, str | None]] = []

    async def handler(deliveries: list[Delivery]) -> None:
        for d in deliveries:
            if d.payload.request_id == "fails":
                raise RuntimeError("no posting profile")
            follow_up = CloudEvent.wrap(IntegrationRequested(
                request_id="follow-up", company_rut="12.345.678-5", company_name="F",
                contract_rut="76.354.771-K"))
            seen.append((d.payload.request_id, current_correlation_id(),
                         follow_up.correlationid))

    consumer = Consumer(infra.amqp_url, topology, consumer_name, [key], handler,
                        retry_delay=0.02)
    publisher = Publisher(infra.amqp_url, topology, user_id=infra.owner_user(key_type))
    good = requested("good")
    good.correlationid = "sync-abc"
    failing = requested("fails")
    failing.correlationid = "sync-def"
    consumed = value("dte_events_consumed_total", consumer=consumer_name, type=good.type)
    dead = value("dte_events_dead_lettered_total", consumer=consumer_name, type=key)
    published = value("dte_events_published_total", type=key)
    async with running(consumer):
        await publisher.connect()
        try:
            await publisher.publish([
                OutgoingMessage(good.id, key, good.model_dump_json().encode(), "sync-abc"),
                OutgoingMessage(str(uuid.uuid4()), key, b"not json", "sync-xyz"),
                OutgoingMessage(failing.id, key, failing.model_dump_json().encode(),
                                "sync-def"),
            ])
        finally:
            await publisher.close()

        async def settled() -> bool:
            return value("dte_events_dead_lettered_total", consumer=consumer_name,
                         type=key) == dead + 2

        await wait_until(settled)
    assert value("dte_events_published_total", type=key) == published + 3
    # The poison message and the one failing past the delivery limit.
    assert value("dte_events_dead_lettered_total", consumer=consumer_name, type=key) == dead + 2
    assert value("dte_events_consumed_total", consumer=consumer_name, type=good.type) == (
        consumed + 1)
    # The handler ran under the event's correlation id; events it made carry it.
    assert seen == [("good", "sync-abc", "sync-abc")]
    assert current_correlation_id() is None
