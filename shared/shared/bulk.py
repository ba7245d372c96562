"""Many rows in one statement, on PostgreSQL or SQLite, the columns taken from the table.

On PostgreSQL the rows go over asyncpg itself as one statement over arrays (an INSERT …
SELECT FROM unnest, an UPDATE … FROM unnest), or, asked for and from ``COPY_FROM`` rows on,
as a COPY: SQLAlchemy's multi-row VALUES spent more CPU building a batch of 2,000 rows'
parameters than PostgreSQL storing them, and asyncpg takes at most 32,767 parameters in one
statement. A few rows go the same way: a live batch of ten documents made six such writes,
at ~150-250 µs of SQLAlchemy's statement building and executemany each against a few tens
for the array statement (whose text, one per table and set of columns, asyncpg prepares
once per connection); a COPY of so few rows is two round trips (asyncpg reads the table's
columns first) where the INSERT is one. On SQLite the rows go through SQLAlchemy's
executemany.

Which columns are written is the table's business: each row must name the same columns,
all of them the table's (a name the table lacks is an error, not a column silently left
out), and the SQL names them in the table's order with the table's types.
"""

from collections.abc import Sequence
from functools import cache
from operator import itemgetter
from typing import Any

import asyncpg
from sqlalchemy import JSON, Column, Table, bindparam, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import asyncpg_connection, json_text, upsert

# From how many rows a write asked to COPY is one (fewer go as an INSERT … unnest).
COPY_FROM = 50

_POSTGRES = postgresql.dialect()


def columns_of(table: Table, rows: Sequence[dict[str, Any]]) -> list[Column[Any]]:
    """The table's columns the rows name, in the table's order."""
    names = set(rows[0])
    if unknown := names - set(table.c.keys()):
        raise ValueError(f"{table.name} has no column {', '.join(sorted(unknown))}")
    # Rows of one length that all hold the first row's names hold exactly those: the
    # lengths are compared here, the names where each row is read (_values, or
    # _same_names before SQLAlchemy's executemany).
    if len(set(map(len, rows))) != 1:
        _same_names(table, rows)
    return [column for column in table.c if column.name in names]


def _same_names(table: Table, rows: Sequence[dict[str, Any]]) -> None:
    names = rows[0].keys()
    for row in rows:
        if row.keys() != names:
            raise ValueError(f"rows for {table.name} name different columns: "
                             f"{sorted(names ^ set(row))}")


def _values(table: Table, columns: list[Column[Any]], rows: Sequence[dict[str, Any]]
            ) -> list[tuple[Any, ...]]:
    """Each row's values in the columns' order (a page of a confirm is 300,000 lines: read
    with one C-level getter per row, not a Python loop over its cells)."""
    get = itemgetter(*[c.name for c in columns])
    try:
        values = list(map(get, rows)) if len(columns) > 1 else [(get(row),) for row in rows]
    except KeyError as missing:
        raise ValueError(f"rows for {table.name} name different columns: one lacks "
                         f"{missing.args[0]}") from None
    json_at = [i for i, c in enumerate(columns) if _is_json(c)]
    if not json_at:
        return values
    out = []
    for value in values:
        cells = list(value)
        for i in json_at:
            if cells[i] is not None:
                cells[i] = json_text(cells[i])
        out.append(tuple(cells))
    return out


async def postgres_connection(session: AsyncSession) -> asyncpg.Connection | None:
    """The asyncpg connection under the session's transaction (None on SQLite), for the
    bulk statements SQLAlchemy has no form for (COPY, UPDATE … FROM unnest)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return await asyncpg_connection(await session.connection())


def _is_json(column: Column[Any]) -> bool:
    return isinstance(column.type, JSON)


@cache
def _sql_type(column: Column[Any]) -> str:
    return column.type.compile(dialect=_POSTGRES)


def _arrays(table: Table, columns: list[Column[Any]], rows: Sequence[dict[str, Any]]
            ) -> list[Sequence[Any]]:
    """One array per column; JSON goes as text (asyncpg has no JSON array codec by default)."""
    return list(zip(*_values(table, columns, rows), strict=True))


def _unnest(columns: list[Column[Any]], alias: str = "v") -> str:
    params = ", ".join(f"${i}::{'text' if _is_json(c) else _sql_type(c)}[]"
                       for i, c in enumerate(columns, start=1))
    return f"unnest({params}) AS {alias}({', '.join(c.name for c in columns)})"


async def bulk_insert(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], *,
                      skip_conflicts_on: Sequence[str] | None = None,
                      returning: str | None = None, copy: bool = False) -> list[Any]:
    """Insert the rows. ``skip_conflicts_on``: the unique columns whose conflicts skip a
    row (ON CONFLICT DO NOTHING); ``returning``: a column whose values, for the rows
    inserted, are returned; ``copy``: on PostgreSQL, COPY from COPY_FROM rows on (several
    times faster than an INSERT of the same rows; no conflicts, nothing returned)."""
    if not rows:
        return []
    if copy and (skip_conflicts_on is not None or returning is not None):
        raise ValueError("COPY neither skips conflicts nor returns values")
    columns = columns_of(table, rows)
    if (raw := await postgres_connection(session)) is not None:
        if copy and len(rows) >= COPY_FROM:
            await raw.copy_records_to_table(table.name, columns=[c.name for c in columns],
                                            records=_values(table, columns, rows))
            return []
        names = ", ".join(c.name for c in columns)
        values = ", ".join(f"v.{c.name}::{_sql_type(c)}" if _is_json(c) else f"v.{c.name}"
                           for c in columns)
        sql = f"INSERT INTO {table.name} ({names}) SELECT {values} FROM {_unnest(columns)}"
        if skip_conflicts_on is not None:
            sql += f" ON CONFLICT ({', '.join(skip_conflicts_on)}) DO NOTHING"
        if returning is None:
            await raw.execute(sql, *_arrays(table, columns, rows))
            return []
        return [row[0] for row in await raw.fetch(f"{sql} RETURNING {returning}",
                                                  *_arrays(table, columns, rows))]
    _same_names(table, rows)
    statement: Any = upsert(session, table)
    if skip_conflicts_on is not None:
        statement = statement.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    if returning is None:
        await session.execute(statement, list(rows))
        return []
    return list((await session.execute(statement.returning(table.c[returning]),
                                       list(rows))).scalars().all())


async def bulk_update(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], *,
                      key: str = "id") -> None:
    """Set each row's other columns on the table's row whose ``key`` is the row's."""
    if not rows:
        return
    columns = columns_of(table, rows)
    values = [c for c in columns if c.name != key]
    if (raw := await postgres_connection(session)) is not None:
        # One statement for the lot rather than one UPDATE per row.
        assignments = ", ".join(
            f"{c.name} = v.{c.name}::{_sql_type(c)}" if _is_json(c) else f"{c.name} = v.{c.name}"
            for c in values)
        await raw.execute(f"UPDATE {table.name} AS t SET {assignments} FROM {_unnest(columns)} "
                          f"WHERE t.{key} = v.{key}", *_arrays(table, columns, rows))
        return
    _same_names(table, rows)
    # Bound names apart from the columns' (SQLAlchemy reserves those in an UPDATE's SET).
    await session.execute(
        update(table).where(table.c[key] == bindparam(f"b_{key}"))
        .values({c.name: bindparam(f"b_{c.name}") for c in values}),
        [{f"b_{name}": value for name, value in row.items()} for row in rows])
