"""The lenders, their policy versions and the risk-sharing programmes, from configuration."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from services.credit.domain.policy import Bank, DecisionPolicy
from services.credit.domain.programmes import Programme
from shared.identifiers import normalize_uscc
from shared.text import clean_line

# The registry's limits for a party of a pledge filing, which names the bank as pledgee.
NAME_LIMIT = 200
ADDRESS_LIMIT = 500


@dataclass(frozen=True)
class LendingConfig:
    banks: dict[str, Bank]
    programmes: dict[str, Programme]


def load_config(path: Path) -> LendingConfig:
    """Banks by id and programmes by name; USCCs and programme references are validated."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    programmes = {
        name: Programme.from_mapping(name, spec)
        for name, spec in (data.get("programmes") or {}).items()
    }
    banks = {}
    for entry in data["banks"]:
        bank = _bank(entry)
        unknown = bank.programmes - programmes.keys()
        if unknown:
            raise ValueError(f"bank {bank.bank_id} names unknown programmes {sorted(unknown)}")
        banks[bank.bank_id] = bank
    return LendingConfig(banks, programmes)


def load_banks(path: Path) -> dict[str, Bank]:
    """Banks by id."""
    return load_config(path).banks


def _bank(entry: dict[str, Any]) -> Bank:
    policies = entry.get("policies") or [entry["policy"]]
    return Bank(
        bank_id=entry["bank_id"],
        name=_party_text(entry, "name", NAME_LIMIT),
        uscc=normalize_uscc(str(entry["uscc"])),
        address=_party_text(entry, "address", ADDRESS_LIMIT),
        policies=tuple(DecisionPolicy.from_mapping(p) for p in policies),
        quota_total=Decimal(str(entry.get("quota_total", "0.00"))),
        programmes=frozenset(entry.get("programmes") or ()),
    )


def _party_text(entry: dict[str, Any], key: str, limit: int) -> str:
    """A bank's name or address as the registry will accept it on a pledge filing."""
    value = clean_line(str(entry[key]))
    if len(value) > limit:
        raise ValueError(f"bank {entry['bank_id']}: {key} is longer than {limit} characters")
    return value
