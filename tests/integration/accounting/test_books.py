"""Periods, reversals and re-sync, the live session, auto-post, payments and the reports,
on a real, migrated PostgreSQL database."""

import csv
import io
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from accounting.adapters.tables import journal_entries
from shared.events import (
    Counterparty,
    DocumentReference,
    PaymentKind,
    PaymentRecorded,
    SyncManifest,
)
from tests.integration.accounting.books_support import SETTINGS, Books, manifest_of
from tests.integration.accounting.conftest import AS_WORKER

MARCH = ("2024-03-01", "2024-03-31")


def lines_of(entry: dict) -> list[tuple]:
    return [(x["account_code"], x["debit"], x["credit"]) for x in entry["lines"]]


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


# --- periods -----------------------------------------------------------------------------


async def test_a_closed_month_holds_documents_until_it_is_reopened(client, services, rut):
    books = await Books.connected(client, services, rut)
    sale = books.doc("sales", 33, 1, date(2024, 3, 5), net=100_000)
    purchase = books.doc("purchases", 33, 2, date(2024, 3, 6), net=50_000)

    closed = await books.post("/periods/2024-03/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    assert (await books.post("/periods/2024-03/close")).json()["status"] == "closed"
    assert (await books.post("/periods/2024-13/close")).status_code == 422

    # At proposal time: held with the reason.
    sync_id = await books.sync(*MARCH, [sale], confirm=False)
    held = (await books.documents(sync_id))[1]
    assert held["status"] == "held"
    assert held["hold_reason"].startswith("period 2024-03 is closed: reopen it")

    # On reopen: ready again.
    reopened = await books.post("/periods/2024-03/reopen")
    assert reopened.json()["status"] == "open" and reopened.json()["reopened_at"]
    assert (await books.documents(sync_id))[1]["status"] == "ready"

    # At confirm time: a month closed after the proposal arrived holds it again.
    await books.send([books.proposal(sync_id, purchase)])
    await books.post("/periods/2024-03/close")
    summary = (await client.post(f"/v1/syncs/{sync_id}/confirm")).json()
    assert (summary["posted"], summary["held"]) == (0, 2)
    assert await books.entries() == []

    # Reopened: confirming the session again posts what waited, once.
    await books.post("/periods/2024-03/reopen")
    summary = (await client.post(f"/v1/syncs/{sync_id}/confirm")).json()
    assert (summary["status"], summary["posted"], summary["held"]) == ("confirmed", 2, 0)
    assert (await client.post(f"/v1/syncs/{sync_id}/confirm")).json()["posted"] == 2
    assert len(await books.entries()) == 2

    periods = await books.get("/periods")
    assert [(p["month"], p["status"], p["entries"]) for p in periods] == [
        ("2024-03", "open", 2)]


# --- reversal ----------------------------------------------------------------------------


async def test_a_reversal_swaps_the_lines_links_both_ways_and_allows_a_new_posting(
        client, services, rut):
    books = await Books.connected(client, services, rut)
    sale = books.doc("sales", 33, 7, date(2024, 3, 10), net=100_000)
    await books.sync(*MARCH, [sale])
    [original] = await books.entries()

    too_early = await client.post(f"/v1/entries/{original['id']}/reverse",
                                  json={"date": "2024-03-09"})
    assert too_early.status_code == 422 and "before the entry's date" in too_early.json()[
        "detail"]
    await books.post("/periods/2024-04/close")
    into_closed = await client.post(f"/v1/entries/{original['id']}/reverse",
                                    json={"date": "2024-04-02"})
    assert into_closed.status_code == 409
    assert "Period 2024-04 is closed" in into_closed.json()["detail"]
    assert (await client.post("/v1/entries/nope/reverse")).status_code == 404

    response = await client.post(f"/v1/entries/{original['id']}/reverse",
                                 json={"reason": "anulada", "date": "2024-03-20"})
    assert response.status_code == 201, response.text
    reversal = response.json()
    assert response.headers["location"] == f"/v1/entries/{reversal['id']}"
    assert reversal["number"] == original["number"] + 1
    assert reversal["entry_date"] == "2024-03-20" and reversal["reversal_reason"] == "anulada"
    assert reversal["reverses_entry_id"] == original["id"]
    assert reversal["glosa"].startswith(f"Reversa del comprobante N° {original['number']}: ")
    assert lines_of(reversal) == [("110310", 0, 119_000), ("310115", 100_000, 0),
                                  ("210710", 19_000, 0)]
    again = (await client.get(f"/v1/entries/{original['id']}")).json()
    assert again["reversed_by_entry_id"] == reversal["id"]
    assert lines_of(again) == lines_of(original)  # never edited

    twice = await client.post(f"/v1/entries/{original['id']}/reverse")
    assert twice.status_code == 409 and twice.json()["reversed_by_entry_id"] == reversal["id"]
    of_reversal = await client.post(f"/v1/entries/{reversal['id']}/reverse")
    assert of_reversal.status_code == 409 and "itself a reversal" in of_reversal.json()[
        "detail"]
    balance = await books.get("/reports/trial-balance", **{"from": "2024-03-01"})
    assert all(r["debit_balance"] == r["credit_balance"] == 0 for r in balance["rows"])

    # Synchronised again, the document is proposed anew and posts once more.
    resync = await books.sync(*MARCH, [sale], confirm=False)
    assert (await books.documents(resync))[7]["status"] == "ready"
    assert (await client.post(f"/v1/syncs/{resync}/confirm")).json()["posted"] == 1
    numbers = sorted(e["number"] for e in await books.entries())
    assert numbers == [original["number"], original["number"] + 1, original["number"] + 2]

    # The database itself refuses a second active posting of the same document.
    async with services.sessions() as session:
        with pytest.raises(IntegrityError):
            await session.execute(insert(journal_entries).values(
                id=str(uuid.uuid4()), company_id=books.id, number=999, entry_date=date(
                    2024, 3, 10), kind="traspaso", glosa="x", source_key=sale.document_key,
                total=1, created_at=datetime.now(UTC)))
        await session.rollback()


# --- live documents, auto-post and payments ----------------------------------------------


async def test_live_documents_and_payments_gather_in_a_live_session(client, services, rut):
    books = await Books.connected(client, services, rut,
                                  settings={**SETTINGS, "collections_account": None})
    first = books.doc("sales", 33, 11, date(2024, 5, 2), net=10_000, name="Cliente Uno")
    renamed = books.doc("sales", 33, 12, date(2024, 5, 3), net=20_000, name="Otro Nombre")
    collection = PaymentRecorded(
        payment_id="col-1", company_rut=books.rut, kind=PaymentKind.COLLECTION,
        counterparty=Counterparty(rut=books.customer, name="Cliente Uno"), amount=11_900,
        paid_on=date(2024, 5, 20))
    without_collections = books.profile.model_copy(update={"collections_account": None})

    result = await books.send([books.proposal(None, first), books.proposal(None, renamed),
                               books.payment_proposal(collection, without_collections)])
    assert result == {"accepted": 3, "duplicates": 0}
    [live] = await books.get("/syncs", kind="live")
    assert (live["kind"], live["status"], live["from"], live["to"]) == (
        "live", "in_review", None, None)
    assert (live["received"], live["ready"], live["held"]) == (3, 2, 1)
    assert (await client.get(f"/v1/syncs/{live['id']}")).json()["kind"] == "live"
    documents = await books.documents(live["id"])
    assert "(collections_account) in settings/invoice-integration" in documents["col-1"][
        "hold_reason"]
    assert documents["col-1"]["payment"]["amount"] == 11_900
    assert documents[12]["note"].startswith(f"RUT {books.customer} is already known as "
                                            "'Cliente Uno', but this names it 'Otro Nombre'")
    assert documents[11]["note"] is None

    assert (await books.send([books.proposal(None, first)])) == {"accepted": 0,
                                                                  "duplicates": 1}
    confirmed = (await client.post(f"/v1/syncs/{live['id']}/confirm")).json()
    assert (confirmed["posted"], confirmed["held"]) == (2, 1)
    # Redelivered after its session was confirmed: still stored once.
    assert (await books.send([books.proposal(None, first)]))["duplicates"] == 1

    # The next live document opens a new live session.
    third = books.doc("sales", 33, 13, date(2024, 5, 4), net=1_000)
    await books.send([books.proposal(None, third)])
    sessions = await books.get("/syncs", kind="live")
    assert len(sessions) == 2 and sessions[0]["id"] != live["id"]
    assert sessions[0]["ready"] == 1


async def test_auto_post_posts_live_documents_and_payments_at_once(client, services, rut):
    books = await Books.connected(client, services, rut, settings={**SETTINGS,
                                                                   "auto_post": True})
    settings = await books.get("/settings/invoice-integration")
    assert settings["auto_post"] is True
    assert settings["other_tax_accounts"]["24"] == "210720"

    purchase = books.doc("purchases", 33, 21, date(2024, 6, 3), net=50_000)
    payment = PaymentRecorded(
        payment_id="pay-1", company_rut=books.rut, kind=PaymentKind.PAYMENT,
        counterparty=Counterparty(rut=books.supplier, name="Proveedor"), amount=59_500,
        paid_on=date(2024, 6, 30))
    collection = PaymentRecorded(
        payment_id="col-2", company_rut=books.rut, kind=PaymentKind.COLLECTION,
        counterparty=Counterparty(rut=books.customer, name="Cliente"), amount=5_000,
        paid_on=date(2024, 6, 30))
    assert (await books.send([books.proposal(None, purchase), books.payment_proposal(payment),
                              books.payment_proposal(collection)]))["accepted"] == 3
    entries = {e["source_key"]: e for e in await books.entries()}
    assert entries["payment:pay-1"]["kind"] == "egreso"
    assert lines_of(entries["payment:pay-1"]) == [("210210", 59_500, 0), ("110102", 0, 59_500)]
    assert entries["payment:col-2"]["kind"] == "ingreso"
    assert lines_of(entries["payment:col-2"]) == [("110101", 5_000, 0), ("110310", 0, 5_000)]
    assert entries[purchase.document_key]["kind"] == "traspaso"
    [live] = await books.get("/syncs", kind="live")
    assert live["posted"] == 3 and live["status"] == "in_review"

    # Into a closed month it waits in the live session, and reopening posts it.
    await books.post("/periods/2024-07/close")
    late = books.doc("purchases", 33, 22, date(2024, 7, 1), net=1_000)
    await books.send([books.proposal(None, late)])
    assert (await books.documents(live["id"]))[22]["status"] == "held"
    await books.post("/periods/2024-07/reopen")
    assert (await books.documents(live["id"]))[22]["status"] == "posted"
    assert late.document_key in {e["source_key"] for e in await books.entries()}

    aux = await books.get("/reports/auxiliary-balances", account="210210")
    [row] = aux["rows"]
    assert (row["rut"], row["debit"], row["credit"], row["balance"]) == (
        books.supplier, 59_500, 59_500 + 1_190, -1_190)
    assert row["name"] == "Contraparte Ltda."


async def test_settings_validate_other_tax_accounts(client, services, rut):
    books = await Books.connected(client, services, rut)
    url = f"/v1/companies/{books.id}/settings/invoice-integration"
    bad = await client.put(url, json={**SETTINGS, "other_tax_accounts": {
        "24": "110310", "x": "210720", "28": "999999"}})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == [
        "other_tax_accounts.24", "other_tax_accounts.28", "other_tax_accounts.x"]
    ok = await client.put(url, json={**SETTINGS, "other_tax_accounts": {"28": "420220"}})
    assert ok.json()["other_tax_accounts"]["28"] == "420220"
    profile = (await client.get(f"/internal/v1/integrations/{books.rut}/posting-profile",
                                auth=AS_WORKER)).json()
    assert profile["other_tax_accounts"] == {"24": "210720", "25": "210721", "26": "210722",
                                             "27": "210723", "271": "210724", "28": "420220",
                                             "53": "210745"}


# --- reports -----------------------------------------------------------------------------


async def test_journal_ledger_trial_balance_and_auxiliaries_in_json_and_csv(
        client, services, rut):
    books = await Books.connected(client, services, rut)
    feb = books.doc("sales", 33, 31, date(2024, 2, 10), net=10_000)  # before the range
    march = [books.doc("sales", 33, 32, date(2024, 3, 5), net=100_000),
             books.doc("sales", 61, 33, date(2024, 3, 15), net=20_000),
             books.doc("purchases", 33, 34, date(2024, 3, 20), net=50_000)]
    await books.sync("2024-02-01", "2024-03-31", [feb, *march])

    journal = await books.get("/reports/journal", **{"from": "2024-03-01", "to": "2024-03-31"})
    assert [e["entry_date"] for e in journal["entries"]] == ["2024-03-05", "2024-03-15",
                                                            "2024-03-20"]
    assert journal["totals"] == {"entries": 3, "debit": 202_300, "credit": 202_300}
    rows = read_csv(await client.get(f"/v1/companies/{books.id}/reports/journal",
                                     params={"from": "2024-03-01", "format": "csv"}))
    assert len(rows) == 9 and rows[0]["account_code"] == "110310"
    assert rows[0]["debit"] == "119000" and rows[0]["account_name"] == "Clientes"

    ledger = await books.get("/reports/ledger", account="110310",
                             **{"from": "2024-03-01", "to": "2024-03-31"})
    assert ledger["opening_balance"] == 11_900
    assert [(x["debit"], x["credit"], x["balance"]) for x in ledger["lines"]] == [
        (119_000, 0, 130_900), (0, 23_800, 107_100)]
    assert ledger["closing_balance"] == 107_100
    assert ledger["lines"][0]["counterparty_rut"] == books.customer
    group = await books.get("/reports/ledger", account="1103")
    assert group["closing_balance"] == 107_100 and group["opening_balance"] == 0
    rows = read_csv(await client.get(f"/v1/companies/{books.id}/reports/ledger",
                                     params={"account": "110310", "from": "2024-03-01"},
                                     headers={"accept": "text/csv"}))
    assert [r["balance"] for r in rows] == ["11900", "130900", "107100"]
    unknown = await client.get(f"/v1/companies/{books.id}/reports/ledger",
                               params={"account": "999999"})
    assert unknown.status_code == 404

    aux = await books.get("/reports/auxiliary-balances", account="110310", to="2024-03-31")
    assert [(r["rut"], r["balance"]) for r in aux["rows"]] == [(books.customer, 107_100)]
    assert aux["totals"]["balance"] == 107_100
    rows = read_csv(await client.get(f"/v1/companies/{books.id}/reports/auxiliary-balances",
                                     params={"account": "210210", "format": "csv"}))
    assert rows == [{"rut": books.supplier, "name": "Contraparte Ltda.", "debit": "0",
                     "credit": "59500", "balance": "-59500", "opening_balance": "0",
                     "closing_balance": "-59500"}]
    not_aux = await client.get(f"/v1/companies/{books.id}/reports/auxiliary-balances",
                               params={"account": "310115"})
    assert not_aux.status_code == 422 and "does not track counterparties" in not_aux.json()[
        "detail"]

    rows = read_csv(await client.get(f"/v1/companies/{books.id}/reports/trial-balance",
                                     params={"format": "csv"}))
    assert rows[-1]["account_name"] == "Totales"
    assert rows[-1]["debit"] == rows[-1]["credit"] == str(202_300 + 11_900)


# --- reconciliation ----------------------------------------------------------------------


async def test_reconciliation_with_zero_differences_then_one_broken_document(
        client, services, rut):
    books = await Books.connected(client, services, rut)
    month = [books.doc("sales", 33, 41, date(2024, 8, 2), net=100_000),
             books.doc("sales", 34, 42, date(2024, 8, 3), exempt=30_000),
             books.doc("sales", 39, 43, date(2024, 8, 4), total=680, vat=0),
             books.doc("purchases", 33, 44, date(2024, 8, 5), net=50_000),
             books.doc("purchases", 46, 45, date(2024, 8, 6), net=10_000, vat=1_900,
                       total=10_000),
             # By rule these post nothing: they are accounted for, not differences.
             books.doc("sales", 61, 47, date(2024, 8, 7), vat=0, total=0, references=(
                 DocumentReference(dte_type=33, folio=41, code=2, reason="corrige giro"),)),
             books.doc("sales", 52, 48, date(2024, 8, 8), net=20_000)]
    url = f"/v1/companies/{books.id}/reports/reconciliation"
    none_yet = await client.get(url, params={"month": "2024-08"})
    assert none_yet.status_code == 409 and "Synchronise 2024-08-01 to 2024-08-31" in \
        none_yet.json()["detail"]

    await books.sync("2024-08-01", "2024-08-31", month)
    await books.post("/periods/2024-08/close")
    report = (await client.get(url, params={"month": "2024-08"})).json()
    assert report["balanced"] is True and report["differences"] == []
    lines = {(x["direction"], x["dte_type"]): x for x in report["lines"]}
    assert lines[("sales", 33)]["invoicing"] == lines[("sales", 33)]["posted"] == {
        "count": 1, "net": 100_000, "exempt": 0, "vat": 19_000, "total": 119_000}
    assert lines[("purchases", 46)]["posted"]["total"] == 10_000
    assert lines[("sales", 52)]["nothing_to_post"] == lines[("sales", 52)]["invoicing"] == {
        "count": 1, "net": 20_000, "exempt": 0, "vat": 3_800, "total": 23_800}
    assert lines[("sales", 61)]["nothing_to_post"]["count"] == 1
    assert lines[("sales", 61)]["posted"]["count"] == 0
    assert all(x["difference"] == {"count": 0, "total": 0} for x in report["lines"])

    # A second month where one document does not add up: exactly that difference.
    broken = books.doc("sales", 33, 52, date(2024, 9, 9), net=10_000, vat=1_900, total=99_999)
    september = [books.doc("sales", 33, 51, date(2024, 9, 2), net=40_000), broken]
    await books.sync("2024-09-01", "2024-09-30", september)
    report = (await client.get(url, params={"month": "2024-09"})).json()
    assert report["balanced"] is False
    [difference] = report["differences"]
    assert difference["document_key"] == broken.document_key
    assert (difference["status"], difference["folio"], difference["invoicing_total"],
            difference["books_total"]) == ("held", 52, 99_999, None)
    assert "but the total is $99.999" in difference["reason"]
    [line] = report["lines"]
    assert line["invoicing"]["count"] == 2 and line["posted"]["count"] == 1
    assert line["held"] == {"count": 1, "net": 10_000, "exempt": 0, "vat": 1_900,
                            "total": 99_999}
    assert line["difference"] == {"count": 1, "total": 99_999}

    rows = read_csv(await client.get(url, params={"month": "2024-09", "format": "csv"}))
    assert [r["row"] for r in rows] == ["line", "difference"]
    assert rows[1]["document_key"] == broken.document_key and rows[1]["status"] == "held"


async def test_reconciliation_lists_reversed_missing_and_unknown_documents(
        client, services, rut):
    books = await Books.connected(client, services, rut)
    kept = books.doc("sales", 33, 61, date(2024, 10, 2), net=1_000)
    reversed_ = books.doc("sales", 33, 62, date(2024, 10, 3), net=2_000)
    never_sent = books.doc("sales", 33, 63, date(2024, 10, 4), net=3_000)
    unknown = books.doc("sales", 33, 64, date(2024, 10, 5), net=4_000)
    sync_id = await books.start_sync("2024-10-01", "2024-10-31")
    await books.send([books.proposal(sync_id, d) for d in (kept, reversed_, unknown)])
    # Invoicing says it holds kept, reversed_ and never_sent (not unknown).
    await books.complete(sync_id, [kept, reversed_, unknown],
                         manifest=manifest_of([kept, reversed_, never_sent]))
    await client.post(f"/v1/syncs/{sync_id}/confirm")
    entry = next(e for e in await books.entries()
                 if e["source_key"] == reversed_.document_key)
    await client.post(f"/v1/entries/{entry['id']}/reverse", json={"date": "2024-10-31"})

    report = (await client.get(f"/v1/companies/{books.id}/reports/reconciliation",
                               params={"month": "2024-10"})).json()
    by_key = {d["document_key"]: d for d in report["differences"]}
    assert set(by_key) == {reversed_.document_key, never_sent.document_key,
                           unknown.document_key}
    assert by_key[reversed_.document_key]["status"] == "reversed"
    assert by_key[never_sent.document_key]["status"] == "missing"
    assert by_key[unknown.document_key]["status"] == "not_in_invoicing"
    assert SyncManifest() == SyncManifest(lines=(), documents=())
