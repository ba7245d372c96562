"""Companies and documents over HTTP, on PostgreSQL."""

import pytest

from tests.integration.invoicing.conftest import new_rut

CUSTOMER = "12345678-5"
SUPPLIER = "60805000-0"


def doc(direction="sales", dte_type=33, folio=1, issue_date="2024-03-05", counterparty=CUSTOMER,
        **amounts):
    body = {
        "direction": direction, "dte_type": dte_type, "folio": folio,
        "issue_date": issue_date, "counterparty": {"rut": counterparty, "name": "Contraparte"},
        "net": 100_000, "exempt": 0, "vat": 19_000, "total": 119_000,
    }
    body.update(amounts)
    return body


async def test_a_company_is_registered_once_and_read_by_any_spelling(client):
    rut = new_rut()
    digits, check = rut.split("-")
    dotted = f"{digits[:2]}.{digits[2:5]}.{digits[5:]}-{check.lower()}"
    created = await client.post("/v1/companies", json={"rut": dotted, "name": " Andes SpA "})
    assert created.status_code == 201
    assert created.json() == {"rut": rut, "name": "Andes SpA"}

    again = await client.post("/v1/companies", json={"rut": rut, "name": "Other"})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "already registered" in again.json()["detail"]

    read = await client.get(f"/v1/companies/{dotted}")
    assert read.status_code == 200 and read.json()["rut"] == rut


