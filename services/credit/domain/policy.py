"""A bank's decision policy: versioned configuration applied to an appraisal.

Rules, in order, each adding a reason code to the decision:

- a right with a zero-value reason, or of an excluded kind, lends nothing;
- a right whose remaining legal term is below the policy's minimum for its kind lends nothing
  (`collateral.remaining_term_short`);
- the loan must end before every pledged right expires, counting from the last day the offer
  can be accepted (`term.beyond_collateral_expiry`, declines);
- a right whose expiry the valuation did not report is `collateral.term_unknown`: the loan is
  referred to a credit officer, unless the policy says `unknown_expiry: registry_check` (the
  registry refuses a pledge whose debt outlives the right) and has no minimum term for its kind;
- term and amount limits of the policy and of the risk-sharing programme;
- above `officer_review_above`, an approval needs a credit officer.

Reasons that decline win over those that refer; without either the loan is approved.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, Literal

from services.credit.domain.programmes import Programme
from shared.workdays import beijing_date

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
INCLUSIVE_LIMIT = Decimal("10000000.00")
SME_CLASSES = frozenset({"micro", "small", "medium"})
DECLINING = frozenset(
    {
        "term.too_long",
        "term.beyond_collateral_expiry",
        "programme.term_too_long",
        "amount.below_minimum_after_ltv",
        "quota.exhausted",
    }
)
UnknownExpiry = Literal["refer", "registry_check"]
Outcome = Literal["approve", "decline", "refer"]


@dataclass(frozen=True)
class DecisionPolicy:
    """Loan-to-value caps by right kind, term and amount limits, pricing, under one version."""

    version: str
    ltv_caps: dict[str, Decimal]
    max_amount: Decimal
    min_amount: Decimal
    annual_rate: Decimal
    max_term_months: int
    effective_from: date = date(2000, 1, 1)
    offer_valid_days: int = 30
    registration_timeout_working_days: int = 3
    excluded_kinds: frozenset[str] = field(default_factory=frozenset)
    min_remaining_years: dict[str, int] = field(default_factory=dict)
    unknown_expiry: UnknownExpiry = "refer"
    officer_review_above: Decimal | None = None
    inclusive_limit: Decimal = INCLUSIVE_LIMIT
    inclusive_size_classes: frozenset[str] = SME_CLASSES

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> DecisionPolicy:
        """Build from configuration primitives."""
        unknown = str(data.get("unknown_expiry", "refer"))
        if unknown not in ("refer", "registry_check"):
            raise ValueError(f"policy {data['version']}: unknown_expiry {unknown!r}")
        review = data.get("officer_review_above")
        return cls(
            version=str(data["version"]),
            effective_from=date.fromisoformat(str(data.get("effective_from", "2000-01-01"))),
            ltv_caps={k: Decimal(str(v)) for k, v in data["ltv_caps"].items()},
            max_amount=Decimal(str(data["max_amount"])),
            min_amount=Decimal(str(data.get("min_amount", "10000"))),
            annual_rate=Decimal(str(data["annual_rate"])),
            max_term_months=int(data["max_term_months"]),
            offer_valid_days=int(data.get("offer_valid_days", 30)),
            registration_timeout_working_days=int(data.get("registration_timeout_working_days", 3)),
            excluded_kinds=frozenset(data.get("excluded_kinds", ())),
            min_remaining_years={
                k: int(v) for k, v in (data.get("min_remaining_years") or {}).items()
            },
            unknown_expiry=unknown,  # type: ignore[arg-type]
            officer_review_above=None if review is None else Decimal(str(review)),
            inclusive_limit=Decimal(str(data.get("inclusive_limit", INCLUSIVE_LIMIT))),
            inclusive_size_classes=frozenset(data.get("inclusive_size_classes", SME_CLASSES)),
        )

    def is_inclusive(self, amount: Decimal, size_class: str) -> bool:
        """Loans under the inclusive limit to small and medium enterprises count as inclusive."""
        return amount < self.inclusive_limit and size_class in self.inclusive_size_classes

    def lending_cap(self, kinds: set[str]) -> Decimal:
        """The most generous loan-to-value cap among these right kinds."""
        caps = [self.ltv_caps.get(k, ZERO) for k in kinds if k not in self.excluded_kinds]
        return max(caps, default=ZERO)


class PolicyVersionUnknown(LookupError):
    """A loan was decided under a policy version this process does not hold (yet)."""


@dataclass(frozen=True)
class Bank:
    """A lender known to the credit service, with its policy versions and IP-loan quota."""

    bank_id: str
    name: str
    uscc: str
    address: str
    policies: tuple[DecisionPolicy, ...]
    quota_total: Decimal = Decimal("0.00")
    programmes: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.policies:
            raise ValueError(f"bank {self.bank_id} has no decision policy")
        if len({p.version for p in self.policies}) != len(self.policies):
            raise ValueError(f"bank {self.bank_id}: policy versions must be unique")

    def policy_at(self, instant: datetime) -> DecisionPolicy:
        """The policy in force on the Beijing date of `instant`."""
        day = beijing_date(instant)
        in_force = [p for p in self.policies if p.effective_from <= day]
        if not in_force:
            raise LookupError(f"bank {self.bank_id} has no policy in force on {day}")
        return max(in_force, key=lambda p: p.effective_from)

    def policy_version(self, version: str | None) -> DecisionPolicy:
        """A policy by its version (the one a loan was decided under)."""
        for policy in self.policies:
            if policy.version == version:
                return policy
        raise PolicyVersionUnknown(f"bank {self.bank_id} has no policy version {version!r}")


@dataclass(frozen=True)
class RightAppraisal:
    """One right's appraised value as the valuation reported it."""

    number: str
    kind: str
    central: Decimal
    zero_reason: str | None
    expiry_date: date | None = None


