"""A month of the tax cases real documents bring (issue 14), through the three services as
real processes, every amount computed by hand: IVA that is not crédito fiscal (no
recuperable, uso común, activo fijo), an export in dollars, a supplier's factura whose IVA
is a peso off, a nota de crédito that annuls a boleta, a customer's factura de compra
(items 1–4); a purchase received the month after it was issued (6); a payment and a
collection recorded before the company was connected, carried by the range sync (11); and
the account the accountant chose for the bank's commission, proposed again in November
(12). Each entry is checked line by line, then the trial balance and the reconciliation."""

import random
from collections import defaultdict

import pytest

from deploy.local.client import FlowClient, integrate, wait_for
from shared.rut import FINAL_CONSUMER_RUT, rut_from_number
from tests.support.stacks import module_stack

pytestmark = pytest.mark.e2e

OCTOBER = ("2026-10-01", "2026-10-31")
NOVEMBER = ("2026-11-01", "2026-11-30")

CUSTOMER = (rut_from_number(77654321), "Supermercados del Sur SpA")
EXPORT_CUSTOMER = (rut_from_number(59234567), "Pacific Foods LLC")
SUPPLIER = (rut_from_number(96543210), "Ferretería Industrial S.A.")
BANK = (rut_from_number(97036000), "Banco del Estado de Chile")
FINAL_CONSUMER = (FINAL_CONSUMER_RUT, "Consumidor final")

SETTINGS = {
    "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
    "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
    "payments_account": "110102",
    "collections_account": "110102",
    "fixed_asset_account": "120110",
}


def doc(direction, dte_type, folio, day, party, *, net=0, exempt=0, vat=0, total=None,
        vat_retained=0, **extra):
    return {
        "direction": direction, "dte_type": dte_type, "folio": folio,
        "issue_date": f"2026-10-{day:02d}", "counterparty": {"rut": party[0], "name": party[1]},
        "net": net, "exempt": exempt, "vat": vat,
        "total": net + exempt + vat - vat_retained if total is None else total,
        "vat_retained": vat_retained, **extra,
    }


def breakdown(**columns):
    return {"recoverable": 0, "non_recoverable": 0, "common_use": 0, "fixed_asset_net": 0,
            "fixed_asset_vat": 0, "without_credit": 0, **columns}


# (document, its entry by hand: account → (debit, credit)).
CASES = {
    # Item 1: IVA no recuperable (code 3, gastos rechazados) is cost, not crédito fiscal.
    "non_recoverable": (
        doc("purchases", 33, 5001, 2, SUPPLIER, net=100_000, vat=19_000,
            vat_breakdown=breakdown(non_recoverable=19_000, non_recoverable_code=3)),
        {"410230": (119_000, 0), "210210": (0, 119_000)}),
    # Item 1: IVA uso común to its own account; the month-end proportion is the accountant's.
    "common_use": (
        doc("purchases", 33, 5002, 3, SUPPLIER, net=50_000, vat=9_500,
            vat_breakdown=breakdown(common_use=9_500)),
        {"410230": (50_000, 0), "110730": (9_500, 0), "210210": (0, 59_500)}),
    # Item 1: activo fijo: the neto to the settings' fixed-asset account, its IVA is crédito.
    "fixed_asset": (
        doc("purchases", 33, 5003, 5, SUPPLIER, net=1_000_000, vat=190_000,
            vat_breakdown=breakdown(recoverable=190_000, fixed_asset_net=1_000_000,
                                    fixed_asset_vat=190_000)),
        {"120110": (1_000_000, 0), "110710": (190_000, 0), "210210": (0, 1_190_000)}),
    # Item 2: USD 1.000 at $950,5 is $950.500 in the books.
    "export": (
        doc("sales", 110, 7001, 6, EXPORT_CUSTOMER, exempt=950_500,
            foreign_currency={"currency": "DOLAR USA", "total": "1000.00",
                              "exchange_rate": "950.5"}),
        {"110310": (950_500, 0), "310125": (0, 950_500)}),
    # Item 3: round(10.001 × 19 %) is 1.900; the supplier states 1.901 (line rounding).
    "rounded_vat": (
        doc("purchases", 33, 5004, 8, SUPPLIER, net=10_001, vat=1_901),
        {"410230": (10_001, 0), "110710": (1_901, 0), "210210": (0, 11_902)}),
    "boleta": (
        doc("sales", 39, 3001, 9, FINAL_CONSUMER, total=680),
        {"110310": (680, 0), "310115": (0, 571), "210710": (0, 109)}),
    # Item 3: a nota de crédito that annuls the boleta: neto 571, IVA 109.
    "boleta_annulled": (
        doc("sales", 61, 601, 10, FINAL_CONSUMER, net=571, vat=109,
            references=[{"dte_type": 39, "folio": 3001, "code": 1}]),
        {"310115": (571, 0), "210710": (109, 0), "110310": (0, 680)}),
    # Item 4: a customer's 46 to the company (IVA retained in full) is a sale.
    "customer_46": (
        doc("sales", 46, 9201, 12, CUSTOMER, net=200_000, vat=38_000, vat_retained=38_000),
        {"110310": (200_000, 0), "310115": (0, 200_000)}),
    # Item 6: issued 30 October, received 3 November: its crédito (and entry) is November's.
    "received_next_month": (
        doc("purchases", 33, 5005, 30, SUPPLIER, net=40_000, vat=7_600,
            received_on="2026-11-03"),
        {"410230": (40_000, 0), "110710": (7_600, 0), "210210": (0, 47_600)}),
    # Item 12: the bank's commission, changed in review to 410190 Cargos Bancarios.
    "bank_commission": (
        doc("purchases", 33, 8101, 15, BANK, net=12_000, vat=2_280),
        {"410190": (12_000, 0), "110710": (2_280, 0), "210210": (0, 14_280)}),
}
CHOSEN = {(33, 8101): "410190"}

