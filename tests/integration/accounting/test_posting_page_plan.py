"""A page of a confirm is read by walking the posting-order index, even where PostgreSQL has
no statistics for the session's documents (a new session, a table not yet analysed): its
default guesses made it sort every document after the cursor to keep a page, each page.
The settings that make the walk its only plan last for that one statement."""

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from accounting.adapters.syncs import SyncRepository, posting_cursor
from accounting.adapters.tables import sync_sessions
from accounting.entrypoints.cli import migrate
from shared.db import create_engine
from tests.integration.accounting.companies_support import add_company

COMPANY_ID, SYNC_ID = str(uuid.uuid4()), str(uuid.uuid4())
DOCUMENTS = 30_000


@pytest.fixture(scope="module")
async def engine(infra):
    url = await infra.create_database("accounting_posting_page_plan")
    await asyncio.to_thread(migrate, url)
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await add_company(conn, COMPANY_ID)
        await conn.execute(insert(sync_sessions).values(
            id=SYNC_ID, company_id=COMPANY_ID, company_rut="1-9", kind="range",
            status="in_review", received=DOCUMENTS, created_at=now))
    async with AsyncSession(engine) as session:
        await SyncRepository(session).add_documents([{
            "id": str(uuid.uuid4()), "sync_id": SYNC_ID, "company_id": COMPANY_ID,
            "source_key": f"sales:1-9:33:{folio}", "event_id": str(folio),
            "issue_date": date(2025, 1, 1) + timedelta(days=folio % 365),
            "issued_on": None, "dte_type": 33, "folio": folio, "document": None,
            "payment": None, "status": "ready", "hold_reason": None, "hold_code": None,
            "note": None, "entry": {"lines": []}, "entry_id": None, "created_at": now,
            "account_source": None, "account_note": None}
            for folio in range(1, DOCUMENTS + 1)])
        await session.commit()
    yield engine
    await engine.dispose()


async def _without_statistics(session: AsyncSession) -> None:
    """Gone for this transaction only (it is rolled back)."""
    await session.execute(text(
        "DELETE FROM pg_statistic WHERE starelid IN ('sync_documents'::regclass, "
        "'sync_document_states'::regclass)"))


async def _plan(session: AsyncSession, query) -> str:
    """The query's plan as PostgreSQL would run it now, as JSON text."""
    sql = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    return json.dumps((await session.execute(text(f"EXPLAIN (FORMAT JSON) {sql}"))).scalar_one())


async def test_a_page_walks_the_index_without_statistics(engine):
    async with AsyncSession(engine) as session:
        await _without_statistics(session)
        repository, plans = SyncRepository(session), []
        read = repository._all

        async def explained(query):  # the query the page runs, in the page's own settings
            plans.append(await _plan(session, query))
            return await read(query)

        repository._all = explained
        first = await repository.posting_page(SYNC_ID, None, 500)
        middle = await repository.posting_page(SYNC_ID, posting_cursor(first[-1]), 500)
        assert len(first) == len(middle) == 500
        assert [posting_cursor(r) for r in first + middle] == sorted(
            posting_cursor(r) for r in first + middle)
        assert posting_cursor(first[-1]) < posting_cursor(middle[0])
        for plan in plans:
            assert '"Node Type": "Sort"' not in plan, plan
            assert "ix_sync_documents_posting_order" in plan
        # What else the transaction runs is planned as usual.
        assert (await session.execute(text("SELECT current_setting('enable_sort'), "
                                           "current_setting('enable_bitmapscan')"))).one() == (
            "on", "on")


async def test_without_the_settings_the_same_page_is_sorted(engine):
    """What the settings are for: this database, without statistics, sorts the page."""
    async with AsyncSession(engine) as session:
        await _without_statistics(session)
        repository, plans = SyncRepository(session), []

        async def explained_only(query):
            await session.execute(text("SELECT set_config('enable_sort', 'on', true), "
                                       "set_config('enable_bitmapscan', 'on', true)"))
            plans.append(await _plan(session, query))
            return []

        repository._all = explained_only
        await repository.posting_page(SYNC_ID, (date(2025, 3, 1), 33, 1, ""), 500)
        assert '"Node Type": "Sort"' in plans[0]
