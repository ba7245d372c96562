"""The app with its background tasks: events in over RabbitMQ, events out via the relay."""

import asyncio
import json
from dataclasses import replace

import aio_pika
import httpx
import pytest

from accounting.bootstrap import build_app
from accounting.config import Settings
from deploy.local.auth import GrantingAuth
from shared.events import CloudEvent, IntegrationRequested
from shared.messaging import SUBSCRIPTIONS, OutgoingMessage, Publisher

PROBE = "probe"


@pytest.fixture
async def own_topology(infra, topology, request):
    """Exchange and queues of this test alone: the relay also publishes what earlier tests
    staged, and those events must not reach other tests' consumers (nor those of the
    test before, whose exchange is gone)."""
    name = "accounting" + ("" if request.node.name.startswith("test_consumes") else "-health")
    own = replace(topology, exchange=f"{topology.exchange}.{name}",
                  queue_prefix=f"{topology.queue_prefix}{name}-live.")
    infra.users(own)  # its exchanges, queues and broker users
    yield own
    connection = await aio_pika.connect(infra.amqp_url)
    try:
        channel = await connection.channel()
        for name in [*SUBSCRIPTIONS, PROBE]:
            await channel.queue_delete(own.queue_name(name))
            await channel.queue_delete(own.dead_letter_queue_name(name))
        await channel.exchange_delete(own.exchange)
        await channel.exchange_delete(own.dead_letter_exchange)
    finally:
        await connection.close()


def _settings(infra, topology, accounting_db) -> Settings:
    return Settings(database_url=accounting_db,
                    amqp_url=infra.service_url("accounting", topology),
                    event_exchange=topology.exchange, queue_prefix=topology.queue_prefix,
                    delivery_limit=topology.delivery_limit)


async def test_consumes_requests_and_publishes_outcomes(infra, own_topology, accounting_db,
                                                        rut):
    topology = own_topology
    app = build_app(_settings(infra, topology, accounting_db))
    connection = await aio_pika.connect(infra.amqp_url)
    channel = await connection.channel()
    probe = await topology.declare_queue(channel, PROBE, ["accounting.integration.#"])
    publisher = Publisher(infra.service_url("invoicing", topology), topology)
    await publisher.connect()
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://a",
                                 auth=GrantingAuth()) as client:
                assert (await client.get("/readyz")).status_code == 200
                contract, company_rut = rut(), rut()
                request_id = "live-" + company_rut
                await client.post("/v1/contracts", json={"rut": contract, "name": "E"})
                for name in ("A", "A (copia)"):
                    await client.post(f"/v1/contracts/{contract}/companies",
                                      json={"rut": company_rut, "name": name})
                event = CloudEvent.wrap(IntegrationRequested(
                    request_id=request_id, company_rut=company_rut, company_name="A",
                    contract_rut=contract))
                message = OutgoingMessage(message_id=event.id, routing_key=event.type,
                                          body=event.model_dump_json().encode())
                await publisher.publish([message, message])  # delivered twice

                url = f"/v1/contracts/{contract}/integration-requests"
                requests = await _until(lambda: _listed(client, url))
                assert [r["status"] for r in requests] == ["conflict"]
                mine = await _until(lambda: _published_for(probe, request_id))
                assert mine.type == "accounting.integration.conflicted.v1"
                await asyncio.sleep(0.5)
                # The duplicate changed nothing: no second event about this request.
                assert await _published_for(probe, request_id) is None
    finally:
        await publisher.close()
        await connection.close()


async def _listed(client, url):
    return (await client.get(url)).json() or None


async def _published_for(queue, request_id: str) -> CloudEvent | None:
    """The next event about ``request_id`` on the probe queue, skipping others."""
    while (message := await queue.get(fail=False)) is not None:
        await message.ack()
        event = CloudEvent.model_validate(json.loads(message.body))
        if event.data.get("request_id") == request_id:
            return event
    return None


async def _until(probe):
    """Poll until ``probe`` gives something, for at most 10 seconds."""
    async with asyncio.timeout(10):
        while True:
            result = await probe()
            if result:
                return result
            await asyncio.sleep(0.1)


async def test_a_background_task_that_dies_turns_healthz_unhealthy(infra, own_topology,
                                                                   accounting_db):
    """The real app on the real broker and database, with one more background task that
    raises: /healthz answers 503 naming it and why (a liveness probe restarts the pod),
    /readyz too, while the relay, the consumer and the resumer keep running."""
    app = build_app(_settings(infra, own_topology, accounting_db))
    died = asyncio.Event()

    async def doomed():
        await app.state.runtime.started.wait()  # dying while starting fails the start
        died.set()
        raise RuntimeError("the ledger cache is corrupt")

    app.state.runtime.add("ledger-cache", doomed)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://a") as client):
        await died.wait()
        await asyncio.sleep(0)  # its done-callback ran
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        running = {task.get_name() for task in app.state.runtime.tasks if not task.done()}
    assert health.status_code == 503
    assert health.json() == {"status": "unhealthy", "tasks": {
        "accounting-ledger-cache": "RuntimeError: the ledger cache is corrupt"}}
    assert ready.status_code == 503
    assert ready.json()["checks"]["broker"] == (
        "unavailable: RuntimeError: background task accounting-ledger-cache has stopped: "
        "RuntimeError: the ledger cache is corrupt")
    assert ready.json()["checks"]["database"] == "ok"
    assert running == {"accounting-outbox-relay", "accounting-consumer",
                       "accounting-confirm-resumer"}
