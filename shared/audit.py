"""Audit of internal actions: who did what on `/internal/...`, when, and with what outcome.

Every request to an internal path whose bearer credential verifies is recorded in the
service's own database, in a short transaction of its own once the response has been sent.
A failure to record is logged and never changes the response.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Table, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import Principal, Role, staff
from shared.http import CORRELATION_HEADER, Problem
from shared.openapi import problem_responses
from shared.tables import MAX_PATH_LENGTH
from shared.tokens import TokenVerifier

log = logging.getLogger(__name__)

INTERNAL_PREFIX = "/internal/"


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str:
    return next((v.decode("latin-1") for k, v in headers if k == name), "")


async def _verified(
    verifier: TokenVerifier, headers: list[tuple[bytes, bytes]]
) -> Principal | None:
    scheme, _, token = _header(headers, b"authorization").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return await verifier.verify(token.strip())
    except Problem:
        return None


class AuditMiddleware:
    """Records internal requests made with a verified credential, after their response."""

    def __init__(self, app: ASGIApp, table: Table) -> None:
        self.app = app
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(INTERNAL_PREFIX):
            await self.app(scope, receive, send)
            return
        service_app = scope["app"]
        caller = await _verified(service_app.state.verifier, scope.get("headers", []))
        if caller is None:
            await self.app(scope, receive, send)
            return
        at = datetime.now(UTC)
        requested = _header(scope.get("headers", []), CORRELATION_HEADER.lower().encode())
        outcome: dict[str, Any] = {"status": 500, "correlation_id": requested[:64] or None}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"] = message["status"]
                for key, value in message.get("headers", []):
                    if key.decode("latin-1").lower() == CORRELATION_HEADER.lower():
                        outcome["correlation_id"] = value.decode("latin-1")[:64]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            await self._record(
                service_app,
                {
                    "id": str(uuid.uuid4()),
                    "at": at,
                    "service": service_app.state.runtime.service,
                    "actor": caller.subject[:64],
                    "role": caller.role.value,
                    "method": scope["method"],
                    "path": str(scope["path"])[:MAX_PATH_LENGTH],
                    "status_code": outcome["status"],
                    "correlation_id": outcome["correlation_id"],
                },
            )

    async def _record(self, app: FastAPI, row: dict[str, Any]) -> None:
        try:
            async with app.state.runtime.engine.begin() as connection:
                await connection.execute(self.table.insert().values(**row))
        except Exception:
            log.warning(
                "audit record not written",
                exc_info=True,
                extra={"path": row["path"], "actor": row["actor"]},
            )


class AuditEntryOut(BaseModel):
    """One audited request."""

    id: str = Field(description="Identifier of the audit entry")
    at: datetime = Field(description="When the request arrived (UTC)")
    service: str = Field(description="Service that handled the request")
    actor: str = Field(description="Subject of the verified credential")
    role: str = Field(description="Role the credential grants")
    method: str = Field(description="HTTP method")
    path: str = Field(description="Request path")
    status_code: int = Field(description="HTTP status of the response")
    correlation_id: str | None = Field(description="Correlation id of the request")


class AuditPageOut(BaseModel):
    """A page of the audit trail, newest first."""

    total: int = Field(description="Number of audit entries in all")
    limit: int = Field(description="Largest number of entries on a page")
    offset: int = Field(description="Entries skipped before this page")
    items: list[AuditEntryOut] = Field(description="Entries of this page, newest first")


def _entry(row: dict[str, Any]) -> AuditEntryOut:
    at: datetime = row["at"]
    row["at"] = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return AuditEntryOut.model_validate(row)


def audit_router(table: Table) -> APIRouter:
    """`GET /internal/v1/audit` for supervisors, administrators and operators."""
    router = APIRouter(
        prefix="/internal/v1",
        tags=["audit"],
        dependencies=[Depends(staff(Role.SUPERVISOR, Role.ADMINISTRATOR, Role.OPERATOR))],
        responses=problem_responses(401, 403, 422),
    )

    @router.get("/audit", response_model=AuditPageOut)
    async def audit_trail(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> AuditPageOut:
        """Internal requests made with a verified credential, newest first."""
        async with request.app.state.runtime.engine.connect() as connection:
            total = await connection.scalar(select(func.count()).select_from(table))
            rows = await connection.execute(
                select(table).order_by(table.c.at.desc(), table.c.id).limit(limit).offset(offset)
            )
            items = [_entry(dict(row._mapping)) for row in rows]
        return AuditPageOut(total=int(total or 0), limit=limit, offset=offset, items=items)

    return router


def install_audit(app: FastAPI, table: Table) -> None:
    """Audit the service's internal requests into `table`, and serve the trail."""
    app.add_middleware(AuditMiddleware, table=table)
    app.include_router(audit_router(table))
