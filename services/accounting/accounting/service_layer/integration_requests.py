"""Integration requests from invoicing: the duplicate-RUT guard, approval and rejection.

An invoicing company has one current request: the latest it made, in any contract.
Invoicing withdraws the one it replaces (integration.withdrawn); one that a newer request
overtook is superseded even before that arrives. Neither can be approved, so an
accountant never links a company whose owner has moved on. The link (which accounting
company gets the company's documents) follows the approvals invoicing takes: a change of
accountant ends with integration.disconnected for the old accounting company, and an
approval invoicing did not take is undone when its withdrawal arrives.
"""

import logging
from datetime import UTC, datetime
from typing import Any

from accounting.domain.companies import Company, CompanyStatus
from accounting.domain.conflicts import (
    CompanyRef,
    conflict_detail,
    conflict_notice,
    unknown_contract_reason,
)
from accounting.domain.errors import Conflict, NotFound, Unprocessable
from accounting.domain.integrations import (
    OPEN,
    REPLACED,
    IntegrationRequest,
    RequestRef,
    RequestStatus,
    disconnected_detail,
    is_older,
    newest,
    replaced_detail,
)
from accounting.service_layer.unit_of_work import Services, UnitOfWork
from shared.events import (
    IntegrationApproved,
    IntegrationConflicted,
    IntegrationConflictResolved,
    IntegrationDisconnected,
    IntegrationRejected,
    IntegrationRequested,
    IntegrationWithdrawn,
    SettingsChanged,
)

log = logging.getLogger(__name__)

DEFAULT_REJECTION = "The accountant rejected the integration request."


async def on_integration_requested(uow: UnitOfWork, event: IntegrationRequested,
                                   *, correlation_id: str | None = None) -> None:
    existing = await uow.companies.get_request(event.request_id, lock=True)
    if existing is not None:
        # Announced again: the company asked again for the same contract.
        await _reassert(uow, existing)
        return
    now = datetime.now(UTC)
    requested_at = event.requested_at or now
    row = {
        "id": event.request_id,
        "contract_rut": event.contract_rut,
        "company_rut": event.company_rut,
        "company_name": event.company_name,
        "requested_at": requested_at,
    }
    if await uow.companies.get_contract(event.contract_rut) is None:
        reason = unknown_contract_reason(event.contract_rut)
        await uow.companies.add_request({**row, "status": RequestStatus.REJECTED, "detail": reason,
                                    "decided_at": now})
        uow.emit(IntegrationRejected(request_id=event.request_id,
                                     company_rut=event.company_rut,
                                     contract_rut=event.contract_rut, reason=reason),
                 subject=event.request_id, correlation_id=correlation_id)
        return
    others = list(await uow.companies.requests_of_company(event.company_rut, lock=True))
    this = RequestRef(event.request_id, event.contract_rut, RequestStatus.PENDING,
                      requested_at)
    current = newest([*map(_ref, others), this])
    if current is not None and current.id != this.id:
        # It comes after a newer request of the company: never approvable.
        log.info("integration request %s of company %s arrived after its newer request %s; "
                 "recorded as superseded", this.id, event.company_rut, current.id)
        await uow.companies.add_request({
            **row, "status": RequestStatus.SUPERSEDED, "superseded_by": current.id,
            "detail": replaced_detail(this.id, this.contract_rut, current, withdrawn=False)})
        return
    for older in others:
        if older.status in OPEN:
            await uow.companies.update_request(
                older.id, status=RequestStatus.SUPERSEDED, superseded_by=this.id,
                detail=replaced_detail(older.id, older.contract_rut, this, withdrawn=False))
    detail = await _conflict(uow, event.contract_rut, event.company_rut)
    status = RequestStatus.CONFLICT if detail else RequestStatus.PENDING
    await uow.companies.add_request({**row, "status": status, "detail": detail})
    if detail:
        uow.emit(_conflicted(event.request_id, event.company_rut, event.contract_rut),
                 subject=event.request_id, correlation_id=correlation_id)


async def on_integration_withdrawn(uow: UnitOfWork, event: IntegrationWithdrawn,
                                   *, correlation_id: str | None = None) -> None:
    now = datetime.now(UTC)
    current = RequestRef(event.current_request_id, event.current_contract_rut,
                         RequestStatus.APPROVED
                         if event.current_request_id == event.connected_request_id
                         else RequestStatus.PENDING, now)
    values = {"status": RequestStatus.WITHDRAWN, "superseded_by": event.current_request_id,
              "detail": replaced_detail(event.request_id, event.contract_rut, current,
                                        withdrawn=True),
              "decided_at": now}
    request = await uow.companies.get_request(event.request_id, lock=True)
    if request is None:
        # The withdrawal overtook its request: recorded now, so that the request, when it
        # comes, finds itself withdrawn instead of pending.
        await uow.companies.add_request({"id": event.request_id, "contract_rut": event.contract_rut,
                                    "company_rut": event.company_rut,
                                    "company_name": event.company_name,
                                    "requested_at": now, **values})
        return
    if request.status in (*OPEN, RequestStatus.SUPERSEDED):
        await uow.companies.update_request(request.id, **values)
    elif request.status == RequestStatus.APPROVED:
        # Approved here before the withdrawal arrived: invoicing does not take that
        # approval, so its link must not stand either.
        log.warning("integration request %s of company %s was approved, but the company had "
                    "withdrawn it; the approval is undone", request.id, request.company_rut)
        await uow.companies.update_request(request.id, **values)
        await _unlink(uow, request.company_rut, request.id, event.connected_request_id)


