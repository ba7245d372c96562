"""Issue 11.1: one current request; the connection in force moves only with an approval of
the current request; documents go only to the connected accounting company."""

from dataclasses import replace

from invoicing.domain.integration import (
    Connection,
    IntegrationLink,
    LinkStatus,
    Outcome,
    Withdrawal,
)

COMPANY, A, B = "76354771-K", "60805000-0", "12345678-5"


def connected_to_a() -> IntegrationLink:
    link, outcome = IntegrationLink.requested(COMPANY, A, "ra").approved("ra", "A1")
    assert outcome is Outcome.APPLIED
    assert link.connection is not None
    # As the repository reads it back once the first sync is recorded (first_synced_at).
    return replace(link, connection=replace(link.connection, synced=True))


def test_an_approval_makes_the_connection():
    link = connected_to_a()
    assert link.connection == Connection("ra", A, "A1", synced=True)
    assert link.flows_live and link.sends_payments


def test_a_new_request_to_another_contract_withdraws_the_open_one():
    link = IntegrationLink.requested(COMPANY, A, "ra")
    moved = link.rerequested(B, "rb")
    assert link.withdrawal_by(moved) == Withdrawal("ra", A)
    conflicted, _ = link.conflicted("ra", "dup")
    assert conflicted.withdrawal_by(conflicted.rerequested(B, "rb")) == Withdrawal("ra", A)


def test_a_decided_request_is_not_withdrawn():
    rejected, _ = IntegrationLink.requested(COMPANY, A, "ra").rejected("ra", "no")
    assert rejected.withdrawal_by(rejected.rerequested(B, "rb")) is None
    # The approved connection is not withdrawn either: it stays in force.
    link = connected_to_a()
    assert link.withdrawal_by(link.rerequested(B, "rb")) is None


def test_a_change_of_accountant_keeps_the_old_connection_until_approved():
    link = connected_to_a().rerequested(B, "rb")
    assert (link.status, link.request_id, link.contract_rut) == (LinkStatus.PENDING, "rb", B)
    assert link.connection == Connection("ra", A, "A1", synced=True)
    assert link.flows_live and link.sync_refusal("A1") is None
    # Rejected: the company stays with its old accountant.
    rejected, _ = link.rejected("rb", "not our client")
    assert rejected.connection == link.connection
    # Approved: the new accounting company replaces the old one, which is disconnected.
    approved, outcome = link.approved("rb", "B1")
    assert outcome is Outcome.APPLIED
    assert approved.connection == Connection("rb", B, "B1", synced=False)
    assert not approved.flows_live  # until B1's first sync
    assert link.disconnected_by(approved) == Connection("ra", A, "A1", synced=True)
    assert approved.sync_refusal("B1") is None
    assert "not connected to accounting company A1" in approved.sync_refusal("A1")


def test_an_answer_to_an_older_request_moves_nothing():
    link = connected_to_a().rerequested(B, "rb")
    for answer in (link.approved("ra-old", "X1"), link.rejected("ra-old", "no")):
        assert answer == (link, Outcome.STALE)
    assert link.disconnected_by(link) is None


def test_asking_again_for_the_connected_contract_goes_back_to_it():
    link = connected_to_a().rerequested(B, "rb")
    assert not link.needs_new_request(A)  # no new request: back to the connection
    back = link.back_to_connection()
    assert (back.status, back.request_id, back.contract_rut, back.accounting_company_id) == (
        LinkStatus.APPROVED, "ra", A, "A1")
    assert link.withdrawal_by(back) == Withdrawal("rb", B)


def test_same_contract_pending_or_approved_is_a_no_op_rejected_is_not():
    assert not connected_to_a().needs_new_request(A)
    assert not IntegrationLink.requested(COMPANY, A, "ra").needs_new_request(A)
    rejected, _ = IntegrationLink.requested(COMPANY, A, "ra").rejected("ra", "no")
    assert rejected.needs_new_request(A)


def test_a_sync_is_refused_without_a_connection_or_for_another_company():
    pending = IntegrationLink.requested(COMPANY, A, "ra")
    assert "not connected to accounting" in pending.sync_refusal("A1")
    link = connected_to_a()
    refusal = link.sync_refusal("Z9")
    assert "Z9" in refusal and "A1" not in refusal  # never names the connected company
    assert link.sync_refusal("A1") is None


def test_the_same_approval_twice_keeps_the_first_sync():
    link = connected_to_a()
    again, outcome = link.approved("ra", "A1")
    assert outcome is Outcome.APPLIED and again == link and again.synced
