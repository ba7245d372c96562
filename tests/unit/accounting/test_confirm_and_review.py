"""A sync session's review and confirm, on the fake unit of work: how a session moves
(completed, refused, resumed, confirmed), what each refusal says, what confirm posts and
stages in the outbox, and that confirming again, or after a confirm that stopped half way,
posts nothing twice."""

from dataclasses import replace
from datetime import date

import pytest

from accounting.domain.errors import Conflict, NotFound, Unprocessable
from accounting.domain.payments import AWAITING_DOCUMENT
from accounting.domain.remembered import AccountSource, Origin
from accounting.domain.syncs import DocumentStatus, SyncStatus
from accounting.service_layer import proposals, syncs
from shared.events import EntriesPosted, SyncCompleted, SyncRefused, SyncRequested
from shared.internal_api import Proposal, ProposalBatch
from tests.unit.accounting.fakes import FakeBooks, FakeServices
from tests.unit.accounting.samples import (
    COMPANY,
    COMPANY_ID,
    CUSTOMER,
    SYNC_ID,
    collection,
    factura,
    key,
    with_range_sync,
)


async def in_review(*batch: Proposal, page_size: int = 2) -> FakeServices:
    """A range session that received the batch, all it expected: in review."""
    services = FakeServices(with_range_sync(expected=len(batch)), page_size=page_size)
    await proposals.receive(services, ProposalBatch(proposals=list(batch)))
    assert session(services.books).status == SyncStatus.IN_REVIEW
    return services


def march(*folios: int) -> list[Proposal]:
    return [factura(folio, date(2024, 3, folio)) for folio in folios]


def session(books: FakeBooks):
    return books.syncs.sessions[SYNC_ID]


def numbered(books: FakeBooks) -> list[tuple[int, str | None]]:
    return sorted((e.number, e.source_key) for e in books.journal.entries.values())


# --- confirm ---------------------------------------------------------------------------


async def test_confirm_posts_the_ready_documents_page_by_page_and_confirms_the_session():
    services = await in_review(*march(3, 1, 2))
    books, events_before = services.books, len(services.books.outbox)

    summary = await syncs.confirm(services, SYNC_ID)

    assert summary == {"id": SYNC_ID, "status": SyncStatus.CONFIRMED, "posted": 3, "held": 0,
                       "already_posted": 0}
    assert session(books).status == SyncStatus.CONFIRMED
    assert session(books).confirmed_at is not None
    # Numbered in the documents' date order, consecutively, the company's counter moved on.
    assert numbered(books) == [(1, key(1)), (2, key(2)), (3, key(3))]
    assert books.companies.companies[COMPANY_ID].last_entry_number == 3
    for document in books.syncs.of_session(SYNC_ID):
        assert document.status == DocumentStatus.POSTED
        assert books.journal.entries[document.entry_id].source_key == document.source_key
    # One EntriesPosted per page (of two), each naming the entries it posted.
    pages = books.outbox[events_before:]
    assert [e.type for e in pages] == [EntriesPosted.event_type] * 2
    assert [[p["number"] for p in e.data["entries"]] for e in pages] == [[1, 2], [3]]
    assert {(e.subject, e.data["sync_id"], e.data["company_rut"]) for e in pages} == {
        (SYNC_ID, SYNC_ID, COMPANY)}


async def test_confirming_again_answers_the_same_and_posts_nothing_twice():
    services = await in_review(*march(1, 2, 3))
    first = await syncs.confirm(services, SYNC_ID)
    events = len(services.books.outbox)

    assert await syncs.confirm(services, SYNC_ID) == first
    assert len(services.books.journal.entries) == 3
    assert len(services.books.outbox) == events  # no page posted, no event


async def test_a_confirm_that_stopped_half_way_is_resumed_and_posts_only_the_rest():
    services = await in_review(*march(1, 2, 3))
    journal = services.books.journal
    take = journal.take_entry_numbers
    calls = 0

    async def fails_on_the_second_page(company_id: str, count: int) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("the database went away")
        return await take(company_id, count)

    journal.take_entry_numbers = fails_on_the_second_page
    with pytest.raises(ConnectionError):
        await syncs.confirm(services, SYNC_ID)
    assert session(services.books).status == SyncStatus.CONFIRMING
    assert numbered(services.books) == [(1, key(1)), (2, key(2))]

    journal.take_entry_numbers = take
    view = await syncs.resume(services, SYNC_ID)

    assert view["status"] == SyncStatus.CONFIRMED
    assert (view["posted"], view["ready"]) == (3, 0)
    assert numbered(services.books) == [(1, key(1)), (2, key(2)), (3, key(3))]


