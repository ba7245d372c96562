"""Fault 5: invoicing is SIGKILLed in the middle of exporting a sync (pages of 50 on the
test stacks) and started again; the redelivered sync.requested goes on after the last
committed page. Every document reaches accounting once, no page is sent twice, the
manifest is whole and the reconciliation of a month has no difference."""

import asyncio

import asyncpg
import pytest

from tests.faults.support import (
    DATE_FROM,
    DATE_TO,
    assert_posted_exactly_once,
    asyncpg_dsn,
    connect_company,
    count_rows,
    seed_documents,
    wait_in_review,
)

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.slow]

DOCUMENTS = 20_000  # 400 pages, each its own transaction


async def wait_pages(database_url: str, sync_id: str, at_least: int) -> tuple[int, bool]:
    """(pages committed, whether the export completed) once ``at_least`` pages are."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with asyncio.timeout(60):
            while True:
                row = await conn.fetchrow("SELECT pages, completed_at IS NOT NULL AS done "
                                          "FROM sync_exports WHERE sync_id = $1", sync_id)
                if row is not None and (row["pages"] >= at_least or row["done"]):
                    return row["pages"], row["done"]
                await asyncio.sleep(0.01)
    finally:
        await conn.close()


async def test_a_killed_invoicing_resumes_its_export(fault_stack, client):
    company = connect_company(client)
    seeded = await seed_documents(fault_stack.invoicing_database_url, company.rut, DOCUMENTS)
    sync = client.start_sync(company.id, DATE_FROM, DATE_TO)
    try:
        pages, done = await wait_pages(fault_stack.invoicing_database_url, sync["id"], 20)
        fault_stack.kill("invoicing")
        assert not done, "the export ended before invoicing was killed"
        fault_stack.start_service("invoicing")
        wait_in_review(client, sync["id"])

        # Each page went out once, before and after the crash, with its manifest page.
        outbox = ("SELECT count(*) FROM outbox WHERE correlation_id = '{sync}' "
                  "AND event_type = '{type}'")
        for event_type, expected in (("invoicing.invoices.synced.v1", DOCUMENTS // 50),
                                     ("invoicing.sync.manifest.v1", DOCUMENTS // 50),
                                     ("invoicing.sync.completed.v1", 1)):
            assert await count_rows(fault_stack.invoicing_database_url, outbox.format(
                sync=sync["id"], type=event_type)) == expected, event_type
        assert await count_rows(
            fault_stack.accounting_database_url,
            f"SELECT count(*) FROM sync_manifest_documents WHERE sync_id = '{sync['id']}'",
        ) == DOCUMENTS
        assert client.sync(sync["id"])["has_manifest"] is True
        assert_posted_exactly_once(client, company, sync["id"], seeded)
        report = client.call(client.accounting, "GET",
                             f"/v1/companies/{company.id}/reports/reconciliation",
                             params={"month": "2025-06"})
        assert report["balanced"] is True and report["differences"] == [], report
        assert sum(line["invoicing"]["count"] for line in report["lines"]) > 0
        print(f"killed after {pages} of {DOCUMENTS // 50} pages")
    except BaseException:
        print(fault_stack.logs())
        raise
