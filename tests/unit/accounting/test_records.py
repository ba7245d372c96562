"""The domain records the accounting repositories return, and the one way entry lines are
shown with their accounts' names."""

from datetime import UTC, datetime

import pytest

from accounting.domain.accounts import Account, AccountType, with_account_names
from accounting.domain.syncs import DocumentStatus, SyncDocument, SyncKind, SyncSession, SyncStatus

CREATED = datetime(2024, 7, 1, 9, 0, tzinfo=UTC)


def session(**changes) -> SyncSession:
    values = {"id": "s1", "company_id": "c1", "company_rut": "76086428-5",
              "kind": SyncKind.RANGE, "date_from": None, "date_to": None,
              "status": SyncStatus.RECEIVING, "expected": None, "received": 0,
              "created_at": CREATED, "confirmed_at": None, "progress_at": None}
    return SyncSession(**{**values, **changes})


def test_a_session_without_progress_counts_from_its_creation():
    assert session().last_progress == CREATED
    later = datetime(2024, 7, 1, 9, 5, tzinfo=UTC)
    assert session(progress_at=later).last_progress == later


def test_records_are_not_edited_in_place():
    with pytest.raises(AttributeError):
        session().status = SyncStatus.CONFIRMED  # type: ignore[misc]


def test_each_line_gets_its_accounts_name_and_a_code_the_chart_lacks_none():
    chart = {"110501": Account("110501", "Clientes", AccountType.ASSET, postable=True)}
    lines = [{"account_code": "110501", "debit": 1190, "credit": 0},
             {"account_code": "999999", "debit": 0, "credit": 1190}]
    assert with_account_names(lines, chart) == [
        {"account_code": "110501", "debit": 1190, "credit": 0, "account_name": "Clientes"},
        {"account_code": "999999", "debit": 0, "credit": 1190, "account_name": None}]
    assert "account_name" not in lines[0]  # the lines read stay as they were


def test_a_stored_document_reads_its_status_as_the_enum():
    stored = {"id": "d1", "sync_id": "s1", "company_id": "c1", "source_key": "33:1001",
              "event_id": "e1", "issue_date": CREATED.date(), "issued_on": CREATED.date(),
              "dte_type": 33, "folio": 1001, "document": {"folio": 1001}, "payment": None,
              "status": "held", "hold_reason": "period 2024-07 is closed",
              "hold_code": "closed_period", "note": None, "entry": None, "entry_id": None,
              "created_at": CREATED, "account_source": None, "account_note": None}
    document = SyncDocument.of(stored)
    assert document.status is DocumentStatus.HELD
    assert (document.folio, document.hold_code) == (1001, "closed_period")
    with pytest.raises(TypeError):  # a column the record lacks is not silently dropped
        SyncDocument.of({**stored, "colour": "red"})

