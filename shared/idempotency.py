"""The `Idempotency-Key` of a bank's write, as HTTP carries it.

The key becomes the request's deduplication identity (`shared.dedup`), handled by the message
bus in the same transaction as the effect: a retried request with the same key and body is
answered from the resource the first one made (with `Idempotent-Replayed: true`); the same
key with another body is refused (422 `idempotency.key_reused`); a concurrent duplicate is
refused (409 `idempotency.conflict`). Writes that move money require the key (428 without
it), so a retried request can never be recorded twice.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Header, Response

from shared.dedup import MAX_KEY_LENGTH, Dedup
from shared.http import Problem
from shared.kernel.messages import Command
from shared.messagebus import Handled, MessageBus

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
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

KEY_REQUIRED_OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "name": HEADER,
            "in": "header",
            "required": True,
            "description": (
                "Required: a key unique to this write; a retry with the same key and body "
                "returns the first result, so the money moves once"
            ),
            "schema": {"type": "string", "pattern": KEY_PATTERN},
        }
    ]
}


def required_key(
    key: Annotated[str | None, Header(alias=HEADER, include_in_schema=False)] = None,
) -> str:
    """The request's Idempotency-Key; 428 when a money-moving write comes without one."""
    if key is None:
        raise Problem(
            428,
            "idempotency.key_required",
            f"This write moves money and needs an {HEADER}",
            "send a key unique to this write; resend the same key when retrying",
        )
    return key


RequiredIdempotencyKey = Annotated[str, Depends(required_key)]


def request_dedup(caller: str, key: str | None, request: Any) -> Dedup | None:
    """The deduplication identity of a keyed write (None without a key); 400 for a bad key."""
    if key is None:
        return None
    if re.fullmatch(KEY_PATTERN, key) is None:
        raise Problem(
            400,
            "idempotency.bad_key",
            f"{HEADER} must be 1 to {MAX_KEY_LENGTH} visible ASCII characters",
        )
    return Dedup.of_request(caller, key, request)


def mark_replayed(response: Response, handled: Handled[Any]) -> None:
    """Tell the caller that the answer comes from an earlier request with the same key."""
    if handled.replayed:
        response.headers[REPLAYED_HEADER] = "true"


async def handle_keyed(
    messages: MessageBus[Any],
    command: Command,
    response: Response,
    *,
    caller: str,
    key: str | None,
    request: Any,
) -> Any:
    """Run a caller's write under its key (if any) and answer what it made; a retried request
    is answered from the first one's resource and marked as replayed."""
    handled = await messages.handle(command, dedup=request_dedup(caller, key, request))
    mark_replayed(response, handled)
    return handled.result
