"""A stand-in for accounting's internal API (a real HTTP server) and helpers to drive the
worker's consumer on the real RabbitMQ."""

import asyncio
import socket
from datetime import date

import aio_pika
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from integration_worker.bootstrap import build_worker
from integration_worker.config import CONSUMER_NAME, Settings
from shared.events import CloudEvent, Counterparty, InvoicesSynced, InvoiceSynced, TaxDocument
from shared.internal_api import (
    INTERNAL_PREFIX,
    AccountPair,
    PostingProfile,
    ProposalBatch,
    ProposalResult,
)
from shared.messaging import SUBSCRIPTIONS
from shared.messaging.access import owner_of

COMPANY = "76354771-K"
CUSTOMER = Counterparty(rut="12345678-5", name="Ferretería Sur Ltda.")


def profile_of(company_rut: str) -> PostingProfile:
    return PostingProfile(
        accounting_company_id=f"company-of-{company_rut}",
        company_rut=company_rut,
        sales=AccountPair(auxiliary_account="110310", detail_account="310115"),
        purchases=AccountPair(auxiliary_account="210210", detail_account="410230"),
    )


class FakeAccounting:
    """Records what the worker hands over; can fail on purpose."""

    def __init__(self) -> None:
        self.batches: list[ProposalBatch] = []
        self.post_attempts = 0
        self.fail_posts = 0  # answer this many POSTs with 503 first
        self.unknown_companies: set[str] = set()
        self.url = ""
        self.app = self._build_app()

    def stored(self, sync_id: str) -> dict[str, object]:
        """Proposals of one sync by source_key (accounting keeps each key once)."""
        return {p.source_key: p for b in self.batches for p in b.proposals if p.sync_id == sync_id}

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.get(INTERNAL_PREFIX + "/integrations/{company_rut}/posting-profile")
        async def posting_profile(company_rut: str):
            if company_rut in self.unknown_companies:
                return JSONResponse(
                    {"type": "about:blank", "title": "Not Found", "status": 404,
                     "detail": f"no approved integration for company {company_rut}"},
                    status_code=404, media_type="application/problem+json")
            return profile_of(company_rut)

        @app.post(INTERNAL_PREFIX + "/proposals")
        async def proposals(batch: ProposalBatch) -> ProposalResult:
            self.post_attempts += 1
            if self.fail_posts:
                self.fail_posts -= 1
                return JSONResponse({"title": "Service Unavailable", "status": 503},
                                    status_code=503)
            self.batches.append(batch)
            return ProposalResult(accepted=len(batch.proposals), duplicates=0)

        return app


@pytest.fixture
async def accounting():
    fake = FakeAccounting()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    fake.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(fake.app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await wait_until(lambda: server.started, seconds=10)
    yield fake
    server.should_exit = True
    await task
    sock.close()


@pytest.fixture
def settings(infra, topology, accounting) -> Settings:
    return Settings(
        amqp_url=infra.service_url("integration-worker"),
        event_exchange=topology.exchange,
        queue_prefix=topology.queue_prefix,
        delivery_limit=topology.delivery_limit,
        accounting_url=accounting.url,
        batch_size=50,
        http_retries=3,
    )


@pytest.fixture
async def worker(settings):
    """The worker's consumer, running; stopped cleanly (and checked to be) at the end."""
    built = build_worker(settings, retry_backoff=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(built.run(stop))
    await asyncio.wait_for(built.consumer.ready.wait(), 15)
    yield built
    stop.set()
    await asyncio.wait_for(task, 15)  # raises if the worker did not stop cleanly
    assert task.done() and task.exception() is None


@pytest.fixture
async def channel(infra, topology):
    connection = await aio_pika.connect(infra.amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    # The queue exists before anything is published, whether or not a worker runs yet.
    await topology.declare_queue(channel, CONSUMER_NAME, SUBSCRIPTIONS[CONSUMER_NAME])
    yield channel
    await connection.close()


async def publish(channel, topology, events: list[CloudEvent] | list[tuple[str, str, bytes]]):
    """Publish CloudEvents (or raw (message_id, routing_key, body) tuples) with confirms."""
    exchange = await topology.declare_exchange(channel)
    for item in events:
        if isinstance(item, CloudEvent):
            item = (item.id, item.type, item.model_dump_json().encode())
        message_id, routing_key, body = item
        # Stamped as its owner would (the tests' operator may): the worker checks it.
        owner = owner_of(routing_key)
        await exchange.publish(
            aio_pika.Message(body, message_id=message_id, content_type="application/json",
                             user_id=topology.user_name(owner) if owner else None,
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=routing_key,
        )


def invoice_synced(sync_id: str, folio: int, *, company_rut: str = COMPANY, net: int = 100_000,
                   total: int | None = None) -> CloudEvent:
    vat = round(net * 0.19)
    document = TaxDocument(
        document_id=f"doc-{folio}", company_rut=company_rut, direction="sales", dte_type=33,
        folio=folio, issue_date=date(2024, 5, 2), issuer_rut=company_rut,
        counterparty=CUSTOMER, net=net, vat=vat, total=net + vat if total is None else total,
    )
    return CloudEvent.wrap(InvoiceSynced(sync_id=sync_id, document=document), subject=sync_id)


def document(folio: int, *, company_rut: str = COMPANY, net: int = 100_000,
             total: int | None = None) -> TaxDocument:
    vat = round(net * 0.19)
    return TaxDocument(
        document_id=f"doc-{folio}", company_rut=company_rut, direction="sales", dte_type=33,
        folio=folio, issue_date=date(2024, 5, 2), issuer_rut=company_rut,
        counterparty=CUSTOMER, net=net, vat=vat, total=net + vat if total is None else total,
    )


def invoices_synced(sync_id: str, page: int, folios, *, company_rut: str = COMPANY
                    ) -> CloudEvent:
    """A page of a sync, as invoicing sends it."""
    return CloudEvent.wrap(
        InvoicesSynced(sync_id=sync_id, company_rut=company_rut, page=page,
                       documents=tuple(document(f, company_rut=company_rut) for f in folios)),
        subject=company_rut, correlation_id=sync_id)


async def wait_until(predicate, seconds=20.0):
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def dead_lettered(channel, topology) -> list[str]:
    """Message ids now in the worker's dead-letter queue (taken off it)."""
    queue = await channel.get_queue(topology.dead_letter_queue_name(CONSUMER_NAME), ensure=True)
    ids = []
    while (message := await queue.get(fail=False)) is not None:
        ids.append(message.message_id)
        await message.ack()
    return ids