async def on_integration_disconnected(uow: UnitOfWork, event: IntegrationDisconnected,
                                      *, correlation_id: str | None = None) -> None:
    request = await uow.companies.get_request(event.request_id, lock=True)
    if request is not None and request.status == RequestStatus.APPROVED:
        await uow.companies.update_request(request.id, status=RequestStatus.DISCONNECTED,
                                      superseded_by=event.connected_request_id,
                                      detail=disconnected_detail(event.company_rut))
    await _unlink(uow, event.company_rut, event.request_id, event.connected_request_id)
    log.info("accounting company %s is disconnected from invoicing company %s: request %s "
             "replaced it", event.accounting_company_id, event.company_rut,
             event.connected_request_id)


async def reevaluate_conflicts(uow: UnitOfWork, contract_rut: str) -> None:
    """After a company is hidden or deleted: conflicts that are gone go back to pending."""
    for request in await uow.companies.list_requests(contract_rut, RequestStatus.CONFLICT,
                                                     lock=True):
        if await _conflict(uow, contract_rut, request.company_rut) is None:
            await uow.companies.update_request(request.id, status=RequestStatus.PENDING,
                                               detail=None)
            uow.emit(IntegrationConflictResolved(request_id=request.id,
                                                 company_rut=request.company_rut,
                                                 contract_rut=contract_rut),
                     subject=request.id)


async def list_requests(services: Services, contract_rut: str,
                        status: RequestStatus | None) -> list[dict[str, Any]]:
    async with services.uow() as uow:
        if await uow.companies.get_contract(contract_rut) is None:
            raise NotFound(f"There is no contract with RUT {contract_rut}.")
        return [request_view(r) for r in await uow.companies.list_requests(contract_rut, status)]


async def approve(services: Services, request_id: str, company_id: str) -> dict[str, Any]:
    async with services.uow() as uow:
        request = await _request(uow, request_id)
        _must_be_current(request)
        _must_be_open(request)
        current = newest(map(_ref, await uow.companies.requests_of_company(request.company_rut)))
        if current is not None and current.id != request.id:
            detail = replaced_detail(request.id, request.contract_rut, current, withdrawn=False)
            await uow.companies.update_request(request_id, status=RequestStatus.SUPERSEDED,
                                          superseded_by=current.id, detail=detail)
            await uow.commit()
            raise Conflict(detail, title="Integration request superseded",
                           current_request_id=current.id)
        if request.status == RequestStatus.CONFLICT:
            raise Conflict(request.detail or "The request is in conflict.",
                           title="Integration request in conflict")
        # The guard holds at approval too: a duplicate may have been created since.
        conflict = await _conflict(uow, request.contract_rut, request.company_rut)
        if conflict:
            await uow.companies.update_request(request_id, status=RequestStatus.CONFLICT,
                                               detail=conflict)
            uow.emit(_conflicted(request_id, request.company_rut, request.contract_rut),
                     subject=request_id)
            await uow.commit()
            raise Conflict(conflict, title="Integration request in conflict")
        company = await uow.companies.get_company(company_id)
        problem = _unfit_company(company, company_id, request)
        if problem:
            raise Unprocessable(problem, errors=[{"field": "company_id", "message": problem}])
        now = datetime.now(UTC)
        await uow.companies.update_request(request_id, status=RequestStatus.APPROVED, detail=None,
                                      company_id=company_id, decided_at=now)
        await _link(uow, request.company_rut, company_id, request_id)
        uow.emit(IntegrationApproved(request_id=request_id, company_rut=request.company_rut,
                                     contract_rut=request.contract_rut,
                                     accounting_company_id=company_id),
                 subject=request_id)
        await uow.commit()
        return request_view(await _request(uow, request_id, lock=False))


async def reject(services: Services, request_id: str, reason: str | None) -> dict[str, Any]:
    reason = reason or DEFAULT_REJECTION
    async with services.uow() as uow:
        request = await _request(uow, request_id)
        _must_be_current(request)
        _must_be_open(request)
        await uow.companies.update_request(request_id, status=RequestStatus.REJECTED, detail=reason,
                                      decided_at=datetime.now(UTC))
        uow.emit(IntegrationRejected(request_id=request_id, company_rut=request.company_rut,
                                     contract_rut=request.contract_rut, reason=reason),
                 subject=request_id)
        await uow.commit()
        return request_view(await _request(uow, request_id, lock=False))


