"""`dte`: the operators' and demo's command line over both public APIs.

    python -m tools.cli --help
    python -m tools.cli company create 76354771-K "Ferretería El Martillo SpA"
    python -m tools.cli sync start COMPANY_ID 2026-10-01 2026-10-31 --follow
    python -m tools.cli report trial-balance CONTRACT_RUT COMPANY_ID 2026-10-01 2026-10-31
    python -m tools.cli report balance-tributario CONTRACT_RUT COMPANY_ID --year 2026 [--csv]

URLs from INVOICING_URL / ACCOUNTING_URL (default :8001 / :8002); the token is taken from
DTE_TOKEN, or minted for the RUTs a command names with AUTH_SECRET (or, with
ENVIRONMENT=development, the development secret; see deploy/local/auth.py).
"""

import os
import time
from collections.abc import Generator

import click
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from deploy.local.auth import GrantingAuth
from deploy.local.client import ApiError, FlowClient
from shared.settings import SettingsError

console = Console()


class _FixedToken(httpx.Auth):
    def __init__(self, token: str):
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _client(ctx: click.Context) -> FlowClient:
    if ctx.obj is None:
        token = os.environ.get("DTE_TOKEN")
        try:
            auth = _FixedToken(token) if token else GrantingAuth()
        except SettingsError as error:
            raise click.ClickException(f"{error} (or set DTE_TOKEN)") from None
        ctx.obj = FlowClient(os.environ.get("INVOICING_URL", "http://127.0.0.1:8001"),
                             os.environ.get("ACCOUNTING_URL", "http://127.0.0.1:8002"),
                             auth=auth)
    return ctx.obj


def _grant(client: FlowClient, *, contracts=(), companies=()) -> None:
    if isinstance(client.auth, GrantingAuth):
        client.auth.grant(contracts=tuple(contracts), companies=tuple(companies))


