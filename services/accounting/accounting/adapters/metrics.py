"""Accounting's gauges read from its database: sync sessions by state.

A sync session changes state in several use cases and across replicas, so the gauge is
read from the table (one small GROUP BY) when Prometheus scrapes, at most every
``SYNC_STATES_EVERY`` seconds, rather than kept in step by hand.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from accounting.adapters.tables import sync_sessions
from accounting.domain.syncs import RESUMABLE, SyncStatus
from shared.observability.metrics import SYNC_SESSIONS, Refresh, at_most_every

SYNC_STATES_EVERY = 10.0


def sync_states(engine: AsyncEngine, stall_after: timedelta) -> Refresh:
    """Sessions by stored state, and ``stalled``: those of them open without progress for
    ``stall_after`` (counted in their state too)."""
    async def refresh() -> None:
        query = select(sync_sessions.c.status, func.count()).group_by(sync_sessions.c.status)
        stalled = select(func.count()).where(
            sync_sessions.c.status.in_(RESUMABLE),
            func.coalesce(sync_sessions.c.progress_at, sync_sessions.c.created_at)
            < datetime.now(UTC) - stall_after)
        async with engine.connect() as conn:
            counts = dict((await conn.execute(query)).all())
            counts[SyncStatus.STALLED.value] = (await conn.execute(stalled)).scalar_one()
        for state in {*SyncStatus, *counts}:
            SYNC_SESSIONS.labels(str(state)).set(counts.get(state, 0))

    return at_most_every(SYNC_STATES_EVERY, refresh)
