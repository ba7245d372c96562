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
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from shared.events import CloudEvent
from shared.messaging.publisher import OutgoingMessage, Publisher
from shared.observability.metrics import OUTBOX_BACKLOG
from shared.outbox_postgres import Claimed, publish_claimed

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
        batch_size: int = 1000,
        batch_bytes: int = 8 * 1024 * 1024,
        idle_interval: float = 0.25,
        coalesce: float = 0.01,
        service: str = "default",
    ):
        self._backlog_gauge = OUTBOX_BACKLOG.labels(service)
        self._engine = engine
        self._table = table
        self._publisher = publisher
        self._batch_size = batch_size
        # A batch's rows stay locked, in an open transaction, until the broker confirms
        # them: the byte budget keeps that short when rows are large (pages of a sync).
        self._batch_bytes = batch_bytes
        self._more = False  # the last batch stopped at a limit: rows may be waiting
        self._idle_interval = idle_interval
        # Woken less than this after its last batch began, the relay waits out the rest
        # first: one document at a time (the live path, hundreds a second) was one batch
        # each, and a batch costs about as much CPU for one row as for ten (its
        # transaction, the publish and the confirm). At most this much later, never when
        # a batch was full (rows are waiting) or the relay had been idle that long.
        self._coalesce = coalesce
        self._wakeup = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Call after committing events to publish them without waiting for the next poll."""
        self._wakeup.set()

    async def stop(self) -> None:
        """End ``run()`` once the batch in hand is published and marked."""
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        # A connection of its own, kept from batch to batch: taken from the pool each time,
        # a batch queued behind requests holding every pooled connection and paid the
        # checkout's liveness check, while live documents wait on this path. Any failure
        # drops the connection; the next batch opens another.
        connection: AsyncConnection | None = None
        self._stopping = False
        loop = asyncio.get_running_loop()
        last_batch = loop.time() - self._coalesce  # when the last batch that sent rows began
        try:
            while not self._stopping:
                try:
                    if (wait := last_batch + self._coalesce - loop.time()) > 0 and not self._more:
                        await asyncio.sleep(wait)
                    began = loop.time()
                    if connection is None:
                        connection = await self._engine.connect()
                    published = await self.publish_pending(connection)
                    if published:
                        last_batch = began
                except Exception:
                    log.exception("outbox relay failed; retrying")
                    published = 0
                    await _discard(connection)
                    connection = None
                    await self._update_backlog(counted=True)
                    await asyncio.sleep(1.0)
                else:
                    await self._update_backlog(counted=self._more)
                if not published or not self._more:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wakeup.wait(), self._idle_interval)
                    self._wakeup.clear()
        finally:
            await _discard(connection)

    async def publish_pending(self, conn: AsyncConnection | None = None) -> int:
        """Publish one batch of unpublished rows (at most ``batch_size`` rows and, past the
        first row, ``batch_bytes`` of bodies), on ``conn`` or on a connection from the
        pool; returns how many went out."""
        if conn is None:
            async with self._engine.connect() as pooled:
                return await self.publish_pending(pooled)
        self._more = False
        if conn.dialect.name == "postgresql":
            return await publish_claimed(conn, self._table, self._batch_size,
                                         self._batch_bytes, self._publish_claimed)
        t = self._table
        async with conn.begin():
            # Sizes first, bodies only for the rows that fit the budget.
            query = (
                select(t.c.id, func.length(t.c.body).label("size"))
                .where(t.c.published_at.is_(None))
                .order_by(t.c.id)
                .limit(self._batch_size)
            )
            if conn.dialect.name == "postgresql":
                # Several relays may run; each takes rows no other holds.
                query = query.with_for_update(skip_locked=True)
            candidates = (await conn.execute(query)).all()
            if not candidates:
                return 0
            ids: list[int] = []
            total = 0
            for candidate in candidates:
                if ids and total + candidate.size > self._batch_bytes:
                    break
                ids.append(candidate.id)
                total += candidate.size
            self._more = len(candidates) == self._batch_size or len(ids) < len(candidates)
            rows = (await conn.execute(
                select(t.c.id, t.c.event_id, t.c.event_type, t.c.correlation_id, t.c.body)
                .where(t.c.id.in_(ids))
                .order_by(t.c.id)
            )).all()
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
                .where(t.c.id.in_(ids))
                .values(published_at=datetime.now(UTC))
            )
        return len(rows)

    async def _publish_claimed(self, claimed: Claimed) -> None:
        self._more = claimed.more
        await self._publisher.publish([
            OutgoingMessage(message_id=r["event_id"], routing_key=r["event_type"],
                            body=r["body"].encode(), correlation_id=r["correlation_id"])
            for r in claimed.rows
        ])

    async def _update_backlog(self, *, counted: bool) -> None:
        """Keep the backlog gauge current without a count on every poll: a batch that
        was not full left nothing behind; a full one or a failure is counted."""
        if not counted:
            self._backlog_gauge.set(0)
            return
        try:
            self._backlog_gauge.set(await self.backlog())
        except Exception:  # noqa: BLE001 - the database may be what failed
            log.debug("could not count the outbox backlog", exc_info=True)

    async def backlog(self) -> int:
        async with self._engine.connect() as conn:
            return (
                await conn.execute(
                    select(func.count()).select_from(self._table).where(
                        self._table.c.published_at.is_(None)
                    )
                )
            ).scalar_one()


async def _discard(connection: AsyncConnection | None) -> None:
    """Close the relay's connection, whatever state a failure left it in."""
    if connection is not None:
        with contextlib.suppress(Exception):
            await connection.close()
