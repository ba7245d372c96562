"""Accounting's CPU for receiving proposals, in-process: what POST /internal/v1/proposals
does with a batch (pydantic's parse and checks, then proposals.receive storing it) on a
PostgreSQL database made for the run. CPU time of this process only (time.process_time),
so the figures hold on a machine others share; the database's own CPU is not in them.

Two shapes: a range sync's batch (``--batch`` proposals stored into a session for review)
and a live one (``--live`` documents stored and auto-posted at once). Each is timed
``--repeat`` times, best and median printed in µs per document.

python -m bench.accounting_intake [--batch 1000] [--live 10] [--repeat 30] [--profile]
"""

import argparse
import asyncio
import cProfile
import pstats
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from accounting.domain.settings import IntegrationOptions, InvoiceSettings
from accounting.domain.syncs import SyncKind, SyncSession, SyncStatus
from accounting.entrypoints.cli import migrate
from accounting.service_layer import companies, integration_requests, proposals, settings
from accounting.service_layer.unit_of_work import Services
from bench.infra import resources
from bench.seed import CLIENTS, PURCHASES, SALES, SUPPLIERS, DocumentFactory, Seeded
from integration_worker.domain import Hold, propose
from shared.db import create_engine, session_factory
from shared.events import IntegrationRequested, TaxDocument
from shared.internal_api import PostingProfile, Proposal, ProposalBatch
from shared.runtime import tune_garbage_collector
from shared.rut import rut_from_number

CONTRACT, COMPANY = rut_from_number(78_000_000), rut_from_number(76_354_771)


class Documents:
    """Realistic documents (the bench's mix and counterparties), each with a new folio."""

    def __init__(self) -> None:
        self.factory = DocumentFactory(COMPANY, customers=300, suppliers=150)
        self.seeded = Seeded()
        self.day = date(2025, 1, 1)

    def take(self, n: int) -> list[TaxDocument]:
        out = []
        for i in range(n):
            row = self.factory.document(*self.factory.pick_kind(),
                                        self.day + timedelta(days=i % 28), self.seeded)
            out.append(TaxDocument(
                document_id=row["id"], company_rut=row["company_rut"],
                direction=row["direction"], dte_type=row["dte_type"], folio=row["folio"],
                issue_date=row["issue_date"], issuer_rut=row["issuer_rut"],
                counterparty={"rut": row["counterparty_rut"], "name": row["counterparty_name"]},
                net=row["net"], exempt=row["exempt"], vat=row["vat"], total=row["total"],
                references=row["doc_references"]))
        return out


def proposal_of(document: TaxDocument, sync_id: str | None,
                profile: PostingProfile) -> Proposal:
    """What the worker sends for the document (its own posting rules)."""
    outcome = propose(document, profile)
    common = {"event_id": str(uuid.uuid4()), "sync_id": sync_id, "company_rut": COMPANY,
              "source_key": document.document_key, "document": document}
    if isinstance(outcome, Hold):
        return Proposal(**common, hold_reason=outcome.reason,
                        hold_code="nothing_to_post" if outcome.nothing_to_post else None)
    return Proposal(**common, entry=outcome)


def body(proposals_: list[Proposal], versions: dict[str, int]) -> bytes:
    return ProposalBatch(proposals=proposals_,
                         settings_versions=versions).model_dump_json().encode()


async def receive(services: Services, raw: bytes) -> None:
    """What the route does with a body (internal.proposal_batch, then the use case)."""
    result = await proposals.receive(services, ProposalBatch.model_validate_json(raw))
    assert result.accepted > 0, result


async def connected_company(services: Services) -> tuple[str, PostingProfile]:
    await companies.create_contract(services, CONTRACT, "Estudio")
    company = await companies.create_company(services, CONTRACT, COMPANY, "Ferretería")
    async with services.uow() as uow:
        await integration_requests.on_integration_requested(uow, IntegrationRequested(
            request_id="req-1", company_rut=COMPANY, company_name="Ferretería",
            contract_rut=CONTRACT))
        await uow.commit()
    await integration_requests.approve(services, "req-1", company["id"])
    # The bench's accounts (bench.seed.SETTINGS), auto-posting live documents.
    await settings.put_settings(services, company["id"], InvoiceSettings(
        sales_auxiliary=CLIENTS, sales_detail=SALES, purchases_auxiliary=SUPPLIERS,
        purchases_detail=PURCHASES, payments="110102", collections="110102"),
        IntegrationOptions(auto_post=True))
    return company["id"], await settings.posting_profile(services, COMPANY)


