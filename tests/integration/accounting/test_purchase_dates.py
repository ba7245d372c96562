"""Issue 14 item 6 through the APIs: a purchase books on the day it was received (DL 825
art. 24) unless the settings choose its issue date, and the cuadratura still counts it in
the month invoicing does (its issue date). Dates and amounts worked out by hand."""

from datetime import date

from shared.internal_api import STALE_SETTINGS, PostingProfile, ProposalBatch
from tests.integration.accounting.books_support import SETTINGS, Books
from tests.integration.accounting.conftest import AS_WORKER

JUNE_30, JULY_2 = date(2026, 6, 30), date(2026, 7, 2)


async def fetched_profile(books: Books) -> PostingProfile:
    response = await books.client.get(
        f"/internal/v1/integrations/{books.rut}/posting-profile", auth=AS_WORKER)
    assert response.status_code == 200, response.text
    return PostingProfile.model_validate(response.json())


def month_of_documents(books: Books):
    # Neto 100.000 + IVA 19.000 = 119.000, issued 30 June, received 2 July; and a sale of
    # neto 50.000 + IVA 9.500 = 59.500 on 10 June.
    bought = books.doc("purchases", 33, 1, JUNE_30, net=100_000, received_on=JULY_2)
    sold = books.doc("sales", 33, 2, date(2026, 6, 10), net=50_000)
    return bought, sold


async def entry_dates(books: Books, first: str, last: str) -> dict[str, str]:
    return {e["source_key"]: e["entry_date"]
            for e in await books.entries(**{"from": first, "to": last})}


async def test_a_purchase_issued_30_june_received_2_july_books_in_july_and_reconciles_in_june(
        client, services, rut):
    books = await Books.connected(client, services, rut)
    settings = await books.get("/settings/invoice-integration")
    assert settings["purchase_entry_date"] == "received"
    books.profile = await fetched_profile(books)
    bought, sold = month_of_documents(books)

    sync_id = await books.sync("2026-06-01", "2026-06-30", [bought, sold])

    assert await entry_dates(books, "2026-06-01", "2026-06-30") == {
        sold.document_key: "2026-06-10"}
    assert await entry_dates(books, "2026-07-01", "2026-07-31") == {
        bought.document_key: "2026-07-02"}
    review = (await books.documents(sync_id))[1]
    assert review["document"]["issue_date"] == "2026-06-30"
    assert review["document"]["received_on"] == "2026-07-02"
    assert review["entry"]["entry_date"] == "2026-07-02"
    assert review["note"].startswith("booked on 2026-07-02, the day it was received, not in "
                                     "the month of its issue on 2026-06-30")

    # Its crédito fiscal is July's: 19.000 on 110710 in July's trial balance, none in June's.
    june = await books.get("/reports/trial-balance", **{"from": "2026-06-01", "to": "2026-06-30"})
    july = await books.get("/reports/trial-balance", **{"from": "2026-07-01", "to": "2026-07-31"})
    assert "110710" not in {row["account_code"] for row in june["rows"]}
    [credit] = [row for row in july["rows"] if row["account_code"] == "110710"]
    assert (credit["debit"], credit["credit"]) == (19_000, 0)

    # Invoicing counts it in June, the month it was issued: June reconciles with it posted.
    report = await books.get("/reports/reconciliation", month="2026-06")
    assert report["balanced"] is True and report["differences"] == []
    lines = {(x["direction"], x["dte_type"]): x for x in report["lines"]}
    assert lines[("purchases", 33)]["invoicing"] == lines[("purchases", 33)]["posted"] == {
        "count": 1, "net": 100_000, "exempt": 0, "vat": 19_000, "total": 119_000}


async def test_the_issue_date_setting_goes_through_the_settings_version(client, services, rut):
    books = await Books.connected(client, services, rut)
    url = f"/v1/companies/{books.id}/settings/invoice-integration"
    old = await fetched_profile(books)
    assert (old.settings_version, old.purchase_entry_date) == (1, "received")

    refused = await client.put(url, json={**SETTINGS, "purchase_entry_date": "recepcion"})
    assert refused.status_code == 422
    assert "purchase_entry_date" in refused.text and "'received' or 'issued'" in refused.text

    put = await client.put(url, json={**SETTINGS, "purchase_entry_date": "issued"})
    assert put.status_code == 200 and put.json()["purchase_entry_date"] == "issued"
    new = await fetched_profile(books)
    assert (new.settings_version, new.purchase_entry_date) == (2, "issued")

    sync_id = await books.start_sync("2026-06-01", "2026-06-30")
    bought, sold = month_of_documents(books)
    # Built with the profile from before the change: refused, as for any other setting.
    books.profile = old
    stale = ProposalBatch(proposals=[books.proposal(sync_id, bought)],
                          settings_versions={books.id: old.settings_version})
    response = await client.post("/internal/v1/proposals", content=stale.model_dump_json(),
                                 headers={"content-type": "application/json"}, auth=AS_WORKER)
    assert response.status_code == 409 and response.json()["type"] == STALE_SETTINGS

    books.profile = new
    await books.send([books.proposal(sync_id, d) for d in (bought, sold)])
    await books.complete(sync_id, [bought, sold])
    assert (await client.post(f"/v1/syncs/{sync_id}/confirm")).status_code == 200
    assert await entry_dates(books, "2026-06-01", "2026-07-31") == {
        bought.document_key: "2026-06-30", sold.document_key: "2026-06-10"}
    report = await books.get("/reports/reconciliation", month="2026-06")
    assert report["balanced"] is True
