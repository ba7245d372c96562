"""Intake, the review of a range sync's payments and posting, on a fake unit of work: each
stores what the one classification decides, and what intake stored is what posting
decides again."""

from dataclasses import replace
from datetime import date

from accounting.domain.classification import LATE_ARRIVAL
from accounting.domain.payments import AWAITING_DOCUMENT
from accounting.domain.periods import CLOSED_PERIOD
from accounting.domain.syncs import NOTHING_TO_POST, DocumentStatus, SyncStatus
from accounting.service_layer import proposals
from accounting.service_layer.posting import post_page, read_page
from accounting.service_layer.sync_payments import review_payments
from shared.internal_api import Proposal
from tests.unit.accounting.fakes import FakeBooks, FakeUnitOfWork
from tests.unit.accounting.samples import (
    COMPANY_ID,
    SYNC_ID,
    collection,
    factura,
    key,
    posted_before,
    with_range_sync,
)


def stored(books: FakeBooks) -> dict[str, tuple[str, str | None]]:
    """Each stored document's (status, hold code), by key."""
    return {d.source_key: (d.status, d.hold_code) for d in books.syncs.of_session(SYNC_ID)}


async def intake(books: FakeBooks, batch: list[Proposal]) -> None:
    uow = FakeUnitOfWork(books)
    await proposals._add(uow, books.syncs.sessions[SYNC_ID], batch, {})


async def review(books: FakeBooks) -> None:
    await review_payments(FakeUnitOfWork(books), books.syncs.sessions[SYNC_ID])


async def close(books: FakeBooks, *months: str) -> None:
    for month in months:
        await books.journal.set_period(COMPANY_ID, month, status="closed")


async def confirm(books: FakeBooks) -> int:
    """Post every page of the session, documents first and then payments, as confirm does."""
    uow, sync, posted = FakeUnitOfWork(books), books.syncs.sessions[SYNC_ID], 0
    for payments in (False, True):
        after = None
        while page := await read_page(uow, sync, after, 2, payments=payments):
            posted += await post_page(uow, sync, page)
            after = page.after
    return posted


def posted_keys(books: FakeBooks) -> list[str]:
    return [e.source_key for e in sorted(books.journal.entries.values(),
                                         key=lambda e: e.number)]


async def test_intake_stores_each_documents_decision():
    books = with_range_sync()
    await close(books, "2024-02")
    await posted_before(books, key(4))
    nothing = factura(5, date(2024, 3, 6)).model_copy(update={
        "entry": None, "hold_reason": "a guía de despacho posts nothing",
        "hold_code": NOTHING_TO_POST})
    await intake(books, [
        factura(1, date(2024, 3, 2)), factura(2, date(2024, 4, 1)),
        factura(3, date(2024, 3, 3), credit=90_000), factura(4, date(2024, 3, 4)), nothing])
    assert stored(books) == {
        key(1): ("ready", None), key(2): ("held", None), key(3): ("held", None),
        key(4): ("already_posted", None), key(5): ("held", NOTHING_TO_POST)}
    assert books.syncs.by_key(key(2)).hold_reason.startswith("it is dated 2024-04-01, outside")
    assert books.syncs.by_key(key(3)).hold_reason == (
        "the entry does not balance: debits 119000, credits 109000 (difference 10000)")
    sync = books.syncs.sessions[SYNC_ID]
    assert (sync.received, sync.status) == (5, SyncStatus.RECEIVING)


async def test_intake_into_a_reviewed_session_holds_late_arrivals():
    books = with_range_sync(SyncStatus.CONFIRMED, expected=1)
    await intake(books, [factura(1, date(2024, 3, 2))])
    late = books.syncs.by_key(key(1))
    assert (late.status, late.hold_reason) == ("held", LATE_ARRIVAL)


