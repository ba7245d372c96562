"""The embedded default: the migrations run on SQLite, and its partial unique index makes a
second active posting of a document impossible there too."""

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from accounting.adapters.tables import companies, contracts, journal_entries
from accounting.entrypoints.cli import migrate
from shared.db import create_engine


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
            await conn.execute(insert(contracts).values(rut="1-9", name="c", created_at=now))
            await conn.execute(insert(companies).values(
                id="c", contract_rut="1-9", rut="1-9", name="c", status="active",
                created_at=now))
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
