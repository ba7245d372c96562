"""Bad input on accounting's public API: oversized bodies, unknown fields, bad ranges and
pages too large are refused with problem details that say how to fix them."""

import pytest

from shared.http.pagination import MAX_PAGE_SIZE, TOTAL_HEADER


@pytest.fixture
async def company_id(client, rut):
    contract = rut()
    assert (await client.post("/v1/contracts", json={"rut": contract, "name": "C"})
            ).status_code == 201
    created = await client.post(f"/v1/contracts/{contract}/companies",
                                json={"rut": rut(), "name": "Ferretería A"})
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_a_body_over_the_limit_is_413_whether_declared_or_streamed(client, rut):
    big = b'{"rut": "' + b"1" * (1024 * 1024) + b'"}'
    declared = await client.post("/v1/contracts", content=big,
                                 headers={"content-type": "application/json"})
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"
    assert "1 MiB" in declared.json()["detail"]

    async def chunks():
        for _ in range(20):
            yield b" " * 65536

    # The limit is enforced before authentication, so any token will do here.
    streamed = await client.post("/v1/contracts", content=chunks(),
                                 headers={"content-type": "application/json",
                                          "Authorization": "Bearer unchecked"})
    assert streamed.status_code == 413, streamed.text
    assert streamed.json()["limit_bytes"] == 1024 * 1024


async def test_unknown_fields_are_rejected(client, rut, company_id):
    response = await client.post("/v1/contracts",
                                 json={"rut": rut(), "name": "C", "plan": "gold"})
    assert response.status_code == 422
    assert "plan" in response.json()["detail"]
    response = await client.put(f"/v1/companies/{company_id}/settings/invoice-integration",
                                json={"sales": {"auxiliary_account": "110310", "x": 1}})
    assert response.status_code == 422 and "sales.x" in response.json()["detail"]


async def test_bare_lists_page_with_a_total_header_and_a_maximum(client, company_id):
    everything = await client.get(f"/v1/companies/{company_id}/accounts")
    total = int(everything.headers[TOTAL_HEADER])
    assert len(everything.json()) == total > 10
    page = await client.get(f"/v1/companies/{company_id}/accounts",
                            params={"offset": 3, "limit": 5})
    assert page.json() == everything.json()[3:8]
    assert page.headers[TOTAL_HEADER] == str(total)
    too_big = await client.get(f"/v1/companies/{company_id}/accounts",
                               params={"limit": MAX_PAGE_SIZE + 1})
    assert too_big.status_code == 422 and "limit" in too_big.json()["detail"]
    for path in ("periods", "syncs"):
        listed = await client.get(f"/v1/companies/{company_id}/{path}", params={"limit": 1})
        assert listed.status_code == 200 and TOTAL_HEADER in listed.headers


@pytest.mark.parametrize("path", ["entries", "reports/trial-balance", "reports/journal",
                                  "reports/ledger", "reports/auxiliary-balances"])
async def test_date_ranges_are_validated_everywhere(client, company_id, path):
    url = f"/v1/companies/{company_id}/{path}"
    account = {"account": "110310"} if "ledger" in path or "auxiliary" in path else {}
    backwards = await client.get(url, params={"from": "2024-05-01", "to": "2024-01-31",
                                              **account})
    assert backwards.status_code == 422
    assert backwards.json()["detail"] == (
        "from: 'from' (2024-05-01) is after 'to' (2024-01-31): swap them")
    too_long = await client.get(url, params={"from": "2022-01-01", "to": "2024-01-01",
                                             **account})
    assert too_long.status_code == 422
    assert "longer than 24 months" in too_long.json()["detail"]
    assert "to=2023-12-31" in too_long.json()["detail"]
    fine = await client.get(url, params={"from": "2022-01-01", "to": "2023-12-31", **account})
    assert fine.status_code == 200, fine.text


# --- issue 11: bounded text, no control characters, each query parameter once ----------

