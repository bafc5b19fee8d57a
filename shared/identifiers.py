"""Validation and normalisation of Chinese legal-entity and IP identifiers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_LENGTH = 18
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(USCC_LENGTH - 1))
_USCC_VALUES = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
_USCC_DEMO_PREFIX = "91310000"
_USCC_DEMO_SEED_LIMIT = 10**9

_WHITESPACE = re.compile(r"\s+")
_PATENT_PREFIX = re.compile(r"^(?:CN|ZL)")
_PATENT_BODY = re.compile(r"([0-9]{12}|[0-9]{8})\.?([0-9X])")
_PATENT_DIGITS = re.compile(r"[0-9]{12}|[0-9]{8}")
_TRADEMARK_BODY = re.compile(r"[0-9]{1,8}")


class InvalidIdentifier(ValueError):
    """An identifier failed validation; ``code`` is stable and machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class PatentKind(Enum):
    """Kind of patent right an application number is filed for."""

    INVENTION = "invention"
    UTILITY_MODEL = "utility_model"
    DESIGN = "design"


_PATENT_TYPES: dict[str, tuple[PatentKind, bool]] = {
    "1": (PatentKind.INVENTION, False),
    "2": (PatentKind.UTILITY_MODEL, False),
    "3": (PatentKind.DESIGN, False),
    "8": (PatentKind.INVENTION, True),
    "9": (PatentKind.UTILITY_MODEL, True),
}


@dataclass(frozen=True)
class PatentNumber:
    """A validated CNIPA patent application number."""

    digits: str
    check: str
    filing_year: int
    kind: PatentKind
    pct: bool

    @property
    def canonical(self) -> str:
        """Return the number in the ``digits.check`` written form."""
        return f"{self.digits}.{self.check}"

    def __str__(self) -> str:
        return self.canonical


def _compact(value: str) -> str:
    return _WHITESPACE.sub("", value).upper()


def _uscc_values(chars: str) -> list[int]:
    bad = sorted({ch for ch in chars if ch not in _USCC_VALUES})
    if bad:
        raise InvalidIdentifier(
            "uscc.charset", f"USCC contains characters outside GB 32100 alphabet: {''.join(bad)}"
        )
    return [_USCC_VALUES[ch] for ch in chars]


def uscc_check_character(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 USCC characters."""
    body = _compact(first17)
    if len(body) != USCC_LENGTH - 1:
        raise InvalidIdentifier(
            "uscc.length", f"USCC body must have {USCC_LENGTH - 1} characters, got {len(body)}"
        )
    total = sum(v * w for v, w in zip(_uscc_values(body), _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    """Validate a Unified Social Credit Code and return its canonical upper-case form."""
    code = _compact(value)
    if len(code) != USCC_LENGTH:
        raise InvalidIdentifier(
            "uscc.length", f"USCC must have {USCC_LENGTH} characters, got {len(code)}"
        )
    _uscc_values(code)
    expected = uscc_check_character(code[:-1])
    if code[-1] != expected:
        raise InvalidIdentifier(
            "uscc.check_character",
            f"USCC check character is {code[-1]!r}, expected {expected!r}",
        )
    return code


def is_valid_uscc(value: str) -> bool:
    """Return whether ``value`` is a valid Unified Social Credit Code."""
    try:
        normalize_uscc(value)
    except InvalidIdentifier:
        return False
    return True


def make_uscc(seed: int) -> str:
    """Return a deterministic valid USCC for demo and test data."""
    if not 0 <= seed < _USCC_DEMO_SEED_LIMIT:
        raise ValueError(f"seed must be in [0, {_USCC_DEMO_SEED_LIMIT}), got {seed}")
    body = f"{_USCC_DEMO_PREFIX}{seed:09d}"
    return body + uscc_check_character(body)


def patent_check_digit(digits: str) -> str:
    """Return the mod-11 check digit ('0'-'9' or 'X') for 8 or 12 application digits."""
    if _PATENT_DIGITS.fullmatch(digits) is None:
        raise InvalidIdentifier(
            "patent_number.format", "patent application digits must be 8 or 12 ASCII digits"
        )
    total = sum(int(d) * (2 + i % 8) for i, d in enumerate(digits))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def _patent_year(digits: str) -> int:
    if len(digits) == 12:
        year = int(digits[:4])
        if year < 2003:
            raise InvalidIdentifier(
                "patent_number.year", f"12-digit application numbers start in 2003, got {year}"
            )
        return year
    yy = int(digits[:2])
    if 85 <= yy <= 99:
        return 1900 + yy
    if yy <= 3:
        return 2000 + yy
    raise InvalidIdentifier(
        "patent_number.year", f"8-digit application numbers cover 1985-2003, got year {yy:02d}"
    )


def parse_patent_number(value: str) -> PatentNumber:
    """Parse a CNIPA application number such as ``CN201710601862.3``."""
    match = _PATENT_BODY.fullmatch(_PATENT_PREFIX.sub("", _compact(value)))
    if match is None:
        raise InvalidIdentifier(
            "patent_number.format", f"not a CNIPA patent application number: {value!r}"
        )
    digits, check = match.groups()
    year = _patent_year(digits)
    type_digit = digits[4] if len(digits) == 12 else digits[2]
    if type_digit not in _PATENT_TYPES:
        raise InvalidIdentifier("patent_number.type", f"unknown patent type digit {type_digit!r}")
    expected = patent_check_digit(digits)
    if check != expected:
        raise InvalidIdentifier(
            "patent_number.check_digit",
            f"patent check digit is {check!r}, expected {expected!r}",
        )
    kind, pct = _PATENT_TYPES[type_digit]
    return PatentNumber(digits=digits, check=check, filing_year=year, kind=kind, pct=pct)


def parse_trademark_number(value: str) -> str:
    """Return the canonical (no leading zeros) CNIPA trademark registration number."""
    body = _compact(value)
    body = body.removeprefix("TM").removeprefix("第").removesuffix("号")
    if _TRADEMARK_BODY.fullmatch(body) is None or int(body) == 0:
        raise InvalidIdentifier(
            "trademark_number.format",
            f"trademark registration number must be 1-8 digits: {value!r}",
        )
    return str(int(body))
