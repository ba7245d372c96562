"""Chilean RUT, behind a thin adapter over `cl_sii.rut.Rut`.

The canonical form we store and return is the SII's own: digits, dash, check digit,
no dots, upper-case K (``76354771-K``).
"""

import contextlib
from typing import Annotated

from cl_sii.rut import Rut as _SiiRut
from pydantic import BeforeValidator, WithJsonSchema

from shared.text import preview

FINAL_CONSUMER_RUT = "66666666-6"

# "12.345.678-5" is 12 characters; the rest is room for spaces around it. Longer text is
# refused before anything else looks at it, so a RUT padded with a megabyte of spaces
# costs nothing to refuse and never reaches the cache below.
RUT_MAX_LENGTH = 20

_REQUIRED = "a RUT is required, e.g. 12.345.678-5"


class InvalidRut(ValueError):
    pass


def canonical_rut(value: str) -> str:
    """Return the canonical form of ``value`` or raise InvalidRut saying what is wrong."""
    if not isinstance(value, str):
        raise InvalidRut(_REQUIRED)
    return _canonical(value)


# Every event and proposal carries the same few thousand RUTs (the company's and its
# counterparties'), validated at each hop; the answer for a given RUT never changes. The
# cache is keyed on the cleaned form (no spaces around, no dots, upper-case K), so the
# spellings of one RUT share an entry and no key is longer than RUT_MAX_LENGTH; it is
# bounded (the oldest entry goes first), so a stream of distinct (or hostile) values cannot
# grow it; invalid values are never stored. Events carry the canonical form, which is its
# own cleaned form: the first lookup finds it without cleaning anything.
CACHE_SIZE = 1 << 16
_cache: dict[str, str] = {}


def _canonical(value: str) -> str:
    if len(value) > RUT_MAX_LENGTH:
        raise InvalidRut(
            f"'{preview(value, RUT_MAX_LENGTH)}' is not a RUT: a RUT has at most "
            f"{RUT_MAX_LENGTH} characters, e.g. 12.345.678-5 or 12345678-5"
        )
    found = _cache.get(value)
    if found is not None:
        return found
    clean = value.strip().replace(".", "").upper()
    found = _cache.get(clean)
    if found is None:
        try:
            found = _canonical_of_clean(clean)
        except _NotARut as error:
            raise InvalidRut(error.sentence(value)) from None
        if len(_cache) >= CACHE_SIZE:
            _evict_oldest()
        _cache[clean] = found
    return found


def _evict_oldest() -> None:
    # Another thread may change the cache meanwhile: it stays bounded all the same.
    with contextlib.suppress(KeyError, RuntimeError, StopIteration):
        del _cache[next(iter(_cache))]


class _NotARut(Exception):
    def __init__(self, dv: str | None = None, expected: str | None = None) -> None:
        self.dv, self.expected = dv, expected

    def sentence(self, value: str) -> str:
        if not value.strip():
            return _REQUIRED
        if self.dv is None:
            return (f"'{value}' is not a RUT: write it as digits, a dash and the check digit "
                    "(0-9 or K), e.g. 12.345.678-5 or 12345678-5")
        return (f"RUT '{value}' has check digit {self.dv} but módulo 11 gives "
                f"{self.expected}: check that the number was typed correctly")


def _canonical_of_clean(clean: str) -> str:
    if not clean:
        raise _NotARut()
    try:
        rut = _SiiRut(clean, validate_dv=False)
    except (ValueError, TypeError):
        raise _NotARut() from None
    expected = rut.calc_dv(rut.digits)
    if rut.dv != expected:
        raise _NotARut(rut.dv, expected)
    return rut.canonical


def format_rut(canonical: str) -> str:
    """The dotted form people read, e.g. ``12.345.678-5``."""
    return _SiiRut(canonical).verbose


def _validate(value: object) -> str:
    # A pydantic validator on every RUT of every message: the length, then the cache.
    if not isinstance(value, str):
        raise InvalidRut("a RUT must be a string like 12.345.678-5")
    return _canonical(value)


Rut = Annotated[
    str,
    BeforeValidator(_validate),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": RUT_MAX_LENGTH,
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
