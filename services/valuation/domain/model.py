"""Value objects of the valuation domain: right facts, bank inputs and valuation results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

RIGHT_TYPES = frozenset({"patent", "trademark"})
PATENT_KINDS = frozenset({"invention", "utility_model", "design"})
LEGAL_STATUSES = frozenset({"valid", "lapsed", "invalid", "expired", "revoked", "pending"})
MATURITIES = frozenset({"lab", "pilot", "mass_production"})
METHODS = frozenset({"income_royalty_share", "relief_from_royalty", "market", "cost", "zero"})

ZERO = Decimal("0")
ONE = Decimal("1")
FEN = Decimal("0.01")
DECIMAL_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)


def to_fen(amount: Decimal) -> Decimal:
    """Quantize an amount of yuan to the fen, rounding half up."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def format_amount(amount: Decimal) -> str:
    """Format yuan with thousands separators and two decimals."""
    return f"{to_fen(amount):,.2f}"


def format_rate(rate: Decimal) -> str:
    """Format a fraction as a percentage with two to four decimals."""
    text = format((rate * 100).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), "f")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}%"


@dataclass(frozen=True)
class Driver:
    """One factor that moved a valuation, with its value and its effect."""

    name: str
    value: str
    effect: str


@dataclass(frozen=True)
class Comparable:
    """A comparable transaction price with its similarity to the valued right."""

    price: Decimal
    similarity: Decimal

    def __post_init__(self) -> None:
        if self.price < ZERO:
            raise ValueError("comparable price must not be negative")
        if not ZERO <= self.similarity <= ONE:
            raise ValueError("comparable similarity must lie in [0, 1]")


@dataclass(frozen=True, kw_only=True)
class RightFacts:
    """Registry facts about one patent or trademark."""

    right_type: str
    number: str
    patent_kind: str | None = None
    filing_date: date | None = None
    grant_date: date | None = None
    expiry_date: date
    legal_status: str
    frozen: bool = False
    invalidation_pending: bool = False
    claims: int | None = None
    family_size: int | None = None
    foreign_filings: int | None = None
    citations: int | None = None
    licences: int | None = None
    litigation: bool = False
    maturity: str | None = None
    main_ipc: str | None = None
    nice_class: int | None = None

    def __post_init__(self) -> None:
        if self.right_type not in RIGHT_TYPES:
            raise ValueError(f"unknown right_type {self.right_type!r}")
        if self.right_type == "patent" and self.patent_kind not in PATENT_KINDS:
            raise ValueError(f"unknown patent_kind {self.patent_kind!r}")
        if self.right_type == "trademark" and self.patent_kind is not None:
            raise ValueError("a trademark has no patent_kind")
        if self.legal_status not in LEGAL_STATUSES:
            raise ValueError(f"unknown legal_status {self.legal_status!r}")
        if self.maturity is not None and self.maturity not in MATURITIES:
            raise ValueError(f"unknown maturity {self.maturity!r}")

    @property
    def kind(self) -> str:
        """Return the patent kind, or "trademark" for a trademark."""
        return self.patent_kind if self.patent_kind is not None else "trademark"


@dataclass(frozen=True, kw_only=True)
class BankInputs:
    """Financial inputs supplied by the lending bank for one right."""

    annual_revenue: Decimal
    revenue_growth: Decimal = ZERO
    industry: str
    high_tech: bool = False
    comparables: tuple[Comparable, ...] = ()
    replacement_cost: Decimal | None = None

    def __post_init__(self) -> None:
        if self.annual_revenue < ZERO:
            raise ValueError("annual_revenue must not be negative")
        if self.revenue_growth <= -ONE:
            raise ValueError("revenue_growth must be greater than -1")
        if self.replacement_cost is not None and self.replacement_cost < ZERO:
            raise ValueError("replacement_cost must not be negative")


@dataclass(frozen=True)
class RightValuation:
    """Valuation of one right: range, method, drivers and recommended loan-to-value."""

    number: str
    right_type: str
    low: Decimal
    central: Decimal
    high: Decimal
    method: str
    drivers: tuple[Driver, ...]
    quality_score: Decimal | None
    zero_reason: str | None
    recommended_ltv: Decimal

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}")


@dataclass(frozen=True)
class BundleValuation:
    """Valuation of a pledged bundle of rights with totals and concentration."""

    rights: tuple[RightValuation, ...]
    low: Decimal
    central: Decimal
    high: Decimal
    largest_share: Decimal
    concentration_note: str | None
    parameter_version: str
    recommended_max_loan: Decimal
