"""SyncRequested: every document of the range, a page per message and per transaction
(with the page of the manifest that lists it), then the count and the totals; a request
delivered again after a crash goes on where the export stopped."""

import asyncio
import uuid
from datetime import date

import httpx
import pytest
from sqlalchemy import select

from deploy.local.auth import GrantingAuth
from invoicing.adapters.tables import sync_exports
from invoicing.bootstrap import build_app
from invoicing.entrypoints.cli import migrate
from invoicing.service_layer.event_handlers import handle_event
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.events import (
    IntegrationApproved,
    InvoicesSynced,
    SyncCompleted,
    SyncManifestPage,
    SyncRequested,
    TaxDocument,
)
from tests.integration.invoicing.conftest import new_rut, outbox_events, settings_for
from tests.support.events import incoming


def sync_requested(company, date_from, date_to) -> SyncRequested:
    return SyncRequested(sync_id=str(uuid.uuid4()), accounting_company_id="acc-1",
                         company_rut=company, date_from=date_from, date_to=date_to)


async def connect(client, container, company, accounting_company_id="acc-1"):
    """The company's integration approved for ``accounting_company_id``: invoicing exports
    only to the accounting company it is connected to."""
    answer = await client.put(f"/v1/companies/{company}/integration",
                              json={"contract_rut": "60805000-0"})
    assert await handle_event(container.uow, incoming(IntegrationApproved(
        request_id=answer.json()["request_id"], company_rut=company, contract_rut="60805000-0",
        accounting_company_id=accounting_company_id)))


async def record(client, company, **fields):
    body = {"direction": "sales", "dte_type": 33, "folio": 1, "issue_date": "2024-03-01",
            "counterparty": {"rut": "12345678-5", "name": "Cliente"},
            "net": 1000, "exempt": 0, "vat": 190, "total": 1190}
    body.update(fields)
    response = await client.post(f"/v1/companies/{company}/documents", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def synced(container, sync_id):
    """The sync's invoices.synced pages, manifest pages and completions in the outbox."""
    found = []
    for contract in (InvoicesSynced, SyncManifestPage, SyncCompleted):
        found.append([e for e in await outbox_events(container, contract.event_type)
                      if e.correlationid == sync_id])
    return found


def documents_of(pages) -> list[TaxDocument]:
    return [d for e in pages for d in e.payload().documents]


class Crash(Exception):
    """The process died: what it had not committed is gone."""


class DiesAfter(UnitOfWork):
    """A unit of work whose process dies after ``commits`` more commits."""

    def __init__(self, container, commits: int):
        super().__init__(container.sessions)
        self.left = commits

    async def commit(self) -> None:
        if self.left == 0:
            raise Crash
        self.left -= 1
        await super().commit()


@pytest.fixture(scope="module")
async def sqlite_invoicing(infra, topology, tmp_path_factory):
    """Invoicing on its embedded default, an SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('invoicing')}/invoicing.db"
    await asyncio.to_thread(migrate, url)
    app = build_app(settings_for(infra, topology, url), background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://invoicing", auth=GrantingAuth()) as client:
        yield client, app.state.container
    await app.state.container.engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def invoicing(request):
    """(client, container) on each database invoicing runs on."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_invoicing")
    return request.getfixturevalue("client"), request.getfixturevalue("container")


async def new_company(client) -> str:
    rut = new_rut()
    response = await client.post("/v1/companies", json={"rut": rut, "name": "Comercial Andes"})
    assert response.status_code == 201, response.text
    return rut


