"""Dead letters are visible with their reason and can be replayed, on real RabbitMQ."""

import asyncio
import contextlib
import uuid

import aio_pika
import httpx
from fastapi import FastAPI

from shared.events import CloudEvent, IntegrationRequested
from shared.http.dead_letters import dead_letters_router
from shared.http.problems import install_problem_handlers
from shared.messaging import Consumer, Delivery
from shared.messaging.access import owner_of
from shared.messaging.dead_letters import DeadLetters

REQUESTED = IntegrationRequested.event_type


def requested(request_id: str) -> CloudEvent:
    return CloudEvent.wrap(IntegrationRequested(
        request_id=request_id, company_rut="12.345.678-5", company_name="Ferretería",
        contract_rut="76.354.771-K"))


@contextlib.asynccontextmanager
async def running(consumer: Consumer):
    task = asyncio.create_task(consumer.run())
    try:
        await asyncio.wait_for(consumer.ready.wait(), 10)
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def wait_until(predicate, within=20.0):
    deadline = asyncio.get_running_loop().time() + within
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def key_of(consumer_name: str) -> str:
    return f"test.{consumer_name}"


async def publish(channel, topology, event: CloudEvent | None = None, *, body: bytes | None = None,
                  message_id: str | None = None, routing_key: str) -> None:
    """As the owner of REQUESTED would: the operator stamps its user_id."""
    exchange = await channel.get_exchange(topology.exchange)
    payload = body if body is not None else event.model_dump_json().encode()
    await exchange.publish(aio_pika.Message(payload, message_id=message_id or event.id,
                                            type=REQUESTED, user_id=owner(topology)),
                           routing_key=routing_key)


def owner(topology) -> str:
    return topology.user_name(owner_of(REQUESTED))


async def test_poison_and_failing_messages_are_listed_with_their_reason_and_replayed_once(
    infra, topology, channel, consumer_name
):
    fixed = False
    processed: list[str] = []

    async def handler(deliveries: list[Delivery]) -> None:
        ids = [d.payload.request_id for d in deliveries]
        if "fails-until-fixed" in ids and not fixed:
            raise RuntimeError("posting profile not configured for 12345678-5")
        processed.extend(ids)

    consumer = Consumer(infra.amqp_url, topology, consumer_name, [key_of(consumer_name)], handler,
                        batch_size=10, retry_delay=0.02)
    letters = DeadLetters(infra.amqp_url, topology, consumer_name)
    failing = requested("fails-until-fixed")
    breaks_contract = requested("x").model_copy(update={"data": {"request_id": "no-ruts"}})

    async with running(consumer):
        await publish(channel, topology, requested("before"),
                      routing_key=key_of(consumer_name))
        await publish(channel, topology, body=b"{not json", message_id="bad-json",
                      routing_key=key_of(consumer_name))
        await publish(channel, topology, breaks_contract,
                      routing_key=key_of(consumer_name))
        await publish(channel, topology, failing,
                      routing_key=key_of(consumer_name))
        await publish(channel, topology, requested("after"),
                      routing_key=key_of(consumer_name))

        async def three_dead() -> bool:
            return (await letters.list(10))[1] >= 3

        await wait_until(three_dead)
        # The rest of the stream kept flowing.
        await wait_until(lambda: _has(processed, {"before", "after"}))

        found, total = await letters.list(10)
        assert total == 3
        by_id = {d.message_id: d for d in found}
        assert set(by_id) == {"bad-json", breaks_contract.id, failing.id}
        assert "Invalid JSON" in by_id["bad-json"].error or "json" in by_id["bad-json"].error
        assert by_id["bad-json"].body == "{not json"
        assert "company_rut" in by_id[breaks_contract.id].error
        assert by_id[breaks_contract.id].event_type == REQUESTED
        assert "RuntimeError: posting profile not configured" in by_id[failing.id].error
        assert by_id[failing.id].consumer == consumer_name
        assert by_id[failing.id].original_routing_key == key_of(consumer_name)
        assert by_id[failing.id].dead_lettered_at is not None
        assert by_id[failing.id].body["data"]["request_id"] == "fails-until-fixed"

        # Listing again shows the same, in the same order: nothing was taken away.
        again, _ = await letters.list(10)
        assert [d.message_id for d in again] == [d.message_id for d in found]

        fixed = True
        assert await letters.replay(failing.id)
        assert not await letters.replay(failing.id)  # gone from the queue
        await wait_until(lambda: _has(processed, {"fails-until-fixed"}))
        await asyncio.sleep(0.5)
        assert processed.count("fails-until-fixed") == 1

        remaining, total = await letters.list(10)
        assert total == 2
        assert {d.message_id for d in remaining} == {"bad-json", breaks_contract.id}


