"""Steps 1–7 of the flow through HTTP, with invoicing, accounting and the worker running
as separate processes on PostgreSQL and RabbitMQ."""

import pytest

from deploy.local.client import FlowClient
from deploy.local.scenario import RESERVICED_FOLIO, SERVICES_ACCOUNT, run_scenario
from tests.support.stacks import module_stack

pytestmark = pytest.mark.e2e

# October's books, computed by hand from SAMPLE_DOCUMENTS (debit, credit) per account.
EXPECTED_OCTOBER = {
    "110310": (119_000 + 50_000 + 297_500, 23_800),  # Clientes
    "110710": (15_200, 1_900),  # IVA Crédito Fiscal
    "210210": (11_900, 95_200 + 30_000),  # Proveedores
    "210710": (3_800, 19_000 + 47_500),  # IVA Débito Fiscal
    "310115": (20_000, 100_000 + 50_000),  # Ventas de Productos
    "310120": (0, 250_000),  # Ventas de Servicios (changed in review)
    "410230": (80_000 + 30_000, 10_000),  # Compras
}
OCTOBER_DOCUMENTS = 7


stack = module_stack("e2e")


@pytest.fixture(scope="module")
def outcome(stack):
    client = FlowClient(stack.invoicing_url, stack.accounting_url)
    try:
        yield run_scenario(client)
    except Exception as error:
        tails = "\n".join(stack.log_tail(s, 60) for s in stack.services)
        raise AssertionError(f"{error}\n{tails}") from error
    finally:
        client.close()


def test_duplicate_rut_puts_the_request_in_conflict_naming_both_companies(outcome):
    detail = outcome.conflict_detail
    assert "Ferretería El Martillo SpA" in detail and "(copia)" in detail
    assert "hide" in detail.lower() and "delete" in detail.lower()
    assert outcome.approve_in_conflict_status == 409


def test_connect_is_refused_saying_which_accounts_are_missing(outcome):
    missing = " ".join(outcome.missing_before_settings).lower()
    assert "sales" in missing and "purchases" in missing
    assert "auxiliary" in missing and "detail" in missing
    assert "sales" in outcome.connect_refused_detail.lower()
    fields = {error["field"] for error in outcome.invalid_settings_errors}
    assert {"sales.auxiliary_account", "sales.detail_account"} <= fields


def test_every_document_of_the_range_arrives_for_review(outcome):
    sync = outcome.first_sync
    assert sync["expected"] == sync["received"] == OCTOBER_DOCUMENTS
    assert sorted(d["document"]["folio"] for d in outcome.first_documents) == sorted(
        [1001, 2001, 501, 1002, 88001, 3001, 9001])
    assert all(d["status"] == "ready" for d in outcome.first_documents)


def test_confirm_posts_balanced_entries_with_the_changed_detail_account(outcome):
    assert outcome.confirm_summary["posted"] == OCTOBER_DOCUMENTS
    assert len(outcome.entries) == OCTOBER_DOCUMENTS
    for entry in outcome.entries:
        debit = sum(line["debit"] for line in entry["lines"])
        credit = sum(line["credit"] for line in entry["lines"])
        assert debit == credit > 0
    changed = next(e for e in outcome.entries
                   if e["source_key"].endswith(f":33:{RESERVICED_FOLIO}"))
    assert {(line["account_code"], line["credit"]) for line in changed["lines"]
            if line["credit"]} == {(SERVICES_ACCOUNT, 250_000), ("210710", 47_500)}


def test_trial_balance_matches_the_hand_computed_books(outcome):
    report = outcome.trial_balance
    got = {row["account_code"]: (row["debit"], row["credit"]) for row in report["rows"]}
    assert got == EXPECTED_OCTOBER
    total_debit = sum(d for d, _ in EXPECTED_OCTOBER.values())
    assert report["totals"]["debit"] == report["totals"]["credit"] == total_debit == 627_400
    assert report["totals"]["debit_balance"] == report["totals"]["credit_balance"]


def test_syncing_the_same_range_again_posts_nothing_twice(outcome):
    assert len(outcome.second_documents) == OCTOBER_DOCUMENTS
    assert {d["status"] for d in outcome.second_documents} == {"already_posted"}
    assert outcome.second_confirm_summary["posted"] == 0
    assert len(outcome.entries_after_second_sync) == OCTOBER_DOCUMENTS
