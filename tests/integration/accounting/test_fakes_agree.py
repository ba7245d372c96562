"""The fake unit of work (tests/unit/accounting/fakes.py) answers as the real one: one sync
— intake with a held document, a payment waiting for its factura, a changed detail
account, confirm, a redelivered batch, a live document auto-posted — run on the fakes and
on the real repositories (PostgreSQL and SQLite) leaves the same documents, entries,
sessions and events. The unit tests trust the fakes; this keeps them honest."""

import asyncio
import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from accounting.adapters.tables import (
    DOCUMENT_COLUMNS,
    documents_with_state,
    journal_entries,
    journal_lines,
    outbox,
    sync_sessions,
)
from accounting.domain.settings import IntegrationOptions, InvoiceSettings
from accounting.entrypoints.cli import migrate
from accounting.service_layer import proposals, syncs
from accounting.service_layer.unit_of_work import Services
from shared.db import create_engine, session_factory
from shared.internal_api import ProposalBatch
from tests.unit.accounting.fakes import FakeBooks, FakeServices
from tests.unit.accounting.samples import (
    CHART,
    COMPANY,
    COMPANY_ID,
    CREATED,
    SYNC_ID,
    collection,
    factura,
    key,
    range_sync,
    with_range_sync,
)

CONTRACT = "78000000-7"
RANGE = [factura(1, date(2024, 3, 1)), factura(2, date(2024, 3, 2), credit=90_000),
         factura(3, date(2024, 4, 3)), collection("p-1", 1), collection("p-8", 8)]
LIVE = [factura(10, date(2024, 5, 10), sync_id=None),
        factura(11, date(2024, 5, 11), sync_id=None)]


async def one_sync(services: Any) -> dict[str, Any]:
    """The flow, through the use cases only; what each answered."""
    answers: dict[str, Any] = {}
    answers["intake"] = await proposals.receive(services, ProposalBatch(proposals=RANGE))
    documents = (await syncs.list_documents(services, SYNC_ID, None, 0, 50))["items"]
    first = next(d for d in documents if d["document"] and d["document"]["folio"] == 1)
    await syncs.change_detail_account(services, SYNC_ID, first["id"], "4102")
    answers["confirm"] = await syncs.confirm(services, SYNC_ID)
    answers["again"] = await proposals.receive(services, ProposalBatch(proposals=RANGE[:2]))
    answers["live"] = await proposals.receive(services, ProposalBatch(proposals=LIVE))
    return answers


async def real_services(url: str) -> tuple[Services, Any]:
    await asyncio.to_thread(migrate, url)
    engine = create_engine(url)
    services = Services(session_factory(engine), page_size=2)
    async with services.uow() as uow:
        await uow.companies.add_contract(CONTRACT, "Contador")
        await uow.companies.add_company({"id": COMPANY_ID, "contract_rut": CONTRACT,
                                         "rut": COMPANY, "name": "Comercial SpA",
                                         "status": "active"}, CHART.values())
        await uow.companies.add_request({
            "id": "r-1", "contract_rut": CONTRACT, "company_rut": COMPANY,
            "company_name": "Comercial SpA", "status": "approved", "requested_at": CREATED,
            "decided_at": CREATED, "company_id": COMPANY_ID})
        await uow.companies.save_link(COMPANY, COMPANY_ID, "r-1")
        await uow.settings.save_settings(COMPANY_ID, InvoiceSettings(),
                                         IntegrationOptions(auto_post=True))
        await uow.syncs.add_sync(replace(range_sync(expected=len(RANGE)),
                                         created_at=datetime.now(UTC)))
        await uow.commit()
    return services, engine


def fake_services() -> FakeServices:
    books: FakeBooks = with_range_sync(expected=len(RANGE))
    books.settings.options[COMPANY_ID] = IntegrationOptions(auto_post=True)
    return FakeServices(books, page_size=2)


def lines_of(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [(r.line_no, r.account_code, r.role, r.debit, r.credit) for r in rows]


async def real_outcome(engine: Any) -> dict[str, Any]:
    async with engine.connect() as conn:
        documents = (await conn.execute(
            select(*DOCUMENT_COLUMNS).select_from(documents_with_state))).all()
        entries = (await conn.execute(select(journal_entries))).all()
        lines = (await conn.execute(select(journal_lines).order_by(
            journal_lines.c.entry_id, journal_lines.c.line_no))).all()
        sessions = (await conn.execute(select(sync_sessions))).all()
        events = (await conn.execute(select(outbox.c.event_type, outbox.c.body))).all()
    by_entry: dict[str, list[Any]] = {}
    for line in lines:
        by_entry.setdefault(line.entry_id, []).append(line)
    return outcome(documents, entries, by_entry, sessions,
                   [(t, json.loads(body)["data"]) for t, body in events])


def fake_outcome(books: FakeBooks) -> dict[str, Any]:
    return outcome(list(books.syncs.documents.values()), list(books.journal.entries.values()),
                   books.journal.lines, list(books.syncs.sessions.values()),
                   [(e.type, e.data) for e in books.outbox])


def outcome(documents: list[Any], entries: list[Any], lines: dict[str, list[Any]],
            sessions: list[Any], events: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = {e.id: e.source_key for e in entries}
    return {
        "documents": sorted((d.source_key, str(d.status), d.hold_code, d.hold_reason,
                             d.note, d.account_source, keys.get(d.entry_id))
                            for d in documents),
        "entries": sorted((e.number, e.source_key, e.total, e.kind, e.entry_date,
                           lines_of(lines[e.id])) for e in entries),
        "sessions": sorted((str(s.kind), str(s.status), s.expected, s.received)
                           for s in sessions),
        "events": Counter(t for t, _ in events),
        "posted": sorted(entry["source_key"] for _, data in events
                         for entry in data.get("entries", [data])),
    }


@pytest.fixture(params=["postgresql", "sqlite"])
async def real(request, infra, tmp_path):
    if request.param == "postgresql":
        url = await infra.create_database("accounting_fakes_agree")
    else:
        url = f"sqlite:///{tmp_path}/accounting.db"
    services, engine = await real_services(url)
    yield services, engine
    await engine.dispose()


async def test_the_fakes_end_where_the_real_repositories_do(real):
    services, engine = real
    fake = fake_services()

    answers = await one_sync(services)
    assert await one_sync(fake) == answers

    expected = await real_outcome(engine)
    assert fake_outcome(fake.books) == expected
    # What the flow is: the test would agree on nothing as well as on this.
    assert expected["posted"] == sorted([key(1), "payment:p-1", key(10), key(11)])
    assert answers["again"].duplicates == 2
