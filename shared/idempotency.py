"""Idempotency keys for writes: the key is stored in the same transaction as the effect.

A retried request with the same key and body returns the resource the first one created; the
same key with a different body is refused; a concurrent duplicate loses the race on the
primary key and is refused with 409, never creating a second resource.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Header
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import UtcDateTime
from shared.http import Problem

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 200
KEY_PATTERN = f"^[!-~]{{1,{MAX_KEY_LENGTH}}}$"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="Makes a retried write return the first result; 1 to 200 visible ASCII "
        "characters, e.g. a UUID",
        json_schema_extra={"pattern": KEY_PATTERN},
    ),
]

T = TypeVar("T")
U = TypeVar("U")


def idempotency_table(metadata: MetaData) -> Table:
    """Keys already used, per caller, with the resource each one created."""
    return Table(
        "idempotency_keys",
        metadata,
        Column("owner", String(64), primary_key=True),
        Column("key", String(MAX_KEY_LENGTH), primary_key=True),
        Column("request_hash", String(64), nullable=False),
        Column("resource_id", String(64), nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
    )


@dataclass(frozen=True)
class IdempotencyClaim:
    """A caller's key for one write, with a fingerprint of what was asked."""

    owner: str
    key: str
    request_hash: str

    @classmethod
    def of(cls, owner: str, key: str | None, request: Any) -> IdempotencyClaim | None:
        """A claim for a request carrying the header, or None without it."""
        if key is None:
            return None
        if re.fullmatch(KEY_PATTERN, key) is None:
            raise Problem(
                400,
                "idempotency.bad_key",
                f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters",
            )
        canonical = json.dumps(request, sort_keys=True, default=str).encode()
        return cls(owner, key, hashlib.sha256(canonical).hexdigest())


async def previous_resource(
    session: AsyncSession, table: Table, claim: IdempotencyClaim
) -> str | None:
    """The resource created under this key before, if any; a different body is refused."""
    row = (
        await session.execute(
            select(table.c.request_hash, table.c.resource_id).where(
                table.c.owner == claim.owner, table.c.key == claim.key
            )
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != claim.request_hash:
        raise Problem(
            422,
            "idempotency.key_reused",
            "This Idempotency-Key was used for a different request",
        )
    return str(row.resource_id)


async def run_idempotent(
    unit_of_work: Callable[[], Any],
    table: Table,
    claim: IdempotencyClaim | None,
    action: Callable[[Any], Awaitable[T]],
    replay: Callable[[Any, str], Awaitable[T]],
) -> tuple[T, bool]:
    """Run `action` once per key: (result, False), or (the earlier resource, True) on a retry."""
    if claim is not None:
        async with unit_of_work() as uow:
            earlier = await previous_resource(uow.session, table, claim)
            if earlier is not None:
                return await replay(uow, earlier), True
    try:
        async with unit_of_work() as uow:
            uow.idempotency = claim
            return await action(uow), False
    except IntegrityError:
        if claim is not None:
            async with unit_of_work() as uow:
                if await previous_resource(uow.session, table, claim) is not None:
                    raise Problem(
                        409,
                        "idempotency.conflict",
                        "A request with this Idempotency-Key was processed concurrently",
                        "retry to receive its result",
                    ) from None
        raise
