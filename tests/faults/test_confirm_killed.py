"""Fault 10: accounting is SIGKILLed in the middle of confirming a 10,000-document sync
(pages of 500, each its own transaction) and started again. The session says
"confirming" while documents are still ready, and the restarted process resumes the
confirm by itself once its lease (10 s on the fault stack) has passed: every document is
posted once, with no call from anyone."""

import threading

import pytest

from deploy.local.client import FlowClient
from tests.faults.support import (
    DATE_FROM,
    DATE_TO,
    assert_posted_exactly_once,
    connect_company,
    seed_documents,
    wait_in_review,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.slow]

DOCUMENTS = 10_000


async def test_a_confirm_killed_half_way_says_confirming_and_is_resumed(fault_stack, client):
    company = connect_company(client)
    seeded = await seed_documents(fault_stack.invoicing_database_url, company.rut, DOCUMENTS)
    sync_id = client.start_sync(company.id, DATE_FROM, DATE_TO)["id"]
    try:
        wait_in_review(client, sync_id)
        outcome: dict = {}

        def confirm() -> None:
            own = FlowClient(fault_stack.invoicing_url, fault_stack.accounting_url, timeout=120,
                             auth=client.auth)  # the grants the flow collected
            try:
                outcome["summary"] = own.confirm(sync_id)
            except Exception as error:  # noqa: BLE001 - the process dies under it
                outcome["error"] = error
            finally:
                own.close()

        confirming = threading.Thread(target=confirm)
        confirming.start()
        wait_until(lambda: client.sync(sync_id)["posted"] >= 1_000 or outcome,
                   what="the confirm to post its first pages", timeout=120, interval=0.02)
        assert not outcome, f"the confirm ended before the kill: {outcome}"
        fault_stack.kill("accounting")
        confirming.join(30)
        assert "error" in outcome, f"the confirm finished before the kill: {outcome}"

        fault_stack.start_service("accounting")
        # The truth: the confirm has not finished, documents are still ready.
        state = client.sync(sync_id)
        assert state["status"] == "confirming", state
        assert 0 < state["posted"] < DOCUMENTS and state["ready"] == DOCUMENTS - state["posted"]
        at_kill = state["posted"]
        # Nobody calls confirm again: the restarted process resumes it after the lease.
        wait_until(lambda: client.sync(sync_id)["status"] == "confirmed",
                   what="the interrupted confirm to be resumed", timeout=180)
        state = client.sync(sync_id)
        assert (state["posted"], state["ready"]) == (DOCUMENTS, 0), state
        assert "resuming it" in fault_stack.log_since("accounting", 0)
        assert_posted_exactly_once(client, company, sync_id, seeded)
        print(f"killed at {at_kill} of {DOCUMENTS} posted; resumed and finished by itself")
    except Exception as error:
        raise AssertionError(f"{error}\n{fault_stack.logs()}") from error
