"""What the console keeps from the topics: every case's events, and the read models of its pages.

Each event is kept once (its id), and each read model row keeps the version of the aggregate
it shows, so a redelivered or late event never takes a row back.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from services.console.domain.timeline import KeyKind, case_keys, describe, normalised
from services.console.service_layer.commands import (
    MarkRedrivesPublished,
    ReceiveSchedule,
    RecordDeadLetter,
    RecordEvent,
    SchedulesInForce,
    UnpublishedRedrives,
)
from services.console.service_layer.deps import ConsoleDeps
from services.console.service_layer.ports import ConsoleUnitOfWork
from shared.calendars import StoredSchedule

Values = dict[str, Any]


async def record_event(command: RecordEvent, uow: ConsoleUnitOfWork, deps: ConsoleDeps) -> bool:
    """Keep an event on its case's timeline and in the read model it changes."""
    payload = command.payload
    keys = {(k.value, v) for k, v in case_keys(command.event_type, command.aggregate_id, payload)}
    kept = await uow.cases.add(
        {
            "event_id": command.event_id,
            "correlation_id": command.correlation_id,
            "topic": command.topic,
            "event_type": command.event_type,
            "producer": command.producer,
            "aggregate_id": command.aggregate_id,
            "aggregate_version": command.aggregate_version,
            "occurred_at": command.occurred_at,
            "summary": describe(command.event_type, payload)[:2000],
            "payload": payload,
        },
        keys,
    )
    if not kept:
        return False
    family = command.event_type.split(".", 1)[0]
    if command.event_type.startswith(("registry.filing.", "registry.pledge.")):
        await _filing(command, uow)
    elif command.event_type in ("registry.patent.recorded", "registry.trademark.recorded"):
        await _right(command, uow)
    elif family == "valuation":
        await _valuation(command, uow)
    elif family == "credit":
        await _loan(command, uow)
    return True


async def _filing(command: RecordEvent, uow: ConsoleUnitOfWork) -> None:
    change = FILING_CHANGES.get(command.event_type)
    if change is None:
        return
    values = change(command.payload)
    values.setdefault("correlation_id", command.correlation_id)
    await uow.filings.apply(command.aggregate_id, command.aggregate_version, values)


def _parties(p: Mapping[str, Any]) -> Values:
    return {
        "filing_reference": p.get("filing_reference"),
        "pledgor": p.get("pledgor") or {},
        "pledgee": p.get("pledgee") or {},
        "patents": list(p.get("patents") or ()),
        "trademarks": list(p.get("trademarks") or ()),
    }


def _decided(p: Mapping[str, Any], at: str, status: str) -> Values:
    decided = _instant(p[at])
    deadline = _instant(p["deadline_at"]) if p.get("deadline_at") else None
    within = p.get("within_deadline")
    if within is None and deadline is not None:
        within = decided <= deadline
    return _parties(p) | {"status": status, "decided_at": decided, "within_deadline": within}


FILING_CHANGES: Mapping[str, Callable[[Mapping[str, Any]], Values]] = {
    "registry.filing.received": lambda p: (
        _parties(p)
        | {
            "channel": p.get("channel"),
            "status": "received",
            "received_at": _instant(p["received_at"]),
            "deadline_at": _instant(p["deadline_at"]),
            "deadline_provisional": bool(p.get("deadline_provisional")),
        }
    ),
    "registry.filing.queued_for_examination": lambda p: {
        "status": "in_examination",
        "findings": list(p.get("findings") or ()),
        "deadline_at": _instant(p["deadline_at"]),
    },
    "registry.filing.claimed": lambda p: {"claimed_by": p["claimed_by"]},
    "registry.filing.released": lambda p: {"claimed_by": None},
    "registry.filing.reassigned": lambda p: {"claimed_by": p["claimed_by"]},
    "registry.filing.correction_requested": lambda p: {"status": "awaiting_correction"},
    "registry.filing.corrected": lambda p: (
        _parties(p)
        | {
            "status": "in_examination",
            "findings": list(p.get("findings") or ()),
            "deadline_at": _instant(p["deadline_at"]),
            "deadline_provisional": bool(p.get("deadline_provisional")),
        }
    ),
    "registry.filing.warnings_acknowledged": lambda p: {"findings": list(p.get("findings") or ())},
    "registry.filing.deadline_moved": lambda p: {
        "deadline_at": _instant(p["deadline_at"]),
        "deadline_provisional": bool(p.get("deadline_provisional")),
    },
    "registry.filing.sla_breached": lambda p: {"sla_breached_at": _instant(p["breached_at"])},
    "registry.pledge.registered": lambda p: (
        _decided(p, "registered_at", "registered")
        | {"registration_number": p.get("registration_number")}
    ),
    "registry.filing.refused": lambda p: _decided(p, "refused_at", "refused"),
    "registry.pledge.cancelled": lambda p: {"status": "cancelled"},
}


