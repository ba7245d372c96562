"""The books: journal entries and their lines, comprobante numbering, reversals, the
periods (months closed and reopened) and the counterparties (auxiliares) (SQLAlchemy Core).
The reports' reads of the books are in queries/."""

from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping

from accounting.adapters.repository import SqlRepository, now
from accounting.adapters.tables import (
    companies,
    counterparties,
    journal_entries,
    journal_lines,
    periods,
)
from accounting.domain.journal import JournalEntry, JournalLine, PostedSince
from accounting.domain.periods import Period, PeriodStatus
from shared.bulk import bulk_insert
from shared.db import upsert

# A line as the record has it: every column but the table's own key.
LINE_COLUMNS = tuple(c for c in journal_lines.c if c.name != "id")


def entry_lines_by_entry(rows: Iterable[RowMapping],
                         entry_ids: Iterable[str]) -> dict[str, list[JournalLine]]:
    """Rows of LINE_COLUMNS as each entry's records, in the rows' order."""
    lines: dict[str, list[JournalLine]] = {entry_id: [] for entry_id in entry_ids}
    for row in rows:
        lines[row.entry_id].append(JournalLine(**row))
    return lines


# One probe of the active-key index per key, whatever the statistics say. As `source_key =
# ANY(keys)`, a journal not yet analysed (one that grows during a confirm) was read whole
# for each page: the index found the company's entries and a filter kept the keys, so
# each page of a confirm cost more than the one before (posting 100,000 documents took
# 53 s instead of 10). LATERAL … LIMIT 1 keeps PostgreSQL from turning the probes into a
# join it could plan as a scan.
_ACTIVE_BY_KEY = """
    SELECT e.id, e.number, e.source_key
    FROM unnest($2::varchar[]) AS k(source_key)
    CROSS JOIN LATERAL (
        SELECT id, number, source_key FROM journal_entries
        WHERE company_id = $1 AND source_key = k.source_key AND reversed_by_entry_id IS NULL
        LIMIT 1) AS e
"""


class ActiveEntry(NamedTuple):
    """The entry that stands for a key."""

    id: str
    number: int
    source_key: str


def active_entries(company_id: str) -> tuple[Any, ...]:
    """The company's entries that stand (not reversed): a key has at most one of them."""
    return (journal_entries.c.company_id == company_id,
            journal_entries.c.reversed_by_entry_id.is_(None))


