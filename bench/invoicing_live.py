"""POST live documents to invoicing's real ASGI app in-process; print its CPU per document.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.invoicing_live [--profile]

A fresh migrated database (dropped afterwards; a SQLite file without DATABASE_URL), one
company connected to accounting (its link approved and first synced, so each document
stages its invoice-synced event in the outbox, as in live mode; the count staged is
printed), then REPEAT (env, default 9) rounds of N (env, default 500) documents of the
bench's mix POSTed one at a time through httpx.ASGITransport with a development bearer
token (the same token throughout, as a client keeps it). The app runs without its
background tasks: the relay is not measured.
What is printed is this process's CPU (time.process_time: the client's share included, the
same on both sides of an A/B), best and first quartile of the rounds, and the SQL
statements per request SQLAlchemy sent (the live insert goes over asyncpg directly and is
not among them). With --profile, a cProfile of one more round, top 35 by own time
(PROFILE_OUT=file keeps it for pstats).
A script that prints figures, not a test.
"""

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import tempfile
import time
from datetime import UTC, date, datetime

import httpx
from sqlalchemy import event, func, select, update

from bench.import_rcv import invoicing_database
from bench.invoicing_export import COMPANY, connect
from bench.live import _payload
from bench.seed import DocumentFactory, Seeded
from deploy.local.auth import GrantingAuth
from invoicing.adapters.tables import integration_links, outbox
from invoicing.bootstrap import build_app
from invoicing.config import Settings
from shared.runtime import tune_garbage_collector


class Bodies:
    """Distinct documents (new folios) for as many rounds as asked."""

    def __init__(self) -> None:
        self.factory = DocumentFactory(COMPANY, seed=7)
        self.seeded = Seeded()
        self.today = date.today()

    def take(self, n: int) -> list[bytes]:
        return [json.dumps(_payload(self.factory.document(
            *self.factory.pick_kind(), self.today, self.seeded))).encode() for _ in range(n)]


async def post_all(http: httpx.AsyncClient, bodies: list[bytes]) -> None:
    for body in bodies:
        response = await http.post(f"/v1/companies/{COMPANY}/documents", content=body,
                                   headers={"Content-Type": "application/json"})
        if response.status_code != 201:
            raise RuntimeError(f"{response.status_code}: {response.text[:300]}")


async def run(url: str, n: int, repeat: int, profile: bool) -> None:
    app = build_app(Settings(database_url=url), background=False)
    engine = app.state.container.engine
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    await connect(app.state.container.sessions)
    async with engine.begin() as conn:  # its first sync done: documents now flow live
        await conn.execute(update(integration_links).values(first_synced_at=datetime.now(UTC)))
    auth = GrantingAuth()
    auth.grant(companies=(COMPANY,))
    bodies = Bodies()
    seconds = []
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://invoicing", auth=auth) as http:
            await post_all(http, bodies.take(50))  # warm: pool, prepared statements
            statements = 0
            for _ in range(repeat):
                batch = bodies.take(n)
                cpu = time.process_time()
                await post_all(http, batch)
                seconds.append(time.process_time() - cpu)
            per_request = statements / (n * repeat)
            if profile:
                batch = bodies.take(n)
                profiler = cProfile.Profile()
                profiler.enable()
                await post_all(http, batch)
                profiler.disable()
            async with engine.connect() as conn:
                staged = (await conn.execute(select(func.count()).select_from(outbox))).scalar()
                if os.environ.get("PROFILE_OUT"):
                    profiler.dump_stats(os.environ["PROFILE_OUT"])
    finally:
        await engine.dispose()
    best = min(seconds)
    quartile = statistics.quantiles(seconds, n=4)[0] if len(seconds) > 1 else best
    print(f"database: {engine.url.get_backend_name()}; {repeat} rounds of {n:,} POSTs")
    print(f"CPU of this process per document: best {best / n * 1e6:.0f} µs, "
          f"first quartile {quartile / n * 1e6:.0f} µs")
    print(f"SQLAlchemy statements per request: {per_request:.2f} (besides the live insert "
          f"over asyncpg); outbox rows staged: {staged:,}")
    if profile:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(35)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="cProfile top 35 of a round")
    args = parser.parse_args()
    n = int(os.environ.get("N", "500"))
    repeat = int(os.environ.get("REPEAT", "9"))
    os.environ.setdefault("ENVIRONMENT", "development")
    with tempfile.TemporaryDirectory() as tmp, invoicing_database(tmp) as url:
        tune_garbage_collector()
        asyncio.run(run(url, n, repeat, args.profile))


if __name__ == "__main__":
    main()
