"""The lenders and their policies, loaded from versioned configuration."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.credit.domain.policy import Bank, DecisionPolicy
from shared.identifiers import normalize_uscc


def load_banks(path: Path) -> dict[str, Bank]:
    """Banks by id; every USCC is validated."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    banks = {}
    for entry in data["banks"]:
        bank = Bank(
            bank_id=entry["bank_id"],
            name=entry["name"],
            uscc=normalize_uscc(str(entry["uscc"])),
            address=entry["address"],
            policy=DecisionPolicy.from_mapping(entry["policy"]),
        )
        banks[bank.bank_id] = bank
    return banks
