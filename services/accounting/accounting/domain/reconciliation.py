"""Cuadratura: a month's documents as invoicing holds them versus as the books hold them.

Invoicing's side is the manifest it sent with a sync: totals per direction and tipo DTE,
and each document by key and total. The books' side is every document accounting
received, by its natural key, and whether its entry is posted (and not reversed), waits
for review, or is held with a reason. Every document that is not posted as invoicing
holds it is listed with what is wrong.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class BookStatus(StrEnum):
    POSTED = "posted"
    PENDING_REVIEW = "pending_review"
    HELD = "held"
    REVERSED = "reversed"  # posted, then reversed, and not posted again
    NOTHING_TO_POST = "nothing_to_post"  # by rule it posts nothing: a guía, a code-2 note
    MISSING = "missing"  # never arrived in accounting


@dataclass(frozen=True)
class ManifestSync:
    """The range sync a month is reconciled against: its dates and its whole manifest
    (the totals, and before manifest pages its documents too), as invoicing sent it."""

    id: str
    date_from: date
    date_to: date
    created_at: datetime
    manifest: dict[str, Any]


@dataclass(frozen=True)
class ManifestState:
    """A manifest whose documents come in pages, as far as it has come: the totals once
    sync.completed said them (None until then), and how many documents are stored."""

    sync_id: str
    lines: list[dict[str, Any]] | None
    document_count: int | None
    pages: int | None
    received: int

    @property
    def whole(self) -> bool:
        return self.document_count is not None and self.received >= self.document_count

    def session_manifest(self) -> dict[str, Any]:
        """The manifest a session keeps: the totals, and no documents (they are rows)."""
        return {"lines": self.lines, "pages": self.pages}


@dataclass(frozen=True)
class Amounts:
    count: int = 0
    net: int = 0
    exempt: int = 0
    vat: int = 0
    total: int = 0

    def __add__(self, other: "Amounts") -> "Amounts":
        return Amounts(self.count + other.count, self.net + other.net,
                       self.exempt + other.exempt, self.vat + other.vat,
                       self.total + other.total)


@dataclass(frozen=True)
class InvoicingLine:
    direction: str
    dte_type: int
    amounts: Amounts


@dataclass(frozen=True)
class InvoicingDocument:
    document_key: str
    total: int


@dataclass(frozen=True)
class BookDocument:
    document_key: str
    direction: str
    dte_type: int
    folio: int
    amounts: Amounts  # count 1
    status: BookStatus
    reason: str | None = None
    entry_number: int | None = None


@dataclass(frozen=True)
class Line:
    direction: str
    dte_type: int
    invoicing: Amounts
    posted: Amounts
    pending_review: Amounts
    held: Amounts
    nothing_to_post: Amounts = Amounts()

    # What by rule posts nothing is accounted for, not missing from the books.
    @property
    def difference_count(self) -> int:
        return self.invoicing.count - self.posted.count - self.nothing_to_post.count

    @property
    def difference_total(self) -> int:
        return self.invoicing.total - self.posted.total - self.nothing_to_post.total


@dataclass(frozen=True)
class Difference:
    document_key: str
    direction: str | None
    dte_type: int | None
    folio: int | None
    invoicing_total: int | None
    books_total: int | None
    status: BookStatus | str
    reason: str


@dataclass(frozen=True)
class Reconciliation:
    lines: list[Line]
    differences: list[Difference] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.differences and all(
            line.difference_count == 0 and line.difference_total == 0 for line in self.lines)


def parse_key(document_key: str) -> tuple[str | None, int | None, int | None]:
    """direction, tipo DTE and folio of a TaxDocument.document_key."""
    parts = document_key.split(":")
    if len(parts) != 4:
        return None, None, None
    try:
        return parts[0], int(parts[2]), int(parts[3])
    except ValueError:
        return parts[0], None, None


_WHY = {
    BookStatus.PENDING_REVIEW: "received and ready, waiting for review: confirm its session",
    BookStatus.MISSING: "never arrived in accounting: synchronise the month again",
}


def reconcile(invoicing_lines: Iterable[InvoicingLine],
              invoicing_documents: Iterable[InvoicingDocument],
              books: Iterable[BookDocument]) -> Reconciliation:
    expected = {d.document_key: d for d in invoicing_documents}
    books_by_key = {b.document_key: b for b in books}

    keys: dict[tuple[str, int], dict[str, Amounts]] = {}

    def bucket(direction: str, dte_type: int) -> dict[str, Amounts]:
        return keys.setdefault((direction, dte_type), {
            "invoicing": Amounts(), "posted": Amounts(), "pending_review": Amounts(),
            "held": Amounts(), "nothing_to_post": Amounts()})

    for line in invoicing_lines:
        b = bucket(line.direction, line.dte_type)
        b["invoicing"] = b["invoicing"] + line.amounts
    book: BookDocument | None
    for book in books_by_key.values():
        name = {BookStatus.POSTED: "posted", BookStatus.PENDING_REVIEW: "pending_review",
                BookStatus.HELD: "held",
                BookStatus.NOTHING_TO_POST: "nothing_to_post"}.get(book.status)
        if name:
            b = bucket(book.direction, book.dte_type)
            b[name] = b[name] + book.amounts

    differences = []
    for key in sorted(expected.keys() | books_by_key.keys()):
        invoiced, book = expected.get(key), books_by_key.get(key)
        if book is None:
            assert invoiced is not None  # the key came from one of the two maps
            direction, dte_type, folio = parse_key(key)
            differences.append(Difference(key, direction, dte_type, folio, invoiced.total, None,
                                          BookStatus.MISSING, _WHY[BookStatus.MISSING]))
            continue
        books_total = book.amounts.total
        if book.status == BookStatus.NOTHING_TO_POST:
            continue
        if invoiced is None:
            if book.status == BookStatus.POSTED:
                differences.append(Difference(
                    key, book.direction, book.dte_type, book.folio, None, books_total,
                    "not_in_invoicing",
                    f"posted in the books (comprobante N° {book.entry_number}) but invoicing "
                    "does not hold it for this month: check it in invoicing, or reverse the "
                    "entry if it should not be there"))
            continue
        if book.status != BookStatus.POSTED:
            reason = book.reason or _WHY.get(book.status, str(book.status))
            differences.append(Difference(key, book.direction, book.dte_type, book.folio,
                                          invoiced.total, None, book.status, reason))
        elif books_total != invoiced.total:
            differences.append(Difference(
                key, book.direction, book.dte_type, book.folio, invoiced.total, books_total,
                "amount_differs",
                f"posted with total {books_total} but invoicing holds {invoiced.total}: "
                "reverse the entry and synchronise the document again"))

    lines = [Line(direction, dte_type, **amounts)
             for (direction, dte_type), amounts in sorted(keys.items())]
    return Reconciliation(lines, differences)
