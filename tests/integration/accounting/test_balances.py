"""Balances with their opening (issue 14, item 9): the balance de comprobación and the
auxiliares carry the balance before the range, so each row's closing is the libro mayor's;
and the balance tributario de 8 columnas of a fiscal year to date. Amounts by hand."""

import csv
import io
from datetime import date

import pytest

from shared.events import Counterparty, PaymentKind, PaymentRecorded
from tests.integration.accounting.books_support import Books

Q1 = {"from": "2026-01-01", "to": "2026-03-31"}


@pytest.fixture
async def books(client, services, rut) -> Books:
    """December 2025: a sale of 10.000 + IVA. 2026 to March: a sale of 100.000 + IVA, a
    purchase of 60.000 + IVA, the purchase paid from the bank (71.400) and 50.000 collected
    in cash. April: a sale of 5.000 + IVA."""
    books = await Books.connected(client, services, rut)
    await books.sync("2025-12-01", "2026-04-30", [
        books.doc("sales", 33, 71, date(2025, 12, 10), net=10_000),
        books.doc("sales", 33, 72, date(2026, 3, 5), net=100_000),
        books.doc("purchases", 33, 73, date(2026, 3, 6), net=60_000),
        books.doc("sales", 33, 74, date(2026, 4, 2), net=5_000),
    ])
    payment = PaymentRecorded(
        payment_id="pay-73", company_rut=books.rut, kind=PaymentKind.PAYMENT,
        counterparty=Counterparty(rut=books.supplier, name="Contraparte Ltda."),
        amount=71_400, paid_on=date(2026, 3, 20))
    collection = PaymentRecorded(
        payment_id="col-72", company_rut=books.rut, kind=PaymentKind.COLLECTION,
        counterparty=Counterparty(rut=books.customer, name="Contraparte Ltda."),
        amount=50_000, paid_on=date(2026, 3, 25))
    await books.send([books.payment_proposal(payment), books.payment_proposal(collection)])
    [live] = await books.get("/syncs", kind="live")
    confirmed = await client.post(f"/v1/syncs/{live['id']}/confirm")
    assert confirmed.json()["posted"] == 2, confirmed.text
    return books


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


async def test_the_trial_balance_starts_from_the_opening_and_ties_with_the_ledger(books):
    report = await books.get("/reports/trial-balance", **Q1)
    got = {r["account_code"]: (r["opening_balance"], r["debit"], r["credit"],
                               r["closing_balance"]) for r in report["rows"]}
    assert got == {
        "110101": (0, 50_000, 0, 50_000),                # Caja: the collection
        "110102": (0, 0, 71_400, -71_400),               # Banco: the payment
        "110310": (11_900, 119_000, 50_000, 80_900),     # Clientes: December's sale owed
        "110710": (0, 11_400, 0, 11_400),                # IVA CF
        "210210": (0, 71_400, 71_400, 0),                # Proveedores: paid
        "210710": (-1_900, 0, 19_000, -20_900),          # IVA DF
        "310115": (-10_000, 0, 100_000, -110_000),       # Ventas
        "410230": (0, 60_000, 0, 60_000),                # Compras
    }
    clientes = next(r for r in report["rows"] if r["account_code"] == "110310")
    # The saldos are the closing: 80.900, not the range's 119.000 − 50.000 = 69.000.
    assert (clientes["debit_balance"], clientes["credit_balance"]) == (80_900, 0)
    assert report["totals"] == {"opening_balance": 0, "debit": 311_800, "credit": 311_800,
                                "closing_balance": 0, "debit_balance": 202_300,
                                "credit_balance": 202_300}
    for row in report["rows"]:
        ledger = await books.get("/reports/ledger", account=row["account_code"], **Q1)
        assert (ledger["opening_balance"], ledger["closing_balance"]) == (
            row["opening_balance"], row["closing_balance"]), row["account_code"]

    # April: an account with neither an opening nor a line (Proveedores) is left out; one
    # with only an opening (Caja) keeps it.
    april = await books.get("/reports/trial-balance", **{"from": "2026-04-01",
                                                         "to": "2026-04-30"})
    rows = {r["account_code"]: r for r in april["rows"]}
    assert "210210" not in rows
    assert (rows["110101"]["opening_balance"], rows["110101"]["debit"],
            rows["110101"]["closing_balance"]) == (50_000, 0, 50_000)
    assert (rows["110310"]["opening_balance"], rows["110310"]["debit"],
            rows["110310"]["closing_balance"]) == (80_900, 5_950, 86_850)

    # Without 'from' there is no opening: everything up to 'to' is in the sums.
    whole = await books.get("/reports/trial-balance", to="2026-03-31")
    clientes = next(r for r in whole["rows"] if r["account_code"] == "110310")
    assert (clientes["opening_balance"], clientes["debit"], clientes["closing_balance"]) == (
        0, 130_900, 80_900)

    header, *lines = read_csv(await books.client.get(
        f"/v1/companies/{books.id}/reports/trial-balance", params={**Q1, "format": "csv"}))
    assert header == ["account_code", "account_name", "debit", "credit", "debit_balance",
                      "credit_balance", "opening_balance", "closing_balance"]
    assert ["110310", "Clientes", "119000", "50000", "80900", "0", "11900", "80900"] in lines
    assert lines[-1] == ["", "Totales", "311800", "311800", "202300", "202300", "0", "0"]


