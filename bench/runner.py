"""One measured run: a fresh stack on PostgreSQL or SQLite, seeded, synced and checked."""

import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import make_url

from bench.check import Verdict, check_books, check_companies
from bench.flow import Timings, connect_company, sync_year
from bench.infra import RunResources, free_port
from bench.live import (
    LiveResult,
    LiveUnsupported,
    enable_auto_post,
    require_live_support,
    run_live,
)
from bench.month_end import CompanySync, MonthEnd, Size, close_month, connect_companies
from bench.procs import ProcessWatch, Profiler
from bench.seed import (
    DATE_FROM,
    DATE_TO,
    MONTH_FROM,
    MONTH_TO,
    SETTINGS,
    Seeded,
    seed_companies,
    seed_documents,
)
from deploy.local.client import FlowClient, wait_for
from deploy.local.stack import Stack
from shared.rut import rut_from_number

T = TypeVar("T")


@dataclass
class LiveOptions:
    rate: int
    seconds: int


@dataclass
class RunResult:
    label: str
    backend: str
    n: int
    workers: int = 1  # worker processes sharing the queue
    seed_seconds: float = 0.0
    seeded: Seeded | None = None
    timings: Timings | None = None
    verdict: Verdict | None = None
    rss_start_kb: dict[str, int] = field(default_factory=dict)
    rss_peak_kb: dict[str, int] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)
    cpu_marks: dict[str, dict[str, float]] = field(default_factory=dict)  # ProcessWatch.marks
    profile_dir: Path | None = None
    live: LiveResult | None = None
    live_error: str | None = None
    month_end: MonthEnd | None = None  # the month-end run's own figures

    @property
    def seconds(self) -> float:
        """Wall time of what was measured: connect → all posted, or the month end."""
        if self.month_end is not None:
            return self.month_end.seconds
        return measured(self.timings, "timings").overall


def measured(value: T | None, what: str) -> T:
    """A figure of a finished run: set by then, unless the run stopped before it."""
    if value is None:
        raise RuntimeError(f"the run has no {what}: it stopped before measuring it")
    return value


def service_pids(stack: Stack) -> dict[str, int]:
    """Each service's process id, by name: every one runs once the stack has started."""
    return {s.name: measured(s.process, f"process of {s.name}").pid for s in stack.services}


@dataclass
class StartedStack:
    stack: Stack
    client: FlowClient  # an operator's: a development token granted as it goes
    invoicing_db: str
    accounting_db: str

    @property
    def databases(self) -> set[str]:
        """The run's own PostgreSQL databases (none on SQLite)."""
        urls = (make_url(u) for u in (self.invoicing_db, self.accounting_db))
        return {u.database for u in urls if u.drivername.startswith("postgresql") and u.database}


@asynccontextmanager
async def started_stack(run: RunResources, result: RunResult, *, phase_timeout: float,
                        say: Callable[[str], None]) -> AsyncIterator[StartedStack]:
    """The run's own databases, exchange and queues, and the services started on them;
    stopped after the block, with the services' last log lines when it failed."""
    label, sqlite = result.label, result.backend == "SQLite"
    if sqlite:
        invoicing_db, accounting_db = run.sqlite_url("invoicing"), run.sqlite_url("accounting")
    else:
        invoicing_db = await run.create_database(f"{label}_invoicing")
        accounting_db = await run.create_database(f"{label}_accounting")
    topology = run.topology(label)
    stack = Stack(
        invoicing_database_url=invoicing_db, accounting_database_url=accounting_db,
        amqp_url=run.amqp_url, invoicing_port=free_port(), accounting_port=free_port(),
        exchange=topology.exchange, queue_prefix=topology.queue_prefix,
        log_dir=run.log_dir(label),
        extra_env={"ENVIRONMENT": "development", "DELIVERY_LIMIT": str(topology.delivery_limit)},
        workers=result.workers,
    )
    say(f"[{label}] migrating and starting invoicing, accounting and "
        f"{'the worker' if result.workers == 1 else f'{result.workers} workers'} on "
        f"{result.backend}")
    stack.migrate()
    stack.start()
    client = FlowClient(stack.invoicing_url, stack.accounting_url,
                        timeout=max(60.0, phase_timeout))
    try:
        yield StartedStack(stack, client, invoicing_db, accounting_db)
    except BaseException:
        say("\n".join(_short(stack.log_tail(s, 30)) for s in stack.services))
        raise
    finally:
        client.close()
        stack.stop()


