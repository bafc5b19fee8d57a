"""Statutory checks applied by the registration desk to a pledge filing."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from services.registry.domain.filing import Party, PledgeFilingData
from services.registry.domain.marks import Togetherness, togetherness
from services.registry.domain.register import Patent, Trademark, add_months, same_day_pair


class Severity(StrEnum):
    """How a finding weighs on the filing."""

    REFUSAL = "refusal"
    WARNING = "warning"


class Outcome(StrEnum):
    """What the desk does with a checked filing."""

    REGISTER = "register"
    REFUSE = "refuse"
    NEEDS_ACKNOWLEDGEMENT = "needs_acknowledgement"


class RefusalCode(StrEnum):
    """Stable reason codes for findings, each with an English message template."""

    PLEDGOR_NOT_PATENTEE = "pledgor.not_patentee"
    PLEDGOR_NOT_OWNER = "pledgor.not_owner"
    RIGHT_UNKNOWN = "right.unknown"
    RIGHT_TERMINATED = "right.terminated"
    RIGHT_EXPIRED = "right.expired"
    RIGHT_INVALID = "right.invalid"
    PATENT_NOT_GRANTED = "patent.not_granted"
    PATENT_FEES_UNPAID = "patent.fees_unpaid"
    RIGHT_FROZEN = "right.frozen"
    DEADLINE_BEYOND_TERM = "deadline.beyond_term"
    CONTRACT_INCOMPLETE = "contract.incomplete"
    PATENT_CO_OWNER_CONSENT_MISSING = "patent.co_owner_consent_missing"
    RIGHT_ALREADY_PLEDGED = "right.already_pledged"
    PATENT_SAME_DAY_INVENTION_UTILITY = "patent.same_day_invention_utility"
    PATENT_INVALIDATION_PENDING = "patent.invalidation_pending"
    TRADEMARK_REVOKED = "trademark.revoked"
    TRADEMARK_CANCELLED = "trademark.cancelled"
    TRADEMARK_EXPIRED = "trademark.expired"
    TRADEMARK_SIMILAR_MARKS_OMITTED = "trademark.similar_marks_omitted"
    TRADEMARK_SIMILAR_MARKS_POSSIBLE = "trademark.similar_marks_possible"

    @property
    def template(self) -> str:
        """Return the English message template of this code."""
        return _TEMPLATES[self]

    @property
    def severity(self) -> Severity:
        """Return whether this code refuses the filing or only warns."""
        return Severity.WARNING if self in WARNABLE_CODES else Severity.REFUSAL

    def render(self, **params: object) -> str:
        """Return the message for this code filled in with `params`."""
        return self.template.format(**params)


WARNABLE_CODES: frozenset[RefusalCode] = frozenset(
    {
        RefusalCode.PATENT_SAME_DAY_INVENTION_UTILITY,
        RefusalCode.PATENT_INVALIDATION_PENDING,
        RefusalCode.TRADEMARK_SIMILAR_MARKS_POSSIBLE,
    }
)
OTHER_GROUND = "other"
REFUSAL_GROUNDS: frozenset[str] = frozenset(
    {code.value for code in RefusalCode} - {RefusalCode.TRADEMARK_SIMILAR_MARKS_POSSIBLE.value}
) | {OTHER_GROUND}
"""What an examiner may refuse on: the statutory grounds, or `other` with an explanation."""

_C = RefusalCode
_TEMPLATES: dict[RefusalCode, str] = {
    _C.PLEDGOR_NOT_PATENTEE: "Pledgor {pledgor} is not a patentee of record of {right}: {holders}.",
    _C.PLEDGOR_NOT_OWNER: "Pledgor {pledgor} is not the owner of record of {right}: {owner}.",
    _C.RIGHT_UNKNOWN: "{kind} {right} is not on the register.",
    _C.RIGHT_TERMINATED: "Patent {right} has terminated and cannot be pledged.",
    _C.RIGHT_EXPIRED: "Patent {right} has expired ({detail}) and cannot be pledged.",
    _C.RIGHT_INVALID: "Patent {right} has been declared invalid and cannot be pledged.",
    _C.PATENT_NOT_GRANTED: "Patent {right} has not been granted; only granted patents qualify.",
    _C.PATENT_FEES_UNPAID: "Annual fees for {right} are paid only up to {paid_through}; {detail}.",
    _C.RIGHT_FROZEN: "Right {right} is frozen by a preservation order or an ownership dispute.",
    _C.DEADLINE_BEYOND_TERM: (
        "Performance deadline {deadline} falls after the last day of protection of {right} ({end})."
    ),
    _C.CONTRACT_INCOMPLETE: "Pledge contract is incomplete: {field} {problem}.",
    _C.PATENT_CO_OWNER_CONSENT_MISSING: (
        "Patent {right} is co-owned and consent to the pledge is missing from: {missing}."
    ),
    _C.RIGHT_ALREADY_PLEDGED: "Right {right} is already pledged under registration {registration}.",
    _C.PATENT_SAME_DAY_INVENTION_UTILITY: (
        "Patent {right} belongs to a same-day invention and utility-model application pair"
        "{twin}; one of the pair must be abandoned for the other to be granted, so the pledged "
        "right may be extinguished."
    ),
    _C.PATENT_INVALIDATION_PENDING: "Patent {right} faces a pending invalidation request.",
    _C.TRADEMARK_REVOKED: "Trademark {right} has been revoked and cannot be pledged.",
    _C.TRADEMARK_CANCELLED: "Trademark {right} has been cancelled and cannot be pledged.",
    _C.TRADEMARK_EXPIRED: "Trademark {right} expired on {valid_until} and has not been renewed.",
    _C.TRADEMARK_SIMILAR_MARKS_OMITTED: (
        "The pledgor's identical or similar marks on similar goods must be pledged together "
        "with trademark {right}, but these are not included: {missed}."
    ),
    _C.TRADEMARK_SIMILAR_MARKS_POSSIBLE: (
        "The pledgor's marks {possible} may be similar to trademark {right} on similar goods; "
        "an examiner decides whether they must be pledged together."
    ),
}


@dataclass(frozen=True)
class Finding:
    """One statutory finding about a filing, optionally tied to a right."""

    code: str
    right: str | None
    message: str
    severity: Severity
    acknowledged: bool = False
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """All findings of a check and the outcome they lead to."""

    findings: tuple[Finding, ...]

    @property
    def refusals(self) -> tuple[Finding, ...]:
        """Return the findings that stand in the way of registration."""
        return tuple(f for f in self.findings if not f.acknowledged)

    @property
    def is_clean(self) -> bool:
        """Return whether there are no findings at all (green channel)."""
        return not self.findings

    @property
    def outcome(self) -> Outcome:
        """Return register, refuse or needs_acknowledgement."""
        if any(f.severity is Severity.REFUSAL for f in self.findings):
            return Outcome.REFUSE
        if self.refusals:
            return Outcome.NEEDS_ACKNOWLEDGEMENT
        return Outcome.REGISTER

    @property
    def needs_examiner(self) -> bool:
        """Return whether a registrable filing carries acknowledged warnings for an examiner."""
        return self.outcome is Outcome.REGISTER and not self.is_clean


@dataclass(frozen=True)
class _Context:
    filing: PledgeFilingData
    on: date
    active_pledges: Mapping[str, str]
    owner_marks: Sequence[Trademark]
    twins: Mapping[str, Patent]

    def finding(
        self, code: RefusalCode, right: str | None, related: tuple[str, ...] = (), **params: object
    ) -> Finding:
        acknowledged = code.severity is Severity.WARNING and code in self.filing.acknowledged
        message = code.render(right=right, **params)
        return Finding(code, right, message, code.severity, acknowledged, related)


_R = TypeVar("_R", Patent, Trademark)
_Ground = Callable[[_R, _Context], Finding | None]


def check_filing(
    filing: PledgeFilingData,
    patents: Mapping[str, Patent],
    trademarks: Mapping[str, Trademark],
    active_pledges: Mapping[str, str],
    owner_marks: Sequence[Trademark],
    on: date,
    twins: Mapping[str, Patent] | None = None,
) -> CheckResult:
    """Apply every statutory ground to `filing` as of `on` and return all findings.

    `twins` maps a pledged patent to the application its register entry links it with as
    filed on the same day (either entry may name the other).
    """
    ctx = _Context(filing, on, active_pledges, owner_marks, twins or {})
    findings = _contract_findings(ctx)
    for number in dict.fromkeys(filing.patents):
        findings.extend(_right_findings(number, "Patent", patents, _PATENT_GROUNDS, ctx))
    for number in dict.fromkeys(filing.trademarks):
        findings.extend(_right_findings(number, "Trademark", trademarks, _TRADEMARK_GROUNDS, ctx))
    return CheckResult(tuple(findings))


def check_change(
    data: PledgeFilingData,
    changed: Collection[str],
    patents: Mapping[str, Patent],
    trademarks: Mapping[str, Trademark],
    on: date,
) -> CheckResult:
    """Re-check a registered pledge's new terms: the contract, the performance deadline against
    every right's term and, when the pledgor changes, that it holds every right."""
    ctx = _Context(data, on, {}, (), {})
    findings = _contract_findings(ctx)
    rights: list[Patent | Trademark] = [patents[n] for n in data.patents if n in patents]
    rights += [trademarks[n] for n in data.trademarks if n in trademarks]
    for right in rights:
        found = [_deadline_check(right, ctx)]
        if "pledgor" in changed and isinstance(right, Patent):
            found.append(_patentee_check(right, ctx))
        elif "pledgor" in changed and isinstance(right, Trademark):
            found.append(_owner_check(right, ctx))
        findings.extend(f for f in found if f is not None)
    return CheckResult(tuple(findings))


