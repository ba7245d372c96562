"""A sync's export to accounting, page by page: where it stands, so that a redelivered
request resumes it after the last page sent instead of starting over."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from invoicing.domain.documents import Document
from invoicing.domain.payments import Payment

# (YYYY-MM, direction, tipo DTE): one line of the manifest.
LineKey = tuple[str, str, int]
AMOUNTS = ("count", "net", "exempt", "vat", "total")


@dataclass
class SyncExport:
    sync_id: str
    company_rut: str
    date_from: date
    date_to: date
    # The (issue_date, folio, id) of the last document sent: the next page starts after it.
    after: tuple[date, int, str] | None = None
    pages: int = 0
    document_count: int = 0
    # LineKey → [count, net, exempt, vat, total] of the documents sent so far.
    totals: dict[LineKey, list[int]] = field(default_factory=dict)
    # The documents are all sent; the payments and collections paid in the range follow,
    # so that accounting has every document before the payments that settle them.
    documents_done: bool = False
    # The (paid_on, id) of the last payment sent, and the payment pages so far.
    payments_after: tuple[date, str] | None = None
    payment_pages: int = 0
    # PaymentKind value → [count, amount] of the payments sent so far.
    payment_totals: dict[str, list[int]] = field(default_factory=dict)
    completed: bool = False

    @property
    def payment_count(self) -> int:
        return sum(count for count, _ in self.payment_totals.values())

    def sent(self, page: Sequence[Document]) -> int:
        """Count a page of documents (in keyset order) as sent; the page's number."""
        totals = self.totals
        for d in page:
            # isoformat and the enum's value, not strftime and str(): this runs for every
            # document a sync exports.
            key = (d.issue_date.isoformat()[:7], d.direction.value, d.dte_type)
            amounts = totals.get(key)
            if amounts is None:
                amounts = totals[key] = [0] * len(AMOUNTS)
            amounts[0] += 1
            amounts[1] += d.net
            amounts[2] += d.exempt
            amounts[3] += d.vat
            amounts[4] += d.total
        last = page[-1]
        self.after = (last.issue_date, last.folio, last.id)
        self.pages += 1
        self.document_count += len(page)
        return self.pages

    def sent_payments(self, page: Sequence[Payment]) -> int:
        """Count a page of payments (in (paid_on, id) order) as sent; the page's number."""
        for p in page:
            totals = self.payment_totals.setdefault(str(p.kind), [0, 0])
            totals[0] += 1
            totals[1] += p.amount
        last = page[-1]
        self.payments_after = (last.paid_on, last.id)
        self.payment_pages += 1
        return self.payment_pages
