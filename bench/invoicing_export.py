"""Export one company's sync through invoicing's service layer; print its CPU per document.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.invoicing_export

N documents (env N, default 20,000) of the bench's mix (bench/seed.py) are seeded in a
fresh database (dropped afterwards; a SQLite file without DATABASE_URL), the company's
link approved, and a sync of their whole range answered REPEAT times (env, default 7), each
a new sync request through the consumer's handler (service_layer.sync_export.export_sync):
the pages read, turned into events and staged in the outbox, a transaction each, as the
service does it. What is printed is this process's CPU (time.process_time: invoicing's
Python, SQLAlchemy and asyncpg, not the database's), best and median of the repetitions,
so the figures hold on a machine shared with others. The outbox is emptied between
repetitions (not timed). A script that prints figures, not a test.
"""

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import delete

from bench.import_rcv import invoicing_database
from bench.seed import seed_companies
from invoicing.adapters.tables import companies, outbox
from invoicing.domain.integration import Connection, IntegrationLink, LinkStatus
from invoicing.service_layer.event_handlers import SYNC_PAGE_SIZE
from invoicing.service_layer.sync_export import export_sync
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.db import create_engine, session_factory
from shared.events import SyncRequested
from shared.runtime import tune_garbage_collector

COMPANY = "76354771-K"
ACCOUNTING_COMPANY = "bench-accounting-company"


async def connect(sessions) -> None:
    """The company, its integration approved for ACCOUNTING_COMPANY."""
    async with UnitOfWork(sessions) as uow:
        await uow.session.execute(companies.insert().values(
            rut=COMPANY, name="Bench SpA", created_at=datetime.now(UTC)))
        await uow.links.add(IntegrationLink(
            COMPANY, "78000000-7", LinkStatus.APPROVED, "bench-request", "approved",
            accounting_company_id=ACCOUNTING_COMPANY,
            connection=Connection("bench-request", "78000000-7", ACCOUNTING_COMPANY)))
        await uow.commit()


async def run(url: str, n: int, repeat: int, page_size: int) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        await connect(sessions)
        await seed_companies(url, [COMPANY], n)
        seconds = []
        for _ in range(repeat):
            request = SyncRequested(sync_id=str(uuid.uuid4()), company_rut=COMPANY,
                                    accounting_company_id=ACCOUNTING_COMPANY,
                                    date_from="2025-01-01", date_to="2025-12-31")
            cpu = time.process_time()
            assert await export_sync(UnitOfWork(sessions), str(uuid.uuid4()), request,
                                     page_size)
            seconds.append(time.process_time() - cpu)
            async with sessions() as session, session.begin():
                await session.execute(delete(outbox))
    finally:
        await engine.dispose()
    best, median = min(seconds), statistics.median(seconds)
    print(f"database: {engine.url.get_backend_name()}; {n:,} documents in pages of "
          f"{page_size}, {repeat} exports")
    print(f"CPU of this process per export: best {best:.3f} s ({best / n * 1e6:.1f} µs a "
          f"document), median {median:.3f} s ({median / n * 1e6:.1f} µs a document)")


def main() -> None:
    n = int(os.environ.get("N", "20000"))
    repeat = int(os.environ.get("REPEAT", "7"))
    page_size = int(os.environ.get("PAGE_SIZE", str(SYNC_PAGE_SIZE)))
    with tempfile.TemporaryDirectory() as tmp, invoicing_database(tmp) as url:
        tune_garbage_collector()
        asyncio.run(run(url, n, repeat, page_size))


if __name__ == "__main__":
    main()