async def test_auxiliary_balances_carry_the_opening_per_rut(books):
    report = await books.get("/reports/auxiliary-balances", account="110310", **Q1)
    [row] = report["rows"]
    assert (row["rut"], row["opening_balance"], row["debit"], row["credit"],
            row["closing_balance"], row["balance"]) == (
        books.customer, 11_900, 119_000, 50_000, 80_900, 80_900)
    ledger = await books.get("/reports/ledger", account="110310", **Q1)
    assert report["totals"]["closing_balance"] == ledger["closing_balance"] == 80_900
    assert report["totals"] == {"opening_balance": 11_900, "debit": 119_000,
                                "credit": 50_000, "closing_balance": 80_900,
                                "balance": 80_900}

    # Proveedores in April: the supplier owes nothing and moved nothing, so no row.
    april = await books.get("/reports/auxiliary-balances", account="210210",
                            **{"from": "2026-04-01", "to": "2026-04-30"})
    assert april["rows"] == [] and april["totals"]["closing_balance"] == 0

    header, *lines = read_csv(await books.client.get(
        f"/v1/companies/{books.id}/reports/auxiliary-balances",
        params={"account": "110310", "from": "2026-04-01", "format": "csv"}))
    assert header == ["rut", "name", "debit", "credit", "balance", "opening_balance",
                      "closing_balance"]
    assert lines == [[books.customer, "Contraparte Ltda.", "5950", "0", "86850", "80900",
                      "86850"]]


async def test_the_balance_tributario_of_the_year_to_march_by_hand(books):
    report = await books.get("/reports/balance-tributario", year=2026, to="2026-03-31")
    assert (report["year"], report["from"], report["to"]) == (2026, "2026-01-01",
                                                              "2026-03-31")
    columns = ("debit", "credit", "debit_balance", "credit_balance", "assets", "liabilities",
               "losses", "gains")
    got = {r["account_code"]: tuple(r[c] for c in columns) for r in report["rows"]}
    # December 2025's sale is not in the year: Clientes starts from zero.
    assert got == {
        "110101": (50_000, 0, 50_000, 0, 50_000, 0, 0, 0),
        "110102": (0, 71_400, 0, 71_400, 0, 71_400, 0, 0),
        "110310": (119_000, 50_000, 69_000, 0, 69_000, 0, 0, 0),
        "110710": (11_400, 0, 11_400, 0, 11_400, 0, 0, 0),
        "210210": (71_400, 71_400, 0, 0, 0, 0, 0, 0),
        "210710": (0, 19_000, 0, 19_000, 0, 19_000, 0, 0),
        "310115": (0, 100_000, 0, 100_000, 0, 0, 0, 100_000),
        "410230": (60_000, 0, 60_000, 0, 0, 0, 60_000, 0),
    }
    assert tuple(report["sums"][c] for c in columns) == (
        311_800, 311_800, 190_400, 190_400, 130_400, 90_400, 60_000, 100_000)
    result = report["result"]
    assert (result["outcome"], result["label"], result["amount"]) == (
        "profit", "Utilidad del ejercicio", 40_000)
    assert tuple(result[c] for c in columns) == (0, 0, 0, 0, 0, 40_000, 40_000, 0)
    assert tuple(report["totals"][c] for c in columns) == (
        311_800, 311_800, 190_400, 190_400, 130_400, 130_400, 100_000, 100_000)

    header, *lines = read_csv(await books.client.get(
        f"/v1/companies/{books.id}/reports/balance-tributario",
        params={"year": 2026, "to": "2026-03-31", "format": "csv"}))
    assert header == ["account_code", "account_name", *columns]
    assert lines[0] == ["110101", "Caja", "50000", "0", "50000", "0", "50000", "0", "0", "0"]
    assert lines[-3:] == [
        ["", "Sumas", "311800", "311800", "190400", "190400", "130400", "90400", "60000",
         "100000"],
        ["", "Utilidad del ejercicio", "0", "0", "0", "0", "0", "40000", "40000", "0"],
        ["", "Totales", "311800", "311800", "190400", "190400", "130400", "130400",
         "100000", "100000"]]

    # The whole of 2025: only December's sale, a utilidad of 10.000.
    last_year = await books.get("/reports/balance-tributario", year=2025)
    assert last_year["to"] == "2025-12-31"
    assert [r["account_code"] for r in last_year["rows"]] == ["110310", "210710", "310115"]
    assert last_year["result"]["amount"] == 10_000
    assert last_year["totals"]["assets"] == last_year["totals"]["liabilities"] == 11_900


async def test_the_balance_tributario_refuses_a_date_outside_its_year(books):
    url = f"/v1/companies/{books.id}/reports/balance-tributario"
    outside = await books.client.get(url, params={"year": 2026, "to": "2027-01-15"})
    assert outside.status_code == 422
    assert outside.json()["errors"] == [
        {"field": "to", "message": "'to' 2027-01-15 is not in the fiscal year 2026"}]
    assert "ask for to=2026-12-31 or an earlier day of 2026" in outside.json()["detail"]
    assert (await books.client.get(url)).status_code == 422  # the year is required
    unknown = await books.client.get(
        "/v1/companies/00000000-0000-0000-0000-000000000000/reports/balance-tributario",
        params={"year": 2026})
    assert unknown.status_code == 404
