"""The services' internal APIs, called as the signed-in person.

For each call the console signs a short-lived credential naming the person (`sub`) and their
role, for the one service it calls (`aud`), so that service's audit log names the person. The
console is a credential issuer of its own in production; locally it signs as the development
issuer the local stack trusts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx

from services.console.domain.answers import (
    Answer,
    RefusedAsConflict,
    ServiceDown,
    ServiceRefused,
)
from services.console.domain.staff import Person
from shared.issuer import LocalIssuer
from shared.tokens import Role, audience

REFUSALS_AS_CONFLICTS = frozenset({409, 412, 423})


class HttpServices:
    """Calls registry, valuation and credit with a credential signed for the person."""

    def __init__(
        self,
        urls: Mapping[str, str],
        issuer: LocalIssuer,
        token_lifetime: timedelta,
        timeout: float = 10.0,
    ) -> None:
        self._urls = dict(urls)
        self._issuer = issuer
        self._lifetime = token_lifetime
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=self._timeout)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def credential(self, person: Person, service: str) -> str:
        """A credential for `person` meant for `service` alone."""
        return self._issuer.issue(
            person.staff_id,
            Role(person.role.value),
            audience=audience(service),
            ttl=self._lifetime,
        )

    async def call(
        self,
        person: Person,
        service: str,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
    ) -> Answer:
        headers = {
            "Authorization": f"Bearer {self.credential(person, service)}",
            "X-Correlation-Id": f"console-{uuid.uuid4()}",
            "Accept": "application/json",
        }
        if self._client is None:
            raise ServiceDown("the console is not started")
        try:
            response = await self._client.request(
                method, self._urls[service] + path, json=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ServiceDown(f"{service}: {exc!r}") from exc
        if response.status_code >= 500:
            raise ServiceDown(f"{service} answered {response.status_code}")
        content = _json(response)
        if response.status_code >= 400:
            problem = content if isinstance(content, dict) else {}
            refused = (
                RefusedAsConflict
                if response.status_code in REFUSALS_AS_CONFLICTS
                else ServiceRefused
            )
            raise refused(
                response.status_code,
                str(problem.get("code") or f"http.{response.status_code}"),
                str(problem.get("title") or "Refused"),
                _detail(problem),
            )
        return Answer(response.status_code, content)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(problem: Mapping[str, Any]) -> str:
    detail = str(problem.get("detail") or "")
    errors = problem.get("errors") or []
    listed = "; ".join(
        f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, Mapping)
    )
    return "; ".join(part for part in (detail, listed) if part)
