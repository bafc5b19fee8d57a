"""What valuation's handlers need from storage and configuration.

The adapters implement these on SQL and YAML files; the tests implement them in memory, and one
contract suite runs the same repository tests against both. A write that lost a race to a
concurrent writer raises an error the message bus counts as a write conflict
(`shared.retry.is_conflict`), so the command is tried again on the new state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from services.valuation.domain.collateral import LoanCollateral
from services.valuation.domain.parameters import ParameterSet
from services.valuation.domain.records import RegisteredRight
from services.valuation.domain.valuation import Valuation
from shared.messagebus import UnitOfWork


class RightRepository(Protocol):
    """The read model of the register, fed by the registry's events."""

    async def get(self, number: str) -> RegisteredRight | None:
        """The right as last recorded, or None."""
        ...

    async def get_many(self, numbers: Iterable[str]) -> dict[str, RegisteredRight]:
        """The recorded rights among `numbers`, by number."""
        ...

    async def upsert(self, right: RegisteredRight) -> bool:
        """Store the right unless a newer registry version of it is stored; True if stored."""
        ...


class ValuationRepository(Protocol):
    """Valuations, written once; a provisional one is saved again with its sign-off.

    At most one valuation is made for credit per loan: adding a second is a write conflict.
    """

    async def add(self, valuation: Valuation) -> None:
        """Store a new valuation with its inputs."""
        ...

    async def get(self, valuation_id: str) -> Valuation | None:
        """The valuation with its sign-off, or None."""
        ...

    async def for_application(self, loan_reference: str) -> Valuation | None:
        """The valuation made for credit of a loan application's collateral, or None."""
        ...

    async def pending(self, limit: int, after: str | None = None) -> list[Valuation]:
        """Provisional valuations without a sign-off, oldest first, after the valuation `after`."""
        ...

    async def save(self, valuation: Valuation) -> None:
        """Store the sign-off of a loaded valuation; a second sign-off is a write conflict."""
        ...


class CollateralRepository(Protocol):
    """The collateral of disbursed loans, followed until released."""

    async def add(self, collateral: LoanCollateral) -> None:
        """Start following a loan's collateral."""
        ...

    async def get(self, loan_reference: str) -> LoanCollateral | None:
        """The collateral of one loan (released or not), locked until commit; or None."""
        ...

    async def following(self, right_number: str) -> list[LoanCollateral]:
        """The collateral, not released, of every loan the right backs, locked until commit."""
        ...

    async def save(self, collateral: LoanCollateral) -> None:
        """Store a loaded collateral's changes, unless someone changed it meanwhile."""
        ...


class ParameterSets(Protocol):
    """Every stored parameter version."""

    def get(self, version: str) -> ParameterSet:
        """The set of `version`; raises `ParametersUnavailable` when it cannot be loaded."""
        ...


class ValuationUnitOfWork(UnitOfWork, Protocol):
    """Valuation's transaction: the register read model, valuations and followed collateral."""

    @property
    def rights(self) -> RightRepository: ...

    @property
    def valuations(self) -> ValuationRepository: ...

    @property
    def collaterals(self) -> CollateralRepository: ...
