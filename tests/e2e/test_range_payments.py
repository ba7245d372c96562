"""Payments and collections recorded before the company was connected reach accounting
with a range sync (issue 14, item 11), through the three services as real processes: they
are reviewed with the documents (one whose factura accounting never got waits, saying
so), confirming posts them after the documents, and each payment is one entry however it
came: live, in the sync, delivered again, or in a second sync over the same dates."""

import random

import aio_pika
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from deploy.local.client import FlowClient, integrate, wait_for
from shared.events import PaymentRecorded
from shared.rut import rut_from_number
from tests.support.broker import first_messages
from tests.support.stacks import module_stack

pytestmark = pytest.mark.e2e

OCTOBER = ("2026-10-01", "2026-10-31")
OVERLAP = ("2026-10-15", "2026-11-15")
CUSTOMER = {"rut": rut_from_number(77777777), "name": "Comercial Los Andes SpA"}
SUPPLIER = {"rut": rut_from_number(97975000), "name": "Distribuidora Central S.A."}
SETTINGS = {
    "sales": {"auxiliary_account": "110310", "detail_account": "310115"},
    "purchases": {"auxiliary_account": "210210", "detail_account": "410230"},
    "payments_account": "110102",  # Banco
    "collections_account": "110101",  # Caja
}


def doc(direction, folio, day, party, net):
    vat = round(net * 0.19)
    return {"direction": direction, "dte_type": 33, "folio": folio,
            "issue_date": f"2026-{day}", "counterparty": party, "net": net, "exempt": 0,
            "vat": vat, "total": net + vat}


def payment(kind, amount, day, folio):
    return {"kind": kind, "counterparty": CUSTOMER if kind == "collection" else SUPPLIER,
            "amount": amount, "paid_on": f"2026-{day}",
            "documents": [{"dte_type": 33, "folio": folio}]}


DOCUMENTS = [
    doc("sales", 1001, "10-05", CUSTOMER, 100_000),  # IVA 19.000: 119.000
    doc("sales", 1002, "10-06", CUSTOMER, 20_000),  # IVA 3.800: 23.800
    doc("purchases", 88001, "10-07", SUPPLIER, 80_000),  # IVA 15.200: 95.200
]
# Recorded before the company is connected: no live event ever carried them.
BEFORE = {
    "collection": payment("collection", 119_000, "10-20", 1001),
    "payment": payment("payment", 95_200, "10-25", 88001),
    "orphan": payment("collection", 5_000, "10-27", 999),  # a factura invoicing never had
}
LIVE = payment("collection", 23_800, "10-30", 1002)  # recorded once connected

stack = module_stack("e2e_range_payments")


def in_review(client, sync_id):
    return wait_for(lambda: client.sync(sync_id), lambda s: s["status"] == "in_review",
                    what=f"sync {sync_id} to reach review", timeout=60)


def handed_over(accounting_url: str) -> float:
    """How many proposal batches accounting has answered 200 (its /metrics)."""
    text = httpx.get(f"{accounting_url}/metrics", timeout=5).text
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == "dte_http_requests_total"
               and sample.labels.get("route") == "/internal/v1/proposals"
               and sample.labels.get("status") == "200")


def by_payment(documents) -> dict[str, dict]:
    return {d["payment"]["payment_id"]: d for d in documents if d["payment"]}


def lines_of(entry) -> list[tuple]:
    return [(x["account_code"], x["debit"], x["credit"], x["counterparty_rut"])
            for x in entry["lines"]]


async def test_payments_recorded_before_connecting_post_once_with_a_range_sync(stack,
                                                                              topology):
    client = FlowClient(stack.invoicing_url, stack.accounting_url, timeout=60)
    connection = await aio_pika.connect(stack.amqp_url)
    try:
        await flow(stack, topology, client, connection)
    except Exception as error:
        tails = "\n".join(stack.log_tail(s, 60) for s in stack.services)
        raise AssertionError(f"{error}\n{tails}") from error
    finally:
        await connection.close()
        client.close()


