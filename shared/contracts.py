"""Published event contracts: a JSON Schema per event type and version, and an AsyncAPI document.

Both are generated from the event dataclasses, so they cannot drift from the code. Published
schemas are kept in `contracts/`; within a schema version only additive changes are allowed
(new optional fields). Removing, retyping or newly requiring a field needs a new version.

`pledgeflow contracts write` regenerates the files (refusing incompatible changes);
`pledgeflow contracts check` reports drift and incompatibilities.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter

from shared.kernel.events import DomainEvent

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
SCHEMAS = CONTRACTS / "schemas"
ASYNCAPI = CONTRACTS / "asyncapi.yaml"
EVENT_PACKAGES = ("domain", "service_layer")
# Events of the shared infrastructure every service publishes (the ledger's chain heads).
SHARED_EVENT_MODULES = ("shared.ledger_heads",)


def event_classes() -> dict[tuple[str, int], type[DomainEvent]]:
    """Every concrete event class of every service, by (event type, schema version)."""
    _import_event_modules()
    found: dict[tuple[str, int], type[DomainEvent]] = {}
    for cls in _subclasses(DomainEvent):
        if "event_type" in vars(cls) and (
            cls.__module__.startswith("services.") or cls.__module__ in SHARED_EVENT_MODULES
        ):
            found[(cls.event_type, cls.schema_version)] = cls
    return dict(sorted(found.items()))


def _subclasses(cls: type[DomainEvent]) -> Iterator[type[DomainEvent]]:
    sub: type[DomainEvent]
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _import_event_modules() -> None:
    for name in SHARED_EVENT_MODULES:
        importlib.import_module(name)
    services = importlib.import_module("services")
    for service in pkgutil.iter_modules(services.__path__):
        for package in EVENT_PACKAGES:
            name = f"services.{service.name}.{package}"
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError:
                continue
            for sub in pkgutil.iter_modules(module.__path__):
                importlib.import_module(f"{name}.{sub.name}")


def payload_schema(cls: type[DomainEvent]) -> dict[str, Any]:
    """JSON Schema of one event type's payload, as it appears on the wire."""
    schema = TypeAdapter(cls).json_schema(mode="serialization")
    schema["title"] = cls.event_type
    schema["description"] = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["x-topic"] = cls.topic
    schema["x-schema-version"] = cls.schema_version
    return schema


