"""Faults 8 and 9: a service's own database refuses connections for a while in the middle
of a sync (only that database: ALLOW_CONNECTIONS false and its sessions ended, the server
and every other database untouched). The consumers wait it out without spending any
delivery, so the sync completes with nothing lost, doubled or dead-lettered."""

import asyncio
import time

import httpx
import pytest

from tests.faults.support import (
    DATE_FROM,
    DATE_TO,
    OUTAGE_SECONDS,
    WORKER,
    allow_connections,
    assert_posted_exactly_once,
    connect_company,
    count_rows,
    dead_letter_counts,
    refuse_connections,
    seed_documents,
    wait_in_review,
    wait_progress,
)
from tests.faults.test_invoicing_killed import wait_pages

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.slow]

# As long as the outages seen in scale-out trials (10 s), and past the old 0.5 s × 5
# deliveries that dead-lettered sync.requested after about 2.5 s.
DOWN_SECONDS = min(OUTAGE_SECONDS, 10)
SERVICES = ("invoicing", "accounting", WORKER)


def logs_since(stack, offsets: dict[str, int]) -> dict[str, str]:
    return {name: stack.log_since(name, offset) for name, offset in offsets.items()}


async def test_invoicing_database_down_in_mid_export(fault_stack, client, infra):
    documents = 10_000  # 200 pages of 50, each its own transaction
    company = connect_company(client)
    seeded = await seed_documents(fault_stack.invoicing_database_url, company.rut, documents)
    letters = await dead_letter_counts(fault_stack)
    offsets = {name: fault_stack.log_size(name) for name in SERVICES}
    sync = client.start_sync(company.id, DATE_FROM, DATE_TO)
    database = fault_stack.invoicing_database_url
    try:
        pages, done = await wait_pages(database, sync["id"], 10)
        await refuse_connections(database, infra.postgres_admin_url)
        started = time.monotonic()
        try:
            assert not done, "the export ended before the database went away"
            await asyncio.sleep(DOWN_SECONDS / 2)
            # Accounting knows nothing is wrong yet, and the session is not stalled.
            state = client.sync(sync["id"])
            assert state["status"] in ("requested", "receiving"), state
            await asyncio.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - started)))
        finally:
            await allow_connections(database, infra.postgres_admin_url)
        down = time.monotonic() - started

        wait_in_review(client, sync["id"])
        # Each page went out once, before and after the outage, with its manifest page.
        outbox = ("SELECT count(*) FROM outbox WHERE correlation_id = '{sync}' "
                  "AND event_type = '{type}'")
        for event_type, expected in (("invoicing.invoices.synced.v1", documents // 50),
                                     ("invoicing.sync.manifest.v1", documents // 50),
                                     ("invoicing.sync.completed.v1", 1)):
            assert await count_rows(database, outbox.format(
                sync=sync["id"], type=event_type)) == expected, event_type
        assert client.sync(sync["id"])["has_manifest"] is True
        assert_posted_exactly_once(client, company, sync["id"], seeded)
        assert await dead_letter_counts(fault_stack) == letters
        logs = logs_since(fault_stack, offsets)
        # sync.requested was kept and tried again in-process, never requeued.
        assert "a dependency is unavailable" in logs["invoicing"]
        assert not any("requeued" in text for text in logs.values()), "a message was requeued"
        print(f"invoicing's database refused connections for {down:.1f}s after {pages} of "
              f"{documents // 50} pages; {documents} documents posted once, none dead-lettered")
    except Exception as error:
        raise AssertionError(f"{error}\n{fault_stack.logs()}") from error


async def test_accounting_database_down_in_mid_sync(fault_stack, client, infra):
    documents = 4_000
    company = connect_company(client)
    seeded = await seed_documents(fault_stack.invoicing_database_url, company.rut, documents)
    letters = await dead_letter_counts(fault_stack)
    offsets = {name: fault_stack.log_size(name) for name in SERVICES}
    sync = client.start_sync(company.id, DATE_FROM, DATE_TO)
    database = fault_stack.accounting_database_url
    accounting = httpx.AsyncClient(base_url=fault_stack.accounting_url, timeout=30,
                                   auth=client.auth)
    try:
        at_cut = wait_progress(client, sync["id"], documents // 5)
        await refuse_connections(database, infra.postgres_admin_url)
        started = time.monotonic()
        try:
            assert at_cut["received"] < documents, "the sync ended before the database went"
            during = await accounting.get(f"/v1/syncs/{sync['id']}")
            assert during.status_code == 503, during.text
            await asyncio.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - started)))
        finally:
            await allow_connections(database, infra.postgres_admin_url)
        down = time.monotonic() - started

        state = wait_in_review(client, sync["id"])
        assert state["expected"] == state["received"] == documents, state
        assert state["has_manifest"] is True
        assert await count_rows(
            database, f"SELECT count(*) FROM sync_manifest_documents "
                      f"WHERE sync_id = '{sync['id']}'") == documents
        assert_posted_exactly_once(client, company, sync["id"], seeded)
        assert await dead_letter_counts(fault_stack) == letters
        logs = logs_since(fault_stack, offsets)
        assert not any("requeued" in text for text in logs.values()), "a message was requeued"
        print(f"accounting's database refused connections for {down:.1f}s at "
              f"{at_cut['received']} of {documents} documents; all posted once, none "
              "dead-lettered")
    except Exception as error:
        raise AssertionError(f"{error}\n{fault_stack.logs()}") from error
    finally:
        await accounting.aclose()
