"""Every consumer reads events with a model that fits what the producer publishes.

A consumer's payload model is compared, field by field, with the published JSON Schema of the
event type and version it reacts to (`contracts/schemas/`): a field the consumer requires must
be required by the contract, a field it reads must exist there, and every type the producer
may send must be one the consumer accepts. A consumer that would dead-letter a valid event,
or silently read a field nobody sends, fails here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import TypeAdapter

from services.console.entrypoints.consumers import CONSOLE_CONSUMERS
from services.credit.entrypoints.consumers import CREDIT_CONSUMERS
from services.registry.entrypoints.consumers import registry_consumers
from services.valuation.entrypoints.consumers import VALUATION_CONSUMERS
from shared.consumer import Reaction
from shared.contracts import schema_path
from shared.kernel.clock import SystemClock
from shared.runtime import ConsumerSpec

JsonSchema = dict[str, Any]


def consumer_specs() -> list[ConsumerSpec]:
    return [
        *CREDIT_CONSUMERS,
        *registry_consumers(SystemClock()),
        *VALUATION_CONSUMERS,
        *CONSOLE_CONSUMERS,
    ]


def reactions() -> Iterator[tuple[str, str, int, Reaction]]:
    for spec in consumer_specs():
        for event_type, reaction in spec.reactions.items():
            for version in sorted(reaction.versions):
                yield spec.name, event_type, version, reaction


def _resolve(node: JsonSchema, root: JsonSchema) -> JsonSchema:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = root["$defs"][name]
    return node


def _types(node: JsonSchema, root: JsonSchema) -> set[str]:
    """The JSON types a schema admits ("any" when it does not say)."""
    node = _resolve(node, root)
    if "anyOf" in node or "oneOf" in node:
        found: set[str] = set()
        options: list[JsonSchema] = node.get("anyOf") or node.get("oneOf") or []
        for option in options:
            found |= _types(option, root)
        return found
    if "const" in node or "enum" in node:
        values = node.get("enum", [node.get("const")])
        return {_json_type(value) for value in values}
    kind = node.get("type")
    if kind is None:
        return {"any"}
    return set(kind) if isinstance(kind, list) else {kind}


def _json_type(value: object) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(
        type(value), "null" if value is None else "object"
    )


def _accepts(consumer: set[str], sent: str) -> bool:
    return "any" in consumer or sent in consumer or (sent == "integer" and "number" in consumer)


def mismatches(
    consumer: JsonSchema, croot: JsonSchema, published: JsonSchema, proot: JsonSchema, path: str
) -> Iterator[str]:
    consumer, published = _resolve(consumer, croot), _resolve(published, proot)
    sent = _types(published, proot)
    accepted = _types(consumer, croot)
    for kind in sorted(sent):
        if not _accepts(accepted, kind):
            yield f"{path or 'payload'}: the producer sends {kind}, the consumer accepts {accepted}"
    if "object" in sent and "object" in accepted:
        yield from _object_mismatches(consumer, croot, published, proot, path)
    if "array" in sent and "array" in accepted:
        items_c = _array_items(consumer, croot)
        items_p = _array_items(published, proot)
        if items_c is not None and items_p is not None:
            yield from mismatches(items_c, croot, items_p, proot, f"{path}[]")


def _array_items(node: JsonSchema, root: JsonSchema) -> JsonSchema | None:
    for option in [node, *node.get("anyOf", [])]:
        option = _resolve(option, root)
        if "items" in option:
            return dict(option["items"])
    return None


def _object_of(node: JsonSchema, root: JsonSchema) -> JsonSchema:
    for option in [node, *node.get("anyOf", [])]:
        option = _resolve(option, root)
        if "properties" in option:
            return option
    return node


def _object_mismatches(
    consumer: JsonSchema, croot: JsonSchema, published: JsonSchema, proot: JsonSchema, path: str
) -> Iterator[str]:
    consumer, published = _object_of(consumer, croot), _object_of(published, proot)
    published_fields = published.get("properties", {})
    required_there = set(published.get("required", []))
    required_here = set(consumer.get("required", []))
    for name, field in consumer.get("properties", {}).items():
        where = f"{path}.{name}" if path else name
        if name not in published_fields:
            if name in required_here:
                yield f"{where}: required by the consumer, never published"
            else:
                yield f"{where}: read by the consumer, never published"
            continue
        if name in required_here and name not in required_there:
            yield f"{where}: required by the consumer, optional in the contract"
        yield from mismatches(field, croot, published_fields[name], proot, where)


@pytest.mark.parametrize(
    ("consumer", "event_type", "version", "reaction"),
    [pytest.param(*r, id=f"{r[0]}:{r[1]}:v{r[2]}") for r in reactions()],
)
def test_the_consumer_reads_what_the_contract_publishes(
    consumer: str, event_type: str, version: int, reaction: Reaction
) -> None:
    assert reaction.payload is not None, f"{consumer} reads {event_type} with no declared model"
    published = json.loads(schema_path(event_type, version).read_text(encoding="utf-8"))
    model = TypeAdapter(reaction.payload).json_schema(mode="validation")
    assert list(mismatches(model, model, published, published, "")) == []


def test_the_comparison_finds_a_consumer_that_expects_too_much() -> None:
    published = {
        "type": "object",
        "properties": {"amount": {"type": "string"}, "note": {"type": "string"}},
        "required": ["amount"],
    }
    consumer = {
        "type": "object",
        "properties": {
            "amount": {"type": "number"},
            "note": {"type": "string"},
            "extra": {"type": "string"},
        },
        "required": ["amount", "note", "extra"],
    }
    found = list(mismatches(consumer, consumer, published, published, ""))
    assert found == [
        "amount: the producer sends string, the consumer accepts {'number'}",
        "note: required by the consumer, optional in the contract",
        "extra: required by the consumer, never published",
    ]
