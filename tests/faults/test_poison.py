"""Fault 5, end to end: poison messages published to the real exchange in the middle of a
sync go to the worker's dead-letter queue; the sync does not stop, and is posted once.
(Listing and replaying dead letters is tested in tests/integration/messaging.)"""

import asyncio
import json
import uuid

import aio_pika
import pytest

from shared.events import CloudEvent, Counterparty, InvoiceSynced, TaxDocument
from tests.faults.support import (
    DATE_FROM,
    DATE_TO,
    WORKER,
    assert_posted_exactly_once,
    connect_company,
    queue_depth,
    seed_documents,
    wait_in_review,
    wait_progress,
)

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

DOCUMENTS = 1_000
ROUTING_KEY = InvoiceSynced.event_type


def poison(company_rut: str, user_id: str) -> list[aio_pika.Message]:
    """Not JSON; a CloudEvent breaking its contract; and a valid event accounting always
    refuses (its sync session does not exist), so it fails on every delivery. All stamped
    with invoicing's broker user, as invoicing would: the worker takes them for its."""
    broken = {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "/invoicing",
              "type": ROUTING_KEY, "data": {"sync_id": None, "document": {"folio": -1}}}
    orphan = CloudEvent.wrap(InvoiceSynced(sync_id=str(uuid.uuid4()), document=TaxDocument(
        document_id=str(uuid.uuid4()), company_rut=company_rut, direction="sales",
        dte_type=34, folio=999_999, issue_date="2025-06-30", issuer_rut=company_rut,
        counterparty=Counterparty(rut="77777777-7", name="Nadie SpA"), exempt=1, total=1)))
    bodies = [b"\x00 not json {", json.dumps(broken).encode(), orphan.model_dump_json().encode()]
    return [aio_pika.Message(body, message_id=str(uuid.uuid4()), user_id=user_id,
                             content_type="application/cloudevents+json") for body in bodies]


async def test_poison_messages_do_not_stop_a_sync(fault_stack, client):
    topology = fault_stack.topology
    dead_letters = await fault_stack.dead_letters()
    company = connect_company(client)
    seeded = await seed_documents(fault_stack.invoicing_database_url, company.rut, DOCUMENTS)
    sync = client.start_sync(company.id, DATE_FROM, DATE_TO)
    try:
        wait_progress(client, sync["id"], DOCUMENTS // 10)
        connection = await aio_pika.connect(fault_stack.amqp_url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await topology.declare_exchange(channel)
            for message in poison(company.rut, topology.user_name("invoicing")):
                await exchange.publish(message, routing_key=ROUTING_KEY)
        finally:
            await connection.close()
        wait_in_review(client, sync["id"])
        assert_posted_exactly_once(client, company, sync["id"], seeded)
        for _ in range(300):  # the orphan is retried up to the delivery limit first
            if await fault_stack.dead_letters() >= dead_letters + 3:
                break
            await asyncio.sleep(0.2)
        assert await fault_stack.dead_letters() == dead_letters + 3
        assert await queue_depth(fault_stack.amqp_url, topology.queue_name(WORKER)) == 0
    except Exception as error:
        raise AssertionError(f"{error}\n{fault_stack.logs()}") from error