# Item 11: paid before the company was connected; the range sync carries them.
PAYMENTS = [
    {"kind": "collection", "counterparty": {"rut": CUSTOMER[0], "name": CUSTOMER[1]},
     "amount": 200_000, "paid_on": "2026-10-20", "documents": [{"dte_type": 46, "folio": 9201}]},
    {"kind": "payment", "counterparty": {"rut": SUPPLIER[0], "name": SUPPLIER[1]},
     "amount": 11_902, "paid_on": "2026-10-22", "documents": [{"dte_type": 33, "folio": 5004}]},
]
PAYMENT_ENTRIES = {  # kind → its entry by hand
    "ingreso": {"110102": (200_000, 0), "110310": (0, 200_000)},
    "egreso": {"210210": (11_902, 0), "110102": (0, 11_902)},
}
NOVEMBER_COMMISSION = doc("purchases", 33, 8102, 0, BANK, net=15_000, vat=2_850) | {
    "issue_date": "2026-11-05"}


stack = module_stack("e2e_tax_month")


@pytest.fixture(scope="module")
def month(stack):
    client = FlowClient(stack.invoicing_url, stack.accounting_url)
    try:
        yield run_month(client)
    except Exception as error:
        tails = "\n".join(stack.log_tail(s, 60) for s in stack.services)
        raise AssertionError(f"{error}\n{tails}") from error
    finally:
        client.close()


def run_month(client: FlowClient) -> dict:
    out: dict = {}
    rng = random.Random()
    company_rut = rut_from_number(rng.randint(76_000_000, 76_999_999))
    contract_rut = rut_from_number(rng.randint(78_000_000, 78_999_999))
    client.create_company(company_rut, "Conservas del Pacífico SpA")
    for document, _ in CASES.values():
        client.record_document(company_rut, **document)
    for payment in PAYMENTS:
        client.record_payment(company_rut, **payment)

    company_id = integrate(client, company_rut, contract_rut, "Conservas del Pacífico SpA",
                           SETTINGS, contract_name="Contadores del Maule Ltda.")

    sync = client.start_sync(company_id, *OCTOBER)
    wait_for(lambda: client.sync(sync["id"]), lambda s: s["status"] == "in_review",
             what="the October sync to reach review", timeout=60)
    for item in client.sync_documents(sync["id"]):
        if item["document"] and key(item) in CHOSEN:
            client.change_detail_account(sync["id"], item["id"], CHOSEN[key(item)])
    reviewed = client.sync_documents(sync["id"])
    out["documents"] = {key(d): d for d in reviewed if d["document"]}
    out["payments"] = [d for d in reviewed if d["payment"]]
    out["confirm"] = client.confirm(sync["id"])
    out["posted"] = {key(d): d["entry_id"]
                     for d in client.sync_documents(sync["id"]) if d["document"]}
    out["entries"] = client.entries(company_id, OCTOBER[0], NOVEMBER[1])
    out["trial_balance"] = client.trial_balance(company_id, *OCTOBER)
    out["close"] = client.close_period(company_id, "2026-10")
    out["reconciliation"] = client.report(company_id, "reconciliation", month="2026-10")

    # November: the bank's next commission is proposed with the account chosen in October.
    client.record_document(company_rut, **NOVEMBER_COMMISSION)
    sync = client.start_sync(company_id, *NOVEMBER)
    wait_for(lambda: client.sync(sync["id"]), lambda s: s["status"] == "in_review",
             what="the November sync to reach review", timeout=60)
    out["november"] = {key(d): d for d in client.sync_documents(sync["id"])}
    return out


