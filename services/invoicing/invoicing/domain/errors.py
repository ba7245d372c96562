"""What can go wrong in a use case, in words a person can act on.

Invoicing's names for shared.errors' kinds; the HTTP layer maps each kind to a status
(shared.http.problems), the domain knows nothing of HTTP.
"""

from shared import errors


class InvoicingError(errors.DomainError):
    pass


class NotFound(InvoicingError, errors.NotFound):
    pass


class AlreadyExists(InvoicingError, errors.Conflict):
    pass


class InvalidDocument(InvoicingError, errors.Invalid):
    pass
