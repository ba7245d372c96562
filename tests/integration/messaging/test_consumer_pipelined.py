"""On real RabbitMQ: a consumer with two batches in flight handles the second while the
first waits, but never acks the second before the first is settled."""

import asyncio

import aio_pika
import pytest

from shared.messaging import Consumer, Delivery
from tests.integration.messaging.test_dead_letters import owner, requested, running


async def publish(infra, topology, key: str, ids: list[str]) -> None:
    connection = await aio_pika.connect(infra.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await topology.declare_exchange(channel)
        for request_id in ids:
            event = requested(request_id)
            await exchange.publish(aio_pika.Message(event.model_dump_json().encode(),
                                                    message_id=event.id,
                                                    user_id=owner(topology)), routing_key=key)
    finally:
        await connection.close()


async def test_a_later_batch_is_handled_meanwhile_but_acked_only_after_the_earlier(
    infra, topology, consumer_name
):
    key = f"test.{consumer_name}"
    release_first = asyncio.Event()
    second_handled = asyncio.Event()
    handled: list[list[str]] = []

    async def handler(deliveries: list[Delivery]) -> None:
        ids = [d.payload.request_id for d in deliveries]
        handled.append(ids)
        if "a1" in ids:
            await release_first.wait()  # the first batch waits (on accounting, say)
        else:
            second_handled.set()

    def consumer(handle) -> Consumer:
        return Consumer(infra.amqp_url, topology, consumer_name, [key], handle,
                        batch_size=2, batch_wait=0.5, max_in_flight=2)

    first = consumer(handler)
    async with running(first):
        await publish(infra, topology, key, ["a1", "a2", "b1", "b2"])
        await asyncio.wait_for(second_handled.wait(), 10)
        # The second batch was handled while the first is still in hand; the consumer
        # dies now: nothing may have been acked, so every message comes back.
    assert handled == [["a1", "a2"], ["b1", "b2"]]
    assert not release_first.is_set()

    redelivered: list[str] = []

    async def collect(deliveries: list[Delivery]) -> None:
        redelivered.extend(d.payload.request_id for d in deliveries)

    second = consumer(collect)
    async with running(second):
        for _ in range(200):
            if len(redelivered) >= 4:
                break
            await asyncio.sleep(0.05)
        await second.stop()
    assert sorted(redelivered) == ["a1", "a2", "b1", "b2"]


async def test_batches_in_flight_are_all_acked_and_stop_waits_for_them(
    infra, topology, consumer_name
):
    key = f"test.{consumer_name}"
    seen: list[str] = []

    async def handler(deliveries: list[Delivery]) -> None:
        await asyncio.sleep(0.01)
        seen.extend(d.payload.request_id for d in deliveries)

    consumer = Consumer(infra.amqp_url, topology, consumer_name, [key], handler,
                        batch_size=5, batch_wait=0.05, max_in_flight=2)
    ids = [f"r{n}" for n in range(40)]
    async with running(consumer):
        await publish(infra, topology, key, ids)
        for _ in range(200):
            if len(seen) >= 40:
                break
            await asyncio.sleep(0.05)
        await consumer.stop()
    assert sorted(seen) == sorted(ids)

    again: list[str] = []

    async def collect(deliveries: list[Delivery]) -> None:
        again.extend(d.payload.request_id for d in deliveries)

    async with running(Consumer(infra.amqp_url, topology, consumer_name, [key], collect)):
        await asyncio.sleep(1.0)
    assert again == []  # every message was acked


async def test_a_failing_handler_task_ends_run_with_its_error(infra, topology, consumer_name):
    key = f"test.{consumer_name}"

    class Crash(BaseException):
        """Not an Exception: the consumer does not retry it."""

    async def handler(deliveries: list[Delivery]) -> None:
        raise Crash

    consumer = Consumer(infra.amqp_url, topology, consumer_name, [key], handler,
                        max_in_flight=2)
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(consumer.ready.wait(), 10)
    await publish(infra, topology, key, ["x"])
    with pytest.raises(Crash):
        await asyncio.wait_for(task, 10)