async def test_confirm_refuses_a_session_still_receiving_and_changes_nothing():
    services = FakeServices(with_range_sync(expected=3))
    await proposals.receive(services, ProposalBatch(proposals=march(1)))
    commits = services.commits

    with pytest.raises(Conflict) as refused:
        await syncs.confirm(services, SYNC_ID)

    assert refused.value.title == "Sync session not in review"
    assert "still receiving documents: 1 of 3 arrived" in str(refused.value)
    assert services.commits == commits
    assert session(services.books).status == SyncStatus.RECEIVING
    assert services.books.journal.entries == {}


async def test_confirm_refuses_a_session_invoicing_refused_with_its_reason():
    books = with_range_sync()
    books.syncs.sessions[SYNC_ID] = replace(session(books), status=SyncStatus.REFUSED,
                                            detail="the company is integrated elsewhere")
    with pytest.raises(Conflict) as refused:
        await syncs.confirm(FakeServices(books), SYNC_ID)
    assert refused.value.title == "Sync session refused"
    assert "the company is integrated elsewhere" in str(refused.value)


async def test_confirm_of_a_session_that_does_not_exist_is_not_found():
    with pytest.raises(NotFound, match="no sync session with id nope"):
        await syncs.confirm(FakeServices(with_range_sync()), "nope")


async def test_confirm_posts_a_range_syncs_payments_after_the_documents_they_settle():
    services = await in_review(collection("p-1", 1), *march(1), page_size=10)
    await syncs.confirm(services, SYNC_ID)
    assert numbered(services.books) == [(1, key(1)), (2, "payment:p-1")]


# --- the session's progress: completed, refused, resumed -------------------------------


def completed(document_count: int, payment_count: int = 0) -> SyncCompleted:
    return SyncCompleted(sync_id=SYNC_ID, company_rut=COMPANY, document_count=document_count,
                         payment_count=payment_count)


async def test_completion_puts_a_session_in_review_and_holds_a_payment_whose_factura_is_missing():
    services = FakeServices(with_range_sync())
    # Before invoicing says how many: the session only counts what arrived.
    await proposals.receive(services, ProposalBatch(proposals=[
        collection("p-8", 8), *march(1)]))
    assert session(services.books).status == SyncStatus.RECEIVING

    uow = services.uow()
    async with uow:
        await syncs.on_sync_completed(uow, completed(1, payment_count=1))
        await uow.commit()

    books = services.books
    assert (session(books).status, session(books).expected) == (SyncStatus.IN_REVIEW, 2)
    waiting = books.syncs.by_key("payment:p-8")
    assert (waiting.status, waiting.hold_code) == (DocumentStatus.HELD, AWAITING_DOCUMENT)
    assert books.syncs.by_key(key(1)).status == DocumentStatus.READY


async def test_completion_of_an_unknown_or_confirmed_session_moves_nothing():
    services = await in_review(*march(1))
    await syncs.confirm(services, SYNC_ID)
    confirmed = session(services.books)
    uow = services.uow()
    async with uow:
        await syncs.on_sync_completed(uow, completed(5))
        await syncs.on_sync_completed(uow, replace_sync_id(completed(5), "other"))
    assert session(services.books) == confirmed


def replace_sync_id(event: SyncCompleted, sync_id: str) -> SyncCompleted:
    return event.model_copy(update={"sync_id": sync_id})


async def test_a_refusal_from_invoicing_closes_the_session_with_its_reason():
    books = with_range_sync()
    uow = FakeServices(books).uow()
    refusal = SyncRefused(sync_id=SYNC_ID, company_rut=COMPANY,
                          accounting_company_id=COMPANY_ID, reason="integrated elsewhere")
    async with uow:
        await syncs.on_sync_refused(uow, refusal)
    assert (session(books).status, session(books).detail) == (
        SyncStatus.REFUSED, "integrated elsewhere")