@dataclass(frozen=True)
class CreditRequest:
    """What the application asks for, as the policy needs it."""

    requested_amount: Decimal
    term_months: int
    size_class: str
    programme: Programme | None = None


@dataclass(frozen=True)
class Decision:
    """The outcome with the amount, rate, reasons and the inputs it was made on."""

    outcome: Outcome
    approved_amount: Decimal
    annual_rate: Decimal
    reasons: tuple[str, ...]
    appraised_value: Decimal
    ceiling: Decimal
    inclusive: bool
    policy_version: str
    inputs: dict[str, Any]
    decided_by: str = "policy"
    insurance_premium: Decimal = ZERO

    def declined_for(self, reason: str, **inputs: Any) -> Decision:
        """The same assessment turned into a decline for `reason`."""
        return Decision(
            "decline",
            ZERO,
            self.annual_rate,
            (*self.reasons, reason),
            self.appraised_value,
            self.ceiling,
            self.inclusive,
            self.policy_version,
            self.inputs | inputs,
            self.decided_by,
        )


@dataclass
class _Assessment:
    lendable: Decimal = ZERO
    notes: list[str] = field(default_factory=list)
    referrals: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)


def decide(
    policy: DecisionPolicy,
    request: CreditRequest,
    appraisals: tuple[RightAppraisal, ...],
    as_of: date,
) -> Decision:
    """Approve up to the loan-to-value ceiling, refer, or decline with every reason that applies."""
    latest_maturity = latest_maturity_date(as_of, policy.offer_valid_days, request.term_months)
    found = _Assessment()
    for right in appraisals:
        _assess_right(policy, right, as_of, latest_maturity, found)
    ceiling = _ceiling(policy, request, found)
    outcome: Outcome = "approve"
    if found.blockers:
        outcome = "decline"
    elif found.referrals:
        outcome = "refer"
    amount = ceiling if outcome == "approve" else ZERO
    inclusive = policy.is_inclusive(amount or request.requested_amount, request.size_class)
    return Decision(
        outcome=outcome,
        approved_amount=amount,
        annual_rate=policy.annual_rate,
        reasons=(*found.notes, *found.referrals, *found.blockers),
        appraised_value=sum((r.central for r in appraisals), ZERO),
        ceiling=ceiling,
        inclusive=inclusive,
        policy_version=policy.version,
        inputs=_inputs(policy, request, appraisals, as_of, latest_maturity, found, ceiling),
        insurance_premium=(
            request.programme.premium(amount, request.term_months) if request.programme else ZERO
        ),
    )


