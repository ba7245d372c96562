"""Database plumbing: plain URLs in, async engines out, on PostgreSQL or SQLite."""

from pathlib import Path
from typing import Any, cast

import asyncpg
import orjson
from sqlalchemy import Table, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

_ASYNC_DRIVERS = {"postgresql": "asyncpg", "postgres": "asyncpg", "sqlite": "aiosqlite"}


def async_url(url: str) -> str:
    """``postgresql://…`` → ``postgresql+asyncpg://…``; ``sqlite:///x`` → ``sqlite+aiosqlite:///x``.

    A URL that already names a driver is kept as it is.
    """
    parsed = make_url(url)
    backend, _, driver = parsed.drivername.partition("+")
    if driver:
        return url
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(
            f"unsupported database URL scheme '{backend}': use postgresql://… or sqlite:///…"
        )
    backend = "postgresql" if backend == "postgres" else backend
    return parsed.set(drivername=f"{backend}+{_ASYNC_DRIVERS[backend]}").render_as_string(
        hide_password=False
    )


def is_sqlite(url: str) -> bool:
    return make_url(url).drivername.startswith("sqlite")


def ensure_sqlite_directory(url: str) -> None:
    """SQLite creates the file but not its directory (var/ on a fresh clone)."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)


async def asyncpg_connection(connection: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under one of SQLAlchemy's on PostgreSQL, for the statements
    that go over the driver itself (COPY, the outbox relay's claim, the live insert).

    If ``connection`` is in a transaction, that transaction has begun on the server when
    this returns. SQLAlchemy's asyncpg adapter sends its BEGIN only before its own first
    statement, so a statement sent here first would otherwise run in autocommit and
    outlive a rollback of the unit of work it belongs to."""
    adapted = (await connection.get_raw_connection()).dbapi_connection
    if connection.in_transaction() and adapted._transaction is None:  # type: ignore[union-attr]
        await adapted._start_transaction()  # type: ignore[union-attr]
    return cast(asyncpg.Connection, adapted.driver_connection)  # type: ignore[union-attr]


def json_text(value: object) -> str:
    """JSON columns' encoder: orjson, ~10× the stdlib's speed on the documents and entries
    a sync stores by the hundred thousand. Dates come out ISO-formatted, as pydantic's
    ``mode="json"`` writes them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def create_engine(url: str, *, pool_size: int = 20) -> AsyncEngine:
    url = async_url(url)
    codec = {"json_serializer": json_text, "json_deserializer": orjson.loads}
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **codec)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # WAL lets the relay read while the API writes; FKs are off by default.
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    # As many kept connections as requests run at once: past the pool, each burst opened
    # and closed connections (a server process each). No pre-ping either: SQLAlchemy's
    # costs three round trips (BEGIN, a ping, ROLLBACK) on every checkout; a connection
    # the server ended is known to asyncpg as closed, and is replaced at checkout.
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size // 2,
                                 **codec)

    @event.listens_for(engine.sync_engine, "checkout")
    def _replace_if_closed(_dbapi_conn, record, _proxy):
        if record.driver_connection.is_closed():
            raise exc.DisconnectionError("the server closed this connection")

    return engine


def upsert(session: AsyncSession | AsyncConnection, table: Table) -> Any:
    """An INSERT that can say ON CONFLICT: each dialect has its own construct for it."""
    bind = session if isinstance(session, AsyncConnection) else session.get_bind()
    dialect = bind.dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