@pytest.mark.parametrize("status, company_id", [
    (SyncStatus.CONFIRMED, COMPANY_ID),  # too late: its entries are posted
    (SyncStatus.RECEIVING, "another-company"),  # not this session's company
])
async def test_a_refusal_that_does_not_fit_the_session_is_ignored(status, company_id):
    books = with_range_sync(status)
    uow = FakeServices(books).uow()
    async with uow:
        await syncs.on_sync_refused(uow, SyncRefused(
            sync_id=SYNC_ID, company_rut=COMPANY, accounting_company_id=company_id,
            reason="no"))
    assert session(books).status == status


async def test_resuming_a_session_still_receiving_asks_invoicing_again():
    services = FakeServices(with_range_sync(expected=3))
    view = await syncs.resume(services, SYNC_ID)
    [asked] = services.books.outbox
    assert asked.type == SyncRequested.event_type
    assert asked.data == {"sync_id": SYNC_ID, "accounting_company_id": COMPANY_ID,
                          "company_rut": COMPANY, "date_from": "2024-03-01",
                          "date_to": "2024-03-31"}
    assert view["status"] == SyncStatus.RECEIVING
    assert session(services.books).progress_at is not None


async def test_resuming_a_session_in_review_is_refused_with_what_to_do():
    services = await in_review(*march(1))
    with pytest.raises(Conflict, match=r"in_review.*confirm it to post its documents"):
        await syncs.resume(services, SYNC_ID)
    assert services.books.journal.entries == {}


# --- review: a document's detail account -------------------------------------------------


async def test_a_changed_detail_account_is_posted_and_remembered_for_the_counterparty():
    services = await in_review(*march(1, 2))
    document = services.books.syncs.by_key(key(1))

    view = await syncs.change_detail_account(services, SYNC_ID, document.id, "4102")

    assert [(line["account_code"], line["account_name"]) for line in view["entry"]["lines"]
            if line["role"] == "detail"] == [("4102", "Ventas de Servicios")]
    assert view["account_source"] == AccountSource.CHOSEN
    assert "4102 'Ventas de Servicios'" in view["note"]
    changed = services.books.syncs.documents[document.id]
    assert changed.account_source == AccountSource.CHOSEN

    await syncs.confirm(services, SYNC_ID)
    entry = services.books.journal.entries[services.books.syncs.documents[document.id].entry_id]
    assert [line.account_code for line in services.books.journal.lines[entry.id]] == [
        "1105", "4102", "2111"]
    [learnt] = services.books.remembered.records.values()
    assert (learnt.direction, learnt.counterparty_rut, learnt.account_code, learnt.origin,
            learnt.source_key) == ("sales", CUSTOMER, "4102", Origin.REVIEW, key(1))


async def test_an_account_that_cannot_be_the_detail_is_refused_field_by_field():
    services = await in_review(*march(1))
    document = services.books.syncs.by_key(key(1))
    with pytest.raises(Unprocessable) as refused:
        await syncs.change_detail_account(services, SYNC_ID, document.id, "1101")
    assert [e["field"] for e in refused.value.extra["errors"]] == ["detail_account"]
    assert "an asset account" in str(refused.value)
    assert services.books.syncs.documents[document.id] == document


async def test_only_a_ready_document_of_an_open_session_can_change_its_detail_account():
    services = await in_review(collection("p-1", 1), *march(1, 2), page_size=10)
    books = services.books
    payment = books.syncs.by_key("payment:p-1")
    held = replace(books.syncs.by_key(key(2)), status=DocumentStatus.HELD,
                   hold_reason="period 2024-03 is closed")
    books.syncs.documents[held.id] = held

    with pytest.raises(Conflict, match="This is a payment"):
        await syncs.change_detail_account(services, SYNC_ID, payment.id, "4102")
    with pytest.raises(Conflict, match="The document is held .* period 2024-03 is closed"):
        await syncs.change_detail_account(services, SYNC_ID, held.id, "4102")
    with pytest.raises(NotFound, match=f"Sync session {SYNC_ID} has no document nope"):
        await syncs.change_detail_account(services, SYNC_ID, "nope", "4102")

    await syncs.confirm(services, SYNC_ID)
    posted = books.syncs.by_key(key(1))
    with pytest.raises(Conflict, match="posted entries cannot change"):
        await syncs.change_detail_account(services, SYNC_ID, posted.id, "4102")
