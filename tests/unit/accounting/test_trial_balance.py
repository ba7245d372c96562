from accounting.domain.trial_balance import (
    CounterpartyMovement,
    Movement,
    counterparty_balances,
    trial_balance,
)


def test_balances_per_account_ordered_by_code_and_totals_match():
    result = trial_balance([
        Movement("310115", "Ventas de Productos", 0, 100_000),
        Movement("110310", "Clientes", 119_000, 0),
        Movement("210710", "IVA Débito Fiscal", 0, 19_000),
        Movement("110310", "Clientes", 0, 50_000),
        Movement("110102", "Banco", 50_000, 0),
    ])
    assert [r.account_code for r in result.rows] == ["110102", "110310", "210710", "310115"]
    clientes = result.rows[1]
    assert (clientes.debit, clientes.credit) == (119_000, 50_000)
    assert (clientes.debit_balance, clientes.credit_balance) == (69_000, 0)
    ventas = result.rows[3]
    assert (ventas.debit_balance, ventas.credit_balance) == (0, 100_000)
    totals = result.totals
    assert totals.debit == totals.credit == 169_000
    assert totals.debit_balance == totals.credit_balance == 119_000


def test_an_account_that_nets_to_zero_has_no_balance():
    result = trial_balance([Movement("110310", "Clientes", 10, 10)])
    assert (result.rows[0].debit_balance, result.rows[0].credit_balance) == (0, 0)


def test_no_movements_no_rows():
    result = trial_balance([])
    assert result.rows == [] and result.totals.debit == result.totals.credit == 0


def test_the_saldos_are_the_closing_balance_opening_included():
    # Clientes owed 11.900 before the range; 119.000 invoiced and 23.800 credited in it.
    result = trial_balance([
        Movement("110310", "Clientes", 119_000, 23_800, opening=11_900),
        Movement("210710", "IVA Débito Fiscal", 3_800, 19_000, opening=-1_900),
        Movement("310115", "Ventas de Productos", 20_000, 100_000, opening=-10_000),
        Movement("110102", "Banco", 0, 0, opening=0),
    ])
    rows = {r.account_code: r for r in result.rows}
    clientes = rows["110310"]
    assert (clientes.opening_balance, clientes.closing_balance) == (11_900, 107_100)
    assert (clientes.debit_balance, clientes.credit_balance) == (107_100, 0)
    iva = rows["210710"]
    assert (iva.closing_balance, iva.debit_balance, iva.credit_balance) == (-17_100, 0, 17_100)
    ventas = rows["310115"]
    assert (ventas.closing_balance, ventas.credit_balance) == (-90_000, 90_000)
    totals = result.totals
    assert totals.opening_balance == 0 and totals.closing_balance == 0
    assert totals.debit == totals.credit == 142_800
    assert totals.debit_balance == totals.credit_balance == 107_100


def test_an_account_with_only_an_opening_keeps_it_as_its_closing():
    [row] = trial_balance([Movement("110310", "Clientes", 0, 0, opening=-500)]).rows
    assert (row.debit, row.credit, row.closing_balance, row.credit_balance) == (0, 0, -500, 500)


def test_counterparty_balances_add_the_opening():
    [row] = counterparty_balances([CounterpartyMovement("77777777-7", "Comercial", 119_000,
                                                        50_000, opening=11_900)])
    assert (row.opening_balance, row.debit, row.credit, row.closing_balance) == (
        11_900, 119_000, 50_000, 80_900)
