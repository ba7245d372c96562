"""The documents a payment or collection says it settles, and whether accounting has them.

A range sync brings the payments of its dates with the documents (issue 14): a collection
posted without its factura would credit Clientes for a debt the books never had. So a
payment of a range sync posts only once each document it names is in the books, after
them; one whose document is missing waits with the reason and what to do.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

# The hold code of a payment waiting for a document it settles: confirming its session
# again checks once more, and posts it once the document is posted.
AWAITING_DOCUMENT = "awaiting_document"


@dataclass(frozen=True)
class SettledDocument:
    dte_type: int
    folio: int
    issue_date: date | None = None

    def __str__(self) -> str:
        dated = f" of {self.issue_date}" if self.issue_date else ""
        return f"tipo {self.dte_type} N° {self.folio}{dated}"


@dataclass(frozen=True)
class SyncPayment:
    """A stored payment (PaymentRecorded as the session keeps it) as this rule needs it."""

    company_rut: str
    collection: bool  # from a customer; else a payment to a supplier
    counterparty_rut: str
    documents: tuple[SettledDocument, ...]

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> "SyncPayment":
        return cls(
            company_rut=stored["company_rut"], collection=stored["kind"] == "collection",
            counterparty_rut=stored["counterparty"]["rut"],
            documents=tuple(SettledDocument(
                d["dte_type"], d["folio"],
                date.fromisoformat(d["issue_date"]) if d.get("issue_date") else None)
                for d in stored.get("documents") or ()))

    def keys_of(self, document: SettledDocument) -> tuple[str, ...]:
        """The source keys (TaxDocument.document_key) the document can have: a collection
        settles a sale, a payment a purchase, issued by the counterparty or, for a 46 and
        its notes, by the company itself."""
        direction = "sales" if self.collection else "purchases"
        return tuple(f"{direction}:{issuer}:{document.dte_type}:{document.folio}"
                     for issuer in (self.counterparty_rut, self.company_rut))

    def keys(self) -> set[str]:
        return {key for document in self.documents for key in self.keys_of(document)}

    def missing(self, present: Iterable[str]) -> list[SettledDocument]:
        """The documents it settles that are not among the ``present`` keys."""
        present = set(present)
        return [d for d in self.documents if not present.intersection(self.keys_of(d))]


def not_in_accounting(missing: list[SettledDocument]) -> str:
    """Why a payment of a range sync waits, seen in review."""
    return (f"it settles {_names(missing)}, which {_are(missing)} neither in this sync nor "
            "posted in the books, so its entry would settle a debt the books do not have: "
            "synchronise and confirm the dates of that document first (or record it in "
            "invoicing), then confirm this session again to post the payment")


def not_posted(missing: list[SettledDocument]) -> str:
    """Why a payment of a range sync waits, found at confirm: its document did not post."""
    return (f"it settles {_names(missing)}, which {_are(missing)} not posted (held in "
            "review, see its reason): post that document first, then confirm this session "
            "again to post the payment")


def _names(documents: list[SettledDocument]) -> str:
    return ", ".join(str(d) for d in documents[:5]) + (
        f" and {len(documents) - 5} more" if len(documents) > 5 else "")


def _are(documents: list[SettledDocument]) -> str:
    return "is" if len(documents) == 1 else "are"