async def _right(command: RecordEvent, uow: ConsoleUnitOfWork) -> None:
    payload = command.payload
    right_type = "patent" if command.event_type == "registry.patent.recorded" else "trademark"
    number = normalised(KeyKind(right_type), str(payload.get("number", command.aggregate_id)))
    await uow.rights.record(number, right_type, dict(payload), command.occurred_at)


async def _valuation(command: RecordEvent, uow: ConsoleUnitOfWork) -> None:
    p = command.payload
    values: Values
    if command.event_type == "valuation.completed":
        values = {
            "correlation_id": command.correlation_id,
            "reference": p.get("reference"),
            "requested_by": str(p.get("requested_by", "")),
            "status": str(p.get("status", "final")),
            "completed_at": _instant(p["completed_at"]),
        }
    elif command.event_type == "valuation.signed_off":
        values = {
            "status": "signed_off",
            "outcome": p.get("outcome"),
            "appraiser_id": p.get("appraiser_id"),
            "signed_off_at": _instant(p["signed_off_at"]),
        }
    else:
        return
    values |= {
        "low": Decimal(str(p["low"])),
        "central": Decimal(str(p["central"])),
        "high": Decimal(str(p["high"])),
        "recommended_max_loan": Decimal(str(p.get("recommended_max_loan", "0"))),
        "rights": list(p.get("rights") or ()),
    }
    if (
        command.event_type == "valuation.signed_off"
        and await uow.valuations.get(str(p["valuation_id"])) is None
    ):
        values |= {
            "requested_by": str(p.get("requested_by", "")),
            "reference": p.get("reference"),
            "completed_at": _instant(p["signed_off_at"]),
            "correlation_id": command.correlation_id,
        }
    await uow.valuations.apply(str(p["valuation_id"]), command.aggregate_version, values)


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


LOAN_CHANGES: Mapping[str, Callable[[Mapping[str, Any]], Values]] = {
    "credit.application.submitted": lambda p: {
        "bank_id": p["bank_id"],
        "enterprise_uscc": (p.get("enterprise") or {}).get("uscc"),
        "enterprise_name": (p.get("enterprise") or {}).get("name"),
        "size_class": (p.get("enterprise") or {}).get("size_class"),
        "requested_amount": _money(p.get("requested_amount")),
        "term_months": p.get("term_months"),
        "submitted_at": _instant(p["submitted_at"]),
        "status": "submitted",
    },
    "credit.loan.awaiting_signoff": lambda p: {"status": "awaiting_signoff"},
    "credit.loan.referred": lambda p: {
        "status": "referred",
        "referred_at": _instant(p["referred_at"]),
        "referral": {
            "reasons": list(p.get("reasons") or ()),
            "policy_version": p.get("policy_version"),
            "appraised_value": p.get("appraised_value"),
            "policy_ceiling": p.get("policy_ceiling"),
            "inputs": p.get("inputs") or {},
        },
    },
    "credit.loan.decided": lambda p: {
        "status": "offered" if p.get("outcome") in ("approve", "approved") else "declined",
        "outcome": p.get("outcome"),
        "decided_by": p.get("decided_by"),
        "decided_at": _instant(p["decided_at"]),
        "approved_amount": _money(p.get("approved_amount")),
        "inclusive": p.get("inclusive"),
    },
    "credit.offer.accepted": lambda p: {"status": "accepted"},
    "credit.offer.withdrawn": lambda p: {"status": "offer_withdrawn"},
    "credit.loan.disbursed": lambda p: {
        "status": "disbursed",
        "enterprise_uscc": p.get("enterprise_uscc"),
        "disbursed_amount": _money(p.get("amount")),
        "disbursed_at": _instant(p["disbursed_at"]),
        "inclusive": p.get("inclusive"),
    },
    "credit.loan.repaid": lambda p: {"status": "repaid"},
    "credit.loan.defaulted": lambda p: {"status": "defaulted"},
}


