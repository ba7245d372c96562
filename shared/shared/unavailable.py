"""Telling "a dependency cannot be reached right now" from "this message fails on its own".

A consumer waits out the first (its database, the broker, accounting's API are down or
restarting) without spending the message's delivery limit, and keeps the limit for the
second (shared.messaging.consumer). Only the error's own chain is read (``orig`` and
``__cause__``, the way SQLAlchemy and our adapters wrap errors), not ``__context__``: an
error raised while handling an earlier, unrelated connection error is its own failure.
"""

import sqlite3

from aiormq.exceptions import AMQPConnectionError, ChannelInvalidStateError
from sqlalchemy import exc as sa_exc

try:  # every service has httpx, but shared does not need it
    import httpx
except ImportError:  # pragma: no cover
    httpx = None  # type: ignore[assignment]  # checked before use

# SQLSTATEs that mean the database cannot be reached now, not that the query is wrong:
# connection exceptions (08…), operator intervention (57P01 shutdown … 57P04 dropped),
# too many connections (53300), no such database (3D000: renamed or not created yet).
UNREACHABLE_SQLSTATES = ("08", "57P", "53300", "3D000")


class DependencyUnavailable(Exception):
    """Raised by an adapter whose dependency cannot be reached now (after its own retries):
    worth trying again later, and no fault of the message being handled."""


def _refused_by_database(error: BaseException) -> bool:
    sqlstate = str(getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or "")
    if sqlstate.startswith(UNREACHABLE_SQLSTATES):
        return True
    # ALTER DATABASE … ALLOW_CONNECTIONS false: refused at connect time.
    return sqlstate == "55000" and "accepting connections" in str(error)


# OSErrors about files are bugs or configuration, not an outage.
_FILE_ERRORS = (FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError,
                NotADirectoryError)


def _one(error: BaseException) -> bool:
    transport = (DependencyUnavailable, TimeoutError, AMQPConnectionError,
                 ChannelInvalidStateError, sa_exc.DisconnectionError, sa_exc.TimeoutError)
    if isinstance(error, transport):
        return True
    if isinstance(error, OSError) and not isinstance(error, _FILE_ERRORS):
        return True  # ConnectionRefusedError, resets, unreachable hosts, DNS …
    if httpx is not None and isinstance(error, httpx.TransportError):
        return True
    if getattr(error, "connection_invalidated", False):  # SQLAlchemy: the connection died
        return True
    if isinstance(error, sqlite3.OperationalError):  # another process holds the file
        return "locked" in str(error) or "unable to open" in str(error)
    # asyncpg: "connection was closed in the middle of operation", "connection is closed"
    if type(error).__name__ in ("ConnectionDoesNotExistError", "InterfaceError") and \
            "closed" in str(error):
        return True
    return _refused_by_database(error)


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says a dependency is unreachable now (waiting may fix it)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if _one(current):
            return True
        pending.extend((getattr(current, "orig", None), current.__cause__))
    return False
