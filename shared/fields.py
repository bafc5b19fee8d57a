"""Field types of request bodies and query parameters, shared by the three services.

Every request body is a `RequestModel`: a field the model does not name is refused
(`field.unknown`), and no value is coerced from another JSON type (`"true"` is not a
boolean, `12.0` is not an integer, `0` is not a date). Text fields are lines or messages
(`shared.text`), amounts are decimal strings (`shared.money`), dates are `YYYY-MM-DD` and
instants RFC 3339 with a UTC offset. Each type publishes in OpenAPI exactly what it accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainValidator,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from shared.identifiers import normalize_uscc, parse_patent_number, parse_trademark_number
from shared.text import LINE_PATTERN, MESSAGE_PATTERN, clean_line, clean_message


class RequestModel(BaseModel):
    """A request body: unknown fields refused, no coercion between JSON types."""

    model_config = ConfigDict(extra="forbid", strict=True)


class FieldRefused(ValueError):
    """A value of the wrong form; ``code`` is stable and machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Pattern:
    """Publishes a pattern in the JSON Schema without letting pydantic enforce it."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


Line = Annotated[str, AfterValidator(clean_line), _Pattern(LINE_PATTERN)]
"""A single line of text (a name, an address, a title, a code); give it a `max_length`."""

Message = Annotated[str, AfterValidator(clean_message), _Pattern(MESSAGE_PATTERN)]
"""Free text that may span lines (an explanation, a purpose); give it a `max_length`."""


_YEAR = r"(19[0-9]{2}|2[01][0-9]{2})"
_DAY = _YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
DATE_PATTERN = f"^{_DAY}$"
INSTANT_PATTERN = (
    f"^{_DAY}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_DATE = re.compile(DATE_PATTERN)
_INSTANT = re.compile(INSTANT_PATTERN)


def parse_day(value: object) -> date:
    """A calendar day written `YYYY-MM-DD`, years 1900 to 2199."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _DATE.fullmatch(value) is None:
        raise FieldRefused("date.format", "dates are written YYYY-MM-DD, years 1900 to 2199")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise FieldRefused("date.invalid", f"{value} is not a day of the calendar") from exc


def parse_instant(value: object) -> datetime:
    """An instant in RFC 3339 with a UTC offset, e.g. `2027-03-20T10:00:00+08:00`."""
    if isinstance(value, datetime) and value.utcoffset() is not None:
        return value
    if not isinstance(value, str) or _INSTANT.fullmatch(value) is None:
        raise FieldRefused(
            "instant.format",
            "instants are written YYYY-MM-DDThh:mm:ss with a UTC offset (Z or +08:00)",
        )
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise FieldRefused("instant.invalid", f"{value} is not an instant") from exc


Day = Annotated[
    date,
    BeforeValidator(parse_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
Instant = Annotated[
    datetime,
    BeforeValidator(parse_instant),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN}),
]


