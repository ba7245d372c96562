"""The figures, as rich tables on stdout."""

import os
import platform
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.floor import BATCH, Floor
from bench.procs import summarise
from bench.runner import RunResult, measured

TARGET_RATE = 5_000  # documents/s overall, PostgreSQL, 100k documents
TARGET_RSS_MB = 250
TARGET_LIVE_P99_MS = 100
TARGET_MONTH_END_RATE = 5_000  # documents/s, the month end (issue 16)
TARGET_MONTH_END_P95_S = 10  # per company, sync started → all posted
PROCESSES = ("invoicing", "accounting", "integration-worker")


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}" if seconds > 0 else "—"


def _name(r: RunResult) -> str:
    """The run as the tables name it: its backend (or the month end), and its workers
    when more than one."""
    name = f"month end {r.month_end.size}" if r.month_end else r.backend
    return name if r.workers == 1 else f"{name}, {r.workers} workers"


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f}"


def print_report(console: Console, *, commit: str, runs: list[RunResult],
                 floor: Floor | None) -> None:
    console.print(f"\n[bold]Sync benchmark[/] — commit {commit}; {os.cpu_count()} CPUs, "
                  f"{platform.python_implementation()} {platform.python_version()}; "
                  "seeding is a bulk insert into invoicing's database and is not timed")

    table = Table(title="Connect → all posted, through the public APIs")
    singles = [r for r in runs if r.month_end is None]
    for column in ("backend", "N", "phase", "seconds", "documents/s"):
        table.add_column(column, justify="right" if column in ("N", "seconds",
                                                               "documents/s") else "left")
    for r in singles:
        t = measured(r.timings, "timings")
        rows = [("delivery to review (connect → in_review)", t.delivery),
                ("posting (confirm → all posted)", t.posting),
                ("overall", t.overall)]
        for i, (phase, seconds) in enumerate(rows):
            table.add_row(_name(r) if i == 0 else "", f"{r.n:,}" if i == 0 else "", phase,
                          f"{seconds:.2f}", _rate(r.n, seconds),
                          style="bold" if phase == "overall" else None)
        table.add_row("", "", "[dim]seeding (not measured)[/]", f"[dim]{r.seed_seconds:.1f}[/]",
                      "", end_section=True)
    if singles:
        console.print(table)
    _print_scaling(console, runs)
    _print_month_end(console, runs)

    memory = Table(title="Each process during connect → all posted (the month end: first sync "
                         "started → all posted): resident memory, MB (before "
                         "→ peak), and CPU time, s (ms per document); with several workers, "
                         "the largest one's memory and their CPU time added up")
    memory.add_column("backend")
    memory.add_column("N", justify="right")
    for name in PROCESSES:
        memory.add_column(name, justify="right")
    memory.add_column("load average (start → end)", justify="right")
    for r in runs:
        memory.add_row(_name(r), f"{r.n:,}", *(
            f"{_mb(r.rss_start_kb.get(p, 0))} → {_mb(r.rss_peak_kb.get(p, 0))} MB; "
            f"{r.cpu_seconds.get(p, 0):.1f} s ({1000 * r.cpu_seconds.get(p, 0) / r.n:.2f} ms)"
            for p in PROCESSES), f"{r.load[0]:.1f} → {r.load[1]:.1f}")
    console.print(memory)
    console.print("[dim]On a machine shared with other work, a load average above the CPU "
                  "count means every process waited for a CPU and the wall-clock figures are "
                  "pessimistic.[/]")
    _print_cpu(console, runs)

    checks = Table(title="Checks (a failed check prints no figures)")
    for column in ("backend", "entries", "lines", "balanced", "trial balance debit = credit",
                   "accounts = seeded documents"):
        checks.add_column(column, justify="right")
    for r in runs:
        v = measured(r.verdict, "checks of its books")
        checks.add_row(_name(r), f"{v.entries:,}", f"{v.lines:,}", "all", f"{v.debit:,}",
                       f"{v.accounts} accounts" if v.companies == 1 else
                       f"{v.companies} companies, {v.accounts} accounts")
    console.print(checks)

    if floor is not None:
        _print_floor(console, floor, runs)
    _print_targets(console, runs)
    for r in runs:
        if r.live is not None or r.live_error:
            _print_live(console, r)
        if r.profile_dir is not None:
            print_profile(console, f"{_name(r)}, N = {r.n:,}",
                          "during the month end" if r.month_end else
                          "during connect → all posted", r.profile_dir)


def _print_scaling(console: Console, runs: list[RunResult]) -> None:
    """Delivery with several workers on the queue against one, same backend and N."""
    one = {(r.backend, r.n): r for r in runs if r.workers == 1 and r.month_end is None}
    for r in runs:
        base = one.get((r.backend, r.n))
        if r.workers == 1 or base is None or r.month_end is not None:
            continue
        delivery = measured(r.timings, "timings").delivery
        alone = measured(base.timings, "timings").delivery
        ratio = alone / delivery if delivery else 0.0
        console.print(
            f"Delivery to review with {r.workers} workers ({r.backend}, N = {r.n:,}): "
            f"[bold]{_rate(r.n, delivery)}[/] documents/s against "
            f"{_rate(base.n, alone)} with one ({ratio:.2f}×)")


