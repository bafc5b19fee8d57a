"""What examiners decide on a filing, and the reasons they give."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


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


@dataclass(frozen=True)
class Decision:
    """One step an examiner took on a filing: who, when, what and why."""

    action: DecisionAction
    examiner: str
    at: datetime
    reasons: tuple[Reason, ...] = ()
    message: str | None = None