def pesos(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


@click.group()
def cli() -> None:
    """Factura Electrónica ↔ Contabilidad: operate the integration from a terminal."""


@cli.result_callback()
@click.pass_context
def _close(ctx: click.Context, *_: object, **__: object) -> None:
    if isinstance(ctx.obj, FlowClient):
        ctx.obj.close()


# --- invoicing ------------------------------------------------------------------------


@cli.group()
def company() -> None:
    """Issuing companies in invoicing."""


@company.command("create")
@click.argument("rut")
@click.argument("name")
@click.pass_context
def company_create(ctx: click.Context, rut: str, name: str) -> None:
    created = _client(ctx).create_company(rut, name)
    console.print(f"[green]company[/] {created['rut']} {created['name']}")


@cli.group()
def integration() -> None:
    """Ask for, approve and follow an integration."""


@integration.command("request")
@click.argument("company_rut")
@click.argument("contract_rut")
@click.pass_context
def integration_request(ctx: click.Context, company_rut: str, contract_rut: str) -> None:
    """In invoicing: COMPANY_RUT asks to be integrated with CONTRACT_RUT's accounting."""
    link = _client(ctx).request_integration(company_rut, contract_rut)
    console.print(f"{link['status']}: {link['detail']}")


@integration.command("list")
@click.argument("contract_rut")
@click.option("--status", default=None)
@click.pass_context
def integration_list(ctx: click.Context, contract_rut: str, status: str | None) -> None:
    """In accounting: the contract's integration requests."""
    client = _client(ctx)
    _grant(client, contracts=[contract_rut])
    table = Table("id", "company", "status", "detail")
    for r in client.integration_requests(contract_rut, status):
        table.add_row(r["id"], f"{r['company_rut']} {r['company_name']}", r["status"],
                      r.get("detail") or "")
    console.print(table)


@integration.command("approve")
@click.argument("contract_rut")
@click.argument("request_id")
@click.argument("company_id")
@click.pass_context
def integration_approve(ctx: click.Context, contract_rut: str, request_id: str,
                        company_id: str) -> None:
    client = _client(ctx)
    _grant(client, contracts=[contract_rut])
    approved = client.approve(request_id, company_id)
    console.print(f"[green]{approved['status']}[/]")


# --- accounting -----------------------------------------------------------------------


@cli.group()
def accounts() -> None:
    """Default accounts of a company in accounting."""


@accounts.command("set")
@click.argument("contract_rut")
@click.argument("company_id")
@click.option("--sales", nargs=2, required=True, metavar="AUX DETAIL")
@click.option("--purchases", nargs=2, required=True, metavar="AUX DETAIL")
@click.option("--payments", default=None)
@click.option("--collections", default=None)
@click.pass_context
def accounts_set(ctx: click.Context, contract_rut: str, company_id: str, sales, purchases,
                 payments, collections) -> None:
    client = _client(ctx)
    _grant(client, contracts=[contract_rut])
    settings = client.put_settings(company_id, {
        "sales": {"auxiliary_account": sales[0], "detail_account": sales[1]},
        "purchases": {"auxiliary_account": purchases[0], "detail_account": purchases[1]},
        "payments_account": payments, "collections_account": collections})
    missing = settings.get("missing") or []
    console.print("[green]saved[/]" + (f"; still missing: {', '.join(missing)}" if missing else ""))


@cli.group()
def sync() -> None:
    """Connect and synchronise a date range; review; confirm."""


@sync.command("start")
@click.argument("contract_rut")
@click.argument("company_id")
@click.argument("date_from")
@click.argument("date_to")
@click.option("--follow/--no-follow", default=True, help="show progress until review")
@click.pass_context
def sync_start(ctx: click.Context, contract_rut: str, company_id: str, date_from: str,
               date_to: str, follow: bool) -> None:
    client = _client(ctx)
    _grant(client, contracts=[contract_rut])
    session = client.start_sync(company_id, date_from, date_to)
    console.print(f"sync [bold]{session['id']}[/] requested")
    if follow:
        follow_sync(client, session["id"])


def follow_sync(client: FlowClient, sync_id: str, *, timeout: float = 3600) -> dict:
    """A progress bar until the session is in review; returns the session."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    deadline = time.monotonic() + timeout
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("documents arriving", total=None)
        while True:
            session = client.sync(sync_id)
            progress.update(task, completed=session["received"], total=session["expected"],
                            description=session["status"])
            if session["status"] in ("in_review", "confirming", "confirmed"):
                return session
            if session["status"] == "stalled":
                raise click.ClickException(
                    f"sync {sync_id} is stalled: {session['stalled_reason']} "
                    f"(POST /v1/syncs/{sync_id}/resume)")
            if time.monotonic() > deadline:
                raise click.ClickException(f"sync {sync_id} still {session['status']}")
            time.sleep(0.3)


@sync.command("confirm")
@click.argument("contract_rut")
@click.argument("sync_id")
@click.pass_context
def sync_confirm(ctx: click.Context, contract_rut: str, sync_id: str) -> None:
    client = _client(ctx)
    _grant(client, contracts=[contract_rut])
    s = client.confirm(sync_id)
    console.print(f"posted {s['posted']}, held {s['held']}, already posted {s['already_posted']}")


@cli.group()
def report() -> None:
    """The books as tables."""


@report.command("trial-balance")
@click.argument("contract_rut")
@click.argument("company_id")
@click.argument("date_from")
@click.argument("date_to")
@click.pass_context
def report_trial_balance(ctx: click.Context, contract_rut: str, company_id: str,
                         date_from: str, date_to: str) -> None:
    client = _client(ctx)
    _grant(client, contracts=[contract_rut])
    console.print(trial_balance_table(client.trial_balance(company_id, date_from, date_to),
                                      f"Balance de comprobación {date_from} … {date_to}"))


def trial_balance_table(report: dict, title: str) -> Table:
    """Saldo inicial (before the range), the range's sums, and the closing as saldo deudor
    or acreedor (the signed saldo final is their difference: one column fewer, so the
    amounts fit an 80-column terminal)."""
    keys = ("opening_balance", "debit", "credit", "debit_balance", "credit_balance")
    table = Table(Column("cuenta", no_wrap=True), Column("nombre", min_width=12),
                  *(_amount_column(name) for name in (
                      "saldo\ninicial", "debe", "haber", "saldo\ndeudor", "saldo\nacreedor")),
                  title=title, show_edge=False)
    for row in report["rows"]:
        table.add_row(row["account_code"], row["account_name"],
                      *(pesos(row.get(k, 0)) for k in keys))
    t = report["totals"]
    table.add_row("", "[bold]Totales[/]", *(f"[bold]{pesos(t.get(k, 0))}[/]" for k in keys))
    return table


def _amount_column(header: str) -> Column:
    # An amount is never cut to "100.00…": folded onto a second line at worst.
    return Column(header, justify="right", no_wrap=True, overflow="fold")


@report.command("balance-tributario")
@click.argument("contract_rut")
@click.argument("company_id")
@click.option("--year", type=int, required=True, help="the fiscal year, e.g. 2026")
@click.option("--to", "date_to", default=None, metavar="DATE",
              help="last day (YYYY-MM-DD) within the year; default 31 December")
@click.option("--csv", "as_csv", is_flag=True, help="the report's CSV, as accounting sends it")
@click.pass_context
def report_balance_tributario(ctx: click.Context, contract_rut: str, company_id: str,
                              year: int, date_to: str | None, as_csv: bool) -> None:
    """The balance tributario de 8 columnas of YEAR, from 1 January to --to."""
    client = _client(ctx)
    _grant(client, contracts=[contract_rut])
    params: dict[str, object] = {"year": year}
    if date_to:
        params["to"] = date_to
    if as_csv:
        # click.echo, not rich: the CSV goes out byte for byte, ready to redirect to a file.
        click.echo(client.report_csv(company_id, "balance-tributario", **params), nl=False)
        return
    console.print(balance_tributario_table(client.report(company_id, "balance-tributario",
                                                         **params)))


TRIBUTARIO_KEYS = ("debit", "credit", "debit_balance", "credit_balance", "assets",
                   "liabilities", "losses", "gains")


def balance_tributario_table(report: dict) -> Table:
    """Sumas, saldos, inventario and resultados per account; then Sumas, the result of the
    year (utilidad or pérdida) and Totales, where each pair is equal."""
    table = Table("cuenta", "nombre", "debe", "haber", "deudor", "acreedor", "activo",
                  "pasivo", "pérdidas", "ganancias",
                  title=f"Balance tributario {report['year']}: {report['from']} … "
                        f"{report['to']}")
    for col in table.columns[2:]:
        col.justify = "right"
    for row in report["rows"]:
        table.add_row(row["account_code"], row["account_name"],
                      *(pesos(row[k]) for k in TRIBUTARIO_KEYS))
    table.add_section()
    result = report["result"]
    for label, part in (("Sumas", report["sums"]), (result["label"], result),
                        ("Totales", report["totals"])):
        table.add_row("", f"[bold]{label}[/]",
                      *(f"[bold]{pesos(part[k])}[/]" for k in TRIBUTARIO_KEYS))
    return table


@report.command("reconciliation")
@click.argument("contract_rut")
@click.argument("company_id")
@click.argument("month")
@click.pass_context
def report_reconciliation(ctx: click.Context, contract_rut: str, company_id: str,
                          month: str) -> None:
    """The cuadratura of MONTH (YYYY-MM): invoicing's documents against the books."""
    client = _client(ctx)
    _grant(client, contracts=[contract_rut])
    console.print(reconciliation_table(client.report(company_id, "reconciliation", month=month)))


def reconciliation_table(report: dict) -> Table:
    table = Table("direction", "tipo", "invoicing", "posted", "pending", "held", "difference",
                  title=f"Cuadratura {report['month']}")
    for col in table.columns[2:]:
        col.justify = "right"

    def cell(part: dict) -> str:
        return f"{part['count']} · ${pesos(part['total'])}"

    for line in report["lines"]:
        table.add_row(line["direction"], str(line["dte_type"]), cell(line["invoicing"]),
                      cell(line["posted"]), cell(line["pending_review"]), cell(line["held"]),
                      cell(line["difference"]))
    differences = report["differences"]
    table.caption = ("no differences: the books match invoicing" if not differences else
                     "\n".join(f"{d['document_key']}: {d['status']}"
                               + (f" — {d['reason']}" if d.get("reason") else "")
                               for d in differences))
    return table


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ApiError as error:
        console.print(f"[red]{error}[/]")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
