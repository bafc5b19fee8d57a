"""A pledge filing from receipt to its decision, against the statutory deadline."""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from services.registry.domain import corrections
from services.registry.domain.amendments import (
    Amendment,
    AmendmentKind,
    CancellationReason,
    PledgeChange,
)
from services.registry.domain.checks import CheckResult, Finding, Outcome, Severity
from services.registry.domain.decisions import (
    Decision,
    DecisionAction,
    Reason,
    check_refusal_reasons,
)
from services.registry.domain.errors import (
    AcknowledgementMissing,
    AcknowledgementNotAWarning,
    AcknowledgementNoteMissing,
    AlreadyAssigned,
    ChangeRefused,
    ClaimedByOther,
    NotAwaitingCorrection,
    NotClaimed,
    NothingToChange,
    NotInExamination,
    PledgeNotActive,
)
from services.registry.domain.events import (
    CorrectionRequested,
    DeadlineMoved,
    FilingClaimed,
    FilingCorrected,
    FilingQueued,
    FilingReassigned,
    FilingReceived,
    FilingRefused,
    FilingReleased,
    FindingData,
    PledgeCancelled,
    PledgeChanged,
    PledgeRegistered,
    SlaBreached,
    WarningsAcknowledged,
)
from services.registry.domain.filing import Deadline, PledgeFilingData
from shared.kernel.events import Aggregate
from shared.workdays import CountedDeadline


class FilingStatus(enum.StrEnum):
    RECEIVED = "received"
    IN_EXAMINATION = "in_examination"
    AWAITING_CORRECTION = "awaiting_correction"
    REGISTERED = "registered"
    REFUSED = "refused"
    CANCELLED = "cancelled"


_DECIDING = (DecisionAction.REGISTERED, DecisionAction.REFUSED)
CLOCK_RUNNING = (FilingStatus.RECEIVED, FilingStatus.IN_EXAMINATION)


