"""Commands the registry's rules do not allow, each named by a stable code."""

from __future__ import annotations

from typing import ClassVar


class RegistryRuleBroken(Exception):
    """A command refused by a rule of the register; `code` names the rule."""

    code: ClassVar[str] = "registry.rule_broken"
    title: ClassVar[str] = "The registry's rules do not allow this"

    def __init__(self, detail: str, errors: list[dict[str, str | None]] | None = None) -> None:
        super().__init__(f"{self.code}: {detail}")
        self.detail = detail
        self.errors = errors or []


class NotInExamination(RegistryRuleBroken):
    code = "filing.not_in_examination"
    title = "The filing is not in examination"


class NotClaimed(RegistryRuleBroken):
    code = "filing.not_claimed"
    title = "Claim the filing before deciding on it"


class ClaimedByOther(RegistryRuleBroken):
    code = "filing.claimed_by_other"
    title = "Another examiner holds the filing"


class AcknowledgementMissing(RegistryRuleBroken):
    code = "filing.acknowledgement_missing"
    title = "The parties have not acknowledged every warning"


class RefusalReasonsMissing(RegistryRuleBroken):
    code = "refusal.reasons_missing"
    title = "A refusal needs at least one reason"


class NotAwaitingCorrection(RegistryRuleBroken):
    code = "filing.not_awaiting_correction"
    title = "No correction was requested for the filing"


class RightAlreadyPledged(RegistryRuleBroken):
    code = "right.already_pledged"
    title = "A right of the filing is already pledged"


class ScheduleInvalid(RegistryRuleBroken):
    code = "calendar.schedule_invalid"
    title = "The working-day schedule is inconsistent"


class PledgeNotActive(RegistryRuleBroken):
    code = "pledge.not_active"
    title = "The pledge is not in force"


class NothingToChange(RegistryRuleBroken):
    code = "change.nothing_changed"
    title = "The change filing changes nothing"


class ChangeRefused(RegistryRuleBroken):
    code = "change.refused"
    title = "The change breaks a statutory rule"


class ReleaseMismatch(RegistryRuleBroken):
    code = "pledge.release_mismatch"
    title = "The release names a pledge filed for another loan"


class EntryContradictory(RegistryRuleBroken):
    code = "register.entry_contradictory"
    title = "The register entry contradicts itself"


class PledgedWithoutConsent(RegistryRuleBroken):
    code = "right.pledged_without_consent"
    title = "The right is pledged and the pledgee has not consented"