SHORT_ANSWER = 2_000  # bytes: a problem detail, never the value it refuses


@pytest.mark.parametrize(("field", "text"), [("name", "Contadores\x00Asociados"),
                                             ("name", "Ferretería\x1b[31m"),
                                             ("name", "Tab\tin a name"),
                                             ("rut", "76354771\x00-K")])
async def test_nul_and_control_characters_in_a_body_are_422_naming_the_field(
        client, rut, field, text):
    body = {"rut": rut(), "name": "Contadores Asociados", field: text}
    response = await client.post("/v1/contracts", json=body)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_control_characters_are_refused_in_every_kind_of_field(client, rut, company_id):
    settings = f"/v1/companies/{company_id}/settings/invoice-integration"
    cases = [
        ("post", f"/v1/companies/{company_id}/accounts",
         {"code": "310199", "name": "Ventas\x00", "type": "income"}, "name"),
        ("put", settings, {"sales": {"auxiliary_account": "1103\x0010"}},
         "sales.auxiliary_account"),
        ("put", settings, {"other_tax_accounts": {"24": "2107\x7f20"}},
         "other_tax_accounts.24"),
        ("put", settings, {"other_tax_accounts": {"2\x004": "210720"}},
         "other_tax_accounts.2\x004.[key]"),
    ]
    for method, url, body, field in cases:
        response = await client.request(method, url, json=body)
        assert response.status_code == 422, (url, body, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], response.text
        assert "control characters" in response.json()["detail"]


async def test_nul_in_a_path_or_query_parameter_is_422_not_a_database_error(client, company_id):
    # PostgreSQL cannot hold NUL in text: looked up, these were 500s.
    by_id = await client.get("/v1/companies/6a0f1c9e%00")
    assert by_id.status_code == 422, by_id.text
    assert by_id.json()["errors"][0]["field"] == "company_id"
    account = await client.get(f"/v1/companies/{company_id}/reports/ledger",
                               params={"account": "1103\x0010"})
    assert account.status_code == 422, account.text
    assert account.json()["errors"][0]["field"] == "account"


async def test_a_huge_value_is_refused_with_a_short_answer(client, rut, company_id):
    padded = " " * 900_000 + rut()
    contract = await client.post("/v1/contracts", json={"rut": padded, "name": "C"})
    assert contract.status_code == 422
    assert len(contract.content) < SHORT_ANSWER
    assert "at most 20 characters" in contract.json()["detail"]
    for body in ({"rut": rut(), "name": "n" * 900_000},  # over the field's bound
                 {"rut": rut(), "name": "C", "x" * 900_000: 1}):  # an unknown field's name
        response = await client.post("/v1/contracts", json=body)
        assert response.status_code == 422 and len(response.content) < SHORT_ANSWER
    settings = await client.put(f"/v1/companies/{company_id}/settings/invoice-integration",
                                json={"other_tax_accounts": {"9" * 900_000: "210720"}})
    assert settings.status_code == 422 and len(settings.content) < SHORT_ANSWER
    long_id = await client.get("/v1/companies/" + "a" * 20_000)
    assert long_id.status_code == 422 and len(long_id.content) < SHORT_ANSWER


@pytest.mark.parametrize("query", [
    "from=2024-01-01&from=2020-01-01", "to=2024-01-31&to=2024-12-31",
    "format=json&format=csv", "limit=1&offset=0&limit=500", "fr%6Fm=2024-01-01&from=2024-02-01",
])
async def test_a_query_parameter_given_twice_is_422_naming_it(client, company_id, query):
    name = {"fr%6Fm": "from"}.get(query.split("=")[0], query.split("=")[0])
    path = "reports/journal" if "format" in query else "entries"
    response = await client.get(f"/v1/companies/{company_id}/{path}?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": name, "message": f"'{name}' is given more than once: give it once"}]
    once = await client.get(f"/v1/companies/{company_id}/{path}?from=2024-01-01&to=2024-01-31")
    assert once.status_code == 200
