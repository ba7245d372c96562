"""Accounts of a company's chart (plan de cuentas)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


@dataclass(frozen=True)
class Account:
    code: str
    name: str
    type: AccountType
    postable: bool
    auxiliary: bool = False
    active: bool = True

    @property
    def label(self) -> str:
        return f"{self.code} '{self.name}'"


def leaves_under(code: str, chart: dict[str, Account]) -> list[Account]:
    """Postable accounts whose code starts with ``code``, to suggest instead of a group."""
    return sorted(
        (a for a in chart.values() if a.postable and a.active and a.code.startswith(code)
         and a.code != code),
        key=lambda a: a.code,
    )


def with_account_names(lines: Iterable[Mapping[Any, Any]],
                       chart: dict[str, Account]) -> list[dict[str, Any]]:
    """Entry lines as shown: each with its account's name (None for a code the chart
    lacks, so a line is shown whatever became of its account)."""
    return [{**line, "account_name": chart[line["account_code"]].name
             if line["account_code"] in chart else None} for line in lines]
