"""Versioned event envelope and its JSON form."""

from __future__ import annotations

import dataclasses
import enum
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

ENVELOPE_FIELDS = (
    "event_id",
    "event_type",
    "schema_version",
    "aggregate_id",
    "aggregate_version",
    "occurred_at",
    "producer",
    "correlation_id",
    "causation_id",
    "payload",
)


class MalformedEvent(ValueError):
    """Bytes that are not a valid envelope; `reason` is a stable machine-readable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Envelope:
    """One event as it travels between services."""

    event_type: str
    schema_version: int
    aggregate_id: str
    aggregate_version: int
    producer: str
    payload: dict[str, Any]
    correlation_id: str
    causation_id: str | None = None
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")

    def to_dict(self) -> dict[str, Any]:
        """The envelope as JSON-ready primitives."""
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "schema_version": self.schema_version,
            "aggregate_id": self.aggregate_id,
            "aggregate_version": self.aggregate_version,
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
            "producer": self.producer,
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "payload": to_primitive(self.payload),
        }

    def to_json(self) -> bytes:
        """Serialise to UTF-8 JSON bytes."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()

    @staticmethod
    def payload_of(event: Any) -> dict[str, Any]:
        """The JSON payload of a domain event dataclass."""
        payload = to_primitive(event)
        if not isinstance(payload, dict):
            raise TypeError("an event payload must be a dataclass or a mapping")
        return payload

    @classmethod
    def from_json(cls, raw: bytes | str) -> Envelope:
        """Parse bytes into an envelope or raise `MalformedEvent`."""
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedEvent("envelope.not_json", str(exc)) from exc
        if not isinstance(data, dict):
            raise MalformedEvent("envelope.not_object", type(data).__name__)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Envelope:
        """Build from primitives, validating every field."""
        missing = [name for name in ENVELOPE_FIELDS if name not in data]
        if missing:
            raise MalformedEvent("envelope.missing_fields", ", ".join(missing))
        try:
            occurred_at = datetime.fromisoformat(data["occurred_at"])
        except (TypeError, ValueError) as exc:
            raise MalformedEvent("envelope.bad_occurred_at", str(data["occurred_at"])) from exc
        if occurred_at.tzinfo is None:
            raise MalformedEvent("envelope.naive_occurred_at", data["occurred_at"])
        _require(data, "event_type", str)
        _require(data, "aggregate_id", str)
        _require(data, "producer", str)
        _require(data, "correlation_id", str)
        _require(data, "event_id", str)
        _require(data, "schema_version", int)
        _require(data, "aggregate_version", int)
        _require(data, "payload", dict)
        if data["causation_id"] is not None and not isinstance(data["causation_id"], str):
            raise MalformedEvent("envelope.bad_field", "causation_id")
        return cls(
            event_id=data["event_id"],
            event_type=data["event_type"],
            schema_version=data["schema_version"],
            aggregate_id=data["aggregate_id"],
            aggregate_version=data["aggregate_version"],
            occurred_at=occurred_at.astimezone(UTC),
            producer=data["producer"],
            correlation_id=data["correlation_id"],
            causation_id=data["causation_id"],
            payload=data["payload"],
        )


def _require(data: dict[str, Any], name: str, kind: type) -> None:
    value = data[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MalformedEvent("envelope.bad_field", f"{name} must be {kind.__name__}")
    if kind is str and not value:
        raise MalformedEvent("envelope.bad_field", f"{name} must not be empty")


def to_primitive(value: Any) -> Any:
    """Convert domain values (Decimal, dates, enums, dataclasses) to JSON primitives."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in event payload")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_primitive(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_primitive(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_primitive(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [to_primitive(v) for v in items]
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
