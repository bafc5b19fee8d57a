"""Published event contracts: generated from the code, and changed only compatibly."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from shared.contracts import (
    ASYNCAPI,
    CONTRACTS,
    event_classes,
    incompatibilities,
    payload_schema,
    problems,
)
from shared.topics import EVENT_TYPES

BASE: dict[str, Any] = {
    "type": "object",
    "required": ["loan_id", "amount", "party"],
    "properties": {
        "loan_id": {"type": "string"},
        "amount": {"type": "string"},
        "party": {"$ref": "#/$defs/Party"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "$defs": {
        "Party": {
            "type": "object",
            "required": ["uscc"],
            "properties": {"uscc": {"type": "string"}, "name": {"type": "string"}},
        }
    },
}


def changed(edit) -> dict[str, Any]:
    schema = copy.deepcopy(BASE)
    edit(schema)
    return schema


def test_adding_an_optional_field_is_compatible() -> None:
    new = changed(lambda s: s["properties"].update(currency={"type": "string"}))
    assert incompatibilities(BASE, new) == []


def test_removing_a_field_is_not() -> None:
    new = changed(lambda s: s["properties"].pop("amount"))
    assert incompatibilities(BASE, new) == ["payload.amount: removed"]


def test_retyping_a_field_is_not() -> None:
    new = changed(lambda s: s["properties"].update(amount={"type": "number"}))
    assert incompatibilities(BASE, new) == [
        "payload.amount: type changed from ('string', None) to ('number', None)"
    ]


def test_removing_a_nested_field_is_not() -> None:
    new = changed(lambda s: s["$defs"]["Party"]["properties"].pop("name"))
    assert incompatibilities(BASE, new) == ["payload.party.name: removed"]


def test_requiring_a_field_that_was_optional_is_not() -> None:
    new = changed(lambda s: s["required"].append("note"))
    assert incompatibilities(BASE, new) == ["payload.note: newly required"]


def test_making_a_field_nullable_is_a_type_change() -> None:
    new = changed(
        lambda s: s["properties"].update(loan_id={"anyOf": [{"type": "string"}, {"type": "null"}]})
    )
    assert incompatibilities(BASE, new) != []


def test_every_service_event_has_a_schema_with_topic_and_version() -> None:
    classes = event_classes()
    assert ("credit.loan.disbursed", 1) in classes
    for (event_type, version), cls in classes.items():
        schema = payload_schema(cls)
        assert schema["title"] == event_type
        assert schema["x-schema-version"] == version
        assert schema["x-topic"].startswith("pledgeflow.")


def test_the_published_contracts_match_the_code_and_no_change_breaks_them() -> None:
    assert problems() == []


def test_the_asyncapi_document_names_every_topic_and_its_schemas() -> None:
    document = yaml.safe_load(ASYNCAPI.read_text())
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert {cls.topic for cls in event_classes().values()} == addresses
    for message in document["components"]["messages"].values():
        schema_ref = message["payload"]["allOf"][1]["properties"]["payload"]["$ref"]
        assert (CONTRACTS / schema_ref).exists(), schema_ref


def test_the_topic_catalogue_lists_exactly_the_event_types_published_on_each_topic() -> None:
    published: dict[str, set[str]] = {}
    for cls in event_classes().values():
        published.setdefault(cls.topic, set()).add(cls.event_type)
    assert {topic: set(types) for topic, types in EVENT_TYPES.items()} == published