def _right_findings(
    number: str,
    kind: str,
    register: Mapping[str, _R],
    grounds: Sequence[_Ground[_R]],
    ctx: _Context,
) -> list[Finding]:
    right = register.get(number)
    if right is None:
        return [ctx.finding(RefusalCode.RIGHT_UNKNOWN, number, kind=kind)]
    results = (ground(right, ctx) for ground in grounds)
    return [finding for finding in results if finding is not None]


def _contract_findings(ctx: _Context) -> list[Finding]:
    filing = ctx.filing
    problems = [*_party_problems("pledgor", filing.pledgor)]
    problems.extend(_party_problems("pledgee", filing.pledgee))
    if _blank(filing.debt_type):
        problems.append(("debt_type", "is empty"))
    problems.extend(_amount_problems(filing.secured_amount))
    if filing.performance_deadline <= ctx.on:
        problems.append(("performance_deadline", f"must fall after {ctx.on.isoformat()}"))
    if not filing.patents and not filing.trademarks:
        problems.append(("patents/trademarks", "name no right to pledge"))
    if _blank(filing.scope_of_guarantee):
        problems.append(("scope_of_guarantee", "is empty"))
    code = RefusalCode.CONTRACT_INCOMPLETE
    return [ctx.finding(code, None, field=name, problem=problem) for name, problem in problems]


