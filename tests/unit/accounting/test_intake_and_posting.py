"""Intake of the worker's proposals (proposals.receive) and posting (posting.py), on the fake
unit of work: where each proposal goes, what a redelivered batch changes (nothing), the
refusals, live documents posted at once with auto-post, and the rules posting checks
again."""

from dataclasses import replace
from datetime import date

import pytest

from accounting.domain.errors import Conflict, NotFound, Unprocessable
from accounting.domain.settings import IntegrationOptions
from accounting.domain.syncs import DocumentStatus, SyncKind, SyncStatus
from accounting.service_layer import proposals, syncs
from accounting.service_layer.posting import post_documents
from shared.events import EntryPosted
from shared.internal_api import STALE_SETTINGS, Proposal, ProposalBatch, ProposalResult
from tests.unit.accounting.fakes import FakeBooks, FakeServices
from tests.unit.accounting.samples import (
    COMPANY,
    COMPANY_ID,
    CUSTOMER,
    SYNC_ID,
    books_of_a_company,
    collection,
    factura,
    key,
    posted_before,
    with_range_sync,
)


async def receive(services: FakeServices, *batch: Proposal,
                  versions: dict[str, int] | None = None) -> ProposalResult:
    return await proposals.receive(services, ProposalBatch(proposals=list(batch),
                                                           settings_versions=versions))


def live(folio: int) -> Proposal:
    return factura(folio, date(2024, 5, folio), sync_id=None)


def live_session(books: FakeBooks):
    [session] = [s for s in books.syncs.sessions.values() if s.kind == SyncKind.LIVE]
    return session


def with_auto_post(books: FakeBooks) -> FakeBooks:
    books.settings.options[COMPANY_ID] = IntegrationOptions(auto_post=True)
    return books


# --- a range session's proposals -----------------------------------------------------------


async def test_a_batch_is_stored_counted_and_completes_its_session():
    services = FakeServices(with_range_sync(expected=2))
    result = await receive(services, factura(1, date(2024, 3, 1)), factura(2, date(2024, 3, 2)))

    assert result == ProposalResult(accepted=2, duplicates=0)
    sync = services.books.syncs.sessions[SYNC_ID]
    assert (sync.received, sync.status) == (2, SyncStatus.IN_REVIEW)
    assert [d.source_key for d in services.books.syncs.of_session(SYNC_ID)] == [key(1), key(2)]
    assert services.books.journal.counterparties == {(COMPANY_ID, CUSTOMER): "Cliente SpA"}
    assert services.commits == 1


async def test_a_redelivered_batch_or_a_proposal_twice_in_one_is_stored_once():
    services = FakeServices(with_range_sync(expected=3))
    first = factura(1, date(2024, 3, 1))
    assert await receive(services, first, first) == ProposalResult(accepted=1, duplicates=1)
    stored = dict(services.books.syncs.documents)

    again = await receive(services, first)

    assert again == ProposalResult(accepted=0, duplicates=1)
    assert services.books.syncs.documents == stored
    assert services.books.syncs.sessions[SYNC_ID].received == 1


async def test_a_rut_known_under_another_name_is_noted_and_keeps_its_first_name():
    services = FakeServices(with_range_sync(expected=2))
    await receive(services, factura(1, date(2024, 3, 1)))
    await receive(services, factura(2, date(2024, 3, 2), name="Cliente Limitada"))

    noted = services.books.syncs.by_key(key(2))
    assert noted.status == DocumentStatus.READY  # noted, not held
    assert noted.note == (f"RUT {CUSTOMER} is already known as 'Cliente SpA', but this names "
                          "it 'Cliente Limitada': the auxiliary keeps 'Cliente SpA'; check the "
                          "RUT if they are not the same")
    assert services.books.journal.counterparties[(COMPANY_ID, CUSTOMER)] == "Cliente SpA"


async def test_proposals_for_an_unknown_session_or_another_company_are_refused():
    services = FakeServices(with_range_sync())
    with pytest.raises(NotFound, match="no sync session with id s-9"):
        await receive(services, factura(1, date(2024, 3, 1), sync_id="s-9"))
    other = factura(1, date(2024, 3, 1)).model_copy(update={"company_rut": CUSTOMER})
    with pytest.raises(Unprocessable, match=f"is for company {CUSTOMER}, but sync session"):
        await receive(services, other)
    assert services.books.syncs.documents == {}
    assert services.commits == 0