async def test_every_document_in_range_then_the_count(client, company, container):
    inside = []
    for folio, (direction, day, dte) in enumerate([
        ("sales", "2024-02-29", 33),      # the day before: out
        ("sales", "2024-03-01", 33),      # first day: in
        ("purchases", "2024-03-15", 61),  # in
        ("purchases", "2024-03-15", 34),  # in
        ("sales", "2024-03-31", 61),      # last day: in
        ("sales", "2024-04-01", 33),      # the day after: out
    ], start=1):
        extra = {"references": [{"dte_type": 33, "folio": 1, "code": 3}]} if dte == 61 else {}
        doc = await record(client, company, direction=direction, dte_type=dte, folio=folio,
                           issue_date=day, **extra)
        if "2024-03-01" <= day <= "2024-03-31":
            inside.append(doc)
    # Another company's documents in the same range are not sent.
    other = new_rut()
    await client.post("/v1/companies", json={"rut": other, "name": "Otra"})
    await record(client, other, issue_date="2024-03-10")
    await connect(client, container, company)

    request = sync_requested(company, date(2024, 3, 1), date(2024, 3, 31))
    # A small page size makes the handler walk several keyset pages.
    assert await handle_event(container.uow, incoming(request), sync_page_size=3)

    pages, manifest_pages, [completed] = await synced(container, request.sync_id)
    done = completed.payload()
    assert (done.sync_id, done.company_rut, done.document_count) == (
        request.sync_id, company, len(inside))
    # Four documents in pages of three: two messages, numbered from 1, in keyset order.
    assert [(p.payload().page, len(p.payload().documents)) for p in pages] == [(1, 3), (2, 1)]
    documents = documents_of(pages)
    # The manifest: one line per (month, direction, tipo) in sync.completed, and every
    # document by its key in manifest pages that match the pages of documents.
    assert [(m.month, m.direction, m.dte_type, m.count, m.total) for m in done.manifest.lines] == [
        ("2024-03", "purchases", 34, 1, 1190), ("2024-03", "purchases", 61, 1, 1190),
        ("2024-03", "sales", 33, 1, 1190), ("2024-03", "sales", 61, 1, 1190)]
    assert done.manifest.documents == () and done.manifest_pages == 2
    assert [(m.payload().page, [(d.document_key, d.total, d.issue_date)
                                for d in m.payload().documents]) for m in manifest_pages] == [
        (p.payload().page, [(d.document_key, d.total, d.issue_date)
                            for d in p.payload().documents]) for p in pages]
    assert completed.subject == company
    assert len(documents) == len(inside) == 4
    assert all(e.subject == company for e in pages + manifest_pages)
    payloads = [e.payload() for e in pages + manifest_pages]
    assert {(p.sync_id, p.company_rut) for p in payloads} == {(request.sync_id, company)}
    assert [d.document_id for d in documents] == [d["id"] for d in inside]
    credit_note = next(d for d in documents if d.dte_type == 61
                       and d.direction == "purchases")
    assert credit_note == TaxDocument(
        document_id=credit_note.document_id, company_rut=company, direction="purchases",
        dte_type=61, folio=3, issue_date=date(2024, 3, 15), issuer_rut="12345678-5",
        counterparty={"rut": "12345678-5", "name": "Cliente"}, net=1000, exempt=0, vat=190,
        total=1190, references=[{"dte_type": 33, "folio": 1, "code": 3}],
    )
    # The completion comes after every document.
    assert max(e.time for e in pages + manifest_pages) <= completed.time


async def test_the_same_sync_event_twice_emits_nothing_more(client, company, container):
    await record(client, company)
    await connect(client, container, company)
    request = sync_requested(company, date(2024, 1, 1), date(2024, 12, 31))
    event_id = str(uuid.uuid4())
    assert await handle_event(container.uow, incoming(request, event_id)) is True
    assert await handle_event(container.uow, incoming(request, event_id)) is False
    # A new request for the finished export (accounting resuming a session that never
    # heard the end) sends no page again, only the completion, the same as before.
    assert await handle_event(container.uow, incoming(request)) is False
    pages, manifest_pages, completed = await synced(container, request.sync_id)
    assert (len(pages), len(manifest_pages), len(completed)) == (1, 1, 2)
    assert completed[0].payload() == completed[1].payload()
    assert completed[0].id != completed[1].id


async def test_an_empty_range_completes_with_zero(client, company, container):
    await connect(client, container, company)
    request = sync_requested(company, date(2020, 1, 1), date(2020, 1, 31))
    await handle_event(container.uow, incoming(request))
    pages, manifest_pages, [completed] = await synced(container, request.sync_id)
    assert pages == manifest_pages == []
    assert (completed.payload().document_count, completed.payload().manifest_pages) == (0, 0)


async def test_an_unknown_company_completes_with_zero(container, caplog):
    request = sync_requested(new_rut(), date(2024, 1, 1), date(2024, 1, 31))
    await handle_event(container.uow, incoming(request))
    pages, manifest_pages, [completed] = await synced(container, request.sync_id)
    assert pages == manifest_pages == [] and completed.payload().document_count == 0
    assert "does not know" in caplog.text


