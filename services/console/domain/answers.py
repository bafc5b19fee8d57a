"""What the services answer when the console acts on a person's behalf."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.kernel.errors import Conflict, DomainError, Unavailable


@dataclass(frozen=True)
class Answer:
    """A service's successful answer."""

    status: int
    body: Any


class ServiceRefused(DomainError):
    """A service refused what the person asked (a 4xx answer), with its code and detail.

    The console keeps the attempt in its audit, so what was changed is committed.
    """

    keep_changes = True

    def __init__(self, status: int, code: str, title: str, detail: str = "") -> None:
        super().__init__(detail or title, code=code)
        self.status = status
        self.title = title


class RefusedAsConflict(ServiceRefused, Conflict):
    """The state of what was asked does not allow it (409 and the like)."""


class ServiceDown(Unavailable):
    """A service could not be reached or failed; nothing was done."""

    code = "console.service_unavailable"
    title = "The service cannot be reached; try again shortly"
