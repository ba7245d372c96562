"""Money is whole Chilean pesos (CLP): plain ints, never floats."""

from typing import Annotated

from pydantic import Field, StrictInt

VAT_RATE_PERCENT = 19

Pesos = Annotated[StrictInt, Field(ge=0, le=10**15, description="whole pesos (CLP)")]
"""A non-negative amount in whole pesos."""


def round_half_up_div(numerator: int, denominator: int) -> int:
    """Integer division rounding halves away from zero, as the SII rounds amounts."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return sign * quotient


def vat_of(net: int) -> int:
    """IVA of a net amount: round(net × 0.19)."""
    return round_half_up_div(net * VAT_RATE_PERCENT, 100)


def split_gross(total: int) -> tuple[int, int]:
    """Net and IVA of a VAT-inclusive total (boletas): neto = round(total / 1.19)."""
    net = round_half_up_div(total * 100, 100 + VAT_RATE_PERCENT)
    return net, total - net