def _blank(text: str) -> bool:
    return not text or not text.strip()


def _party_problems(role: str, party: Party) -> Iterable[tuple[str, str]]:
    for attribute in ("name", "uscc", "address"):
        if _blank(getattr(party, attribute)):
            yield f"{role}.{attribute}", "is empty"


def _amount_problems(amount: Decimal) -> Iterable[tuple[str, str]]:
    if not amount.is_finite():
        yield "secured_amount", "is not a finite amount"
        return
    if amount <= 0:
        yield "secured_amount", "must be positive"
    if _finer_than_fen(amount):
        yield "secured_amount", "must be stated to the fen (at most two decimal places)"


def _finer_than_fen(amount: Decimal) -> bool:
    _, digits, exponent = amount.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant or not isinstance(exponent, int):
        return False
    return exponent + (len(digits) - len(significant)) < -2


def _pledgor_label(ctx: _Context) -> str:
    return f"{ctx.filing.pledgor.name} ({ctx.filing.pledgor.uscc})"


def _patentee_check(patent: Patent, ctx: _Context) -> Finding | None:
    if ctx.filing.pledgor.uscc in patent.holder_usccs():
        return None
    holders = "; ".join(f"{h.name} ({h.uscc})" for h in patent.holders)
    code = RefusalCode.PLEDGOR_NOT_PATENTEE
    return ctx.finding(code, patent.number, pledgor=_pledgor_label(ctx), holders=holders)


