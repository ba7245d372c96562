"""shared.bulk on both databases: what a bulk insert or update writes is what the rows say,
whichever path it takes (on PostgreSQL one statement over arrays, or COPY when asked for
from COPY_FROM rows; executemany on SQLite)."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import event, select

from shared.bulk import COPY_FROM, bulk_insert, bulk_update, postgres_connection
from shared.db import create_engine, session_factory

metadata = sa.MetaData()
# One column of each type the services bulk-write.
things = sa.Table(
    "bulk_things", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("batch", sa.String(20), nullable=False),
    sa.Column("key", sa.String(50), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("size", sa.Integer),
    sa.Column("amount", sa.BigInteger),
    sa.Column("body", sa.JSON),
    sa.Column("note", sa.Text),
    sa.Column("at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("batch", "key"),
)
AT = datetime(2024, 7, 1, 12, 30, tzinfo=UTC)


def row(n: int, batch: str = "b1") -> dict:
    return {"id": f"{batch}-{n:04d}", "batch": batch, "key": f"k{n}",
            "day": date(2024, 7, 1 + n % 28), "size": n, "amount": 10_000_000_000 + n,
            "body": {"n": n, "tags": ["a", n]},
            "note": None if n % 2 else f"note {n}", "at": AT}


@pytest.fixture(params=["postgresql", "sqlite"])
async def sessions(request, infra, tmp_path):
    if request.param == "postgresql":
        url = await infra.create_database(f"bulk_{request.node.name[-20:]}"
                                          .replace("[", "_").replace("]", ""))
    else:
        url = f"sqlite:///{tmp_path}/bulk.db"
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


class Statements:
    """Statements on the table sent to the database during a call: through SQLAlchemy, and
    (on PostgreSQL) straight on the asyncpg connection."""

    def __init__(self, session):
        self.session, self.raw = session, None
        self.sqlalchemy = self.asyncpg = 0

    def _sqlalchemy(self, _conn, _cursor, statement, *_args):
        self.sqlalchemy += "bulk_things" in statement

    def _asyncpg(self, logged):
        self.asyncpg += "bulk_things" in logged.query

    def one_statement(self) -> bool:
        """One statement for the rows, however many: on PostgreSQL one of its own beside
        SQLAlchemy's (none through SQLAlchemy), elsewhere executemany (one cursor call)."""
        if self.raw is not None:
            return (self.sqlalchemy, self.asyncpg) == (0, 1)
        return self.sqlalchemy == 1

    async def __aenter__(self):
        event.listen(self.session.get_bind(), "before_cursor_execute", self._sqlalchemy)
        self.raw = await postgres_connection(self.session)
        if self.raw is not None:
            self.raw.add_query_logger(self._asyncpg)
        return self

    async def __aexit__(self, *exc):
        event.remove(self.session.get_bind(), "before_cursor_execute", self._sqlalchemy)
        if self.raw is not None:
            self.raw.remove_query_logger(self._asyncpg)


async def stored(sessions) -> dict[str, dict]:
    async with sessions() as session:
        rows = (await session.execute(select(things).order_by(things.c.id))).mappings().all()
    return {r["id"]: dict(r) for r in rows}


async def insert_committed(sessions, rows, **options) -> list:
    async with sessions() as session:
        inserted = await bulk_insert(session, things, rows, **options)
        await session.commit()
    return inserted


def same(expected: dict, got: dict) -> None:
    # SQLite keeps no time zone: the instant is what is compared.
    assert {**got, "at": got["at"].replace(tzinfo=UTC)} == expected


@pytest.mark.parametrize("count", [3, COPY_FROM + 10])
async def test_insert_writes_every_column_and_skips_the_conflicting_rows(sessions, count):
    first = [row(n) for n in range(count)]
    assert sorted(await insert_committed(sessions, first, skip_conflicts_on=("batch", "key"),
                                         returning="id")) == [r["id"] for r in first]
    # The same keys again (under other ids) and five new ones: only the new are stored.
    again = [{**row(n), "id": f"again-{n:04d}"} for n in range(count + 5)]
    async with sessions() as session, Statements(session) as statements:
        inserted = await bulk_insert(session, things, again, skip_conflicts_on=("batch", "key"),
                                     returning="id")
        await session.commit()
    assert sorted(inserted) == [f"again-{n:04d}" for n in range(count, count + 5)]
    assert statements.one_statement()
    found = await stored(sessions)
    assert len(found) == count + 5
    for expected in first:
        same(expected, found[expected["id"]])


@pytest.mark.parametrize("count", [3, COPY_FROM + 10])
async def test_copy_writes_the_rows_as_an_insert_does(sessions, count):
    rows = [row(n, "copy") for n in range(count)]
    assert await insert_committed(sessions, rows, copy=True) == []
    found = await stored(sessions)
    assert sorted(found) == [r["id"] for r in rows]
    for expected in rows:
        same(expected, found[expected["id"]])


@pytest.mark.parametrize("count", [3, COPY_FROM + 10])
async def test_update_sets_the_named_columns_only(sessions, count):
    rows = [row(n, "upd") for n in range(count)]
    await insert_committed(sessions, rows)
    changes = [{"id": r["id"], "size": r["size"] * 2, "note": None, "body": {"changed": True}}
               for r in rows[:-1]]  # the last row is left alone
    async with sessions() as session, Statements(session) as statements:
        await bulk_update(session, things, changes)
        await session.commit()
    assert statements.one_statement()
    found = await stored(sessions)
    for r in rows[:-1]:
        same({**r, "size": r["size"] * 2, "note": None, "body": {"changed": True}},
             found[r["id"]])
    same(rows[-1], found[rows[-1]["id"]])


async def test_rows_must_name_the_tables_columns_and_the_same_ones(sessions):
    async with sessions() as session:
        with pytest.raises(ValueError, match="bulk_things has no column colour"):
            await bulk_insert(session, things, [{**row(1), "colour": "red"}])
        with pytest.raises(ValueError, match="name different columns"):
            await bulk_update(session, things, [{"id": "a", "size": 1}, {"id": "b", "note": "x"}])
    assert await stored(sessions) == {}


@pytest.mark.parametrize("count", [3, COPY_FROM + 10])
@pytest.mark.parametrize("copy", [False, True])
async def test_a_bulk_write_first_in_a_unit_of_work_is_rolled_back_with_it(sessions, count,
                                                                           copy):
    # Over asyncpg itself, the write is the transaction's first statement on the server:
    # it must not run before the BEGIN SQLAlchemy sends only ahead of its own first one.
    async with sessions() as session:
        await bulk_insert(session, things, [row(n, "gone") for n in range(count)], copy=copy)
        await session.rollback()
    async with sessions() as session:
        await bulk_insert(session, things, [row(n, "kept") for n in range(count)], copy=copy)
        await bulk_update(session, things, [{"id": f"kept-{n:04d}", "size": -1}
                                            for n in range(count)])
        await session.commit()
    found = await stored(sessions)
    assert sorted(found) == [f"kept-{n:04d}" for n in range(count)]
    assert {r["size"] for r in found.values()} == {-1}
