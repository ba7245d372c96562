"""Reading and writing the remembered detail accounts (SQLAlchemy Core), on the caller's
session. See domain.remembered."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from accounting.adapters.repository import among
from accounting.adapters.tables import (
    accounts,
    counterparties,
    remembered_accounts,
    sync_documents,
)
from accounting.domain.remembered import NamedRemembered, Origin, RememberedAccount
from shared.db import upsert

_table = remembered_accounts


def _record(row: Any) -> RememberedAccount:
    return RememberedAccount(direction=row.direction, counterparty_rut=row.counterparty_rut,
                             account_code=row.account_code, origin=Origin(row.origin),
                             chosen_at=row.chosen_at, sync_id=row.sync_id,
                             source_key=row.source_key)


class RememberedRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def for_counterparties(self, company_id: str, ruts: Iterable[str]
                                 ) -> dict[tuple[str, str], RememberedAccount]:
        """What is remembered for these RUTs, by (direction, RUT): one query for a batch."""
        found: dict[tuple[str, str], RememberedAccount] = {}
        for condition in among(self.session, _table.c.counterparty_rut, sorted(set(ruts))):
            rows = (await self.session.execute(
                select(_table).where(_table.c.company_id == company_id, condition))).all()
            found.update((record.key, record) for record in map(_record, rows))
        return found

    async def page(self, company_id: str, direction: str | None, counterparty_rut: str | None,
                   offset: int, limit: int) -> tuple[list[NamedRemembered], int]:
        """A page of the company's remembered accounts, by direction and RUT, with the
        counterparty's and the account's names."""
        condition = _table.c.company_id == company_id
        if direction:
            condition = and_(condition, _table.c.direction == direction)
        if counterparty_rut:
            condition = and_(condition, _table.c.counterparty_rut == counterparty_rut)
        total = (await self.session.execute(
            select(func.count()).select_from(_table).where(condition))).scalar_one()
        rows = (await self.session.execute(
            select(_table, counterparties.c.name.label("counterparty_name"),
                   accounts.c.name.label("account_name"))
            .select_from(_table
                         .outerjoin(counterparties,
                                    and_(counterparties.c.company_id == _table.c.company_id,
                                         counterparties.c.rut == _table.c.counterparty_rut))
                         .outerjoin(accounts, and_(accounts.c.company_id == _table.c.company_id,
                                                   accounts.c.code == _table.c.account_code)))
            .where(condition)
            .order_by(_table.c.direction, _table.c.counterparty_rut)
            .offset(offset).limit(limit))).all()
        return [NamedRemembered(_record(row), row.counterparty_name, row.account_name)
                for row in rows], total

    async def remember(self, company_id: str, records: list[RememberedAccount]) -> None:
        """Remember each record, replacing what was remembered for its (direction, RUT).
        In key order (LOCK ORDER in repository.py: after the entries a confirm posts)."""
        if not records:
            return
        statement = upsert(self.session, _table)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["company_id", "direction", "counterparty_rut"],
                set_={name: statement.excluded[name] for name in (
                    "account_code", "origin", "chosen_at", "sync_id", "source_key")}),
            [{"company_id": company_id, "direction": r.direction,
              "counterparty_rut": r.counterparty_rut, "account_code": r.account_code,
              "origin": r.origin.value, "chosen_at": r.chosen_at, "sync_id": r.sync_id,
              "source_key": r.source_key} for r in sorted(records, key=lambda r: r.key)])

    async def forget(self, company_id: str, direction: str, counterparty_rut: str) -> bool:
        """Forget what was remembered; whether there was anything."""
        result = await self.session.execute(
            delete(_table).where(_table.c.company_id == company_id,
                                 _table.c.direction == direction,
                                 _table.c.counterparty_rut == counterparty_rut))
        return bool(result.rowcount)  # type: ignore[attr-defined]  # a DELETE's CursorResult

    async def chosen_documents(self, document_ids: list[str]) -> Sequence[RowMapping]:
        """The documents a person changed the detail account of, with what a choice is
        remembered from (their document, its entry and key), in the order given."""
        rows: dict[str, RowMapping] = {}
        for condition in among(self.session, sync_documents.c.id, document_ids):
            found = (await self.session.execute(
                select(sync_documents.c.id, sync_documents.c.source_key,
                       sync_documents.c.document, sync_documents.c.entry)
                .where(condition))).mappings().all()
            rows.update((row.id, row) for row in found)
        return [rows[i] for i in document_ids if i in rows]
