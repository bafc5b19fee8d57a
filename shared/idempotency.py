"""The `Idempotency-Key` of a bank's write, as HTTP carries it.

The key becomes the request's deduplication identity (`shared.dedup`), handled by the message
bus in the same transaction as the effect: a retried request with the same key and body is
answered from the resource the first one made (with `Idempotent-Replayed: true`); the same
key with another body is refused (422 `idempotency.key_reused`); a concurrent duplicate is
refused (409 `idempotency.conflict`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Header, Response

from shared.dedup import MAX_KEY_LENGTH, Dedup
from shared.http import Problem
from shared.messagebus import Handled

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="Makes a retried write return the first result",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
    ),
]


def request_dedup(caller: str, key: str | None, request: Any) -> Dedup | None:
    """The deduplication identity of a keyed write (None without a key); 400 for a bad key."""
    if key is None:
        return None
    try:
        return Dedup.of_request(caller, key, request)
    except ValueError as exc:
        raise Problem(
            400, "idempotency.bad_key", f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters"
        ) from exc


def mark_replayed(response: Response, handled: Handled[Any]) -> None:
    """Tell the caller that the answer comes from an earlier request with the same key."""
    if handled.replayed:
        response.headers[REPLAYED_HEADER] = "true"
