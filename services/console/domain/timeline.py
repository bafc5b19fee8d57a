"""A case as people read it: each event as one line, and the keys a case is found by."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

Payload = Mapping[str, Any]


class KeyKind(enum.StrEnum):
    """What an operator may search cases by."""

    LOAN = "loan"
    CORRELATION = "correlation"
    PATENT = "patent"
    TRADEMARK = "trademark"
    ENTERPRISE = "enterprise"
    BANK = "bank"


KEY_LABELS = {
    KeyKind.LOAN: "Loan id",
    KeyKind.CORRELATION: "Correlation id",
    KeyKind.PATENT: "Patent number",
    KeyKind.TRADEMARK: "Trademark number",
    KeyKind.ENTERPRISE: "Enterprise USCC",
    KeyKind.BANK: "Bank (id, USCC or name)",
}

_RIGHT_PREFIX = re.compile(r"^(CN|ZL)")
_NOT_RIGHT = re.compile(r"[^0-9A-Z.]")


def normalised(kind: KeyKind, value: str) -> str:
    """A search key in the one form cases are indexed under (patents without CN/ZL)."""
    text = value.strip()
    if kind in (KeyKind.PATENT, KeyKind.TRADEMARK):
        return _RIGHT_PREFIX.sub("", _NOT_RIGHT.sub("", text.upper()))
    if kind is KeyKind.ENTERPRISE:
        return text.upper()
    return text


def case_keys(event_type: str, aggregate_id: str, payload: Payload) -> set[tuple[KeyKind, str]]:
    """The loan, rights, enterprise and bank an event names."""
    keys: set[tuple[KeyKind, str]] = set()
    if event_type.startswith("credit."):
        keys.add((KeyKind.LOAN, aggregate_id))
        if "bank_id" in payload:
            keys.add((KeyKind.BANK, str(payload["bank_id"])))
    enterprise = payload.get("enterprise")
    if isinstance(enterprise, Mapping) and enterprise.get("uscc"):
        keys.add((KeyKind.ENTERPRISE, normalised(KeyKind.ENTERPRISE, str(enterprise["uscc"]))))
    if payload.get("enterprise_uscc"):
        keys.add((KeyKind.ENTERPRISE, normalised(KeyKind.ENTERPRISE, payload["enterprise_uscc"])))
    for party, kind in (("pledgor", KeyKind.ENTERPRISE), ("pledgee", KeyKind.BANK)):
        found = payload.get(party)
        if isinstance(found, Mapping) and found.get("uscc"):
            keys.add((kind, normalised(KeyKind.ENTERPRISE, str(found["uscc"]))))
    for right in _rights(payload):
        keys.add(right)
    return keys


def _rights(payload: Payload) -> Iterator[tuple[KeyKind, str]]:
    for number in payload.get("patents") or ():
        yield KeyKind.PATENT, normalised(KeyKind.PATENT, str(number))
    for number in payload.get("trademarks") or ():
        yield KeyKind.TRADEMARK, normalised(KeyKind.TRADEMARK, str(number))
    for right in payload.get("collateral") or payload.get("rights") or ():
        if isinstance(right, Mapping) and right.get("number"):
            kind = KeyKind.TRADEMARK if right.get("right_type") == "trademark" else KeyKind.PATENT
            yield kind, normalised(kind, str(right["number"]))


def yuan(value: Any) -> str:
    """An amount as people read it: ¥1,234,567.89."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"¥{amount:,.2f}"


def _by(who: Any) -> str:
    return f" by {who}" if who else ""


def _codes(items: Any) -> str:
    codes = [str(i.get("code")) if isinstance(i, Mapping) else str(i) for i in items or ()]
    return ", ".join(codes) or "none"


