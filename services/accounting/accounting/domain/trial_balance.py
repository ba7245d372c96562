"""Balance de comprobación y saldos, and the saldos per RUT of an auxiliary account: per
account (per counterparty), the opening balance, the range's movements and the closing
balance, so that a row's closing is the libro mayor's closing of the same range."""

from collections.abc import Iterable
from dataclasses import dataclass

from accounting.domain.accounts import AccountType


@dataclass(frozen=True)
class Movement:
    """An account's sums over a range, and its balance before the range (debit − credit)."""

    account_code: str
    account_name: str
    debit: int
    credit: int
    opening: int = 0
    account_type: AccountType | None = None


@dataclass(frozen=True)
class Row:
    account_code: str
    account_name: str
    debit: int
    credit: int
    debit_balance: int  # the closing balance when deudor, else 0
    credit_balance: int  # the closing balance when acreedor, else 0
    opening_balance: int
    closing_balance: int


@dataclass(frozen=True)
class Totals:
    debit: int
    credit: int
    debit_balance: int
    credit_balance: int
    opening_balance: int
    closing_balance: int


@dataclass(frozen=True)
class TrialBalance:
    rows: list[Row]
    totals: Totals


def trial_balance(movements: Iterable[Movement]) -> TrialBalance:
    """One row per account (movements of an account are added up), ordered by code."""
    by_code: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for m in movements:
        sums = by_code.setdefault(m.account_code, [0, 0, 0])
        sums[0] += m.debit
        sums[1] += m.credit
        sums[2] += m.opening
        names[m.account_code] = m.account_name
    rows = []
    for code in sorted(by_code):
        debit, credit, opening = by_code[code]
        closing = opening + debit - credit
        rows.append(Row(code, names[code], debit, credit, max(closing, 0), max(-closing, 0),
                        opening, closing))
    totals = Totals(
        debit=sum(r.debit for r in rows),
        credit=sum(r.credit for r in rows),
        debit_balance=sum(r.debit_balance for r in rows),
        credit_balance=sum(r.credit_balance for r in rows),
        opening_balance=sum(r.opening_balance for r in rows),
        closing_balance=sum(r.closing_balance for r in rows),
    )
    return TrialBalance(rows, totals)


@dataclass(frozen=True)
class CounterpartyMovement:
    """An auxiliary account's sums over a range for one RUT (None: lines without one)."""

    rut: str | None
    name: str | None
    debit: int
    credit: int
    opening: int = 0


@dataclass(frozen=True)
class CounterpartyBalance:
    rut: str | None
    name: str | None
    opening_balance: int
    debit: int
    credit: int
    closing_balance: int


def counterparty_balances(movements: Iterable[CounterpartyMovement]) -> list[CounterpartyBalance]:
    return [CounterpartyBalance(m.rut, m.name, m.opening, m.debit, m.credit,
                                m.opening + m.debit - m.credit) for m in movements]
