"""The floor of this machine: what the broker and the database do with nothing else.

Broker: N messages the size of an invoice.synced event, published with confirms to a
durable quorum queue (persistent), then consumed with prefetch and multiple-acks.
Database: N journal entries of 3 lines copied (COPY, asyncpg copy_records_to_table) into
accounting's own journal tables, with their indexes and constraints, in one transaction.
"""

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import aio_pika
import asyncpg

from accounting.entrypoints.cli import migrate
from bench.infra import RunResources, asyncpg_dsn
from bench.seed import DocumentFactory, Seeded
from shared.events import CloudEvent, InvoiceSynced, TaxDocument
from shared.rut import rut_from_number

WINDOW = 1_000  # publishes in flight, as the outbox relay's batch
PREFETCH = 1_000
CHUNK = 10_000
BATCH = 100  # documents per message in the batched variant: the lever, for comparison


@dataclass
class Floor:
    n: int
    message_bytes: int
    publish: float
    consume: float
    copy: float
    batched: float  # publish + consume of the same bytes, BATCH documents per message

    @property
    def broker(self) -> float:
        return self.publish + self.consume

    @property
    def total(self) -> float:
        return self.broker + self.copy


def sample_event_body() -> bytes:
    """A realistic invoice.synced event (a factura with a counterparty name)."""
    company = rut_from_number(76_543_210)
    row = DocumentFactory(company).document("sales", 33, date(2025, 6, 1), Seeded())
    document = TaxDocument(
        document_id=row["id"], company_rut=company, direction="sales", dte_type=33,
        folio=row["folio"], issue_date=row["issue_date"], issuer_rut=company,
        counterparty={"rut": row["counterparty_rut"], "name": row["counterparty_name"]},
        net=row["net"], vat=row["vat"], total=row["total"],
    )
    event = CloudEvent.wrap(InvoiceSynced(sync_id=str(uuid.uuid4()), document=document),
                            subject=company, correlation_id=str(uuid.uuid4()))
    return event.model_dump_json().encode()


async def broker_floor(run: RunResources, n: int, body: bytes,
                       label: str = "floor") -> tuple[float, float]:
    queue_name = run.queue(label)
    connection = await aio_pika.connect(run.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue(queue_name, durable=True,
                                            arguments={"x-queue-type": "quorum"})
        exchange = channel.default_exchange
        start = time.perf_counter()
        for first in range(0, n, WINDOW):
            await asyncio.gather(*(
                exchange.publish(aio_pika.Message(body, message_id=str(i),
                                                  delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                                 routing_key=queue_name)
                for i in range(first, min(n, first + WINDOW))))
        publish = time.perf_counter() - start

        consumer_channel = await connection.channel()
        await consumer_channel.set_qos(prefetch_count=PREFETCH)
        queue = await consumer_channel.get_queue(queue_name)
        done = asyncio.Event()
        received = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            received += 1
            if received % (PREFETCH // 2) == 0 or received == n:
                await message.ack(multiple=True)
            if received == n:
                done.set()

        start = time.perf_counter()
        tag = await queue.consume(on_message)
        await done.wait()
        consume = time.perf_counter() - start
        await queue.cancel(tag)
        await queue.delete(if_unused=False, if_empty=False)
    finally:
        await connection.close()
    return publish, consume


async def copy_floor(run: RunResources, n: int) -> float:
    url = await run.create_database("floor")
    # The schema as the service has it, triggers included; Alembic runs its own loop.
    await asyncio.to_thread(migrate, url)
    company_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("INSERT INTO contracts VALUES ($1, 'c', $2)", "78000000-8", now)
        await conn.execute("INSERT INTO companies (id, contract_rut, rut, name, status, "
                           "created_at) VALUES ($1, '78000000-8', '76543210-3', 'x', 'active', "
                           "$2)", company_id, now)
        entry_columns = ["id", "company_id", "number", "entry_date", "kind", "glosa",
                         "source_key", "total", "created_at"]
        line_columns = ["entry_id", "line_no", "account_code", "role", "debit", "credit",
                        "counterparty_rut", "description"]
        elapsed = 0.0
        day0 = date(2025, 1, 1)
        async with conn.transaction():
            for first in range(0, n, CHUNK):
                entries, lines = [], []
                for i in range(first, min(n, first + CHUNK)):
                    entry_id = str(uuid.uuid4())
                    net = 100_000 + i
                    vat = net * 19 // 100
                    entries.append((entry_id, company_id, i + 1,
                                    day0 + timedelta(days=i * 365 // n), "traspaso",
                                    f"Factura electrónica N° {i + 1} — Cliente {i % 3000:05d} "
                                    "SpA (77000037-3)", f"sales:76543210-3:33:{i + 1}",
                                    net + vat, now))
                    lines += [(entry_id, 1, "110310", "auxiliary", net + vat, 0, "77000037-3",
                               None),
                              (entry_id, 2, "310115", "detail", 0, net, None, None),
                              (entry_id, 3, "210710", "vat_debit", 0, vat, None, None)]
                start = time.perf_counter()
                await conn.copy_records_to_table("journal_entries", records=entries,
                                                 columns=entry_columns)
                await conn.copy_records_to_table("journal_lines", records=lines,
                                                 columns=line_columns)
                elapsed += time.perf_counter() - start
            start = time.perf_counter()
        elapsed += time.perf_counter() - start  # the commit
    finally:
        await conn.close()
    return elapsed


async def measure_floor(run: RunResources, n: int) -> Floor:
    body = sample_event_body()
    publish, consume = await broker_floor(run, n, body)
    batched = sum(await broker_floor(run, -(-n // BATCH), body * BATCH, "floor-batched"))
    copy = await copy_floor(run, n)
    return Floor(n=n, message_bytes=len(body), publish=publish, consume=consume, copy=copy,
                 batched=batched)
