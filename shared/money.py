"""Money: yuan to the fen, written as a decimal string in every request, response and event.

A JSON number is refused (`money.not_a_string`): binary floating point cannot hold every amount
to the fen, and a client that sends one has probably computed it in floating point. A string
with more than two decimals, an exponent, a sign, a thousands separator or white space is
refused too (`money.format`). Amounts are answered with exactly two decimals.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

FEN = Decimal("0.01")
MAX_INTEGER_DIGITS = 16  # NUMERIC(18, 2)
# Figures a valuation multiplies (revenue, prices, costs) stay below ten trillion yuan, so that
# every value computed from them, growth and all, still fits NUMERIC(18, 2).
VALUATION_INPUT_DIGITS = 13

_CENTS = r"(\.[0-9]{1,2})?"


def money_pattern(*, positive: bool, integer_digits: int = MAX_INTEGER_DIGITS) -> str:
    """The JSON Schema pattern of an amount: up to `integer_digits` yuan and two decimals."""
    whole = f"[1-9][0-9]{{0,{integer_digits - 1}}}"
    if positive:
        return f"^({whole}{_CENTS}|0\\.(0[1-9]|[1-9][0-9]?))$"
    return f"^(0|{whole}){_CENTS}$"


class MoneyRefused(ValueError):
    """An amount that is not a decimal string in yuan to the fen."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class MoneyText:
    """Parses an amount: a decimal string matching the pattern, quantized to the fen."""

    def __init__(self, *, positive: bool, integer_digits: int = MAX_INTEGER_DIGITS) -> None:
        self.pattern = money_pattern(positive=positive, integer_digits=integer_digits)
        self._compiled = re.compile(self.pattern)
        self.example = "1500000.00" if positive else "0.00"

    def __call__(self, value: object) -> Decimal:
        if isinstance(value, Decimal):
            return value
        if not isinstance(value, str):
            raise MoneyRefused(
                "money.not_a_string",
                f'amounts are decimal strings such as "1500000.00", not {type(value).__name__}',
            )
        if self._compiled.fullmatch(value) is None:
            raise MoneyRefused(
                "money.format",
                f"{value[:40]!r} is not an amount in yuan with at most two decimals",
            )
        return Decimal(value).quantize(FEN)

    def schema(self) -> WithJsonSchema:
        """The JSON Schema of the amount: a string with its pattern and an example."""
        return WithJsonSchema(
            {"type": "string", "pattern": self.pattern, "examples": [self.example]}
        )


def format_money(value: Decimal) -> str:
    """An amount as answered: a decimal string with exactly two decimals."""
    return format(value.quantize(FEN), "f")


_POSITIVE = MoneyText(positive=True)
_NON_NEGATIVE = MoneyText(positive=False)
_FIGURE = MoneyText(positive=False, integer_digits=VALUATION_INPUT_DIGITS)
_POSITIVE_FIGURE = MoneyText(positive=True, integer_digits=VALUATION_INPUT_DIGITS)

Money = Annotated[Decimal, BeforeValidator(_POSITIVE), _POSITIVE.schema()]
"""A positive amount of a request, e.g. "1500000.00"."""

NonNegativeMoney = Annotated[Decimal, BeforeValidator(_NON_NEGATIVE), _NON_NEGATIVE.schema()]
"""An amount of a request that may be zero."""

ValuationFigure = Annotated[Decimal, BeforeValidator(_FIGURE), _FIGURE.schema()]
"""An amount a valuation computes with (revenue, a price, a cost): below ten trillion yuan."""

PositiveValuationFigure = Annotated[
    Decimal, BeforeValidator(_POSITIVE_FIGURE), _POSITIVE_FIGURE.schema()
]
"""A positive amount a valuation computes with, below ten trillion yuan."""

MoneyOut = Annotated[
    Decimal,
    PlainSerializer(format_money, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["1500000.00"]}
    ),
]
"""An amount of a response: a decimal string with exactly two decimals."""
