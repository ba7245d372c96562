"""`python -m integration_worker migrate | run`."""

import argparse
import asyncio
import logging
import signal

import uvloop

from integration_worker.bootstrap import build_worker
from integration_worker.config import Settings
from integration_worker.entrypoints.http import build_http_app, serve
from shared.logs import configure_logging
from shared.redaction import redact_url
from shared.runtime import tune_garbage_collector
from shared.settings import log_startup, settings_or_exit, startup_check_or_exit

log = logging.getLogger("integration_worker")
PROG = "python -m integration_worker"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=PROG)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="nothing to do: the worker owns no database")
    commands.add_parser("run", help="consume documents and payments (live and of syncs) and "
                                    "settings.changed until stopped")
    args = parser.parse_args(argv)

    if args.command == "migrate":
        # Accounting keeps proposals once per (sync, source_key): that is the idempotency.
        print("integration-worker owns no database: nothing to migrate")
        return
    settings = settings_or_exit(Settings, PROG)
    warning = startup_check_or_exit(settings, PROG)
    configure_logging(settings.log_level, fmt=settings.log_format or "json",
                      service="integration-worker")
    log_startup(log, settings, warning, accounting=settings.accounting_url)
    tune_garbage_collector()
    # The event loop the APIs run on too (uvicorn's): the consumer and the HTTP client to
    # accounting spend less of the worker's CPU in the loop itself.
    uvloop.run(_run(settings))


async def _run(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info("consuming from %s on %s; proposals go to %s",
             settings.topology.queue_name("integration-worker"), settings.event_exchange,
             redact_url(settings.accounting_url))
    worker = build_worker(settings)
    app = build_http_app(settings, worker.consumer, dead=worker.runtime.dead)
    http = asyncio.create_task(serve(app, settings.worker_http_host, settings.worker_http_port,
                                     stop, settings.log_level))
    try:
        await worker.run(stop)
    finally:
        stop.set()  # the consumer stopped (or died): the HTTP server goes with it
        await http
    log.info("stopped")
