"""What a service is asked to do (commands) or to tell (queries): plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    """An instruction that changes state, named in the imperative (`RegisterPledge`)."""


@dataclass(frozen=True)
class Query:
    """A question that reads state and changes nothing (`GetLoan`)."""