_DEAD_PATENT_STATUS: dict[str, RefusalCode] = {
    "terminated": RefusalCode.RIGHT_TERMINATED,
    "expired": RefusalCode.RIGHT_EXPIRED,
    "invalid": RefusalCode.RIGHT_INVALID,
}


def _patent_status_check(patent: Patent, ctx: _Context) -> Finding | None:
    code = _DEAD_PATENT_STATUS.get(patent.legal_status)
    if code is RefusalCode.RIGHT_EXPIRED:
        return ctx.finding(code, patent.number, detail="legal status 'expired'")
    if code is not None:
        return ctx.finding(code, patent.number)
    if patent.term_end < ctx.on:
        detail = f"statutory term ended on {patent.term_end.isoformat()}"
        return ctx.finding(RefusalCode.RIGHT_EXPIRED, patent.number, detail=detail)
    return None


def _grant_check(patent: Patent, ctx: _Context) -> Finding | None:
    if patent.grant_date is not None and patent.legal_status != "pending":
        return None
    return ctx.finding(RefusalCode.PATENT_NOT_GRANTED, patent.number)


def _in_force(patent: Patent, on: date) -> bool:
    granted = patent.grant_date is not None
    return granted and patent.legal_status == "valid" and patent.term_end >= on


def _fees_check(patent: Patent, ctx: _Context) -> Finding | None:
    if not _in_force(patent, ctx.on) or patent.fees_paid_through >= ctx.on:
        return None
    grace_end = add_months(patent.fees_paid_through + timedelta(days=1), 6)
    if ctx.on <= grace_end:
        detail = (
            f"the fee is within its six-month late-payment grace period (ending "
            f"{grace_end.isoformat()}), which still counts as unpaid for pledge registration"
        )
    else:
        detail = f"the six-month late-payment grace period ended on {grace_end.isoformat()}"
    paid_through = patent.fees_paid_through.isoformat()
    code = RefusalCode.PATENT_FEES_UNPAID
    return ctx.finding(code, patent.number, paid_through=paid_through, detail=detail)


def _frozen_check(right: Patent | Trademark, ctx: _Context) -> Finding | None:
    if not right.frozen:
        return None
    return ctx.finding(RefusalCode.RIGHT_FROZEN, right.number)


def _deadline_check(right: Patent | Trademark, ctx: _Context) -> Finding | None:
    end = right.term_end if isinstance(right, Patent) else right.valid_until
    deadline = ctx.filing.performance_deadline
    if deadline <= end:
        return None
    code = RefusalCode.DEADLINE_BEYOND_TERM
    return ctx.finding(code, right.number, deadline=deadline.isoformat(), end=end.isoformat())


def _co_owner_check(patent: Patent, ctx: _Context) -> Finding | None:
    pledgor = ctx.filing.pledgor.uscc
    if not patent.co_owned or pledgor not in patent.holder_usccs():
        return None
    consents = set(ctx.filing.co_owner_consents)
    missing = [h for h in patent.holders if h.uscc != pledgor and h.uscc not in consents]
    if not missing:
        return None
    listed = "; ".join(f"{h.name} ({h.uscc})" for h in missing)
    related = tuple(h.uscc for h in missing)
    code = RefusalCode.PATENT_CO_OWNER_CONSENT_MISSING
    return ctx.finding(code, patent.number, related=related, missing=listed)


def _already_pledged_check(right: Patent | Trademark, ctx: _Context) -> Finding | None:
    registration = ctx.active_pledges.get(right.number)
    if registration is None:
        return None
    code = RefusalCode.RIGHT_ALREADY_PLEDGED
    return ctx.finding(code, right.number, related=(registration,), registration=registration)


