"""What a sync sent, for accounting's reconciliation report: totals by month, direction
and tipo DTE (sent once, with sync.completed), and every document by its natural key
(sent a page at a time, with the page of documents it describes)."""

from collections.abc import Iterable, Mapping

from invoicing.domain.sync_exports import LineKey
from shared.events import ManifestDocument, ManifestLine, TaxDocument


def manifest_lines(totals: Mapping[LineKey, list[int]]) -> tuple[ManifestLine, ...]:
    return tuple(
        ManifestLine(month=month, direction=direction, dte_type=dte_type, count=count,
                     net=net, exempt=exempt, vat=vat, total=total)
        for (month, direction, dte_type), (count, net, exempt, vat, total)
        in sorted(totals.items())
    )


def manifest_documents(documents: Iterable[TaxDocument]) -> tuple[ManifestDocument, ...]:
    # Validated: pydantic's validation of three fields (~1.3 µs) costs half of its
    # model_construct, which runs in Python.
    return tuple(ManifestDocument(document_key=d.document_key, total=d.total,
                                  issue_date=d.issue_date)
                 for d in documents)