async def _loan(command: RecordEvent, uow: ConsoleUnitOfWork) -> None:
    change = LOAN_CHANGES.get(command.event_type)
    if change is None:
        return
    values = change(command.payload) | {"correlation_id": command.correlation_id}
    await uow.loans.apply(command.aggregate_id, command.aggregate_version, values)


async def record_dead_letter(
    command: RecordDeadLetter, uow: ConsoleUnitOfWork, deps: ConsoleDeps
) -> bool:
    """Keep a dead letter with its reason, its source and the record to put back."""
    headers = {name: value.decode(errors="replace") for name, value in command.headers}
    event: Any = {}
    try:
        event = json.loads(command.value)
    except ValueError:
        pass
    if not isinstance(event, dict):
        event = {}
    return await uow.dead_letters.add(
        {
            "letter_id": f"{command.topic}:{command.partition}:{command.offset}",
            "consumer": headers.get("dlq.consumer") or command.topic.rsplit("dlq.", 1)[-1],
            "reason": headers.get("dlq.reason", "unknown")[:100],
            "detail": headers.get("dlq.detail", ""),
            "source_topic": headers.get("dlq.source_topic", ""),
            "source_partition": _int(headers.get("dlq.source_partition")),
            "source_offset": _int(headers.get("dlq.source_offset")),
            "failed_at": _maybe_instant(headers.get("dlq.failed_at")),
            "event_id": _text(event.get("event_id"), 64),
            "event_type": _text(event.get("event_type"), 200),
            "correlation_id": _text(
                event.get("correlation_id") or headers.get("correlation_id"), 64
            ),
            "record_key": command.key,
            "record_value": base64.b64encode(command.value).decode(),
            "record_headers": [
                [name, base64.b64encode(value).decode()] for name, value in command.headers
            ],
            "received_at": deps.clock.now(),
        }
    )


async def receive_schedule(
    command: ReceiveSchedule, uow: ConsoleUnitOfWork, deps: ConsoleDeps
) -> bool:
    """Store a calendar year the registry announced and count working time on it."""
    stored = command.stored
    current = await uow.calendar.latest(stored.year)
    if current is not None and current.version >= stored.version:
        return False
    await uow.calendar.add(stored)
    deps.book.install(stored)
    return True


async def schedules_in_force(
    query: SchedulesInForce, uow: ConsoleUnitOfWork, deps: ConsoleDeps
) -> list[StoredSchedule]:
    return await uow.calendar.in_force()


async def unpublished_redrives(
    query: UnpublishedRedrives, uow: ConsoleUnitOfWork, deps: ConsoleDeps
) -> list[dict[str, Any]]:
    return await uow.dead_letters.unpublished_redrives()


async def mark_redrives_published(
    command: MarkRedrivesPublished, uow: ConsoleUnitOfWork, deps: ConsoleDeps
) -> None:
    await uow.dead_letters.mark_published(command.redrive_ids, command.at)


def _instant(value: Any) -> datetime:
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def _maybe_instant(value: str | None) -> datetime | None:
    try:
        return _instant(value) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _text(value: Any, length: int) -> str | None:
    return None if value is None else str(value)[:length]
