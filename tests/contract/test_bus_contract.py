"""What every bus must do: the in-memory fake is held to the behaviour of the real broker."""

from __future__ import annotations

import asyncio
import uuid

from shared.bus.base import EventBus, Message, Record, Subscription


def _topic() -> str:
    return f"contract.{uuid.uuid4().hex[:10]}"


async def _prepare(bus: EventBus, *topics: str) -> None:
    ensure = getattr(bus, "ensure_topics", None)
    if ensure is not None:
        await ensure(list(topics))


async def _drain(subscription: Subscription, count: int, timeout: float = 20) -> list[Message]:
    received: list[Message] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while len(received) < count and asyncio.get_running_loop().time() < deadline:
        received += await subscription.poll(timeout=0.5)
    return received


async def test_a_record_arrives_with_key_value_and_headers(bus: EventBus) -> None:
    topic = _topic()
    await _prepare(bus, topic)
    await bus.publish([Record(topic, "loan-1", b'{"a":1}', (("event_type", b"x.y"),))])
    subscription = bus.subscribe(f"g-{topic}", [topic])
    await subscription.start()
    try:
        [message] = await _drain(subscription, 1)
    finally:
        await subscription.stop()
    assert (message.key, message.value, message.header("event_type")) == (
        "loan-1",
        b'{"a":1}',
        "x.y",
    )


async def test_records_of_one_key_keep_their_order(bus: EventBus) -> None:
    topic = _topic()
    await _prepare(bus, topic)
    keys = [f"k{i}" for i in range(5)]
    await bus.publish([Record(topic, keys[i % 5], str(i).encode()) for i in range(200)])
    subscription = bus.subscribe(f"g-{topic}", [topic])
    await subscription.start()
    try:
        received = await _drain(subscription, 200)
    finally:
        await subscription.stop()
    assert len(received) == 200
    for key in keys:
        values = [int(m.value) for m in received if m.key == key]
        assert values == sorted(values) and len(values) == 40


async def test_two_groups_each_receive_every_record(bus: EventBus) -> None:
    topic = _topic()
    await _prepare(bus, topic)
    await bus.publish([Record(topic, f"k{i}", str(i).encode()) for i in range(30)])
    seen = []
    for group in ("insurer", "fund"):
        subscription = bus.subscribe(f"{group}-{topic}", [topic])
        await subscription.start()
        try:
            seen.append(sorted(int(m.value) for m in await _drain(subscription, 30)))
        finally:
            await subscription.stop()
    assert seen == [list(range(30)), list(range(30))]


async def test_uncommitted_records_are_delivered_again_and_committed_ones_are_not(
    bus: EventBus,
) -> None:
    topic = _topic()
    await _prepare(bus, topic)
    await bus.publish([Record(topic, "same-key", str(i).encode()) for i in range(10)])
    group = f"g-{topic}"
    first = bus.subscribe(group, [topic])
    await first.start()
    received = await _drain(first, 10)
    await first.commit(received[:4])
    await first.stop()

    second = bus.subscribe(group, [topic])
    await second.start()
    try:
        again = await _drain(second, 6)
    finally:
        await second.stop()
    assert [int(m.value) for m in again] == [4, 5, 6, 7, 8, 9]


async def test_lag_counts_the_records_a_group_has_not_committed(bus: EventBus) -> None:
    topic = _topic()
    await _prepare(bus, topic)
    await bus.publish([Record(topic, "one-key", str(i).encode()) for i in range(10)])
    subscription = bus.subscribe(f"g-{topic}", [topic])
    await subscription.start()
    try:
        first: list[Message] = []
        deadline = asyncio.get_running_loop().time() + 20
        while not first and asyncio.get_running_loop().time() < deadline:
            first = await subscription.poll(timeout=0.5, max_records=4)
        partition = first[0].partition
        assert subscription.lag()[(topic, partition)] == 10
        await subscription.commit(first)
        assert subscription.lag()[(topic, partition)] == 10 - len(first)
        rest = await _drain(subscription, 10 - len(first))
        await subscription.commit(rest)
        assert subscription.lag()[(topic, partition)] == 0
    finally:
        await subscription.stop()
