"""What the fault tests share: a stack whose services can be killed, stopped and started
one at a time; documents seeded in bulk with the books they must become; the flow up to a
connected company; and the checks that every document was posted exactly once."""

import os
import signal
import subprocess
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import aio_pika
import asyncpg
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from deploy.local.client import FlowClient, integrate, wait_for
from deploy.local.stack import REPO, Service, Stack
from invoicing.adapters.tables import documents as documents_table
from shared.db import create_engine
from shared.messaging import Topology
from shared.money import vat_of
from shared.rut import rut_from_number
from tests.support.stacks import start_stack

# How long a dependency stays down in the outage tests (`make test-faults` uses 20 s).
OUTAGE_SECONDS = float(os.environ.get("FAULT_OUTAGE_SECONDS", "20"))

YEAR = 2025
DATE_FROM, DATE_TO = f"{YEAR}-01-01", f"{YEAR}-12-31"
SETTINGS = {
    "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
    "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
}
CLIENTS, SALES, VAT_DEBIT = "110310", "310115", "210710"
SUPPLIERS, PURCHASES, VAT_CREDIT = "210210", "410230", "110710"
WORKER = "integration-worker"


class FaultStack(Stack):
    """The local stack, plus stopping and starting one service while the others run."""

    topology: Topology | None = None

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def kill(self, name: str, signum: int = signal.SIGKILL, timeout: float = 15.0) -> None:
        """Send ``signum`` and wait for the process to end (SIGKILL: no clean-up at all)."""
        process = self.service(name).process
        assert process is not None and process.poll() is None, f"{name} is not running"
        process.send_signal(signum)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def start_service(self, name: str, timeout: float = 60.0) -> None:
        """Start one stopped service again, with its command, environment and log."""
        service = self.service(name)
        assert service.process is None or service.process.poll() is not None, f"{name} runs"
        service.process = subprocess.Popen(
            service.command, env=service.env, cwd=REPO, stdout=service.log_file,
            stderr=subprocess.STDOUT if service.log_file else None,
        )
        if service.port is not None:
            self._wait_ready(timeout)

    def start_stopped(self) -> None:
        for service in self.services:
            if service.process is None or service.process.poll() is not None:
                self.start_service(service.name)

    async def dead_letters(self) -> int:
        """Messages in the worker's dead-letter queue."""
        return await queue_depth(self.amqp_url, self.topology.dead_letter_queue_name(WORKER))

    def log_size(self, name: str) -> int:
        path = self.service(name).log_path
        return path.stat().st_size if path and path.exists() else 0

    def log_since(self, name: str, offset: int) -> str:
        """What the service logged after ``log_size`` returned ``offset``."""
        with self.service(name).log_path.open("rb") as file:
            file.seek(offset)
            return file.read().decode(errors="replace")

    def logs(self, lines: int = 60) -> str:
        return "\n".join(self.log_tail(s, lines) for s in self.services)


async def start_fault_stack(infra, topology: Topology, log_dir, name: str) -> FaultStack:
    # Small worker batches (two pages of 50 documents): a sync takes many requests to
    # accounting, so a fault lands in the middle of one rather than after it ended.
    # Confirm pages of 500 and a 10 s lease: a confirm takes many pages, so a kill lands in
    # the middle of one, and the restarted process resumes it soon after.
    stack = await start_stack(infra, topology, log_dir, name, cls=FaultStack,
                              env={"BATCH_BYTES": "32768", "CONFIRM_PAGE_SIZE": "500",
                                   "CONFIRM_LEASE_SECONDS": "10"})
    stack.topology = topology
    return stack


def own_topology(infra, name: str) -> Topology:
    """A topology of its own, so a fault left behind leaks into no other test's queues."""
    return Topology(exchange=f"test.{infra.run_id}.{name}.events",
                    queue_prefix=f"test.{infra.run_id}.{name}.", delivery_limit=3)


