"""Idempotent consumers: a processed-message table keyed by event id, written in the
same transaction as the handler's changes, so a redelivered event changes nothing."""

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import upsert


def processed_messages_table(metadata: MetaData) -> Table:
    return Table(
        "processed_messages",
        metadata,
        Column("event_id", String(64), primary_key=True),
        Column("event_type", String(120), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )


async def claim(session: AsyncSession, table: Table, event_id: str, event_type: str) -> bool:
    """Record the event as processed; False if it already was (then do nothing)."""
    statement = (
        upsert(session, table)
        .values(event_id=event_id, event_type=event_type, processed_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    result = await session.execute(statement)
    return result.rowcount == 1  # type: ignore[attr-defined]  # an INSERT's is a CursorResult
