"""Money and counts from untrusted input: exact decimals, integer nano-dollars in storage.

Costs are :class:`~decimal.Decimal` end to end. The store keeps integer nano-dollars
(1e-9 USD), so sums are exact integer arithmetic in SQL; values with more than nine
decimal places are rounded half-even to the nano-dollar. Floats are converted through
their shortest ``repr`` (``0.1`` becomes ``Decimal("0.1")``, not the binary expansion).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from orchestra.errors import ValidationError

NANOS_PER_USD = 10**9
NANO = Decimal(1).scaleb(-9)
MAX_USD = Decimal(1_000_000_000)  # a single record above $1e9 is a mistake, and keeps sums inside int64
MAX_TOKENS = 10**12
_CENT = Decimal("0.01")


class InvalidNumberError(ValidationError):
    """A number from input is not a finite, non-negative number."""

    code = "invalid_number"


def parse_decimal(value: object, what: str) -> Decimal:
    """A finite, non-negative decimal from an int, float, Decimal or numeric string."""
    if isinstance(value, bool):
        raise InvalidNumberError(f"invalid number: {value!s:.40}")
    try:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidNumberError(f"{what} must be a finite number")
            number = Decimal(repr(value))
        elif isinstance(value, int | Decimal):
            number = Decimal(value)
        elif isinstance(value, str):
            text = value.strip()
            if not text or len(text) > 64:
                raise InvalidNumberError(f"invalid number: {text[:40]}")
            number = Decimal(text)
        else:
            raise InvalidNumberError(f"{what} must be a number")
    except (InvalidOperation, ValueError):
        raise InvalidNumberError(f"invalid number: {str(value)[:40]}") from None
    if not number.is_finite():
        raise InvalidNumberError(f"{what} must be a finite number")
    if number < 0:
        raise InvalidNumberError(f"{what} must be a non-negative number")
    return number


def parse_usd(value: object, what: str = "estimated cost") -> Decimal:
    """A cost in USD, rounded to the nano-dollar; at most ``MAX_USD``."""
    number = parse_decimal(value, what)
    if number > MAX_USD:
        raise InvalidNumberError(f"{what} must be at most {MAX_USD} USD")
    return number.quantize(NANO, rounding=ROUND_HALF_EVEN)


def parse_count(value: object, what: str) -> int:
    """A non-negative whole count (tokens, requests) up to ``MAX_TOKENS``."""
    number = parse_decimal(value, what)
    if number != number.to_integral_value():
        raise InvalidNumberError(f"{what} must be a whole number")
    if number > MAX_TOKENS:
        raise InvalidNumberError(f"{what} must be at most {MAX_TOKENS}")
    return int(number)


def to_nanos(usd: Decimal) -> int:
    """USD → integer nano-dollars (exact after :func:`parse_usd`)."""
    return int((usd * NANOS_PER_USD).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_nanos(nanos: int) -> Decimal:
    """Integer nano-dollars → USD without trailing zeros (at least two decimal places)."""
    usd = Decimal(int(nanos)).scaleb(-9).normalize()
    exponent = usd.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        usd = usd.quantize(_CENT)
    return usd
