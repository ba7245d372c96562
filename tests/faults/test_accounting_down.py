"""Fault 3: accounting's API is down for a while (FAULT_OUTAGE_SECONDS, 20 s by default)
in the middle of a sync; the worker retries with backoff, then catches up, and nothing
is lost (dead-lettered) or doubled."""

import asyncio

import pytest

from tests.faults.support import (
    DATE_FROM,
    DATE_TO,
    OUTAGE_SECONDS,
    WORKER,
    assert_posted_exactly_once,
    connect_company,
    seed_documents,
    wait_in_review,
    wait_progress,
)

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.slow]

DOCUMENTS = 2_000


async def test_the_worker_waits_out_an_accounting_outage(fault_stack, client):
    dead_letters, log_start = await fault_stack.dead_letters(), fault_stack.log_size(WORKER)
    company = connect_company(client)
    seeded = await seed_documents(fault_stack.invoicing_database_url, company.rut, DOCUMENTS)
    sync = client.start_sync(company.id, DATE_FROM, DATE_TO)
    try:
        at_stop = wait_progress(client, sync["id"], DOCUMENTS // 5)
        fault_stack.kill("accounting")
        assert at_stop["received"] < DOCUMENTS, "the sync ended before accounting went down"
        await asyncio.sleep(OUTAGE_SECONDS)
        assert fault_stack.service(WORKER).process.poll() is None, "the worker gave up"
        fault_stack.start_service("accounting")
        wait_in_review(client, sync["id"])
        assert_posted_exactly_once(client, company, sync["id"], seeded)
        # The worker waited the outage out with the same batch in hand: no message was
        # requeued (each requeue spends one of its deliveries) and none dead-lettered.
        worker_log = fault_stack.log_since(WORKER, log_start)
        assert "retrying in" in worker_log
        assert "requeued" not in worker_log
        assert await fault_stack.dead_letters() == dead_letters
    except Exception as error:
        raise AssertionError(f"{error}\n{fault_stack.logs()}") from error
