"""`python -m invoicing import FILE --company RUT [--format …]`: an import with a progress bar."""

import asyncio
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from invoicing.config import Settings, ensure_sqlite_directory
from invoicing.domain.errors import InvoicingError
from invoicing.domain.imports import ImportFormat, ImportSummary
from invoicing.service_layer.imports import ImportOptions, import_file
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.db import create_engine, session_factory
from shared.rut import InvalidRut, canonical_rut

SHOWN_ITEMS = 50


async def run_import(settings: Settings, path: Path, company: str,
                     forced: ImportFormat | None, console: Console) -> ImportSummary:
    ensure_sqlite_directory(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    columns = (TextColumn("[bold]importing"), BarColumn(), MofNCompleteColumn(),
               TextColumn("documents"), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=False) as bar, path.open("rb") as file:
            task = bar.add_task("import", total=None)

            def progress(done: int, expected: int) -> None:
                bar.update(task, completed=done, total=expected)

            options = ImportOptions(batch_size=settings.import_batch_size,
                                    max_items=settings.import_max_items)
            return await import_file(lambda: UnitOfWork(sessions), company, file, forced,
                                     options=options, progress=progress)
    finally:
        await engine.dispose()


def print_summary(summary: ImportSummary, console: Console) -> None:
    console.print(f"format {summary.format}: [green]{summary.created} created[/], "
                  f"{summary.duplicates} already present, "
                  f"[red]{summary.rejected} rejected[/]")
    for item in summary.items[:SHOWN_ITEMS]:
        where = f"line {item.location.line}" if item.location.line is not None \
            else item.location.xml_path
        what = f"tipo {item.dte_type} folio {item.folio}" if item.folio else ""
        console.print(f"  {where} {what}: {item.reason}", highlight=False, markup=False)
    more = len(summary.items) - SHOWN_ITEMS + summary.items_omitted
    if more > 0:
        console.print(f"  … and {more} more rejected")


def main(settings: Settings, file: str, company: str, forced: str | None) -> int:
    console = Console()
    path = Path(file)
    if not path.is_file():
        console.print(f"[red]{file} is not a file[/]")
        return 2
    try:
        rut = canonical_rut(company)
        summary = asyncio.run(run_import(settings, path, rut,
                                         ImportFormat(forced) if forced else None, console))
    except (InvalidRut, InvoicingError) as error:
        console.print(f"[red]not imported:[/] {getattr(error, 'detail', error)}",
                      highlight=False)
        return 1
    print_summary(summary, console)
    return 0
