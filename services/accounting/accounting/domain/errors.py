"""What can go wrong in a use case, in words a person can act on.

Accounting's names for shared.errors' kinds; the HTTP layer maps each kind to a status
(shared.http.problems), and the consumer path raises them too without knowing of HTTP.
"""

from shared import errors


class AccountingError(errors.DomainError):
    pass


class NotFound(AccountingError, errors.NotFound):
    pass


class Conflict(AccountingError, errors.Conflict):
    pass


class Unprocessable(AccountingError, errors.Invalid):
    pass
