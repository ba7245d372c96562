"""The company's link to an accounting contract and how accounting's answers move it.

A company has one *current request* (the last it made, with the state accounting gave it)
and at most one *connection*: the approved link in force, the accounting company its
documents go to. They differ while the company changes accountant: the old connection
stays in force until the new request is approved, and then the new approval replaces it
(the old accounting company is told it is disconnected).

Only the answer to the current request counts: a new request makes a new request id, the
previous one is withdrawn (accounting is told), and an older request's outcome no longer
applies. A decided request (approved or rejected) stays decided.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any


class LinkStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CONFLICT = "conflict"


class Outcome(StrEnum):
    APPLIED = "applied"
    STALE = "stale"  # answers an older request
    NOT_APPLICABLE = "not applicable"  # the current request is past that point


# From which states each answer from accounting may move the link.
_ALLOWED_FROM: dict[LinkStatus, frozenset[LinkStatus]] = {
    LinkStatus.APPROVED: frozenset({LinkStatus.PENDING, LinkStatus.CONFLICT, LinkStatus.APPROVED}),
    LinkStatus.REJECTED: frozenset({LinkStatus.PENDING, LinkStatus.CONFLICT, LinkStatus.REJECTED}),
    LinkStatus.CONFLICT: frozenset({LinkStatus.PENDING, LinkStatus.CONFLICT}),
    LinkStatus.PENDING: frozenset({LinkStatus.CONFLICT}),  # the conflict was resolved
}

# A current request in these states is still open in accounting: replacing it withdraws it.
_OPEN = frozenset({LinkStatus.PENDING, LinkStatus.CONFLICT})


def pending_detail(contract_rut: str) -> str:
    return (
        f"Waiting for accounting: the holder of contract {contract_rut} must approve "
        "the integration request."
    )


APPROVED_DETAIL = "Integration approved by accounting: documents can now be synchronised."
RESOLVED_DETAIL = (
    "The duplicate-company conflict in accounting was resolved; the request now waits "
    "for approval."
)


@dataclass(frozen=True)
class Connection:
    """The approved link in force: the one accounting company the documents go to."""

    request_id: str
    contract_rut: str
    accounting_company_id: str
    synced: bool = False  # that accounting company has asked for a first sync


@dataclass(frozen=True)
class Withdrawal:
    """A request the company replaced while accounting still had it open."""

    request_id: str
    contract_rut: str


@dataclass(frozen=True)
class IntegrationLink:
    company_rut: str
    contract_rut: str  # of the current request
    status: LinkStatus  # of the current request
    request_id: str  # the current request
    detail: str
    accounting_company_id: str | None = None  # the current request's, once approved
    connection: Connection | None = None
    requested_at: datetime | None = None  # when the current request was made

    @property
    def synced(self) -> bool:
        return self.connection is not None and self.connection.synced

    @property
    def flows_live(self) -> bool:
        """After the first sync, each new document goes to accounting as it is recorded."""
        return self.synced

    @property
    def sends_payments(self) -> bool:
        return self.connection is not None

    @classmethod
    def requested(cls, company_rut: str, contract_rut: str, request_id: str,
                  requested_at: datetime | None = None) -> "IntegrationLink":
        return cls(company_rut, contract_rut, LinkStatus.PENDING, request_id,
                   pending_detail(contract_rut), requested_at=requested_at)

    # --- the company asks ------------------------------------------------------------

    def needs_new_request(self, contract_rut: str) -> bool:
        """Asking again for the contract of a pending or approved current request, or for
        the contract the company is connected to, makes no new request."""
        if self.contract_rut == contract_rut and self.status in (LinkStatus.PENDING,
                                                                  LinkStatus.APPROVED):
            return False
        return not (self.connection is not None
                    and self.connection.contract_rut == contract_rut)

    def rerequested(self, contract_rut: str, request_id: str,
                    requested_at: datetime | None = None) -> "IntegrationLink":
        """A new current request; the connection in force stays until it is approved."""
        return replace(IntegrationLink.requested(self.company_rut, contract_rut, request_id,
                                                 requested_at),
                       connection=self.connection)

    def back_to_connection(self, at: datetime | None = None) -> "IntegrationLink":
        """The company asks again for the contract it is connected to: the connection's
        approved request becomes the current one again (no new request), as of ``at``."""
        assert self.connection is not None
        return replace(self, contract_rut=self.connection.contract_rut,
                       status=LinkStatus.APPROVED, request_id=self.connection.request_id,
                       detail=APPROVED_DETAIL,
                       accounting_company_id=self.connection.accounting_company_id,
                       requested_at=at)

    def withdrawal_by(self, replacement: "IntegrationLink") -> Withdrawal | None:
        """What accounting must be told this request became when ``replacement`` took its
        place: withdrawn, if it was still open there and is not the connection's."""
        if replacement.request_id == self.request_id or self.status not in _OPEN:
            return None
        if self.connection is not None and self.connection.request_id == self.request_id:
            return None
        return Withdrawal(self.request_id, self.contract_rut)

    # --- accounting answers ----------------------------------------------------------

    def _answer(self, request_id: str, status: LinkStatus,
                **changes: Any) -> tuple["IntegrationLink", Outcome]:
        if request_id != self.request_id:
            return self, Outcome.STALE
        if self.status not in _ALLOWED_FROM[status]:
            return self, Outcome.NOT_APPLICABLE
        return replace(self, status=status, **changes), Outcome.APPLIED

    def approved(self, request_id: str,
                 accounting_company_id: str) -> tuple["IntegrationLink", Outcome]:
        connection = self.connection
        if connection is None or connection.request_id != request_id:
            # The new approval replaces the connection in force (a change of accountant);
            # the same books (same accounting company) keep their first sync.
            synced = (connection is not None
                      and connection.accounting_company_id == accounting_company_id
                      and connection.synced)
            connection = Connection(request_id, self.contract_rut, accounting_company_id,
                                    synced)
        return self._answer(request_id, LinkStatus.APPROVED, detail=APPROVED_DETAIL,
                            accounting_company_id=accounting_company_id,
                            connection=connection)

    def rejected(self, request_id: str, reason: str) -> tuple["IntegrationLink", Outcome]:
        return self._answer(request_id, LinkStatus.REJECTED, detail=reason,
                            accounting_company_id=None)

    def conflicted(self, request_id: str, detail: str) -> tuple["IntegrationLink", Outcome]:
        return self._answer(request_id, LinkStatus.CONFLICT, detail=detail)

    def conflict_resolved(self, request_id: str) -> tuple["IntegrationLink", Outcome]:
        return self._answer(request_id, LinkStatus.PENDING, detail=RESOLVED_DETAIL)

    def disconnected_by(self, changed: "IntegrationLink") -> Connection | None:
        """The connection ``changed`` no longer has, if its accounting company differs."""
        old, new = self.connection, changed.connection
        if old is None or new is None or old.request_id == new.request_id:
            return None
        if old.accounting_company_id == new.accounting_company_id:
            return None
        return old

    # --- what accounting may ask of it ------------------------------------------------

    def sync_refusal(self, accounting_company_id: str) -> str | None:
        """Why a sync asked for by ``accounting_company_id`` gets no documents, or None
        when that is the accounting company the company is connected to."""
        if self.connection is None:
            return (f"Invoicing company {self.company_rut} is not connected to accounting: "
                    "no integration request of it is approved, so it sends no documents.")
        if self.connection.accounting_company_id != accounting_company_id:
            return (f"Invoicing company {self.company_rut} is not connected to accounting "
                    f"company {accounting_company_id}: its integration is approved for another "
                    "one, so it sends this one no documents. To keep its books here, the "
                    "company must request the integration with this contract again and it "
                    "must be approved.")
        return None


def not_requested_detail(company_rut: str) -> str:
    return (
        f"Company {company_rut} has not requested integration with accounting yet: "
        f"PUT /v1/companies/{company_rut}/integration with {{\"contract_rut\": …}}, the RUT "
        "of the accounting contract holder, first."
    )


def never_requested_refusal(company_rut: str) -> str:
    return (f"Invoicing company {company_rut} has not requested integration with accounting, "
            "so it sends no documents.")
