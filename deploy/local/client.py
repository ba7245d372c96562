"""A small synchronous client of both public APIs, for the demo and the e2e tests."""

import time
from collections.abc import Callable
from typing import Any

import httpx

from deploy.local.auth import GrantingAuth

KEEPALIVE_SECONDS = 2.0


class ApiError(RuntimeError):
    def __init__(self, method: str, url: str, status: int, body: Any):
        detail = body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"{method} {url} → {status}: {detail}")
        self.status = status
        self.body = body


class FlowClient:
    def __init__(self, invoicing_url: str, accounting_url: str, *, timeout: float = 15.0,
                 auth: httpx.Auth | None = None):
        """``auth`` defaults to a development token granted as the client goes."""
        self.auth = auth or GrantingAuth()
        # Idle connections are dropped before the services' keep-alive (uvicorn: 5 s) ends
        # them: at httpx's own 5 s a request could go out on a connection the server was
        # closing, and fail with a reset (seen with the month end's long polls).
        limits = httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS)
        self.invoicing = httpx.Client(base_url=invoicing_url, timeout=timeout, auth=self.auth,
                                      limits=limits)
        self.accounting = httpx.Client(base_url=accounting_url, timeout=timeout,
                                       auth=self.auth, limits=limits)

    def close(self) -> None:
        self.invoicing.close()
        self.accounting.close()

    @staticmethod
    def call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
        response = client.request(method, path, **kwargs)
        body = response.json() if response.content else None
        if response.status_code >= 400:
            raise ApiError(method, path, response.status_code, body)
        return body

    # --- invoicing ------------------------------------------------------------------

    def create_company(self, rut: str, name: str) -> dict:
        return self.call(self.invoicing, "POST", "/v1/companies", json={"rut": rut, "name": name})

    def record_document(self, company_rut: str, **document: Any) -> dict:
        return self.call(self.invoicing, "POST", f"/v1/companies/{company_rut}/documents",
                         json=document)

    def request_integration(self, company_rut: str, contract_rut: str) -> dict:
        return self.call(self.invoicing, "PUT", f"/v1/companies/{company_rut}/integration",
                         json={"contract_rut": contract_rut})

    def integration_status(self, company_rut: str) -> dict:
        return self.call(self.invoicing, "GET", f"/v1/companies/{company_rut}/integration")

    def record_payment(self, company_rut: str, **payment: Any) -> dict:
        """A payment to a supplier or a collection from a customer (kind payment|collection)."""
        return self.call(self.invoicing, "POST", f"/v1/companies/{company_rut}/payments",
                         json=payment)

    # --- accounting -----------------------------------------------------------------

    def create_contract(self, rut: str, name: str) -> dict:
        return self.call(self.accounting, "POST", "/v1/contracts", json={"rut": rut, "name": name})

    def add_company(self, contract_rut: str, rut: str, name: str) -> dict:
        return self.call(self.accounting, "POST", f"/v1/contracts/{contract_rut}/companies",
                         json={"rut": rut, "name": name})

    def hide_company(self, company_id: str) -> dict:
        return self.call(self.accounting, "POST", f"/v1/companies/{company_id}/hide")

    def accounts(self, company_id: str) -> list[dict]:
        return self.call(self.accounting, "GET", f"/v1/companies/{company_id}/accounts")

    def integration_requests(self, contract_rut: str, status: str | None = None) -> list[dict]:
        params = {"status": status} if status else {}
        return self.call(self.accounting, "GET",
                         f"/v1/contracts/{contract_rut}/integration-requests", params=params)

    def approve(self, request_id: str, company_id: str) -> dict:
        return self.call(self.accounting, "POST", f"/v1/integration-requests/{request_id}/approve",
                         json={"company_id": company_id})

    def integrations(self, company_id: str) -> list[dict]:
        return self.call(self.accounting, "GET", f"/v1/companies/{company_id}/integrations")

    def put_settings(self, company_id: str, settings: dict) -> dict:
        return self.call(self.accounting, "PUT",
                         f"/v1/companies/{company_id}/settings/invoice-integration", json=settings)

    def start_sync(self, company_id: str, date_from: str, date_to: str) -> dict:
        return self.call(self.accounting, "POST",
                         f"/v1/companies/{company_id}/integrations/factura-electronica/syncs",
                         json={"from": date_from, "to": date_to})

    def sync(self, sync_id: str, *, wait: float | None = None) -> dict:
        """The sync session; with ``wait``, a session still delivering is answered once it
        is not (in review…) or after that many seconds (a long poll)."""
        params = {} if wait is None else {"wait": wait}
        return self.call(self.accounting, "GET", f"/v1/syncs/{sync_id}", params=params)

    def sync_documents(self, sync_id: str, status: str | None = None) -> list[dict]:
        items: list[dict] = []
        while True:
            params: dict[str, Any] = {"offset": len(items), "limit": 500}
            if status:
                params["status"] = status
            page = self.call(self.accounting, "GET", f"/v1/syncs/{sync_id}/documents",
                             params=params)
            items.extend(page["items"])
            if not page["items"] or len(items) >= page["total"]:
                return items

    def change_detail_account(self, sync_id: str, document_id: str, account: str) -> dict:
        return self.call(self.accounting, "PATCH", f"/v1/syncs/{sync_id}/documents/{document_id}",
                         json={"detail_account": account})

    def confirm(self, sync_id: str) -> dict:
        return self.call(self.accounting, "POST", f"/v1/syncs/{sync_id}/confirm")

    def entries(self, company_id: str, date_from: str, date_to: str) -> list[dict]:
        body = self.call(self.accounting, "GET", f"/v1/companies/{company_id}/entries",
                         params={"from": date_from, "to": date_to, "limit": 500})
        return body["items"] if isinstance(body, dict) else body

    def trial_balance(self, company_id: str, date_from: str, date_to: str) -> dict:
        return self.call(self.accounting, "GET",
                         f"/v1/companies/{company_id}/reports/trial-balance",
                         params={"from": date_from, "to": date_to})

    def syncs(self, company_id: str, kind: str | None = None) -> list[dict]:
        params = {"kind": kind} if kind else {}
        return self.call(self.accounting, "GET", f"/v1/companies/{company_id}/syncs",
                         params=params)

    def periods(self, company_id: str) -> list[dict]:
        return self.call(self.accounting, "GET", f"/v1/companies/{company_id}/periods")

    def close_period(self, company_id: str, month: str) -> dict:
        return self.call(self.accounting, "POST",
                         f"/v1/companies/{company_id}/periods/{month}/close")

    def reopen_period(self, company_id: str, month: str) -> dict:
        return self.call(self.accounting, "POST",
                         f"/v1/companies/{company_id}/periods/{month}/reopen")

    def reverse_entry(self, entry_id: str, reason: str | None = None,
                      on: str | None = None) -> dict:
        body = {k: v for k, v in (("reason", reason), ("date", on)) if v is not None}
        return self.call(self.accounting, "POST", f"/v1/entries/{entry_id}/reverse", json=body)

    def report(self, company_id: str, name: str, **params: Any) -> Any:
        """A report as JSON: journal, ledger, trial-balance, auxiliary-balances or
        reconciliation (``from_``/``to`` become from/to)."""
        if "from_" in params:
            params["from"] = params.pop("from_")
        return self.call(self.accounting, "GET", f"/v1/companies/{company_id}/reports/{name}",
                         params=params)

    def report_csv(self, company_id: str, name: str, **params: Any) -> str:
        if "from_" in params:
            params["from"] = params.pop("from_")
        response = self.accounting.get(f"/v1/companies/{company_id}/reports/{name}",
                                       params={**params, "format": "csv"})
        if response.status_code >= 400:
            raise ApiError("GET", name, response.status_code, response.text)
        return response.text