async def test_a_range_syncs_payment_waits_in_review_and_posts_after_its_factura():
    books = with_range_sync(expected=3)
    # The collection of factura 7 arrives before it; factura 8 never comes.
    await intake(books, [collection("p-7", 7), collection("p-8", 8)])
    await intake(books, [factura(7, date(2024, 3, 7))])
    assert books.syncs.sessions[SYNC_ID].status == SyncStatus.IN_REVIEW
    await review(books)
    assert stored(books) == {"payment:p-7": ("ready", None),
                             "payment:p-8": ("held", AWAITING_DOCUMENT), key(7): ("ready", None)}

    assert await confirm(books) == 2
    assert posted_keys(books) == [key(7), "payment:p-7"]
    # Posting checked again and found factura 8 still not posted: its words now say so.
    waiting = books.syncs.by_key("payment:p-8")
    assert (waiting.status, waiting.hold_code) == ("held", AWAITING_DOCUMENT)
    assert waiting.hold_reason.startswith("it settles tipo 33 N° 8, which is not posted")


async def test_review_makes_ready_again_a_payment_whose_factura_came():
    books = with_range_sync(expected=2)
    await intake(books, [collection("p-9", 9)])
    await review(books)
    assert books.syncs.by_key("payment:p-9").hold_code == AWAITING_DOCUMENT
    await intake(books, [factura(9, date(2024, 3, 9))])
    await review(books)
    assert {status for status, _ in stored(books).values()} == {"ready"}


async def test_posting_holds_what_a_closed_month_or_the_books_now_refuse():
    books = with_range_sync(expected=3)
    await intake(books, [factura(1, date(2024, 3, 1)), factura(2, date(2024, 3, 2)),
                         factura(3, date(2024, 3, 3))])
    # Between review and confirm: March is closed, and another session posted factura 2.
    await close(books, "2024-03")
    await posted_before(books, key(2))
    assert await confirm(books) == 0
    assert stored(books) == {key(1): ("held", CLOSED_PERIOD),
                             key(2): ("already_posted", None), key(3): ("held", CLOSED_PERIOD)}
    await books.journal.set_period(COMPANY_ID, "2024-03", status="open")  # reopened
    # What waited for the month posts now, the rest stays.
    assert await confirm(books) == 2
    assert posted_keys(books) == [key(2), key(1), key(3)]
    assert [e.total for e in books.journal.entries.values() if e.sync_id == SYNC_ID] == [
        119_000, 119_000]



async def read_then_post(books: FakeBooks, between) -> int:
    """One page read ahead, something done to the books (``between``), then the page
    posted: what confirm does while another session or a reversal runs beside it."""
    uow, sync = FakeUnitOfWork(books), books.syncs.sessions[SYNC_ID]
    page = await read_page(uow, sync, None, 10)
    assert page is not None
    await between()
    return await post_page(uow, sync, page)


async def test_a_page_does_not_post_what_another_session_posted_after_it_was_read():
    books = with_range_sync(expected=2)
    await intake(books, [factura(1, date(2024, 3, 1)), factura(2, date(2024, 3, 2))])
    assert await read_then_post(books, lambda: posted_before(books, key(2))) == 1
    assert stored(books) == {key(1): ("posted", None), key(2): ("already_posted", None)}
    assert posted_keys(books).count(key(2)) == 1


async def test_a_page_posts_what_a_reversal_freed_after_it_was_read():
    books = with_range_sync(expected=1)
    await posted_before(books, key(1))
    await intake(books, [factura(1, date(2024, 3, 1))])
    # Intake found it posted; the accountant makes it ready again and reverses the entry.
    books.syncs.documents[books.syncs.by_key(key(1)).id] = replace(
        books.syncs.by_key(key(1)), status=DocumentStatus.READY)
    earlier = next(iter(books.journal.entries.values()))

    async def reverse() -> None:
        number = await books.journal.take_entry_numbers(COMPANY_ID, 1)
        books.journal.entries["r-1"] = replace(
            earlier, id="r-1", number=number, source_key=f"reversal:{earlier.id}",
            reverses_entry_id=earlier.id)
        await books.journal.mark_reversed(earlier.id, "r-1")

    assert await read_then_post(books, reverse) == 1
    assert stored(books) == {key(1): ("posted", None)}
