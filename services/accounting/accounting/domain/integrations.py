"""The "Factura Electrónica Nubox" connector and what it needs before it can connect."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from accounting.domain.settings import InvoiceSettings, missing_sentences

CONNECTOR_KEY = "factura-electronica"
CONNECTOR_NAME = "Factura Electrónica Nubox"


class RequestStatus(StrEnum):
    PENDING = "pending"
    CONFLICT = "conflict"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # invoicing said the company replaced it
    SUPERSEDED = "superseded"  # a newer request of the company arrived before a decision
    DISCONNECTED = "disconnected"  # approved, then a newer approval replaced its link


@dataclass(frozen=True)
class IntegrationRequest:
    """An invoicing company's request that a contract keep its books (invoicing's id)."""

    id: str
    contract_rut: str
    company_rut: str
    company_name: str
    status: RequestStatus
    detail: str | None
    superseded_by: str | None
    requested_at: datetime
    decided_at: datetime | None
    company_id: str | None  # the approved company


@dataclass(frozen=True)
class IntegrationLink:
    """An invoicing company linked to the accounting company keeping its books, by the
    request approved last."""

    company_rut: str
    company_id: str
    request_id: str
    approved_at: datetime


# A company's requests that can still be approved (or rejected).
OPEN = frozenset({RequestStatus.PENDING, RequestStatus.CONFLICT})
# No longer the company's current request: they can never be approved.
REPLACED = frozenset({RequestStatus.WITHDRAWN, RequestStatus.SUPERSEDED,
                      RequestStatus.DISCONNECTED})


_REQUEST_STEP = {
    None: "request the integration from Factura Electrónica (enter this contract's holder "
          "RUT there), then approve it here",
    RequestStatus.PENDING: "approve the integration request from Factura Electrónica",
    RequestStatus.CONFLICT: "resolve the integration request's conflict (delete or hide the "
                            "duplicate company), then approve the request",
    RequestStatus.REJECTED: "the integration request was rejected: request it again from "
                            "Factura Electrónica and approve it",
    RequestStatus.WITHDRAWN: "the company withdrew its integration request (it asked for "
                             "another one): approve its current request if it is for this "
                             "contract, or have it request the integration again from "
                             "Factura Electrónica",
    RequestStatus.SUPERSEDED: "the company made a newer integration request: approve that "
                              "one if it is for this contract, or have it request the "
                              "integration again from Factura Electrónica",
    RequestStatus.DISCONNECTED: "this company is disconnected: the invoicing company moved its "
                                "integration to another accounting company, which receives "
                                "its documents now. To keep its books here again, request the "
                                "integration with this contract from Factura Electrónica and "
                                "approve it",
}


def connector_missing(request_status: RequestStatus | None,
                      settings: InvoiceSettings) -> list[str]:
    missing = []
    if request_status != RequestStatus.APPROVED:
        missing.append(_REQUEST_STEP[request_status])
    missing.extend(missing_sentences(settings))
    return missing


def cannot_connect_detail(missing: list[str]) -> str:
    return f"{CONNECTOR_NAME} cannot connect yet: " + "; ".join(missing) + "."


# --- which request of a company is its current one -------------------------------------


@dataclass(frozen=True)
class RequestRef:
    """One of an invoicing company's requests, in any contract."""

    id: str
    contract_rut: str
    status: RequestStatus
    requested_at: datetime


def _order(request: RequestRef) -> tuple[datetime, str]:
    at = request.requested_at
    return (at if at.tzinfo else at.replace(tzinfo=UTC), request.id)


def newest(requests: Iterable[RequestRef]) -> RequestRef | None:
    """The company's current request as accounting knows it: the latest it made (by
    invoicing's clock) that invoicing did not withdraw."""
    candidates = [r for r in requests if r.status != RequestStatus.WITHDRAWN]
    return max(candidates, key=_order, default=None)


def is_older(request: RequestRef, than: RequestRef) -> bool:
    return _order(request) < _order(than)


def replaced_detail(request_id: str, contract_rut: str, current: RequestRef | None,
                    *, withdrawn: bool) -> str:
    """Why ``request_id`` can no longer be approved, and which request is current. Another
    contract's request is named by its id only, never by its contract."""
    what = ("The company withdrew this integration request" if withdrawn
            else "The company made a newer integration request")
    if current is None:
        return (f"{what} ({request_id}), so it can no longer be approved. Ask the company to "
                "request the integration again from Factura Electrónica if needed.")
    if current.contract_rut == contract_rut:
        if current.status in OPEN:
            return (f"{what} ({request_id}): its current request is {current.id}, for this "
                    f"contract. Approve {current.id} instead.")
        return (f"{what} ({request_id}): its current request is {current.id}, for this "
                f"contract, and it is {current.status}.")
    return (f"{what} ({request_id}): its current request is {current.id}, for another "
            "accounting contract, so this one can no longer be approved. Ask the company to "
            "request the integration with this contract again from Factura Electrónica if "
            "it should keep its books here.")


def disconnected_detail(company_rut: str) -> str:
    return (f"Invoicing company {company_rut} moved its integration to another accounting "
            "company, which receives its documents now: this company is disconnected and "
            "cannot synchronise. To keep its books here again, the company must request the "
            "integration with this contract from Factura Electrónica, and it must be "
            "approved.")
