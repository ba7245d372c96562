"""The running service on the real broker: its relay publishes, its consumer applies."""

import asyncio

import aio_pika
import httpx
import pytest

from deploy.local.auth import GrantingAuth
from invoicing.bootstrap import build_app
from shared.events import CloudEvent, IntegrationApproved, IntegrationRequested
from shared.messaging import OutgoingMessage, Publisher
from tests.integration.invoicing.conftest import (
    migrated_database,
    new_rut,
    outbox_events,
    settings_for,
)

CONTRACT = "60805000-0"
WAIT_SECONDS = 15.0


@pytest.fixture(scope="module")
async def probe(infra, topology):
    """A queue of our own bound to what invoicing emits, to see what the relay sent."""
    connection = await aio_pika.connect(infra.amqp_url)
    channel = await connection.channel()
    queue = await topology.declare_queue(channel, "probe", [IntegrationRequested.event_type])
    await queue.purge()
    yield queue
    await connection.close()


@pytest.fixture(scope="module")
async def running(infra, topology, probe):
    url = await migrated_database(infra, "invoicing_live")
    app = build_app(settings_for(infra, topology, url), background=True)
    async with app.router.lifespan_context(app):
        yield app


async def _received(queue, message_id: str):
    async def wait():
        async with queue.iterator() as messages:
            async for message in messages:
                await message.ack()
                if message.message_id == message_id:
                    return message

    return await asyncio.wait_for(wait(), WAIT_SECONDS)


async def _eventually(check):
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.1)


async def test_request_goes_out_and_approval_comes_in(running, probe, infra, topology):
    company = new_rut()
    transport = httpx.ASGITransport(app=running)
    async with httpx.AsyncClient(transport=transport, base_url="http://invoicing",
                                 auth=GrantingAuth()) as client:
        assert (await client.post("/v1/companies", json={"rut": company, "name": "Live"})
                ).status_code == 201
        requested = await client.put(f"/v1/companies/{company}/integration",
                                     json={"contract_rut": CONTRACT})
        assert requested.status_code == 202
        request_id = requested.json()["request_id"]
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text

        # The relay publishes the outbox row; its message id is the event id.
        container = running.state.container
        [row_event] = await outbox_events(container, IntegrationRequested.event_type,
                                          subject=company)
        message = await _received(probe, row_event.id)
        event = CloudEvent.model_validate_json(message.body)
        assert message.routing_key == IntegrationRequested.event_type
        assert event.id == message.message_id == row_event.id
        assert event.payload() == IntegrationRequested(
            request_id=request_id, company_rut=company, company_name="Live",
            contract_rut=CONTRACT, requested_at=event.payload().requested_at)

        # Accounting's answer arrives through the consumer's queue.
        approved = CloudEvent.wrap(IntegrationApproved(
            request_id=request_id, company_rut=company, contract_rut=CONTRACT,
            accounting_company_id="acc-live"), subject=company, correlation_id=request_id)
        publisher = Publisher(infra.service_url("accounting"), topology)  # its owner
        await publisher.connect()
        try:
            await publisher.publish([OutgoingMessage(
                message_id=approved.id, routing_key=approved.type,
                body=approved.model_dump_json().encode(), correlation_id=request_id)])
        finally:
            await publisher.close()

        async def is_approved():
            state = (await client.get(f"/v1/companies/{company}/integration")).json()
            return state if state["status"] == "approved" else None

        state = await _eventually(is_approved)
        assert state is not None, "the approval never reached the link"
        assert state["accounting_company_id"] == "acc-live"



async def test_healthz_says_ok_while_every_task_runs_and_503_once_one_died(infra, topology):
    url = await migrated_database(infra, "invoicing_health")
    app = build_app(settings_for(infra, topology, url), background=True)
    runtime = app.state.container.runtime
    stop, died = asyncio.Event(), asyncio.Event()

    async def lives_until_stopped():
        await stop.wait()
        died.set()
        raise ConnectionResetError("the export cache went away")

    runtime.add("export-cache", lives_until_stopped)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="http://i") as client):
        healthy = await client.get("/healthz")
        stop.set()
        await died.wait()
        await asyncio.sleep(0)  # its done-callback ran
        unhealthy = await client.get("/healthz")
    assert (healthy.status_code, healthy.json()) == (200, {"status": "ok"})
    assert unhealthy.status_code == 503
    assert unhealthy.json()["tasks"] == {
        "invoicing-export-cache": "ConnectionResetError: the export cache went away"}