def request_view(request: IntegrationRequest) -> dict[str, Any]:
    return {"id": request.id, "contract_rut": request.contract_rut,
            "company_rut": request.company_rut, "company_name": request.company_name,
            "status": request.status, "detail": request.detail,
            "company_id": request.company_id, "requested_at": request.requested_at,
            "decided_at": request.decided_at, "superseded_by": request.superseded_by}


def _ref(request: IntegrationRequest) -> RequestRef:
    return RequestRef(request.id, request.contract_rut, request.status, request.requested_at)


async def _request(uow: UnitOfWork, request_id: str, *,
                   lock: bool = True) -> IntegrationRequest:
    request = await uow.companies.get_request(request_id, lock=lock)
    if request is None:
        raise NotFound(f"There is no integration request with id {request_id}.")
    return request


def _must_be_current(request: IntegrationRequest) -> None:
    if request.status in REPLACED:
        raise Conflict(request.detail or f"The integration request {request.id} was "
                       f"{request.status}.", title=f"Integration request {request.status}",
                       current_request_id=request.superseded_by)


def _must_be_open(request: IntegrationRequest) -> None:
    if request.status in (RequestStatus.APPROVED, RequestStatus.REJECTED):
        raise Conflict(f"The integration request {request.id} was already {request.status}; "
                       "a decided request cannot change. Ask invoicing to request the "
                       "integration again if needed.", title="Integration request decided")


async def _reassert(uow: UnitOfWork, request: IntegrationRequest) -> None:
    """Invoicing announced an approved request again: it is the company's connection, so
    its link must be in force (unless a newer approval of the company arrived since: then
    the announcement is late)."""
    if request.status != RequestStatus.APPROVED or request.company_id is None:
        return
    this = _ref(request)
    if any(other.status == RequestStatus.APPROVED and is_older(this, other)
           for other in map(_ref, await uow.companies.requests_of_company(request.company_rut))):
        return
    link = await uow.companies.link_for_rut(request.company_rut)
    company = await uow.companies.get_company(request.company_id)
    if (link is None or link.request_id != request.id) and company is not None \
            and company.status == "active":
        log.warning("the link of invoicing company %s was not its approved request %s; "
                    "restored", request.company_rut, request.id)
        await _link(uow, request.company_rut, request.company_id, request.id)


async def _unlink(uow: UnitOfWork, company_rut: str, request_id: str,
                  connected_request_id: str | None) -> None:
    """If the company's link is still ``request_id``'s, it becomes the link of the request
    invoicing says is in force (when approved here), or none."""
    link = await uow.companies.link_for_rut(company_rut)
    if link is None or link.request_id != request_id:
        return
    connected = (await uow.companies.get_request(connected_request_id)
                 if connected_request_id else None)
    if connected is not None and connected.status == RequestStatus.APPROVED \
            and connected.company_id is not None:
        await _link(uow, company_rut, connected.company_id, connected.id)
    else:
        await uow.companies.delete_link(company_rut)


async def _link(uow: UnitOfWork, company_rut: str, company_id: str, request_id: str) -> None:
    await uow.companies.save_link(company_rut, company_id, request_id)
    # The worker keeps posting profiles per company RUT: the company's may be another's now.
    uow.emit(SettingsChanged(accounting_company_id=company_id, company_rut=company_rut),
             subject=company_id)


def _unfit_company(company: Company | None, company_id: str,
                   request: IntegrationRequest) -> str | None:
    if company is None or company.contract_rut != request.contract_rut:
        return (f"Company {company_id} is not a company of contract {request.contract_rut}: "
                "choose one of the contract's companies.")
    if company.status != CompanyStatus.ACTIVE:
        return (f"Company '{company.name}' ({company_id}) is {company.status}: choose an "
                "active company.")
    if company.rut != request.company_rut:
        return (f"Company '{company.name}' has RUT {company.rut}, but the request is for RUT "
                f"{request.company_rut}: choose the company with RUT {request.company_rut} "
                "(create it in the contract if it does not exist).")
    return None


async def _conflict(uow: UnitOfWork, contract_rut: str, company_rut: str) -> str | None:
    active = await uow.companies.active_companies_with_rut(contract_rut, company_rut)
    if len(active) < 2:
        return None
    return conflict_detail(contract_rut, company_rut, [CompanyRef(c.id, c.name) for c in active])


def _conflicted(request_id: str, company_rut: str, contract_rut: str) -> IntegrationConflicted:
    # The company's users are not the contract's: they get no names or ids of its companies.
    return IntegrationConflicted(request_id=request_id, company_rut=company_rut,
                                 contract_rut=contract_rut,
                                 detail=conflict_notice(contract_rut, company_rut))
