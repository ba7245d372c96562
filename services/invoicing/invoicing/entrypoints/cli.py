"""`python -m invoicing migrate`, `… serve --host … --port …` and
`… import FILE --company RUT [--name NAME] [--section SECTION]` (exit codes in
entrypoints/import_cli.py)."""

import argparse
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config

from invoicing.config import Settings
from invoicing.domain.imports import ImportFormat, RcvSection
from shared.db import ensure_sqlite_directory
from shared.logs import configure_logging
from shared.settings import log_startup, settings_or_exit, startup_check_or_exit

# services/invoicing/alembic.ini, wherever the command is run from.
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"

log = logging.getLogger("invoicing")
PROG = "python -m invoicing"


def migrate(database_url: str) -> None:
    """Upgrade the database to the latest revision. Runs its own event loop."""
    ensure_sqlite_directory(database_url)
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")


def serve(settings: Settings, host: str, port: int, warning: str | None) -> None:
    import uvicorn

    from invoicing.bootstrap import build_app
    from shared.runtime import tune_garbage_collector

    log_startup(log, settings, warning, database=settings.database_url)
    app = build_app(settings)
    tune_garbage_collector()
    # log_config=None: uvicorn's own loggers go through ours (JSON, with correlation ids).
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(),
                log_config=None)


def main(argv: list[str] | None = None) -> None:
    settings = settings_or_exit(Settings, PROG)
    parser = argparse.ArgumentParser(prog=PROG)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply pending migrations to DATABASE_URL")
    serve_parser = commands.add_parser("serve", help="run the HTTP API, outbox relay and consumer")
    serve_parser.add_argument("--host", default=settings.host)
    serve_parser.add_argument("--port", type=int, default=settings.port)
    import_parser = commands.add_parser(
        "import", help="import a DTE XML, EnvioDTE XML or RCV CSV file into DATABASE_URL")
    import_parser.add_argument("file", help="path of the file to import")
    import_parser.add_argument("--company", required=True, help="the company's RUT")
    import_parser.add_argument("--name", help="its razón social: registers the company "
                                              "first when it is not registered yet")
    import_parser.add_argument("--format", choices=[f.value for f in ImportFormat],
                               help="force the format (detected when left out)")
    import_parser.add_argument("--section", choices=[s.value for s in RcvSection],
                               help="RCV compras: which of the SII's files it is (told from "
                                    "its header when left out); pendientes are kept pending "
                                    "acceptance, reclamados and no-incluir rejected")
    args = parser.parse_args(argv)
    warning = startup_check_or_exit(settings, PROG) if args.command == "serve" else None
    configure_logging(settings.log_level, service="invoicing",
                      fmt=settings.log_format or ("json" if args.command == "serve" else "text"))
    if args.command == "import":
        from invoicing.entrypoints import import_cli
        from shared.runtime import tune_garbage_collector

        # As the service imports: a large file's batches are tens of thousands of objects
        # each, which the default thresholds walk again and again (tune's reasons).
        tune_garbage_collector()
        raise SystemExit(import_cli.main(settings, args.file, args.company, args.format,
                                         args.name, args.section))
    if args.command == "migrate":
        migrate(settings.database_url)
        log.info("invoicing database is at the latest revision")
    else:
        serve(settings, args.host, args.port, warning)
