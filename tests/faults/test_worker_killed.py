"""Fault 1: the worker is SIGKILLed in the middle of a 5,000-document sync and started
again; every document ends posted exactly once."""

import pytest

from tests.faults.support import (
    DATE_FROM,
    DATE_TO,
    WORKER,
    assert_posted_exactly_once,
    connect_company,
    seed_documents,
    wait_in_review,
    wait_progress,
)

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.slow]

DOCUMENTS = 5_000


async def test_a_killed_worker_resumes_and_posts_every_document_once(fault_stack, client):
    company = connect_company(client)
    seeded = await seed_documents(fault_stack.invoicing_database_url, company.rut, DOCUMENTS)
    sync = client.start_sync(company.id, DATE_FROM, DATE_TO)
    try:
        at_kill = wait_progress(client, sync["id"], DOCUMENTS // 5)
        fault_stack.kill(WORKER)
        assert at_kill["received"] < DOCUMENTS, "the sync ended before the worker was killed"
        fault_stack.start_service(WORKER)
        wait_in_review(client, sync["id"])
        assert_posted_exactly_once(client, company, sync["id"], seeded)
    except Exception as error:
        raise AssertionError(f"{error}\n{fault_stack.logs()}") from error
