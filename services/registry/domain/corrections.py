"""What a correction may change: only the terms the examiner named, never the parties or rights.

The parties (their names and USCCs) and the pledged rights are the pledge itself: a different
pledgee, pledgor or right is a different pledge, filed anew. A correction changes only the
terms the examiner's request names, from a fixed vocabulary. On a filing that credit sent for
a loan, the loan fixes the secured amount and the performance deadline.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import replace

from services.registry.domain.errors import (
    CorrectionConflictsWithLoan,
    CorrectionFieldsMissing,
    CorrectionNotCorrectable,
    CorrectionNotRequested,
    RegistryRuleBroken,
)
from services.registry.domain.filing import PledgeFilingData

CREDIT_CHANNEL = "credit"


class CorrectableField(enum.StrEnum):
    """A term of a filing an examiner may ask the parties to correct."""

    DEBT_TYPE = "debt_type"
    SECURED_AMOUNT = "secured_amount"
    PERFORMANCE_DEADLINE = "performance_deadline"
    SCOPE_OF_GUARANTEE = "scope_of_guarantee"
    PLEDGOR_ADDRESS = "pledgor.address"
    PLEDGEE_ADDRESS = "pledgee.address"
    CO_OWNER_CONSENTS = "co_owner_consents"
    ACKNOWLEDGEMENTS = "acknowledgements"


CORRECTABLE: frozenset[str] = frozenset(CorrectableField)
FIXED_BY_LOAN: frozenset[str] = frozenset(
    {CorrectableField.SECURED_AMOUNT, CorrectableField.PERFORMANCE_DEADLINE}
)


def differences(old: PledgeFilingData, new: PledgeFilingData) -> tuple[str, ...]:
    """Every term in which `new` differs from `old`; added acknowledgements count, kept ones not."""
    changed = [
        f"{role}.{attribute}"
        for role in ("pledgor", "pledgee")
        for attribute in ("name", "uscc", "address")
        if getattr(getattr(old, role), attribute) != getattr(getattr(new, role), attribute)
    ]
    scalars = ("debt_type", "secured_amount", "performance_deadline", "scope_of_guarantee")
    changed += [name for name in scalars if getattr(old, name) != getattr(new, name)]
    collections = ("patents", "trademarks", "co_owner_consents", "same_day_utility_invention")
    changed += [name for name in collections if set(getattr(old, name)) != set(getattr(new, name))]
    if not set(new.acknowledged) <= set(old.acknowledged):
        changed.append(CorrectableField.ACKNOWLEDGEMENTS.value)
    return tuple(changed)


def check_request(fields: Collection[str], channel: str) -> tuple[str, ...]:
    """The fields of a correction request, in vocabulary order, if the filing allows them."""
    if not fields:
        raise CorrectionFieldsMissing("a correction request names at least one correctable field")
    _refuse(CorrectionNotCorrectable, [f for f in fields if f not in CORRECTABLE], _NOT_CORRECTABLE)
    if channel == CREDIT_CHANNEL:
        _refuse(CorrectionConflictsWithLoan, [f for f in fields if f in FIXED_BY_LOAN], _LOAN)
    return tuple(f.value for f in CorrectableField if f.value in fields)


def corrected(
    old: PledgeFilingData, new: PledgeFilingData, requested: Collection[str], channel: str
) -> tuple[PledgeFilingData, tuple[str, ...]]:
    """The corrected filing and what changed, if `new` changes only what was asked for.

    Acknowledgements given earlier stay; the rights keep their order and the filing its date.
    """
    changed = differences(old, new)
    fixed = [f for f in changed if f not in CORRECTABLE]
    _refuse(CorrectionNotCorrectable, fixed, _NOT_CORRECTABLE)
    if channel == CREDIT_CHANNEL:
        _refuse(CorrectionConflictsWithLoan, [f for f in changed if f in FIXED_BY_LOAN], _LOAN)
    _refuse(CorrectionNotRequested, [f for f in changed if f not in requested], _NOT_REQUESTED)
    data = replace(
        new,
        patents=old.patents,
        trademarks=old.trademarks,
        same_day_utility_invention=old.same_day_utility_invention,
        acknowledged=old.acknowledged | new.acknowledged,
        filed_on=old.filed_on,
    )
    return data, changed


_NOT_CORRECTABLE = "a correction cannot change it; the parties and the rights make the pledge"
_LOAN = "the loan fixes it; the filing must match the loan credit sent it for"
_NOT_REQUESTED = "the examiner's correction request does not name it"


def _refuse(error: type[RegistryRuleBroken], fields: Iterable[str], problem: str) -> None:
    named = list(dict.fromkeys(fields))
    if not named:
        return
    errors: list[dict[str, str | None]] = [
        {"field": name, "code": error.code, "message": problem} for name in named
    ]
    raise error(f"{', '.join(named)}: {problem}", errors)
