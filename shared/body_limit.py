"""A limit on the size of request bodies, enforced before a body is read in full.

A request whose `Content-Length` exceeds the limit is answered 413 at once, without reading
its body. A body sent without a length (chunked) is counted as it streams in, and the request
is answered 413 as soon as the count passes the limit. Bulk loads (paths ending in `/bulk`)
have a larger limit of their own.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.problems import problem_response

MIB = 1024 * 1024
DEFAULT_MAX_BODY_BYTES = 1 * MIB
DEFAULT_MAX_BULK_BODY_BYTES = 16 * MIB
TOO_LARGE = "The request body is too large"


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, TOO_LARGE)
        self.limit = limit


class BodyLimit:
    """ASGI middleware answering 413 to a body over `max_bytes` (`max_bulk_bytes` for bulk)."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_bulk_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_bulk_bytes = max_bulk_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(str(scope.get("path", "")))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, _counting(receive, limit), sending)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(limit)(scope, receive, send)

    def limit_for(self, path: str) -> int:
        """The limit of a path: bulk loads get the larger one."""
        return self.max_bulk_bytes if path.rstrip("/").endswith("/bulk") else self.max_bytes


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _counting(receive: Receive, limit: int) -> Receive:
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return counted


def _too_large(limit: int) -> Any:
    return problem_response(
        413,
        "request.too_large",
        TOO_LARGE,
        f"bodies of this endpoint are limited to {limit} bytes",
        headers={"Connection": "close"},
    )
