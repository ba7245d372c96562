"""How accounting's answers move a company's integration link."""

import pytest

from invoicing.domain.integration import (
    IntegrationLink,
    LinkStatus,
    Outcome,
)

COMPANY, CONTRACT, OTHER_CONTRACT = "76354771-K", "60805000-0", "12345678-5"


def pending(request_id="r1") -> IntegrationLink:
    return IntegrationLink.requested(COMPANY, CONTRACT, request_id)


def test_a_new_request_is_pending_and_names_the_contract():
    link = pending()
    assert link.status is LinkStatus.PENDING
    assert CONTRACT in link.detail
    assert link.accounting_company_id is None


def test_approval_stores_the_accounting_company():
    link, outcome = pending().approved("r1", "acc-7")
    assert outcome is Outcome.APPLIED
    assert (link.status, link.accounting_company_id) == (LinkStatus.APPROVED, "acc-7")


def test_rejection_keeps_the_reason_as_detail():
    link, outcome = pending().rejected("r1", "not our client")
    assert (outcome, link.status, link.detail) == (Outcome.APPLIED, LinkStatus.REJECTED,
                                                   "not our client")


def test_conflict_then_resolution_then_approval():
    link, _ = pending().conflicted("r1", "two companies 76354771-K: hide one")
    assert (link.status, link.detail) == (LinkStatus.CONFLICT, "two companies 76354771-K: hide one")
    link, outcome = link.conflict_resolved("r1")
    assert outcome is Outcome.APPLIED
    assert link.status is LinkStatus.PENDING
    assert "resolved" in link.detail and "approval" in link.detail
    link, outcome = link.approved("r1", "acc-1")
    assert (outcome, link.status) == (Outcome.APPLIED, LinkStatus.APPROVED)


@pytest.mark.parametrize("answer", [
    lambda link: link.approved("old", "acc"),
    lambda link: link.rejected("old", "no"),
    lambda link: link.conflicted("old", "dup"),
    lambda link: link.conflict_resolved("old"),
])
def test_an_older_requests_answer_is_stale(answer):
    link = pending("new")
    changed, outcome = answer(link)
    assert outcome is Outcome.STALE
    assert changed == link


def test_a_decided_request_stays_decided():
    approved, _ = pending().approved("r1", "acc")
    for answer in (lambda x: x.rejected("r1", "no"), lambda x: x.conflicted("r1", "dup"),
                   lambda x: x.conflict_resolved("r1")):
        changed, outcome = answer(approved)
        assert (outcome, changed) == (Outcome.NOT_APPLICABLE, approved)
    rejected, _ = pending().rejected("r1", "no")
    assert rejected.approved("r1", "acc")[1] is Outcome.NOT_APPLICABLE


def test_the_same_answer_twice_changes_nothing_more():
    once, _ = pending().approved("r1", "acc")
    twice, outcome = once.approved("r1", "acc")
    assert outcome is Outcome.APPLIED and twice == once


def test_resolution_only_follows_a_conflict():
    link, outcome = pending().conflict_resolved("r1")
    assert outcome is Outcome.NOT_APPLICABLE and link.status is LinkStatus.PENDING


def test_re_requesting_an_approved_link_to_the_same_contract_is_a_no_op():
    approved, _ = pending().approved("r1", "acc")
    assert not approved.needs_new_request(CONTRACT)
    assert approved.needs_new_request(OTHER_CONTRACT)


def test_re_requesting_a_pending_request_to_the_same_contract_is_a_no_op():
    assert not pending().needs_new_request(CONTRACT)
    assert pending().needs_new_request(OTHER_CONTRACT)


@pytest.mark.parametrize("state", ["pending", "rejected", "conflict"])
def test_re_requesting_otherwise_makes_a_new_pending_request(state):
    link = pending()
    if state == "rejected":
        link, _ = link.rejected("r1", "no")
    elif state == "conflict":
        link, _ = link.conflicted("r1", "dup")
    if state != "pending":
        assert link.needs_new_request(CONTRACT)
    assert link.needs_new_request(OTHER_CONTRACT)
    again = link.rerequested(OTHER_CONTRACT, "r2")
    assert (again.status, again.request_id, again.contract_rut) == (
        LinkStatus.PENDING, "r2", OTHER_CONTRACT)
    assert again.accounting_company_id is None