async def range_session(services: Services, company_id: str) -> str:
    """A range session still receiving documents, straight into the table."""
    sync = SyncSession(
        id=str(uuid.uuid4()), company_id=company_id, company_rut=COMPANY,
        kind=SyncKind.RANGE, date_from=date(2025, 1, 1), date_to=date(2025, 12, 31),
        status=SyncStatus.REQUESTED, expected=None, received=0,
        created_at=datetime.now(UTC), confirmed_at=None, progress_at=None)
    async with services.uow() as uow:
        await uow.syncs.add_sync(sync)
        await uow.commit()
    return sync.id


class Statements:
    """Statements sent to the database: through SQLAlchemy, and straight over asyncpg
    (shared.bulk, the live insert), counted on every connection of the engine's pool."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._sqlalchemy)
        event.listen(engine.sync_engine, "connect", self._connected)

    def _sqlalchemy(self, *args: Any) -> None:
        # (conn, cursor, statement, parameters, context, executemany): an executemany goes
        # to asyncpg's executemany, which logs it (below).
        self.count += not args[-1]

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(self._asyncpg)

    def _asyncpg(self, logged: Any) -> None:
        # SQLAlchemy's single statements go through asyncpg's prepared statements, which
        # log nothing; its executemany, BEGIN and COMMIT, and what goes over asyncpg
        # directly, are logged.
        self.count += 1


async def timed(label: str, n: int, repeat: int, make: Callable[[], Awaitable[bytes]],
                run: Callable[[bytes], Awaitable[None]], profile: cProfile.Profile | None,
                statements: Statements) -> None:
    """CPU µs per document, the best run and the first quartile: on a shared machine the
    median swings with what else runs (a run's CPU time grows when another process shares
    the core and its caches), the better runs much less."""
    cpu, sent = [], 0
    for _ in range(repeat):
        raw = await make()
        if profile is not None:
            profile.enable()
        before = statements.count
        start = time.process_time()
        await run(raw)
        cpu.append((time.process_time() - start) / n * 1e6)
        sent += statements.count - before
        if profile is not None:
            profile.disable()
    print(f"{label:>20} ({repeat} runs): best {min(cpu):7.1f} µs/doc, first quartile "
          f"{quartile(cpu):7.1f} µs/doc; {sent / repeat:.1f} statements a batch")


def quartile(values: list[float]) -> float:
    return statistics.quantiles(values, n=4)[0]


@dataclass
class Bench:
    """A migrated database of the run's with one company connected, its posting profile,
    and a counter of the statements sent."""

    services: Services
    statements: Statements
    company_id: str
    profile: PostingProfile
    documents: Documents

    @property
    def versions(self) -> dict[str, int]:
        return {self.company_id: self.profile.settings_version}


@asynccontextmanager
async def connected_bench(name: str) -> AsyncIterator[Bench]:
    async with resources() as run:
        url = await run.create_database(name)
        await asyncio.to_thread(migrate, url)
        engine = create_engine(url)
        try:
            statements = Statements(engine)
            services = Services(session_factory(engine))
            company_id, profile = await connected_company(services)
            tune_garbage_collector()  # as the service does before serving
            yield Bench(services, statements, company_id, profile, Documents())
        finally:
            await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    async with connected_bench("intake") as bench:
        services, company_id, profile = bench.services, bench.company_id, bench.profile
        versions, documents, statements = bench.versions, bench.documents, bench.statements
        profile_run = cProfile.Profile() if args.profile else None

        async def range_batch() -> bytes:
            sync_id = await range_session(services, company_id)
            return body([proposal_of(d, sync_id, profile)
                         for d in documents.take(args.batch)], versions)

        async def live_batch() -> bytes:
            return body([proposal_of(d, None, profile) for d in documents.take(args.live)],
                        versions)

        async def stored(raw: bytes) -> None:
            await receive(services, raw)

        for _ in range(3):  # warm: the first batches create the parties and live session
            if args.batch:
                await stored(await range_batch())
            if args.live:
                await stored(await live_batch())
        if args.batch:
            await timed(f"range batch of {args.batch}", args.batch, args.repeat,
                        range_batch, stored, profile_run, statements)
        if args.live:
            await timed(f"live batch of {args.live}", args.live, args.repeat * 5,
                        live_batch, stored, profile_run, statements)
        if profile_run is not None:
            pstats.Stats(profile_run).sort_stats("tottime").print_stats(35)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--live", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="cProfile the timed runs")
    asyncio.run(main(parser.parse_args()))
