"""The cuadratura and the libro mayor as pure functions, by hand."""

from datetime import date

from accounting.domain.ledger import Posting, ledger
from accounting.domain.periods import month_bounds, month_of
from accounting.domain.reconciliation import (
    Amounts,
    BookDocument,
    BookStatus,
    InvoicingDocument,
    InvoicingLine,
    reconcile,
)

KEY = "sales:76354771-K:33:{}"


def book(folio, total, status=BookStatus.POSTED, reason=None):
    return BookDocument(KEY.format(folio), "sales", 33, folio, Amounts(1, total, 0, 0, total),
                        status, reason, 7 if status == BookStatus.POSTED else None)


def test_matching_books_reconcile_with_zero_differences():
    result = reconcile([InvoicingLine("sales", 33, Amounts(2, 300, 0, 0, 300))],
                       [InvoicingDocument(KEY.format(1), 100),
                        InvoicingDocument(KEY.format(2), 200)],
                       [book(1, 100), book(2, 200)])
    assert result.balanced and result.differences == []
    [line] = result.lines
    assert (line.difference_count, line.difference_total) == (0, 0)


def test_every_kind_of_difference_is_listed_by_document():
    result = reconcile(
        [InvoicingLine("sales", 33, Amounts(4, 1_000, 0, 0, 1_000))],
        [InvoicingDocument(KEY.format(f), t) for f, t in ((1, 100), (2, 200), (3, 300),
                                                          (4, 400))],
        [book(1, 100), book(2, 250), book(3, 300, BookStatus.HELD, "IVA is not 19%"),
         book(5, 500)])
    assert not result.balanced
    assert [(d.folio, d.status) for d in result.differences] == [
        (2, "amount_differs"), (3, BookStatus.HELD), (4, BookStatus.MISSING),
        (5, "not_in_invoicing")]
    assert result.differences[1].reason == "IVA is not 19%"
    [line] = result.lines
    assert line.posted == Amounts(3, 850, 0, 0, 850) and line.held.count == 1
    assert (line.difference_count, line.difference_total) == (1, 150)


def test_the_ledger_runs_its_balance_from_the_opening_one():
    day = date(2024, 3, 1)
    book_ = ledger(1_000, [Posting("e1", 1, day, "a", "110310", None, 500, 0),
                           Posting("e2", 2, day, "b", "110310", None, 0, 2_000)])
    assert [line.balance for line in book_.lines] == [1_500, -500]
    assert (book_.debit, book_.credit, book_.closing_balance) == (500, 2_000, -500)


def test_months():
    assert month_of(date(2026, 2, 14)) == "2026-02"
    assert month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))


def test_what_by_rule_posts_nothing_is_accounted_for_not_a_difference():
    guia = BookDocument("sales:76354771-K:52:9", "sales", 52, 9, Amounts(1, 100, 0, 19, 119),
                        BookStatus.NOTHING_TO_POST, "a guía posts no amounts")
    result = reconcile([InvoicingLine("sales", 52, Amounts(1, 100, 0, 19, 119))],
                       [InvoicingDocument(guia.document_key, 119)], [guia])
    assert result.balanced and result.differences == []
    [line] = result.lines
    assert line.nothing_to_post == Amounts(1, 100, 0, 19, 119)
    assert (line.difference_count, line.difference_total) == (0, 0)
