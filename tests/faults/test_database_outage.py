"""Fault 6: invoicing's database refuses connections for a while. The API answers 503
with problem details (no stack trace), /readyz says the database is why, and the events
committed just before the outage are published once the database is back."""

import asyncio
import time
import uuid
from datetime import UTC, date, datetime

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from invoicing.adapters.tables import outbox
from shared.events import CloudEvent, Counterparty, InvoiceSynced, TaxDocument
from shared.money import vat_of
from shared.rut import rut_from_number
from tests.faults.support import (
    OUTAGE_SECONDS,
    allow_connections,
    asyncpg_dsn,
    connect_company,
    count_rows,
    wait_until_live_documents,
)

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

LIVE_DOCUMENTS = 3


def live_event(company_rut: str, folio: int) -> CloudEvent:
    net = 100_000 + folio
    document = TaxDocument(
        document_id=str(uuid.uuid4()), company_rut=company_rut, direction="sales",
        dte_type=33, folio=folio, issue_date=date.today(), issuer_rut=company_rut,
        counterparty=Counterparty(rut=rut_from_number(77_777_777), name="Cliente SpA"),
        net=net, vat=vat_of(net), total=net + vat_of(net))
    return CloudEvent.wrap(InvoiceSynced(sync_id=None, document=document),
                           subject=company_rut, correlation_id=document.document_id)


async def commit_events_and_cut_off(database_url: str, admin_url: str,
                                    events: list[CloudEvent]) -> None:
    """Commit outbox rows the relay cannot have seen, as the database goes away: the rows
    commit only after every other session was ended and new ones are refused."""
    database = make_url(database_url).database
    writer = await asyncpg.connect(asyncpg_dsn(database_url))
    admin = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        async with writer.transaction():
            await writer.executemany(
                f"INSERT INTO {outbox.name} (event_id, event_type, correlation_id, body, "
                "created_at) VALUES ($1, $2, $3, $4, $5)",
                [(e.id, e.type, e.correlationid, e.model_dump_json(), datetime.now(UTC))
                 for e in events])
            await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> $2", database, writer.get_server_pid())
    finally:
        await writer.close()
        await admin.close()


def assert_problem_503(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 503 and "database" in body["detail"].lower(), body
    assert "Traceback" not in response.text and "asyncpg" not in response.text


async def test_a_database_outage_is_a_503_and_loses_no_committed_event(
        fault_stack, client, infra):
    company = connect_company(client)
    database_url = fault_stack.invoicing_database_url
    events = [live_event(company.rut, folio) for folio in range(1, LIVE_DOCUMENTS + 1)]
    invoicing = httpx.AsyncClient(base_url=fault_stack.invoicing_url, timeout=30,
                                  auth=client.auth)
    try:
        await commit_events_and_cut_off(database_url, infra.postgres_admin_url, events)
        try:
            started = time.monotonic()
            assert_problem_503(await invoicing.get(f"/v1/companies/{company.rut}/integration"))
            assert_problem_503(await invoicing.post("/v1/companies", json={
                "rut": rut_from_number(76_543_210), "name": "Nueva SpA"}))
            ready = await invoicing.get("/readyz")
            assert ready.status_code == 503, ready.text
            checks = ready.json()["checks"]
            assert checks["broker"] == "ok"
            assert checks["database"].startswith("unavailable")
            assert make_url(database_url).database in checks["database"], checks
            await asyncio.sleep(max(0.0, min(OUTAGE_SECONDS, 10) - (time.monotonic() - started)))
        finally:
            await allow_connections(database_url, infra.postgres_admin_url)

        for _ in range(150):
            if (await invoicing.get("/readyz")).is_success:
                break
            await asyncio.sleep(0.2)
        assert (await invoicing.get(f"/v1/companies/{company.rut}/integration")).is_success
        # The relay published the rows committed as the database went away: the worker
        # proposed them, and accounting holds them in the company's live session.
        live = wait_until_live_documents(client, company.id, LIVE_DOCUMENTS)
        assert sorted(d["document"]["folio"] for d in live) == [1, 2, 3]
        assert await count_rows(database_url, "SELECT count(*) FROM outbox "
                                              "WHERE published_at IS NULL") == 0
    except Exception as error:
        raise AssertionError(f"{error}\n{fault_stack.logs()}") from error
    finally:
        await invoicing.aclose()

