"""Issue 11.1 and the conflict part of 11.7: which request of a company is current, what a
replaced one says, and what invoicing is told of a conflict."""

from datetime import UTC, datetime, timedelta

from accounting.domain.conflicts import CompanyRef, conflict_detail, conflict_notice
from accounting.domain.integrations import (
    RequestRef,
    RequestStatus,
    connector_missing,
    newest,
    replaced_detail,
)
from accounting.domain.settings import InvoiceSettings

A, B = "78000000-7", "60805000-0"
T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)


def ref(request_id, contract, status, minutes):
    return RequestRef(request_id, contract, RequestStatus(status), T0 + timedelta(minutes=minutes))


def test_the_latest_request_is_current_whatever_its_contract_or_arrival():
    older, newer = ref("a", A, "pending", 0), ref("b", B, "pending", 1)
    assert newest([newer, older]) == newest([older, newer]) == newer


def test_a_withdrawn_request_is_never_current():
    approved = ref("a", A, "approved", 0)
    assert newest([approved, ref("b", B, "withdrawn", 5)]) == approved
    assert newest([ref("b", B, "withdrawn", 5)]) is None


def test_a_naive_timestamp_compares_as_utc():
    naive = RequestRef("n", A, RequestStatus.PENDING, (T0 + timedelta(minutes=2)).replace(
        tzinfo=None))
    assert newest([ref("a", A, "pending", 1), naive]).id == "n"


def test_a_replaced_request_names_the_current_one_but_not_another_contract():
    current = ref("req-b", B, "pending", 1)
    text = replaced_detail("req-a", A, current, withdrawn=True)
    assert "withdrew" in text and "current request is req-b" in text
    assert "another accounting contract" in text
    assert B not in text
    same = replaced_detail("req-a", A, ref("req-a2", A, "pending", 1), withdrawn=False)
    assert "Approve req-a2 instead" in same and "newer" in same


def test_the_connector_says_a_replaced_request_cannot_connect():
    settings = InvoiceSettings("110310", "310115", "210210", "410230")
    for status in (RequestStatus.WITHDRAWN, RequestStatus.SUPERSEDED,
                   RequestStatus.DISCONNECTED):
        assert connector_missing(status, settings), status
    [disconnected] = connector_missing(RequestStatus.DISCONNECTED, settings)
    assert "disconnected" in disconnected and "request the integration" in disconnected


def test_invoicing_hears_of_a_conflict_without_the_contracts_companies():
    companies = [CompanyRef("c6b8e1f2-5a34", "Ferretería A"),
                 CompanyRef("d7c9f2a3-6b45", "Ferretería A (copia)")]
    full = conflict_detail(A, "76354771-K", companies)
    notice = conflict_notice(A, "76354771-K")
    assert all(c.id in full and c.name in full for c in companies)  # accounting's users
    assert not any(c.id in notice or c.name in notice for c in companies)
    assert "delete or hide" in notice and A in notice
