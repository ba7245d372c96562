"""The journal and the ledger as the reports read them (SQLAlchemy Core, read only)."""

from datetime import date
from typing import Any

from sqlalchemy import and_, func, select

from accounting.adapters.journal import LINE_COLUMNS, entry_lines_by_entry
from accounting.adapters.repository import SqlRepository
from accounting.adapters.tables import journal_entries, journal_lines
from accounting.domain.journal import JournalEntry, JournalLine
from accounting.domain.ledger import Posting


def _entries_in(company_id: str, date_from: date | None, date_to: date | None) -> Any:
    condition = journal_entries.c.company_id == company_id
    if date_from:
        condition = and_(condition, journal_entries.c.entry_date >= date_from)
    if date_to:
        condition = and_(condition, journal_entries.c.entry_date <= date_to)
    return condition


class JournalQueries(SqlRepository):
    async def journal(self, company_id: str, date_from: date | None,
                      date_to: date | None) -> list[JournalEntry]:
        return [JournalEntry(**row) for row in await self._all(
            select(journal_entries).where(_entries_in(company_id, date_from, date_to))
            .order_by(journal_entries.c.entry_date, journal_entries.c.number)
        )]

    async def postings(self, company_id: str, codes: list[str], date_from: date | None,
                       date_to: date | None) -> list[Posting]:
        """Lines on the accounts, with their entry, in date and number order."""
        rows = await self._all(
            select(journal_entries.c.id.label("entry_id"), journal_entries.c.number,
                   journal_entries.c.entry_date, journal_entries.c.glosa,
                   journal_lines.c.account_code, journal_lines.c.counterparty_rut,
                   journal_lines.c.debit, journal_lines.c.credit)
            .select_from(journal_lines.join(journal_entries,
                                            journal_entries.c.id == journal_lines.c.entry_id))
            .where(_entries_in(company_id, date_from, date_to),
                   journal_lines.c.account_code.in_(codes))
            .order_by(journal_entries.c.entry_date, journal_entries.c.number,
                      journal_lines.c.line_no)
        )
        return [Posting(r.entry_id, r.number, r.entry_date, r.glosa, r.account_code,
                        r.counterparty_rut, int(r.debit), int(r.credit)) for r in rows]

    async def balance_before(self, company_id: str, codes: list[str], day: date) -> int:
        value = (await self.session.execute(
            select(func.coalesce(func.sum(journal_lines.c.debit - journal_lines.c.credit), 0))
            .select_from(journal_lines.join(journal_entries,
                                            journal_entries.c.id == journal_lines.c.entry_id))
            .where(journal_entries.c.company_id == company_id,
                   journal_entries.c.entry_date < day,
                   journal_lines.c.account_code.in_(codes))
        )).scalar_one()
        return int(value)

    async def list_entries(self, company_id: str, date_from: date | None, date_to: date | None,
                           offset: int, limit: int) -> tuple[list[JournalEntry], int,
                                                             dict[str, list[JournalLine]]]:
        condition = _entries_in(company_id, date_from, date_to)
        total = (await self.session.execute(
            select(func.count()).select_from(journal_entries).where(condition)
        )).scalar_one()
        entries = [JournalEntry(**row) for row in await self._all(
            select(journal_entries).where(condition)
            .order_by(journal_entries.c.entry_date, journal_entries.c.number)
            .offset(offset).limit(limit)
        )]
        ids = [e.id for e in entries]
        rows = await self._all(
            select(*LINE_COLUMNS)
            .where(journal_lines.c.entry_id.in_(ids))
            .order_by(journal_lines.c.entry_id, journal_lines.c.line_no)
        ) if ids else []
        return entries, total, entry_lines_by_entry(rows, ids)
