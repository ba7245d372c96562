"""The "Factura Electrónica Nubox" connector and what it needs before it can connect."""

from enum import StrEnum

from accounting.domain.settings import InvoiceSettings, missing_sentences

CONNECTOR_KEY = "factura-electronica"
CONNECTOR_NAME = "Factura Electrónica Nubox"


class RequestStatus(StrEnum):
    PENDING = "pending"
    CONFLICT = "conflict"
    APPROVED = "approved"
    REJECTED = "rejected"


_REQUEST_STEP = {
    None: "request the integration from Factura Electrónica (enter this contract's holder "
          "RUT there), then approve it here",
    RequestStatus.PENDING: "approve the integration request from Factura Electrónica",
    RequestStatus.CONFLICT: "resolve the integration request's conflict (delete or hide the "
                            "duplicate company), then approve the request",
    RequestStatus.REJECTED: "the integration request was rejected: request it again from "
                            "Factura Electrónica and approve it",
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
