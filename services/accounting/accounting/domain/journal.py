"""Journal entries (comprobantes): what makes one postable."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from accounting.domain.accounts import Account


@dataclass(frozen=True)
class JournalEntry:
    """A posted entry. Never edited: a reversal is a new entry, and the original only gains
    reversed_by_entry_id."""

    id: str
    company_id: str
    number: int  # the comprobante number, consecutive per company
    entry_date: date
    kind: str
    glosa: str
    source_key: str | None
    sync_id: str | None
    total: int
    created_at: datetime
    reverses_entry_id: str | None
    reversed_by_entry_id: str | None
    reversal_reason: str | None


@dataclass(frozen=True)
class JournalLine:
    """A line of a posted entry, in its entry's order (line_no from 1)."""

    entry_id: str
    line_no: int
    account_code: str
    role: str
    debit: int
    credit: int
    counterparty_rut: str | None
    description: str | None


@dataclass(frozen=True)
class PostedSince:
    """The entries a company posted after a given comprobante number: their keys, and
    whether any of them is a reversal (which may have freed a key posted before)."""

    keys: frozenset[str]
    reversals: bool


class Line(Protocol):
    # Read-only: a stored line is a tuple (classification.StoredLine), a proposed one a model.
    @property
    def account_code(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def debit(self) -> int: ...
    @property
    def credit(self) -> int: ...


def entry_problems(lines: Iterable[Line], chart: Mapping[str, Account]) -> list[str]:
    """Why an entry cannot be posted as it is (empty when it can)."""
    lines = list(lines)
    problems = []
    debit = sum(line.debit for line in lines)
    credit = sum(line.credit for line in lines)
    if debit != credit:
        problems.append(f"the entry does not balance: debits {debit}, credits {credit} "
                        f"(difference {abs(debit - credit)})")
    seen = set()
    for line in lines:
        code = line.account_code
        if code in seen:
            continue
        seen.add(code)
        account = chart.get(code)
        role = f"{line.role} line"
        if account is None:
            problems.append(f"account {code} ({role}) does not exist in the chart of "
                            "accounts: create it or set another account in the settings")
        elif not account.postable:
            problems.append(f"account {account.label} ({role}) is a group account and "
                            "cannot receive entries")
        elif not account.active:
            problems.append(f"account {account.label} ({role}) is inactive")
    return problems


def unusable_accounts(codes: Iterable[str], chart: Mapping[str, Account]) -> set[str]:
    """Of the codes, those that cannot take entries now: missing from the chart, a group
    account, or inactive (what entry_problems says of each, in words)."""
    return {code for code in set(codes)
            if (account := chart.get(code)) is None or not account.postable
            or not account.active}


def hold_reason(lines: Iterable[Line], chart: Mapping[str, Account]) -> str | None:
    problems = entry_problems(lines, chart)
    return "; ".join(problems) if problems else None