def key(item: dict) -> tuple[int, int]:
    return item["document"]["dte_type"], item["document"]["folio"]


def by_account(lines) -> dict[str, tuple[int, int]]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        sums[line["account_code"]][0] += line["debit"]
        sums[line["account_code"]][1] += line["credit"]
    return {code: (debit, credit) for code, (debit, credit) in sums.items()}


def posted_entry(month, document) -> dict:
    entry_id = month["posted"][(document["dte_type"], document["folio"])]
    [entry] = [e for e in month["entries"] if e["id"] == entry_id]
    return entry


@pytest.mark.parametrize("case", list(CASES))
def test_each_case_posts_what_was_computed_by_hand(month, case):
    document, expected = CASES[case]
    reviewed = month["documents"][(document["dte_type"], document["folio"])]
    assert reviewed["status"] == "ready", reviewed
    assert by_account(reviewed["entry"]["lines"]) == expected  # what review showed
    assert by_account(posted_entry(month, document)["lines"]) == expected


def test_every_document_and_payment_posts_and_nothing_is_held(month):
    assert month["confirm"]["posted"] == len(CASES) + len(PAYMENTS)
    assert month["confirm"]["held"] == 0


def test_the_purchase_received_in_november_books_in_november(month):
    document, _ = CASES["received_next_month"]
    assert posted_entry(month, document)["entry_date"] == "2026-11-03"
    others = [e["entry_date"] for e in month["entries"] if e["entry_date"] >= "2026-11-01"]
    assert others == ["2026-11-03"]


def test_payments_made_before_connecting_come_with_the_range_sync(month):
    assert sorted(p["payment"]["amount"] for p in month["payments"]) == [11_902, 200_000]
    assert {p["status"] for p in month["payments"]} == {"ready"}
    entries = {e["kind"]: e for e in month["entries"] if e["kind"] != "traspaso"}
    assert {kind: by_account(e["lines"]) for kind, e in entries.items()} == PAYMENT_ENTRIES
    assert {e["entry_date"] for e in entries.values()} == {"2026-10-20", "2026-10-22"}


def test_the_closed_month_reconciles_counting_the_late_purchase_in_october(month):
    assert month["close"]["status"] == "closed"
    report = month["reconciliation"]
    assert report["balanced"] is True, report["differences"]
    counted = sum(line["invoicing"]["count"] for line in report["lines"])
    assert counted == len(CASES)  # by issue date: the one received in November included


def test_the_chosen_account_is_proposed_for_the_banks_next_commission(month):
    proposed = month["november"][(33, NOVEMBER_COMMISSION["folio"])]
    assert proposed["account_source"] == "remembered"
    detail = [(x["account_code"], x["debit"]) for x in proposed["entry"]["lines"]
              if x["role"] == "detail"]
    assert detail == [("410190", 15_000)]
    assert "remembered" in proposed["note"] and "410190" in proposed["note"]


def test_the_export_glosa_names_the_currency_and_rate(month):
    document, _ = CASES["export"]
    assert "DOLAR USA 1.000,00 a $950,5" in posted_entry(month, document)["glosa"]


def test_the_rounded_iva_posts_as_stated_with_a_note(month):
    reviewed = month["documents"][(33, CASES["rounded_vat"][0]["folio"])]
    assert reviewed["note"] and "1.901" in reviewed["note"], reviewed


def test_the_trial_balance_holds_credit_apart_from_cost(month):
    rows = {r["account_code"]: r for r in month["trial_balance"]["rows"]}
    totals = month["trial_balance"]["totals"]
    assert totals["debit"] == totals["credit"]
    # Only what is crédito fiscal (the bank's 2.280 among it); not November's 7.600.
    assert rows["110710"]["debit"] == 190_000 + 1_901 + 2_280
    assert rows["110730"]["debit"] == 9_500
    assert rows["120110"]["debit"] == 1_000_000
    assert rows["410230"]["debit"] == 119_000 + 50_000 + 10_001  # not November's 40.000
    assert rows["410190"]["debit"] == 12_000
    assert rows["210710"]["credit"] - rows["210710"]["debit"] == 0  # boleta annulled; 46 retained
    assert "210715" not in rows  # the customer retained the 46's IVA, not the company
