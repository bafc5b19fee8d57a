"""Commands the registry's rules do not allow, each named by a stable code."""

from __future__ import annotations

from shared.kernel.errors import Conflict, Invalid


class RegistryRuleBroken(Conflict):
    """A command the state of the register or of a filing does not allow; `code` names the rule."""

    code = "registry.rule_broken"
    title = "The registry's rules do not allow this"


class RegistryContentInvalid(Invalid, RegistryRuleBroken):
    """A command whose content breaks a rule of the register, whatever the state."""


class NotInExamination(RegistryRuleBroken):
    code = "filing.not_in_examination"
    title = "The filing is not in examination"


class NotClaimed(RegistryRuleBroken):
    code = "filing.not_claimed"
    title = "Claim the filing before deciding on it"


class ClaimedByOther(RegistryRuleBroken):
    code = "filing.claimed_by_other"
    title = "Another examiner holds the filing"


class AlreadyAssigned(RegistryRuleBroken):
    code = "filing.already_assigned"
    title = "The examiner named holds the filing already"


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


class ScheduleInvalid(RegistryContentInvalid):
    code = "calendar.schedule_invalid"
    title = "The working-day schedule is inconsistent"


class PledgeNotActive(RegistryRuleBroken):
    code = "pledge.not_active"
    title = "The pledge is not in force"


class NothingToChange(RegistryContentInvalid):
    code = "change.nothing_changed"
    title = "The change filing changes nothing"


class ChangeRefused(RegistryContentInvalid):
    code = "change.refused"
    title = "The change breaks a statutory rule"


class ReleaseMismatch(RegistryRuleBroken):
    code = "pledge.release_mismatch"
    title = "The release names a pledge filed for another loan"


class EntryContradictory(RegistryContentInvalid):
    code = "register.entry_contradictory"
    title = "The register entry contradicts itself"


class PledgedWithoutConsent(RegistryRuleBroken):
    code = "right.pledged_without_consent"
    title = "The right is pledged and the pledgee has not consented"


class CorrectionNotCorrectable(RegistryContentInvalid):
    code = "correction.not_correctable"
    title = "A correction cannot change the parties or the pledged rights"


class CorrectionNotRequested(RegistryContentInvalid):
    code = "correction.field_not_requested"
    title = "The examiner did not ask for this to be corrected"


class CorrectionConflictsWithLoan(RegistryContentInvalid):
    code = "correction.conflicts_with_loan"
    title = "The loan fixes the secured amount and the performance deadline of this filing"


class CorrectionFieldsMissing(RegistryContentInvalid):
    code = "correction.fields_missing"
    title = "Name what the parties must correct"


class UnknownRefusalGround(RegistryContentInvalid):
    code = "refusal.unknown_ground"
    title = "A refusal must rest on a statutory ground, or on 'other' with an explanation"


class RefusalExplanationMissing(RegistryContentInvalid):
    code = "refusal.explanation_missing"
    title = "A refusal on another ground needs an explanation"


class AcknowledgementNotAWarning(RegistryContentInvalid):
    code = "acknowledgement.not_a_warning"
    title = "Only warnings found on the filing can be acknowledged"


class AcknowledgementNoteMissing(RegistryContentInvalid):
    code = "acknowledgement.note_missing"
    title = "Say how the parties confirmed they proceed despite the warnings"
