"""What a sync sent, for accounting's reconciliation report: totals by month, direction
and tipo DTE, and every document by its natural key."""

from collections import defaultdict
from collections.abc import Iterable

from shared.events import ManifestDocument, ManifestLine, SyncManifest, TaxDocument


class ManifestBuilder:
    def __init__(self) -> None:
        # (year, month, direction, tipo) → [count, net, exempt, vat, total]
        self._lines: dict[tuple[int, int, str, int], list[int]] = defaultdict(
            lambda: [0] * 5)
        self._documents: list[ManifestDocument] = []

    def add(self, documents: Iterable[TaxDocument]) -> None:
        for d in documents:
            day = d.issue_date
            totals = self._lines[(day.year, day.month, d.direction.value, d.dte_type)]
            totals[0] += 1
            totals[1] += d.net
            totals[2] += d.exempt
            totals[3] += d.vat
            totals[4] += d.total
            # Built without re-validating: the values come from a validated TaxDocument.
            self._documents.append(ManifestDocument.model_construct(
                document_key=d.document_key, total=d.total, issue_date=day))

    def build(self) -> SyncManifest:
        return SyncManifest(
            lines=tuple(
                ManifestLine(month=f"{year:04d}-{month:02d}", direction=direction,
                             dte_type=dte_type, count=count, net=net, exempt=exempt, vat=vat,
                             total=total)
                for (year, month, direction, dte_type), (count, net, exempt, vat, total)
                in sorted(self._lines.items())
            ),
            documents=tuple(self._documents),
        )
