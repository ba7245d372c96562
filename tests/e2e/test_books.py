"""A month with every document type in both directions, plus a payment and a collection,
through the three services as real processes; the month is closed and reconciled against
invoicing's manifest with zero differences. Then a month with one broken document shows
exactly that difference, its balances open with August's, and the balance tributario of
the year so far balances its four pairs of columns."""

import csv
import io
import random

import pytest

from deploy.local.client import FlowClient, wait_for
from shared.rut import FINAL_CONSUMER_RUT, rut_from_number
from tests.support.stacks import module_stack

pytestmark = pytest.mark.e2e

AUGUST = ("2026-08-01", "2026-08-31")
SEPTEMBER = ("2026-09-01", "2026-09-30")

CUSTOMER = (rut_from_number(77777777), "Comercial Los Andes SpA")
EXPORT_CUSTOMER = (rut_from_number(59123456), "Andes Trading Inc.")
SUPPLIER = (rut_from_number(97975000), "Distribuidora Central S.A.")
SUPPLIER_EXEMPT = (rut_from_number(79654321), "Servicios Notariales Ltda.")
SELLER_46 = (rut_from_number(12345678), "Juan Pérez (agricultor)")
NEWSAGENT = (rut_from_number(13131313), "Kiosco La Esquina (suplementero)")
FINAL_CONSUMER = (FINAL_CONSUMER_RUT, "Consumidor final")

SETTINGS = {
    "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
    "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
    "payments_account": "110102",
    "collections_account": "110102",
}


def doc(direction, dte_type, folio, day, party, *, net=0, exempt=0, vat=0, total=None,
        references=(), other_taxes=(), vat_retained=0, **extra):
    taxes = sum(t["amount"] for t in other_taxes)
    return extra | {
        "direction": direction, "dte_type": dte_type, "folio": folio,
        "issue_date": f"2026-{day}", "counterparty": {"rut": party[0], "name": party[1]},
        "net": net, "exempt": exempt, "vat": vat,
        "total": net + exempt + vat + taxes - vat_retained if total is None else total,
        "references": list(references), "other_taxes": list(other_taxes),
        "vat_retained": vat_retained,
    }


def ref(dte_type, folio, code=3):
    return {"dte_type": dte_type, "folio": folio, "code": code}


# Every type, both directions; amounts by hand (IVA = 19% of neto; ILA at its rate).
AUGUST_DOCUMENTS = [
    doc("sales", 33, 1001, "08-03", CUSTOMER, net=100_000, vat=19_000),
    doc("sales", 33, 1002, "08-04", CUSTOMER, net=60_000, vat=11_400,
        other_taxes=[{"code": 24, "rate": 31.5, "amount": 18_900}]),  # pisco: ILA 31,5%
    doc("sales", 34, 2001, "08-05", CUSTOMER, exempt=50_000),
    doc("sales", 39, 3001, "08-06", FINAL_CONSUMER, total=680),  # neto 571, IVA 109
    doc("sales", 41, 4001, "08-07", FINAL_CONSUMER, exempt=5_000),
    doc("sales", 56, 1003, "08-10", CUSTOMER, net=10_000, vat=1_900,
        references=[ref(33, 1001)]),
    doc("sales", 61, 501, "08-12", CUSTOMER, net=20_000, vat=3_800,
        references=[ref(33, 1001)]),
    doc("sales", 110, 7001, "08-13", EXPORT_CUSTOMER, exempt=1_000_000),
    doc("sales", 111, 7101, "08-14", EXPORT_CUSTOMER, exempt=50_000,
        references=[ref(110, 7001)]),
    doc("sales", 112, 7201, "08-15", EXPORT_CUSTOMER, exempt=20_000,
        references=[ref(110, 7001)]),
    # Newspapers to a suplementero: 0,5 % of the public price of $300.000 retained for its
    # income tax (LIR art. 74 N°5), added to the total: 200.000 + 38.000 + 1.500 = 239.500.
    doc("sales", 33, 1004, "08-16", NEWSAGENT, net=200_000, vat=38_000,
        other_taxes=[{"code": 53, "rate": 0.5, "amount": 1_500}]),
    doc("purchases", 33, 88001, "08-05", SUPPLIER, net=80_000, vat=15_200),
    doc("purchases", 33, 88002, "08-06", SUPPLIER, net=25_000, vat=4_750,
        other_taxes=[{"code": 27, "rate": 10, "amount": 2_500}]),  # bebidas: ILA 10%
    doc("purchases", 34, 3001, "08-12", SUPPLIER_EXEMPT, exempt=30_000),
    doc("purchases", 46, 9101, "08-18", SELLER_46, net=200_000, vat=38_000,
        vat_retained=38_000),
    doc("purchases", 56, 88003, "08-20", SUPPLIER, net=5_000, vat=950,
        references=[ref(33, 88001)]),
    doc("purchases", 61, 9001, "08-28", SUPPLIER, net=10_000, vat=1_900,
        references=[ref(33, 88001)]),
    # Issued 31 August, received 2 September: its crédito fiscal, and so its entry, is
    # September's (DL 825 art. 24); invoicing and the cuadratura count it in August.
    doc("purchases", 33, 88004, "08-31", SUPPLIER, net=40_000,
        vat=7_600, received_on="2026-09-02"),
]
PAYMENTS = [
    {"kind": "collection", "counterparty": {"rut": CUSTOMER[0], "name": CUSTOMER[1]},
     "amount": 119_000, "paid_on": "2026-08-29", "documents": [{"dte_type": 33, "folio": 1001}]},
    {"kind": "payment", "counterparty": {"rut": SUPPLIER[0], "name": SUPPLIER[1]},
     "amount": 95_200, "paid_on": "2026-08-30", "documents": [{"dte_type": 33, "folio": 88001}]},
]
SALES_IVA = 19_000 + 11_400 + 109 + 1_900 - 3_800 + 38_000
PURCHASES_IVA = 15_200 + 4_750 + 38_000 + 950 - 1_900

