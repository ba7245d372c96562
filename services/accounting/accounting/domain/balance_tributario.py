"""Balance tributario de 8 columnas (balance general de ocho columnas) of a fiscal year to
a date: per account, Sumas (débitos, créditos), Saldos (deudor, acreedor), Inventario
(activo, pasivo) and Resultados (pérdidas, ganancias), then the Resultado del ejercicio
that makes each pair of columns add up to the same.

A fiscal year starts empty on 1 January: its opening balances come from an opening entry
dated in the year (a movement like any other), not from the years before.
"""

from collections.abc import Iterable
from dataclasses import dataclass, fields
from enum import StrEnum

from accounting.domain.accounts import AccountType
from accounting.domain.trial_balance import Movement

# Balance-sheet accounts go to Inventario, income and expense accounts to Resultados.
INVENTORY_TYPES = frozenset({AccountType.ASSET, AccountType.LIABILITY, AccountType.EQUITY})


@dataclass(frozen=True)
class Columns:
    debit: int = 0  # Sumas: débitos
    credit: int = 0  # Sumas: créditos
    debit_balance: int = 0  # Saldos: deudor
    credit_balance: int = 0  # Saldos: acreedor
    assets: int = 0  # Inventario: activo
    liabilities: int = 0  # Inventario: pasivo
    losses: int = 0  # Resultados: pérdidas
    gains: int = 0  # Resultados: ganancias

    def __add__(self, other: "Columns") -> "Columns":
        return Columns(*(getattr(self, f.name) + getattr(other, f.name)
                         for f in fields(Columns)))


@dataclass(frozen=True)
class Row:
    account_code: str
    account_name: str
    account_type: AccountType
    columns: Columns


class Outcome(StrEnum):
    PROFIT = "profit"  # utilidad
    LOSS = "loss"  # pérdida
    NONE = "none"


LABELS = {Outcome.PROFIT: "Utilidad del ejercicio", Outcome.LOSS: "Pérdida del ejercicio",
          Outcome.NONE: "Resultado del ejercicio"}


@dataclass(frozen=True)
class Result:
    """The Resultado del ejercicio line: ganancias − pérdidas (negative: a loss)."""

    outcome: Outcome
    amount: int
    columns: Columns

    @property
    def label(self) -> str:
        return LABELS[self.outcome]


@dataclass(frozen=True)
class BalanceTributario:
    rows: list[Row]
    sums: Columns  # the accounts' columns added up, before the result
    result: Result
    totals: Columns  # sums plus the result: each pair of columns is equal


class UntypedAccount(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def row_columns(account_type: AccountType, debit: int, credit: int) -> Columns:
    debit_balance, credit_balance = max(debit - credit, 0), max(credit - debit, 0)
    if account_type in INVENTORY_TYPES:
        return Columns(debit, credit, debit_balance, credit_balance,
                       assets=debit_balance, liabilities=credit_balance)
    return Columns(debit, credit, debit_balance, credit_balance,
                   losses=debit_balance, gains=credit_balance)


def result_line(sums: Columns) -> Result:
    """A profit is owed to the owners: it goes on the pasivo side of Inventario and the
    pérdidas side of Resultados; a loss the other way round."""
    amount = sums.gains - sums.losses
    if amount > 0:
        return Result(Outcome.PROFIT, amount, Columns(liabilities=amount, losses=amount))
    if amount < 0:
        return Result(Outcome.LOSS, amount, Columns(assets=-amount, gains=-amount))
    return Result(Outcome.NONE, 0, Columns())


def balance_tributario(movements: Iterable[Movement]) -> BalanceTributario:
    """One row per account with movements in the year (ordered by code); ``opening`` of a
    movement is ignored: the year's movements are its whole content. Raises
    UntypedAccount for an account without a type (not in the chart)."""
    by_code: dict[str, tuple[str, AccountType, int, int]] = {}
    for m in movements:
        if m.account_type is None:
            raise UntypedAccount(m.account_code)
        _, _, debit, credit = by_code.get(m.account_code, ("", m.account_type, 0, 0))
        by_code[m.account_code] = (m.account_name, m.account_type, debit + m.debit,
                                   credit + m.credit)
    rows = [Row(code, name, kind, row_columns(kind, debit, credit))
            for code, (name, kind, debit, credit) in sorted(by_code.items())]
    sums = sum((r.columns for r in rows), Columns())
    result = result_line(sums)
    return BalanceTributario(rows, sums, result, sums + result.columns)
