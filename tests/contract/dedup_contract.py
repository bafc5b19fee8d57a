"""The deduplication records every service's unit of work keeps: an event is claimed once, a
keyed request is remembered with what it made, and two requests under one key race to one
winner. A repository suite imports these tests; its own `backend` fixture says which storage
runs them, and its `dedup_case` fixture gives the service's own event and request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from shared.dedup import Dedup
from tests.contract.storage import conflict_of


@dataclass(frozen=True)
class DedupCase:
    consumer: str
    event_type: str
    request_body: dict[str, Any]
    made: str


class DedupBackend(Protocol):
    def unit_of_work(self) -> Any: ...

    def concurrently(self) -> None: ...


async def test_an_event_is_claimed_once(backend: DedupBackend, dedup_case: DedupCase) -> None:
    event = Dedup.of_event(dedup_case.consumer, str(uuid.uuid4()), dedup_case.event_type)
    async with backend.unit_of_work() as uow:
        assert await uow.seen_before(event) is None
        await uow.commit()

    async with backend.unit_of_work() as uow:
        assert await uow.seen_before(event) is not None


async def test_a_request_is_remembered_with_what_it_made(
    backend: DedupBackend, dedup_case: DedupCase
) -> None:
    request = Dedup.of_request("bank-hangzhou", "key-1", dedup_case.request_body)
    async with backend.unit_of_work() as uow:
        assert await uow.seen_before(request) is None
        await uow.remember(request, f"{dedup_case.made}-1")
        await uow.commit()

    async with backend.unit_of_work() as uow:
        earlier = await uow.seen_before(request)
    assert earlier is not None
    assert (earlier.fingerprint, earlier.resource_id) == (
        request.fingerprint,
        f"{dedup_case.made}-1",
    )


async def test_a_request_remembered_concurrently_is_a_conflict(
    backend: DedupBackend, dedup_case: DedupCase
) -> None:
    backend.concurrently()
    request = Dedup.of_request("bank-hangzhou", "key-1", dedup_case.request_body)
    async with backend.unit_of_work() as first, backend.unit_of_work() as second:
        assert await first.seen_before(request) is None
        assert await second.seen_before(request) is None
        await first.remember(request, f"{dedup_case.made}-1")
        await first.commit()

        async def remember_too() -> None:
            await second.remember(request, f"{dedup_case.made}-2")
            await second.commit()

        await conflict_of(remember_too)
