"""The correlation id of the work in hand, in a contextvar.

Set by the HTTP middleware (from ``X-Correlation-Id`` or a new one) and by the event
consumer (from each delivery's CloudEvents ``correlationid``); read by the log formatter
and by ``CloudEvent.wrap`` as its default, so events carry the id of the work that
caused them.
"""

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

CORRELATION_HEADER = "X-Correlation-Id"
# The outbox stores it in 64 characters; anything else from a client is replaced.
_VALID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,64}")

_current: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current_correlation_id() -> str | None:
    return _current.get()


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def valid_correlation_id(value: str | None) -> str | None:
    """``value`` if it can serve as a correlation id (short, printable), else None."""
    return value if value and _VALID.fullmatch(value) else None


def set_correlation_id(value: str | None) -> None:
    """Make ``value`` the current id for the rest of this task (e.g. a new sync's id)."""
    _current.set(value)


@contextmanager
def correlation(value: str | None) -> Iterator[None]:
    """The id for the duration of the block; the previous one afterwards."""
    token = _current.set(value)
    try:
        yield
    finally:
        _current.reset(token)
