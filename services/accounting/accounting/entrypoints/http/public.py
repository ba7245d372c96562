"""The public HTTP API (paths front-ends are built against: keep them)."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from accounting.domain.accounts import Account
from accounting.domain.integrations import RequestStatus
from accounting.domain.periods import MONTH_PATTERN
from accounting.domain.settings import IntegrationOptions, InvoiceSettings
from accounting.domain.syncs import DocumentStatus, SyncKind, SyncStatus
from accounting.entrypoints.http.access import ensure_may_create_contract
from accounting.entrypoints.http.deps import ServicesDep
from accounting.entrypoints.http.schemas import (
    AccountIn,
    AccountOut,
    ApproveIn,
    CompanyIn,
    CompanyOut,
    ConfirmOut,
    ContractIn,
    ContractOut,
    DetailAccountIn,
    EntryOut,
    EntryPage,
    IntegrationOut,
    IntegrationRequestOut,
    InvoiceSettingsIn,
    InvoiceSettingsOut,
    PeriodOut,
    RejectIn,
    ReverseIn,
    SyncDocumentOut,
    SyncDocumentPage,
    SyncIn,
    SyncOut,
)
from accounting.service_layer import (
    books,
    companies,
    entries,
    integration_requests,
    integrations,
    periods,
    settings,
    syncs,
)
from shared.http.auth import CurrentPrincipal
from shared.http.pagination import MAX_OFFSET, PageQuery
from shared.http.problems import PROBLEM_RESPONSES
from shared.rut import Rut
from shared.text import Identifier, Text

router = APIRouter(prefix="/v1", responses=PROBLEM_RESPONSES)

RutPath = Annotated[Rut, Path(description="RUT, e.g. 76354771-K or 76.354.771-K")]
CompanyId = Annotated[Identifier, Path(description="accounting company id")]
RequestId = Annotated[Identifier, Path(description="integration request id")]
SyncId = Annotated[Identifier, Path(description="sync session id")]
DocumentId = Annotated[Identifier, Path(description="the session's document id")]
EntryId = Annotated[Identifier, Path(description="journal entry id")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Limit = Annotated[int, Query(ge=1, le=500)]
MAX_WAIT_SECONDS = 30  # a long poll of a sync session; proxies commonly cut idle at 60 s
From = Annotated[date | None, Query(alias="from", description="first day, inclusive")]
To = Annotated[date | None, Query(alias="to", description="last day, inclusive")]


def _account_out(account: Account) -> AccountOut:
    return AccountOut(code=account.code, name=account.name, type=account.type,
                      postable=account.postable, auxiliary=account.auxiliary,
                      active=account.active)


# --- contracts and companies ------------------------------------------------------------


@router.post("/contracts", status_code=status.HTTP_201_CREATED, tags=["contracts"],
             summary="Create a contract (the RUT that holds the subscription)")
async def create_contract(body: ContractIn, services: ServicesDep,
                          principal: CurrentPrincipal) -> ContractOut:
    ensure_may_create_contract(principal, body.rut)
    return ContractOut(**await companies.create_contract(services, body.rut, body.name))


@router.get("/contracts/{rut}", tags=["contracts"], summary="A contract")
async def get_contract(rut: RutPath, services: ServicesDep) -> ContractOut:
    return ContractOut(**await companies.get_contract(services, rut))


@router.post("/contracts/{rut}/companies", status_code=status.HTTP_201_CREATED,
             tags=["companies"],
             summary="Add a company to the contract; it starts with the default chart")
async def create_company(rut: RutPath, body: CompanyIn, services: ServicesDep) -> CompanyOut:
    return CompanyOut(**await companies.create_company(services, rut, body.rut, body.name))


@router.get("/contracts/{rut}/companies", tags=["companies"],
            summary="The contract's companies (active and hidden; deleted ones are left out)")
async def list_companies(rut: RutPath, services: ServicesDep, page: PageQuery,
                         response: Response) -> list[CompanyOut]:
    return [CompanyOut(**c) for c in page.of(await companies.list_companies(services, rut),
                                             response)]


@router.get("/companies/{company_id}", tags=["companies"], summary="A company")
async def get_company(company_id: CompanyId, services: ServicesDep) -> CompanyOut:
    return CompanyOut(**await companies.get_company(services, company_id))


@router.delete("/companies/{company_id}", status_code=status.HTTP_204_NO_CONTENT,
               tags=["companies"],
               summary="Delete a company (soft); resolves duplicate-RUT conflicts it caused")
async def delete_company(company_id: CompanyId, services: ServicesDep) -> Response:
    await companies.delete_company(services, company_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/companies/{company_id}/hide", tags=["companies"],
             summary="Hide a company; resolves duplicate-RUT conflicts it caused")
async def hide_company(company_id: CompanyId, services: ServicesDep) -> CompanyOut:
    return CompanyOut(**await companies.hide_company(services, company_id))


@router.get("/companies/{company_id}/accounts", tags=["chart of accounts"],
            summary="The company's chart of accounts, by code")
async def list_accounts(company_id: CompanyId, services: ServicesDep, page: PageQuery,
                        response: Response) -> list[AccountOut]:
    return [_account_out(a) for a in page.of(await companies.list_accounts(services, company_id),
                                             response)]


@router.post("/companies/{company_id}/accounts", status_code=status.HTTP_201_CREATED,
             tags=["chart of accounts"], summary="Create a postable account")
async def create_account(company_id: CompanyId, body: AccountIn,
                         services: ServicesDep) -> AccountOut:
    account = await companies.create_account(services, company_id, body.code, body.name,
                                             body.type, body.auxiliary)
    return _account_out(account)


# --- integration requests -------------------------------------------------------------


@router.get("/contracts/{rut}/integration-requests", tags=["integration requests"],
            summary="Integration requests that arrived from invoicing for this contract")
async def list_integration_requests(
    rut: RutPath, services: ServicesDep,
    page: PageQuery, response: Response,
    status_filter: Annotated[RequestStatus | None, Query(alias="status")] = None,
) -> list[IntegrationRequestOut]:
    found = await integration_requests.list_requests(services, rut, status_filter)
    return [IntegrationRequestOut(**r) for r in page.of(found, response)]


@router.post("/integration-requests/{request_id}/approve", tags=["integration requests"],
             summary="Approve a pending request, choosing the company that keeps the books")
async def approve_request(request_id: RequestId, body: ApproveIn,
                          services: ServicesDep) -> IntegrationRequestOut:
    return IntegrationRequestOut(
        **await integration_requests.approve(services, request_id, body.company_id))


@router.post("/integration-requests/{request_id}/reject", tags=["integration requests"],
             summary="Reject a pending or conflicting request")
async def reject_request(request_id: RequestId, services: ServicesDep,
                         body: RejectIn | None = None) -> IntegrationRequestOut:
    reason = body.reason if body else None
    return IntegrationRequestOut(**await integration_requests.reject(services, request_id,
                                                                     reason))


# --- settings and integrations ---------------------------------------------------------


@router.get("/companies/{company_id}/settings/invoice-integration", tags=["settings"],
            summary="Default accounts of the invoice integration, and what is missing")
async def get_invoice_settings(company_id: CompanyId,
                               services: ServicesDep) -> InvoiceSettingsOut:
    return InvoiceSettingsOut(**await settings.get_settings(services, company_id))


@router.put("/companies/{company_id}/settings/invoice-integration", tags=["settings"],
            summary="Set the default accounts (replaces them all; each one is validated)")
async def put_invoice_settings(company_id: CompanyId, body: InvoiceSettingsIn,
                               services: ServicesDep) -> InvoiceSettingsOut:
    values = InvoiceSettings(
        sales_auxiliary=body.sales.auxiliary_account,
        sales_detail=body.sales.detail_account,
        purchases_auxiliary=body.purchases.auxiliary_account,
        purchases_detail=body.purchases.detail_account,
        payments=body.payments_account,
        collections=body.collections_account,
        fixed_asset=body.fixed_asset_account,
        non_recoverable_vat=body.non_recoverable_vat_account,
    )
    options = IntegrationOptions(auto_post=body.auto_post,
                                 other_tax_accounts=body.other_tax_accounts,
                                 purchase_other_tax_accounts=body.purchase_other_tax_accounts,
                                 issued_vat_tolerance=body.issued_vat_tolerance,
                                 purchase_entry_date=body.purchase_entry_date)
    return InvoiceSettingsOut(**await settings.put_settings(services, company_id, values,
                                                            options))


@router.get("/companies/{company_id}/integrations", tags=["integrations"],
            summary="Connectors, whether each can connect and what is missing")
async def list_integrations(company_id: CompanyId,
                            services: ServicesDep) -> list[IntegrationOut]:
    return [IntegrationOut(**i) for i in await integrations.list_integrations(services,
                                                                               company_id)]


@router.post("/companies/{company_id}/integrations/factura-electronica/syncs",
             status_code=status.HTTP_202_ACCEPTED, tags=["syncs"],
             summary="Connect and synchronise a date range (at most 24 months)")
async def request_sync(company_id: CompanyId, body: SyncIn, services: ServicesDep,
                       response: Response) -> SyncOut:
    sync = await integrations.request_sync(services, company_id, body.date_from, body.date_to)
    response.headers["Location"] = f"/v1/syncs/{sync['id']}"
    return SyncOut(**sync)


# --- sync sessions ------------------------------------------------------------------


@router.get("/companies/{company_id}/syncs", tags=["syncs"],
            summary="The company's sync sessions, newest first (range and live)")
async def list_syncs(
    company_id: CompanyId, services: ServicesDep, page: PageQuery, response: Response,
    kind: Annotated[SyncKind | None, Query()] = None,
    status_filter: Annotated[SyncStatus | None, Query(alias="status")] = None,
) -> list[SyncOut]:
    found = await syncs.list_syncs(services, company_id, kind, status_filter)
    return [SyncOut(**s) for s in page.of(found, response)]


@router.get("/syncs/{sync_id}", tags=["syncs"], summary="A sync session and its progress")
async def get_sync(sync_id: SyncId, services: ServicesDep,
                   wait: Annotated[float, Query(
                       ge=0, le=MAX_WAIT_SECONDS,
                       description="seconds to wait, while the session is still delivering "
                                   "(requested or receiving), for it to be in review (or "
                                   "refused, or stalled) before answering: instead of polling"
                   )] = 0) -> SyncOut:
    return SyncOut(**await syncs.get_sync(services, sync_id, wait))


@router.get("/syncs/{sync_id}/documents", tags=["syncs"],
            summary="The session's documents with their proposed entries")
async def list_sync_documents(
    sync_id: SyncId, services: ServicesDep,
    status_filter: Annotated[DocumentStatus | None, Query(alias="status")] = None,
    offset: Offset = 0, limit: Limit = 100,
) -> SyncDocumentPage:
    return SyncDocumentPage(**await syncs.list_documents(services, sync_id, status_filter,
                                                         offset, limit))


@router.patch("/syncs/{sync_id}/documents/{document_id}", tags=["syncs"],
              summary="Change the detail account (cuenta detalle) of a ready document")
async def change_detail_account(sync_id: SyncId, document_id: DocumentId,
                                body: DetailAccountIn,
                                services: ServicesDep) -> SyncDocumentOut:
    """The document's `account_source` becomes `chosen`. Once the sync is confirmed the
    choice is remembered for the counterparty (company, direction and RUT) and proposed
    for their next documents instead of the default: see /remembered-accounts."""
    return SyncDocumentOut(**await syncs.change_detail_account(services, sync_id, document_id,
                                                               body.detail_account))


@router.post("/syncs/{sync_id}/confirm", tags=["syncs"],
             summary="Post every ready document as a comprobante (idempotent)")
async def confirm_sync(sync_id: SyncId, services: ServicesDep) -> ConfirmOut:
    return ConfirmOut(**await syncs.confirm(services, sync_id))


@router.post("/syncs/{sync_id}/resume", status_code=status.HTTP_202_ACCEPTED, tags=["syncs"],
             summary="Make a stalled session go on: ask invoicing again, or finish its confirm")
async def resume_sync(sync_id: SyncId, services: ServicesDep) -> SyncOut:
    """A session still receiving asks invoicing for its range again (the export goes on
    after its last committed page; one already finished sends its completion again); one
    whose confirm stopped half way is finished. Nothing is sent, stored or posted twice, so
    it is safe to call again. 409 for a session that waits for nothing (in review,
    confirmed, live)."""
    return SyncOut(**await syncs.resume(services, sync_id))


# --- books --------------------------------------------------------------------------


@router.get("/companies/{company_id}/entries", tags=["books"],
            summary="Posted journal entries (comprobantes) with their lines")
async def list_entries(company_id: CompanyId, services: ServicesDep,
                       date_from: From = None, date_to: To = None,
                       offset: Offset = 0, limit: Limit = 100) -> EntryPage:
    return EntryPage(**await books.list_entries(services, company_id, date_from, date_to,
                                                offset, limit))


@router.get("/entries/{entry_id}", tags=["books"], summary="A journal entry with its lines")
async def get_entry(entry_id: EntryId, services: ServicesDep) -> EntryOut:
    return EntryOut(**await entries.get_entry(services, entry_id))


@router.post("/entries/{entry_id}/reverse", status_code=status.HTTP_201_CREATED,
             tags=["books"],
             summary="Reverse a posted entry: a new entry with debit and credit swapped")
async def reverse_entry(entry_id: EntryId, services: ServicesDep, response: Response,
                        body: ReverseIn | None = None) -> EntryOut:
    body = body or ReverseIn()
    reversal = await entries.reverse(services, entry_id, body.reason, body.on)
    response.headers["Location"] = f"/v1/entries/{reversal['id']}"
    return EntryOut(**reversal)


# --- periods -------------------------------------------------------------------------

Month = Annotated[Text(7), Path(pattern=MONTH_PATTERN, description="YYYY-MM",
                                examples=["2026-10"])]


@router.get("/companies/{company_id}/periods", tags=["periods"],
            summary="Months with entries or ever closed, and whether each is open")
async def list_periods(company_id: CompanyId, services: ServicesDep, page: PageQuery,
                       response: Response) -> list[PeriodOut]:
    return [PeriodOut(**p) for p in page.of(await periods.list_periods(services, company_id),
                                            response)]


@router.post("/companies/{company_id}/periods/{month}/close", tags=["periods"],
             summary="Close a month: nothing posts into it until it is reopened")
async def close_period(company_id: CompanyId, month: Month,
                       services: ServicesDep) -> PeriodOut:
    return PeriodOut(**await periods.close(services, company_id, month))


@router.post("/companies/{company_id}/periods/{month}/reopen", tags=["periods"],
             summary="Reopen a month; documents that waited for it become ready again")
async def reopen_period(company_id: CompanyId, month: Month,
                        services: ServicesDep) -> PeriodOut:
    return PeriodOut(**await periods.reopen(services, company_id, month))