async def test_a_full_last_page_sends_no_empty_page(client, company, container):
    for folio in range(1, 7):
        await record(client, company, folio=folio, issue_date=f"2024-05-{folio:02d}")
    await connect(client, container, company)
    request = sync_requested(company, date(2024, 5, 1), date(2024, 5, 31))
    assert await handle_event(container.uow, incoming(request), sync_page_size=3)
    pages, manifest_pages, [completed] = await synced(container, request.sync_id)
    assert [len(p.payload().documents) for p in pages] == [3, 3]
    assert [len(p.payload().documents) for p in manifest_pages] == [3, 3]
    assert (completed.payload().document_count, completed.payload().manifest_pages) == (6, 2)


async def test_each_page_commits_and_a_redelivery_resumes_after_it(invoicing):
    client, container = invoicing
    company = await new_company(client)
    folios = range(1, 12)  # eleven documents: pages of 3, 3, 3, 2
    for folio in folios:
        await record(client, company, folio=folio, issue_date=f"2024-06-{folio:02d}",
                     net=1000 * folio, vat=190 * folio, total=1190 * folio)
    await connect(client, container, company)
    request = sync_requested(company, date(2024, 6, 1), date(2024, 6, 30))
    event_id = str(uuid.uuid4())

    # The process dies while it sends the third page: the first two are committed (the
    # relay may publish them already), the request is not marked processed.
    with pytest.raises(Crash):
        await handle_event(lambda: DiesAfter(container, 2), incoming(request, event_id),
                           sync_page_size=3)
    pages, manifest_pages, completed = await synced(container, request.sync_id)
    assert [p.payload().page for p in pages] == [p.payload().page for p in manifest_pages] == [
        1, 2]
    assert completed == []
    async with container.uow() as uow:
        assert not await uow.processed(event_id)
        export = (await uow.session.execute(
            select(sync_exports).where(sync_exports.c.sync_id == request.sync_id))).one()
    assert (export.pages, export.document_count, export.completed_at) == (2, 6, None)
    assert export.after_folio == 6

    # The broker delivers the request again: the export goes on after page 2.
    assert await handle_event(container.uow, incoming(request, event_id), sync_page_size=3) is True
    pages, manifest_pages, [completed] = await synced(container, request.sync_id)
    assert [p.payload().page for p in pages] == [1, 2, 3, 4]
    assert [p.payload().page for p in manifest_pages] == [1, 2, 3, 4]
    # Every document once, none lost or doubled, in the pages and in the manifest.
    assert [d.folio for d in documents_of(pages)] == list(folios)
    assert sorted(d.document_key for d in documents_of(manifest_pages)) == sorted(
        d.document_key for d in documents_of(pages))
    done = completed.payload()
    assert (done.document_count, done.manifest_pages) == (11, 4)
    # The totals run across the crash: the pages sent before it count once.
    [line] = done.manifest.lines
    assert (line.month, line.count, line.net, line.vat, line.total) == (
        "2024-06", 11, 66_000, 12_540, 78_540)
    async with container.uow() as uow:
        assert await uow.processed(event_id)
    # Delivered once more, the finished request changes nothing.
    assert await handle_event(container.uow, incoming(request, event_id), sync_page_size=3) is False
    assert [len(found) for found in await synced(container, request.sync_id)] == [4, 4, 1]


async def test_a_crash_before_the_first_page_commits_starts_over(invoicing):
    client, container = invoicing
    company = await new_company(client)
    await record(client, company, folio=1, issue_date="2024-07-01")
    await connect(client, container, company)
    request = sync_requested(company, date(2024, 7, 1), date(2024, 7, 31))
    with pytest.raises(Crash):
        await handle_event(lambda: DiesAfter(container, 0), incoming(request))
    assert [len(found) for found in await synced(container, request.sync_id)] == [0, 0, 0]
    assert await handle_event(container.uow, incoming(request)) is True
    pages, manifest_pages, [completed] = await synced(container, request.sync_id)
    assert (len(pages), len(manifest_pages), completed.payload().document_count) == (1, 1, 1)
