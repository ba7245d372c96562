"""The company's link to an accounting contract and how accounting's answers move it.

Only the answer to the current request counts: a re-request makes a new request id and
an older request's outcome no longer applies. A decided request (approved or rejected)
stays decided.
"""

from dataclasses import dataclass, replace
from enum import StrEnum


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
class IntegrationLink:
    company_rut: str
    contract_rut: str
    status: LinkStatus
    request_id: str
    detail: str
    accounting_company_id: str | None = None
    synced: bool = False  # accounting has asked for a first sync

    @property
    def flows_live(self) -> bool:
        """After the first sync, each new document goes to accounting as it is recorded."""
        return self.status is LinkStatus.APPROVED and self.synced

    @property
    def sends_payments(self) -> bool:
        return self.status is LinkStatus.APPROVED

    def first_synced(self) -> "IntegrationLink":
        return replace(self, synced=True)

    @classmethod
    def requested(cls, company_rut: str, contract_rut: str, request_id: str) -> "IntegrationLink":
        return cls(company_rut, contract_rut, LinkStatus.PENDING, request_id,
                   pending_detail(contract_rut))

    def needs_new_request(self, contract_rut: str) -> bool:
        """Re-requesting an approved link to the same contract changes nothing."""
        return not (self.status is LinkStatus.APPROVED and self.contract_rut == contract_rut)

    def rerequested(self, contract_rut: str, request_id: str) -> "IntegrationLink":
        return IntegrationLink.requested(self.company_rut, contract_rut, request_id)

    def _answer(self, request_id: str, status: LinkStatus,
                **changes: object) -> tuple["IntegrationLink", Outcome]:
        if request_id != self.request_id:
            return self, Outcome.STALE
        if self.status not in _ALLOWED_FROM[status]:
            return self, Outcome.NOT_APPLICABLE
        return replace(self, status=status, **changes), Outcome.APPLIED

    def approved(self, request_id: str, accounting_company_id: str):
        return self._answer(request_id, LinkStatus.APPROVED, detail=APPROVED_DETAIL,
                            accounting_company_id=accounting_company_id)

    def rejected(self, request_id: str, reason: str):
        return self._answer(request_id, LinkStatus.REJECTED, detail=reason,
                            accounting_company_id=None)

    def conflicted(self, request_id: str, detail: str):
        return self._answer(request_id, LinkStatus.CONFLICT, detail=detail)

    def conflict_resolved(self, request_id: str):
        return self._answer(request_id, LinkStatus.PENDING, detail=RESOLVED_DETAIL)


def not_requested_detail(company_rut: str) -> str:
    return (
        f"Company {company_rut} has not requested integration with accounting yet: "
        f"PUT /v1/companies/{company_rut}/integration with {{\"contract_rut\": …}}, the RUT "
        "of the accounting contract holder, first."
    )
