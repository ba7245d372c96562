"""Bad input on invoicing's public API: oversized bodies, unknown fields and bad ranges."""


async def test_a_json_body_over_the_limit_is_413(client, company):
    big = b'{"direction": "' + b"x" * (1024 * 1024) + b'"}'
    response = await client.post(f"/v1/companies/{company}/documents", content=big,
                                 headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "1 MiB" in response.json()["detail"]


async def test_the_import_keeps_its_own_larger_limit(client, company):
    # Over the 1 MiB JSON limit, under the import limit: refused for its content, not size.
    csv = b"not an rcv file\n" * 80_000
    response = await client.post(f"/v1/companies/{company}/documents/import",
                                 files={"file": ("rcv.csv", csv, "text/csv")})
    assert response.status_code != 413, response.text


async def test_unknown_fields_are_rejected(client, company):
    response = await client.put(f"/v1/companies/{company}/integration",
                                json={"contract_rut": "60.805.000-0", "priority": "high"})
    assert response.status_code == 422
    assert "priority" in response.json()["detail"]


async def test_document_date_ranges_are_at_most_24_months(client, company):
    response = await client.get(f"/v1/companies/{company}/documents",
                                params={"from": "2020-01-01", "to": "2024-12-31"})
    assert response.status_code == 422
    assert "longer than 24 months" in response.json()["detail"]
