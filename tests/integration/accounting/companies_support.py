"""A company of its own for the tests that write accounting's tables directly."""

from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from accounting.adapters.tables import companies, contracts


async def add_company(conn: AsyncConnection, company_id: str = "c") -> None:
    """Company ``company_id`` of contract 1-9 (RUT 1-9 too)."""
    now = datetime.now(UTC)
    await conn.execute(insert(contracts).values(rut="1-9", name="c", created_at=now))
    await conn.execute(insert(companies).values(
        id=company_id, contract_rut="1-9", rut="1-9", name="c", status="active",
        created_at=now))
