"""Two contracts side by side: a token reaches only the contracts it names. Every route
of the app is tried with the other contract's real resources (404), with no token or a
bad one (401), and the internal routes with a user's token (403)."""

import re
from datetime import date

import httpx
import pytest

from shared.http.auth import DEVELOPMENT_SECRET, DEVELOPMENT_SERVICE_SECRET, mint_token
from tests.integration.accounting.books_support import Books
from tests.integration.accounting.conftest import new_rut

OPEN = {"/healthz", "/readyz"}


@pytest.fixture
async def other_contract(client, services):
    """Contract B with everything a path can name: company, request, sync, entry."""
    books = await Books.connected(client, services, new_rut)
    sale = books.doc("sales", 33, 1, date(2024, 3, 5), net=100_000)
    sync_id = await books.sync("2024-03-01", "2024-03-31", [sale])
    [entry] = await books.entries()
    requests = (await client.get(f"/v1/contracts/{books.company['contract_rut']}"
                                 "/integration-requests")).json()
    return {"rut": books.company["contract_rut"], "company_id": books.id,
            "request_id": requests[0]["id"], "sync_id": sync_id, "entry_id": entry["id"],
            "document_id": (await books.documents(sync_id))[1]["id"], "month": "2024-03",
            "company_rut": books.rut, "message_id": "any",
            "direction": "purchases", "counterparty_rut": new_rut()}


INTERNAL = [("GET", "/internal/v1/integrations/{company_rut}/posting-profile"),
            ("POST", "/internal/v1/proposals")]


def calls(app):
    """Every route the app documents, and the internal ones it does not."""
    for path, operations in app.openapi()["paths"].items():
        if path not in OPEN:
            for method in operations:
                yield method.upper(), path
    yield from INTERNAL


def fill(path: str, values: dict) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


async def test_every_route_of_another_contract_is_not_found(app, client, other_contract):
    mine = "11111111-1"
    token = mint_token(DEVELOPMENT_SECRET, "intruder", contracts=[mine])
    tried = 0
    for method, path in calls(app):
        if path.startswith(("/internal", "/v1/dead-letters")) or "{" not in path:
            continue  # not a contract's resources: see the role tests below
        response = await client.request(method, fill(path, other_contract), json={},
                                        headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 404, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        tried += 1
    assert tried >= 30


async def test_creating_outside_the_token_is_forbidden(client):
    token = mint_token(DEVELOPMENT_SECRET, "intruder", contracts=["11111111-1"])
    response = await client.post("/v1/contracts", json={"rut": "76354771-K", "name": "X"},
                                 headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and "76354771-K" in response.json()["detail"]


async def test_no_token_or_a_bad_one_is_unauthorized(app, other_contract):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://a") as anonymous:
        routes = list(calls(app))
        assert len(routes) >= 35
        for method, path in routes:
            for headers in ({}, {"Authorization": "Bearer not-a-jwt"},
                            {"Authorization": "Bearer " + mint_token("x" * 32, "forger")}):
                response = await anonymous.request(method, fill(path, other_contract),
                                                   json={}, headers=headers)
                assert response.status_code == 401, (method, path, headers, response.text)
        assert (await anonymous.get("/healthz")).status_code == 200
        assert (await anonymous.get("/openapi.json")).status_code == 200


async def test_internal_routes_need_the_service_role(client, other_contract):
    user = mint_token(DEVELOPMENT_SECRET, "accountant", contracts=[other_contract["rut"]])
    response = await client.get(
        f"/internal/v1/integrations/{other_contract['company_rut']}/posting-profile",
        headers={"Authorization": f"Bearer {user}"})
    assert response.status_code == 403 and "service" in response.json()["detail"]


async def test_a_users_token_with_the_service_role_does_not_reach_the_internal_api(client,
                                                                                 other_contract):
    """The service role counts only in a token signed with the worker's own credential."""
    forged = mint_token(DEVELOPMENT_SECRET, "integration-worker", roles=["service"])
    response = await client.get(
        f"/internal/v1/integrations/{other_contract['company_rut']}/posting-profile",
        headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 403
    assert "WORKER_SERVICE_SECRET" in response.json()["detail"]
    worker = mint_token(DEVELOPMENT_SERVICE_SECRET, "integration-worker", roles=["service"],
                        ttl_seconds=600)
    public = await client.get(f"/v1/contracts/{other_contract['rut']}/companies",
                              headers={"Authorization": f"Bearer {worker}"})
    assert public.status_code == 401  # and the worker's credential reaches no one's books


async def test_a_token_living_longer_than_the_cap_is_refused(client, other_contract):
    token = mint_token(DEVELOPMENT_SECRET, "accountant", contracts=[other_contract["rut"]],
                       ttl_seconds=30 * 24 * 3600)
    response = await client.get(f"/v1/contracts/{other_contract['rut']}/companies",
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "AUTH_MAX_TOKEN_LIFETIME" in response.json()["detail"]


async def test_dead_letters_are_for_operators_only(client, other_contract):
    user = mint_token(DEVELOPMENT_SECRET, "accountant", contracts=[other_contract["rut"]])
    response = await client.get("/v1/dead-letters", headers={"Authorization": f"Bearer {user}"})
    assert response.status_code == 403 and "operator" in response.json()["detail"]


async def test_rut_claims_are_compared_canonically(client, other_contract):
    rut = other_contract["rut"]
    digits, check = rut.split("-")
    dotted = f"{int(digits):,}".replace(",", ".") + "-" + check.lower()
    token = mint_token(DEVELOPMENT_SECRET, "accountant", contracts=[dotted])
    response = await client.get(f"/v1/contracts/{rut}/companies",
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_a_remembered_owner_still_answers_only_its_contracts_tokens(client, services,
                                                                          other_contract):
    """access.py remembers each resource's contract (it never changes); the token of each
    request is still checked against it, so no other token gets in once it is known."""
    path = f"/v1/syncs/{other_contract['sync_id']}"
    owner = mint_token(DEVELOPMENT_SECRET, "accountant", contracts=[other_contract["rut"]])
    intruder = mint_token(DEVELOPMENT_SECRET, "intruder", contracts=["11111111-1"])
    for _ in range(2):  # the first one finds the owner, the second one remembers it
        assert (await client.get(path, headers={"Authorization": f"Bearer {owner}"})
                ).status_code == 200
        assert services.owners.get("sync_id", other_contract["sync_id"]) == other_contract["rut"]
        refused = await client.get(path, headers={"Authorization": f"Bearer {intruder}"})
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == (
            f"There is no sync session with id {other_contract['sync_id']}.")
    # What was learnt about the sync is learnt about its company too.
    assert services.owners.get("company_id", other_contract["company_id"]) == \
        other_contract["rut"]


async def test_an_id_not_found_is_not_remembered(client, services):
    missing = "0190f000-0000-7000-8000-000000000000"
    assert (await client.get(f"/v1/syncs/{missing}")).status_code == 404
    assert services.owners.get("sync_id", missing) is None