async def delete_topology(amqp_url: str, topology: Topology, consumers: list[str]) -> None:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        for consumer in consumers:
            for queue in (topology.queue_name(consumer),
                          topology.dead_letter_queue_name(consumer)):
                await channel.queue_delete(queue)
        await channel.exchange_delete(topology.exchange)
        await channel.exchange_delete(topology.dead_letter_exchange)
    finally:
        await connection.close()


async def queue_depth(amqp_url: str, queue: str) -> int:
    """Messages ready in a queue (not those delivered and not yet acked)."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return declared.declaration_result.message_count or 0
    finally:
        await connection.close()


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- one database's outage ---------------------------------------------------------------
# Only the test's own database goes away (the server and everyone else's databases stay):
# new connections to it are refused, as PostgreSQL refuses them while it starts or stops,
# and the ones open are ended, as a crash or restart ends them.


async def refuse_connections(database_url: str, admin_url: str) -> None:
    database = make_url(database_url).database
    admin = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = $1", database)
    finally:
        await admin.close()


async def allow_connections(database_url: str, admin_url: str) -> None:
    admin = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await admin.execute(
            f'ALTER DATABASE "{make_url(database_url).database}" ALLOW_CONNECTIONS true')
    finally:
        await admin.close()


async def dead_letter_counts(stack: "FaultStack") -> dict[str, int]:
    """Messages in each service's dead-letter queue."""
    return {name: await queue_depth(stack.amqp_url, stack.topology.dead_letter_queue_name(name))
            for name in ("invoicing", "accounting", WORKER)}


# --- documents --------------------------------------------------------------------------


@dataclass
class Seeded:
    """What the seed put in invoicing and the books it must become (account → [D, C])."""

    count: int = 0
    total: int = 0
    books: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def post(self, account: str, debit: int = 0, credit: int = 0) -> None:
        self.books[account][0] += debit
        self.books[account][1] += credit


