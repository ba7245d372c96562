"""The company's and a session's row locks (posting, a month closing, a sync starting or
completing) against the rows inserted under them by a batch still open: neither waits for
the other."""

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import insert, text

from accounting.adapters.tables import counterparties
from tests.integration.accounting.books_support import Books


async def test_locking_a_company_does_not_wait_for_a_batch_inserting_its_counterparties(
        client, services, rut):
    """A live batch records its new counterparties first (a foreign key: a key-share lock
    on the company's row until it commits), then waits for the live session; the batch
    holding that session then locks the company to post. With FOR UPDATE that lock waited
    for the first batch: a deadlock, PostgreSQL failing one of them after a second."""
    books = await Books.connected(client, services, rut)
    async with services.uow() as inserting:
        await inserting.session.execute(insert(counterparties).values(
            company_id=books.id, rut=rut(), name="Nueva Ltda.", created_at=datetime.now(UTC)))
        async with services.uow() as posting:
            # Waiting for the other transaction would fail here, not hang the test.
            await posting.session.execute(text("SET LOCAL lock_timeout = '5s'"))
            company = await posting.companies.get_company(books.id, lock=True)
            assert company is not None and company.id == books.id
            async with services.uow() as other:  # holders still queue behind each other
                await other.session.execute(text("SET LOCAL lock_timeout = '100ms'"))
                try:
                    await other.companies.get_company(books.id, lock=True)
                except Exception as error:  # noqa: BLE001 - any driver's lock timeout
                    assert "lock timeout" in str(error).lower() or "55P03" in repr(error)
                else:
                    raise AssertionError("a second lock of the company did not wait")


async def test_locking_a_session_does_not_wait_for_a_batch_inserting_its_documents(
        client, services, rut):
    """An intake batch inserts a session's documents (a foreign key: a key-share lock on the
    session's row until it commits); sync.completed for that session locks it. With FOR
    UPDATE the lock waited for the batch, which could be waiting for the consumer in turn:
    PostgreSQL's log showed that cycle under the month end's load."""
    books = await Books.connected(client, services, rut)
    sync_id = await books.start_sync("2024-03-01", "2024-03-31")
    async with services.uow() as inserting:
        await inserting.syncs.add_documents([{
            "id": str(uuid.uuid4()), "sync_id": sync_id, "company_id": books.id,
            "source_key": f"sales:{books.rut}:33:1", "event_id": "e-1",
            "issue_date": date(2024, 3, 1), "issued_on": date(2024, 3, 1), "dte_type": 33,
            "folio": 1, "document": None, "payment": None, "status": "ready",
            "hold_reason": None, "hold_code": None, "note": None, "entry": None,
            "entry_id": None, "created_at": datetime.now(UTC), "account_source": None,
            "account_note": None}])
        async with services.uow() as completing:
            await completing.session.execute(text("SET LOCAL lock_timeout = '5s'"))
            sync = await completing.syncs.get_sync(sync_id, lock=True)
            assert sync is not None and sync.id == sync_id
            async with services.uow() as other:  # holders still queue behind each other
                await other.session.execute(text("SET LOCAL lock_timeout = '100ms'"))
                try:
                    await other.syncs.get_sync(sync_id, lock=True)
                except Exception as error:  # noqa: BLE001 - any driver's lock timeout
                    assert "lock timeout" in str(error).lower() or "55P03" in repr(error)
                else:
                    raise AssertionError("a second lock of the session did not wait")
