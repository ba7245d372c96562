"""What a sync sent, for accounting's reconciliation report: totals by month, direction
and tipo DTE, and every document by its natural key."""

from collections import defaultdict
from collections.abc import Iterable

from invoicing.domain.documents import Document
from invoicing.service_layer.outgoing import tax_document
from shared.events import ManifestDocument, ManifestLine, SyncManifest


class ManifestBuilder:
    def __init__(self) -> None:
        self._lines: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0] * 5)
        self._documents: list[ManifestDocument] = []

    def add(self, documents: Iterable[Document]) -> None:
        for d in documents:
            totals = self._lines[(d.issue_date.strftime("%Y-%m"), str(d.direction), d.dte_type)]
            for i, amount in enumerate((1, d.net, d.exempt, d.vat, d.total)):
                totals[i] += amount
            self._documents.append(ManifestDocument(
                document_key=tax_document(d).document_key, total=d.total,
                issue_date=d.issue_date))

    def build(self) -> SyncManifest:
        return SyncManifest(
            lines=tuple(
                ManifestLine(month=month, direction=direction, dte_type=dte_type, count=count,
                             net=net, exempt=exempt, vat=vat, total=total)
                for (month, direction, dte_type), (count, net, exempt, vat, total)
                in sorted(self._lines.items())
            ),
            documents=tuple(self._documents),
        )
