"""What a sync session shows (its view, its documents' review list) and how its manifest
comes whole from pages in any order, on the fake unit of work."""

from datetime import date

import pytest

from accounting.domain.syncs import DocumentStatus, SyncStatus
from accounting.service_layer import manifests, proposals, syncs
from shared.events import (
    ManifestDocument,
    ManifestLine,
    SyncCompleted,
    SyncManifest,
    SyncManifestPage,
)
from shared.internal_api import ProposalBatch
from tests.unit.accounting.fakes import FakeServices
from tests.unit.accounting.samples import (
    COMPANY,
    COMPANY_ID,
    SYNC_ID,
    collection,
    factura,
    key,
    with_range_sync,
)


async def test_the_review_list_shows_each_documents_entry_with_account_names_and_notes():
    services = FakeServices(with_range_sync(expected=3))
    await proposals.receive(services, ProposalBatch(proposals=[
        factura(1, date(2024, 3, 1)), factura(2, date(2024, 3, 2), name="Otro Nombre"),
        collection("p-1", 1)]))

    page = await syncs.list_documents(services, SYNC_ID, None, 0, 2)
    rest = await syncs.list_documents(services, SYNC_ID, None, 2, 2)

    assert (page["total"], page["offset"], page["limit"]) == (3, 0, 2)
    first, second = page["items"]  # by date: the collection of the 20th comes last
    assert first["document"]["folio"] == 1 and second["document"]["folio"] == 2
    [payment] = rest["items"]
    assert (payment["document"], payment["payment"]["payment_id"]) == (None, "p-1")
    assert [(line["account_code"], line["account_name"]) for line in first["entry"]["lines"]] \
        == [("1105", "Clientes"), ("4101", "Ventas"), ("2111", "IVA Débito Fiscal")]
    assert (first["status"], first["note"], first["entry_id"]) == (
        DocumentStatus.READY, None, None)
    assert second["note"].startswith("RUT 77777777-7 is already known as 'Cliente SpA'")
    held = await syncs.list_documents(services, SYNC_ID, DocumentStatus.HELD, 0, 10)
    assert held["total"] == 0 and held["items"] == []


async def test_a_sessions_view_counts_its_documents_by_status():
    services = FakeServices(with_range_sync(expected=2))
    await proposals.receive(services, ProposalBatch(proposals=[
        factura(1, date(2024, 3, 1)), factura(2, date(2024, 4, 2))]))

    view = await syncs.get_sync(services, SYNC_ID)
    [listed] = await syncs.list_syncs(services, COMPANY_ID, None, None)

    assert listed == view
    assert (view["status"], view["expected"], view["received"]) == (SyncStatus.IN_REVIEW, 2, 2)
    assert (view["ready"], view["held"], view["posted"], view["already_posted"]) == (1, 1, 0, 0)
    assert (view["from"], view["to"], view["stalled_reason"]) == (
        date(2024, 3, 1), date(2024, 3, 31), None)


def manifest_page(page: int, *folios: int) -> SyncManifestPage:
    return SyncManifestPage(sync_id=SYNC_ID, company_rut=COMPANY, page=page, documents=tuple(
        ManifestDocument(document_key=key(f), total=119_000, issue_date=date(2024, 3, f))
        for f in folios))


COMPLETED = SyncCompleted(
    sync_id=SYNC_ID, company_rut=COMPANY, document_count=3, manifest_pages=2,
    manifest=SyncManifest(lines=(ManifestLine(month="2024-03", direction="sales", dte_type=33,
                                              count=3, total=357_000),)))


@pytest.mark.parametrize("completion_first", [True, False])
async def test_a_paged_manifest_is_the_sessions_once_every_document_arrived(completion_first):
    services = FakeServices(with_range_sync())
    books = services.books

    async def deliver(*events: object) -> None:
        for event in events:
            uow = services.uow()
            async with uow:
                if isinstance(event, SyncCompleted):
                    await syncs.on_sync_completed(uow, event)
                else:
                    await manifests.on_sync_manifest_page(uow, event)
                await uow.commit()

    pages = [manifest_page(1, 1, 2), manifest_page(1, 1, 2), manifest_page(2, 3)]
    if completion_first:
        await deliver(COMPLETED, *pages[:2])
    else:
        await deliver(*pages[:2], COMPLETED)
    # A page delivered twice counts once: one document is still missing.
    assert not books.syncs.sessions[SYNC_ID].has_manifest

    await deliver(pages[2])

    assert books.syncs.sessions[SYNC_ID].has_manifest
    assert books.syncs.manifests[SYNC_ID] == {"lines": [COMPLETED.manifest.lines[0].model_dump(
        mode="json")], "pages": 2}
    march = await books.manifests.documents_between(SYNC_ID, date(2024, 3, 1),
                                                    date(2024, 3, 2), undated=False)
    assert [d.document_key for d in march] == [key(1), key(2)]
