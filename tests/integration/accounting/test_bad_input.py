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
