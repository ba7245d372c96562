"""A dependency that cannot be reached is waited out, in-process, without spending the
delivery limit; a message that fails on its own still ends in the dead-letter queue after
it. On the run's real RabbitMQ, with errors raised the way our adapters raise them."""

import asyncio

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shared.messaging import Consumer, Delivery
from shared.messaging.dead_letters import DeadLetters
from shared.unavailable import DependencyUnavailable, is_unavailable
from tests.integration.messaging.test_dead_letters import (
    _dead,
    key_of,
    publish,
    requested,
    running,
    wait_until,
)


class _Refused(Exception):
    """What asyncpg raises when a database is not accepting connections (SQLSTATE 55000)."""

    sqlstate = "55000"

    def __str__(self) -> str:
        return 'database "books" is not currently accepting connections'


def _database_refusing() -> DBAPIError:
    refused = _Refused()
    error = DBAPIError("SELECT 1", None, refused)
    error.__cause__ = refused
    return error


@pytest.mark.parametrize("error", [
    ConnectionRefusedError(111, "Connect call failed"),
    _database_refusing(),
    OperationalError("SELECT 1", None, ConnectionResetError()),
    DependencyUnavailable("accounting answered 503 for 120 s"),
], ids=["refused", "not-accepting-connections", "reset", "declared"])
def test_unreachable_dependencies_are_told_apart(error):
    assert is_unavailable(error)


@pytest.mark.parametrize("error", [
    ValueError("bad amount"),
    IntegrityError("INSERT", None, Exception("duplicate key")),
    FileNotFoundError("settings.toml"),
    RuntimeError("posting profile not configured"),
], ids=["value", "integrity", "file", "plain"])
def test_failures_of_the_message_itself_are_not(error):
    assert not is_unavailable(error)


def test_only_the_cause_chain_counts():
    try:
        try:
            raise ConnectionRefusedError()
        except ConnectionRefusedError:
            raise KeyError("company") from None
    except KeyError as error:
        assert not is_unavailable(error)
    wrapped = RuntimeError("handler failed")
    wrapped.__cause__ = ConnectionRefusedError()
    assert is_unavailable(wrapped)


async def test_an_outage_longer_than_the_delivery_limit_dead_letters_nothing(
        infra, topology, channel, consumer_name):
    """The dependency refuses more times than the delivery limit allows deliveries; the
    message is handled once it is back, never redelivered, and nothing is dead-lettered,
    while a message that fails on its own is dead-lettered after the limit as before."""
    refusals = topology.delivery_limit * 2 + 1
    calls: list[tuple[str, bool]] = []
    done: list[str] = []

    async def handler(deliveries: list[Delivery]) -> None:
        for delivery in deliveries:
            request_id = delivery.payload.request_id
            calls.append((request_id, delivery.redelivered))
            if request_id == "waits-for-database" and len(calls) <= refusals:
                raise _database_refusing()
            if request_id == "fails-on-its-own":
                raise ValueError("this request can never be handled")
            done.append(request_id)

    consumer = Consumer(infra.amqp_url, topology, consumer_name, [key_of(consumer_name)],
                        handler, retry_delay=0.01, max_unavailable_delay=0.05)
    letters = DeadLetters(infra.amqp_url, topology, consumer_name)
    async with running(consumer):
        await publish(channel, topology, requested("waits-for-database"),
                      routing_key=key_of(consumer_name))
        await wait_until(lambda: _done(done, "waits-for-database"))
        await publish(channel, topology, requested("fails-on-its-own"),
                      routing_key=key_of(consumer_name))
        await publish(channel, topology, requested("after"), routing_key=key_of(consumer_name))
        await wait_until(lambda: _dead(letters, 1))
        await wait_until(lambda: _done(done, "after"))

    waited = [redelivered for request_id, redelivered in calls
              if request_id == "waits-for-database"]
    assert len(waited) == refusals + 1  # tried in-process until the database was back
    assert not any(waited), "the message was requeued while the database was down"
    assert done.count("waits-for-database") == 1
    [letter], total = await letters.list(10)
    assert total == 1 and letter.error == "ValueError: this request can never be handled"
    failing = [r for r, _ in calls if r == "fails-on-its-own"]
    assert len(failing) == topology.delivery_limit + 1


async def test_a_pipelined_consumer_keeps_its_order_through_an_outage(
        infra, topology, channel, consumer_name):
    """Several batches in flight while the dependency is down: each waits, none is acked
    before it was handled, and every message is handled once."""
    down = True
    handled: list[str] = []

    async def handler(deliveries: list[Delivery]) -> None:
        if down:
            raise ConnectionRefusedError(111, "Connect call failed")
        handled.extend(d.payload.request_id for d in deliveries)

    consumer = Consumer(infra.amqp_url, topology, consumer_name, [key_of(consumer_name)],
                        handler, batch_size=2, max_in_flight=2, retry_delay=0.01,
                        max_unavailable_delay=0.05)
    letters = DeadLetters(infra.amqp_url, topology, consumer_name)
    ids = [f"doc-{i}" for i in range(8)]
    async with running(consumer):
        for request_id in ids:
            await publish(channel, topology, requested(request_id),
                          routing_key=key_of(consumer_name))
        await asyncio.sleep(1.0)  # many tries, each more than the delivery limit allows
        assert handled == []
        down = False
        await wait_until(lambda: _done_all(handled, ids))
    assert sorted(handled) == sorted(ids) and len(handled) == len(ids)
    assert await letters.list(10) == ([], 0)


async def test_stopping_while_waiting_leaves_the_message_in_its_queue(
        infra, topology, channel, consumer_name):
    """Stopping ends the wait at once, and the message is neither acked nor dead-lettered:
    the next consumer of the queue gets it."""
    handled: list[str] = []

    async def refusing(deliveries: list[Delivery]) -> None:
        raise ConnectionRefusedError(111, "Connect call failed")

    async def working(deliveries: list[Delivery]) -> None:
        handled.extend(d.payload.request_id for d in deliveries)

    first = Consumer(infra.amqp_url, topology, consumer_name, [key_of(consumer_name)],
                     refusing, retry_delay=5.0, max_unavailable_delay=60.0)
    task = asyncio.create_task(first.run())
    await asyncio.wait_for(first.ready.wait(), 10)
    await publish(channel, topology, requested("kept"), routing_key=key_of(consumer_name))
    await asyncio.sleep(0.5)  # handled once, now waiting 5 s before the next try
    await asyncio.wait_for(first.stop(), 3)
    await asyncio.gather(task, return_exceptions=True)

    second = Consumer(infra.amqp_url, topology, consumer_name, [key_of(consumer_name)],
                      working)
    async with running(second):
        await wait_until(lambda: _done(handled, "kept"))
    assert handled == ["kept"]
    assert await DeadLetters(infra.amqp_url, topology, consumer_name).list(10) == ([], 0)


async def _done(done: list[str], request_id: str) -> bool:
    return request_id in done


async def _done_all(done: list[str], ids: list[str]) -> bool:
    return set(ids) <= set(done)
