"""Valuation parameter sets stored as YAML files, one per version (`parameters/<version>.yaml`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from services.valuation.domain.parameters import ParameterSet, ParametersUnavailable, is_version

PARAMETERS_DIR = Path(__file__).resolve().parent.parent / "parameters"


def load_parameters(version: str, directory: Path = PARAMETERS_DIR) -> ParameterSet:
    """The parameter set stored as `<directory>/<version>.yaml`; ValueError or OSError if not."""
    if not is_version(version):
        raise ValueError(f"invalid parameter version {version!r}")
    path = directory / f"{version}.yaml"
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, Mapping):
        raise ValueError(f"{path.name} does not hold a mapping")
    params = ParameterSet.from_mapping(data)
    if params.version != version:
        raise ValueError(f"{path.name} declares version {params.version!r}")
    return params


class ParameterFiles:
    """Every stored parameter version, each read once."""

    def __init__(self, directory: Path = PARAMETERS_DIR) -> None:
        self._directory = directory
        self._loaded: dict[str, ParameterSet] = {}

    def get(self, version: str) -> ParameterSet:
        """The parameter set of `version`; `ParametersUnavailable` when it cannot be loaded."""
        found = self._loaded.get(version)
        if found is None:
            try:
                found = load_parameters(version, self._directory)
            except (OSError, ValueError) as exc:
                raise ParametersUnavailable(f"parameter version {version!r}: {exc}") from exc
            self._loaded[version] = found
        return found
