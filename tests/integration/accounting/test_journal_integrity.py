"""What the database itself refuses in the journal, whatever the code above it does."""

import uuid

import pytest
from sqlalchemy import delete, insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from accounting.adapters.tables import journal_entries, journal_lines
from tests.integration.accounting.books_support import Books

LINE = {"line_no": 1, "account_code": "110310", "role": "auxiliary", "debit": 100,
        "credit": 0, "counterparty_rut": None, "description": None}


async def test_a_line_needs_its_entry_in_a_bulk_copy_as_in_an_insert(client, services, rut):
    books = await Books.connected(client, services, rut)
    await books.sync("2024-07-01", "2024-07-31",
                     [books.doc("sales", 33, 1, "2024-07-02", net=1_000)])
    entry_id = (await books.entries(**{"from": "2024-07-01", "to": "2024-07-31"}))[0]["id"]
    async with services.uow() as uow:
        # A page of lines as confirm writes them: one COPY, one of them an orphan.
        raw = await uow.journal._postgres()
        with pytest.raises(Exception, match="does not exist") as refused:
            await raw.copy_records_to_table(
                "journal_lines", columns=["entry_id", *LINE],
                records=[(entry_id, *LINE.values()), (str(uuid.uuid4()), *LINE.values())])
        assert refused.value.sqlstate == "23503"  # foreign_key_violation
    async with services.uow() as uow:
        with pytest.raises(IntegrityError, match="does not exist"):
            await uow.session.execute(insert(journal_lines),
                                      [{"entry_id": str(uuid.uuid4()), **LINE}])


async def test_a_posted_entry_is_never_deleted(client, services, rut):
    books = await Books.connected(client, services, rut)
    await books.sync("2024-08-01", "2024-08-31",
                     [books.doc("purchases", 33, 7, "2024-08-05", net=2_000)])
    async with services.uow() as uow:
        with pytest.raises(DBAPIError, match="never deleted: post a reversal"):
            await uow.session.execute(
                delete(journal_entries).where(journal_entries.c.company_id.is_not(None)))
