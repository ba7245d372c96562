"""`make bench`: a year of one company's documents through the whole flow, timed; and a
month end of one accounting firm's companies.

python -m bench [--n 100000] [--n-sqlite 10000] [--skip-sqlite] [--skip-floor]
                [--skip-postgres] [--live] [--profile DIR] [--workers 1,2]
                [--month-end 200x300] [--month-end-clients 20] [--skip-month-end]
Environment: N, N_SQLITE, BENCH_LIVE=1, LIVE_RATE, LIVE_SECONDS, BENCH_TIMEOUT, WORKERS,
MONTH_END (COMPANIESxDOCS, or 0 for none), MONTH_END_CLIENTS,
BENCH_DATABASE_URL or DATABASE_URL (PostgreSQL admin URL), AMQP_URL, BENCH_KEEP_LOGS=1,
BENCH_COMMIT (the label printed for the code measured; default: git's HEAD).
"""

import argparse
import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable
from pathlib import Path

from rich.console import Console

from bench.floor import measure_floor
from bench.flow import PhaseFailed
from bench.infra import resources
from bench.month_end import CLIENTS, Size, parse_size
from bench.report import print_report
from bench.runner import LiveOptions, RunResult, measured, run_month_end, run_stack

REPO = Path(__file__).resolve().parents[1]


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=_env_int("N", 100_000),
                        help="documents for the PostgreSQL run and the floor (env N)")
    parser.add_argument("--n-sqlite", type=int, default=_env_int("N_SQLITE", 10_000),
                        help="documents for the SQLite run (env N_SQLITE)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--live", action="store_true",
                        default=os.environ.get("BENCH_LIVE", "") not in ("", "0"),
                        help="also the live mode on PostgreSQL (env BENCH_LIVE=1)")
    parser.add_argument("--live-rate", type=int, default=_env_int("LIVE_RATE", 200))
    parser.add_argument("--live-seconds", type=int, default=_env_int("LIVE_SECONDS", 60))
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="py-spy every process during the sync; raw stacks go to DIR")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds each phase may take (env BENCH_TIMEOUT)")
    parser.add_argument("--workers", type=_worker_counts,
                        default=_worker_counts(os.environ.get("WORKERS") or "1,2"),
                        help="worker processes sharing the queue in the PostgreSQL run: a "
                             "count, or several (1,2: a run with each, side by side in the "
                             "figures); env WORKERS, default 1,2")
    parser.add_argument("--month-end", type=_month_end_size, metavar="COMPANIESxDOCS",
                        default=_month_end_size(os.environ.get("MONTH_END") or "200x300"),
                        help="the month end: one contract, COMPANIES companies with DOCS "
                             "documents each in one month, every sync started at once; 0 for "
                             "none (env MONTH_END, default 200x300)")
    parser.add_argument("--month-end-clients", type=int, metavar="CLIENTS",
                        default=_env_int("MONTH_END_CLIENTS", CLIENTS),
                        help="concurrent clients reviewing and confirming the month end's "
                             f"syncs (env MONTH_END_CLIENTS, default {CLIENTS})")
    parser.add_argument("--skip-month-end", action="store_true")
    args = parser.parse_args(argv)
    if args.skip_month_end:
        args.month_end = None
    if args.month_end_clients < 1:
        parser.error("--month-end-clients: at least one client")
    return args


def _month_end_size(text: str) -> Size | None:
    if str(text).strip() in ("0", "off", "none"):
        return None
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _worker_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: worker counts, as 2 or 1,2") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: at least one worker per run")
    return counts


def git_commit() -> str:
    if os.environ.get("BENCH_COMMIT"):  # e.g. when run from an exported tree
        return os.environ["BENCH_COMMIT"]

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True,
                              text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{commit} (+ uncommitted changes)" if dirty else commit


async def main(args: argparse.Namespace) -> int:
    out = Console(width=max(120, Console().width))
    log = Console(stderr=True)

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    commit = git_commit()
    say(f"bench at commit {commit}")
    runs, floor = [], None
    async with resources() as run:
        if not args.skip_floor:
            say(f"[floor] broker and COPY, N = {args.n:,}")
            floor = await measure_floor(run, args.n)
        plans = []  # (label, N, on SQLite, workers)
        if not args.skip_postgres:
            plans += [("pg" if workers == 1 else f"pg{workers}w", args.n, False, workers)
                      for workers in args.workers]
        if not args.skip_sqlite:
            plans.append(("sqlite", args.n_sqlite, True, 1))
        live = LiveOptions(args.live_rate, args.live_seconds) if args.live else None
        for index, (label, n, sqlite, workers) in enumerate(plans):
            timeout = _timeout(args, n)
            # The live mode once, with the first PostgreSQL run.
            result = await _checked(log, f"{label} run (N = {n:,})", run_stack(
                run, label, n, sqlite=sqlite, phase_timeout=timeout, say=say,
                profile_dir=args.profile, live=live if not sqlite and index == 0 else None,
                workers=workers))
            if result is None:
                return 1
            runs.append(result)
        if args.month_end is not None:
            size = args.month_end
            say(f"[month end] {size.companies} companies × {size.docs:,} documents, "
                f"{args.month_end_clients} clients")
            result = await _checked(log, f"month-end run ({size})", run_month_end(
                run, size, clients=args.month_end_clients,
                phase_timeout=_timeout(args, size.total), say=say, profile_dir=args.profile,
                workers=args.workers[0]))
            if result is None:
                return 1
            runs.append(result)
    print_report(out, commit=commit, runs=runs, floor=floor)
    if any(r.live_error for r in runs):
        return 2
    return 0


def _timeout(args: argparse.Namespace, n: int) -> float:
    return args.timeout or float(os.environ.get("BENCH_TIMEOUT") or max(300.0, n / 50))


async def _checked(log: Console, what: str, running: Awaitable[RunResult]
                   ) -> RunResult | None:
    """The run's result; None, with the reason on stderr, when it failed or its books are
    wrong (then no figures are printed)."""
    try:
        result = await running
    except PhaseFailed as error:
        log.print(f"[bold red]The {what} failed; no figures are printed:[/] {error}",
                  highlight=False)
        return None
    verdict = measured(result.verdict, "checks of its books")
    if not verdict.ok:
        log.print(f"[bold red]The {what} failed its checks; no figures are printed:[/]")
        for problem in verdict.problems:
            log.print(f"  - {problem}", markup=False)
        return None
    return result


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
