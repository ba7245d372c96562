"""Libro mayor: an account's movements in date order with the balance after each one."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Posting:
    entry_id: str
    number: int
    entry_date: date
    glosa: str
    account_code: str
    counterparty_rut: str | None
    debit: int
    credit: int


@dataclass(frozen=True)
class LedgerLine:
    posting: Posting
    balance: int  # debit minus credit so far, opening balance included


@dataclass(frozen=True)
class Ledger:
    opening_balance: int
    lines: list[LedgerLine]
    debit: int
    credit: int

    @property
    def closing_balance(self) -> int:
        return self.opening_balance + self.debit - self.credit


def ledger(opening_balance: int, postings: Iterable[Posting]) -> Ledger:
    """Balances are debit − credit: positive is a debit (deudor) balance."""
    balance, debit, credit, lines = opening_balance, 0, 0, []
    for posting in postings:
        balance += posting.debit - posting.credit
        debit += posting.debit
        credit += posting.credit
        lines.append(LedgerLine(posting, balance))
    return Ledger(opening_balance, lines, debit, credit)
