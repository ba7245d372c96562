from accounting.domain.trial_balance import Movement, trial_balance


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
