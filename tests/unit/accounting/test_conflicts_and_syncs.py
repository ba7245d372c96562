from datetime import date

from accounting.domain.conflicts import CompanyRef, conflict_detail, unknown_contract_reason
from accounting.domain.integrations import RequestStatus, connector_missing
from accounting.domain.journal import hold_reason
from accounting.domain.settings import InvoiceSettings
from accounting.domain.syncs import SyncStatus, progress, range_problem
from shared.internal_api import ProposedLine


def test_conflict_message_names_the_companies_and_the_fix():
    text = conflict_detail("76354771-K", "12345678-5", [
        CompanyRef("a1", "Ferretería A"), CompanyRef("b2", "Ferretería A (copia)")])
    assert text == (
        "The contract 76354771-K has 2 active companies with RUT 12345678-5: "
        "'Ferretería A' (id a1) and 'Ferretería A (copia)' (id b2). "
        "Delete one or hide one, then approve this request.")


def test_conflict_message_with_three_companies():
    text = conflict_detail("76354771-K", "12345678-5", [
        CompanyRef("1", "A"), CompanyRef("2", "B"), CompanyRef("3", "C")])
    assert "3 active companies" in text and "'A' (id 1), 'B' (id 2) and 'C' (id 3)" in text
    assert "all but one" in text


def test_unknown_contract_reason_points_at_the_contract_holder_rut():
    assert "contract holder RUT entered in invoicing" in unknown_contract_reason("76354771-K")


def test_range_rules():
    assert range_problem(date(2024, 1, 1), date(2025, 12, 31)) is None
    assert range_problem(date(2024, 1, 1), date(2024, 1, 1)) is None
    assert "after" in range_problem(date(2024, 2, 1), date(2024, 1, 1))
    assert "24 months" in range_problem(date(2024, 1, 1), date(2026, 1, 1))


def test_progress_of_a_session():
    assert progress(SyncStatus.REQUESTED, None, 0) == SyncStatus.REQUESTED
    assert progress(SyncStatus.REQUESTED, 0, 0) == SyncStatus.IN_REVIEW
    assert progress(SyncStatus.REQUESTED, None, 3) == SyncStatus.RECEIVING
    assert progress(SyncStatus.RECEIVING, 5, 3) == SyncStatus.RECEIVING
    assert progress(SyncStatus.RECEIVING, 5, 5) == SyncStatus.IN_REVIEW
    assert progress(SyncStatus.CONFIRMED, 5, 6) == SyncStatus.CONFIRMED


def test_connector_missing_combines_request_and_settings():
    assert connector_missing(RequestStatus.APPROVED, InvoiceSettings(
        "110310", "310115", "210210", "410230")) == []
    missing = connector_missing(RequestStatus.PENDING, InvoiceSettings())
    assert missing[0] == "approve the integration request from Factura Electrónica"
    assert "set the sales auxiliary account in settings/invoice-integration" in missing


def test_entry_hold_reasons():
    from accounting.domain.chart import default_chart
    chart = {a.code: a for a in default_chart()}
    lines = [ProposedLine(account_code="110310", role="auxiliary", debit=119),
             ProposedLine(account_code="310115", role="detail", credit=100),
             ProposedLine(account_code="210710", role="vat_debit", credit=19)]
    assert hold_reason(lines, chart) is None
    lines[1] = ProposedLine(account_code="999999", role="detail", credit=90)
    reason = hold_reason(lines, chart)
    assert "does not balance" in reason and "999999" in reason
