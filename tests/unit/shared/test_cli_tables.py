"""The CLI's tables render the reports a person reads: numbers in Chilean format."""

from rich.console import Console

from tools.cli import pesos, reconciliation_table, trial_balance_table


def render(table) -> str:
    console = Console(width=160, record=True)
    console.print(table)
    return console.export_text()


def test_pesos_use_dots_for_thousands():
    assert pesos(627_400) == "627.400" and pesos(0) == "0"


def test_trial_balance_table_shows_each_account_and_the_totals():
    report = {"rows": [{"account_code": "110310", "account_name": "Clientes", "debit": 119_000,
                        "credit": 0, "debit_balance": 119_000, "credit_balance": 0}],
              "totals": {"debit": 119_000, "credit": 119_000, "debit_balance": 119_000,
                         "credit_balance": 119_000}}
    text = render(trial_balance_table(report, "Balance"))
    assert "110310" in text and "Clientes" in text and "119.000" in text and "Totales" in text


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
