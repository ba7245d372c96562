"""Live mode: documents created one by one at a steady rate in a connected company with
auto-post on; the latency from each document's creation to its entry being posted.

Creation and posting times are the services' own: invoicing's ``documents.created_at``
and accounting's ``journal_entries.created_at`` (one clock: the same machine), matched by
the document's natural key, which is the entry's ``source_key``.
"""

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from datetime import date

import httpx
from sqlalchemy import text

from bench.seed import DocumentFactory, Seeded
from deploy.local.client import ApiError, FlowClient, wait_for
from shared.db import create_engine

SETTLE_SECONDS = 30  # after the last creation, how long posting may lag before we give up


class LiveUnsupported(RuntimeError):
    """The services do not offer what live mode needs yet."""


@dataclass
class LiveResult:
    rate: int
    seconds: int
    created: int = 0
    posted: int = 0
    achieved_rate: float = 0.0
    create_p50_ms: float = 0.0
    create_p99_ms: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, int(round(p / 100 * (len(data) - 1))))]


def require_live_support(client: FlowClient) -> None:
    """Fail at once, before anything is seeded, if accounting has no auto-post setting."""
    schema = client.call(client.accounting, "GET", "/openapi.json")
    settings = schema.get("components", {}).get("schemas", {}).get("InvoiceSettingsIn", {})
    if "auto_post" not in settings.get("properties", {}):
        raise LiveUnsupported(
            "live mode needs the invoice-integration setting `auto_post` (issue 3), and "
            "accounting's PUT /v1/companies/{id}/settings/invoice-integration does not have it "
            f"yet (its fields: {', '.join(sorted(settings.get('properties', {})))}). It also "
            "needs invoicing to emit invoice.synced with sync_id null for each new document of "
            "a connected company, and accounting to post those at once when auto_post is on.")


def enable_auto_post(client: FlowClient, company_id: str, settings: dict) -> None:
    try:
        body = client.put_settings(company_id, {**settings, "auto_post": True})
    except ApiError as error:
        raise LiveUnsupported(
            "live mode needs the invoice-integration setting `auto_post` (issue 3): "
            f"PUT /v1/companies/{{id}}/settings/invoice-integration refused it: {error}"
        ) from None
    if body.get("auto_post") is not True:
        raise LiveUnsupported(
            "live mode needs the invoice-integration setting `auto_post` (issue 3): the "
            f"settings came back without auto_post = true: {sorted(body)}")


def _payload(row: dict) -> dict:
    return {
        "direction": row["direction"], "dte_type": row["dte_type"], "folio": row["folio"],
        "issue_date": row["issue_date"].isoformat(),
        "counterparty": {"rut": row["counterparty_rut"], "name": row["counterparty_name"]},
        "net": row["net"], "exempt": row["exempt"], "vat": row["vat"], "total": row["total"],
        "references": row["doc_references"],
    }


async def _create_steadily(invoicing_url: str, company_rut: str, rate: int, seconds: int,
                           factory: DocumentFactory, auth: httpx.Auth | None
                           ) -> tuple[int, float, list[float]]:
    """Open loop: document i is sent at start + i/rate whatever the earlier ones do."""
    total = rate * seconds
    seeded = Seeded()
    today = date.today()
    rows = [factory.document(*factory.pick_kind(), today, seeded) for _ in range(total)]
    durations: list[float] = []
    failures: list[str] = []
    # Idle connections are dropped well before uvicorn's 5 s keep-alive timeout, so a
    # request never races the server closing the connection it was sent on.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50,
                          keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=invoicing_url, timeout=30, limits=limits,
                                 auth=auth) as http:
        async def create(row: dict) -> None:
            begin = time.perf_counter()
            try:
                response = await http.post(f"/v1/companies/{company_rut}/documents",
                                           json=_payload(row))
            except httpx.HTTPError as error:
                failures.append(f"{type(error).__name__}: {error}")
                return
            durations.append(time.perf_counter() - begin)
            if response.status_code != 201:
                failures.append(f"{response.status_code}: {response.text[:200]}")

        start = time.perf_counter()
        tasks = []
        for i, row in enumerate(rows):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(create(row)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{len(failures)} of {total} documents could not be created, e.g. "
                           f"{failures[0]}")
    return total, elapsed, durations


async def run_live(client: FlowClient, invoicing_url: str, invoicing_db: str,
                   accounting_db: str, company_rut: str, company_id: str, *, rate: int,
                   seconds: int) -> LiveResult:
    result = LiveResult(rate=rate, seconds=seconds)
    factory = DocumentFactory(company_rut, seed=7)
    result.created, elapsed, durations = await _create_steadily(
        invoicing_url, company_rut, rate, seconds, factory,
        getattr(client, "auth", None))  # the API's bearer token, where the API asks for one
    result.achieved_rate = result.created / elapsed
    durations.sort()
    result.create_p50_ms = 1000 * statistics.median(durations)
    result.create_p99_ms = 1000 * durations[int(0.99 * (len(durations) - 1))]

    def posted() -> int:
        return client.call(client.accounting, "GET", f"/v1/companies/{company_id}/entries",
                           params={"limit": 1})["total"]

    try:
        wait_for(posted, lambda count: count >= result.created, timeout=SETTLE_SECONDS,
                 what="every live document to be posted", interval=0.5)
    except TimeoutError:
        result.posted = posted()
        raise LiveUnsupported(
            f"only {result.posted:,} of {result.created:,} live documents were posted "
            f"{SETTLE_SECONDS}s after the last was created. Live mode needs issue 3: invoicing "
            "emitting invoice.synced (sync_id null) for each new document of a connected "
            "company, the worker handing those proposals over, and accounting posting them "
            "at once when auto_post is on.") from None
    result.latencies_ms = await _latencies(invoicing_db, accounting_db, company_rut,
                                           company_id)
    result.posted = len(result.latencies_ms)
    return result


async def _latencies(invoicing_db: str, accounting_db: str, company_rut: str,
                     company_id: str) -> list[float]:
    created: dict[str, float] = {}
    engine = create_engine(invoicing_db)
    try:
        async with engine.connect() as conn:
            for r in await conn.execute(text(
                    "SELECT direction, issuer_rut, dte_type, folio, created_at FROM documents "
                    "WHERE company_rut = :rut"), {"rut": company_rut}):
                created[f"{r.direction}:{r.issuer_rut}:{r.dte_type}:{r.folio}"] = (
                    r.created_at.timestamp())
    finally:
        await engine.dispose()
    latencies = []
    engine = create_engine(accounting_db)
    try:
        async with engine.connect() as conn:
            for r in await conn.execute(text(
                    "SELECT source_key, created_at FROM journal_entries "
                    "WHERE company_id = :c"), {"c": company_id}):
                if r.source_key in created:
                    latencies.append(1000 * (r.created_at.timestamp() - created[r.source_key]))
    finally:
        await engine.dispose()
    return latencies
