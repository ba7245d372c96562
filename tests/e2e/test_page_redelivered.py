"""A page of a sync (invoices.synced) delivered again, through the three services as real
processes: the sync session, its proposals and the posted books do not change — accounting
keeps a proposal once per (sync_id, source_key)."""

import asyncio
import time

import aio_pika
import pytest

from deploy.local.client import FlowClient
from shared.events import CloudEvent, InvoicesSynced
from tests.faults.support import (
    DATE_FROM,
    DATE_TO,
    assert_posted_exactly_once,
    connect_company,
    queue_depth,
    seed_documents,
    wait_in_review,
)
from tests.support.broker import first_messages
from tests.support.stacks import module_stack

pytestmark = pytest.mark.e2e

DOCUMENTS = 120  # in pages of 50 on the test stacks: three messages

stack = module_stack("e2e_pages")


@pytest.fixture
def client(stack):
    client = FlowClient(stack.invoicing_url, stack.accounting_url, timeout=60)
    yield client
    client.close()


def sync_state(client: FlowClient, sync_id: str) -> tuple:
    sync = client.sync(sync_id)
    documents = client.sync_documents(sync_id)
    return (sync["status"], sync["expected"], sync["received"],
            sorted((d["id"], d["document"]["document_id"], d["status"]) for d in documents))


async def test_a_page_delivered_again_changes_nothing(stack, topology, client):
    company = connect_company(client)
    seeded = await seed_documents(stack.invoicing_database_url, company.rut, DOCUMENTS)
    connection = await aio_pika.connect(stack.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await topology.declare_exchange(channel)
        # A copy of every page the worker receives ("probe" is deleted at the session's end).
        probe = await topology.declare_queue(channel, "probe", [InvoicesSynced.event_type])
        sync = client.start_sync(company.id, DATE_FROM, DATE_TO)
        pages = await first_messages(
            probe, lambda payload: getattr(payload, "sync_id", None) == sync["id"], 3)
        wait_in_review(client, sync["id"])
        before = sync_state(client, sync["id"])
        assert before[2] == DOCUMENTS

        # The middle page again: byte for byte (a publish retried after a lost confirm),
        # twice, then once more as a fresh message of the same page.
        page = pages[1]
        assert CloudEvent.model_validate_json(page.body).payload().page == 2
        for message_id in (page.message_id, page.message_id, f"{page.message_id}-again"):
            await exchange.publish(
                aio_pika.Message(page.body, message_id=message_id, type=page.type,
                                 content_type=page.content_type,
                                 correlation_id=page.correlation_id,
                                 # invoicing's, as published (the tests' operator may)
                                 user_id=page.user_id),
                routing_key=InvoicesSynced.event_type)
        worker_queue = topology.queue_name("integration-worker")
        deadline = time.monotonic() + 30
        while await queue_depth(stack.amqp_url, worker_queue):
            assert time.monotonic() < deadline, "the worker did not take the page again"
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # handed over and stored (or not) by now

        assert sync_state(client, sync["id"]) == before
        assert_posted_exactly_once(client, company, sync["id"], seeded)
    finally:
        await connection.close()
