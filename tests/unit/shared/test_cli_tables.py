"""The CLI's tables render the reports a person reads: numbers in Chilean format."""

import re

from click.testing import CliRunner
from rich.console import Console

from tests.unit.web.test_books import TRIAL_BALANCE
from tools.cli import (
    balance_tributario_table,
    cli,
    pesos,
    reconciliation_table,
    trial_balance_table,
)


def render(table) -> str:
    console = Console(width=160, record=True)
    console.print(table)
    return console.export_text()


def test_pesos_use_dots_for_thousands():
    assert pesos(627_400) == "627.400" and pesos(0) == "0"


def test_trial_balance_table_shows_the_opening_the_sums_and_the_closing():
    # The console's example: Clientes opened at 11.900, 119.000 debited, 50.000 credited,
    # closing 11.900 + 119.000 - 50.000 = 80.900 deudor; Ventas -11.900 - 69.000 = -80.900,
    # 80.900 acreedor.
    lines = render(trial_balance_table(TRIAL_BALANCE, "Balance")).splitlines()
    first, second = (line for line in lines if "nombre" in line or "saldo" in line)
    assert _edgeless(first)[2:] == ["saldo", "", "", "saldo", "saldo"]
    assert _edgeless(second) == ["cuenta", "nombre", "inicial", "debe", "haber", "deudor",
                                 "acreedor"]
    clientes = next(line for line in lines if "110310" in line)
    assert _edgeless(clientes) == [
        "110310", "Clientes", "11.900", "119.000", "50.000", "80.900", "0"]
    ventas = next(line for line in lines if "310115" in line)
    assert _edgeless(ventas)[2:] == ["-11.900", "0", "69.000", "0", "80.900"]
    totals = next(line for line in lines if "Totales" in line)
    assert _edgeless(totals)[2:] == ["0", "119.000", "119.000", "80.900", "80.900"]


def test_the_trial_balance_fits_a_terminal_of_80_columns_with_every_amount_whole():
    console = Console(width=80, record=True)
    console.print(trial_balance_table(TRIAL_BALANCE, "Balance de comprobación"))
    text = console.export_text()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "119.000" in text and "80.900" in text


def _edgeless(line: str) -> list[str]:
    """A row's cells in a table drawn without its outer edge."""
    return [c.strip() for c in re.split("[│┃]", line)]


def _cells(line: str) -> list[str]:
    """A rendered table row's cells (rich draws the header with heavy bars)."""
    return [c.strip() for c in re.split("[│┃]", line)[1:-1]]


# Ventas 100.000 on credit to Clientes (119.000 with IVA 19.000), Compras 60.000: the year
# makes a profit of 100.000 - 60.000 = 40.000, which goes to pasivo and to pérdidas so that
# each pair of the Totales row is equal.
TRIBUTARIO = {
    "year": 2026, "from": "2026-01-01", "to": "2026-03-31",
    "rows": [{"account_code": "110310", "account_name": "Clientes", "account_type": "asset",
              "debit": 119_000, "credit": 0, "debit_balance": 119_000, "credit_balance": 0,
              "assets": 119_000, "liabilities": 0, "losses": 0, "gains": 0},
             {"account_code": "210710", "account_name": "IVA Débito Fiscal",
              "account_type": "liability", "debit": 0, "credit": 19_000, "debit_balance": 0,
              "credit_balance": 19_000, "assets": 0, "liabilities": 19_000, "losses": 0,
              "gains": 0},
             {"account_code": "310115", "account_name": "Ventas", "account_type": "income",
              "debit": 0, "credit": 100_000, "debit_balance": 0, "credit_balance": 100_000,
              "assets": 0, "liabilities": 0, "losses": 0, "gains": 100_000},
             {"account_code": "410230", "account_name": "Compras", "account_type": "expense",
              "debit": 60_000, "credit": 0, "debit_balance": 60_000, "credit_balance": 0,
              "assets": 0, "liabilities": 0, "losses": 60_000, "gains": 0},
             {"account_code": "110102", "account_name": "Banco", "account_type": "asset",
              "debit": 0, "credit": 60_000, "debit_balance": 0, "credit_balance": 60_000,
              "assets": 0, "liabilities": 60_000, "losses": 0, "gains": 0}],
    "sums": {"debit": 179_000, "credit": 179_000, "debit_balance": 179_000,
             "credit_balance": 179_000, "assets": 119_000, "liabilities": 79_000,
             "losses": 60_000, "gains": 100_000},
    "result": {"outcome": "profit", "label": "Utilidad del ejercicio", "amount": 40_000,
               "debit": 0, "credit": 0, "debit_balance": 0, "credit_balance": 0, "assets": 0,
               "liabilities": 40_000, "losses": 40_000, "gains": 0},
    "totals": {"debit": 179_000, "credit": 179_000, "debit_balance": 179_000,
               "credit_balance": 179_000, "assets": 119_000, "liabilities": 119_000,
               "losses": 100_000, "gains": 100_000}}


