"""The topics of pledgeflow and the event types published on each: the one place they are named.

This is the published contract of the topics (see `contracts/asyncapi.yaml`); a test keeps it
equal to the event classes of the services. A consumer dead-letters a type its topic does not
list, and skips, without a database round trip, a listed type it has no handler for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

CREDIT_LOANS = "pledgeflow.credit.loans"
VALUATIONS = "pledgeflow.valuation.valuations"
REGISTRY_PLEDGES = "pledgeflow.registry.pledges"
REGISTRY_RIGHTS = "pledgeflow.registry.rights"
REGISTRY_CALENDAR = "pledgeflow.registry.calendar"
LEDGER_HEADS = "pledgeflow.ledger.heads"
RECONCILIATION = "pledgeflow.credit.reconciliation"
DEAD_LETTER_PREFIX = "pledgeflow.dlq."

EVENT_TYPES: Mapping[str, frozenset[str]] = {
    CREDIT_LOANS: frozenset(
        {
            "credit.application.submitted",
            "credit.claim.raised",
            "credit.loan.awaiting_signoff",
            "credit.loan.decided",
            "credit.loan.defaulted",
            "credit.loan.disbursed",
            "credit.loan.referred",
            "credit.loan.repaid",
            "credit.offer.accepted",
            "credit.offer.withdrawn",
            "credit.pledge.released",
            "credit.pledge_filing.requested",
            "credit.pledge_release.requested",
            "credit.registration_deadline.moved",
            "credit.repayment.received",
            "credit.risk_alert.raised",
        }
    ),
    VALUATIONS: frozenset({"valuation.completed", "valuation.impaired", "valuation.signed_off"}),
    REGISTRY_PLEDGES: frozenset(
        {
            "registry.filing.claimed",
            "registry.filing.corrected",
            "registry.filing.deadline_moved",
            "registry.filing.correction_requested",
            "registry.filing.queued_for_examination",
            "registry.filing.reassigned",
            "registry.filing.received",
            "registry.filing.released",
            "registry.filing.refused",
            "registry.filing.sla_breached",
            "registry.filing.warnings_acknowledged",
            "registry.pledge.cancelled",
            "registry.pledge.changed",
            "registry.pledge.registered",
        }
    ),
    REGISTRY_RIGHTS: frozenset({"registry.patent.recorded", "registry.trademark.recorded"}),
    REGISTRY_CALENDAR: frozenset({"registry.calendar.year_published"}),
    LEDGER_HEADS: frozenset({"ledger.head.published"}),
    RECONCILIATION: frozenset(
        {"credit.reconciliation.completed", "credit.reconciliation.mismatch_found"}
    ),
}


def dead_letter_topic(consumer: str) -> str:
    """The dead-letter topic of one consumer group."""
    return f"{DEAD_LETTER_PREFIX}{consumer}"


# The register topic keeps the latest record of every right (key: the right's number) for as
# long as the topic exists, so valuation's read model of the register can always be rebuilt
# from it. Every other topic keeps its records for the configured retention.
COMPACTED_TOPICS = frozenset({REGISTRY_RIGHTS})


@dataclass(frozen=True)
class TopicSettings:
    """How the services create their topics: partitions, copies and how long records stay."""

    partitions: int = 3
    replication_factor: int = 1
    min_insync_replicas: int = 1
    retention: timedelta = timedelta(days=7)

    def configs(self, topic: str) -> dict[str, str]:
        """The topic-level configuration a topic is created with."""
        configs = {"min.insync.replicas": str(self.min_insync_replicas)}
        if topic in COMPACTED_TOPICS:
            return configs | {"cleanup.policy": "compact"}
        retention_ms = int(self.retention.total_seconds() * 1000)
        return configs | {"cleanup.policy": "delete", "retention.ms": str(retention_ms)}
