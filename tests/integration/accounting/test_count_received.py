"""count_received moves a session on in one SQL UPDATE, built from domain.syncs.PROGRESS;
it must end where domain.syncs.progress says, on PostgreSQL and on SQLite, for any
session and any batches of documents counted into it."""

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from accounting.adapters.syncs import SyncRepository
from accounting.adapters.tables import sync_sessions
from accounting.domain.syncs import SyncKind, SyncStatus, progress
from accounting.entrypoints.cli import migrate
from shared.db import create_engine
from tests.integration.accounting.companies_support import add_company

COMPANY_ID = "6d1f5c8e-0000-4000-8000-000000000001"

SESSIONS = st.lists(st.fixed_dictionaries({
    "kind": st.sampled_from(list(SyncKind)),
    # Every status a session is stored in (stalled is only ever shown).
    "status": st.sampled_from([s for s in SyncStatus if s != SyncStatus.STALLED]),
    "expected": st.none() | st.integers(0, 40),
    "received": st.integers(0, 40),
    # The batches of documents stored into it, one count_received each.
    "batches": st.lists(st.integers(1, 25), min_size=1, max_size=4),
}), min_size=1, max_size=6)


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
async def engine(request, infra, tmp_path_factory):
    if request.param == "postgresql":
        url = await infra.create_database("accounting_count_received")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('count_received')}/accounting.db"
    await asyncio.to_thread(migrate, url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        await add_company(conn, COMPANY_ID)
    yield engine
    await engine.dispose()


# No deadline: the database's speed on a busy machine says nothing about the rule.
@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sessions=SESSIONS)
async def test_count_received_ends_where_progress_says(engine, sessions):
    now = datetime.now(UTC)
    async with AsyncSession(engine) as session:
        ids = [str(uuid.uuid4()) for _ in sessions]
        await session.execute(insert(sync_sessions), [
            {"id": id_, "company_id": COMPANY_ID, "company_rut": "1-9", "kind": s["kind"].value,
             "status": s["status"].value, "expected": s["expected"],
             "received": s["received"], "created_at": now}
            for id_, s in zip(ids, sessions, strict=True)])
        repo = SyncRepository(session)
        for id_, s in zip(ids, sessions, strict=True):
            rule, received = s["status"], s["received"]
            for count in s["batches"]:
                received += count
                rule = progress(rule, s["expected"], received, s["kind"])
                assert await repo.count_received(id_, count) == rule, (s, count)
            stored = (await session.execute(
                select(sync_sessions.c.status, sync_sessions.c.received)
                .where(sync_sessions.c.id == id_))).one()
            assert (stored.status, stored.received) == (rule.value, received)
        await session.rollback()
