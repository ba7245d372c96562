"""Fault 4: the same event delivered twice, and a batch redelivered after the worker
crashed between handing it to accounting and acking it: no document is proposed or posted
twice — and the database itself refuses a second entry for a document."""

import asyncio
import uuid

import aio_pika
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from accounting.adapters.tables import journal_entries, sync_documents
from integration_worker.bootstrap import build_worker
from integration_worker.config import CONSUMER_NAME, Settings
from integration_worker.service_layer.proposals import ProposeEntries
from shared.db import create_engine
from shared.events import CloudEvent, InvoicesSynced
from shared.messaging import SUBSCRIPTIONS, Consumer, Delivery
from tests.faults.support import (
    DATE_FROM,
    DATE_TO,
    WORKER,
    assert_posted_exactly_once,
    connect_company,
    seed_documents,
    wait_in_review,
)

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

DOCUMENTS = 300


async def test_every_event_delivered_twice_is_posted_once(fault_stack, client):
    """Each page (invoices.synced) invoicing publishes is published again, byte for byte."""
    topology = fault_stack.topology
    company = connect_company(client)
    seeded = await seed_documents(fault_stack.invoicing_database_url, company.rut, DOCUMENTS)
    connection = await aio_pika.connect(fault_stack.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await topology.declare_exchange(channel)
        probe = await topology.declare_queue(channel, "probe", [InvoicesSynced.event_type])
        sync = client.start_sync(company.id, DATE_FROM, DATE_TO)
        copied = pages = 0
        async with probe.iterator(timeout=60) as messages:
            async for message in messages:
                async with message.process():
                    await exchange.publish(
                        aio_pika.Message(message.body, message_id=message.message_id,
                                         type=message.type, content_type=message.content_type,
                                         correlation_id=message.correlation_id,
                                         user_id=message.user_id),  # the tests' operator may
                        routing_key=message.routing_key)
                copied += len(CloudEvent.model_validate_json(message.body).payload().documents)
                pages += 1
                if copied == DOCUMENTS:
                    break
        assert pages > 1  # the stack's small pages: several messages, each sent twice
    finally:
        await connection.close()
    try:
        wait_in_review(client, sync["id"])
        assert_posted_exactly_once(client, company, sync["id"], seeded)
    except Exception as error:
        raise AssertionError(f"{error}\n{fault_stack.logs()}") from error


class CrashBeforeAck(asyncio.CancelledError):
    """Ends the consumer between the handler's commit and the ack, as a crash would."""


async def test_a_batch_redelivered_after_a_crash_before_ack_is_posted_once(fault_stack, client):
    topology = fault_stack.topology
    company = connect_company(client)
    seeded = await seed_documents(fault_stack.invoicing_database_url, company.rut, DOCUMENTS)
    fault_stack.kill(WORKER)
    sync = client.start_sync(company.id, DATE_FROM, DATE_TO)

    settings = Settings(amqp_url=fault_stack.amqp_url, event_exchange=topology.exchange,
                        queue_prefix=topology.queue_prefix,
                        delivery_limit=topology.delivery_limit,
                        accounting_url=fault_stack.accounting_url)
    worker = build_worker(settings)
    propose = ProposeEntries(worker.accounting)
    handed: list[Delivery] = []

    async def handle_then_crash(deliveries: list[Delivery]) -> None:
        await propose(deliveries)  # accounting commits the proposals
        handed.extend(deliveries)
        raise CrashBeforeAck

    consumer = Consumer(settings.amqp_url, topology, CONSUMER_NAME, SUBSCRIPTIONS[CONSUMER_NAME],
                        handle_then_crash, batch_size=100, batch_wait=1.0)
    try:
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(consumer.run(), timeout=60)
    finally:
        await worker.accounting.close()
    documents = [doc for d in handed if isinstance(d.payload, InvoicesSynced)
                 for doc in d.payload.documents]
    assert documents
    # Stored in accounting, though never acked: the broker delivers them again.
    assert client.sync(sync["id"])["received"] == len(documents)

    try:
        fault_stack.start_service(WORKER)
        wait_in_review(client, sync["id"])
        assert_posted_exactly_once(client, company, sync["id"], seeded)
    except Exception as error:
        raise AssertionError(f"{error}\n{fault_stack.logs()}") from error


async def test_the_database_refuses_a_second_entry_or_proposal_for_a_document(fault_stack):
    """Runs after the tests above posted their documents."""
    engine = create_engine(fault_stack.accounting_database_url)
    try:
        async with engine.connect() as conn:
            entry = (await conn.execute(select(journal_entries).limit(1))).mappings().one()
            number = (await conn.execute(
                select(func.max(journal_entries.c.number))
                .where(journal_entries.c.company_id == entry["company_id"]))).scalar_one()
            document = (await conn.execute(select(sync_documents).limit(1))).mappings().one()
        async with engine.begin() as conn:
            with pytest.raises(IntegrityError, match="uq_journal_entries_active_source_key"):
                await conn.execute(insert(journal_entries).values(
                    {**entry, "id": str(uuid.uuid4()), "number": number + 1}))
        async with engine.begin() as conn:
            with pytest.raises(IntegrityError, match="sync_id"):
                await conn.execute(insert(sync_documents).values(
                    {**document, "id": str(uuid.uuid4()), "event_id": str(uuid.uuid4())}))
    finally:
        await engine.dispose()
