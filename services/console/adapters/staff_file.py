"""The staff file: who may sign in to the console, with a scrypt hash of each password."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from services.console.domain.staff import Role, StaffDirectory, StaffMember


def load_staff(path: Path) -> StaffDirectory:
    """The staff the file lists; a bad entry stops the console at start."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = data.get("staff")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: the staff file lists nobody")
    members = [_member(path, entry) for entry in entries]
    ids = [m.staff_id for m in members]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: a staff id is listed twice")
    return StaffDirectory(members)


def _member(path: Path, entry: Any) -> StaffMember:
    if not isinstance(entry, dict) or not all(entry.get(k) for k in ("id", "role", "password")):
        raise ValueError(f"{path}: each member needs id, role and password, got {entry!r}")
    try:
        role = Role(str(entry["role"]))
    except ValueError as exc:
        raise ValueError(f"{path}: {entry['id']}: {exc}") from exc
    password = str(entry["password"])
    if not password.startswith("scrypt$"):
        raise ValueError(f"{path}: {entry['id']}: the password must be a scrypt hash")
    return StaffMember(
        staff_id=str(entry["id"]),
        name=str(entry.get("name") or entry["id"]),
        role=role,
        password_hash=password,
        development=bool(entry.get("development", False)),
    )
