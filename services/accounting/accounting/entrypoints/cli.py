"""`python -m accounting migrate` and `python -m accounting serve`."""

import argparse
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config

from accounting.config import Settings
from shared.db import ensure_sqlite_directory
from shared.settings import log_startup, settings_or_exit, startup_check_or_exit

SERVICE_DIR = Path(__file__).resolve().parents[2]
PROG = "python -m accounting"
log = logging.getLogger("accounting")


def migrate(database_url: str) -> None:
    """Apply pending migrations (alembic upgrade head), from any working directory."""
    ensure_sqlite_directory(database_url)
    config = Config(str(SERVICE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(SERVICE_DIR / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from accounting.bootstrap import build_app
    from shared.logs import configure_logging
    from shared.runtime import tune_garbage_collector

    warning = startup_check_or_exit(settings, PROG)
    configure_logging(settings.log_level, fmt=settings.log_format or "json",
                      service="accounting")
    log_startup(log, settings, warning, database=settings.database_url)
    # log_config=None: uvicorn's own loggers go through ours (JSON, with correlation ids).
    app = build_app(settings)
    tune_garbage_collector()
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(),
                log_config=None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=PROG)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply pending database migrations")
    serve_parser = commands.add_parser("serve", help="run the HTTP API, relay and consumer")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args(argv)
    settings = settings_or_exit(Settings, PROG)
    if args.command == "migrate":
        migrate(settings.database_url)
    else:
        serve(settings, args.host, args.port)
