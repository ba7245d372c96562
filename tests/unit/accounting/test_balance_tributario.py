"""The balance tributario de 8 columnas, computed by hand on a small chart."""

import pytest

from accounting.domain.accounts import AccountType
from accounting.domain.balance_tributario import (
    Columns,
    Outcome,
    UntypedAccount,
    balance_tributario,
)
from accounting.domain.trial_balance import Movement

A, L, E, INC, X = (AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY,
                 AccountType.INCOME, AccountType.EXPENSE)


def m(code: str, kind: AccountType, debit: int, credit: int) -> Movement:
    return Movement(code, f"cuenta {code}", debit, credit, account_type=kind)


# The year, entry by entry:
#   opening entry    Banco 500.000        / Capital 500.000
#   sale (33)        Clientes 119.000     / Ventas 100.000, IVA DF 19.000
#   purchase (33)    Compras 60.000, IVA CF 11.400 / Proveedores 71.400
#   payment          Proveedores 71.400   / Banco 71.400
#   collection       Banco 50.000         / Clientes 50.000
YEAR = [
    m("110102", A, 500_000, 0), m("230110", E, 0, 500_000),
    m("110310", A, 119_000, 0), m("310115", INC, 0, 100_000), m("210710", L, 0, 19_000),
    m("410230", X, 60_000, 0), m("110710", A, 11_400, 0), m("210210", L, 0, 71_400),
    m("210210", L, 71_400, 0), m("110102", A, 0, 71_400),
    m("110102", A, 50_000, 0), m("110310", A, 0, 50_000),
]


def test_a_profitable_year_by_hand():
    report = balance_tributario(YEAR)
    rows = {r.account_code: r.columns for r in report.rows}
    assert list(rows) == ["110102", "110310", "110710", "210210", "210710", "230110",
                          "310115", "410230"]
    # Banco: 550.000 − 71.400 = 478.600 deudor, an asset.
    assert rows["110102"] == Columns(550_000, 71_400, 478_600, 0, 478_600, 0, 0, 0)
    assert rows["110310"] == Columns(119_000, 50_000, 69_000, 0, 69_000, 0, 0, 0)
    assert rows["110710"] == Columns(11_400, 0, 11_400, 0, 11_400, 0, 0, 0)
    # Proveedores paid in full: sums, no saldo.
    assert rows["210210"] == Columns(71_400, 71_400, 0, 0, 0, 0, 0, 0)
    assert rows["210710"] == Columns(0, 19_000, 0, 19_000, 0, 19_000, 0, 0)
    assert rows["230110"] == Columns(0, 500_000, 0, 500_000, 0, 500_000, 0, 0)
    assert rows["310115"] == Columns(0, 100_000, 0, 100_000, 0, 0, 0, 100_000)
    assert rows["410230"] == Columns(60_000, 0, 60_000, 0, 0, 0, 60_000, 0)

    # Sumas 811.800 each; saldos 619.000 each; inventario 559.000 / 519.000;
    # resultados 60.000 / 100.000.
    assert report.sums == Columns(811_800, 811_800, 619_000, 619_000, 559_000, 519_000,
                                  60_000, 100_000)
    # Utilidad 100.000 − 60.000 = 40.000: to pasivo and to pérdidas.
    assert (report.result.outcome, report.result.amount, report.result.label) == (
        Outcome.PROFIT, 40_000, "Utilidad del ejercicio")
    assert report.result.columns == Columns(liabilities=40_000, losses=40_000)
    assert report.totals == Columns(811_800, 811_800, 619_000, 619_000, 559_000, 559_000,
                                    100_000, 100_000)


def test_a_loss_goes_to_activo_and_ganancias():
    # Sales 30.000 on credit, expenses 45.000 paid from the bank.
    report = balance_tributario([
        m("110310", A, 30_000, 0), m("310120", INC, 0, 30_000),
        m("410190", X, 45_000, 0), m("110102", A, 0, 45_000),
    ])
    # Inventario: activo 30.000, pasivo 45.000 (Banco overdrawn); resultados 45.000 / 30.000.
    assert report.sums == Columns(75_000, 75_000, 75_000, 75_000, 30_000, 45_000, 45_000,
                                  30_000)
    assert (report.result.outcome, report.result.amount, report.result.label) == (
        Outcome.LOSS, -15_000, "Pérdida del ejercicio")
    assert report.result.columns == Columns(assets=15_000, gains=15_000)
    assert report.totals == Columns(75_000, 75_000, 75_000, 75_000, 45_000, 45_000, 45_000,
                                    45_000)


def test_an_even_year_has_a_zero_result_line():
    report = balance_tributario([m("110310", A, 1_000, 0), m("310115", INC, 0, 1_000),
                                 m("410230", X, 1_000, 0), m("210210", L, 0, 1_000)])
    assert (report.result.outcome, report.result.amount) == (Outcome.NONE, 0)
    assert report.result.columns == Columns()
    assert report.totals == report.sums


def test_no_movements_no_rows():
    report = balance_tributario([])
    assert report.rows == [] and report.totals == Columns()


def test_an_account_without_a_type_is_refused():
    with pytest.raises(UntypedAccount) as raised:
        balance_tributario([Movement("999999", "?", 1, 0)])
    assert raised.value.code == "999999"
