"""The hand-written migrations build exactly the schema the code's tables describe."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from invoicing.adapters.tables import metadata
from invoicing.entrypoints.cli import migrate


async def test_migrated_postgresql_matches_the_tables(container):
    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), metadata)

    async with container.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_migrate_creates_a_sqlite_database(tmp_path):
    url = f"sqlite:///{tmp_path}/var/invoicing.db"
    await asyncio.to_thread(migrate, url)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert not compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert {"companies", "documents", "integration_links", "outbox",
            "processed_messages"} <= tables
