"""Sync sessions, the documents they receive and their per-status counts (SQLAlchemy
Core). The lists of sessions and documents the API shows are in queries/lists.py.

Sessions and documents are domain records (SyncSession, SyncDocument) where the use cases
read a whole one; the posting pages and states are partial rows, read as they are.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    and_,
    case,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from accounting.adapters.repository import SqlRepository, now
from accounting.adapters.tables import (
    DOCUMENT_COLUMNS,
    STATE_COLUMNS,
    documents_with_state,
    sync_document_counts,
    sync_document_states,
    sync_documents,
    sync_sessions,
)
from accounting.domain.payments import AWAITING_DOCUMENT
from accounting.domain.periods import CLOSED_PERIOD
from accounting.domain.syncs import (
    CLOSED,
    DELIVERING,
    PROGRESS,
    DocumentStatus,
    SessionFact,
    SyncDocument,
    SyncKind,
    SyncSession,
    SyncStatus,
)
from shared.bulk import bulk_insert, bulk_update
from shared.db import upsert

states = sync_document_states

# The order a session's documents are posted in (so comprobante numbers follow the
# documents' dates); payments have no tipo or folio and come first within their day. The
# index ix_sync_documents_posting_order has these very expressions.
POSTING_ORDER = (
    sync_documents.c.issue_date,
    func.coalesce(sync_documents.c.dte_type, literal_column("-1")),
    func.coalesce(sync_documents.c.folio, literal_column("-1")),
    sync_documents.c.id,
)


# A session as the use cases read it: the manifest (every document of the range) is read
# only by the reconciliation, never on a poll of the session.
SYNC_COLUMNS = (
    *(c for c in sync_sessions.c if c.name != "manifest"),
    sync_sessions.c.manifest.is_not(None).label("has_manifest"),
)


def sync_session(row: RowMapping | Mapping[str, Any]) -> SyncSession:
    """A row of SYNC_COLUMNS as the record."""
    return SyncSession(**{**row, "kind": SyncKind(row["kind"]),
                          "status": SyncStatus(row["status"]),
                          "has_manifest": bool(row["has_manifest"])})


def posting_cursor(row: Any) -> tuple[Any, ...]:
    """Where the next page starts: the posting-order key of a page's last row."""
    return (row.issue_date, -1 if row.dte_type is None else row.dte_type,
            -1 if row.folio is None else row.folio, row.id)


def _documents() -> Any:
    """Whole documents with their state (SyncDocument's columns)."""
    return select(*DOCUMENT_COLUMNS).select_from(documents_with_state)


# For this transaction only: a page of a confirm is an ordered walk of the posting-order
# index, and nothing else. Without statistics for a session's documents (a new session,
# a table not yet analysed: PostgreSQL's defaults guess 166 of 100,000 rows after the
# cursor) the planner sorted every document after the cursor to keep 2,000, each page:
# 180-260 ms a page at 100,000 documents (the walk: 30-60 ms), growing with the session.
_WALK_THE_INDEX = text("SELECT set_config('enable_sort', :on, true), "
                       "set_config('enable_bitmapscan', :on, true)")


def last_progress() -> Any:
    return func.coalesce(sync_sessions.c.progress_at, sync_sessions.c.created_at)


