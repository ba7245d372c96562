"""`python -m invoicing import FILE --company RUT [--format …]`: an import with a progress bar."""

import asyncio
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from invoicing.config import Settings
from invoicing.domain.errors import AlreadyExists, InvoicingError, NotFound
from invoicing.domain.imports import ImportFormat, ImportSummary, RcvSection
from invoicing.service_layer import companies
from invoicing.service_layer.imports import ImportOptions, import_file
from invoicing.service_layer.unit_of_work import UnitOfWork
from shared.db import create_engine, ensure_sqlite_directory, session_factory
from shared.rut import InvalidRut, canonical_rut

SHOWN_ITEMS = 50
NAME_LENGTH = 200

# Exit codes: a script can tell an import that did nothing from one that did.
EXIT_OK = 0  # something was recorded or was already there
EXIT_REFUSED = 1  # the file was refused whole (or the import stopped): nothing, or what is said
EXIT_USAGE = 2  # no such file, a bad RUT or company name
EXIT_ALL_REJECTED = 3  # the file was read, but every document in it was rejected or conflicts


async def _ensure_company(sessions, company: str, name: str | None,
                          console: Console) -> None:
    async with UnitOfWork(sessions) as unit:
        if await unit.companies.get(company) is not None:
            return
    if name is None:
        raise NotFound(
            f"Company {company} is not registered in invoicing. Add --name \"its razón "
            f"social\" to register it with this import, or register it first with "
            f"POST /v1/companies {{\"rut\": \"{company}\", \"name\": …}}."
        )
    try:
        await companies.register(UnitOfWork(sessions), company, name)
        console.print(f"registered company {company} ({name})", highlight=False, markup=False)
    except AlreadyExists:  # registered meanwhile: just as good
        pass


async def run_import(settings: Settings, path: Path, company: str,
                     forced: ImportFormat | None, console: Console,
                     name: str | None = None, section: RcvSection | None = None
                     ) -> ImportSummary:
    ensure_sqlite_directory(settings.database_url)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    columns = (TextColumn("[bold]importing"), BarColumn(), MofNCompleteColumn(),
               TextColumn("documents"), TimeElapsedColumn())
    try:
        await _ensure_company(sessions, company, name, console)
        with Progress(*columns, console=console, transient=False) as bar, path.open("rb") as file:
            task = bar.add_task("import", total=None)

            def progress(done: int, expected: int) -> None:
                bar.update(task, completed=done, total=expected)

            options = ImportOptions(batch_size=settings.import_batch_size,
                                    max_items=settings.import_max_items, section=section)
            return await import_file(lambda: UnitOfWork(sessions), company, file, forced,
                                     options=options, progress=progress)
    finally:
        await engine.dispose()


def print_summary(summary: ImportSummary, console: Console) -> None:
    conflicts = f", [red]{summary.conflicts} conflicting[/]" if summary.conflicts else ""
    pending = f"{summary.pending} pending acceptance, " if summary.pending else ""
    accepted = (f"{summary.accepted} accepted (pending before, now in the registro), "
                if summary.accepted else "")
    console.print(f"format {summary.format}: [green]{summary.created} created[/], "
                  f"{pending}{accepted}{summary.duplicates} already present, "
                  f"[red]{summary.rejected} rejected[/]{conflicts}")
    for item in summary.items[:SHOWN_ITEMS]:
        where = f"line {item.location.line}" if item.location.line is not None \
            else item.location.xml_path
        what = f"tipo {item.dte_type} folio {item.folio}" if item.folio else ""
        console.print(f"  {where} {what}: {item.reason}", highlight=False, markup=False)
    more = len(summary.items) - SHOWN_ITEMS + summary.items_omitted
    if more > 0:
        console.print(f"  … and {more} more rejected or conflicting")


def main(settings: Settings, file: str, company: str, forced: str | None,
         name: str | None = None, section: str | None = None) -> int:
    console = Console()
    path = Path(file)
    if not path.is_file():
        console.print(f"[red]{file} is not a file[/]")
        return EXIT_USAGE
    if name is not None and not 1 <= len(name.strip()) <= NAME_LENGTH:
        console.print(f"[red]--name must have 1 to {NAME_LENGTH} characters[/]")
        return EXIT_USAGE
    try:
        rut = canonical_rut(company)
    except InvalidRut as error:
        console.print(f"[red]--company:[/] {error}", highlight=False)
        return EXIT_USAGE
    try:
        summary = asyncio.run(run_import(settings, path, rut,
                                         ImportFormat(forced) if forced else None, console,
                                         name.strip() if name else None,
                                         RcvSection(section) if section else None))
    except InvoicingError as error:
        console.print(f"[red]not imported:[/] {error.detail}", highlight=False)
        return EXIT_REFUSED
    print_summary(summary, console)
    if summary.processed == summary.rejected + summary.conflicts > 0:
        console.print("[red]every document of the file was rejected or conflicts[/]")
        return EXIT_ALL_REJECTED
    return EXIT_OK
