"""The README's configuration tables name every setting the services read, and nothing else:
an operator who sets a variable from the README sets something a service reads."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic_settings import BaseSettings

from services.console.settings import ConsoleSettings
from services.credit.settings import CreditSettings
from services.registry.settings import RegistrySettings
from services.valuation.settings import ValuationSettings

README = Path(__file__).resolve().parents[2] / "README.md"
SETTINGS: dict[str, type[BaseSettings]] = {
    "PLEDGEFLOW_REGISTRY_": RegistrySettings,
    "PLEDGEFLOW_VALUATION_": ValuationSettings,
    "PLEDGEFLOW_CREDIT_": CreditSettings,
    "PLEDGEFLOW_CONSOLE_": ConsoleSettings,
}
# Read by the console but kept out of its table: the services' timeout is documented in
# deploy/README.md beside the network set-up it depends on.
UNDOCUMENTED_HERE = {"PLEDGEFLOW_CONSOLE_SERVICE_TIMEOUT_SECONDS"}


def configuration_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Configuration")
    return text[start : text.index("\n## ", start + 1)]


def documented() -> set[str]:
    """Every variable named in the first column of the section's tables, with its prefix."""
    names: set[str] = set()
    prefix_of_table = ""
    for line in configuration_section().splitlines():
        if line.startswith("| variable"):
            shown = re.search(r"`(PLEDGEFLOW_[A-Z]+_)`", line)
            prefix_of_table = shown.group(1) if shown else ""
            continue
        if not line.startswith("| `"):
            continue
        first_column = line.split("|")[1]
        for name in re.findall(r"`([A-Z0-9_]+)`", first_column):
            if name.startswith("PLEDGEFLOW_"):
                names.add(name)
            elif prefix_of_table:
                names.add(prefix_of_table + name)
            else:
                names.update(prefix + name for prefix in _services_reading(name))
    return names


def _services_reading(name: str) -> list[str]:
    return [
        prefix
        for prefix, settings in SETTINGS.items()
        if prefix != "PLEDGEFLOW_CONSOLE_" and name.lower() in settings.model_fields
    ] or ["PLEDGEFLOW_?_"]


def read_by_the_services() -> set[str]:
    return {
        prefix + field.upper()
        for prefix, settings in SETTINGS.items()
        for field in settings.model_fields
    }


def test_every_documented_variable_is_read_by_a_service() -> None:
    unknown = sorted(documented() - read_by_the_services())
    assert not unknown, f"the README documents variables no service reads: {unknown}"


def test_every_setting_a_service_reads_is_documented() -> None:
    console_common = {
        "PLEDGEFLOW_CONSOLE_" + field.upper()
        for field in ConsoleSettings.model_fields
        if field in RegistrySettings.model_fields
    }
    missing = sorted(read_by_the_services() - documented() - console_common - UNDOCUMENTED_HERE)
    assert not missing, f"settings the README's configuration section does not name: {missing}"
