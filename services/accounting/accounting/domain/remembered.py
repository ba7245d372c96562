"""The detail account a person chose for a counterparty, remembered (issue 14, item 12).

Accountants change the cuenta detalle of the same supplier's invoices every month. Once a
person's choice for a counterparty's document is confirmed, it is remembered for that
company, direction and RUT, and proposed instead of the settings' default for the
counterparty's next documents, saying so. Precedence: a person's choice on the document
(review) > the remembered account > the settings' default.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from accounting.domain.accounts import Account
from accounting.domain.settings import account_problems, detail_role
from shared.rut import format_rut


class AccountSource(StrEnum):
    """Where a proposed entry's detail account came from."""

    SETTINGS = "settings"  # the posting rules, from the default accounts
    REMEMBERED = "remembered"  # the counterparty's remembered account, instead of the default
    CHOSEN = "chosen"  # a person chose it for this document in review


class Origin(StrEnum):
    """How an account came to be remembered."""

    REVIEW = "review"  # a person's choice in a sync, remembered when it was confirmed
    API = "api"  # set by hand (PUT …/remembered-accounts/{direction}/{rut})


DIRECTIONS = ("sales", "purchases")


@dataclass(frozen=True)
class RememberedAccount:
    direction: str  # sales | purchases
    counterparty_rut: str
    account_code: str
    origin: Origin
    chosen_at: datetime
    sync_id: str | None = None  # origin review: the sync whose confirm remembered it
    source_key: str | None = None  # … and the document the person changed

    @property
    def key(self) -> tuple[str, str]:
        return self.direction, self.counterparty_rut


@dataclass(frozen=True)
class NamedRemembered:
    """A remembered account as the API lists it, with its counterparty's name (None for a
    RUT no document has brought yet) and its account's (None if it left the chart)."""

    remembered: RememberedAccount
    counterparty_name: str | None
    account_name: str | None


@dataclass(frozen=True)
class DetailDecision:
    """What to do with a proposal's detail lines: the account to put where the rules put
    the default (None: leave them), where the detail account comes from, and why."""

    account_code: str | None
    source: AccountSource
    note: str | None = None


def decide_detail(detail_codes: Iterable[str], default_code: str | None,
                  remembered: RememberedAccount | None,
                  chart: dict[str, Account]) -> DetailDecision:
    """The detail account to propose for a counterparty's new document.

    The remembered account replaces the default only: lines the rules gave another account
    (an export's Ventas de Exportación) are not the default, and the rule that chose them
    knows better than a choice made for other documents. A remembered account that can no
    longer be used (deactivated, turned into a group) leaves the default, with a note that
    says so instead of holding the document."""
    codes = set(detail_codes)
    if remembered is None:
        return DetailDecision(None, AccountSource.SETTINGS)
    if default_code is None or default_code not in codes:
        proposed = ", ".join(sorted(codes))
        return DetailDecision(None, AccountSource.SETTINGS, (
            f"the posting rules chose detail account {proposed} for this kind of document, "
            f"so the account remembered for {_who(remembered)}, {remembered.account_code}, "
            "was not used"))
    problems = account_problems(remembered.account_code, detail_role(remembered.direction),
                                chart)
    if problems:
        return DetailDecision(None, AccountSource.SETTINGS, (
            f"the detail account remembered for {_who(remembered)}, "
            f"{remembered.account_code}, cannot be "
            f"used now ({'; '.join(problems)}), so the default {default_code} was proposed: "
            "choose the account here, or set or forget the remembered one under "
            "remembered-accounts"))
    return DetailDecision(remembered.account_code, AccountSource.REMEMBERED,
                          remembered_note(remembered, chart))


def _who(remembered: RememberedAccount) -> str:
    return f"{format_rut(remembered.counterparty_rut)} ({remembered.direction})"


def remembered_note(remembered: RememberedAccount, chart: dict[str, Account]) -> str:
    account = chart.get(remembered.account_code)
    label = account.label if account else remembered.account_code
    how = ("confirmed in a sync's review" if remembered.origin == Origin.REVIEW
           else "set through the API")
    return (f"detail account {label} remembered for "
            f"{format_rut(remembered.counterparty_rut)} ({remembered.direction}), chosen on "
            f"{remembered.chosen_at:%d-%m-%Y} ({how}); change it here, or forget it under "
            "remembered-accounts to go back to the default")


def chosen_note(direction: str, counterparty_rut: str, account: Account) -> str:
    return (f"detail account {account.label} chosen in review: once confirmed it is "
            f"remembered for {format_rut(counterparty_rut)} ({direction}) and proposed for "
            "their next documents")


def latest_choices(choices: Iterable[RememberedAccount]) -> list[RememberedAccount]:
    """One choice per (direction, RUT): the last one given (confirm posts in document
    order, so that is the counterparty's latest document a person changed)."""
    latest: dict[tuple[str, str], RememberedAccount] = {}
    for choice in choices:
        latest[choice.key] = choice
    return [latest[key] for key in sorted(latest)]


def remembered_account_problems(direction: str, code: str,
                                chart: dict[str, Account]) -> list[str]:
    """Why ``code`` cannot be remembered as the detail account of ``direction``."""
    return account_problems(code, detail_role(direction), chart)
