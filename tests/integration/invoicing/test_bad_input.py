"""Bad input on invoicing's public API: oversized bodies, unknown fields, bad ranges, control
characters and repeated query parameters."""

from tests.integration.invoicing.conftest import new_rut


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


# --- issue 11: bounded text, no control characters, each query parameter once ----------

SHORT_ANSWER = 2_000  # bytes: a problem detail, never the value it refuses


def _document(**changes):
    body = {"direction": "sales", "dte_type": 33, "folio": 7, "issue_date": "2024-03-05",
            "counterparty": {"rut": "12345678-5", "name": "Contraparte"},
            "net": 100_000, "exempt": 0, "vat": 19_000, "total": 119_000}
    return {**body, **changes}


async def test_nul_and_control_characters_in_a_body_are_422_naming_the_field(client, company):
    cases = [
        ("/v1/companies", {"rut": new_rut(), "name": "Andes\x00SpA"}, "name"),
        (f"/v1/companies/{company}/documents",
         _document(counterparty={"rut": "12345678-5", "name": "Sur\x1b Ltda."}),
         "counterparty.name"),
        (f"/v1/companies/{company}/documents",
         _document(references=[{"dte_type": 33, "folio": 1, "reason": "anula\x00"}]),
         "references.0.reason"),
        (f"/v1/companies/{company}/payments",
         {"kind": "collection", "amount": 1000, "paid_on": "2024-03-20",
          "counterparty": {"rut": "12345678-5", "name": "Sur\x00"}}, "counterparty.name"),
    ]
    for url, body, field in cases:
        response = await client.post(url, json=body)
        assert response.status_code == 422, (url, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], response.text
        assert "control characters" in response.json()["detail"]


async def test_a_huge_value_is_refused_with_a_short_answer(client, company):
    padded = " " * 900_000 + new_rut()
    for url, body in [("/v1/companies", {"rut": padded, "name": "Andes"}),
                      (f"/v1/companies/{company}/integration", {"contract_rut": padded}),
                      (f"/v1/companies/{company}/documents",
                       _document(counterparty={"rut": "12345678-5", "name": "n" * 900_000}))]:
        response = await client.request("PUT" if "integration" in url else "POST", url,
                                        json=body)
        assert response.status_code == 422, response.text[:500]
        assert len(response.content) < SHORT_ANSWER
    long_rut = await client.get("/v1/companies/" + "1" * 20_000)
    assert long_rut.status_code == 422 and len(long_rut.content) < SHORT_ANSWER


async def test_a_query_parameter_given_twice_is_422_naming_it(client, company):
    url = f"/v1/companies/{company}/documents"
    for query, name in [("from=2024-01-01&from=2020-01-01", "from"),
                        ("to=2024-01-31&to=2024-12-31", "to"), ("limit=1&limit=500", "limit")]:
        response = await client.get(f"{url}?{query}")
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == [name]
    assert (await client.get(f"{url}?from=2024-01-01&to=2024-01-31")).status_code == 200
