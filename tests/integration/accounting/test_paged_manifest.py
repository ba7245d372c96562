"""A sync's manifest in pages (invoicing.sync.manifest.v1): its documents stored a row each,
once, whatever order and however often the pages and sync.completed arrive; the session has
a manifest only when it is whole, and the reconciliation against it stays exact. On
PostgreSQL and on SQLite, the embedded default."""

import asyncio
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from accounting.adapters.tables import sync_manifest_documents
from accounting.bootstrap import build_app
from accounting.config import Settings
from accounting.entrypoints.cli import migrate
from accounting.service_layer.handlers import handle_event
from deploy.local.auth import GrantingAuth
from shared.events import SyncCompleted, SyncManifest
from tests.integration.accounting.books_support import Books, manifest_of, manifest_pages
from tests.support.events import incoming


@pytest.fixture(scope="module")
async def sqlite_accounting(infra, topology, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('accounting')}/accounting.db"
    await asyncio.to_thread(migrate, url)
    app = build_app(Settings(database_url=url, amqp_url=infra.amqp_url,
                             event_exchange=topology.exchange,
                             queue_prefix=topology.queue_prefix), background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://accounting", auth=GrantingAuth()) as client:
        yield client, app.state.services
    await app.state.engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def accounting(request):
    """(client, services) on each database accounting runs on."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_accounting")
    return request.getfixturevalue("client"), request.getfixturevalue("services")


async def manifest_rows(services, sync_id: str) -> int:
    async with services.sessions() as session:
        return (await session.execute(
            select(func.count()).select_from(sync_manifest_documents)
            .where(sync_manifest_documents.c.sync_id == sync_id))).scalar_one()


def two_months(books: Books) -> list:
    return [books.doc("sales", 33, 100 + day, date(2024, 1, day), net=1_000 * day)
            for day in range(1, 8)] + [
        books.doc("purchases", 33, 200 + day, date(2024, 2, day), net=500 * day)
        for day in range(1, 6)] + [
        books.doc("sales", 61, 300, date(2024, 2, 20), net=1_000)]


async def test_the_manifest_is_whole_once_its_last_page_arrives(accounting, rut):
    client, services = accounting
    books = await Books.connected(client, services, rut)
    documents = two_months(books)
    sync_id = await books.start_sync("2024-01-01", "2024-02-29")
    await books.send([books.proposal(sync_id, d) for d in documents])
    manifest = manifest_of(documents)
    pages = manifest_pages(sync_id, books.rut, manifest, page_size=4)  # 4, 4, 4, 1
    url = f"/v1/companies/{books.id}/reports/reconciliation"

    # The completion before most pages: the session is in review, its manifest not whole.
    await handle_event(services.uow, incoming(pages[2]))
    await handle_event(services.uow, incoming(SyncCompleted(
        sync_id=sync_id, company_rut=books.rut, document_count=len(documents),
        manifest=SyncManifest(lines=manifest.lines), manifest_pages=len(pages))))
    state = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (state["status"], state["has_manifest"]) == ("in_review", False)
    assert (await client.get(url, params={"month": "2024-01"})).status_code == 409

    # Pages out of order, one delivered again (same event) and one sent again (new event).
    await handle_event(services.uow, incoming(pages[3]))
    event = incoming(pages[0])
    await handle_event(services.uow, event)
    await handle_event(services.uow, event)
    await handle_event(services.uow, incoming(pages[3]))
    assert (await client.get(f"/v1/syncs/{sync_id}")).json()["has_manifest"] is False
    await handle_event(services.uow, incoming(pages[1]))
    assert (await client.get(f"/v1/syncs/{sync_id}")).json()["has_manifest"] is True
    assert await manifest_rows(services, sync_id) == len(documents)

    assert (await client.post(f"/v1/syncs/{sync_id}/confirm")).status_code == 200
    for month, count in (("2024-01", 7), ("2024-02", 6)):
        report = (await client.get(url, params={"month": month})).json()
        assert report["sync_id"] == sync_id
        assert report["balanced"] is True and report["differences"] == []
        assert sum(line["invoicing"]["count"] for line in report["lines"]) == count
        assert all(line["invoicing"] == line["posted"] for line in report["lines"])


async def test_pages_before_the_completion_make_it_whole_at_once(accounting, rut):
    client, services = accounting
    books = await Books.connected(client, services, rut)
    documents = two_months(books)
    sync_id = await books.start_sync("2024-01-01", "2024-02-29")
    await books.send([books.proposal(sync_id, d) for d in documents])
    await books.complete(sync_id, documents, page_size=5)
    assert (await client.get(f"/v1/syncs/{sync_id}")).json()["has_manifest"] is True
    assert await manifest_rows(services, sync_id) == len(documents)
    # A page sent again after the manifest is whole changes nothing.
    for page in manifest_pages(sync_id, books.rut, manifest_of(documents), 5):
        await handle_event(services.uow, incoming(page))
    assert await manifest_rows(services, sync_id) == len(documents)


async def test_a_missing_and_a_changed_document_show_against_the_rows(accounting, rut):
    client, services = accounting
    books = await Books.connected(client, services, rut)
    kept = books.doc("sales", 33, 1, date(2024, 3, 4), net=1_000)
    never_sent = books.doc("sales", 33, 2, date(2024, 3, 5), net=2_000)
    changed = books.doc("sales", 33, 3, date(2024, 3, 6), net=3_000)
    sync_id = await books.start_sync("2024-03-01", "2024-03-31")
    await books.send([books.proposal(sync_id, d) for d in (kept, changed)])
    # Invoicing holds a fourth document, and holds the third with another total.
    invoicing_holds = [kept, never_sent, changed.model_copy(update={"total": 9_999})]
    await books.complete(sync_id, [kept, changed], manifest=manifest_of(invoicing_holds))
    await client.post(f"/v1/syncs/{sync_id}/confirm")
    report = (await client.get(f"/v1/companies/{books.id}/reports/reconciliation",
                               params={"month": "2024-03"})).json()
    statuses = {d["document_key"]: d["status"] for d in report["differences"]}
    assert statuses == {never_sent.document_key: "missing",
                        changed.document_key: "amount_differs"}


async def test_a_manifest_inside_sync_completed_still_reconciles(accounting, rut):
    """As invoicing sent it before manifest pages, and as older sessions keep it."""
    client, services = accounting
    books = await Books.connected(client, services, rut)
    documents = two_months(books)
    sync_id = await books.start_sync("2024-01-01", "2024-02-29")
    await books.send([books.proposal(sync_id, d) for d in documents])
    await books.complete(sync_id, documents[1:], legacy=True)  # one never arrives
    assert (await client.get(f"/v1/syncs/{sync_id}")).json()["has_manifest"] is True
    assert await manifest_rows(services, sync_id) == 0
    await client.post(f"/v1/syncs/{sync_id}/confirm")
    report = (await client.get(f"/v1/companies/{books.id}/reports/reconciliation",
                               params={"month": "2024-01"})).json()
    [difference] = report["differences"]
    assert (difference["document_key"], difference["status"]) == (
        documents[0].document_key, "not_in_invoicing")


async def test_the_last_page_and_the_completion_at_once_make_it_whole(client, services, rut):
    """Two transactions at the same moment on PostgreSQL: whichever commits second sees
    the other's part, so the manifest never stays incomplete."""
    for _ in range(5):
        # A company each: a session receiving these dates refuses a second sync of them.
        books = await Books.connected(client, services, rut)
        documents = two_months(books)
        sync_id = await books.start_sync("2024-01-01", "2024-02-29")
        manifest = manifest_of(documents)
        first, last = manifest_pages(sync_id, books.rut, manifest, page_size=7)
        await handle_event(services.uow, incoming(first))
        await asyncio.gather(
            handle_event(services.uow, incoming(last)),
            handle_event(services.uow, incoming(SyncCompleted(
                sync_id=sync_id, company_rut=books.rut, document_count=len(documents),
                manifest=SyncManifest(lines=manifest.lines), manifest_pages=2))))
        assert (await client.get(f"/v1/syncs/{sync_id}")).json()["has_manifest"] is True
