"""What examiners decide on a filing, and the reasons they give."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.registry.domain.checks import OTHER_GROUND, REFUSAL_GROUNDS
from services.registry.domain.errors import (
    RefusalExplanationMissing,
    RefusalReasonsMissing,
    UnknownRefusalGround,
)


@dataclass(frozen=True)
class Reason:
    """A coded reason an examiner gives for a decision."""

    code: str
    message: str


class DecisionAction(enum.StrEnum):
    CLAIMED = "claimed"
    REGISTERED = "registered"
    REFUSED = "refused"
    CORRECTION_REQUESTED = "correction_requested"
    WARNINGS_ACKNOWLEDGED = "warnings_acknowledged"
    RELEASED = "released"
    REASSIGNED = "reassigned"


@dataclass(frozen=True)
class Decision:
    """One step an examiner took on a filing: who, when, what and why.

    A correction request names the `fields` the parties may correct; an acknowledgement names
    the warning codes the parties `acknowledged`, with how they confirmed in `message`; a
    reassignment names the examiner the supervisor gave the filing to (`assignee`).
    """

    action: DecisionAction
    examiner: str
    at: datetime
    reasons: tuple[Reason, ...] = ()
    message: str | None = None
    fields: tuple[str, ...] = ()
    acknowledged: tuple[str, ...] = ()
    assignee: str | None = None


def check_refusal_reasons(filing_id: str, reasons: Sequence[Reason]) -> None:
    """Raise unless every reason names a statutory ground, or `other` with an explanation."""
    if not reasons:
        raise RefusalReasonsMissing(f"filing {filing_id}")
    unknown = sorted({r.code for r in reasons} - REFUSAL_GROUNDS)
    if unknown:
        errors: list[dict[str, str | None]] = [
            {"field": "reasons", "code": UnknownRefusalGround.code, "message": f"{code} is unknown"}
            for code in unknown
        ]
        raise UnknownRefusalGround(f"not a statutory ground: {', '.join(unknown)}", errors)
    if any(r.code == OTHER_GROUND and not r.message.strip() for r in reasons):
        raise RefusalExplanationMissing(f"filing {filing_id}: say why the filing is refused")