def wait_for(fetch: Callable[[], Any], done: Callable[[Any], bool], *, what: str,
             timeout: float = 30.0, interval: float = 0.2,
             on_progress: Callable[[Any], None] | None = None) -> Any:
    """Poll ``fetch`` until ``done(value)``; raise a TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if on_progress:
            on_progress(value)
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}; last: {value}")
        time.sleep(interval)


def integrate(client: FlowClient, company_rut: str, contract_rut: str, name: str,
              settings: dict[str, Any], *, contract_name: str = "Contadores Asociados Ltda.",
              timeout: float = 60.0) -> str:
    """Steps 2 to 5 of the flow for a company invoicing already has: the contract and the
    company in accounting, the integration request approved (and known to invoicing), the
    default accounts set. Returns accounting's id of the company, ready to connect."""
    client.create_contract(contract_rut, contract_name)
    company_id = client.add_company(contract_rut, company_rut, name)["id"]
    client.request_integration(company_rut, contract_rut)
    request = wait_for(lambda: client.integration_requests(contract_rut),
                       lambda reqs: bool(reqs) and reqs[0]["status"] == "pending",
                       what="the integration request to reach accounting", timeout=timeout)[0]
    client.approve(request["id"], company_id)
    wait_for(lambda: client.integration_status(company_rut),
             lambda s: s["status"] == "approved", what="invoicing to learn the approval",
             timeout=timeout)
    client.put_settings(company_id, settings)
    return company_id
