"""Closing and reopening a month, and reversing an entry, on the fake unit of work: a closed
month takes no entry, reopening it releases what waited (and auto-post posts the live
ones), and a reversal is a new entry that undoes the original, which is never edited but
for the link to it."""

from dataclasses import replace
from datetime import date

import pytest

from accounting.domain.errors import Conflict, Unprocessable
from accounting.domain.periods import CLOSED_PERIOD
from accounting.domain.settings import IntegrationOptions
from accounting.domain.syncs import DocumentStatus, SyncKind
from accounting.service_layer import entries, periods, proposals, syncs
from shared.events import EntryPosted
from shared.internal_api import Proposal, ProposalBatch
from tests.unit.accounting.fakes import FakeBooks, FakeServices
from tests.unit.accounting.samples import (
    COMPANY_ID,
    SYNC_ID,
    books_of_a_company,
    factura,
    key,
    with_range_sync,
)


def live(folio: int) -> Proposal:
    return factura(folio, date(2024, 5, folio), sync_id=None)


def live_documents(books: FakeBooks) -> list:
    return [d for d in books.syncs.documents.values()
            if books.syncs.sessions[d.sync_id].kind == SyncKind.LIVE]


async def test_a_live_document_of_a_closed_month_waits_and_posts_when_it_reopens():
    books = books_of_a_company()
    books.settings.options[COMPANY_ID] = IntegrationOptions(auto_post=True)
    services = FakeServices(books)
    closed = await periods.close(services, COMPANY_ID, "2024-05")
    assert (closed["status"], closed["entries"]) == ("closed", 0)
    assert await periods.close(services, COMPANY_ID, "2024-05") == closed  # twice: the same

    await proposals.receive(services, ProposalBatch(proposals=[live(3)]))
    [waiting] = live_documents(books)
    assert (waiting.status, waiting.hold_code) == (DocumentStatus.HELD, CLOSED_PERIOD)
    assert books.journal.entries == {}

    reopened = await periods.reopen(services, COMPANY_ID, "2024-05")

    assert (reopened["status"], reopened["entries"]) == ("open", 1)
    assert reopened["reopened_at"] is not None
    [posted] = live_documents(books)
    assert posted.status == DocumentStatus.POSTED
    assert [e.type for e in books.outbox] == [EntryPosted.event_type]


async def test_reopening_makes_a_range_syncs_waiting_document_ready_for_its_confirm():
    services = FakeServices(with_range_sync(expected=1))
    await periods.close(services, COMPANY_ID, "2024-03")
    await proposals.receive(services, ProposalBatch(proposals=[factura(1, date(2024, 3, 1))]))
    assert services.books.syncs.by_key(key(1)).hold_code == CLOSED_PERIOD

    await periods.reopen(services, COMPANY_ID, "2024-03")

    assert services.books.syncs.by_key(key(1)).status == DocumentStatus.READY
    assert services.books.journal.entries == {}  # a range sync posts when it is confirmed
    assert (await syncs.confirm(services, SYNC_ID))["posted"] == 1


async def test_a_month_is_written_as_yyyy_mm():
    with pytest.raises(Unprocessable) as refused:
        await periods.close(FakeServices(books_of_a_company()), COMPANY_ID, "2024-5")
    assert refused.value.extra["errors"] == [
        {"field": "month", "message": "'2024-5' is not a month: write it as YYYY-MM, e.g. "
                                      "2026-10"}]


async def posted_factura() -> tuple[FakeServices, str]:
    services = FakeServices(with_range_sync(expected=1))
    await proposals.receive(services, ProposalBatch(proposals=[factura(1, date(2024, 3, 1))]))
    await syncs.confirm(services, SYNC_ID)
    return services, services.books.syncs.by_key(key(1)).entry_id


async def test_a_reversal_swaps_the_lines_and_only_links_the_original():
    services, entry_id = await posted_factura()
    journal = services.books.journal
    original = journal.entries[entry_id]

    reversal = await entries.reverse(services, entry_id, "wrong customer", date(2024, 3, 5))

    assert (reversal["number"], reversal["entry_date"], reversal["reverses_entry_id"],
            reversal["reversal_reason"], reversal["source_key"]) == (
        2, date(2024, 3, 5), entry_id, "wrong customer", f"reversal:{entry_id}")
    assert reversal["glosa"] == "Reversa del comprobante N° 1: Factura 1"
    swapped = [(line["account_code"], line["debit"], line["credit"])
               for line in reversal["lines"]]
    assert swapped == [(line.account_code, line.credit, line.debit)
                       for line in journal.lines[entry_id]]
    assert journal.entries[entry_id] == replace(original, reversed_by_entry_id=reversal["id"])
    assert services.books.outbox[-1].type == EntryPosted.event_type
    # Once reversed, the document is no longer in the books: it may be proposed anew.
    assert await journal.posted_source_keys(COMPANY_ID, [key(1)]) == set()


async def test_an_entry_is_reversed_once_and_never_into_a_closed_month_or_before_its_date():
    services, entry_id = await posted_factura()
    with pytest.raises(Unprocessable, match="the reversal date 2024-02-28 is before"):
        await entries.reverse(services, entry_id, None, date(2024, 2, 28))
    await periods.close(services, COMPANY_ID, "2024-04")
    with pytest.raises(Conflict, match="Period 2024-04 is closed"):
        await entries.reverse(services, entry_id, None, date(2024, 4, 2))
    assert len(services.books.journal.entries) == 1

    reversal = await entries.reverse(services, entry_id, None, date(2024, 3, 9))
    with pytest.raises(Conflict) as twice:
        await entries.reverse(services, entry_id, None, date(2024, 3, 9))
    assert twice.value.extra == {"reversed_by_entry_id": reversal["id"]}
    with pytest.raises(Conflict, match="is itself a reversal"):
        await entries.reverse(services, reversal["id"], None, date(2024, 3, 9))
    assert len(services.books.journal.entries) == 2
