"""A range sync's payments and collections (issue 14, item 11): stored and reviewed with
its documents, held while a document they settle is not in accounting, posted after the
documents as comprobantes de ingreso / egreso, and one entry per payment whichever way
(live or in a sync, delivered again or not) it came."""

from datetime import date

from accounting.service_layer.handlers import handle_event
from shared.events import (
    Counterparty,
    DocumentReference,
    PaymentKind,
    PaymentLine,
    PaymentRecorded,
    SyncCompleted,
    SyncManifest,
)
from tests.integration.accounting.books_support import Books, manifest_of, manifest_pages
from tests.integration.accounting.test_books import lines_of
from tests.integration.accounting.test_paged_manifest import (  # noqa: F401 - fixtures
    accounting,  # on PostgreSQL and on SQLite
    sqlite_accounting,
)
from tests.support.events import incoming

MARCH = ("2024-03-01", "2024-03-31")


def paid(books: Books, payment_id: str, kind: PaymentKind, amount: int, day: date,
         *folios: int) -> PaymentRecorded:
    party = books.customer if kind is PaymentKind.COLLECTION else books.supplier
    return PaymentRecorded(
        payment_id=payment_id, company_rut=books.rut, kind=kind,
        counterparty=Counterparty(rut=party, name="Contraparte Ltda."), amount=amount,
        paid_on=day, documents=tuple(DocumentReference(dte_type=33, folio=f) for f in folios))


def in_sync(books: Books, sync_id: str | None, payment: PaymentRecorded):
    """The proposal the worker makes of a payment: live (sync_id None) or of a sync."""
    return books.payment_proposal(payment).model_copy(update={"sync_id": sync_id})


async def complete(books: Books, sync_id: str, documents, payments) -> None:
    """sync.completed as invoicing sends it now: the documents and, apart, the payments."""
    manifest = manifest_of(documents)
    pages = manifest_pages(sync_id, books.rut, manifest, 10)
    for page in pages:
        await handle_event(books.services.uow, incoming(page))
    lines = {}
    for p in payments:
        count, amount = lines.get(p.kind, (0, 0))
        lines[p.kind] = (count + 1, amount + p.amount)
    await handle_event(books.services.uow, incoming(SyncCompleted(
        sync_id=sync_id, company_rut=books.rut, document_count=len(documents),
        manifest=SyncManifest(lines=manifest.lines), manifest_pages=len(pages),
        payment_count=len(payments),
        payment_lines=tuple(PaymentLine(kind=k, count=c, amount=a)
                            for k, (c, a) in sorted(lines.items())))))


async def test_a_range_sync_posts_its_payments_once_after_their_documents(
        accounting, rut):  # noqa: F811 - the fixture imported above
    client, services = accounting
    books = await Books.connected(client, services, rut)
    sale = books.doc("sales", 33, 1, date(2024, 3, 4), net=100_000)  # IVA 19.000: 119.000
    purchase = books.doc("purchases", 33, 7, date(2024, 3, 6), net=50_000)  # 59.500
    # A collection that went live (the company was connected) and was posted already.
    early = paid(books, "col-early", PaymentKind.COLLECTION, 19_000, date(2024, 3, 5), 1)
    assert (await books.send([in_sync(books, None, early)]))["accepted"] == 1
    [live] = await books.get("/syncs", kind="live")
    assert (await client.post(f"/v1/syncs/{live['id']}/confirm")).json()["posted"] == 1

    rest = paid(books, "col-rest", PaymentKind.COLLECTION, 100_000, date(2024, 3, 20), 1)
    supplier = paid(books, "pay-1", PaymentKind.PAYMENT, 59_500, date(2024, 3, 25), 7)
    orphan = paid(books, "col-orphan", PaymentKind.COLLECTION, 23_800, date(2024, 3, 28), 999)
    payments = [early, rest, supplier, orphan]

    # The payments' page arrives first and the documents' last: the check waits for the
    # whole sync, whatever the order.
    sync_id = await books.start_sync(*MARCH)
    await books.send([in_sync(books, sync_id, p) for p in payments])
    await complete(books, sync_id, [sale, purchase], payments)
    waiting = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (waiting["status"], waiting["expected"], waiting["received"]) == (
        "receiving", 6, 4)
    await books.send([books.proposal(sync_id, sale), books.proposal(sync_id, purchase)])

    review = (await client.get(f"/v1/syncs/{sync_id}")).json()
    assert (review["status"], review["expected"], review["received"]) == ("in_review", 6, 6)
    assert (review["ready"], review["held"], review["already_posted"]) == (4, 1, 1)
    documents = await books.documents(sync_id)
    assert documents["col-early"]["status"] == "already_posted"
    assert documents["col-rest"]["status"] == documents["pay-1"]["status"] == "ready"
    assert documents["col-orphan"]["status"] == "held"
    assert documents["col-orphan"]["hold_reason"].startswith(
        "it settles tipo 33 N° 999, which is neither in this sync nor posted in the books")
    assert documents["col-orphan"]["payment"]["amount"] == 23_800
    # The payments' page delivered again: each is kept once in the session.
    assert await books.send([in_sync(books, sync_id, p) for p in payments]) == {
        "accepted": 0, "duplicates": 4}
    assert (await client.get(f"/v1/syncs/{sync_id}")).json()["received"] == 6

    summary = (await client.post(f"/v1/syncs/{sync_id}/confirm")).json()
    assert (summary["posted"], summary["held"], summary["already_posted"]) == (4, 1, 1)
    entries = await books.entries()
    by_key = {e["source_key"]: e for e in entries}
    # Comprobante 1 is the live collection; then the documents, then the payments.
    assert [e["source_key"] for e in sorted(entries, key=lambda e: e["number"])] == [
        "payment:col-early", sale.document_key, purchase.document_key, "payment:col-rest",
        "payment:pay-1"]
    # DESIGN §6: a collection debits the collections account and credits Clientes (the
    # customer's RUT); a payment debits Proveedores and credits the payments account.
    assert by_key["payment:col-rest"]["kind"] == "ingreso"
    assert lines_of(by_key["payment:col-rest"]) == [("110101", 100_000, 0),
                                                    ("110310", 0, 100_000)]
    assert by_key["payment:col-rest"]["lines"][1]["counterparty_rut"] == books.customer
    assert by_key["payment:pay-1"]["kind"] == "egreso"
    assert lines_of(by_key["payment:pay-1"]) == [("210210", 59_500, 0), ("110102", 0, 59_500)]
    assert by_key["payment:pay-1"]["lines"][0]["counterparty_rut"] == books.supplier
    # The customer's factura of 119.000 is settled by 19.000 + 100.000: Clientes is 0.
    clientes = [(line["debit"], line["credit"]) for e in entries for line in e["lines"]
                if line["account_code"] == "110310"]
    assert sorted(clientes) == [(0, 19_000), (0, 100_000), (119_000, 0)]
    assert sum(debit - credit for debit, credit in clientes) == 119_000 - 19_000 - 100_000 == 0

    # The live event of a payment the sync posted, delivered again or replayed: nothing.
    again = await books.send([in_sync(books, None, rest), in_sync(books, None, supplier)])
    assert again == {"accepted": 0, "duplicates": 2}
    [live] = await books.get("/syncs", kind="live")
    assert live["received"] == 1

    # A second sync over part of the same dates brings them again: shown as already
    # posted, skipped.
    second = await books.start_sync("2024-03-15", "2024-04-15")
    await books.send([in_sync(books, second, p) for p in (rest, supplier)])
    await complete(books, second, [], [rest, supplier])
    summary = (await client.post(f"/v1/syncs/{second}/confirm")).json()
    assert (summary["posted"], summary["held"], summary["already_posted"]) == (0, 0, 2)
    keys = [e["source_key"] for e in await books.entries()]
    assert len(keys) == len(set(keys)) == 5


