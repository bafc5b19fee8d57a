"""The lenders, their policy versions and the risk-sharing programmes, from configuration.

Credit's file holds lending terms only; who a bank is (legal name, USCC, address) comes from
the bank directory every service shares. The file may repeat a bank's `name` or `uscc`, but
if it names a bank the directory does not list, or disagrees with the directory, credit
refuses to start.

The file carries a `revision`, a whole number raised with every change. Replicas share the
terms through the database (`lending_terms`, see `service_layer/terms.py`): the highest
revision stored is the one every replica lends under, so a replica started with an older file
cannot revert newer figures.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from services.credit.domain.policy import Bank, DecisionPolicy
from services.credit.domain.programmes import Programme
from shared.banks import BankDirectory, load_directory
from shared.identifiers import normalize_uscc
from shared.settings import DEFAULT_BANK_DIRECTORY
from shared.text import clean_line

# The registry's limits for a party of a pledge filing, which names the bank as pledgee.
NAME_LIMIT = 200
ADDRESS_LIMIT = 500


@dataclass(frozen=True)
class LendingConfig:
    banks: dict[str, Bank]
    programmes: dict[str, Programme]
    revision: int = 0
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """A digest of the terms as written, to tell two files of one revision apart."""
        return fingerprint(self.document)


def fingerprint(document: dict[str, Any]) -> str:
    """The SHA-256 of a terms document in canonical JSON."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_config(path: Path, directory: BankDirectory | None = None) -> LendingConfig:
    """Banks by id and programmes by name; identities and programme references are checked.

    Without a directory, the one shipped with the system is used.
    """
    directory = directory if directory is not None else load_directory(DEFAULT_BANK_DIRECTORY)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return parse_config(json.loads(json.dumps(data, default=str)), directory, str(path))


def parse_config(data: dict[str, Any], directory: BankDirectory, path: str) -> LendingConfig:
    """Lending terms from a document (the file's YAML, or the JSON stored in the database)."""
    revision = data.get("revision", 0)
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 0:
        raise ValueError(f"{path}: revision must be a whole number, not {revision!r}")
    programmes = {
        name: Programme.from_mapping(name, spec)
        for name, spec in (data.get("programmes") or {}).items()
    }
    banks = {}
    for entry in data["banks"]:
        bank = _bank(entry, directory, path)
        unknown = bank.programmes - programmes.keys()
        if unknown:
            raise ValueError(f"bank {bank.bank_id} names unknown programmes {sorted(unknown)}")
        if bank.bank_id in banks:
            raise ValueError(f"{path}: bank {bank.bank_id} is listed twice")
        banks[bank.bank_id] = bank
    return LendingConfig(banks, programmes, revision, data)


def load_banks(path: Path, directory: BankDirectory | None = None) -> dict[str, Bank]:
    """Banks by id."""
    return load_config(path, directory).banks


def _bank(entry: dict[str, Any], directory: BankDirectory, path: str) -> Bank:
    bank_id = str(entry["bank_id"])
    listed = directory.get(bank_id)
    if listed is None:
        raise ValueError(f"{path}: bank {bank_id} has lending terms but is not in the directory")
    if "uscc" in entry and normalize_uscc(str(entry["uscc"])) != listed.uscc:
        raise ValueError(
            f"{path}: bank {bank_id} has USCC {entry['uscc']}, the directory {listed.uscc}"
        )
    if "name" in entry and str(entry["name"]).strip() != listed.legal_name:
        raise ValueError(
            f"{path}: bank {bank_id} is named {entry['name']!r}, "
            f"the directory {listed.legal_name!r}"
        )
    policies = entry.get("policies") or [entry["policy"]]
    return Bank(
        bank_id=bank_id,
        name=_party_text(bank_id, "name", listed.legal_name, NAME_LIMIT),
        uscc=listed.uscc,
        address=_party_text(bank_id, "address", listed.address, ADDRESS_LIMIT),
        policies=tuple(DecisionPolicy.from_mapping(p) for p in policies),
        quota_total=Decimal(str(entry.get("quota_total", "0.00"))),
        programmes=frozenset(entry.get("programmes") or ()),
    )


def _party_text(bank_id: str, key: str, text: str, limit: int) -> str:
    """A bank's name or address as the registry will accept it on a pledge filing."""
    value = clean_line(text)
    if len(value) > limit:
        raise ValueError(f"bank {bank_id}: {key} is longer than {limit} characters")
    return value
