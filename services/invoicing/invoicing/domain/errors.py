"""What can go wrong in a use case, in words a person can act on.

The HTTP layer maps each kind to a status; the domain knows nothing of HTTP.
"""

from typing import Any


class InvoicingError(Exception):
    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(InvoicingError):
    pass


class AlreadyExists(InvoicingError):
    pass


class InvalidDocument(InvoicingError):
    pass