async def test_a_bad_rut_is_refused_with_a_useful_detail(client):
    response = await client.post("/v1/companies", json={"rut": "12.345.678-9", "name": "X"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422
    assert "check digit 9" in problem["detail"] and "módulo 11 gives 5" in problem["detail"]
    assert problem["errors"][0]["field"] == "rut"

    path = await client.get("/v1/companies/not-a-rut")
    assert path.status_code == 422
    assert "is not a RUT" in path.json()["detail"]


async def test_unknown_company_says_to_create_it_first(client):
    rut = new_rut()
    for response in (await client.get(f"/v1/companies/{rut}"),
                     await client.post(f"/v1/companies/{rut}/documents", json=doc()),
                     await client.get(f"/v1/companies/{rut}/documents")):
        assert response.status_code == 404
        assert "create it first with POST /v1/companies" in response.json()["detail"]


@pytest.mark.parametrize("dte_type", [33, 34, 61])
async def test_documents_are_recorded_in_both_directions(client, company, dte_type):
    extra = {"references": [{"dte_type": 33, "folio": 7, "code": 1, "reason": "anula"}]} \
        if dte_type == 61 else {}
    sale = await client.post(f"/v1/companies/{company}/documents",
                             json=doc("sales", dte_type, folio=10, **extra))
    assert sale.status_code == 201, sale.text
    body = sale.json()
    assert body["issuer_rut"] == company and body["company_rut"] == company
    assert body["counterparty"] == {"rut": CUSTOMER, "name": "Contraparte"}
    assert (body["net"], body["vat"], body["total"]) == (100_000, 19_000, 119_000)
    assert body["id"]

    purchase = await client.post(
        f"/v1/companies/{company}/documents",
        json=doc("purchases", dte_type, folio=10, counterparty="60.805.000-0", **extra),
    )
    assert purchase.status_code == 201, purchase.text
    assert purchase.json()["issuer_rut"] == SUPPLIER
    if extra:
        assert purchase.json()["references"] == [
            {"dte_type": 33, "folio": 7, "issue_date": None, "code": 1, "reason": "anula"}]


async def test_a_factura_de_compra_is_issued_by_the_buying_company(client, company):
    response = await client.post(f"/v1/companies/{company}/documents",
                                 json=doc("purchases", 46, counterparty=SUPPLIER))
    assert response.status_code == 201 and response.json()["issuer_rut"] == company


async def test_a_repeated_folio_names_the_existing_document(client, company):
    first = await client.post(f"/v1/companies/{company}/documents", json=doc(folio=55))
    again = await client.post(f"/v1/companies/{company}/documents", json=doc(folio=55))
    assert again.status_code == 409
    problem = again.json()
    assert problem["existing_document_id"] == first.json()["id"]
    assert first.json()["id"] in problem["detail"]
    # The same folio from another supplier, or of another type, is another document.
    other = await client.post(f"/v1/companies/{company}/documents",
                              json=doc("purchases", folio=55, counterparty=SUPPLIER))
    assert other.status_code == 201
    credit = await client.post(f"/v1/companies/{company}/documents", json=doc(dte_type=61,
                                                                              folio=55))
    assert credit.status_code == 201


async def test_unsupported_type_and_non_integer_amounts_are_refused(client, company):
    unsupported = await client.post(f"/v1/companies/{company}/documents", json=doc(dte_type=52))
    assert unsupported.status_code == 422
    assert "33 (factura electrónica)" in unsupported.json()["detail"]
    for amount in (1.5, "100", -1):
        response = await client.post(f"/v1/companies/{company}/documents",
                                     json=doc(net=amount))
        assert response.status_code == 422, amount
        assert response.json()["errors"][0]["field"] == "net"
    unknown = await client.post(f"/v1/companies/{company}/documents",
                                json={**doc(), "discount": 5})
    assert unknown.status_code == 422


async def test_amounts_that_do_not_add_up_are_recorded_as_issued(client, company):
    response = await client.post(f"/v1/companies/{company}/documents",
                                 json=doc(net=100, vat=0, total=7))
    assert response.status_code == 201 and response.json()["total"] == 7


async def test_documents_are_listed_by_date_and_folio_within_the_range(client, company):
    for folio, day in ((3, "2024-01-10"), (1, "2024-01-20"), (2, "2024-01-10"),
                       (4, "2024-02-01")):
        response = await client.post(f"/v1/companies/{company}/documents",
                                     json=doc(folio=folio, issue_date=day))
        assert response.status_code == 201
    listed = await client.get(f"/v1/companies/{company}/documents",
                              params={"from": "2024-01-01", "to": "2024-01-31"})
    assert listed.status_code == 200
    page = listed.json()
    assert [d["folio"] for d in page["items"]] == [2, 3, 1]
    assert (page["total"], page["offset"], page["limit"]) == (3, 0, 100)

    second = (await client.get(f"/v1/companies/{company}/documents",
                               params={"offset": 1, "limit": 2})).json()
    assert [d["folio"] for d in second["items"]] == [3, 1]
    assert second["total"] == 4

    backwards = await client.get(f"/v1/companies/{company}/documents",
                                 params={"from": "2024-02-01", "to": "2024-01-01"})
    assert backwards.status_code == 422 and "after" in backwards.json()["detail"]
    too_many = await client.get(f"/v1/companies/{company}/documents", params={"limit": 501})
    assert too_many.status_code == 422


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}


async def test_openapi_documents_the_paths_and_problems(client):
    spec = (await client.get("/openapi.json")).json()
    for path in ("/v1/companies", "/v1/companies/{rut}", "/v1/companies/{rut}/documents",
                 "/v1/companies/{rut}/integration"):
        assert path in spec["paths"]
    put = spec["paths"]["/v1/companies/{rut}/integration"]["put"]["responses"]
    assert {"200", "202", "404", "409", "422"} <= set(put)


async def test_a_purchase_may_say_which_of_its_iva_is_not_credito_fiscal(client, company):
    split = {"recoverable": 9_000, "non_recoverable": 10_000, "non_recoverable_code": 3}
    created = await client.post(f"/v1/companies/{company}/documents",
                                json=doc("purchases", 33, folio=31, counterparty=SUPPLIER,
                                         vat_breakdown=split))
    assert created.status_code == 201, created.text
    stored = created.json()["vat_breakdown"]
    assert (stored["recoverable"], stored["non_recoverable"], stored["non_recoverable_code"],
            stored["common_use"]) == (9_000, 10_000, 3, 0)

    off = await client.post(f"/v1/companies/{company}/documents",
                            json=doc("purchases", 33, folio=32, counterparty=SUPPLIER,
                                     vat_breakdown={"recoverable": 9_000}))
    assert off.status_code == 422
    assert "recoverable + non_recoverable + common_use is 9000, but vat is 19000" in \
        off.json()["detail"]
    sale = await client.post(f"/v1/companies/{company}/documents",
                             json=doc("sales", 33, folio=33, vat_breakdown=split))
    assert sale.status_code == 422 and "vat_breakdown is for purchases" in sale.json()["detail"]