def _same_day_check(patent: Patent, ctx: _Context) -> Finding | None:
    twin = ctx.twins.get(patent.number)
    linked = twin is not None and same_day_pair(patent, twin)
    if not linked and patent.number not in ctx.filing.same_day_utility_invention:
        return None
    code = RefusalCode.PATENT_SAME_DAY_INVENTION_UTILITY
    if twin is None or not linked:
        return ctx.finding(code, patent.number, twin=" (declared by the parties)")
    shown = f" with application {twin.number}, filed on {twin.filing_date.isoformat()}"
    return ctx.finding(code, patent.number, related=(twin.number,), twin=shown)


def _invalidation_check(patent: Patent, ctx: _Context) -> Finding | None:
    if not patent.invalidation_pending:
        return None
    return ctx.finding(RefusalCode.PATENT_INVALIDATION_PENDING, patent.number)


def _owner_check(mark: Trademark, ctx: _Context) -> Finding | None:
    if mark.owner.uscc == ctx.filing.pledgor.uscc:
        return None
    owner = f"{mark.owner.name} ({mark.owner.uscc})"
    code = RefusalCode.PLEDGOR_NOT_OWNER
    return ctx.finding(code, mark.number, pledgor=_pledgor_label(ctx), owner=owner)


_DEAD_TRADEMARK_STATUS: dict[str, RefusalCode] = {
    "revoked": RefusalCode.TRADEMARK_REVOKED,
    "cancelled": RefusalCode.TRADEMARK_CANCELLED,
    "expired": RefusalCode.TRADEMARK_EXPIRED,
}


def _trademark_status_check(mark: Trademark, ctx: _Context) -> Finding | None:
    code = _DEAD_TRADEMARK_STATUS.get(mark.status)
    if code is None and mark.valid_until < ctx.on:
        code = RefusalCode.TRADEMARK_EXPIRED
    if code is None:
        return None
    return ctx.finding(code, mark.number, valid_until=mark.valid_until.isoformat())


def _marks_going_with(mark: Trademark, ctx: _Context, degree: Togetherness) -> list[str]:
    pledgor = ctx.filing.pledgor.uscc
    if mark.owner.uscc != pledgor:
        return []
    owned = (m for m in ctx.owner_marks if m.status == "registered" and m.owner.uscc == pledgor)
    filed = set(ctx.filing.trademarks)
    return sorted(
        {
            m.number
            for m in owned
            if m.number not in filed and m.number != mark.number and togetherness(mark, m) is degree
        }
    )


def _similar_marks_check(mark: Trademark, ctx: _Context) -> Finding | None:
    missed = _marks_going_with(mark, ctx, Togetherness.REQUIRED)
    if not missed:
        return None
    code = RefusalCode.TRADEMARK_SIMILAR_MARKS_OMITTED
    return ctx.finding(code, mark.number, related=tuple(missed), missed=", ".join(missed))


def _possibly_similar_marks_check(mark: Trademark, ctx: _Context) -> Finding | None:
    possible = _marks_going_with(mark, ctx, Togetherness.FOR_THE_EXAMINER)
    if not possible:
        return None
    code = RefusalCode.TRADEMARK_SIMILAR_MARKS_POSSIBLE
    return ctx.finding(code, mark.number, related=tuple(possible), possible=", ".join(possible))


_PATENT_GROUNDS: tuple[_Ground[Patent], ...] = (
    _patentee_check,
    _patent_status_check,
    _grant_check,
    _fees_check,
    _frozen_check,
    _deadline_check,
    _co_owner_check,
    _already_pledged_check,
    _same_day_check,
    _invalidation_check,
)

_TRADEMARK_GROUNDS: tuple[_Ground[Trademark], ...] = (
    _owner_check,
    _trademark_status_check,
    _frozen_check,
    _deadline_check,
    _already_pledged_check,
    _similar_marks_check,
    _possibly_similar_marks_check,
)
