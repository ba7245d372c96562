"""A sync's export to accounting, page by page: where it stands, so that a redelivered
request resumes it after the last page sent instead of starting over."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from invoicing.domain.documents import Document

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
    completed: bool = False

    def sent(self, page: Sequence[Document]) -> int:
        """Count a page of documents (in keyset order) as sent; the page's number."""
        for d in page:
            amounts = self.totals.setdefault(
                (f"{d.issue_date:%Y-%m}", str(d.direction), d.dte_type), [0] * len(AMOUNTS))
            for i, value in enumerate((1, d.net, d.exempt, d.vat, d.total)):
                amounts[i] += value
        last = page[-1]
        self.after = (last.issue_date, last.folio, last.id)
        self.pages += 1
        self.document_count += len(page)
        return self.pages
