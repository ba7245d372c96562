"""The console's only way to the data: the public HTTP APIs of invoicing and accounting,
called with the signed-in person's bearer token, exactly as a partner's front-end would."""

from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class ApiError(Exception):
    status: int
    detail: str
    title: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)  # [{field, message}]
    body: Any = None

    def __str__(self) -> str:
        return self.detail or self.title or f"HTTP {self.status}"

    def field_errors(self) -> dict[str, list[str]]:
        """The API's validation messages by the field they concern."""
        found: dict[str, list[str]] = {}
        for error in self.errors:
            found.setdefault(error.get("field") or "", []).append(error.get("message") or "")
        return found


class Unavailable(ApiError):
    """The service did not answer at all."""


def _error(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        errors = body.get("errors")
        errors = errors if isinstance(errors, list) else []
        return ApiError(response.status_code, str(body.get("detail") or ""),
                        str(body.get("title") or ""),
                        [e for e in errors if isinstance(e, dict)], body)
    return ApiError(response.status_code, response.text[:500], body=response.text)


class Api:
    """Both services; each call names the token to send."""

    def __init__(self, invoicing_url: str, accounting_url: str, *, timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None):
        options: dict[str, Any] = {"timeout": timeout}
        if transport is not None:
            options["transport"] = transport
        self.invoicing = httpx.AsyncClient(base_url=invoicing_url, **options)
        self.accounting = httpx.AsyncClient(base_url=accounting_url, **options)

    async def close(self) -> None:
        await self.invoicing.aclose()
        await self.accounting.aclose()

    async def _send(self, client: httpx.AsyncClient, token: str | None, method: str,
                    path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = await client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            name = "Factura Electrónica" if client is self.invoicing else "Contabilidad"
            raise Unavailable(503, f"{name} no responde ({type(error).__name__}); intenta "
                                   "de nuevo en un momento.") from None
        if response.status_code >= 400:
            raise _error(response)
        return response

    async def _json(self, client: httpx.AsyncClient, token: str | None, method: str,
                    path: str, **kwargs: Any) -> Any:
        response = await self._send(client, token, method, path, **kwargs)
        return response.json() if response.content else None

    # --- invoicing ------------------------------------------------------------------

    async def company(self, token: str, rut: str) -> dict:
        return await self._json(self.invoicing, token, "GET", f"/v1/companies/{rut}")

    async def integration_status(self, token: str, rut: str) -> dict | None:
        """None when the company has not asked for the integration yet (or, as the API
        answers the same 404, is not there: read the company first)."""
        try:
            return await self._json(self.invoicing, token, "GET",
                                    f"/v1/companies/{rut}/integration")
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    async def request_integration(self, token: str, rut: str, contract_rut: str) -> dict:
        return await self._json(self.invoicing, token, "PUT", f"/v1/companies/{rut}/integration",
                                json={"contract_rut": contract_rut})

    # --- accounting: contracts, companies, chart --------------------------------------

    async def contract(self, token: str, rut: str) -> dict:
        return await self._json(self.accounting, token, "GET", f"/v1/contracts/{rut}")

    async def contract_companies(self, token: str, rut: str) -> list[dict]:
        return await self._json(self.accounting, token, "GET", f"/v1/contracts/{rut}/companies")

    async def accounting_company(self, token: str, company_id: str) -> dict:
        return await self._json(self.accounting, token, "GET", f"/v1/companies/{company_id}")

    async def hide_company(self, token: str, company_id: str) -> dict:
        return await self._json(self.accounting, token, "POST",
                                f"/v1/companies/{company_id}/hide")

    async def delete_company(self, token: str, company_id: str) -> None:
        await self._send(self.accounting, token, "DELETE", f"/v1/companies/{company_id}")

    async def accounts(self, token: str, company_id: str) -> list[dict]:
        found: list[dict] = []
        while True:
            page = await self._json(self.accounting, token, "GET",
                                    f"/v1/companies/{company_id}/accounts",
                                    params={"offset": len(found), "limit": 500})
            found.extend(page)
            if len(page) < 500:
                return found

    async def create_account(self, token: str, company_id: str, account: dict) -> dict:
        return await self._json(self.accounting, token, "POST",
                                f"/v1/companies/{company_id}/accounts", json=account)

    # --- accounting: requests, settings, connectors -----------------------------------

    async def integration_requests(self, token: str, contract_rut: str) -> list[dict]:
        return await self._json(self.accounting, token, "GET",
                                f"/v1/contracts/{contract_rut}/integration-requests")

    async def approve(self, token: str, request_id: str, company_id: str) -> dict:
        return await self._json(self.accounting, token, "POST",
                                f"/v1/integration-requests/{request_id}/approve",
                                json={"company_id": company_id})

    async def reject(self, token: str, request_id: str, reason: str | None) -> dict:
        return await self._json(self.accounting, token, "POST",
                                f"/v1/integration-requests/{request_id}/reject",
                                json={"reason": reason} if reason else None)

    async def settings(self, token: str, company_id: str) -> dict:
        return await self._json(self.accounting, token, "GET",
                                f"/v1/companies/{company_id}/settings/invoice-integration")

    async def put_settings(self, token: str, company_id: str, body: dict) -> dict:
        return await self._json(self.accounting, token, "PUT",
                                f"/v1/companies/{company_id}/settings/invoice-integration",
                                json=body)

    async def integrations(self, token: str, company_id: str) -> list[dict]:
        return await self._json(self.accounting, token, "GET",
                                f"/v1/companies/{company_id}/integrations")

    # --- accounting: remembered detail accounts ---------------------------------------

    async def remembered_accounts(self, token: str, company_id: str) -> list[dict]:
        found: list[dict] = []
        while True:
            page = await self._json(self.accounting, token, "GET",
                                    f"/v1/companies/{company_id}/remembered-accounts",
                                    params={"offset": len(found), "limit": 500})
            found.extend(page["items"])
            if len(found) >= page["total"] or not page["items"]:
                return found

    async def remember_account(self, token: str, company_id: str, direction: str,
                               counterparty_rut: str, account_code: str) -> dict:
        return await self._json(
            self.accounting, token, "PUT",
            f"/v1/companies/{company_id}/remembered-accounts/{direction}/{counterparty_rut}",
            json={"account_code": account_code})

    async def forget_account(self, token: str, company_id: str, direction: str,
                             counterparty_rut: str) -> None:
        await self._send(
            self.accounting, token, "DELETE",
            f"/v1/companies/{company_id}/remembered-accounts/{direction}/{counterparty_rut}")

    # --- accounting: syncs and review -------------------------------------------------

    async def start_sync(self, token: str, company_id: str, date_from: str,
                         date_to: str) -> dict:
        return await self._json(
            self.accounting, token, "POST",
            f"/v1/companies/{company_id}/integrations/factura-electronica/syncs",
            json={"from": date_from, "to": date_to})

    async def syncs(self, token: str, company_id: str, limit: int = 10) -> list[dict]:
        return await self._json(self.accounting, token, "GET",
                                f"/v1/companies/{company_id}/syncs", params={"limit": limit})

    async def sync(self, token: str, sync_id: str) -> dict:
        return await self._json(self.accounting, token, "GET", f"/v1/syncs/{sync_id}")

    async def sync_documents(self, token: str, sync_id: str, *, offset: int, limit: int,
                             status: str | None = None) -> dict:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if status:
            params["status"] = status
        return await self._json(self.accounting, token, "GET", f"/v1/syncs/{sync_id}/documents",
                                params=params)

    async def change_detail_account(self, token: str, sync_id: str, document_id: str,
                                    account: str) -> dict:
        return await self._json(self.accounting, token, "PATCH",
                                f"/v1/syncs/{sync_id}/documents/{document_id}",
                                json={"detail_account": account})

    async def confirm(self, token: str, sync_id: str, seconds: float) -> dict:
        """Confirm posts the whole sync in one request: it gets its own, longer, timeout."""
        return await self._json(self.accounting, token, "POST", f"/v1/syncs/{sync_id}/confirm",
                                timeout=seconds)

    # --- accounting: books ------------------------------------------------------------

    async def entries(self, token: str, company_id: str, *, date_from: str | None,
                      date_to: str | None, offset: int, limit: int) -> dict:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if date_from:
            params["from"] = date_from
        if date_to:
            params["to"] = date_to
        return await self._json(self.accounting, token, "GET",
                                f"/v1/companies/{company_id}/entries", params=params)

    async def trial_balance(self, token: str, company_id: str, *, date_from: str | None,
                            date_to: str | None) -> dict:
        params = {k: v for k, v in (("from", date_from), ("to", date_to)) if v}
        return await self._json(self.accounting, token, "GET",
                                f"/v1/companies/{company_id}/reports/trial-balance",
                                params=params)

    async def balance_tributario(self, token: str, company_id: str, *, year: int,
                                 date_to: str) -> dict:
        return await self._json(self.accounting, token, "GET",
                                f"/v1/companies/{company_id}/reports/balance-tributario",
                                params={"year": year, "to": date_to})

    async def report_csv(self, token: str, company_id: str, report: str, *,
                         date_from: str | None, date_to: str | None,
                         year: int | None = None) -> httpx.Response:
        params = {k: v for k, v in (("from", date_from), ("to", date_to), ("year", year)) if v}
        return await self._send(self.accounting, token, "GET",
                                f"/v1/companies/{company_id}/reports/{report}",
                                params={**params, "format": "csv"},
                                timeout=300)

    async def ready(self) -> dict[str, bool]:
        found = {}
        for name, client in (("invoicing", self.invoicing), ("accounting", self.accounting)):
            try:
                found[name] = (await client.get("/readyz", timeout=3)).status_code == 200
            except httpx.HTTPError:
                found[name] = False
        return found
