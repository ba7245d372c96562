"""What can go wrong in a use case, in words a person can act on.

Pure Python: the service layers and domains raise these, and each edge says what they
mean to its client (shared.http.problems maps each kind to an HTTP status; a consumer
lets them fail the message). ``detail`` says what went wrong and how to fix it; ``extra``
are the members a client may read to act without parsing the sentence.
"""

from typing import Any


class DomainError(Exception):
    """The base of every kind; raised as such it is a plain "bad request"."""

    title: str = "Bad request"
    # The problem type clients branch on (shared.internal_api's STALE_SETTINGS), when the
    # kind's is not precise enough; None: the kind's (shared.http.problems).
    type: str | None = None

    def __init__(self, detail: str, *, title: str | None = None, type: str | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        # A case that deserves its own title or type says so where it is raised.
        if title is not None:
            self.title = title
        if type is not None:
            self.type = type
        self.extra = extra


class NotFound(DomainError):
    """It does not exist (or the caller may not know it does)."""

    title = "Not found"


class Conflict(DomainError):
    """It exists, but its state does not allow this now."""

    title = "Conflict"


class Invalid(DomainError):
    """The request itself is wrong, whatever the state."""

    title = "Request is not valid"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    title = "Forbidden"


class Unavailable(DomainError):
    """Something it depends on failed part-way; trying again later may work."""

    title = "Service unavailable"
