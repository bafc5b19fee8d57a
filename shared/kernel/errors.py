"""Refusals a domain or service layer raises, each named by a stable code.

The kind of refusal is the class a rule's error derives from; each way into a service maps
kinds to its own answer in one table: HTTP to a problem-details status, a consumer to a
dead-letter reason (the code).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command refused by a rule; `code` names the rule, `detail` says what was wrong."""

    code: str = "rule.broken"
    title: str = "The command breaks a rule"
    # A refusal that is itself a fact to keep (an offer found lapsed is withdrawn): what the
    # handler changed before refusing is committed, then the refusal is answered.
    keep_changes: bool = False

    def __init__(
        self,
        detail: str = "",
        errors: list[dict[str, Any]] | None = None,
        *,
        code: str | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        super().__init__(f"{self.code}: {detail}" if detail else self.code)
        self.detail = detail
        self.errors = list(errors or [])


class NotFound(DomainError):
    """The command names something that does not exist (or that the caller may not see)."""

    code = "resource.not_found"
    title = "Not found"


class Conflict(DomainError):
    """The state of what the command names does not allow it now."""

    code = "state.conflict"
    title = "The current state does not allow this"


class Invalid(DomainError):
    """The command's content breaks a rule, whatever the state."""

    code = "content.invalid"
    title = "The content breaks a rule"


class Forbidden(DomainError):
    """The caller may not do this."""

    code = "caller.forbidden"
    title = "Not allowed for this caller"


class Unavailable(DomainError):
    """A fact the command needs is not available yet; trying later may succeed."""

    code = "fact.unavailable"
    title = "Not available yet"


KINDS = (NotFound, Conflict, Invalid, Forbidden, Unavailable)


def kind_of(error: DomainError) -> type[DomainError]:
    """The kind of refusal: the nearest of the kinds above in the error's class hierarchy."""
    for cls in type(error).__mro__:
        if cls in KINDS:
            return cls
    return DomainError