@contextmanager
def watched(started: StartedStack, result: RunResult, profile_dir: Path | None
            ) -> Iterator[ProcessWatch]:
    """Memory and CPU of every process (and a py-spy profile into ``profile_dir``) while
    the block runs, into ``result``; a process that died meanwhile fails the run.
    PostgreSQL's CPU is the run's own connections' (and the server's background work),
    not that of whatever else uses the same server."""
    stack = started.stack
    pids = service_pids(stack)
    if profile_dir is not None:
        result.profile_dir = profile_dir / result.label
    with (ProcessWatch(pids, databases=started.databases) as watch,
          Profiler(pids, result.profile_dir)):
        yield watch
    # Several workers are one column: memory per process (the largest), CPU added up.
    result.rss_start_kb = _per_service(watch.start_kb, max)
    result.rss_peak_kb = _per_service(dict(watch.peak_kb), max)
    result.cpu_seconds, result.load = _per_service(watch.cpu_seconds, sum), watch.load
    result.cpu_marks = {mark: _per_service(used, sum) for mark, used in watch.marks.items()}
    _check_alive(stack)


async def run_stack(run: RunResources, label: str, n: int, *, sqlite: bool,
                    phase_timeout: float, say: Callable[[str], None],
                    profile_dir: Path | None = None,
                    live: LiveOptions | None = None, workers: int = 1) -> RunResult:
    result = RunResult(label=label, backend="SQLite" if sqlite else "PostgreSQL", n=n,
                       workers=workers)
    async with started_stack(run, result, phase_timeout=phase_timeout, say=say) as started:
        client, invoicing_db = started.client, started.invoicing_db
        if live is not None:
            try:
                require_live_support(client)
            except LiveUnsupported as error:
                result.live_error = str(error)
                live = None
                say(f"[{label}] live mode cannot run: {error}")
        rng = random.Random()
        company_rut = rut_from_number(rng.randint(76_000_000, 76_999_999))
        contract_rut = rut_from_number(rng.randint(78_000_000, 78_999_999))
        name = "Comercializadora Anual SpA"
        client.create_company(company_rut, name)
        say(f"[{label}] seeding {n:,} documents into invoicing's database (bulk insert)")
        start = time.perf_counter()
        result.seeded = await seed_documents(invoicing_db, company_rut, n)
        result.seed_seconds = time.perf_counter() - start
        say(f"[{label}] seeded in {result.seed_seconds:.1f}s; connecting the company")
        company_id = connect_company(client, company_rut, contract_rut, name)

        say(f"[{label}] connect and synchronise {DATE_FROM} … {DATE_TO}")
        with watched(started, result, profile_dir) as watch:
            result.timings = sync_year(client, company_id, n, timeout=phase_timeout, say=say,
                                       mark=watch.mark)
        say(f"[{label}] checking the books")
        result.verdict = await check_books(started.accounting_db, client, company_id, result.seeded,
                                           result.timings.sync)
        if live is not None:
            result.live, result.live_error = await _live(
                client, started, live, say, label,
                None if profile_dir is None else profile_dir / f"{label}-live")
    return result


