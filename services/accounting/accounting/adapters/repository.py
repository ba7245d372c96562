"""What the accounting repositories share (SQLAlchemy Core, on the unit of work's session):
the lock order they keep, IN lists in chunks, the raw asyncpg connection for the bulk
statements. One repository per aggregate: companies.py (contracts, companies, their chart,
integration requests and links), syncs.py (sync sessions, their documents and progress),
journal.py (entries, lines, numbering, reversals, periods, counterparties), settings.py;
the reports' reads are in queries/.

LOCK ORDER. Every transaction takes its row locks in this one order: a SELECT … FOR UPDATE,
an UPDATE, and an INSERT of a key another transaction may be inserting too (an upsert, ON
CONFLICT: it waits for that transaction to end) all lock. Two transactions that took locks
in opposite orders wait for each other, and PostgreSQL breaks the circle by failing one of
them (a deadlock); in one order they can only queue. From first to last:

1. counterparties, by (company, RUT): intake records a whole batch's new ones first;
2. range sync sessions, in id order; for each, its manifest rows (documents by key, then
   the manifest's state), then its new documents (by key), then the session's row (the
   consumer's inbox claim of an event goes with its session's rows), locked FOR NO KEY
   UPDATE as the company's is: on SQLite a session's documents name it by a foreign key
   (on PostgreSQL a statement trigger checks it, 0017), whose key-share lock a FOR UPDATE
   would wait for until their batch commits;
3. the company's live session; 4. the company's row (posting, closing or reopening a
   month, reversing, hiding or deleting the company), FOR NO KEY UPDATE so that it does
   not wait for the key-share locks of rows inserted under the company (step 1's
   counterparties among them);
5. the contract's integration requests (by request time and id), then links;
6. documents changing status or entry (their rows in sync_document_states; a new
   document's state row is new too, so it waits for nothing), and the entries posted or
   reversed, then the remembered accounts a confirm learns, by (company, direction, RUT);
7. per-status document counts, by (session, status), just before the commit.

Within one kind the keys go in order (sorted in SyncRepository.add_documents and
.flush_counts, JournalRepository.add_counterparties and ManifestRepository.add_documents);
the use cases keep the order across kinds (proposals.receive, handlers.handle_events,
posting, periods, entries.reverse).
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ARRAY, String, cast, func, literal, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from shared.bulk import postgres_connection

# Keys per IN (…) list: asyncpg takes at most 32,767 parameters in one statement.
IN_CHUNK = 5_000


def now() -> datetime:
    return datetime.now(UTC)


def chunks(items: Iterable[Any], size: int | None = None) -> Iterable[list[Any]]:
    items = list(items)
    size = size or IN_CHUNK
    for start in range(0, len(items), size):
        yield items[start:start + size]


def among(session: AsyncSession, column: Any, values: Iterable[Any]) -> list[Any]:
    """Conditions "column is one of values", to run one query each: on PostgreSQL one
    ``IN (SELECT unnest(array))`` (a single parameter; an IN list of 2,000 keys cost more
    to render than to run, and a short one was another statement for each length:
    rendered again, and prepared again on each pooled connection, for live batches of a
    few documents), elsewhere IN lists of at most IN_CHUNK.

    Not ``= ANY(array)``: once PostgreSQL settles on a prepared statement's generic plan,
    the array is a parameter it searches element by element for every row it filters, so
    a batch's 900 RUTs against a company's 4,000 counterparties took 75-100 ms on a table
    without statistics yet (as every table is that a sync is filling); the subquery is a
    semi-join, linear in both."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql" and values:
        return [column.in_(select(func.unnest(cast(literal(values), ARRAY(String)))))]
    return [column.in_(chunk) for chunk in chunks(values)]


class SqlRepository:
    """A repository on the unit of work's session."""

    def __init__(self, session: AsyncSession):
        self.session = session

    async def _one(self, query: Any) -> RowMapping | None:
        return (await self.session.execute(query)).mappings().first()

    async def _all(self, query: Any) -> Sequence[RowMapping]:
        return (await self.session.execute(query)).mappings().all()

    async def _postgres(self) -> Any | None:
        return await postgres_connection(self.session)

    def _among(self, column: Any, values: Iterable[Any]) -> list[Any]:
        return among(self.session, column, values)

    def _lock(self, query: Any, *, key_share: bool = False) -> Any:
        # SQLite serialises writers anyway; PostgreSQL needs the row lock. key_share: FOR
        # NO KEY UPDATE, which lets foreign keys' key-share locks on the row be.
        if self.session.get_bind().dialect.name == "postgresql":
            return query.with_for_update(key_share=key_share)
        return query
