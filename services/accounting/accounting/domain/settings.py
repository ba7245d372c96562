"""Default accounts of the invoice integration and the rules each must meet."""

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import NamedTuple

from accounting.domain.accounts import Account, AccountType, leaves_under
from shared.internal_api import PurchaseEntryDate


class Role(StrEnum):
    """What an account is used for; the value is its field path in the settings body."""

    SALES_AUXILIARY = "sales.auxiliary_account"
    SALES_DETAIL = "sales.detail_account"
    PURCHASES_AUXILIARY = "purchases.auxiliary_account"
    PURCHASES_DETAIL = "purchases.detail_account"
    PAYMENTS = "payments_account"
    COLLECTIONS = "collections_account"
    FIXED_ASSET = "fixed_asset_account"
    NON_RECOVERABLE_VAT = "non_recoverable_vat_account"


ROLE_NAMES = {
    Role.SALES_AUXILIARY: "sales auxiliary account",
    Role.SALES_DETAIL: "sales detail account",
    Role.PURCHASES_AUXILIARY: "purchases auxiliary account",
    Role.PURCHASES_DETAIL: "purchases detail account",
    Role.PAYMENTS: "payments account",
    Role.COLLECTIONS: "collections account",
    Role.FIXED_ASSET: "fixed-asset account",
    Role.NON_RECOVERABLE_VAT: "non-recoverable IVA account",
}

MANDATORY_ROLES = (Role.SALES_AUXILIARY, Role.SALES_DETAIL, Role.PURCHASES_AUXILIARY,
                   Role.PURCHASES_DETAIL)

# What each role must be, and an example from the default chart to suggest.
# Pesos an issued document's IVA may differ from round(neto × 19%) and post, with a note.
DEFAULT_ISSUED_VAT_TOLERANCE = 2

# The auxiliaries track counterparties, each on its side: Clientes is what customers owe
# (an asset), Proveedores what the company owes (a liability), DESIGN §8.
_AUXILIARY_TYPES: dict[Role, tuple[AccountType, str]] = {
    Role.SALES_AUXILIARY: (AccountType.ASSET, "what customers owe the company"),
    Role.PURCHASES_AUXILIARY: (AccountType.LIABILITY, "what the company owes its suppliers"),
}
_ALLOWED_TYPES: dict[Role, tuple[AccountType, ...] | None] = {
    Role.SALES_AUXILIARY: None,
    Role.PURCHASES_AUXILIARY: None,
    Role.SALES_DETAIL: (AccountType.INCOME,),
    Role.PURCHASES_DETAIL: (AccountType.EXPENSE, AccountType.ASSET),
    Role.PAYMENTS: (AccountType.ASSET,),
    Role.COLLECTIONS: (AccountType.ASSET,),
    Role.FIXED_ASSET: (AccountType.ASSET,),
    Role.NON_RECOVERABLE_VAT: (AccountType.EXPENSE, AccountType.ASSET),
}
_EXAMPLES = {
    Role.SALES_AUXILIARY: "110310 Clientes",
    Role.PURCHASES_AUXILIARY: "210210 Proveedores",
    Role.SALES_DETAIL: "310115 Ventas de Productos",
    Role.PURCHASES_DETAIL: "410230 Compras",
    Role.PAYMENTS: "110102 Banco",
    Role.COLLECTIONS: "110102 Banco",
    Role.FIXED_ASSET: "120110 Maquinarias y Equipos",
    Role.NON_RECOVERABLE_VAT: "420220 Gastos Otros Impuestos",
}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass(frozen=True)
class InvoiceSettings:
    """Account codes; None means not set."""

    sales_auxiliary: str | None = None
    sales_detail: str | None = None
    purchases_auxiliary: str | None = None
    purchases_detail: str | None = None
    payments: str | None = None
    collections: str | None = None
    fixed_asset: str | None = None  # DESIGN §6b: the neto of an activo fijo
    non_recoverable_vat: str | None = None  # IVA that is cost; unset: the detail account

    def code_for(self, role: Role) -> str | None:
        code: str | None = getattr(self, _ATTRIBUTE[role])
        return code

    def by_role(self) -> dict[Role, str | None]:
        return {role: self.code_for(role) for role in Role}

    @property
    def missing(self) -> list[Role]:
        return [role for role in MANDATORY_ROLES if not self.code_for(role)]

    @property
    def configured(self) -> bool:
        return not self.missing


_ATTRIBUTE = dict(zip(Role, [f.name for f in fields(InvoiceSettings)], strict=True))