def _documents(company_rut: str, n: int, seeded: Seeded) -> list[dict]:
    """N consistent documents over the year: facturas afectas both ways, facturas exentas."""
    rows = []
    start = date(YEAR, 1, 1)
    now = datetime.now(UTC)
    for i in range(n):
        kind = i % 5  # 0, 1: sales 33; 2, 3: purchases 33; 4: sales 34
        direction = "purchases" if kind in (2, 3) else "sales"
        dte_type = 34 if kind == 4 else 33
        party = (rut_from_number(77_000_000 + 37 * (i % 97)) if direction == "sales"
                 else rut_from_number(96_000_000 + 41 * (i % 53)))
        net = 0 if dte_type == 34 else 10_000 + (i * 7_919) % 2_000_000
        exempt = 5_000 + (i * 3_571) % 900_000 if dte_type == 34 else 0
        vat = vat_of(net)
        total = net + exempt + vat
        if direction == "sales":
            seeded.post(CLIENTS, debit=total)
            seeded.post(SALES, credit=net + exempt)
            if vat:
                seeded.post(VAT_DEBIT, credit=vat)
        else:
            seeded.post(PURCHASES, debit=net)
            seeded.post(VAT_CREDIT, debit=vat)
            seeded.post(SUPPLIERS, credit=total)
        seeded.count += 1
        seeded.total += total
        rows.append({
            "id": str(uuid.uuid4()), "company_rut": company_rut, "direction": direction,
            "dte_type": dte_type, "folio": i + 1, "issue_date": start + timedelta(i * 365 // n),
            "issuer_rut": company_rut if direction == "sales" else party,
            "counterparty_rut": party, "counterparty_name": f"Contraparte {i % 97} SpA",
            "net": net, "exempt": exempt, "vat": vat, "total": total,
            "doc_references": [], "created_at": now,
        })
    return rows


async def seed_documents(database_url: str, company_rut: str, n: int) -> Seeded:
    """Insert N documents straight into invoicing's table (the company must exist)."""
    seeded = Seeded()
    rows = _documents(company_rut, n, seeded)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            for start in range(0, len(rows), 2_000):
                await conn.execute(insert(documents_table), rows[start:start + 2_000])
    finally:
        await engine.dispose()
    return seeded


# --- the flow ---------------------------------------------------------------------------


@dataclass
class Company:
    rut: str
    contract_rut: str
    id: str  # accounting's id


def new_ruts() -> tuple[str, str]:
    number = int(uuid.uuid4().int % 900_000)
    return rut_from_number(76_000_000 + number), rut_from_number(78_000_000 + number)


def connect_company(client: FlowClient, name: str = "Comercial Falla SpA",
                    timeout: float = 60.0) -> Company:
    """A company in both services, integrated and with its default accounts set."""
    company_rut, contract_rut = new_ruts()
    client.create_company(company_rut, name)
    company_id = integrate(client, company_rut, contract_rut, name, SETTINGS,
                           contract_name="Contadores Resilientes Ltda.", timeout=timeout)
    return Company(company_rut, contract_rut, company_id)


def wait_progress(client: FlowClient, sync_id: str, at_least: int, *, timeout: float = 120.0
                  ) -> dict:
    """The sync once at least ``at_least`` documents were proposed (or it is in review)."""
    return wait_for(lambda: client.sync(sync_id),
                    lambda s: s["received"] >= at_least
                    or s["status"] not in ("requested", "receiving"),
                    what=f"{at_least} documents to be proposed", timeout=timeout, interval=0.05)


def wait_in_review(client: FlowClient, sync_id: str, *, timeout: float = 240.0) -> dict:
    return wait_for(lambda: client.sync(sync_id), lambda s: s["status"] == "in_review",
                    what="the sync to reach review", timeout=timeout, interval=0.25)


def entries(client: FlowClient, company_id: str) -> list[dict]:
    items: list[dict] = []
    while True:
        page = client.call(client.accounting, "GET", f"/v1/companies/{company_id}/entries",
                           params={"from": DATE_FROM, "to": DATE_TO, "offset": len(items),
                                   "limit": 500})
        items.extend(page["items"])
        if not page["items"] or len(items) >= page["total"]:
            return items


def assert_posted_exactly_once(client: FlowClient, company: Company, sync_id: str,
                               seeded: Seeded) -> None:
    """Confirm the sync; every seeded document is one entry, and the books add up."""
    sync = client.sync(sync_id)
    assert sync["expected"] == sync["received"] == seeded.count, sync
    held = client.sync_documents(sync_id, status="held")
    assert not held, [(h["document"], h["hold_reason"]) for h in held[:3]]
    summary = client.confirm(sync_id)
    assert summary["posted"] == seeded.count and summary["held"] == 0, summary
    posted = entries(client, company.id)
    assert len(posted) == seeded.count
    assert len({e["source_key"] for e in posted}) == seeded.count, "a document posted twice"
    assert sum(e["total"] for e in posted) == seeded.total
    report = client.trial_balance(company.id, DATE_FROM, DATE_TO)
    got = {row["account_code"]: [row["debit"], row["credit"]] for row in report["rows"]}
    assert got == dict(seeded.books)
    assert report["totals"]["debit"] == report["totals"]["credit"]


def wait_until(condition, *, what: str, timeout: float, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


async def count_rows(database_url: str, sql: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def wait_until_live_documents(client: FlowClient, company_id: str, count: int,
                              timeout: float = 60.0) -> list[dict]:
    """The documents in the company's live sessions, once there are ``count`` of them."""
    found: list[dict] = []

    def arrived() -> bool:
        nonlocal found
        sessions = client.syncs(company_id, kind="live")
        found = [d for s in sessions for d in client.sync_documents(s["id"])]
        return len(found) >= count

    wait_until(arrived, what=f"{count} live documents in accounting", timeout=timeout)
    return found
