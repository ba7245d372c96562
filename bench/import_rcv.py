"""Import an N-row RCV compras CSV through invoicing's service layer; print rows/second.

    N=100000 .venv/bin/python bench/import_rcv.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/import_rcv.py

With DATABASE_URL (PostgreSQL) a fresh database is created on that server and dropped
afterwards; without it, a SQLite file in a temporary directory. The file is 0.12 MB per
1,000 rows: N=360090 (the rows of a 50 MB RCV export, whose names are longer) makes 43
MB, N=36009 and 180045 a tenth and a half of it. The CPU seconds printed are this
process's only (not the database's): on a shared machine, far more wall time than CPU
time means it waited for a CPU. The garbage collector is tuned as the service tunes it
before serving (shared.runtime), so the figures are the service's. A script that prints
figures, not a test.
"""

import asyncio
import csv
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from invoicing.adapters.sii.rcv_csv import COMPRAS_HEADER
from invoicing.adapters.tables import companies
from invoicing.entrypoints.cli import migrate
from invoicing.service_layer.imports import ImportOptions, import_file
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.db import create_engine, session_factory
from shared.runtime import tune_garbage_collector
from shared.rut import rut_from_number

COMPANY = "76354771-K"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def write_rcv(path: Path, rows: int) -> None:
    suppliers = [rut_from_number(60_000_000 + i * 7919) for i in range(200)]
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=";", lineterminator="\r\n")
        writer.writerow(COMPRAS_HEADER)
        for n in range(1, rows + 1):
            net = 1_000 + n % 997 * 100
            vat = (net * 19 + 50) // 100
            day = 1 + n % 28
            values = {"Nro": n, "Tipo Doc": 33, "Tipo Compra": "Del Giro",
                      "RUT Proveedor": suppliers[n % len(suppliers)],
                      "Razon Social": f"Proveedor {n % len(suppliers)} SpA", "Folio": n,
                      "Fecha Docto": f"{day:02d}/03/2024",
                      "Fecha Recepcion": f"{day:02d}/03/2024 10:00:00", "Monto Exento": 0,
                      "Monto Neto": net, "Monto IVA Recuperable": vat, "Monto Total": net + vat}
            writer.writerow([values.get(name, "") for name in COMPRAS_HEADER])


async def create_postgres_database(server_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"bench_import_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(server_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def run(url: str, path: Path, rows: int) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            await session.execute(companies.insert().values(
                rut=COMPANY, name="Bench SpA", created_at=datetime.now(UTC)))
        rss_before = peak_rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        with path.open("rb") as file:
            summary = await import_file(lambda: UnitOfWork(sessions), COMPANY, file,
                                        options=ImportOptions())
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        again_started, again_cpu = time.perf_counter(), time.process_time()
        with path.open("rb") as file:
            again = await import_file(lambda: UnitOfWork(sessions), COMPANY, file)
        again_elapsed = time.perf_counter() - again_started
        again_cpu = time.process_time() - again_cpu
    finally:
        await engine.dispose()
    print(f"database: {make_url(url).get_backend_name()}")
    print(f"import: {summary.created} created, {summary.duplicates} duplicates, "
          f"{summary.rejected} rejected in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s "
          f"({cpu:.1f} s of this process's CPU)")
    print(f"re-import (all duplicates): {again.duplicates} duplicates in {again_elapsed:.1f} s "
          f"= {rows / again_elapsed:,.0f} rows/s ({again_cpu:.1f} s of this process's CPU)")
    print(f"peak RSS: {rss_before:.0f} MB before the import, {peak_rss_mb():.0f} MB after")


@contextmanager
def invoicing_database(tmp: str) -> Iterator[str]:
    """A migrated invoicing database for one bench run: a new one on the PostgreSQL server
    of DATABASE_URL (dropped afterwards), else a SQLite file in ``tmp``."""
    server_url = os.environ.get("DATABASE_URL")
    if not server_url or make_url(server_url).get_backend_name() != "postgresql":
        url = f"sqlite:///{tmp}/invoicing.db"
        migrate(url)
        yield url
        return
    name, url = asyncio.run(create_postgres_database(server_url))
    try:
        migrate(url)
        yield url
    finally:
        asyncio.run(drop_postgres_database(server_url, name))


def main() -> None:
    rows = int(os.environ.get("N", "100000"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rcv_compras.csv"
        write_rcv(path, rows)
        print(f"rows: {rows}, file: {path.stat().st_size / 1e6:.1f} MB")
        with invoicing_database(tmp) as url:
            tune_garbage_collector()
            asyncio.run(run(url, path, rows))


if __name__ == "__main__":
    main()