BROKEN = doc("sales", 33, 1101, "09-09", CUSTOMER, net=10_000, vat=1_900, total=99_999)
SEPTEMBER_DOCUMENTS = [doc("sales", 33, 1100, "09-02", CUSTOMER, net=40_000, vat=7_600),
                       BROKEN]



stack = module_stack("e2e_books")


@pytest.fixture(scope="module")
def books(stack):
    client = FlowClient(stack.invoicing_url, stack.accounting_url)
    try:
        yield run_books(client)
    except Exception as error:
        tails = "\n".join(stack.log_tail(s, 60) for s in stack.services)
        raise AssertionError(f"{error}\n{tails}") from error
    finally:
        client.close()


def in_review(client, sync_id):
    return wait_for(lambda: client.sync(sync_id), lambda s: s["status"] == "in_review",
                    what=f"sync {sync_id} to reach review", timeout=60)


def run_books(client: FlowClient) -> dict:
    out: dict = {}
    rng = random.Random()
    company_rut = rut_from_number(rng.randint(76_000_000, 76_999_999))
    contract_rut = rut_from_number(rng.randint(78_000_000, 78_999_999))
    client.create_company(company_rut, "Botillería El Roble SpA")
    for document in AUGUST_DOCUMENTS:
        client.record_document(company_rut, **document)

    client.create_contract(contract_rut, "Contadores Asociados Ltda.")
    company = client.add_company(contract_rut, company_rut, "Botillería El Roble SpA")
    company_id = out["company_id"] = company["id"]
    client.request_integration(company_rut, contract_rut)
    request = wait_for(lambda: client.integration_requests(contract_rut),
                       lambda reqs: bool(reqs) and reqs[0]["status"] == "pending",
                       what="the integration request", timeout=60)[0]
    client.approve(request["id"], company_id)
    wait_for(lambda: client.integration_status(company_rut),
             lambda s: s["status"] == "approved", what="invoicing to learn the approval",
             timeout=60)
    client.put_settings(company_id, SETTINGS)

    # August: every type, both directions.
    sync = client.start_sync(company_id, *AUGUST)
    out["august_sync"] = in_review(client, sync["id"])
    out["august_documents"] = client.sync_documents(sync["id"])
    out["august_confirm"] = client.confirm(sync["id"])

    # Payments are live: they gather in the live session, and confirming posts them.
    for payment in PAYMENTS:
        client.record_payment(company_rut, **payment)
    live = wait_for(lambda: client.syncs(company_id, kind="live"),
                    lambda s: bool(s) and s[0]["received"] >= len(PAYMENTS),
                    what="the payments to reach the live session", timeout=60)[0]
    out["live_documents"] = client.sync_documents(live["id"])
    out["live_confirm"] = client.confirm(live["id"])

    out["close"] = client.close_period(company_id, "2026-08")
    out["august_entries"] = client.entries(company_id, *AUGUST)
    out["trial_balance"] = client.trial_balance(company_id, *AUGUST)
    out["september_entries"] = client.entries(company_id, *SEPTEMBER)
    out["august_reconciliation"] = client.report(company_id, "reconciliation", month="2026-08")
    out["august_reconciliation_csv"] = client.report_csv(company_id, "reconciliation",
                                                         month="2026-08")
    out["journal_csv"] = client.report_csv(company_id, "journal", from_=AUGUST[0],
                                           to=AUGUST[1])
    out["ledger"] = client.report(company_id, "ledger", account="110310", from_=AUGUST[0],
                                  to=AUGUST[1])
    out["clients"] = client.report(company_id, "auxiliary-balances", account="110310",
                                   to=AUGUST[1])

    # September: one document that does not add up.
    for document in SEPTEMBER_DOCUMENTS:
        client.record_document(company_rut, **document)
    sync = client.start_sync(company_id, *SEPTEMBER)
    in_review(client, sync["id"])
    out["september_confirm"] = client.confirm(sync["id"])
    out["september_reconciliation"] = client.report(company_id, "reconciliation",
                                                    month="2026-09")

    # September's balances open with August's, and the year so far in 8 columns.
    september = {"from_": SEPTEMBER[0], "to": SEPTEMBER[1]}
    out["september_balance"] = client.report(company_id, "trial-balance", **september)
    out["september_ledgers"] = {
        row["account_code"]: client.report(company_id, "ledger", account=row["account_code"],
                                           **september)
        for row in out["september_balance"]["rows"]}
    out["september_clients"] = client.report(company_id, "auxiliary-balances",
                                             account="110310", **september)
    out["tributario"] = client.report(company_id, "balance-tributario", year=2026,
                                      to=SEPTEMBER[1])
    out["tributario_csv"] = client.report_csv(company_id, "balance-tributario", year=2026,
                                              to=SEPTEMBER[1])
    return out


