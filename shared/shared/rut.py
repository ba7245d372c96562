"""Chilean RUT, behind a thin adapter over `cl_sii.rut.Rut`.

The canonical form we store and return is the SII's own: digits, dash, check digit,
no dots, upper-case K (``76354771-K``).
"""

from functools import lru_cache
from typing import Annotated

from cl_sii.rut import Rut as _SiiRut
from pydantic import BeforeValidator, WithJsonSchema

FINAL_CONSUMER_RUT = "66666666-6"


class InvalidRut(ValueError):
    pass


def canonical_rut(value: str) -> str:
    """Return the canonical form of ``value`` or raise InvalidRut saying what is wrong."""
    if not isinstance(value, str):
        raise InvalidRut("a RUT is required, e.g. 12.345.678-5")
    return _canonical(value)


# Every event and proposal carries the same few thousand RUTs (the company's and its
# counterparties'), validated at each hop; the answer for a given string never changes.
# Bounded so that a stream of distinct (or hostile) values cannot grow it; invalid values
# raise, and exceptions are not cached.
@lru_cache(maxsize=1 << 16)
def _canonical(value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidRut("a RUT is required, e.g. 12.345.678-5")
    try:
        rut = _SiiRut(text, validate_dv=False)
    except (ValueError, TypeError):
        raise InvalidRut(
            f"'{value}' is not a RUT: write it as digits, a dash and the check digit "
            "(0-9 or K), e.g. 12.345.678-5 or 12345678-5"
        ) from None
    expected = rut.calc_dv(rut.digits)
    if rut.dv != expected:
        raise InvalidRut(
            f"RUT '{value}' has check digit {rut.dv} but módulo 11 gives {expected}: "
            "check that the number was typed correctly"
        )
    return rut.canonical


def format_rut(canonical: str) -> str:
    """The dotted form people read, e.g. ``12.345.678-5``."""
    return _SiiRut(canonical).verbose


def _validate(value: object) -> str:
    # A pydantic validator on every RUT of every message: straight to the cache.
    if not isinstance(value, str):
        raise InvalidRut("a RUT must be a string like 12.345.678-5")
    return _canonical(value)


Rut = Annotated[
    str,
    BeforeValidator(_validate),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{1,2}\.?\d{3}\.?\d{3}-[0-9kK]$",
            "examples": ["76354771-K", "12.345.678-5"],
            "description": "Chilean RUT; accepted with or without dots, returned as 12345678-5",
        }
    ),
]
"""A pydantic field type: accepts any common spelling, yields the canonical form."""


def rut_from_number(number: int) -> str:
    """The canonical RUT of a number, with its check digit (for sample and test data)."""
    digits = str(number)
    return f"{digits}-{_SiiRut.calc_dv(digits)}"
