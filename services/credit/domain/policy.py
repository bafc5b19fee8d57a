"""A bank's decision policy: versioned configuration applied to an appraisal."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

FEN = Decimal("0.01")
INCLUSIVE_LIMIT = Decimal("10000000.00")


@dataclass(frozen=True)
class Bank:
    """A lender known to the credit service."""

    bank_id: str
    name: str
    uscc: str
    address: str
    policy: DecisionPolicy


@dataclass(frozen=True)
class DecisionPolicy:
    """Loan-to-value caps by right kind, amount limits and pricing, under one version."""

    version: str
    ltv_caps: dict[str, Decimal]
    max_amount: Decimal
    min_amount: Decimal
    annual_rate: Decimal
    max_term_months: int
    offer_valid_days: int = 30
    excluded_kinds: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> DecisionPolicy:
        """Build from configuration primitives."""
        return cls(
            version=str(data["version"]),
            ltv_caps={k: Decimal(str(v)) for k, v in data["ltv_caps"].items()},
            max_amount=Decimal(str(data["max_amount"])),
            min_amount=Decimal(str(data.get("min_amount", "10000"))),
            annual_rate=Decimal(str(data["annual_rate"])),
            max_term_months=int(data["max_term_months"]),
            offer_valid_days=int(data.get("offer_valid_days", 30)),
            excluded_kinds=frozenset(data.get("excluded_kinds", ())),
        )


@dataclass(frozen=True)
class RightAppraisal:
    """One right's appraised value as the valuation reported it."""

    number: str
    kind: str
    central: Decimal
    zero_reason: str | None


@dataclass(frozen=True)
class Decision:
    """The outcome with the amount, rate and reasons."""

    outcome: str
    approved_amount: Decimal
    annual_rate: Decimal
    reasons: tuple[str, ...]
    appraised_value: Decimal


def decide(
    policy: DecisionPolicy,
    requested_amount: Decimal,
    term_months: int,
    appraisals: tuple[RightAppraisal, ...],
) -> Decision:
    """Approve up to the loan-to-value ceiling, or decline with every reason that applies."""
    reasons: list[str] = []
    lendable = Decimal("0")
    for right in appraisals:
        if right.zero_reason:
            reasons.append(f"collateral.unusable:{right.number}:{right.zero_reason}")
            continue
        if right.kind in policy.excluded_kinds:
            reasons.append(f"collateral.kind_excluded:{right.number}:{right.kind}")
            continue
        lendable += right.central * policy.ltv_caps.get(right.kind, Decimal("0"))
    appraised = sum((r.central for r in appraisals), Decimal("0"))
    if term_months > policy.max_term_months:
        reasons.append("term.too_long")
    ceiling = min(lendable, policy.max_amount, requested_amount).quantize(FEN, ROUND_DOWN)
    if ceiling < policy.min_amount:
        reasons.append("amount.below_minimum_after_ltv")
    if reasons and (ceiling < policy.min_amount or "term.too_long" in reasons):
        return Decision("decline", Decimal("0.00"), policy.annual_rate, tuple(reasons), appraised)
    return Decision("approve", ceiling, policy.annual_rate, tuple(reasons), appraised)


def is_inclusive(amount: Decimal, size_class: str) -> bool:
    """Loans under 10 million yuan to small and medium enterprises count as inclusive."""
    return amount < INCLUSIVE_LIMIT and size_class in {"micro", "small", "medium"}