def test_every_document_of_the_month_arrives_and_posts(books):
    assert books["august_sync"]["expected"] == len(AUGUST_DOCUMENTS)
    statuses = {(d["document"]["dte_type"], d["document"]["folio"]): d["status"]
                for d in books["august_documents"]}
    assert set(statuses.values()) == {"ready"}, statuses
    assert books["august_confirm"]["posted"] == len(AUGUST_DOCUMENTS)


def test_payments_and_collections_post_as_egreso_and_ingreso(books):
    assert {d["status"] for d in books["live_documents"]} == {"ready"}
    assert books["live_confirm"]["posted"] == len(PAYMENTS)
    kinds = sorted(e["kind"] for e in books["august_entries"] if e["kind"] != "traspaso")
    assert kinds == ["egreso", "ingreso"]


def test_the_books_balance_and_hold_the_documents_iva(books):
    for entry in books["august_entries"]:
        assert sum(x["debit"] for x in entry["lines"]) == sum(x["credit"] for x in entry["lines"])
    rows = {r["account_code"]: r for r in books["trial_balance"]["rows"]}
    totals = books["trial_balance"]["totals"]
    assert totals["debit"] == totals["credit"]
    assert totals["debit_balance"] == totals["credit_balance"]
    assert rows["210710"]["credit"] - rows["210710"]["debit"] == SALES_IVA
    assert rows["110710"]["debit"] - rows["110710"]["credit"] == PURCHASES_IVA
    assert rows["210715"]["credit"] == 38_000  # IVA retained on the 46
    assert rows["210720"]["credit"] == 18_900  # ILA licores
    assert rows["110715"]["debit"] == 2_500  # ILA bebidas analcohólicas on a purchase: recovered
    assert rows["210745"]["credit"] == 1_500  # the suplementeros' income tax, not IVA retained
    assert rows["310125"]["credit"] - rows["310125"]["debit"] == 1_000_000 + 50_000 - 20_000


def test_a_purchase_received_the_next_month_books_in_that_month(books):
    key = f"purchases:{SUPPLIER[0]}:33:88004"
    assert key not in {e["source_key"] for e in books["august_entries"]}
    [entry] = [e for e in books["september_entries"] if e["source_key"] == key]
    assert entry["entry_date"] == "2026-09-02"
    assert {(x["account_code"], x["debit"], x["credit"]) for x in entry["lines"]} == {
        ("410230", 40_000, 0), ("110710", 7_600, 0), ("210210", 0, 47_600)}


def test_the_closed_month_reconciles_with_zero_differences(books):
    assert books["close"]["status"] == "closed"
    report = books["august_reconciliation"]
    assert report["balanced"] is True, report["differences"]
    assert report["differences"] == []
    assert sum(line["invoicing"]["count"] for line in report["lines"]) == len(AUGUST_DOCUMENTS)
    for line in report["lines"]:
        assert line["invoicing"] == line["posted"]
        assert line["difference"] == {"count": 0, "total": 0}
    rows = list(csv.DictReader(io.StringIO(books["august_reconciliation_csv"])))
    assert {r["row"] for r in rows} == {"line"}


