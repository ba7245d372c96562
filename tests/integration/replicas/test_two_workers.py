"""Two workers on one queue (issue 12, items 1 and 3).

1. A settings change reaches every worker's cache: the settings.changed event goes to the
   queue both share, so only one of them hears it; accounting refuses a batch built with
   an older settings version and the other worker builds it again with the new accounts.
2. Two workers on one company's sync do not deadlock: their batches record new
   counterparties (and every other row lock of accounting) in one order.
"""

import asyncio
import time

import asyncpg
import pytest

from bench.check import check_books
from bench.flow import connect_company as connect_bench_company
from bench.flow import sync_year
from bench.seed import seed_documents as seed_year
from deploy.local.client import FlowClient
from shared.rut import rut_from_number
from tests.faults.support import (
    SETTINGS,
    asyncpg_dsn,
    connect_company,
    entries,
    seed_documents,
    wait_in_review,
)
from tests.integration.replicas.conftest import WORKERS

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HALF = 2_000  # documents in each half of the year
NEW_SALES, NEW_PURCHASES = "310120", "410235"  # Ventas de Servicios, Costo de Mercaderías
OLD_SALES, OLD_PURCHASES = SETTINGS["sales"]["detail_account"], \
    SETTINGS["purchases"]["detail_account"]
NEW_SETTINGS = {
    "sales": {**SETTINGS["sales"], "detail_account": NEW_SALES},
    "purchases": {**SETTINGS["purchases"], "detail_account": NEW_PURCHASES},
}
YEAR_DOCUMENTS = 20_000


def handed(stack, worker: str, since: int = 0) -> int:
    """How many batches the worker handed to accounting (its log lines saying so)."""
    return stack.log_since(worker, since).count("handed ")


def detail_accounts(client: FlowClient, sync_id: str) -> dict[str, int]:
    """How many of the session's documents propose each detail account."""
    found: dict[str, int] = {}
    for document in client.sync_documents(sync_id):
        assert document["entry"] is not None, document
        for line in document["entry"]["lines"]:
            if line["role"] == "detail":
                found[line["account_code"]] = found.get(line["account_code"], 0) + 1
    return found


async def test_a_settings_change_reaches_the_entries_of_both_workers(replicas, client):
    company = connect_company(client, "Cambio de Cuentas SpA")
    seeded = await seed_documents(replicas.invoicing_database_url, company.rut, 2 * HALF)
    assert seeded.count == 2 * HALF
    try:
        # The first half: both workers fetch the posting profile and cache it.
        first = client.start_sync(company.id, "2025-01-01", "2025-06-30")
        wait_in_review(client, first["id"])
        for worker in WORKERS:
            assert handed(replicas, worker), f"{worker} handled none of the first half"
        assert set(detail_accounts(client, first["id"])) == {OLD_SALES, OLD_PURCHASES}
        client.confirm(first["id"])

        # New default accounts; settings.changed reaches one of the two workers.
        client.put_settings(company.id, NEW_SETTINGS)
        marks = {worker: replicas.log_size(worker) for worker in WORKERS}
        second = client.start_sync(company.id, "2025-07-01", "2025-12-31")
        second = wait_in_review(client, second["id"])
        for worker in WORKERS:
            assert handed(replicas, worker, marks[worker]), \
                f"{worker} handled none of the second half"
        refused = sum(replicas.log_since(worker, marks[worker]).count(
            "built with settings that changed since") for worker in WORKERS)
        accounts = detail_accounts(client, second["id"])
        assert accounts.keys() == {NEW_SALES, NEW_PURCHASES}, (
            f"after the change, documents still proposed on the old accounts: {accounts}")
        assert sum(accounts.values()) == second["expected"] > 0

        summary = client.confirm(second["id"])
        posted = [e for e in entries(client, company.id) if e["entry_date"] >= "2025-07-01"]
        assert summary["posted"] == len(posted) == sum(accounts.values())
        report = client.trial_balance(company.id, "2025-07-01", "2025-12-31")
        # Accounts moved in the half (the old ones keep their opening from the first half).
        codes = {row["account_code"] for row in report["rows"] if row["debit"] or row["credit"]}
        assert not codes & {OLD_SALES, OLD_PURCHASES}, codes
        assert {NEW_SALES, NEW_PURCHASES} <= codes
        print(f"\n{sum(accounts.values())} documents after the change, all on the new "
              f"accounts; {refused} batches refused as built with the old settings and "
              "built again")
    except Exception as error:
        raise AssertionError(f"{error}\n{replicas.logs()}") from error


async def deadlocks(database_url: str) -> int:
    """Deadlocks PostgreSQL has detected in the database since its statistics began."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        return await conn.fetchval(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
    finally:
        await conn.close()


async def test_two_workers_on_one_company_sync_never_deadlock(replicas, client):
    """A year of 20,000 documents with about 3,000 counterparties in random order, two
    workers proposing its pages side by side; nothing lost or doubled, no deadlock."""
    company_rut = rut_from_number(76_000_000 + int(time.time()) % 900_000)
    contract_rut = rut_from_number(79_000_000 + int(time.time()) % 900_000)
    name = "Dos Trabajadores SpA"
    client.create_company(company_rut, name)
    seeded = await seed_year(replicas.invoicing_database_url, company_rut, YEAR_DOCUMENTS)
    company_id = connect_bench_company(client, company_rut, contract_rut, name)
    before = await deadlocks(replicas.accounting_database_url)
    marks = {s.name: replicas.log_size(s.name) for s in replicas.services}
    try:
        timings = await asyncio.to_thread(sync_year, client, company_id, seeded.count,
                                          timeout=600)
        verdict = await check_books(replicas.accounting_database_url, client, company_id,
                                    seeded, timings.sync)
        assert verdict.ok, verdict.problems
        logs = {name: replicas.log_since(name, mark) for name, mark in marks.items()}
        for worker in WORKERS:
            assert logs[worker].count("handed "), f"{worker} handled none of the sync"
        await asyncio.sleep(1)  # the statistics reach pg_stat_database within a second
        detected = await deadlocks(replicas.accounting_database_url) - before
        logged = {name: text.lower().count("deadlock") for name, text in logs.items()}
        assert detected == 0 and not any(logged.values()), (
            f"{detected} deadlocks detected by PostgreSQL; lines naming one in the logs: "
            f"{logged}; delivery {timings.delivery:.1f} s")
        print(f"\n{seeded.count:,} documents with two workers: delivery {timings.delivery:.1f}"
              f" s ({seeded.count / timings.delivery:,.0f}/s), no deadlock; batches handed "
              + ", ".join(f"{w} {logs[w].count('handed ')}" for w in WORKERS))
    except Exception as error:
        raise AssertionError(f"{error}\n{replicas.logs()}") from error
