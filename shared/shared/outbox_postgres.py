"""The outbox relay's batch on PostgreSQL: rows claimed and marked in one statement, over
asyncpg itself.

SQLAlchemy's way (BEGIN, a SELECT of sizes, a SELECT of bodies, an UPDATE, COMMIT, each
statement built and its parameters processed by SQLAlchemy) cost about 2 ms of the relay's
CPU per batch, and a live document is usually a batch of its own: more than recording the
document did. Here the statement locks the candidates, keeps the prefix that fits the byte
budget, marks it published and returns it; the transaction stays open while the rows are
published, so a failed publish rolls the mark back and the rows stay for the next batch.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import asyncpg_connection


@dataclass(frozen=True)
class Claimed:
    """A batch's rows, in id order, and whether rows may be waiting past it."""

    rows: list[Any]  # asyncpg Records: id, event_id, event_type, correlation_id, body
    more: bool


@lru_cache
def claim_statement(table: str) -> str:
    """``$1`` the batch's row limit, ``$2`` its byte budget (the first row goes whatever
    its size), ``$3`` the time marked. Candidates another relay holds are skipped; those
    past the budget stay locked, unmarked, until the transaction ends, as before."""
    return f"""
        WITH candidates AS (
            SELECT id, length(body) AS size FROM {table}
            WHERE published_at IS NULL ORDER BY id LIMIT $1
            FOR UPDATE SKIP LOCKED
        ), fitting AS (
            SELECT id FROM (
                SELECT id, sum(size) OVER (ORDER BY id) AS running,
                       row_number() OVER (ORDER BY id) AS position
                FROM candidates
            ) budget
            WHERE position = 1 OR running <= $2
        )
        UPDATE {table} AS o SET published_at = $3 FROM fitting WHERE o.id = fitting.id
        RETURNING o.id, o.event_id, o.event_type, o.correlation_id, o.body,
                  (SELECT count(*) FROM candidates) AS candidates
    """


async def publish_claimed(connection: AsyncConnection, table: Table, batch_size: int,
                          batch_bytes: int, publish: Callable[[Claimed], Awaitable[None]]
                          ) -> int:
    """Claim a batch on ``connection`` (not in a transaction of SQLAlchemy's), hand it
    to ``publish`` and commit the mark only once that returned; how many rows went."""
    raw = await asyncpg_connection(connection)
    statement = claim_statement(connection.dialect.identifier_preparer.format_table(table))
    async with raw.transaction():
        rows = await raw.fetch(statement, batch_size, batch_bytes, datetime.now(UTC))
        if not rows:
            return 0
        rows.sort(key=lambda row: row["id"])  # RETURNING promises no order
        candidates = rows[0]["candidates"]
        await publish(Claimed(rows, candidates == batch_size or len(rows) < candidates))
    return len(rows)