def test_reports_come_as_csv_and_with_running_balances(books):
    journal = list(csv.DictReader(io.StringIO(books["journal_csv"])))
    assert {r["number"] for r in journal} == {str(e["number"]) for e in books["august_entries"]}
    ledger = books["ledger"]
    assert ledger["opening_balance"] == 0
    assert ledger["lines"][-1]["balance"] == ledger["closing_balance"]
    clients = {r["rut"]: r for r in books["clients"]["rows"]}
    # Customer: 119.000 + 90.300 + 50.000 + 11.900 − 23.800 − 119.000 collected.
    assert clients[CUSTOMER[0]]["balance"] == 128_400


def test_a_broken_document_shows_exactly_that_difference(books):
    assert books["september_confirm"]["held"] == 1
    report = books["september_reconciliation"]
    assert report["balanced"] is False
    [difference] = report["differences"]
    assert (difference["dte_type"], difference["folio"], difference["status"]) == (
        33, BROKEN["folio"], "held")
    assert difference["invoicing_total"] == 99_999 and difference["books_total"] is None
    assert "but the total is $99.999" in difference["reason"]
    [line] = report["lines"]
    assert line["difference"] == {"count": 1, "total": 99_999}


def test_september_balances_open_with_august_and_tie_with_the_ledger(books):
    report = books["september_balance"]
    rows = {r["account_code"]: r for r in report["rows"]}
    # Clientes owed in August: the customer 128.400 (above), the export customer
    # 1.000.000 + 50.000 − 20.000, the final consumer 680 + 5.000 and the suplementero
    # 239.500; then September's factura 1100 of 47.600.
    august = 128_400 + 1_030_000 + 5_680 + 239_500
    clientes = rows["110310"]
    assert (clientes["opening_balance"], clientes["debit"], clientes["credit"],
            clientes["closing_balance"]) == (august, 47_600, 0, august + 47_600)
    assert clientes["debit_balance"] == 1_451_180
    # IVA DF: August's, then September's 7.600 (the broken document is held).
    assert rows["210710"]["opening_balance"] == -SALES_IVA
    assert rows["210710"]["closing_balance"] == -(SALES_IVA + 7_600)
    # IVA CF: August's, then the 7.600 of the purchase issued 31 August, received 2 September.
    assert (rows["110710"]["opening_balance"], rows["110710"]["closing_balance"]) == (
        PURCHASES_IVA, PURCHASES_IVA + 7_600)
    # Accounts that only carry August's balance are in the report too.
    assert rows["210745"]["opening_balance"] == rows["210745"]["closing_balance"] == -1_500
    for code, ledger in books["september_ledgers"].items():
        assert (rows[code]["opening_balance"], rows[code]["closing_balance"]) == (
            ledger["opening_balance"], ledger["closing_balance"]), code
    totals = report["totals"]
    assert totals["opening_balance"] == totals["closing_balance"] == 0
    assert totals["debit"] == totals["credit"] == 47_600 + 47_600  # the sale, the purchase
    assert totals["debit_balance"] == totals["credit_balance"]
    clients = {r["rut"]: r for r in books["september_clients"]["rows"]}
    assert (clients[CUSTOMER[0]]["opening_balance"], clients[CUSTOMER[0]]["balance"]) == (
        128_400, 176_000)
    assert books["september_clients"]["totals"]["closing_balance"] == \
        books["september_ledgers"]["110310"]["closing_balance"]


def test_the_balance_tributario_of_the_year_balances_its_pairs(books):
    report = books["tributario"]
    assert (report["from"], report["to"]) == ("2026-01-01", SEPTEMBER[1])
    rows = {r["account_code"]: r for r in report["rows"]}
    assert rows["110310"]["assets"] == 1_451_180  # no earlier year: the year is all of it
    assert rows["210710"]["liabilities"] == SALES_IVA + 7_600
    assert rows["110710"]["assets"] == PURCHASES_IVA + 7_600
    assert rows["210745"]["liabilities"] == 1_500
    assert rows["310125"]["gains"] == 1_000_000 + 50_000 - 20_000  # exportaciones
    sums, result, totals = report["sums"], report["result"], report["totals"]
    assert result["amount"] == sums["gains"] - sums["losses"]
    for left, right in (("debit", "credit"), ("debit_balance", "credit_balance"),
                        ("assets", "liabilities"), ("losses", "gains")):
        assert totals[left] == totals[right], (left, right)
    lines = list(csv.reader(io.StringIO(books["tributario_csv"])))
    assert [line[1] for line in lines[-3:]] == ["Sumas", result["label"], "Totales"]
    assert lines[-1][2:] == [str(totals[c]) for c in (
        "debit", "credit", "debit_balance", "credit_balance", "assets", "liabilities",
        "losses", "gains")]
