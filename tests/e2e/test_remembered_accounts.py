"""The account a person chose, remembered (issue 14, item 12), through the three services
as real processes: in August the accountant changes a supplier's invoice to 410190 Cargos
Bancarios and confirms; September's sync proposes 410190 for that supplier, saying why,
and the default for another; once forgotten, October's is back to the default."""

import random

import pytest

from deploy.local.client import FlowClient, integrate, wait_for
from shared.rut import format_rut, rut_from_number
from tests.support.stacks import module_stack

pytestmark = pytest.mark.e2e

BANK = (rut_from_number(97036000), "Banco del Estado de Chile")
SUPPLIER = (rut_from_number(96512345), "Distribuidora del Sur S.A.")
SETTINGS = {
    "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
    "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
}
MONTHS = {"08": ("2026-08-01", "2026-08-31"), "09": ("2026-09-01", "2026-09-30"),
          "10": ("2026-10-01", "2026-10-31")}


def purchase(folio, day, party, net):
    vat = net * 19 // 100  # the amounts below are multiples of 100: exact
    return {"direction": "purchases", "dte_type": 33, "folio": folio,
            "issue_date": f"2026-{day}", "counterparty": {"rut": party[0], "name": party[1]},
            "net": net, "exempt": 0, "vat": vat, "total": net + vat}


# Amounts by hand: IVA 19 % of the neto.
AUGUST = [purchase(5001, "08-05", BANK, 12_000),  # comisiones: IVA 2.280, total 14.280
          purchase(7001, "08-06", SUPPLIER, 100_000)]  # IVA 19.000, total 119.000
SEPTEMBER = [purchase(5002, "09-05", BANK, 15_000),  # IVA 2.850, total 17.850
             purchase(7002, "09-07", SUPPLIER, 40_000)]  # IVA 7.600, total 47.600
OCTOBER = [purchase(5003, "10-05", BANK, 9_000)]  # IVA 1.710, total 10.710

stack = module_stack("e2e_remembered")


@pytest.fixture(scope="module")
def months(stack):
    client = FlowClient(stack.invoicing_url, stack.accounting_url)
    try:
        yield run(client)
    except Exception as error:
        tails = "\n".join(stack.log_tail(s, 60) for s in stack.services)
        raise AssertionError(f"{error}\n{tails}") from error
    finally:
        client.close()


def reviewed(client: FlowClient, company_id: str, month: str) -> tuple[str, dict]:
    sync = client.start_sync(company_id, *MONTHS[month])
    wait_for(lambda: client.sync(sync["id"]), lambda s: s["status"] == "in_review",
             what=f"the 2026-{month} sync to reach review", timeout=60)
    return sync["id"], {d["document"]["folio"]: d for d in client.sync_documents(sync["id"])}


def run(client: FlowClient) -> dict:
    out: dict = {}
    rng = random.Random()
    company_rut = rut_from_number(rng.randint(76_000_000, 76_999_999))
    contract_rut = rut_from_number(rng.randint(78_000_000, 78_999_999))
    client.create_company(company_rut, "Comercial Las Lilas SpA")
    for document in AUGUST:
        client.record_document(company_rut, **document)
    company_id = out["company_id"] = integrate(client, company_rut, contract_rut,
                                               "Comercial Las Lilas SpA", SETTINGS)
    memory = f"/v1/companies/{company_id}/remembered-accounts"
    bank = f"{memory}/purchases/{BANK[0]}"

    # August: the bank's commission is not a purchase of goods; the accountant says so.
    sync_id, august = reviewed(client, company_id, "08")
    out["august_proposed"] = august
    out["august_changed"] = client.change_detail_account(sync_id, august[5001]["id"],
                                                         "410190")
    out["august_confirm"] = client.confirm(sync_id)
    out["august_entries"] = client.entries(company_id, *MONTHS["08"])
    out["memory_after_august"] = client.call(client.accounting, "GET", memory)

    # September: proposed with what was remembered, without anyone touching it.
    for document in SEPTEMBER:
        client.record_document(company_rut, **document)
    sync_id, september = reviewed(client, company_id, "09")
    out["september_proposed"] = september
    out["september_confirm"] = client.confirm(sync_id)
    out["september_entries"] = client.entries(company_id, *MONTHS["09"])

    # Forgotten: October's commission is back to the default.
    out["forget"] = client.accounting.delete(bank).status_code
    out["after_forget"] = client.accounting.get(bank)
    for document in OCTOBER:
        client.record_document(company_rut, **document)
    _, october = reviewed(client, company_id, "10")
    out["october_proposed"] = october
    return out


def detail_line(item: dict) -> tuple[str, int, int]:
    [line] = [(x["account_code"], x["debit"], x["credit"]) for x in item["entry"]["lines"]
              if x["role"] == "detail"]
    return line


def lines_of(entries: list[dict], folio: int) -> list[tuple[str, int, int]]:
    [entry] = [e for e in entries if f" {folio}" in e["glosa"]]
    return [(x["account_code"], x["debit"], x["credit"]) for x in entry["lines"]]


def test_august_proposes_the_default_and_posts_the_choice(months):
    august = months["august_proposed"]
    assert {f: (d["account_source"], detail_line(d)) for f, d in august.items()} == {
        5001: ("settings", ("410230", 12_000, 0)), 7001: ("settings", ("410230", 100_000, 0))}
    assert months["august_changed"]["account_source"] == "chosen"
    assert months["august_confirm"]["posted"] == 2
    assert sorted(lines_of(months["august_entries"], 5001)) == [
        ("110710", 2_280, 0), ("210210", 0, 14_280), ("410190", 12_000, 0)]


def test_the_confirmed_choice_is_remembered_for_that_supplier(months):
    [remembered] = months["memory_after_august"]["items"]
    assert (remembered["direction"], remembered["counterparty_rut"],
            remembered["counterparty_name"], remembered["account_code"],
            remembered["account_name"], remembered["origin"]) == (
        "purchases", BANK[0], BANK[1], "410190", "Cargos Bancarios", "review")


def test_september_proposes_it_for_that_supplier_saying_why(months):
    september = months["september_proposed"]
    bank, supplier = september[5002], september[7002]
    assert bank["status"] == "ready" and bank["account_source"] == "remembered"
    assert detail_line(bank) == ("410190", 15_000, 0)
    assert (f"detail account 410190 'Cargos Bancarios' remembered for {format_rut(BANK[0])} "
            "(purchases), chosen on" in bank["note"])
    assert (supplier["account_source"], detail_line(supplier)) == (
        "settings", ("410230", 40_000, 0))
    assert months["september_confirm"]["posted"] == 2
    assert sorted(lines_of(months["september_entries"], 5002)) == [
        ("110710", 2_850, 0), ("210210", 0, 17_850), ("410190", 15_000, 0)]
    assert sorted(lines_of(months["september_entries"], 7002)) == [
        ("110710", 7_600, 0), ("210210", 0, 47_600), ("410230", 40_000, 0)]


def test_forgotten_it_is_back_to_the_default(months):
    assert months["forget"] == 204
    assert months["after_forget"].status_code == 404
    october = months["october_proposed"][5003]
    assert october["account_source"] == "settings"
    assert detail_line(october) == ("410230", 9_000, 0)
    assert "remembered" not in (october["note"] or "")
