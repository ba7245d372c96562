"""Alembic glue: every service's ``migrations/env.py`` calls ``run_migrations``."""

import asyncio
import os

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import async_url


def run_migrations(target_metadata: MetaData, default_url: str) -> None:
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get(
        "DATABASE_URL", default_url
    )
    url = async_url(url)
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def _run(connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()

    async def _main() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.begin() as conn:
            await conn.run_sync(_run)
        await engine.dispose()

    asyncio.run(_main())
