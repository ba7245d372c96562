"""The embedded default: the migrations run on SQLite, its partial unique index makes a
second active posting of a document impossible there too, and the balances read right."""

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounting.adapters.queries.balances import BalanceQueries
from accounting.adapters.tables import (
    accounts,
    journal_entries,
    journal_lines,
)
from accounting.domain.accounts import AccountType
from accounting.domain.trial_balance import CounterpartyMovement, Movement
from accounting.entrypoints.cli import migrate
from shared.db import create_engine
from tests.integration.accounting.companies_support import add_company


async def test_one_active_posting_per_document_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path}/accounting.db"
    await asyncio.to_thread(migrate, url)
    engine = create_engine(url)
    now = datetime.now(UTC)

    def entry(entry_id: str, number: int) -> dict:
        return {"id": entry_id, "company_id": "c", "number": number,
                "entry_date": date(2024, 3, 1), "kind": "traspaso", "glosa": "x",
                "source_key": "sales:1-9:33:1", "total": 1, "created_at": now}

    try:
        async with engine.begin() as conn:
            await add_company(conn)
            await conn.execute(insert(journal_entries).values(**entry("e1", 1)))
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(insert(journal_entries).values(**entry("e2", 2)))
        async with engine.begin() as conn:  # once reversed, it may be posted again
            await conn.execute(insert(journal_entries).values(
                **{**entry("r1", 3), "source_key": "reversal:e1", "reverses_entry_id": "e1"}))
            await conn.execute(update(journal_entries).where(journal_entries.c.id == "e1")
                               .values(reversed_by_entry_id="r1"))
            await conn.execute(insert(journal_entries).values(**entry("e2", 2)))
    finally:
        await engine.dispose()


async def test_balances_with_their_opening_on_sqlite(tmp_path):
    """The reports' conditional sums (opening before 'from', sums from it) on SQLite too."""
    url = f"sqlite:///{tmp_path}/accounting.db"
    await asyncio.to_thread(migrate, url)
    engine = create_engine(url)
    now = datetime.now(UTC)
    customer = "77777777-7"
    try:
        async with engine.begin() as conn:
            await add_company(conn)
            await conn.execute(insert(accounts).values(
                company_id="c", code="110310", name="Clientes", type="asset", postable=True,
                auxiliary=True, active=True))
            for number, day, amount in ((1, date(2025, 12, 10), 11_900),
                                        (2, date(2026, 3, 5), 119_000)):
                await conn.execute(insert(journal_entries).values(
                    id=f"e{number}", company_id="c", number=number, entry_date=day,
                    kind="traspaso", glosa="x", source_key=f"k{number}", total=amount,
                    created_at=now))
                await conn.execute(insert(journal_lines), [
                    {"entry_id": f"e{number}", "line_no": 1, "account_code": "110310",
                     "role": "auxiliary", "debit": amount, "credit": 0,
                     "counterparty_rut": customer},
                    {"entry_id": f"e{number}", "line_no": 2, "account_code": "310115",
                     "role": "detail", "debit": 0, "credit": amount, "counterparty_rut": None}])
        async with AsyncSession(engine) as session:
            queries = BalanceQueries(session)
            march = await queries.account_balances("c", date(2026, 1, 1), date(2026, 3, 31))
            year = await queries.account_balances("c", date(2026, 1, 1), date(2026, 3, 31),
                                                  with_opening=False)
            per_rut = await queries.counterparty_balances("c", "110310", date(2026, 1, 1),
                                                          None)
    finally:
        await engine.dispose()
    assert march == [
        Movement("110310", "Clientes", 119_000, 0, 11_900, AccountType.ASSET),
        Movement("310115", "310115", 0, 119_000, -11_900, None)]  # not in this chart
    assert [(m.account_code, m.debit, m.opening) for m in year] == [
        ("110310", 119_000, 0), ("310115", 0, 0)]
    assert per_rut == [CounterpartyMovement(customer, None, 119_000, 0, 11_900)]
