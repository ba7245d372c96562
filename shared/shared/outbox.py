"""Transactional outbox: events are rows written in the same transaction as the change
that caused them; a relay publishes them with confirms and marks them published.

Nothing is lost (a row stays until the broker confirms it) and order is kept per relay
(rows go out by id). A crash between confirm and mark publishes a row twice, which the
idempotent consumers absorb.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from shared.events import CloudEvent
from shared.messaging.publisher import OutgoingMessage, Publisher

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("event_type", String(120), nullable=False),
        Column("correlation_id", String(64)),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
        Index(
            "ix_outbox_unpublished",
            "id",
            postgresql_where=Column("published_at").is_(None),
            sqlite_where=Column("published_at").is_(None),
        ),
    )


async def add_events(
    db: AsyncSession | AsyncConnection, table: Table, events: Iterable[CloudEvent]
) -> int:
    """Stage events in the caller's transaction; they go out once it commits."""
    now = datetime.now(UTC)
    rows = [
        {
            "event_id": e.id,
            "event_type": e.type,
            "correlation_id": e.correlationid,
            "body": e.model_dump_json(),
            "created_at": now,
        }
        for e in events
    ]
    if rows:
        await db.execute(insert(table), rows)
    return len(rows)


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        publisher: Publisher,
        *,
        batch_size: int = 500,
        idle_interval: float = 0.25,
    ):
        self._engine = engine
        self._table = table
        self._publisher = publisher
        self._batch_size = batch_size
        self._idle_interval = idle_interval
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        """Call after committing events to publish them without waiting for the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        while True:
            try:
                published = await self.publish_pending()
            except Exception:
                log.exception("outbox relay failed; retrying")
                published = 0
                await asyncio.sleep(1.0)
            if published < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._idle_interval)
                self._wakeup.clear()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; returns how many went out."""
        t = self._table
        async with self._engine.begin() as conn:
            query = (
                select(t.c.id, t.c.event_id, t.c.event_type, t.c.correlation_id, t.c.body)
                .where(t.c.published_at.is_(None))
                .order_by(t.c.id)
                .limit(self._batch_size)
            )
            if conn.dialect.name == "postgresql":
                # Several relays may run; each takes rows no other holds.
                query = query.with_for_update(skip_locked=True)
            rows = (await conn.execute(query)).all()
            if not rows:
                return 0
            await self._publisher.publish(
                [
                    OutgoingMessage(
                        message_id=r.event_id,
                        routing_key=r.event_type,
                        body=r.body.encode(),
                        correlation_id=r.correlation_id,
                    )
                    for r in rows
                ]
            )
            await conn.execute(
                update(t)
                .where(t.c.id.in_([r.id for r in rows]))
                .values(published_at=datetime.now(UTC))
            )
        return len(rows)

    async def backlog(self) -> int:
        from sqlalchemy import func

        async with self._engine.connect() as conn:
            return (
                await conn.execute(
                    select(func.count()).select_from(self._table).where(
                        self._table.c.published_at.is_(None)
                    )
                )
            ).scalar_one()