_STEPS: Mapping[str, Callable[[Payload], str]] = {
    "credit.application.submitted": lambda p: (
        f"Application from {p.get('bank_id')} for {yuan(p.get('requested_amount'))}, "
        f"{(p.get('enterprise') or {}).get('name', '')}"
    ),
    "credit.loan.awaiting_signoff": lambda p: (
        f"Waiting for an appraiser: provisional value {yuan(p.get('provisional_value'))}"
    ),
    "credit.loan.referred": lambda p: f"Referred to a credit officer: {_codes(p.get('reasons'))}",
    "credit.loan.decided": lambda p: (
        f"Decided{_by(p.get('decided_by'))}: {p.get('outcome')}, {yuan(p.get('approved_amount'))}"
    ),
    "credit.offer.accepted": lambda p: f"Offer accepted for {yuan(p.get('amount'))}",
    "credit.offer.withdrawn": lambda p: f"Offer withdrawn: {p.get('reason')}",
    "credit.pledge_filing.requested": lambda p: "Pledge filing sent to the registry",
    "credit.registration_deadline.moved": lambda p: "Registration deadline moved",
    "credit.loan.disbursed": lambda p: (
        f"Loan disbursed: {yuan(p.get('amount'))}, pledge {p.get('pledge_registration_number')}"
    ),
    "credit.repayment.received": lambda p: f"Repayment of {yuan(p.get('amount'))}",
    "credit.loan.repaid": lambda p: "Loan repaid",
    "credit.pledge_release.requested": lambda p: "Pledge release requested",
    "credit.pledge.released": lambda p: "Pledge released",
    "credit.loan.defaulted": lambda p: f"Loan defaulted, loss {yuan(p.get('loss'))}",
    "credit.claim.raised": lambda p: f"Claim on {p.get('party')}: {yuan(p.get('amount'))}",
    "credit.risk_alert.raised": lambda p: f"Risk alert on {p.get('right_number')}",
    "valuation.completed": lambda p: (
        f"Valued at {yuan(p.get('central'))} ({yuan(p.get('low'))} to {yuan(p.get('high'))}), "
        f"{p.get('status', 'final')}"
    ),
    "valuation.signed_off": lambda p: (
        f"Valuation {p.get('outcome')}{_by(p.get('appraiser_id'))}: {yuan(p.get('central'))}"
    ),
    "valuation.impaired": lambda p: f"Collateral impaired: {p.get('right_number')}",
    "registry.filing.received": lambda p: "Pledge filing received by the registry",
    "registry.filing.queued_for_examination": lambda p: (
        f"Queued for an examiner: {_codes(p.get('findings'))}"
    ),
    "registry.filing.claimed": lambda p: f"Filing claimed{_by(p.get('claimed_by'))}",
    "registry.filing.released": lambda p: f"Filing released{_by(p.get('released_by'))}",
    "registry.filing.reassigned": lambda p: (
        f"Filing reassigned to {p.get('claimed_by')}{_by(p.get('reassigned_by'))}"
    ),
    "registry.filing.warnings_acknowledged": lambda p: (
        f"Warnings acknowledged{_by(p.get('acknowledged_by'))}: {_codes(p.get('codes'))}"
    ),
    "registry.filing.correction_requested": lambda p: (
        f"Correction requested{_by(p.get('requested_by'))}: {_codes(p.get('fields'))}"
    ),
    "registry.filing.corrected": lambda p: "Filing corrected by the parties",
    "registry.filing.deadline_moved": lambda p: "Examination deadline moved",
    "registry.filing.sla_breached": lambda p: "Examination deadline passed without a decision",
    "registry.pledge.registered": lambda p: (
        f"Pledge registered{_by(p.get('decided_by'))}: {p.get('registration_number')}"
    ),
    "registry.filing.refused": lambda p: (
        f"Filing refused{_by(p.get('decided_by'))}: {_codes(p.get('grounds') or p.get('findings'))}"
    ),
    "registry.pledge.changed": lambda p: f"Pledge changed: {_codes(p.get('changed'))}",
    "registry.pledge.cancelled": lambda p: f"Pledge cancelled: {p.get('reason')}",
}


def describe(event_type: str, payload: Payload) -> str:
    """One line saying what happened."""
    step = _STEPS.get(event_type)
    if step is None:
        return event_type
    try:
        return step(payload)
    except (AttributeError, TypeError):
        return event_type
