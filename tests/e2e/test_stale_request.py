"""Issue 11.1's reproduction, through HTTP with the three services as real processes: a
stale integration request must not hand a company's books to another contract; a change
of accountant moves them only once approved."""

import random

import pytest

from deploy.local.client import ApiError, FlowClient, wait_for
from deploy.local.scenario import SETTINGS
from shared.rut import rut_from_number
from tests.support.stacks import module_stack

pytestmark = pytest.mark.e2e

stack = module_stack("e2e_stale_request")
TIMEOUT = 60.0


def sale(folio: int, day: str) -> dict:
    return {"direction": "sales", "dte_type": 33, "folio": folio, "issue_date": day,
            "counterparty": {"rut": rut_from_number(77777777), "name": "Comercial Los Andes"},
            "net": 100_000, "exempt": 0, "vat": 19_000, "total": 119_000}


@pytest.fixture
def client(stack):
    flow = FlowClient(stack.invoicing_url, stack.accounting_url)
    yield flow
    flow.close()


@pytest.fixture
def tenants(client):
    """Company R in invoicing with two documents; contracts A and B in accounting, each
    with a company of R's RUT (A1, B1) whose default accounts are set."""
    rng = random.Random()
    r = rut_from_number(rng.randint(76_000_000, 76_999_999))
    a, b = (rut_from_number(rng.randint(78_000_000, 78_999_999)) for _ in range(2))
    client.create_company(r, "Ferretería El Martillo SpA")
    for folio, day in ((1001, "2026-10-03"), (1002, "2026-10-10")):
        client.record_document(r, **sale(folio, day))
    ids = {}
    for contract, name in ((a, "Contadores A"), (b, "Contadores B")):
        client.create_contract(contract, name)
        ids[contract] = client.add_company(contract, r, "Ferretería El Martillo SpA")["id"]
        client.put_settings(ids[contract], SETTINGS)
    return r, a, b, ids[a], ids[b]


def arrived(client, contract, request_id):
    return wait_for(lambda: client.integration_requests(contract),
                    lambda found: any(q["id"] == request_id for q in found),
                    what=f"request {request_id} to reach contract {contract}", timeout=TIMEOUT)


def invoicing_says(client, company_rut, status, accounting_company_id):
    return wait_for(lambda: client.integration_status(company_rut),
                    lambda s: (s["status"], s["accounting_company_id"])
                    == (status, accounting_company_id),
                    what=f"invoicing to say {status} {accounting_company_id}", timeout=TIMEOUT)


def sync_and_confirm(client, company_id) -> dict:
    sync = client.start_sync(company_id, "2026-10-01", "2026-10-31")
    done = wait_for(lambda: client.sync(sync["id"]), lambda s: s["status"] == "in_review",
                    what="the sync to reach review", timeout=TIMEOUT)
    client.confirm(sync["id"])
    return done


def live_received(client, company_id) -> int:
    return sum(s["received"] for s in client.syncs(company_id, kind="live"))


def status_of(error_call) -> tuple[int, dict]:
    try:
        error_call()
    except ApiError as error:
        return error.status, error.body
    return 200, {}


def test_a_stale_request_cannot_take_the_books(client, tenants, stack):
    r, a, b, a1, b1 = tenants
    to_a = client.request_integration(r, a)
    arrived(client, a, to_a["request_id"])
    to_b = client.request_integration(r, b)  # before A decides
    arrived(client, b, to_b["request_id"])

    client.approve(to_b["request_id"], b1)
    invoicing_says(client, r, "approved", b1)
    first = sync_and_confirm(client, b1)
    assert first["expected"] == first["received"] == 2

    # A approves its old request: refused, naming the current one, not B's contract.
    status, problem = status_of(lambda: client.approve(to_a["request_id"], a1))
    assert status == 409, problem
    assert problem["current_request_id"] == to_b["request_id"]
    assert to_b["request_id"] in problem["detail"] and b not in problem["detail"]
    assert client.integration_requests(a)[0]["status"] == "withdrawn"

    # A1 cannot connect; B1 can; invoicing still says B1.
    connector = client.integrations(a1)[0]
    assert (connector["request_status"], connector["can_connect"]) == ("withdrawn", False)
    status, problem = status_of(lambda: client.start_sync(a1, "2026-10-01", "2026-10-31"))
    assert status == 409, problem
    assert client.integrations(b1)[0]["can_connect"]
    assert client.integration_status(r)["accounting_company_id"] == b1

    # R's next live document goes to B1, and nothing ever reached A1.
    client.record_document(r, **sale(1003, "2026-10-20"))
    wait_for(lambda: live_received(client, b1), lambda n: n == 1,
             what="the live document to reach B1", timeout=TIMEOUT)
    assert client.syncs(a1) == []
    assert client.entries(a1, "2026-01-01", "2026-12-31") == []

    # Asking for B again changes nothing (the same request), and the link still works.
    again = client.request_integration(r, b)
    assert (again["status"], again["request_id"]) == ("approved", to_b["request_id"])
    assert client.integrations(b1)[0]["can_connect"]
    assert len(client.entries(b1, "2026-10-01", "2026-10-31")) == 2


def test_a_change_of_accountant_moves_the_books_only_once_approved(client, tenants, stack):
    r, a, b, a1, b1 = tenants
    to_b = client.request_integration(r, b)
    arrived(client, b, to_b["request_id"])
    client.approve(to_b["request_id"], b1)
    invoicing_says(client, r, "approved", b1)
    sync_and_confirm(client, b1)

    # R asks for A: until A approves, B1 keeps the books (and gets the live documents).
    to_a = client.request_integration(r, a)
    arrived(client, a, to_a["request_id"])
    client.record_document(r, **sale(1003, "2026-10-20"))
    wait_for(lambda: live_received(client, b1), lambda n: n == 1,
             what="the live document to reach B1", timeout=TIMEOUT)
    assert client.integrations(b1)[0]["can_connect"]

    client.approve(to_a["request_id"], a1)
    invoicing_says(client, r, "approved", a1)
    # B1 is told it is disconnected: its connector says so and its syncs are refused.
    connector = wait_for(lambda: client.integrations(b1)[0],
                         lambda c: c["request_status"] == "disconnected",
                         what="B1 to be disconnected", timeout=TIMEOUT)
    assert not connector["can_connect"] and "disconnected" in connector["missing"][0]
    assert client.integration_requests(b)[0]["status"] == "disconnected"
    status, problem = status_of(lambda: client.start_sync(b1, "2026-10-01", "2026-10-31"))
    assert status == 409 and "disconnected" in problem["detail"]

    # A1 receives the whole range, and the next live document; B1 nothing more.
    first = sync_and_confirm(client, a1)
    assert first["expected"] == first["received"] == 3
    client.record_document(r, **sale(1004, "2026-10-25"))
    wait_for(lambda: live_received(client, a1), lambda n: n == 1,
             what="the live document to reach A1", timeout=TIMEOUT)
    assert live_received(client, b1) == 1