async def test_a_handler_failing_on_every_delivery_is_dead_lettered_after_the_limit(
    infra, topology, channel, consumer_name
):
    attempts: list[int] = []

    async def handler(deliveries: list[Delivery]) -> None:
        attempts.append(len(deliveries))
        raise ValueError("always fails")

    consumer = Consumer(infra.amqp_url, topology, consumer_name, [key_of(consumer_name)], handler,
                        retry_delay=0.01)
    letters = DeadLetters(infra.amqp_url, topology, consumer_name)
    event = requested("doomed")
    async with running(consumer):
        await publish(channel, topology, event,
                      routing_key=key_of(consumer_name))
        await wait_until(lambda: _dead(letters, 1))
        await asyncio.sleep(0.3)
    # The first delivery and one per allowed redelivery, and no more.
    assert len(attempts) == topology.delivery_limit + 1
    [letter], _ = await letters.list(10)
    assert letter.message_id == event.id
    assert letter.error == "ValueError: always fails"


async def test_the_http_api_lists_and_replays(infra, topology, channel, consumer_name):
    processed: list[str] = []
    fixed = False

    async def handler(deliveries: list[Delivery]) -> None:
        if not fixed:
            raise RuntimeError("accounting said 503")
        processed.extend(d.payload.request_id for d in deliveries)

    consumer = Consumer(infra.amqp_url, topology, consumer_name, [key_of(consumer_name)], handler,
                        retry_delay=0.01)
    letters = DeadLetters(infra.amqp_url, topology, consumer_name)
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(dead_letters_router(letters))
    event = requested("via-http")
    async with running(consumer), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        await publish(channel, topology, event,
                      routing_key=key_of(consumer_name))
        await wait_until(lambda: _dead(letters, 1))

        listed = await client.get("/v1/dead-letters")
        assert listed.status_code == 200, listed.text
        page = listed.json()
        assert page["total"] == 1
        [item] = page["items"]
        assert item["message_id"] == event.id
        assert item["event_type"] == REQUESTED
        assert item["error"] == "RuntimeError: accounting said 503"
        assert item["consumer"] == consumer_name
        assert item["dead_lettered_at"]
        assert item["body"]["data"]["request_id"] == "via-http"

        missing = await client.post("/v1/dead-letters/nope/replay")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"

        fixed = True
        replayed = await client.post(f"/v1/dead-letters/{event.id}/replay")
        assert replayed.status_code == 202, replayed.text
        await wait_until(lambda: _has(processed, {"via-http"}))
        assert (await client.get("/v1/dead-letters")).json() == {
            "items": [], "total": 0, "queue": topology.dead_letter_queue_name(consumer_name)}


async def test_a_consumer_that_never_ran_has_no_dead_letters(infra, topology):
    letters = DeadLetters(infra.amqp_url, topology, f"never-{uuid.uuid4().hex[:6]}")
    assert await letters.list(10) == ([], 0)
    assert not await letters.replay("anything")


async def test_an_unreachable_broker_is_a_503_problem(topology):
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(dead_letters_router(
        DeadLetters("amqp://guest:guest@127.0.0.1:1/", topology, "x", timeout=2)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        for response in (await client.get("/v1/dead-letters"),
                         await client.post("/v1/dead-letters/m/replay")):
            assert response.status_code == 503, response.text
            assert "RabbitMQ is not reachable" in response.json()["detail"]


async def _has(seen: list[str], wanted: set[str]) -> bool:
    return wanted <= set(seen)


async def _dead(letters: DeadLetters, n: int) -> bool:
    return (await letters.list(n))[1] >= n