def parse_day_or_instant(value: object) -> date | datetime:
    """A calendar day (`YYYY-MM-DD`) or an instant with a UTC offset."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value) is not None:
        return parse_day(value)
    try:
        return parse_instant(value)
    except FieldRefused as exc:
        raise FieldRefused(
            "period.format", "a date YYYY-MM-DD or an instant with a UTC offset"
        ) from exc


DayOrInstant = Annotated[
    date | datetime,
    PlainValidator(parse_day_or_instant),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date", "pattern": DATE_PATTERN},
                {"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN},
            ]
        }
    ),
]


class DecimalText:
    """Parses a decimal that is not money (a rate, a share), written as a string."""

    def __init__(self, pattern: str, example: str) -> None:
        self.pattern = pattern
        self.example = example
        self._compiled = re.compile(pattern)

    def __call__(self, value: object) -> Decimal:
        if isinstance(value, Decimal):
            return value
        if not isinstance(value, str):
            raise FieldRefused(
                "decimal.not_a_string", f'decimals are strings such as "{self.example}"'
            )
        if self._compiled.fullmatch(value) is None:
            raise FieldRefused("decimal.format", f"{value[:40]!r} does not match {self.pattern}")
        return Decimal(value)

    def schema(self) -> WithJsonSchema:
        """The JSON Schema of the decimal."""
        return WithJsonSchema(
            {"type": "string", "pattern": self.pattern, "examples": [self.example]}
        )


_FRACTION = DecimalText(r"^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$", "0.6")
Fraction = Annotated[Decimal, BeforeValidator(_FRACTION), _FRACTION.schema()]
"""A decimal from 0 to 1, with up to six decimals, e.g. "0.6"."""


def _identifier(parse: Callable[[str], str]) -> Callable[[str], str]:
    def validate(value: str) -> str:
        return parse(clean_line(value))

    return validate


USCC_PATTERN = r"^ *([0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y] *){18}$"
_PATENT_12 = r"(200[3-9]|20[1-9][0-9]|2[1-9][0-9]{2})[12389][0-9]{7}"
_PATENT_8 = r"(8[5-9]|9[0-9]|0[0-3])[12389][0-9]{5}"
PATENT_NUMBER_PATTERN = f"^([Cc][Nn]|[Zz][Ll])?({_PATENT_12}|{_PATENT_8})\\.?[0-9Xx]$"
_TRADEMARK_DIGITS = "|".join(f"0{{{k}}}[1-9][0-9]{{0,{7 - k}}}" for k in range(8))
TRADEMARK_NUMBER_PATTERN = f"^([Tt][Mm])?第?({_TRADEMARK_DIGITS})号?$"


def _canonical_patent(value: str) -> str:
    return parse_patent_number(value).canonical


Uscc = Annotated[
    str,
    Field(max_length=40),
    AfterValidator(_identifier(normalize_uscc)),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 40,
            "pattern": USCC_PATTERN,
            "description": "Unified Social Credit Code (GB 32100-2015); its last character "
            "is a check character",
            "examples": ["91310115MA1K3YJ675"],
        }
    ),
]
"""A Unified Social Credit Code, answered in its canonical upper-case form."""

PatentNumber = Annotated[
    str,
    Field(max_length=20),
    AfterValidator(_identifier(_canonical_patent)),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 20,
            "pattern": PATENT_NUMBER_PATTERN,
            "description": "CNIPA patent application number; its last digit is a check digit",
            "examples": ["CN201710601862.3"],
        }
    ),
]
"""A patent application number, answered in register form (`201710601862.3`)."""

TrademarkNumber = Annotated[
    str,
    Field(max_length=16),
    AfterValidator(_identifier(parse_trademark_number)),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 16,
            "pattern": TRADEMARK_NUMBER_PATTERN,
            "description": "Trademark registration number, 1 to 8 digits",
            "examples": ["12345678"],
        }
    ),
]
"""A trademark registration number, answered without leading zeros."""


class PatentRef(RequestModel):
    """A patent, by its application number."""

    right_type: Literal["patent"] = Field(description="patent")
    number: PatentNumber


class TrademarkRef(RequestModel):
    """A trademark, by its registration number."""

    right_type: Literal["trademark"] = Field(description="trademark")
    number: TrademarkNumber


RightRef = Annotated[PatentRef | TrademarkRef, Field(discriminator="right_type")]
"""A patent or a trademark: `right_type` says which, `number` is checked accordingly."""


RESOURCE_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
_RESOURCE_ID = re.compile(RESOURCE_ID_PATTERN)


def _resource_id(value: str) -> str:
    if _RESOURCE_ID.fullmatch(value) is None:
        raise FieldRefused(
            "id.format", "identifiers are 1 to 64 letters, digits, dots, colons or dashes"
        )
    return value


ResourceId = Annotated[
    str,
    AfterValidator(_resource_id),
    WithJsonSchema({"type": "string", "pattern": RESOURCE_ID_PATTERN}),
]
"""The id of a loan, filing, pledge or valuation in a path, e.g. a UUID."""