def _print_month_end(console: Console, runs: list[RunResult]) -> None:
    """The month end, with the single-company runs' overall rate beside it."""
    months = [(r, r.month_end) for r in runs if r.month_end is not None]
    if not months:
        return
    table = Table(title="Month end: one contract's companies, a month of documents each, "
                        "every sync started at once and reviewed and confirmed by concurrent "
                        "clients through the public API (bearer tokens of the contract)")
    for column in ("run", "documents", "clients", "seconds", "documents/s",
                   "per company, sync → posted: p50 / p95 / max",
                   "→ in review: p50 / p95", "API calls", "clients' CPU"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for r, m in months:
        table.add_row(
            _name(r), f"{m.size.total:,}",
            f"{m.clients}", f"{m.seconds:.2f}", f"[bold]{m.rate:,.0f}[/]",
            " / ".join(f"{m.company_seconds(p):.1f}" for p in (50, 95, 100)) + " s",
            " / ".join(f"{m.review_seconds(p):.1f}" for p in (50, 95)) + " s",
            f"{m.requests:,}", f"{m.client_cpu_seconds:.1f} s")
    for r in runs:
        if r.month_end is None:
            table.add_row(f"[dim]beside it: {_name(r)}, one company[/]",
                          f"[dim]{r.n:,}[/]", "[dim]1[/]", f"[dim]{r.seconds:.2f}[/]",
                          f"[dim]{_rate(r.n, r.seconds)}[/]", "", "", "", "")
    console.print(table)
    console.print("[dim]The clients wait on each sync with a long poll (GET /v1/syncs/{id}"
                  "?wait=), answered when it is in review: the per-company figures are "
                  "that close. Their CPU is this process's, which shares the machine with "
                  "the services.[/]")


def _print_cpu(console: Console, runs: list[RunResult]) -> None:
    """Where the machine's CPU went in each phase: the services, the servers they use,
    anything else, and what was left idle of every CPU for the phase's wall time."""
    cpus = os.cpu_count() or 1
    table = Table(title=f"CPU time, s (share of {cpus} CPUs × the phase's wall time)")
    for column in ("backend", "N", "phase", *PROCESSES, "PostgreSQL", "RabbitMQ",
                   "anything else", "idle"):
        table.add_column(column, justify="right")
    names = (*PROCESSES, "PostgreSQL", "RabbitMQ")
    for r in runs:
        if "end" not in r.cpu_marks:
            continue
        total, delivery = r.cpu_marks["end"], r.cpu_marks.get("delivery")
        phases = [("overall", r.seconds, total)]
        if delivery:
            posting = {k: total.get(k, 0.0) - delivery.get(k, 0.0) for k in total}
            timings = measured(r.timings, "timings")
            phases = [("delivery", timings.delivery, delivery),
                      ("posting", timings.posting, posting), *phases]
        for i, (phase, wall, used) in enumerate(phases):
            capacity = cpus * wall
            parts = [used.get(name, 0.0) for name in names]
            other = max(used.get("machine", 0.0) - sum(parts), 0.0)
            idle = max(capacity - used.get("machine", 0.0), 0.0)
            table.add_row(_name(r) if i == 0 else "", f"{r.n:,}" if i == 0 else "", phase, *(
                f"{seconds:.1f} ({100 * seconds / capacity:.0f}%)"
                for seconds in (*parts, other, idle)),
                end_section=i == len(phases) - 1)
    console.print(table)


def _print_floor(console: Console, floor: Floor, runs: list[RunResult]) -> None:
    table = Table(title=f"Floor of this machine, N = {floor.n:,} "
                        f"(messages of {floor.message_bytes} bytes, entries of 3 lines)")
    table.add_column("what")
    table.add_column("seconds", justify="right")
    table.add_column("per second", justify="right")
    rows = [
        ("aio-pika publish, confirms on, durable quorum queue", floor.publish),
        ("aio-pika consume, prefetch 1000, multiple acks", floor.consume),
        ("broker: publish + consume", floor.broker),
        ("PostgreSQL COPY of entries + lines (accounting's tables)", floor.copy),
        ("floor: broker + COPY", floor.total),
        (f"for comparison: broker with {BATCH} documents per message", floor.batched),
    ]
    for what, seconds in rows:
        table.add_row(what, f"{seconds:.2f}", _rate(floor.n, seconds),
                      style="bold" if what.startswith("floor") else
                      "dim" if what.startswith("for comparison") else None)
    console.print(table)
    for r in runs:
        if r.month_end is not None:
            console.print(
                f"Ratio month end / floor ({_name(r)}, {r.n:,} documents): "
                f"[bold]{r.month_end.rate / (floor.n / floor.total):.1%}[/] of broker + COPY; "
                f"{r.month_end.rate / (floor.n / floor.copy):.1%} of COPY alone")
        elif r.backend == "PostgreSQL" and r.n == floor.n:
            overall = r.n / measured(r.timings, "timings").overall
            console.print(
                f"Ratio overall / floor ({_name(r)}, N = {r.n:,}): "
                f"[bold]{overall / (floor.n / floor.total):.1%}[/] of broker + COPY; "
                f"{overall / (floor.n / floor.broker):.1%} of the broker alone; "
                f"{overall / (floor.n / floor.copy):.1%} of COPY alone")


def _print_targets(console: Console, runs: list[RunResult]) -> None:
    table = Table(title="Targets (issue 5: PostgreSQL, 100,000 documents; issue 16: the "
                        "month end)")
    for column in ("target", "measured", "met"):
        table.add_column(column)
    for r in runs:
        if r.backend != "PostgreSQL":
            continue
        rate = r.n / r.seconds
        target = TARGET_MONTH_END_RATE if r.month_end else TARGET_RATE
        table.add_row(f"≥ {target:,} documents/s overall ({_name(r)}, N = {r.n:,})",
                      f"{rate:,.0f}", "yes" if rate >= target else "[red]no[/]")
        if r.month_end is not None:
            p95 = r.month_end.company_seconds(95)
            table.add_row(f"per company p95 sync → all posted ≤ {TARGET_MONTH_END_P95_S} s "
                          f"({_name(r)})", f"{p95:,.1f} s",
                          "yes" if p95 <= TARGET_MONTH_END_P95_S else "[red]no[/]")
        peak = max(r.rss_peak_kb.values()) / 1024
        table.add_row(f"every process's peak RSS ≤ {TARGET_RSS_MB} MB ({_name(r)}, "
                      f"N = {r.n:,})",
                      f"{peak:,.0f} MB", "yes" if peak <= TARGET_RSS_MB else "[red]no[/]")
        if r.live is not None:
            p99 = r.live.percentile(99)
            table.add_row(f"live p99 creation → posted ≤ {TARGET_LIVE_P99_MS} ms",
                          f"{p99:,.0f} ms", "yes" if p99 <= TARGET_LIVE_P99_MS else "[red]no[/]")
    console.print(table)


def _print_live(console: Console, r: RunResult) -> None:
    if r.live_error:
        console.print(f"[bold red]Live mode could not run:[/] {r.live_error}")
        return
    live = measured(r.live, "live figures")
    table = Table(title=f"Live ({r.backend}): one document at a time, {live.rate}/s for "
                        f"{live.seconds}s, auto-post on")
    for column in ("created", "achieved rate", "POST p50 / p99", "posted",
                   "creation → posted p50", "p95", "p99", "max"):
        table.add_column(column, justify="right")
    table.add_row(f"{live.created:,}", f"{live.achieved_rate:,.0f}/s",
                  f"{live.create_p50_ms:.0f} / {live.create_p99_ms:.0f} ms", f"{live.posted:,}",
                  *(f"{live.percentile(p):,.0f} ms" for p in (50, 95, 99, 100)))
    console.print(table)
    if live.cpu_seconds and live.created:
        used = {name: live.cpu_seconds.get(name, 0.0) for name in (*PROCESSES, "PostgreSQL",
                                                                     "RabbitMQ")}
        console.print("CPU per live document, from the first creation until the last is "
                      f"posted: [bold]{1000 * sum(used.values()) / live.created:.2f} ms[/] (" +
                      ", ".join(f"{name} {1000 * seconds / live.created:.2f}"
                                for name, seconds in used.items()) + " ms)")
    if live.profile_dir is not None:
        print_profile(console, f"live ({r.backend}), {live.created:,} documents",
                      "while the live documents were created and posted", live.profile_dir)


def print_profile(console: Console, what: str, when: str, profile_dir: Path,
                  top: int = 12) -> None:
    console.print(f"\n[bold]Profile ({what}), py-spy on-CPU samples at 100 Hz {when}[/]; "
                  f"raw stacks in {profile_dir}")
    for name in PROCESSES:
        summary = summarise(profile_dir / f"{name}.txt", top)
        total = summary.samples
        if not total:
            console.print(f"{name}: no samples ({profile_dir / (name + '.err')})")
            continue
        table = Table(title=f"{name}: {total:,} samples ≈ {total / 100:,.1f} CPU-s")
        for column in ("self %", "function (self)", "incl. %", "project function (inclusive)",
                       "%", "package (innermost on stack)"):
            table.add_column(column, justify="right" if "%" in column else "left")
        columns = (summary.by_self, summary.project, summary.by_library)
        for i in range(top):
            cells = []
            for rows in columns:
                what, n = rows[i] if i < len(rows) else ("", 0)
                cells += [f"{100 * n / total:.1f}" if what else "", what[:60]]
            table.add_row(*cells)
        console.print(table)
