"""Live mode: documents created one by one at a steady rate in a connected company with
auto-post on; the latency from each document's creation to its entry being posted.

Creation and posting times are the services' own: invoicing's ``documents.created_at``
and accounting's ``journal_entries.created_at`` (one clock: the same machine), matched by
the document's natural key, which is the entry's ``source_key``.
"""

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import text

from bench.seed import DocumentFactory, Seeded
from bench.stats import percentile
from deploy.local.client import ApiError, FlowClient, wait_for
from shared.db import create_engine

SETTLE_SECONDS = 30  # after the last creation, how long posting may lag before we give up
# Requests in flight at most: at 200/s and ~10 ms a request about two are; this leaves
# room for the server's slow moments.
CONNECTIONS = 32
IDLE_SECONDS = 2.0  # a connection idle longer is reopened (uvicorn closes at 5 s)
REQUEST_TIMEOUT = 30.0


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
    # CPU time each process and server used while the documents were created and posted
    # (ProcessWatch, from the first creation until the last is posted and checked).
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    profile_dir: Path | None = None

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)


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


class _Connection:
    """One kept-alive HTTP/1.1 connection, one request at a time.

    The load generator shares the machine with what it measures, so it must cost little:
    httpx spent ~2 ms of CPU a request here (a third of a core at 200/s), and its pool
    rescans every queued request against every connection whenever one starts or ends,
    so a few hundred requests queued behind a slow moment ate this process's CPU, left
    responses unread and stalled the run for good. This writes the request and reads a
    Content-Length response (what uvicorn sends for JSON), nothing more."""

    def __init__(self, host: str, port: int, clock: Callable[[], float] = time.monotonic):
        self._host, self._port, self._clock = host, port, clock
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        # Reopened when idle a while: never race uvicorn closing it (5 s keep-alive).
        if self._reader is None or self._writer is None \
                or self._clock() - self._last_used > IDLE_SECONDS:
            self.close()
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._reader, self._writer
        try:
            writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
            lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
            status = int(lines[0].split(b" ", 2)[1])
            headers = dict(line.lower().split(b": ", 1) for line in lines[1:] if line)
            content = await reader.readexactly(int(headers.get(b"content-length", 0)))
        except BaseException:
            self.close()  # a half-read response would poison the next request
            raise
        if headers.get(b"connection") == b"close":
            self.close()
        self._last_used = self._clock()
        return status, content

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


def _request_head(url: httpx.URL, auth: httpx.Auth | None) -> bytes:
    """The request line and headers of every POST, up to the Content-Length value."""
    request = httpx.Request("POST", url)
    if auth is not None:
        next(auth.sync_auth_flow(request))  # adds the bearer token
    authorization = request.headers.get("Authorization")
    return (f"POST {url.raw_path.decode()} HTTP/1.1\r\nHost: {url.netloc.decode()}\r\n"
            + (f"Authorization: {authorization}\r\n" if authorization else "")
            + "Content-Type: application/json\r\nContent-Length: ").encode()


async def _create_steadily(invoicing_url: str, company_rut: str, rate: int, seconds: int,
                           factory: DocumentFactory, auth: httpx.Auth | None, *,
                           clock: Callable[[], float] = time.perf_counter,
                           sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
                           ) -> tuple[int, float, list[float]]:
    """Open loop: document i is due at start + i/rate whatever the earlier ones do.

    At most CONNECTIONS requests are in flight; one that finds none free waits for one,
    and its duration runs from when it was due, so a server falling behind shows. Time
    is ``clock`` and ``sleep`` (a test gives its own, so nothing depends on how fast the
    machine is)."""
    total = rate * seconds
    seeded = Seeded()
    today = date.today()
    bodies = [json.dumps(_payload(factory.document(*factory.pick_kind(), today, seeded)))
              .encode() for _ in range(total)]
    url = httpx.URL(invoicing_url).join(f"/v1/companies/{company_rut}/documents")
    head = _request_head(url, auth)
    free: asyncio.LifoQueue[_Connection] = asyncio.LifoQueue()
    for _ in range(CONNECTIONS):
        # Plain HTTP (the stack's, on loopback): no port in the URL is HTTP's own.
        free.put_nowait(_Connection(url.host, url.port or 80, clock))
    durations: list[float] = []
    failures: list[str] = []

    async def create(body: bytes, due: float) -> None:
        connection = await free.get()
        try:
            status, content = await asyncio.wait_for(connection.request(head, body),
                                                     REQUEST_TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
                TimeoutError) as error:
            failures.append(f"{type(error).__name__}: {error!r}")
            return
        finally:
            free.put_nowait(connection)  # LIFO: the busy few stay warm
        durations.append(clock() - due)
        if status != 201:
            failures.append(f"{status}: {content[:200].decode(errors='replace')}")

    start = clock()
    tasks = []
    for i, body in enumerate(bodies):
        due = start + i / rate
        delay = due - clock()
        if delay > 0:
            await sleep(delay)
        tasks.append(asyncio.create_task(create(body, due)))
    await asyncio.gather(*tasks)
    elapsed = clock() - start
    while not free.empty():
        free.get_nowait().close()
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
