"""Risk-sharing programmes: who bears which share of a default loss, and the insurance premium."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

FEN = Decimal("0.01")
ONE = Decimal("1")
BANK = "bank"
MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class Share:
    """One party's part of a loss."""

    party: str
    share: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Programme:
    """A risk-sharing scheme a loan may join, e.g. insurer:bank:guarantor 60:20:20."""

    name: str
    shares: tuple[tuple[str, Decimal], ...]
    premium_rate: Decimal = Decimal("0")
    max_amount: Decimal | None = None
    max_term_months: int | None = None

    def __post_init__(self) -> None:
        if sum((s for _, s in self.shares), Decimal("0")) != ONE:
            raise ValueError(f"programme {self.name}: shares must sum to 1")
        if any(s <= 0 for _, s in self.shares):
            raise ValueError(f"programme {self.name}: every share must be positive")
        if len({p for p, _ in self.shares}) != len(self.shares):
            raise ValueError(f"programme {self.name}: a party is listed twice")

    @classmethod
    def from_mapping(cls, name: str, data: dict[str, Any]) -> Programme:
        """Build from configuration primitives."""
        max_amount = data.get("max_amount")
        max_term = data.get("max_term_months")
        return cls(
            name=name,
            shares=tuple((str(p), Decimal(str(s))) for p, s in data["shares"].items()),
            premium_rate=Decimal(str(data.get("premium_rate", "0"))),
            max_amount=None if max_amount is None else Decimal(str(max_amount)),
            max_term_months=None if max_term is None else int(max_term),
        )

    def premium(self, amount: Decimal, term_months: int) -> Decimal:
        """Insurance premium: the annual rate on the amount, pro rata for the term, to the fen."""
        premium = amount * self.premium_rate * term_months / MONTHS_PER_YEAR
        return premium.quantize(FEN, ROUND_HALF_UP)


BANK_ALONE = Programme(name="", shares=((BANK, ONE),))


def allocate_loss(loss: Decimal, shares: tuple[tuple[str, Decimal], ...]) -> tuple[Share, ...]:
    """Split a loss to the fen; the rounding remainder goes to the largest share.

    Each party first gets its share rounded down to the fen; the fen left over go to the
    party with the largest share (the first listed among equals), so the amounts sum exactly
    to the loss.
    """
    loss = loss.quantize(FEN)
    parts = [
        Share(party, share, (loss * share).quantize(FEN, ROUND_DOWN)) for party, share in shares
    ]
    remainder = loss - sum((p.amount for p in parts), Decimal("0"))
    largest = max(range(len(parts)), key=lambda i: (parts[i].share, -i))
    top = parts[largest]
    parts[largest] = Share(top.party, top.share, top.amount + remainder)
    return tuple(parts)
