"""Reading and writing the exports of syncs in progress (sync_exports)."""

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from invoicing.adapters.tables import sync_exports
from invoicing.domain.sync_exports import SyncExport
from shared.db import upsert


def _now() -> datetime:
    return datetime.now(UTC)


def _values(export: SyncExport) -> dict:
    after_date, after_folio, after_id = export.after or (None, None, None)
    return {
        "after_date": after_date, "after_folio": after_folio, "after_id": after_id,
        "pages": export.pages, "document_count": export.document_count,
        "totals": [[*key, *amounts] for key, amounts in sorted(export.totals.items())],
        "completed_at": _now() if export.completed else None,
        "updated_at": _now(),
    }


def _export(row) -> SyncExport:
    return SyncExport(
        sync_id=row.sync_id, company_rut=row.company_rut, date_from=row.date_from,
        date_to=row.date_to,
        after=None if row.after_id is None else (row.after_date, row.after_folio, row.after_id),
        pages=row.pages, document_count=row.document_count,
        totals={(month, direction, dte_type): list(amounts)
                for month, direction, dte_type, *amounts in row.totals},
        completed=row.completed_at is not None,
    )


class SyncExportRepository:
    def __init__(self, session: AsyncSession):
        self._session = session

    async def lock(self, sync_id: str) -> SyncExport | None:
        """The export, locked until this transaction ends; None if it has not started.

        An UPDATE rather than SELECT … FOR UPDATE: it locks the row on PostgreSQL and takes
        SQLite's write lock before anything is read, so two deliveries of one request
        never read the same cursor and both send the page after it."""
        row = (await self._session.execute(
            update(sync_exports).where(sync_exports.c.sync_id == sync_id)
            .values(updated_at=_now()).returning(*sync_exports.c)
        )).first()
        return None if row is None else _export(row)

    async def add(self, export: SyncExport) -> None:
        """Record a new export; one another delivery recorded first is kept."""
        await self._session.execute(
            upsert(self._session, sync_exports)
            .values(sync_id=export.sync_id, company_rut=export.company_rut,
                    date_from=export.date_from, date_to=export.date_to, started_at=_now(),
                    **_values(export))
            .on_conflict_do_nothing(index_elements=["sync_id"])
        )

    async def save(self, export: SyncExport) -> None:
        await self._session.execute(
            update(sync_exports).where(sync_exports.c.sync_id == export.sync_id)
            .values(**_values(export))
        )

