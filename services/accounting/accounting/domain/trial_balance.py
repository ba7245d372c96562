"""Balance de comprobación y saldos: movements and balances per account."""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Movement:
    account_code: str
    account_name: str
    debit: int
    credit: int


@dataclass(frozen=True)
class Row:
    account_code: str
    account_name: str
    debit: int
    credit: int
    debit_balance: int
    credit_balance: int


@dataclass(frozen=True)
class Totals:
    debit: int
    credit: int
    debit_balance: int
    credit_balance: int


@dataclass(frozen=True)
class TrialBalance:
    rows: list[Row]
    totals: Totals


def trial_balance(movements: Iterable[Movement]) -> TrialBalance:
    """One row per account (movements of an account are added up), ordered by code."""
    by_code: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for m in movements:
        sums = by_code.setdefault(m.account_code, [0, 0])
        sums[0] += m.debit
        sums[1] += m.credit
        names[m.account_code] = m.account_name
    rows = []
    for code in sorted(by_code):
        debit, credit = by_code[code]
        rows.append(Row(code, names[code], debit, credit,
                        max(debit - credit, 0), max(credit - debit, 0)))
    totals = Totals(
        debit=sum(r.debit for r in rows),
        credit=sum(r.credit for r in rows),
        debit_balance=sum(r.debit_balance for r in rows),
        credit_balance=sum(r.credit_balance for r in rows),
    )
    return TrialBalance(rows, totals)