def test_balance_tributario_table_has_the_eight_columns_the_result_and_the_totals():
    lines = render(balance_tributario_table(TRIBUTARIO)).splitlines()
    assert any("Balance tributario 2026: 2026-01-01 … 2026-03-31" in line for line in lines)
    header = next(line for line in lines if "cuenta" in line and "┃" in line)
    assert _cells(header) == ["cuenta", "nombre", "debe", "haber", "deudor", "acreedor",
                              "activo", "pasivo", "pérdidas", "ganancias"]
    compras = next(line for line in lines if "410230" in line)
    assert _cells(compras)[2:] == ["60.000", "0", "60.000", "0", "0", "0", "60.000", "0"]
    result = next(line for line in lines if "Utilidad del ejercicio" in line)
    assert _cells(result)[2:] == ["0", "0", "0", "0", "0", "40.000", "40.000", "0"]
    totals = next(line for line in lines if "Totales" in line)
    assert _cells(totals)[2:] == ["179.000", "179.000", "179.000", "179.000", "119.000",
                                  "119.000", "100.000", "100.000"]


class FakeReports:
    """The CLI's client, for the report commands: records what it was asked."""

    auth = None  # a fixed token: nothing to grant

    def __init__(self):
        self.asked: list[tuple] = []

    def report(self, company_id, name, **params):
        self.asked.append(("json", company_id, name, params))
        return TRIBUTARIO

    def report_csv(self, company_id, name, **params):
        self.asked.append(("csv", company_id, name, params))
        return "account_code,account_name\r\nSumas,\r\n"

    def close(self):
        pass


def test_the_balance_tributario_command_asks_for_the_year_to_the_date_and_prints_it():
    client = FakeReports()
    result = CliRunner().invoke(cli, ["report", "balance-tributario", "78000000-7", "c-1",
                                      "--year", "2026", "--to", "2026-03-31"], obj=client)
    assert result.exit_code == 0, result.output
    assert client.asked == [("json", "c-1", "balance-tributario",
                             {"year": 2026, "to": "2026-03-31"})]
    # The terminal of the test is 80 columns: the table is there, its cells cut short.
    assert "Balance tributario 2026: 2026-01-01 … 2026-03-31" in result.output


def test_the_balance_tributario_command_writes_the_apis_csv_as_it_came():
    client = FakeReports()
    result = CliRunner().invoke(cli, ["report", "balance-tributario", "78000000-7", "c-1",
                                      "--year", "2026", "--csv"], obj=client)
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == b"account_code,account_name\r\nSumas,\r\n"
    assert client.asked == [("csv", "c-1", "balance-tributario", {"year": 2026})]


def test_the_balance_tributario_command_needs_the_year():
    result = CliRunner().invoke(cli, ["report", "balance-tributario", "78000000-7", "c-1"],
                                obj=FakeReports())
    assert result.exit_code == 2 and "--year" in result.output


def test_reconciliation_table_lists_each_difference_with_its_reason():
    zero = {"count": 0, "total": 0}
    report = {"month": "2026-09", "differences": [
        {"document_key": "sales:76354771-K:33:1101", "status": "held", "reason": "no cuadra"}],
        "lines": [{"direction": "sales", "dte_type": 33,
                   "invoicing": {"count": 2, "total": 147_599},
                   "posted": {"count": 1, "total": 47_600}, "pending_review": zero,
                   "held": {"count": 1, "total": 99_999},
                   "difference": {"count": 1, "total": 99_999}}]}
    text = render(reconciliation_table(report))
    assert "147.599" in text and "sales:76354771-K:33:1101: held — no cuadra" in text