@dataclass
class PledgeFiling(Aggregate):
    filing_id: str
    filing_reference: str | None
    channel: str
    data: PledgeFilingData
    status: FilingStatus
    received_at: datetime
    deadline_at: datetime
    deadline_provisional: bool = False
    deadline_basis: dict[int, int] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    registration_number: str | None = None
    decided_at: datetime | None = None
    claimed_by: str | None = None
    corrected_at: datetime | None = None
    sla_breached_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancellation_reason: CancellationReason | None = None
    decisions: list[Decision] = field(default_factory=list)
    amendments: list[Amendment] = field(default_factory=list)
    history: list[tuple[str, datetime]] = field(default_factory=list)
    correlation_id: str | None = None

    @property
    def aggregate_id(self) -> str:
        return self.filing_id

    @property
    def case_id(self) -> str | None:
        """The case the filing belongs to: every later action on it carries this id."""
        return self.correlation_id

    @classmethod
    def receive(
        cls,
        *,
        filing_id: str,
        filing_reference: str | None,
        channel: str,
        data: PledgeFilingData,
        received_at: datetime,
        deadline: Deadline,
        correlation_id: str | None = None,
    ) -> PledgeFiling:
        """A complete filing arrives; the deadline clock starts and the case's id is kept."""
        filing = cls(
            filing_id=filing_id,
            filing_reference=filing_reference,
            channel=channel,
            data=data,
            status=FilingStatus.RECEIVED,
            received_at=received_at,
            deadline_at=deadline.at,
            deadline_provisional=deadline.provisional,
            correlation_id=correlation_id,
            deadline_basis=dict(deadline.basis),
        )
        filing._mark(received_at)
        filing.record(
            FilingReceived(
                filing_id=filing_id,
                filing_reference=filing_reference,
                channel=channel,
                pledgor=data.pledgor,
                pledgee=data.pledgee,
                patents=data.patents,
                trademarks=data.trademarks,
                received_at=received_at,
                deadline_at=deadline.at,
                deadline_provisional=deadline.provisional,
            )
        )
        return filing

    def assess(self, result: CheckResult, now: datetime) -> None:
        """Apply the statutory checks: refusals refuse; warnings go to an examiner."""
        self.findings = result.findings
        if result.outcome is Outcome.REFUSE:
            self.refuse(now)
        elif not result.is_clean:
            self._enter_examination(now)
            self.record(
                FilingQueued(
                    self.filing_id,
                    self.filing_reference,
                    self._finding_data(),
                    self.deadline_at,
                    now,
                )
            )

    @property
    def green_channel(self) -> bool:
        """Received with no findings at all: registrable at once."""
        return self.status is FilingStatus.RECEIVED and not self.findings

    @property
    def decided_by(self) -> str | None:
        """The examiner who registered or refused the filing; None for automatic decisions."""
        deciding = [d for d in self.decisions if d.action in _DECIDING]
        return deciding[-1].examiner if deciding else None

    @property
    def refusal_codes(self) -> tuple[str, ...]:
        """The grounds of a refusal: the examiner's reasons, or the refusing findings."""
        if self.status is not FilingStatus.REFUSED:
            return ()
        refusals = [d for d in self.decisions if d.action is DecisionAction.REFUSED]
        if refusals:
            codes = [reason.code for reason in refusals[-1].reasons]
        else:
            codes = [f.code for f in self.findings if f.severity is Severity.REFUSAL]
        return tuple(dict.fromkeys(codes))

    def overdue(self, now: datetime) -> bool:
        """Undecided past the deadline while the clock runs (not while awaiting a correction)."""
        return self.status in CLOCK_RUNNING and now > self.deadline_at

    @property
    def counted_deadline(self) -> CountedDeadline:
        """The deadline with what its count relied on."""
        return CountedDeadline(self.deadline_at, self.deadline_provisional, self.deadline_basis)

    @property
    def clock_started_at(self) -> datetime:
        """When the running count started: the receipt, or the latest correction."""
        return self.corrected_at or self.received_at

    def recount_deadline(
        self, deadline: Deadline, calendar_year: int, calendar_version: int, now: datetime
    ) -> bool:
        """Take the deadline counted anew on a newer schedule; announce it if it moved."""
        if self.status not in CLOCK_RUNNING:
            return False
        previous = self.deadline_at
        self._set_deadline(deadline)
        if deadline.at == previous:
            return False
        self.record(
            DeadlineMoved(
                filing_id=self.filing_id,
                filing_reference=self.filing_reference,
                previous_deadline_at=previous,
                deadline_at=deadline.at,
                deadline_provisional=deadline.provisional,
                calendar_year=calendar_year,
                calendar_version=calendar_version,
                moved_at=now,
            )
        )
        return True

    def flag_sla_breach(self, now: datetime) -> bool:
        """Announce, once per filing, that the deadline passed without a decision.

        A provisional deadline is never breached: the official schedule, once loaded, may
        still move it, and it is counted anew then.
        """
        if self.sla_breached_at is not None or self.deadline_provisional:
            return False
        if not self.overdue(now):
            return False
        self.sla_breached_at = now
        self.record(
            SlaBreached(
                filing_id=self.filing_id,
                filing_reference=self.filing_reference,
                status=self.status.value,
                claimed_by=self.claimed_by,
                received_at=self.received_at,
                deadline_at=self.deadline_at,
                deadline_provisional=self.deadline_provisional,
                breached_at=now,
            )
        )
        return True

    def claim(self, examiner: str, now: datetime) -> None:
        """An examiner takes the filing; claiming one's own filing again changes nothing."""
        self._require_examination()
        if self.claimed_by == examiner:
            return
        if self.claimed_by is not None:
            raise ClaimedByOther(f"filing {self.filing_id} is held by {self.claimed_by}")
        self.claimed_by = examiner
        self.decisions.append(Decision(DecisionAction.CLAIMED, examiner, now))
        self.record(
            FilingClaimed(self.filing_id, self.filing_reference, examiner, now, self.deadline_at)
        )

    def release(self, by: str, now: datetime, *, supervising: bool = False) -> None:
        """Put a claimed filing back in the queue: its examiner may, and so may a supervisor."""
        holder = self._require_claimed()
        if holder != by and not supervising:
            raise ClaimedByOther(f"filing {self.filing_id} is held by {holder}")
        self.claimed_by = None
        self.decisions.append(Decision(DecisionAction.RELEASED, by, now, assignee=holder))
        self.record(
            FilingReleased(self.filing_id, self.filing_reference, by, holder, now, self.deadline_at)
        )

    def reassign(self, supervisor: str, examiner: str, now: datetime) -> None:
        """A supervisor gives a claimed filing to another examiner."""
        holder = self._require_claimed()
        if holder == examiner:
            raise AlreadyAssigned(f"filing {self.filing_id} is held by {examiner} already")
        self.claimed_by = examiner
        self.decisions.append(
            Decision(DecisionAction.REASSIGNED, supervisor, now, assignee=examiner)
        )
        self.record(
            FilingReassigned(
                self.filing_id,
                self.filing_reference,
                supervisor,
                holder,
                examiner,
                now,
                self.deadline_at,
            )
        )

    def check_registrable_by(self, examiner: str) -> None:
        """Raise unless `examiner` holds the filing and every warning was acknowledged."""
        self._require_claimant(examiner)
        pending = sorted({f.code for f in self.findings if not f.acknowledged})
        if pending:
            raise AcknowledgementMissing(f"not acknowledged by the parties: {', '.join(pending)}")

    def register(
        self, registration_number: str, now: datetime, examiner: str | None = None
    ) -> None:
        """Enter the pledge on the register; it exists from this moment."""
        if examiner is not None:
            self.check_registrable_by(examiner)
            self.decisions.append(Decision(DecisionAction.REGISTERED, examiner, now))
        self.status = FilingStatus.REGISTERED
        self.registration_number = registration_number
        self.decided_at = now
        self._mark(now)
        d = self.data
        self.record(
            PledgeRegistered(
                filing_id=self.filing_id,
                filing_reference=self.filing_reference,
                registration_number=registration_number,
                pledgor=d.pledgor,
                pledgee=d.pledgee,
                debt_type=d.debt_type,
                secured_amount=d.secured_amount,
                performance_deadline=d.performance_deadline,
                patents=d.patents,
                trademarks=d.trademarks,
                scope_of_guarantee=d.scope_of_guarantee,
                registered_at=now,
                deadline_at=self.deadline_at,
                within_deadline=now <= self.deadline_at,
                decided_by=examiner,
            )
        )

    def refuse(
        self, now: datetime, examiner: str | None = None, reasons: Sequence[Reason] = ()
    ) -> None:
        """Refuse registration: on the findings, or on an examiner's reasons."""
        if examiner is not None:
            self._require_claimant(examiner)
            check_refusal_reasons(self.filing_id, reasons)
            self.decisions.append(Decision(DecisionAction.REFUSED, examiner, now, tuple(reasons)))
        self.status = FilingStatus.REFUSED
        self.decided_at = now
        self._mark(now)
        d = self.data
        self.record(
            FilingRefused(
                filing_id=self.filing_id,
                filing_reference=self.filing_reference,
                pledgor=d.pledgor,
                pledgee=d.pledgee,
                patents=d.patents,
                trademarks=d.trademarks,
                findings=_reason_data(reasons) + self._finding_data(),
                refused_at=now,
                decided_by=examiner,
                reasons=tuple(reasons),
                grounds=self._grounds(reasons),
            )
        )

    def request_correction(
        self, examiner: str, fields: Collection[str], message: str, now: datetime
    ) -> None:
        """Ask the parties to correct the named `fields`; the deadline is suspended meanwhile.

        The parties and the rights are never correctable; on a filing credit sent for a loan,
        neither are the secured amount and the performance deadline.
        """
        self._require_claimant(examiner)
        named = corrections.check_request(fields, self.channel)
        self.status = FilingStatus.AWAITING_CORRECTION
        self.decisions.append(
            Decision(
                DecisionAction.CORRECTION_REQUESTED, examiner, now, message=message, fields=named
            )
        )
        self._mark(now)
        self.record(
            CorrectionRequested(
                self.filing_id, self.filing_reference, examiner, message, now, fields=named
            )
        )

    @property
    def requested_fields(self) -> tuple[str, ...]:
        """What the latest correction request allows the parties to change."""
        requests = [d for d in self.decisions if d.action is DecisionAction.CORRECTION_REQUESTED]
        return requests[-1].fields if requests else ()

    def corrected_data(self, proposed: PledgeFilingData) -> PledgeFilingData:
        """The filing as `proposed` corrects it, if it changes only what the examiner asked."""
        if self.status is not FilingStatus.AWAITING_CORRECTION:
            raise NotAwaitingCorrection(f"filing {self.filing_id} is {self.status.value}")
        data, _ = corrections.corrected(self.data, proposed, self.requested_fields, self.channel)
        return data

    def correct(
        self, proposed: PledgeFilingData, result: CheckResult, deadline: Deadline, now: datetime
    ) -> None:
        """Take the corrected filing: checked again, the deadline restarts from its arrival.

        `result` is the check of `corrected_data(proposed)`.
        """
        data = self.corrected_data(proposed)
        changed = corrections.differences(self.data, data)
        self.data = data
        self.findings = result.findings
        self._set_deadline(deadline)
        self.corrected_at = now
        self.record(
            FilingCorrected(
                filing_id=self.filing_id,
                filing_reference=self.filing_reference,
                pledgor=data.pledgor,
                pledgee=data.pledgee,
                patents=data.patents,
                trademarks=data.trademarks,
                findings=self._finding_data(),
                corrected_at=now,
                deadline_at=deadline.at,
                deadline_provisional=deadline.provisional,
                changed=changed,
            )
        )
        if result.outcome is Outcome.REFUSE:
            self.refuse(now)
        else:
            self._enter_examination(now)

    def acknowledge(self, examiner: str, codes: Collection[str], note: str, now: datetime) -> None:
        """Record that the parties confirmed they proceed despite the warnings `codes`.

        Only warnings found on the filing can be acknowledged; acknowledging one again changes
        nothing. The acknowledgement stays with the filing through later corrections.
        """
        self._require_claimant(examiner)
        if not note.strip():
            raise AcknowledgementNoteMissing(f"filing {self.filing_id}")
        warnings = {f.code for f in self.findings if f.severity is Severity.WARNING}
        strangers = sorted(set(codes) - warnings)
        if not codes or strangers:
            found = ", ".join(sorted(warnings)) or "none"
            raise AcknowledgementNotAWarning(
                f"not a warning on this filing: {', '.join(strangers) or 'nothing named'}; "
                f"its warnings: {found}"
            )
        pending = tuple(sorted({f.code for f in self.findings if f.code in codes} - self._acked))
        if not pending:
            return
        self.findings = tuple(
            replace(f, acknowledged=True) if f.code in pending else f for f in self.findings
        )
        self.data = replace(self.data, acknowledged=self.data.acknowledged | frozenset(pending))
        action = DecisionAction.WARNINGS_ACKNOWLEDGED
        self.decisions.append(Decision(action, examiner, now, message=note, acknowledged=pending))
        self.record(
            WarningsAcknowledged(
                filing_id=self.filing_id,
                filing_reference=self.filing_reference,
                acknowledged_by=examiner,
                codes=pending,
                note=note,
                findings=self._finding_data(),
                acknowledged_at=now,
            )
        )

    def change(self, change: PledgeChange, result: CheckResult, now: datetime) -> None:
        """Enter a change of the registered terms, provided the new terms pass the checks."""
        self._require_active()
        data, changed = change.apply_to(self.data)
        if not changed:
            raise NothingToChange(f"pledge {self.registration_number} already has these terms")
        if result.findings:
            errors = [
                {"code": f.code, "field": "", "right": f.right, "message": f.message}
                for f in result.findings
            ]
            raise ChangeRefused("; ".join(f.message for f in result.findings), errors)
        self.data = data
        self.amendments.append(Amendment(AmendmentKind.CHANGE, now, changed))
        assert self.registration_number is not None
        self.record(
            PledgeChanged(
                registration_number=self.registration_number,
                filing_id=self.filing_id,
                filing_reference=self.filing_reference,
                changed=changed,
                pledgor=data.pledgor,
                pledgee=data.pledgee,
                debt_type=data.debt_type,
                secured_amount=data.secured_amount,
                performance_deadline=data.performance_deadline,
                patents=data.patents,
                trademarks=data.trademarks,
                changed_at=now,
            )
        )

    def cancel(self, reason: CancellationReason, now: datetime) -> None:
        """Cancel the registration: the pledge ends now and its rights are free."""
        self._require_active()
        assert self.registration_number is not None
        self.status = FilingStatus.CANCELLED
        self.cancelled_at, self.cancellation_reason = now, reason
        self.amendments.append(Amendment(AmendmentKind.CANCELLATION, now, reason=reason))
        self._mark(now)
        self.record(
            PledgeCancelled(
                registration_number=self.registration_number,
                filing_id=self.filing_id,
                filing_reference=self.filing_reference,
                reason=reason.value,
                patents=self.data.patents,
                trademarks=self.data.trademarks,
                pledgor=self.data.pledgor,
                pledgee=self.data.pledgee,
                cancelled_at=now,
            )
        )

    def _require_active(self) -> None:
        if self.status is not FilingStatus.REGISTERED:
            raise PledgeNotActive(f"pledge {self.registration_number} is {self.status.value}")

    def _require_examination(self) -> None:
        if self.status is not FilingStatus.IN_EXAMINATION:
            raise NotInExamination(f"filing {self.filing_id} is {self.status.value}")

    def _require_claimed(self) -> str:
        self._require_examination()
        if self.claimed_by is None:
            raise NotClaimed(f"filing {self.filing_id} is not claimed by any examiner")
        return self.claimed_by

    def _require_claimant(self, examiner: str) -> None:
        if self._require_claimed() != examiner:
            raise ClaimedByOther(f"filing {self.filing_id} is held by {self.claimed_by}")

    def _set_deadline(self, deadline: Deadline) -> None:
        self.deadline_at, self.deadline_provisional = deadline.at, deadline.provisional
        self.deadline_basis = dict(deadline.basis)

    def _enter_examination(self, now: datetime) -> None:
        self.status = FilingStatus.IN_EXAMINATION
        self._mark(now)

    @property
    def _acked(self) -> set[str]:
        return {f.code for f in self.findings if f.acknowledged}

    def _grounds(self, reasons: Sequence[Reason]) -> tuple[FindingData, ...]:
        if reasons:
            return _reason_data(reasons)
        refusing = [f for f in self._finding_data() if f.severity == Severity.REFUSAL.value]
        return tuple(refusing)

    def _finding_data(self) -> tuple[FindingData, ...]:
        return tuple(
            FindingData(f.code, f.right, f.message, str(f.severity), f.acknowledged, f.related)
            for f in self.findings
        )

    def _mark(self, now: datetime) -> None:
        self.history.append((self.status.value, now))


def _reason_data(reasons: Sequence[Reason]) -> tuple[FindingData, ...]:
    return tuple(
        FindingData(r.code, None, r.message, str(Severity.REFUSAL), False, ()) for r in reasons
    )
