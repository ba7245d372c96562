"""Two companies side by side: a token reaches only the companies it names."""

import httpx

from shared.http.auth import DEVELOPMENT_SECRET, mint_token
from tests.integration.invoicing.conftest import new_rut

OPEN = {"/healthz", "/readyz"}


def bearer(**claims) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint_token(DEVELOPMENT_SECRET, "someone", **claims)}


def calls(app):
    for path, operations in app.openapi()["paths"].items():
        if path not in OPEN:
            for method in operations:
                yield method.upper(), path


async def test_every_route_of_another_company_is_not_found(app, client, company):
    mine = new_rut()
    tried = 0
    for method, path in calls(app):
        if "{rut}" not in path:
            continue
        response = await client.request(method, path.replace("{rut}", company), json={},
                                        headers=bearer(companies=[mine]))
        assert response.status_code == 404, (method, path, response.text)
        assert "not registered" in response.json()["detail"]
        tried += 1
    assert tried >= 8


async def test_registering_a_company_outside_the_token_is_forbidden(client):
    rut = new_rut()
    response = await client.post("/v1/companies", json={"rut": rut, "name": "Ajena"},
                                  headers=bearer(companies=[new_rut()]))
    assert response.status_code == 403 and rut in response.json()["detail"]


async def test_no_token_or_a_bad_one_is_unauthorized(app, company):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://i") as anonymous:
        routes = list(calls(app))
        assert len(routes) >= 10
        for method, path in routes:
            url = path.replace("{rut}", company).replace("{message_id}", "any")
            for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"},
                            {"Authorization": "Bearer " + mint_token("y" * 32, "forger")}):
                response = await anonymous.request(method, url, json={}, headers=headers)
                assert response.status_code == 401, (method, path, headers, response.text)
        assert (await anonymous.get("/readyz")).status_code in (200, 503)


async def test_dead_letters_are_for_operators_only(client, company):
    response = await client.get("/v1/dead-letters", headers=bearer(companies=[company]))
    assert response.status_code == 403 and "operator" in response.json()["detail"]
