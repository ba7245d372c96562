"""Accounting's internal API over HTTP: one httpx.AsyncClient for the whole process.

Transient failures (connection errors, timeouts, 5xx) are retried with exponential backoff
(capped) for at least ``retries`` attempts and ``patience`` seconds, then raised. When
accounting cannot be reached or says it is unavailable (connection errors, timeouts, 502,
503 — its database down — or 504), that is ``AccountingUnavailable``, a
DependencyUnavailable: the consumer keeps the batch and tries again later without spending
its deliveries, however long the outage. A 500 that outlasts the patience is the batch's
own failure (``AccountingFailed``): the message is requeued and, failing again, ends in
the dead-letter queue at the delivery limit. A 4xx will not get better by retrying: it is
raised at once with accounting's problem detail.
"""

import asyncio
import logging
from typing import Any

import httpx

from integration_worker.service_layer.ports import StaleSettings
from shared.internal_api import (
    INTERNAL_PREFIX,
    STALE_SETTINGS,
    PostingProfile,
    ProposalBatch,
    ProposalResult,
)
from shared.observability.correlation import CORRELATION_HEADER, current_correlation_id
from shared.unavailable import DependencyUnavailable

log = logging.getLogger(__name__)


# Answers that say accounting (or what is in front of it) cannot serve now.
UNAVAILABLE_STATUSES = (502, 503, 504)


class AccountingError(Exception):
    """Accounting's internal API could not do what was asked."""


class AccountingUnavailable(AccountingError, DependencyUnavailable):
    """Unreachable or unavailable still after the retries: worth trying again later."""


class AccountingFailed(AccountingError):
    """A 500 still after the retries: something in the request makes accounting fail."""


class AccountingRejected(AccountingError):
    """A 4xx: the request itself is wrong, or the company is not set up."""

    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code


class SettingsChangedMeanwhile(AccountingRejected, StaleSettings):
    """409 STALE_SETTINGS: the proposals were built with settings that changed since."""

    def __init__(self, message: str, company_ruts: set[str]):
        AccountingRejected.__init__(self, 409, message)
        self.company_ruts = company_ruts


class AccountingClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.2,
        max_backoff: float = 5.0,
        patience: float = 0.0,
        transport: httpx.AsyncBaseTransport | None = None,
        auth: httpx.Auth | None = None,
    ):
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + INTERNAL_PREFIX, timeout=timeout, transport=transport,
            auth=auth, event_hooks={"request": [_forward_correlation_id]},
        )
        self._retries = retries
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._patience = patience

    async def close(self) -> None:
        await self._http.aclose()

    async def posting_profile(self, company_rut: str) -> PostingProfile:
        response = await self._request(
            "GET", f"/integrations/{company_rut}/posting-profile"
        )
        return PostingProfile.model_validate_json(response.content)

    async def submit(self, batch: ProposalBatch) -> ProposalResult:
        # Serialised by pydantic in one pass (not model_dump then json.dumps).
        response = await self._request(
            "POST", "/proposals", content=batch.model_dump_json(),
            headers={"Content-Type": "application/json"},
        )
        return ProposalResult.model_validate_json(response.content)

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        attempt = 0
        unavailable = True
        give_up_at = asyncio.get_running_loop().time() + self._patience
        while True:
            try:
                response = await self._http.request(method, path, **kwargs)
            except httpx.TransportError as error:  # connection errors and timeouts
                failure = f"{type(error).__name__}: {error}"
                unavailable = True
            else:
                if response.status_code < 400:
                    return response
                if response.status_code == 409 and (stale := _stale_settings(response)) is not None:
                    raise SettingsChangedMeanwhile(_problem_detail(response), stale)
                if response.status_code < 500:
                    raise AccountingRejected(
                        response.status_code,
                        f"accounting refused {method} {path} with {response.status_code}: "
                        f"{_problem_detail(response)}",
                    )
                failure = f"{response.status_code}: {_problem_detail(response)}"
                unavailable = response.status_code in UNAVAILABLE_STATUSES
            if attempt >= self._retries and asyncio.get_running_loop().time() >= give_up_at:
                raise (AccountingUnavailable if unavailable else AccountingFailed)(
                    f"{method} {path} to accounting failed {attempt + 1} times, last: {failure}"
                )
            delay = min(self._backoff * 2**attempt, self._max_backoff)
            log.warning("%s %s to accounting failed (%s); retrying in %.1fs",
                        method, path, failure, delay)
            await asyncio.sleep(delay)
            attempt += 1


async def _forward_correlation_id(request: httpx.Request) -> None:
    """Accounting logs the call under the id of the events being handled (a sync's id)."""
    cid = current_correlation_id()
    if cid and CORRELATION_HEADER not in request.headers:
        request.headers[CORRELATION_HEADER] = cid


def _problem_detail(response: httpx.Response) -> str:
    """The RFC 9457 problem's title and detail, or the start of whatever came back."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason_phrase
    if not isinstance(body, dict):
        return str(body)[:300]
    parts = [str(body[k]) for k in ("title", "detail") if body.get(k)]
    if "errors" in body:
        parts.append(f"errors: {body['errors']}")
    return " — ".join(parts) or str(body)[:300]


def _stale_settings(response: httpx.Response) -> set[str] | None:
    """The invoicing companies a STALE_SETTINGS problem names (None: another problem)."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("type") != STALE_SETTINGS:
        return None
    return {rut for stale in body.get("stale") or [] if isinstance(stale, dict)
            for rut in stale.get("company_ruts") or []}