class JournalRepository(SqlRepository):
    async def take_entry_numbers(self, company_id: str, count: int) -> int:
        """Reserve ``count`` consecutive comprobante numbers; returns the first."""
        last = (
            await self.session.execute(
                update(companies)
                .where(companies.c.id == company_id)
                .values(last_entry_number=companies.c.last_entry_number + count)
                .returning(companies.c.last_entry_number)
            )
        ).scalar_one()
        return last - count + 1

    async def posted_source_keys(self, company_id: str, keys: Iterable[str]) -> set[str]:
        return set(await self.active_entries_by_key(company_id, keys))

    async def posted_since(self, company_id: str, number: int) -> PostedSince:
        """What the company posted after comprobante ``number``, by the (company, number)
        index: only the entries since, however big the books are."""
        rows = (await self.session.execute(
            select(journal_entries.c.source_key, journal_entries.c.reverses_entry_id)
            .where(journal_entries.c.company_id == company_id,
                   journal_entries.c.number > number))).all()
        return PostedSince(frozenset(key for key, _ in rows if key is not None),
                           any(reverses is not None for _, reverses in rows))

    async def active_entries_by_key(self, company_id: str,
                                    keys: Iterable[str]) -> dict[str, ActiveEntry]:
        if (raw := await self._postgres()) is not None:
            rows: Iterable[Any] = await raw.fetch(_ACTIVE_BY_KEY, company_id, list(keys))
        else:
            rows = [row for among in self._among(journal_entries.c.source_key, keys)
                    for row in await self._all(
                        select(journal_entries.c.id, journal_entries.c.number,
                               journal_entries.c.source_key)
                        .where(among, *active_entries(company_id)))]
        return {row["source_key"]: ActiveEntry(row["id"], row["number"], row["source_key"])
                for row in rows}

    async def get_entry(self, entry_id: str, *, lock: bool = False) -> JournalEntry | None:
        query = select(journal_entries).where(journal_entries.c.id == entry_id)
        row = await self._one(self._lock(query) if lock else query)
        return None if row is None else JournalEntry(**row)

    async def entry_lines(self, entry_ids: list[str]) -> dict[str, list[JournalLine]]:
        rows: list[RowMapping] = []
        for among in self._among(journal_lines.c.entry_id, entry_ids):
            rows.extend(await self._all(
                select(*LINE_COLUMNS)
                .where(among)
                .order_by(journal_lines.c.entry_id, journal_lines.c.line_no)
            ))
        return entry_lines_by_entry(rows, entry_ids)

    async def mark_reversed(self, entry_id: str, reversal_id: str) -> None:
        await self.session.execute(
            update(journal_entries).where(journal_entries.c.id == entry_id)
            .values(reversed_by_entry_id=reversal_id)
        )

    async def add_entries(self, entries: list[dict[str, Any]], lines: list[dict[str, Any]]) -> None:
        # A page of a confirm goes as COPY: several times faster than INSERTs of the rows.
        await bulk_insert(self.session, journal_entries, entries, copy=True)
        await bulk_insert(self.session, journal_lines, lines, copy=True)

    async def list_periods(self, company_id: str) -> list[Period]:
        return [Period(**{**row, "status": PeriodStatus(row.status)}) for row in
                await self._all(select(periods).where(periods.c.company_id == company_id))]

    async def closed_months(self, company_id: str) -> set[str]:
        rows = await self.session.execute(
            select(periods.c.month).where(periods.c.company_id == company_id,
                                          periods.c.status == PeriodStatus.CLOSED))
        return set(rows.scalars().all())

    async def entry_months(self, company_id: str) -> dict[str, int]:
        """How many entries each month holds (YYYY-MM → count)."""
        rows = await self.session.execute(
            select(journal_entries.c.entry_date).where(journal_entries.c.company_id == company_id)
        )
        counts: dict[str, int] = {}
        for (day,) in rows.all():
            month = f"{day.year:04d}-{day.month:02d}"
            counts[month] = counts.get(month, 0) + 1
        return counts

    async def set_period(self, company_id: str, month: str, **values: Any) -> None:
        exists = await self._one(
            select(periods.c.month).where(periods.c.company_id == company_id,
                                          periods.c.month == month))
        if exists is None:
            await self.session.execute(
                insert(periods).values(company_id=company_id, month=month, **values))
        else:
            await self.session.execute(
                update(periods).where(periods.c.company_id == company_id,
                                      periods.c.month == month).values(**values))

    async def counterparty_names(self, company_id: str, ruts: Iterable[str]) -> dict[str, str]:
        names: dict[str, str] = {}
        for among in self._among(counterparties.c.rut, ruts):
            rows = await self.session.execute(
                select(counterparties.c.rut, counterparties.c.name)
                .where(counterparties.c.company_id == company_id, among))
            names.update(rows.all())
        return names

    async def add_counterparties(self, company_id: str, names: dict[str, str]) -> None:
        """Each RUT once: a concurrent insert of the same RUT is not an error.

        In RUT order (see LOCK ORDER): an insert of a RUT another transaction is inserting
        waits for that one to end, so two batches of one company that insert the same new
        RUTs in their pages' orders locked them in opposite orders and deadlocked (issue 12:
        11-16 deadlocks per 20,000-document sync with two workers)."""
        if not names:
            return
        created = now()
        await self.session.execute(
            upsert(self.session, counterparties).on_conflict_do_nothing(),
            [{"company_id": company_id, "rut": rut, "name": names[rut], "created_at": created}
             for rut in sorted(names)])