async def run_month_end(run: RunResources, size: Size, *, clients: int, phase_timeout: float,
                        say: Callable[[str], None], profile_dir: Path | None = None,
                        workers: int = 1) -> RunResult:
    """One contract's companies, a month of documents each, closed at once (month_end)."""
    result = RunResult(label="month", backend="PostgreSQL", n=size.total, workers=workers)
    label = f"month {size}"
    async with started_stack(run, result, phase_timeout=phase_timeout, say=say) as started:
        numbers = random.Random().sample(range(76_000_000, 76_999_999), size.companies)
        companies = [CompanySync(rut_from_number(number), f"Empresa del Mes {i + 1:03d} SpA")
                     for i, number in enumerate(numbers)]
        contract_rut = rut_from_number(random.Random().randint(78_000_000, 78_999_999))
        say(f"[{label}] adding and connecting {size.companies} companies under one contract")
        connect_companies(started.client, contract_rut, companies, timeout=phase_timeout,
                          say=say)
        say(f"[{label}] seeding {size.docs:,} documents of {MONTH_FROM:%B %Y} for each")
        start = time.perf_counter()
        seeded = await seed_companies(started.invoicing_db, [c.rut for c in companies],
                                      size.docs, first=MONTH_FROM,
                                      days=(MONTH_TO - MONTH_FROM).days + 1)
        result.seed_seconds = time.perf_counter() - start
        say(f"[{label}] seeded in {result.seed_seconds:.1f}s; {clients} clients start every "
            "sync at once, review and confirm")
        with watched(started, result, profile_dir):
            result.month_end = close_month(
                started.stack.invoicing_url, started.stack.accounting_url, contract_rut,
                companies, size=size, clients=clients, timeout=phase_timeout)
        say(f"[{label}] {size.total:,} documents posted in {result.month_end.seconds:.1f}s; "
            "checking every company's books")
        result.verdict = await check_companies(
            started.accounting_db, started.client,
            [(c.company_id, seeded[c.rut], c.state) for c in companies],
            MONTH_FROM.isoformat(), MONTH_TO.isoformat())
    return result


async def _live(client: FlowClient, started: StartedStack, options: LiveOptions,
                say: Callable[[str], None], label: str, profile_dir: Path | None):
    rng = random.Random()
    company_rut = rut_from_number(rng.randint(75_000_000, 75_999_999))
    contract_rut = rut_from_number(rng.randint(79_000_000, 79_999_999))
    say(f"[{label}] live: connecting a second company with auto-post on")
    try:
        client.create_company(company_rut, "Tienda en Vivo SpA")
        company_id = connect_company(client, company_rut, contract_rut, "Tienda en Vivo SpA")
        enable_auto_post(client, company_id, SETTINGS)
        # Connected: one (empty) synchronisation confirmed, so new documents flow in.
        sync = client.start_sync(company_id, "2020-01-01", "2020-01-31")
        wait_for(lambda: client.sync(sync["id"]), lambda s: s["status"] == "in_review",
                 what="the empty sync to reach review", timeout=60)
        client.confirm(sync["id"])
        say(f"[{label}] live: {options.rate}/s for {options.seconds}s")
        # CPU per live document: what the stack costs on the live path, whatever the load.
        pids = service_pids(started.stack)
        with (ProcessWatch(pids, databases=started.databases) as watch,
              Profiler(pids, profile_dir)):
            result = await run_live(client, started.stack.invoicing_url, started.invoicing_db,
                                    started.accounting_db, company_rut, company_id,
                                    rate=options.rate, seconds=options.seconds)
        result.cpu_seconds = _per_service(watch.marks["end"], sum)  # and the servers'
        result.profile_dir = profile_dir
        return result, None
    except LiveUnsupported as error:
        return None, str(error)


def _per_service(values: dict, combine: Callable) -> dict:
    """Figures by process name with the workers' ("integration-worker-2", …) combined into
    "integration-worker"'s."""
    grouped: dict[str, list] = {}
    for name, value in values.items():
        base = "integration-worker" if name.startswith("integration-worker") else name
        grouped.setdefault(base, []).append(value)
    return {name: combine(group) for name, group in grouped.items()}


def _short(text: str, width: int = 400) -> str:
    return "\n".join(line if len(line) <= width else line[:width] + " …"
                     for line in text.splitlines())


def _check_alive(stack: Stack) -> None:
    dead = stack.exited()
    if dead is not None:
        raise RuntimeError(f"{dead.name} exited during the run.\n{stack.log_tail(dead)}")