def schema_path(event_type: str, version: int) -> Path:
    """Where a published schema lives."""
    return SCHEMAS / event_type / f"v{version}.json"


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Why `new` cannot replace `old` within the same version; empty when it is additive."""
    return _compare(old, new, old, new, "payload")


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = root.get("$defs", {})[name]
    return schema


def _shape(schema: dict[str, Any]) -> Any:
    if "anyOf" in schema:
        return sorted(json.dumps(_shape(s), sort_keys=True) for s in schema["anyOf"])
    return (schema.get("type"), schema.get("format"))


def _compare(
    old: dict[str, Any],
    new: dict[str, Any],
    old_root: dict[str, Any],
    new_root: dict[str, Any],
    where: str,
) -> list[str]:
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    if "properties" in old:
        return _compare_objects(old, new, old_root, new_root, where)
    if old.get("type") == "array" and "items" in old:
        if new.get("type") != "array":
            return [f"{where}: was an array"]
        return _compare(old["items"], new.get("items", {}), old_root, new_root, f"{where}[]")
    if "anyOf" in old and "anyOf" in new:
        return [] if _shape(old) == _shape(new) else [f"{where}: type changed"]
    if _shape(old) != _shape(new):
        return [f"{where}: type changed from {_shape(old)} to {_shape(new)}"]
    return []


def _compare_objects(
    old: dict[str, Any],
    new: dict[str, Any],
    old_root: dict[str, Any],
    new_root: dict[str, Any],
    where: str,
) -> list[str]:
    problems: list[str] = []
    new_props = new.get("properties", {})
    for name, old_prop in old["properties"].items():
        if name not in new_props:
            problems.append(f"{where}.{name}: removed")
            continue
        problems += _compare(old_prop, new_props[name], old_root, new_root, f"{where}.{name}")
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    problems += [f"{where}.{name}: newly required" for name in sorted(newly_required)]
    return problems


def asyncapi_document(classes: dict[tuple[str, int], type[DomainEvent]]) -> dict[str, Any]:
    """The AsyncAPI 3.0 description of every topic and message."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for (event_type, version), cls in classes.items():
        message_id = f"{event_type}.v{version}"
        channel_id = cls.topic.removeprefix("pledgeflow.").replace(".", "-")
        channel = channels.setdefault(
            channel_id, {"address": cls.topic, "messages": {}, "bindings": _topic_binding()}
        )
        channel["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
        messages[message_id] = {
            "name": event_type,
            "title": f"{event_type} (schema version {version})",
            "summary": payload_schema(cls)["description"],
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/headers"},
            "payload": {
                "allOf": [
                    {"$ref": "#/components/schemas/envelope"},
                    {
                        "properties": {
                            "payload": {
                                "$ref": str(schema_path(event_type, version).relative_to(CONTRACTS))
                            }
                        }
                    },
                ]
            },
            "bindings": {"kafka": {"key": {"type": "string", "description": "aggregate id"}}},
        }
    for channel_id in channels:
        operations[f"receive-{channel_id}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": "Subscribe with your own consumer group; every group gets every event.",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "pledgeflow events",
            "version": "1.0.0",
            "description": (
                "Events of IP-pledge financing. Keys are aggregate ids, so one loan's or one "
                "filing's events arrive in order. Within a schema version fields are only "
                "added; anything else is published as a new version."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka"}},
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"messages": messages, "schemas": _envelope_schemas()},
    }


def _topic_binding() -> dict[str, Any]:
    return {
        "kafka": {
            "partitions": 3,
            "replicas": 3,
            "topicConfiguration": {"cleanup.policy": ["delete"]},
        }
    }


def _envelope_schemas() -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "envelope": {
            "type": "object",
            "required": [
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
            ],
            "properties": {
                "event_id": {**text, "format": "uuid"},
                "event_type": text,
                "schema_version": {"type": "integer", "minimum": 1},
                "aggregate_id": text,
                "aggregate_version": {"type": "integer", "minimum": 1},
                "occurred_at": {**text, "format": "date-time"},
                "producer": text,
                "correlation_id": text,
                "causation_id": {"type": ["string", "null"]},
                "payload": {"type": "object"},
            },
        },
        "headers": {
            "type": "object",
            "properties": {"event_type": text, "correlation_id": text},
        },
    }


def generated() -> dict[Path, str]:
    """Every contract file as the code describes it now."""
    classes = event_classes()
    files = {
        schema_path(t, v): json.dumps(payload_schema(cls), indent=2, sort_keys=True) + "\n"
        for (t, v), cls in classes.items()
    }
    files[ASYNCAPI] = yaml.safe_dump(asyncapi_document(classes), sort_keys=False, width=100)
    return files


def problems() -> list[str]:
    """Drift between the code and `contracts/`, and incompatible changes to published schemas."""
    files = generated()
    found = []
    for published in sorted(SCHEMAS.glob("*/v*.json")):
        if published not in files:
            found.append(f"{published.relative_to(ROOT)}: published but no longer produced")
            continue
        old = json.loads(published.read_text())
        found += [
            f"{published.relative_to(ROOT)}: {p}"
            for p in incompatibilities(old, json.loads(files[published]))
        ]
    for path, text in files.items():
        if not path.exists() or path.read_text() != text:
            found.append(f"{path.relative_to(ROOT)}: out of date; run pledgeflow contracts write")
    return found


def write() -> list[str]:
    """Regenerate `contracts/`; refuses when a published schema would change incompatibly."""
    blocking = [p for p in problems() if "out of date" not in p]
    if blocking:
        return blocking
    for path, text in generated().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return []


def main() -> None:
    """`python -m shared.contracts write|check`."""
    parser = argparse.ArgumentParser(description="Event contracts")
    parser.add_argument("command", choices=["write", "check"])
    args = parser.parse_args()
    found = write() if args.command == "write" else problems()
    for line in found:
        print(line)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
