from dataclasses import replace

import pytest

from accounting.domain.accounts import Account, AccountType
from accounting.domain.chart import default_chart
from accounting.domain.settings import (
    InvoiceSettings,
    Role,
    account_problems,
    missing_sentences,
    validate_settings,
)

GOOD = InvoiceSettings(sales_auxiliary="110310", sales_detail="310115",
                       purchases_auxiliary="210210", purchases_detail="410230",
                       payments="110102", collections="110101")


def chart(*extra: Account) -> dict[str, Account]:
    accounts = {a.code: a for a in default_chart()}
    accounts.update({a.code: a for a in extra})
    return accounts


def test_the_default_accounts_fit_every_role():
    assert validate_settings(GOOD, chart()) == []
    assert GOOD.configured and GOOD.missing == []


def test_a_missing_account_says_to_create_it():
    [error] = validate_settings(replace(GOOD, sales_detail="999999"), chart())
    assert error.field == "sales.detail_account"
    assert "999999 does not exist" in error.message and "create it" in error.message


def test_a_group_account_is_refused_with_a_leaf_suggested():
    [message] = account_problems("1103", Role.SALES_AUXILIARY, chart())
    assert "group account" in message and "110310" in message


def test_an_inactive_account_is_refused():
    inactive = Account("310199", "Ventas Antiguas", AccountType.INCOME, postable=True,
                       active=False)
    [message] = account_problems("310199", Role.SALES_DETAIL, chart(inactive))
    assert "inactive" in message


@pytest.mark.parametrize(("role", "code", "words"), [
    (Role.SALES_AUXILIARY, "110101", "does not track counterparties"),
    (Role.PURCHASES_AUXILIARY, "210710", "does not track counterparties"),
    (Role.SALES_DETAIL, "110310", "tracks counterparties"),
    (Role.SALES_DETAIL, "410230", "must be an income account"),
    (Role.PURCHASES_DETAIL, "310115", "must be an expense or an asset account"),
    (Role.PAYMENTS, "210710", "must be an asset account"),
    (Role.COLLECTIONS, "110310", "tracks counterparties"),
])
def test_each_role_has_its_own_rule(role, code, words):
    problems = account_problems(code, role, chart())
    assert any(words in p for p in problems), problems


def test_purchases_detail_may_be_an_asset():
    assert account_problems("110610", Role.PURCHASES_DETAIL, chart()) == []


def test_every_problem_is_listed_with_its_field():
    bad = InvoiceSettings(sales_auxiliary="310115", sales_detail="1",
                          purchases_auxiliary="210210", purchases_detail="999")
    fields = [e.field for e in validate_settings(bad, chart())]
    assert "sales.auxiliary_account" in fields
    assert fields.count("sales.detail_account") == 1  # a group: nothing else matters
    assert "purchases.detail_account" in fields
    assert "purchases.auxiliary_account" not in fields


def test_missing_lists_only_mandatory_accounts_in_words():
    settings = InvoiceSettings(sales_auxiliary="110310")
    assert missing_sentences(settings) == [
        "set the sales detail account in settings/invoice-integration",
        "set the purchases auxiliary account in settings/invoice-integration",
        "set the purchases detail account in settings/invoice-integration",
    ]
    assert not settings.configured


def test_the_sales_auxiliary_must_be_an_asset_such_as_clientes():
    [error] = validate_settings(replace(GOOD, sales_auxiliary="210210"), chart())
    assert error.field == "sales.auxiliary_account"
    assert ("210210 'Proveedores' is a liability account; the sales auxiliary account must be an "
            "asset account, e.g. 110310 Clientes, since it holds what customers owe the "
            "company") in error.message


def test_the_purchases_auxiliary_must_be_a_liability_such_as_proveedores():
    [error] = validate_settings(replace(GOOD, purchases_auxiliary="110310"), chart())
    assert error.field == "purchases.auxiliary_account"
    assert "must be a liability account, e.g. 210210 Proveedores" in error.message


def test_the_default_chart_has_the_accounts_of_the_tax_cases():
    accounts = chart()
    for code in ("110715", "110730", "110750", "120110", "120120", "120130", "210745",
                 "210760"):
        assert accounts[code].postable and not accounts[code].auxiliary, code
    assert not accounts["12"].postable and accounts["12"].type == AccountType.ASSET