def account_problems(code: str, role: Role, chart: dict[str, Account]) -> list[str]:
    """Why ``code`` cannot be the account for ``role`` (empty when it can)."""
    name = ROLE_NAMES[role]
    example = _EXAMPLES[role]
    account = chart.get(code)
    if account is None:
        return [f"account {code} does not exist in this company's chart of accounts: "
                f"create it in the chart or choose an existing account such as {example}"]
    if not account.postable:
        leaves = leaves_under(code, chart)
        fitting = [a for a in leaves if not account_problems(a.code, role, chart)]
        leaves = fitting or leaves
        hint = (f"one of its accounts such as {leaves[0].code} '{leaves[0].name}'"
                if leaves else "a postable (leaf) account")
        # Nothing else about a group matters: it can never be used.
        return [f"account {account.label} is a group account and cannot receive entries: "
                f"choose {hint}"]
    problems = []
    if not account.active:
        problems.append(f"account {account.label} is inactive: activate it or choose "
                        "another account")
    allowed = _ALLOWED_TYPES[role]
    wants_auxiliary = allowed is None
    if wants_auxiliary and not account.auxiliary:
        problems.append(f"account {account.label} does not track counterparties "
                        f"(auxiliary=false); the {name} must, e.g. {example}")
    if not wants_auxiliary and account.auxiliary:
        problems.append(f"account {account.label} tracks counterparties (auxiliary); the "
                        f"{name} must not, e.g. {example}")
    side, holds = _AUXILIARY_TYPES.get(role, (None, ""))
    if side is not None and account.type != side:
        problems.append(f"account {account.label} is {_with_article(account.type)} account; "
                        f"the {name} must be {_with_article(side)} account, e.g. {example}, "
                        f"since it holds {holds}")
    if allowed is not None and account.type not in allowed:
        kinds = " or ".join(_with_article(t) for t in allowed)
        problems.append(f"account {account.label} is {_with_article(account.type)} account; "
                        f"the {name} must be {kinds} account, e.g. {example}")
    return problems


def _with_article(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def validate_settings(settings: InvoiceSettings, chart: dict[str, Account]) -> list[FieldError]:
    """Every problem of every account given; accounts not given are not errors here."""
    errors: list[FieldError] = []
    for role, code in settings.by_role().items():
        if code:
            errors.extend(FieldError(role.value, m) for m in account_problems(code, role, chart))
    return errors


def detail_role(direction: str) -> Role:
    return Role.SALES_DETAIL if direction == "sales" else Role.PURCHASES_DETAIL


def missing_sentences(settings: InvoiceSettings) -> list[str]:
    return [f"set the {ROLE_NAMES[role]} in settings/invoice-integration"
            for role in settings.missing]


# --- beyond the default accounts: additional-tax accounts and auto-post ---------------


class SettingsVersion(NamedTuple):
    """A company's settings version (0: it never saved any) and its auto-post option:
    intake reads both for a batch in one query."""

    version: int
    auto_post: bool


@dataclass(frozen=True)
class IntegrationOptions:
    auto_post: bool = False
    other_tax_accounts: dict[str, str] | None = None  # overrides by SII tax code, sales
    purchase_other_tax_accounts: dict[str, str] | None = None  # the same, purchases
    issued_vat_tolerance: int = DEFAULT_ISSUED_VAT_TOLERANCE
    # A purchase books on the day it was received (DL 825 art. 24), or on its issue date.
    purchase_entry_date: PurchaseEntryDate = PurchaseEntryDate.RECEIVED

    def tax_accounts(self, defaults: dict[str, str]) -> dict[str, str]:
        """The account of each additional tax on a sale: the defaults, overrides on top."""
        return {**defaults, **(self.other_tax_accounts or {})}

    def purchase_tax_accounts(self, defaults: dict[str, str]) -> dict[str, str]:
        return {**defaults, **(self.purchase_other_tax_accounts or {})}


def other_tax_account_errors(accounts: dict[str, str], chart: dict[str, Account],
                             setting: str = "other_tax_accounts") -> list[FieldError]:
    """An additional tax goes to a postable, active account that tracks no counterparties."""
    errors = []
    for code, account_code in sorted(accounts.items()):
        where = f"{setting}.{code}"
        if not code.isdigit() or not 1 <= int(code) <= 999:
            errors.append(FieldError(where, f"'{code}' is not an SII tax code (1 to 999), e.g. "
                                            "24 for ILA licores"))
            continue
        account = chart.get(account_code)
        if account is None:
            errors.append(FieldError(where, f"account {account_code} does not exist in this "
                                            "company's chart of accounts: create it or choose "
                                            "an existing one such as 210720 ILA Licores"))
        elif not account.postable:
            errors.append(FieldError(where, f"account {account.label} is a group account and "
                                            "cannot receive entries: choose one of its leaves"))
        else:
            if not account.active:
                errors.append(FieldError(where, f"account {account.label} is inactive"))
            if account.auxiliary:
                errors.append(FieldError(where, f"account {account.label} tracks "
                                                "counterparties; a tax account must not"))
    return errors
