"""Fresh valid RUTs, for tests that share a database."""

import itertools

from shared.rut import rut_from_number

# Each run has its own databases, so one counter keeps the RUTs of its tests apart; it
# starts below the fixed sample RUTs the tests use (76.354.771-K, 77.777.777-7).
_numbers = itertools.count(70_000_001)


def new_rut() -> str:
    """A valid RUT (módulo 11 check digit) that no other test of this run was given."""
    return rut_from_number(next(_numbers))