def _assess_right(
    policy: DecisionPolicy,
    right: RightAppraisal,
    as_of: date,
    latest_maturity: date,
    found: _Assessment,
) -> None:
    if right.expiry_date is not None and right.expiry_date <= latest_maturity:
        found.blockers.append(f"term.beyond_collateral_expiry:{right.number}")
    if right.zero_reason:
        found.notes.append(f"collateral.unusable:{right.number}:{right.zero_reason}")
        return
    if right.kind in policy.excluded_kinds:
        found.notes.append(f"collateral.kind_excluded:{right.number}:{right.kind}")
        return
    minimum = policy.min_remaining_years.get(right.kind)
    if right.expiry_date is None:
        if minimum is not None or policy.unknown_expiry == "refer":
            found.referrals.append(f"collateral.term_unknown:{right.number}")
        else:
            found.notes.append(f"collateral.term_unknown:{right.number}")
    elif minimum is not None and right.expiry_date < add_months(as_of, 12 * minimum):
        found.notes.append(f"collateral.remaining_term_short:{right.number}:{right.kind}")
        return
    found.lendable += right.central * policy.ltv_caps.get(right.kind, ZERO)


def _ceiling(policy: DecisionPolicy, request: CreditRequest, found: _Assessment) -> Decimal:
    limits = [found.lendable, policy.max_amount, request.requested_amount]
    programme = request.programme
    if programme is not None and programme.max_amount is not None:
        limits.append(programme.max_amount)
    ceiling = min(limits).quantize(FEN, ROUND_DOWN)
    if request.term_months > policy.max_term_months:
        found.blockers.append("term.too_long")
    if (
        programme is not None
        and programme.max_term_months is not None
        and request.term_months > programme.max_term_months
    ):
        found.blockers.append("programme.term_too_long")
    if ceiling < policy.min_amount:
        found.blockers.append("amount.below_minimum_after_ltv")
    elif policy.officer_review_above is not None and ceiling > policy.officer_review_above:
        found.referrals.append("amount.above_officer_limit")
    return ceiling


def _inputs(
    policy: DecisionPolicy,
    request: CreditRequest,
    appraisals: tuple[RightAppraisal, ...],
    as_of: date,
    latest_maturity: date,
    found: _Assessment,
    ceiling: Decimal,
) -> dict[str, Any]:
    return {
        "policy_version": policy.version,
        "as_of": as_of.isoformat(),
        "requested_amount": str(request.requested_amount),
        "term_months": request.term_months,
        "size_class": request.size_class,
        "programme": request.programme.name if request.programme else None,
        "latest_maturity": latest_maturity.isoformat(),
        "rights": [
            {
                "number": r.number,
                "kind": r.kind,
                "central": str(r.central),
                "zero_reason": r.zero_reason,
                "expiry_date": r.expiry_date.isoformat() if r.expiry_date else None,
            }
            for r in appraisals
        ],
        "lendable": str(found.lendable.quantize(FEN, ROUND_DOWN)),
        "ceiling": str(ceiling),
    }


def latest_maturity_date(as_of: date, offer_valid_days: int, term_months: int) -> date:
    """The maturity if the offer is accepted on its last day: the latest the loan can end."""
    return add_months(as_of + timedelta(days=offer_valid_days), term_months)


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def is_inclusive(amount: Decimal, size_class: str) -> bool:
    """Loans under 10 million yuan to small and medium enterprises count as inclusive."""
    return amount < INCLUSIVE_LIMIT and size_class in SME_CLASSES
