"""What the database itself refuses in the journal, whatever the code above it does."""

import uuid
from datetime import UTC, date, datetime

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


ENTRY_COLUMNS = ["id", "company_id", "number", "entry_date", "kind", "glosa", "source_key",
                 "sync_id", "total", "created_at"]


def _entry(company_id: str, sync_id: str | None, number: int) -> tuple:
    return (str(uuid.uuid4()), company_id, number, date(2024, 9, 1), "traspaso", "x",
            f"sales:test:{number}", sync_id, 100, datetime.now(UTC))


async def test_an_entry_needs_its_company_and_session_in_a_bulk_copy(client, services, rut):
    books = await Books.connected(client, services, rut)
    await books.sync("2024-09-01", "2024-09-30",
                     [books.doc("sales", 33, 3, "2024-09-02", net=1_000)])
    entry = (await books.entries(**{"from": "2024-09-01", "to": "2024-09-30"}))[0]
    for company_id, sync_id, missing in (
            (str(uuid.uuid4()), entry["sync_id"], "company"),
            (books.id, str(uuid.uuid4()), "sync session")):
        async with services.uow() as uow:
            raw = await uow.journal._postgres()
            with pytest.raises(Exception, match=f"of {missing} .* does not exist") as refused:
                # A page of entries as confirm writes them, one of them naming no owner.
                await raw.copy_records_to_table(
                    "journal_entries", columns=ENTRY_COLUMNS,
                    records=[_entry(books.id, entry["sync_id"], 900_001),
                             _entry(company_id, sync_id, 900_002)])
            assert refused.value.sqlstate == "23503"  # foreign_key_violation


async def _unnamed_company_and_session(raw, company_id: str) -> tuple[str, str]:
    """Another company of the contract and a session of ``company_id``, both new."""
    other, sync_id = str(uuid.uuid4()), str(uuid.uuid4())
    await raw.execute(
        "INSERT INTO companies (id, contract_rut, rut, name, status, created_at) "
        "SELECT $1, contract_rut, '76086428-5', 'Otra', 'active', created_at "
        "FROM companies WHERE id = $2", other, company_id)
    await raw.execute(
        "INSERT INTO sync_sessions (id, company_id, company_rut, kind, status, created_at) "
        "SELECT $1, id, rut, 'range', 'confirmed', now() FROM companies WHERE id = $2",
        sync_id, company_id)
    return other, sync_id


async def test_a_company_or_session_the_journal_names_is_never_deleted(client, services, rut):
    books = await Books.connected(client, services, rut)
    async with services.uow() as uow:
        raw = await uow.journal._postgres()
        # A company and a session that nothing but an entry names (the rest of the schema
        # keeps its foreign keys to both).
        company_id, sync_id = await _unnamed_company_and_session(raw, books.id)
        await raw.copy_records_to_table("journal_entries", columns=ENTRY_COLUMNS, records=[
            _entry(company_id, None, 1), _entry(books.id, sync_id, 900_003)])
        for table, id_ in (("companies", company_id), ("sync_sessions", sync_id)):
            with pytest.raises(Exception, match="is named by journal entries") as refused:
                async with raw.transaction():  # a savepoint, so the next delete can run
                    await raw.execute(f"DELETE FROM {table} WHERE id = $1", id_)
            assert refused.value.sqlstate == "23503"


DOCUMENT_COLUMNS = ["id", "sync_id", "company_id", "source_key", "event_id", "issue_date",
                    "created_at"]


def _document(company_id: str, sync_id: str, n: int) -> tuple:
    return (str(uuid.uuid4()), sync_id, company_id, f"sales:test:{n}", f"event-{n}",
            date(2024, 9, 1), datetime.now(UTC))


async def test_a_sync_document_needs_its_company_and_session(client, services, rut):
    books = await Books.connected(client, services, rut)
    await books.sync("2024-10-01", "2024-10-31",
                     [books.doc("sales", 33, 4, "2024-10-02", net=1_000)])
    sync_id = (await books.entries(**{"from": "2024-10-01", "to": "2024-10-31"}))[0]["sync_id"]
    for company_id, session_id, missing in ((str(uuid.uuid4()), sync_id, "company"),
                                            (books.id, str(uuid.uuid4()), "sync session")):
        async with services.uow() as uow:
            raw = await uow.journal._postgres()
            with pytest.raises(Exception, match=f"of {missing} .* does not exist") as refused:
                # A batch as intake writes it: one statement, one document naming no owner.
                await raw.copy_records_to_table(
                    "sync_documents", columns=DOCUMENT_COLUMNS,
                    records=[_document(books.id, sync_id, 1),
                             _document(company_id, session_id, 2)])
            assert refused.value.sqlstate == "23503"  # foreign_key_violation


async def test_a_company_or_session_with_sync_documents_is_never_deleted(client, services,
                                                                          rut):
    books = await Books.connected(client, services, rut)
    async with services.uow() as uow:
        raw = await uow.journal._postgres()
        # A company and a session that nothing but a sync document names.
        company_id, sync_id = await _unnamed_company_and_session(raw, books.id)
        await raw.copy_records_to_table("sync_documents", columns=DOCUMENT_COLUMNS, records=[
            _document(company_id, sync_id, 3)])
        for table, id_ in (("companies", company_id), ("sync_sessions", sync_id)):
            with pytest.raises(Exception, match="is named by sync documents") as refused:
                async with raw.transaction():  # a savepoint, so the next delete can run
                    await raw.execute(f"DELETE FROM {table} WHERE id = $1", id_)
            assert refused.value.sqlstate == "23503"
