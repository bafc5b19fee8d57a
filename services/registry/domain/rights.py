"""An entry of the register of rights, as the registry office keeps it and announces it."""

from __future__ import annotations

from dataclasses import dataclass

from services.registry.domain.events import HolderData, PatentRecorded, TrademarkRecorded
from services.registry.domain.register import Patent, Trademark
from shared.kernel.events import Aggregate


@dataclass
class RightEntry(Aggregate):
    """A patent's or trademark's entry; every version of it is announced on the rights topic."""

    number: str
    right: Patent | Trademark | None = None

    @property
    def aggregate_id(self) -> str:
        return self.number

    def enter(self, right: Patent | Trademark) -> None:
        """Enter or replace the facts of the right; the new version is announced."""
        if right.number != self.number:
            raise ValueError(f"entry {self.number} cannot hold {right.number}")
        self.right = right
        self.record(recorded(right))


def recorded(right: Patent | Trademark) -> PatentRecorded | TrademarkRecorded:
    """The announcement of a right's entry."""
    if isinstance(right, Patent):
        return PatentRecorded(
            number=right.number,
            kind=right.kind,
            title=right.title,
            holders=tuple(HolderData(h.name, h.uscc) for h in right.holders),
            filing_date=right.filing_date,
            grant_date=right.grant_date,
            term_end=right.term_end,
            legal_status=right.legal_status,
            fees_paid_through=right.fees_paid_through,
            frozen=right.frozen,
            invalidation_pending=right.invalidation_pending,
            main_ipc=right.main_ipc,
        )
    return TrademarkRecorded(
        number=right.number,
        nice_class=right.nice_class,
        goods=right.goods,
        mark=right.mark,
        owner=HolderData(right.owner.name, right.owner.uscc),
        valid_until=right.valid_until,
        status=right.status,
        frozen=right.frozen,
    )