async def test_a_payment_waits_for_its_document_to_post_then_posts(client, services, rut):
    books = await Books.connected(client, services, rut)
    purchase = books.doc("purchases", 33, 40, date(2024, 3, 8), net=20_000)  # 23.800
    supplier = paid(books, "pay-40", PaymentKind.PAYMENT, 23_800, date(2024, 3, 30), 40)
    outside = paid(books, "pay-late", PaymentKind.PAYMENT, 1_000, date(2024, 4, 2), 40)
    sync_id = await books.start_sync(*MARCH)
    await books.send([books.proposal(sync_id, purchase), in_sync(books, sync_id, supplier),
                      in_sync(books, sync_id, outside)])
    await complete(books, sync_id, [purchase], [supplier, outside])
    documents = await books.documents(sync_id)
    # Its document is in the sync, so it is ready for review.
    assert documents["pay-40"]["status"] == "ready"
    assert documents["pay-late"]["status"] == "held"
    assert "outside the session's range 2024-03-01 to 2024-03-31" in documents["pay-late"][
        "hold_reason"]

    # The document does not post (its month closed meanwhile): neither does its payment.
    await books.post("/periods/2024-03/close")
    summary = (await client.post(f"/v1/syncs/{sync_id}/confirm")).json()
    assert (summary["posted"], summary["held"]) == (0, 3)
    documents = await books.documents(sync_id)
    assert documents["pay-40"]["hold_reason"].startswith(
        "it settles tipo 33 N° 40, which is not posted (held in review")
    assert await books.entries() == []

    # Reopened and confirmed again: the document posts, then its payment, once.
    await books.post("/periods/2024-03/reopen")
    summary = (await client.post(f"/v1/syncs/{sync_id}/confirm")).json()
    assert (summary["posted"], summary["held"]) == (2, 1)
    entries = sorted(await books.entries(), key=lambda e: e["number"])
    assert [e["source_key"] for e in entries] == [purchase.document_key, "payment:pay-40"]
    assert lines_of(entries[1]) == [("210210", 23_800, 0), ("110102", 0, 23_800)]
    assert (await client.post(f"/v1/syncs/{sync_id}/confirm")).json()["posted"] == 2
    assert len(await books.entries()) == 2


async def test_a_live_payment_a_sync_holds_in_review_is_not_stored_twice(client, services,
                                                                          rut):
    books = await Books.connected(client, services, rut)
    sale = books.doc("sales", 33, 50, date(2024, 3, 2), net=10_000)  # 11.900
    collection = paid(books, "col-50", PaymentKind.COLLECTION, 11_900, date(2024, 3, 9), 50)
    sync_id = await books.start_sync(*MARCH)
    await books.send([books.proposal(sync_id, sale), in_sync(books, sync_id, collection)])
    await complete(books, sync_id, [sale], [collection])
    # Its live event, replayed while the sync is still in review, is that same payment.
    assert await books.send([in_sync(books, None, collection)]) == {"accepted": 0,
                                                                     "duplicates": 1}
    assert await books.get("/syncs", kind="live") == []
    summary = (await client.post(f"/v1/syncs/{sync_id}/confirm")).json()
    assert summary["posted"] == 2
    assert sorted(e["source_key"] for e in await books.entries()) == [
        "payment:col-50", sale.document_key]
