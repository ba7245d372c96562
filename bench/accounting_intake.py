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
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

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


async def timed(label: str, n: int, repeat: int, make: Callable[[], Awaitable[bytes]],
                run: Callable[[bytes], Awaitable[None]], profile: cProfile.Profile | None
                ) -> None:
    cpu = []
    for _ in range(repeat):
        raw = await make()
        if profile is not None:
            profile.enable()
        start = time.process_time()
        await run(raw)
        cpu.append(time.process_time() - start)
        if profile is not None:
            profile.disable()
    per_doc = [c / n * 1e6 for c in cpu]
    print(f"{label:>24}: best {min(per_doc):7.1f} µs/doc, median "
          f"{statistics.median(per_doc):7.1f} µs/doc  ({min(cpu) * 1e3:.2f} ms a batch of "
          f"{n}, {repeat} runs)")


async def main(args: argparse.Namespace) -> None:
    async with resources() as run:
        url = await run.create_database("intake")
        await asyncio.to_thread(migrate, url)
        engine = create_engine(url)
        try:
            services = Services(session_factory(engine))
            company_id, profile = await connected_company(services)
            versions = {company_id: profile.settings_version}
            documents = Documents()
            profile_run = cProfile.Profile() if args.profile else None
            tune_garbage_collector()  # as the service does before serving

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
                            range_batch, stored, profile_run)
            if args.live:
                await timed(f"live batch of {args.live}", args.live, args.repeat * 5,
                            live_batch, stored, profile_run)
            if profile_run is not None:
                pstats.Stats(profile_run).sort_stats("tottime").print_stats(35)
        finally:
            await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--live", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="cProfile the timed runs")
    asyncio.run(main(parser.parse_args()))
