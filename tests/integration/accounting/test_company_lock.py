"""The company's row lock (posting, a month closing, a sync starting) against the rows
inserted under the company by a batch still open: neither waits for the other."""

from datetime import UTC, datetime

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