async def test_a_batch_built_with_settings_that_changed_since_is_refused_whole():
    books = with_range_sync()
    books.settings.versions[COMPANY_ID] = 4
    services = FakeServices(books)

    with pytest.raises(Conflict) as refused:
        await receive(services, factura(1, date(2024, 3, 1)), versions={COMPANY_ID: 3})

    assert refused.value.type == STALE_SETTINGS
    assert refused.value.extra["stale"] == [{
        "accounting_company_id": COMPANY_ID, "company_ruts": [COMPANY], "version": 4,
        "used": 3}]
    assert books.syncs.documents == {} and services.commits == 0
    # Built again with the current version, it is stored.
    result = await receive(services, factura(1, date(2024, 3, 1)), versions={COMPANY_ID: 4})
    assert result.accepted == 1


# --- live proposals --------------------------------------------------------------------------


async def test_a_live_proposal_needs_an_approved_link():
    services = FakeServices(books_of_a_company(linked=False))
    with pytest.raises(NotFound, match=f"linked to the invoicing company {COMPANY}"):
        await receive(services, live(1))
    assert services.books.syncs.sessions == {}


async def test_live_proposals_wait_in_the_live_session_without_auto_post():
    services = FakeServices(books_of_a_company())
    await receive(services, live(1))
    await receive(services, live(2))

    session = live_session(services.books)
    assert (session.status, session.received) == (SyncStatus.IN_REVIEW, 2)
    assert {d.status for d in services.books.syncs.of_session(session.id)} == {
        DocumentStatus.READY}
    assert services.books.journal.entries == {} and services.books.outbox == []


async def test_with_auto_post_a_live_document_posts_at_once_and_once_only():
    services = FakeServices(with_auto_post(books_of_a_company()))
    await receive(services, live(1), live(2))

    books = services.books
    assert sorted(e.source_key for e in books.journal.entries.values()) == [key(1), key(2)]
    assert [e.type for e in books.outbox] == [EntryPosted.event_type] * 2
    assert {e.data["source_key"]: e.data["number"] for e in books.outbox} == {
        key(1): 1, key(2): 2}
    # The company's lock made the live session, and served the posting too.
    assert books.companies.locked == [COMPANY_ID]
    # Into the session that exists now: locked once, before the books are read.
    await receive(services, live(3))
    assert books.companies.locked == [COMPANY_ID, COMPANY_ID]
    assert len(books.journal.entries) == 3

    # The live event again, even after its session was confirmed: nothing new.
    await syncs.confirm(services, live_session(books).id)
    assert await receive(services, live(1)) == ProposalResult(accepted=0, duplicates=1)
    assert len(books.journal.entries) == 3 and len(books.outbox) == 3


async def test_a_live_payment_a_range_sync_brought_is_the_same_payment():
    books = with_range_sync(expected=2)
    services = FakeServices(books)
    await receive(services, factura(1, date(2024, 3, 1)), collection("p-1", 1))

    again = await receive(services, collection("p-1", 1, sync_id=None))

    assert again == ProposalResult(accepted=0, duplicates=1)
    assert [s.kind for s in books.syncs.sessions.values()] == [SyncKind.RANGE]


# --- posting ------------------------------------------------------------------------------


async def test_posting_holds_what_the_chart_no_longer_allows_and_posts_the_rest():
    services = FakeServices(with_range_sync(expected=2))
    await receive(services, factura(1, date(2024, 3, 1)), factura(2, date(2024, 3, 2)))
    # Between intake and confirm 4101 became inactive; factura 2 is moved to another.
    chart = services.books.companies.charts[COMPANY_ID]
    chart["4101"] = replace(chart["4101"], active=False)
    document = services.books.syncs.by_key(key(2))
    await syncs.change_detail_account(services, SYNC_ID, document.id, "4102")

    summary = await syncs.confirm(services, SYNC_ID)

    assert (summary["posted"], summary["held"]) == (1, 1)
    held = services.books.syncs.by_key(key(1))
    assert held.status == DocumentStatus.HELD
    assert held.hold_reason == "account 4101 'Ventas' (detail line) is inactive"
    [entry] = services.books.journal.entries.values()
    assert (entry.number, entry.source_key, entry.total) == (1, key(2), 119_000)


async def test_post_documents_posts_each_entry_with_its_own_event_and_no_key_twice():
    services = FakeServices(books_of_a_company())
    await receive(services, live(1), live(2))
    books = services.books
    session = live_session(books)
    await posted_before(books, key(2))  # by another session, since intake
    uow = services.uow()

    async with uow:
        assert await post_documents(uow, session, books.syncs.of_session(session.id)) == 1
        await uow.commit()

    first, second = books.syncs.of_session(session.id)
    assert (first.status, second.status) == (DocumentStatus.POSTED,
                                             DocumentStatus.ALREADY_POSTED)
    assert second.entry_id is None
    [posted] = books.outbox
    assert (posted.type, posted.subject, posted.data["source_key"], posted.data["number"]) == (
        EntryPosted.event_type, first.entry_id, key(1), 2)