class SyncRepository(SqlRepository):
    def __init__(self, session: AsyncSession):
        super().__init__(session)
        # (sync_id, status) → change in the number of documents, applied by flush_counts.
        self._count_changes: Counter[tuple[str, str]] = Counter()

    async def add_sync(self, sync: SyncSession) -> None:
        values = {name: value for name, value in asdict(sync).items() if name != "has_manifest"}
        await self.session.execute(insert(sync_sessions).values(**values))

    async def get_sync(self, sync_id: str, *, lock: bool = False) -> SyncSession | None:
        query = select(*SYNC_COLUMNS).where(sync_sessions.c.id == sync_id)
        return await self._session(self._lock(query, key_share=True) if lock else query)

    async def _session(self, query: Any) -> SyncSession | None:
        row = await self._one(query)
        return None if row is None else sync_session(row)

    async def update_sync(self, sync_id: str, **values: Any) -> None:
        await self.session.execute(
            update(sync_sessions).where(sync_sessions.c.id == sync_id).values(**values)
        )

    async def last_sync(self, company_id: str) -> SyncSession | None:
        return await self._session(
            select(*SYNC_COLUMNS)
            .where(sync_sessions.c.company_id == company_id,
                   sync_sessions.c.kind == SyncKind.RANGE)
            .order_by(sync_sessions.c.created_at.desc())
            .limit(1)
        )

    async def open_live_sync(self, company_id: str, *,
                             lock: bool = False) -> SyncSession | None:
        query = (select(*SYNC_COLUMNS)
                 .where(sync_sessions.c.company_id == company_id,
                        sync_sessions.c.kind == SyncKind.LIVE,
                        sync_sessions.c.status.not_in(CLOSED))
                 .order_by(sync_sessions.c.created_at).limit(1))
        return await self._session(self._lock(query, key_share=True) if lock else query)

    async def delivering_overlapping(self, company_id: str, date_from: date,
                                     date_to: date) -> SyncSession | None:
        """A range session of the company still receiving documents of dates that overlap
        ``date_from`` to ``date_to`` (the oldest), if any."""
        return await self._session(
            select(*SYNC_COLUMNS)
            .where(sync_sessions.c.company_id == company_id,
                   sync_sessions.c.kind == SyncKind.RANGE,
                   sync_sessions.c.status.in_(DELIVERING),
                   sync_sessions.c.date_from <= date_to, sync_sessions.c.date_to >= date_from)
            .order_by(sync_sessions.c.created_at).limit(1))

    async def claim_interrupted_confirms(self, idle_since: datetime, at: datetime) -> list[str]:
        """Sessions left confirming with no page posted since ``idle_since``, marked as
        progressing ``at`` (so one replica takes each); their ids."""
        return list((await self.session.execute(
            update(sync_sessions)
            .where(sync_sessions.c.status == SyncStatus.CONFIRMING,
                   last_progress() < idle_since)
            .values(progress_at=at).returning(sync_sessions.c.id)
        )).scalars().all())

    async def live_source_keys(self, company_id: str, keys: Iterable[str]) -> set[str]:
        """Keys any live session of the company already holds."""
        found: set[str] = set()
        for among in self._among(sync_documents.c.source_key, keys):
            rows = await self.session.execute(
                select(sync_documents.c.source_key)
                .join(sync_sessions, sync_sessions.c.id == sync_documents.c.sync_id)
                .where(sync_sessions.c.company_id == company_id,
                       sync_sessions.c.kind == SyncKind.LIVE, among)
            )
            found.update(rows.scalars().all())
        return found

    async def payment_keys_held(self, company_id: str, keys: Iterable[str]) -> set[str]:
        """Keys of payments any session of the company (range or live) already holds
        (ix_sync_documents_payment_keys: payments have no tipo DTE)."""
        found: set[str] = set()
        for among in self._among(sync_documents.c.source_key, keys):
            rows = await self.session.execute(
                select(sync_documents.c.source_key)
                .where(sync_documents.c.company_id == company_id,
                       sync_documents.c.dte_type.is_(None), among))
            found.update(rows.scalars().all())
        return found

    async def payments_to_review(self, sync_id: str) -> Sequence[RowMapping]:
        """The session's payments that are ready, or held waiting for a document."""
        return await self._all(
            select(sync_documents.c.id, sync_documents.c.payment, states.c.status,
                   states.c.hold_code)
            .select_from(documents_with_state)
            .where(sync_documents.c.sync_id == sync_id, sync_documents.c.dte_type.is_(None),
                   (states.c.status == DocumentStatus.READY)
                   | (states.c.hold_code == AWAITING_DOCUMENT))
        )

    async def documents_by_id(self, ids: list[str]) -> list[SyncDocument]:
        documents: list[SyncDocument] = []
        for among in self._among(sync_documents.c.id, ids):
            documents.extend(map(SyncDocument.of,
                                 await self._all(_documents().where(among))))
        return sorted(documents, key=posting_cursor)

    async def posting_page(self, sync_id: str, after: tuple[Any, ...] | None,
                           limit: int, *, payments: bool = False) -> Sequence[RowMapping]:
        """The session's next ``limit`` documents (with ``payments``, its payments and
        collections, which have no tipo DTE) in posting order after ``after``, whatever
        their status (so the plan is a walk of ix_sync_documents_posting_order, however
        stale the table's statistics). Their state is asked again under the company's
        lock, when the page is posted (posting_state)."""
        query = (
            select(sync_documents.c.id, sync_documents.c.source_key, sync_documents.c.entry,
                   states.c.status, states.c.hold_code,
                   sync_documents.c.issue_date, sync_documents.c.dte_type,
                   sync_documents.c.folio, sync_documents.c.payment,
                   sync_documents.c.account_source)
            .select_from(documents_with_state)
            .where(sync_documents.c.sync_id == sync_id,
                   sync_documents.c.dte_type.is_(None) if payments
                   else sync_documents.c.dte_type.is_not(None))
            .order_by(*POSTING_ORDER).limit(limit)
        )
        if after is not None:
            query = query.where(tuple_(*POSTING_ORDER) > tuple_(
                *(literal(value, column.type) for value, column in zip(after, POSTING_ORDER,
                                                                        strict=True))))
        if self.session.get_bind().dialect.name != "postgresql":
            return await self._all(query)
        await self.session.execute(_WALK_THE_INDEX, {"on": "off"})
        rows = await self._all(query)
        await self.session.execute(_WALK_THE_INDEX, {"on": "on"})
        return rows

    async def posting_state(self, document_ids: list[str]) -> dict[str, RowMapping]:
        """Each document's status and hold code as they are now (a page read ahead is
        checked again with this, under the company's lock): the narrow table alone."""
        found: dict[str, RowMapping] = {}
        for among in self._among(states.c.id, document_ids):
            found.update((row.id, row) for row in await self._all(
                select(states.c.id, states.c.status, states.c.hold_code).where(among)))
        return found

    async def held_for_closed_period(self, company_id: str, first: date,
                                     last: date) -> Sequence[RowMapping]:
        """Documents waiting only because their month was closed (confirming their session
        again posts them once they are ready)."""
        return await self._all(
            select(*DOCUMENT_COLUMNS, sync_sessions.c.kind.label("sync_kind"),
                   sync_sessions.c.status.label("sync_status"))
            .select_from(documents_with_state.join(
                sync_sessions, sync_sessions.c.id == sync_documents.c.sync_id))
            .where(sync_documents.c.company_id == company_id,
                   states.c.hold_code == CLOSED_PERIOD,
                   sync_documents.c.issue_date >= first, sync_documents.c.issue_date <= last)
        )

    async def document_counts(self, sync_id: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(sync_document_counts.c.status, sync_document_counts.c.count)
            .where(sync_document_counts.c.sync_id == sync_id))
        return {status: count for status, count in rows.all() if count}

    async def stored_source_keys(self, sync_id: str, keys: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for among in self._among(sync_documents.c.source_key, keys):
            rows = await self.session.execute(
                select(sync_documents.c.source_key).where(sync_documents.c.sync_id == sync_id,
                                                          among))
            found.update(rows.scalars().all())
        return found

    async def add_documents(self, rows: list[dict[str, Any]]) -> set[str]:
        """Store the documents; one a concurrent batch already stored for the session is
        skipped. The ids stored."""
        if not rows:
            return set()
        # In key order (see LOCK ORDER): a key a concurrent batch is inserting too is waited
        # for, and two batches that wait on each other's keys in opposite orders deadlock.
        rows = sorted(rows, key=lambda row: (row["sync_id"], row["source_key"]))
        inserted = set(await bulk_insert(
            self.session, sync_documents,
            [{k: v for k, v in row.items() if k not in STATE_COLUMNS} for row in rows],
            skip_conflicts_on=("sync_id", "source_key"), returning="id"))
        stored = [row for row in rows if row["id"] in inserted]
        # New ids: nothing to conflict with, so the fastest way in.
        await bulk_insert(self.session, states, [
            {"id": row["id"], **{name: row[name] for name in STATE_COLUMNS}} for row in stored],
            copy=True)
        self._count_changes.update((row["sync_id"], row["status"]) for row in stored)
        return inserted

    async def count_received(self, sync_id: str, count: int) -> str:
        """Count ``count`` more documents received and move a range session on, in one
        UPDATE (concurrent batches add up without a lock held for the whole batch); the
        session's status after it: domain.syncs.PROGRESS, its facts asked in SQL."""
        received = sync_sessions.c.received + count
        status = sync_sessions.c.status
        holds = {
            SessionFact.LIVE: sync_sessions.c.kind != SyncKind.RANGE.value,
            SessionFact.CLOSED: status.in_([s.value for s in CLOSED]),
            SessionFact.ALL_RECEIVED: and_(sync_sessions.c.expected.is_not(None),
                                           received >= sync_sessions.c.expected),
            SessionFact.SOME_RECEIVED: received > 0,
        }
        new_status = case(*((holds[fact], status if then is None else literal(then.value))
                            for fact, then in PROGRESS), else_=status)
        return (await self.session.execute(
            update(sync_sessions).where(sync_sessions.c.id == sync_id)
            .values(received=received, status=new_status, progress_at=now())
            .returning(sync_sessions.c.status)
        )).scalar_one()

    async def get_document(self, sync_id: str, document_id: str) -> SyncDocument | None:
        row = await self._one(
            _documents().where(sync_documents.c.sync_id == sync_id,
                               sync_documents.c.id == document_id)
        )
        return None if row is None else SyncDocument.of(row)

    async def update_document(self, document_id: str, **values: Any) -> None:
        await self.session.execute(
            update(sync_documents).where(sync_documents.c.id == document_id).values(**values)
        )

    async def set_documents(self, changes: list[dict[str, Any]],
                            before: dict[str, tuple[str, str]] | None = None) -> None:
        """Bulk update: each change is {doc_id, status, entry_id, hold_reason, hold_code}.
        ``before``: each document's (sync_id, status) if the caller read it in this
        transaction, under the company's lock (else it is read here)."""
        if not changes:
            return
        if before is None:
            before = await self._statuses([c["doc_id"] for c in changes])
        for c in changes:
            sync_id, status = before[c["doc_id"]]
            self._count_changes[(sync_id, status)] -= 1
            self._count_changes[(sync_id, c["new_status"])] += 1
        await bulk_update(self.session, states, [
            {"id": c["doc_id"], "status": c["new_status"], "entry_id": c["new_entry_id"],
             "hold_reason": c["new_hold_reason"], "hold_code": c["new_hold_code"]}
            for c in changes])

    async def _statuses(self, document_ids: list[str]) -> dict[str, tuple[str, str]]:
        """Each document's (sync_id, status) as it is now."""
        found: dict[str, tuple[str, str]] = {}
        for among in self._among(sync_documents.c.id, document_ids):
            rows = await self.session.execute(
                select(sync_documents.c.id, sync_documents.c.sync_id, states.c.status)
                .select_from(documents_with_state).where(among))
            found.update((id_, (sync_id, status)) for id_, sync_id, status in rows.all())
        return found

    async def flush_counts(self) -> None:
        """Apply the transaction's changes to the per-status counts. Called just before the
        commit, so that every transaction takes these row locks last and in one order."""
        changes = sorted((key, delta) for key, delta in self._count_changes.items() if delta)
        self._count_changes.clear()
        if not changes:
            return
        insert_counts = upsert(self.session, sync_document_counts)
        await self.session.execute(
            insert_counts.on_conflict_do_update(
                index_elements=["sync_id", "status"],
                set_={"count": sync_document_counts.c.count + insert_counts.excluded.count}),
            [{"sync_id": sync_id, "status": status, "count": delta}
             for (sync_id, status), delta in changes])