async def flow(stack, topology, client: FlowClient, connection) -> None:
    rng = random.Random()
    company_rut = rut_from_number(rng.randint(76_000_000, 76_999_999))
    contract_rut = rut_from_number(rng.randint(78_000_000, 78_999_999))
    client.create_company(company_rut, "Botillería El Roble SpA")
    for document in DOCUMENTS:
        client.record_document(company_rut, **document)
    ids = {name: client.record_payment(company_rut, **body)["id"]
           for name, body in BEFORE.items()}

    company_id = integrate(client, company_rut, contract_rut, "Botillería El Roble SpA",
                           SETTINGS)

    # Connected now: a new collection goes live (a copy of its event is kept to replay).
    channel = await connection.channel(publisher_confirms=True)
    exchange = await topology.declare_exchange(channel)
    probe = await topology.declare_queue(channel, "probe-payments",
                                         [PaymentRecorded.event_type])
    ids["live"] = client.record_payment(company_rut, **LIVE)["id"]
    [live_event] = await first_messages(
        probe, lambda payload: getattr(payload, "payment_id", None) == ids["live"], 1)
    [live] = wait_for(lambda: client.syncs(company_id, kind="live"),
                      lambda s: bool(s) and s[0]["received"] == 1,
                      what="the live collection to reach the live session", timeout=60)

    # October: the documents, and every payment paid in it (the live one too).
    sync = client.start_sync(company_id, *OCTOBER)
    review = in_review(client, sync["id"])
    assert (review["expected"], review["received"]) == (3 + 4, 7)
    assert (review["ready"], review["held"]) == (6, 1)
    documents = client.sync_documents(sync["id"])
    assert {d["document"]["folio"]: d["status"] for d in documents if d["document"]} == {
        1001: "ready", 1002: "ready", 88001: "ready"}
    payments = by_payment(documents)
    assert {name: payments[i]["status"] for name, i in ids.items()} == {
        "collection": "ready", "payment": "ready", "orphan": "held", "live": "ready"}
    assert payments[ids["orphan"]]["hold_reason"].startswith(
        "it settles tipo 33 N° 999, which is neither in this sync nor posted in the books")
    assert payments[ids["collection"]]["payment"]["amount"] == 119_000

    confirmed = client.confirm(sync["id"])
    assert (confirmed["posted"], confirmed["held"], confirmed["already_posted"]) == (6, 1, 0)
    # The live session's copy of the live collection: already posted, skipped.
    confirmed = client.confirm(live["id"])
    assert (confirmed["posted"], confirmed["already_posted"]) == (0, 1)

    # The live event replayed (as from a dead-letter queue: a new message id).
    before = handed_over(stack.accounting_url)
    await exchange.publish(
        aio_pika.Message(live_event.body, message_id=f"{live_event.message_id}-replayed",
                         type=live_event.type, content_type=live_event.content_type,
                         correlation_id=live_event.correlation_id,
                         user_id=live_event.user_id),  # invoicing's, as published
        routing_key=PaymentRecorded.event_type)
    wait_for(lambda: handed_over(stack.accounting_url), lambda n: n > before,
             what="the worker to hand the replayed collection over", timeout=60)
    assert [s["received"] for s in client.syncs(company_id, kind="live")] == [1]

    # A second sync over half of October and into November: the same four payments.
    second = client.start_sync(company_id, *OVERLAP)
    review = in_review(client, second["id"])
    assert (review["expected"], review["already_posted"], review["held"]) == (4, 3, 1)
    confirmed = client.confirm(second["id"])
    assert (confirmed["posted"], confirmed["already_posted"], confirmed["held"]) == (0, 3, 1)

    entries = client.entries(company_id, OCTOBER[0], OVERLAP[1])
    keys = [e["source_key"] for e in entries]
    assert len(keys) == len(set(keys)) == 3 + 3
    paid = {e["source_key"]: e for e in entries if e["kind"] != "traspaso"}
    assert set(paid) == {f"payment:{ids[n]}" for n in ("collection", "payment", "live")}
    # DESIGN §6: ingreso Caja / Clientes (the customer's RUT), egreso Proveedores / Banco.
    assert paid[f"payment:{ids['collection']}"]["kind"] == "ingreso"
    assert lines_of(paid[f"payment:{ids['collection']}"]) == [
        ("110101", 119_000, 0, None), ("110310", 0, 119_000, CUSTOMER["rut"])]
    assert paid[f"payment:{ids['payment']}"]["kind"] == "egreso"
    assert lines_of(paid[f"payment:{ids['payment']}"]) == [
        ("210210", 95_200, 0, SUPPLIER["rut"]), ("110102", 0, 95_200, None)]
    assert lines_of(paid[f"payment:{ids['live']}"]) == [
        ("110101", 23_800, 0, None), ("110310", 0, 23_800, CUSTOMER["rut"])]
    # Payments after the documents: comprobantes 1-3 are the facturas.
    numbers = {e["source_key"]: e["number"] for e in entries}
    assert max(numbers[k] for k in keys if not k.startswith("payment:")) < min(
        numbers[k] for k in paid)
    # The facturas are settled: Clientes 119.000 + 23.800 debited and credited, Proveedores
    # 95.200; Caja holds 142.800, Banco paid out 95.200.
    trial = {r["account_code"]: r for r in client.trial_balance(company_id, OCTOBER[0],
                                                                 OVERLAP[1])["rows"]}
    assert (trial["110310"]["debit"], trial["110310"]["credit"]) == (142_800, 142_800)
    assert (trial["210210"]["debit"], trial["210210"]["credit"]) == (95_200, 95_200)
    assert (trial["110101"]["debit"], trial["110101"]["credit"]) == (142_800, 0)
    assert (trial["110102"]["debit"], trial["110102"]["credit"]) == (0, 95_200)
