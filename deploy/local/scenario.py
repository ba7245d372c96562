"""The whole flow of DESIGN.md §3 with sample data, through both public APIs.

`make demo` prints it; the end-to-end test runs the same scenario and checks every number.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deploy.local.client import ApiError, FlowClient, wait_for
from shared.rut import format_rut, rut_from_number

MONTH_FROM, MONTH_TO = "2026-10-01", "2026-10-31"

CUSTOMER_A = (rut_from_number(77777777), "Comercial Los Andes SpA")
CUSTOMER_B = (rut_from_number(76123456), "Constructora Pacífico Ltda.")
SUPPLIER_A = (rut_from_number(97975000), "Distribuidora Central S.A.")
SUPPLIER_B = (rut_from_number(79654321), "Servicios Notariales Ltda.")

SETTINGS = {
    "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
    "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
    "payments_account": "110102",
    "collections_account": "110102",
}


def _doc(direction: str, dte_type: int, folio: int, day: str, party: tuple[str, str], *,
         net: int = 0, exempt: int = 0, vat: int = 0, references: list | None = None) -> dict:
    return {
        "direction": direction, "dte_type": dte_type, "folio": folio, "issue_date": day,
        "counterparty": {"rut": party[0], "name": party[1]},
        "net": net, "exempt": exempt, "vat": vat, "total": net + exempt + vat,
        "references": references or [],
    }


SAMPLE_DOCUMENTS = [
    _doc("sales", 33, 1001, "2026-10-03", CUSTOMER_A, net=100_000, vat=19_000),
    _doc("sales", 34, 2001, "2026-10-10", CUSTOMER_B, exempt=50_000),
    _doc("sales", 61, 501, "2026-10-20", CUSTOMER_A, net=20_000, vat=3_800,
         references=[{"dte_type": 33, "folio": 1001, "issue_date": "2026-10-03", "code": 3,
                      "reason": "descuento por volumen"}]),
    _doc("sales", 33, 1002, "2026-10-25", CUSTOMER_B, net=250_000, vat=47_500),
    _doc("purchases", 33, 88001, "2026-10-05", SUPPLIER_A, net=80_000, vat=15_200),
    _doc("purchases", 34, 3001, "2026-10-12", SUPPLIER_B, exempt=30_000),
    _doc("purchases", 61, 9001, "2026-10-28", SUPPLIER_A, net=10_000, vat=1_900,
         references=[{"dte_type": 33, "folio": 88001, "code": 3}]),
    # November: outside the synchronised range, so it must not appear in October's books.
    _doc("sales", 33, 1003, "2026-11-02", CUSTOMER_A, net=40_000, vat=7_600),
]
RESERVICED_FOLIO = 1002  # its detail account is changed to Ventas de Servicios in review
SERVICES_ACCOUNT = "310120"


@dataclass
class Outcome:
    company_rut: str = ""
    contract_rut: str = ""
    company_id: str = ""
    conflict_detail: str = ""
    approve_in_conflict_status: int = 0
    missing_before_settings: list[str] = field(default_factory=list)
    connect_refused_detail: str = ""
    invalid_settings_errors: list[dict] = field(default_factory=list)
    first_sync: dict = field(default_factory=dict)
    first_documents: list[dict] = field(default_factory=list)
    confirm_summary: dict = field(default_factory=dict)
    entries: list[dict] = field(default_factory=list)
    trial_balance: dict = field(default_factory=dict)
    second_documents: list[dict] = field(default_factory=list)
    second_confirm_summary: dict = field(default_factory=dict)
    entries_after_second_sync: list[dict] = field(default_factory=list)


def run_scenario(client: FlowClient, say: Callable[[str], Any] = lambda _: None,
                 *, timeout: float = 60.0) -> Outcome:
    out = Outcome()
    rng = random.Random()
    out.company_rut = rut_from_number(rng.randint(76_000_000, 76_999_999))
    out.contract_rut = rut_from_number(rng.randint(78_000_000, 78_999_999))
    name = "Ferretería El Martillo SpA"

    say(f"1. Invoicing: company {format_rut(out.company_rut)} records "
        f"{len(SAMPLE_DOCUMENTS)} documents")
    client.create_company(out.company_rut, name)
    for document in SAMPLE_DOCUMENTS:
        client.record_document(out.company_rut, **document)

    say(f"2. Accounting: contract {format_rut(out.contract_rut)} with the company twice")
    client.create_contract(out.contract_rut, "Contadores Asociados Ltda.")
    company = client.add_company(out.contract_rut, out.company_rut, name)
    duplicate = client.add_company(out.contract_rut, out.company_rut, f"{name} (copia)")
    out.company_id = company["id"]

    say("3. Invoicing asks to integrate with the contract holder RUT")
    client.request_integration(out.company_rut, out.contract_rut)
    request = wait_for(
        lambda: client.integration_requests(out.contract_rut),
        lambda reqs: bool(reqs) and reqs[0]["status"] == "conflict",
        what="the integration request to arrive in conflict", timeout=timeout)[0]
    out.conflict_detail = request["detail"]
    say(f"   conflict: {out.conflict_detail}")
    wait_for(lambda: client.integration_status(out.company_rut),
             lambda s: s["status"] == "conflict", what="invoicing to see the conflict",
             timeout=timeout)
    try:
        client.approve(request["id"], out.company_id)
    except ApiError as error:
        out.approve_in_conflict_status = error.status

    say("4. Hide the duplicate company, then approve")
    client.hide_company(duplicate["id"])
    wait_for(lambda: client.integration_requests(out.contract_rut),
             lambda reqs: reqs[0]["status"] == "pending", what="the request to be pending",
             timeout=timeout)
    client.approve(request["id"], out.company_id)
    wait_for(lambda: client.integration_status(out.company_rut),
             lambda s: s["status"] == "approved", what="invoicing to learn the approval",
             timeout=timeout)

    say("5. Connect is refused until the default accounts are set")
    connector = client.integrations(out.company_id)[0]
    out.missing_before_settings = connector["missing"]
    say(f"   missing: {'; '.join(out.missing_before_settings)}")
    try:
        client.start_sync(out.company_id, MONTH_FROM, MONTH_TO)
    except ApiError as error:
        out.connect_refused_detail = str(error.body.get("detail"))
    try:
        client.put_settings(out.company_id, {
            **SETTINGS, "sales": {"auxiliary_account": "310115", "detail_account": "110310"}})
    except ApiError as error:
        out.invalid_settings_errors = error.body.get("errors", [])
    client.put_settings(out.company_id, SETTINGS)
    assert client.integrations(out.company_id)[0]["can_connect"]

    say(f"6. Connect and synchronise {MONTH_FROM} … {MONTH_TO}")
    sync = client.start_sync(out.company_id, MONTH_FROM, MONTH_TO)
    out.first_sync = wait_for(
        lambda: client.sync(sync["id"]), lambda s: s["status"] == "in_review",
        what="the sync to reach review", timeout=timeout,
        on_progress=lambda s: say(f"   {s['status']}: {s['received']} of "
                                  f"{s['expected'] if s['expected'] is not None else '?'}"))
    out.first_documents = client.sync_documents(sync["id"])

    say(f"7. Review: folio {RESERVICED_FOLIO} goes to Ventas de Servicios; confirm")
    target = next(d for d in out.first_documents
                  if d["document"]["folio"] == RESERVICED_FOLIO)
    client.change_detail_account(sync["id"], target["id"], SERVICES_ACCOUNT)
    out.confirm_summary = client.confirm(sync["id"])
    out.entries = client.entries(out.company_id, MONTH_FROM, MONTH_TO)
    out.trial_balance = client.trial_balance(out.company_id, MONTH_FROM, MONTH_TO)

    say("8. Synchronise the same month again: nothing is posted twice")
    again = client.start_sync(out.company_id, MONTH_FROM, MONTH_TO)
    wait_for(lambda: client.sync(again["id"]), lambda s: s["status"] == "in_review",
             what="the second sync to reach review", timeout=timeout)
    out.second_documents = client.sync_documents(again["id"])
    out.second_confirm_summary = client.confirm(again["id"])
    out.entries_after_second_sync = client.entries(out.company_id, MONTH_FROM, MONTH_TO)
    return out
