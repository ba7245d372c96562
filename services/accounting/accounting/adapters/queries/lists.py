"""The lists the API pages through (companies, sync sessions, a session's documents)
and the reconciliation's reads of what the sessions received (SQLAlchemy Core, read only)."""

from datetime import date, datetime

from sqlalchemy import and_, func, select

from accounting.adapters.companies import company_of
from accounting.adapters.repository import SqlRepository
from accounting.adapters.syncs import SYNC_COLUMNS, last_progress, sync_session
from accounting.adapters.tables import (
    DOCUMENT_COLUMNS,
    companies,
    documents_with_state,
    sync_document_counts,
    sync_document_states,
    sync_documents,
    sync_sessions,
)
from accounting.domain.companies import Company, CompanyStatus
from accounting.domain.reconciliation import ManifestSync
from accounting.domain.syncs import RESUMABLE, SyncDocument, SyncKind, SyncSession, SyncStatus


class ListQueries(SqlRepository):
    async def list_companies(self, contract_rut: str) -> list[Company]:
        return [company_of(row) for row in await self._all(
            select(companies)
            .where(companies.c.contract_rut == contract_rut,
                   companies.c.status != CompanyStatus.DELETED)
            .order_by(companies.c.created_at, companies.c.id)
        )]

    async def list_syncs(self, company_id: str, kind: str | None, status: str | None,
                         *, stalled_before: datetime | None = None) -> list[SyncSession]:
        """The company's sessions, newest first; ``status`` "stalled": those open and
        without progress since ``stalled_before``."""
        query = (select(*SYNC_COLUMNS).where(sync_sessions.c.company_id == company_id)
                 .order_by(sync_sessions.c.created_at.desc(), sync_sessions.c.id))
        if kind:
            query = query.where(sync_sessions.c.kind == kind)
        if status == SyncStatus.STALLED:
            query = query.where(sync_sessions.c.status.in_(RESUMABLE),
                                last_progress() < stalled_before)
        elif status:
            query = query.where(sync_sessions.c.status == status)
        return [sync_session(row) for row in await self._all(query)]

    async def sync_with_counts(self, sync_id: str
                               ) -> tuple[SyncSession, dict[str, int]] | None:
        """A session and its per-status document counts in one round trip (a front-end
        polls this): a row per status, the session's columns on each."""
        rows = await self._all(
            select(*SYNC_COLUMNS, sync_document_counts.c.status.label("counted_status"),
                   sync_document_counts.c.count)
            .select_from(sync_sessions.outerjoin(
                sync_document_counts, sync_document_counts.c.sync_id == sync_sessions.c.id))
            .where(sync_sessions.c.id == sync_id))
        if not rows:
            return None
        session = sync_session({c.name: rows[0][c.name] for c in SYNC_COLUMNS})
        return session, {row.counted_status: row.count for row in rows if row.count}

    async def counts_by_sync(self, sync_ids: list[str]) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {sync_id: {} for sync_id in sync_ids}
        if sync_ids:
            # The kept counts, as a poll of one session reads them: counting a year of
            # documents for each session listed cost a scan of all of them.
            rows = await self.session.execute(
                select(sync_document_counts.c.sync_id, sync_document_counts.c.status,
                       sync_document_counts.c.count)
                .where(sync_document_counts.c.sync_id.in_(sync_ids),
                       sync_document_counts.c.count > 0))
            for sync_id, status, count in rows.all():
                counts[sync_id][status] = count
        return counts

    async def list_documents(self, sync_id: str, status: str | None, offset: int,
                             limit: int) -> tuple[list[SyncDocument], int]:
        condition = sync_documents.c.sync_id == sync_id
        if status:
            condition = and_(condition, sync_document_states.c.status == status)
        total = (await self.session.execute(
            select(func.count()).select_from(documents_with_state).where(condition)
        )).scalar_one()
        rows = await self._all(
            select(*DOCUMENT_COLUMNS).select_from(documents_with_state).where(condition)
            .order_by(sync_documents.c.issue_date, sync_documents.c.dte_type,
                      sync_documents.c.folio, sync_documents.c.id)
            .offset(offset).limit(limit)
        )
        return [SyncDocument.of(row) for row in rows], total

    async def company_documents_between(self, company_id: str, first: date,
                                        last: date) -> list[SyncDocument]:
        """Every tax document the company's sessions received issued on the dates (as
        invoicing's manifest counts them, whatever day their entries take), oldest first."""
        return [SyncDocument.of(row) for row in await self._all(
            select(*DOCUMENT_COLUMNS).select_from(documents_with_state)
            .where(sync_documents.c.company_id == company_id,
                   sync_documents.c.document.is_not(None),
                   sync_documents.c.issued_on >= first, sync_documents.c.issued_on <= last)
            .order_by(sync_documents.c.created_at, sync_documents.c.id)
        )]

    async def manifest_sync_covering(self, company_id: str, first: date,
                                     last: date) -> ManifestSync | None:
        """The latest range sync with a manifest whose range holds the whole month."""
        row = await self._one(
            select(sync_sessions.c.id, sync_sessions.c.date_from, sync_sessions.c.date_to,
                   sync_sessions.c.created_at, sync_sessions.c.manifest)
            .where(sync_sessions.c.company_id == company_id,
                   sync_sessions.c.kind == SyncKind.RANGE,
                   sync_sessions.c.manifest.is_not(None),
                   sync_sessions.c.date_from <= first, sync_sessions.c.date_to >= last)
            .order_by(sync_sessions.c.created_at.desc()).limit(1)
        )
        return None if row is None else ManifestSync(**row)
