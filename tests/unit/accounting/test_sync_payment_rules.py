"""Which documents a range sync's payment settles, and when it must wait for them."""

from datetime import date

from accounting.domain.payments import SettledDocument, SyncPayment, not_in_accounting, not_posted

COMPANY, CUSTOMER, SUPPLIER = "76354771-K", "77777777-7", "97975000-5"


def stored(kind: str, party: str, *documents: dict) -> dict:
    """A payment as a session stores it (PaymentRecorded as JSON)."""
    return {"payment_id": "p-1", "company_rut": COMPANY, "kind": kind,
            "counterparty": {"rut": party, "name": "Contraparte"}, "amount": 119_000,
            "paid_on": "2024-03-20", "documents": list(documents)}


def test_a_collection_settles_a_sale_issued_by_the_company_or_a_46_by_the_customer():
    payment = SyncPayment.of(stored("collection", CUSTOMER, {"dte_type": 33, "folio": 1021}))
    assert payment.collection and payment.documents == (SettledDocument(33, 1021),)
    assert set(payment.keys_of(payment.documents[0])) == {
        f"sales:{COMPANY}:33:1021", f"sales:{CUSTOMER}:33:1021"}


def test_a_payment_settles_a_purchase_issued_by_the_supplier_or_the_companys_own_46():
    payment = SyncPayment.of(stored("payment", SUPPLIER,
                                    {"dte_type": 33, "folio": 88001, "issue_date": "2024-03-05"},
                                    {"dte_type": 46, "folio": 9101}))
    assert not payment.collection
    assert payment.documents[0] == SettledDocument(33, 88001, date(2024, 3, 5))
    assert payment.keys() == {f"purchases:{SUPPLIER}:33:88001", f"purchases:{COMPANY}:33:88001",
                              f"purchases:{SUPPLIER}:46:9101", f"purchases:{COMPANY}:46:9101"}
    # The supplier's factura is there, the company's 46 is not: only the 46 is missing.
    present = {f"purchases:{SUPPLIER}:33:88001", f"sales:{COMPANY}:46:9101"}
    assert payment.missing(present) == [SettledDocument(46, 9101)]
    assert payment.missing(present | {f"purchases:{COMPANY}:46:9101"}) == []


def test_a_payment_that_names_no_document_waits_for_none():
    payment = SyncPayment.of(stored("collection", CUSTOMER))
    assert payment.keys() == set() and payment.missing(set()) == []


def test_the_reasons_name_the_documents_and_what_to_do():
    missing = [SettledDocument(33, 999, date(2024, 3, 2))]
    assert not_in_accounting(missing).startswith(
        "it settles tipo 33 N° 999 of 2024-03-02, which is neither in this sync nor posted")
    assert "synchronise and confirm the dates of that document first" in not_in_accounting(
        missing)
    assert not_posted([SettledDocument(33, n) for n in range(1, 8)]).startswith(
        "it settles tipo 33 N° 1, tipo 33 N° 2, tipo 33 N° 3, tipo 33 N° 4, tipo 33 N° 5 and "
        "2 more, which are not posted")
