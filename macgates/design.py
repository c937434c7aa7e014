"""Design files: a named list of MAC configurations to cost side by side.

Schema (``macgates: 1``)::

    macgates: 1
    name: paper-fig3
    description: ...            # optional
    baseline: int8-kulisch      # optional; default: the first config
    configs:
      - {name: int8-kulisch, weights: int8, accumulator: kulisch}
      - {name: fp8_e4m3-fp16, weights: fp8_e4m3, activations: fp8_e4m3, accumulator: fp16}

``activations`` defaults to ``weights``. Every key is checked; unknown keys are errors
that list the valid ones, with the file and key path (``configs[2].accumulator``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .builders import accumulator as parse_accumulator
from .errors import DesignError, MacgatesError, did_you_mean
from .formats import format as get_format
from .multiplier import product_of
from .resources import designs_dir
from .yamlfile import read_yaml

SCHEMA_VERSION = 1
TOP_KEYS = ("macgates", "name", "description", "baseline", "configs")
CONFIG_KEYS = ("name", "weights", "activations", "accumulator")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]*$")
MAX_CONFIGS = 10_000


@dataclass(frozen=True)
class Config:
    """One MAC configuration of a design."""

    name: str
    weights: str
    activations: str
    accumulator: str = "kulisch"


@dataclass(frozen=True)
class Design:
    name: str
    configs: tuple
    baseline: str | None = None
    description: str = ""
    path: Path | None = field(default=None, compare=False)

    def config(self, name: str) -> Config:
        for cfg in self.configs:
            if cfg.name == name:
                return cfg
        raise DesignError(f"{self.origin}: no config named '{name}' "
                          f"({did_you_mean(c.name for c in self.configs)})")

    @property
    def origin(self) -> str:
        return str(self.path) if self.path else f"design {self.name}"


def _kind(value) -> str:
    return "nothing" if value is None else type(value).__name__


def _string(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DesignError(f"{where}: expected a non-empty string, got {_kind(value)} {value!r}")
    return value.strip()


def parse_config(item, where: str) -> Config:
    """Validate one config mapping (``where`` prefixes every message)."""
    if not isinstance(item, dict):
        raise DesignError(f"{where}: expected a mapping with keys {', '.join(CONFIG_KEYS)}, got {_kind(item)}")
    unknown = sorted(set(map(str, item)) - set(CONFIG_KEYS))
    if unknown:
        raise DesignError(f"{where}: unknown key '{unknown[0]}' ({did_you_mean(CONFIG_KEYS)})")
    for key in ("name", "weights"):
        if key not in item:
            raise DesignError(f"{where}: missing key '{key}'")
    name = _string(item["name"], f"{where}.name")
    if not _NAME.match(name):
        raise DesignError(f"{where}.name: '{name}' must start with a letter or digit and use only "
                          "letters, digits and _ . : + -")
    weights = _string(item["weights"], f"{where}.weights")
    activations = _string(item.get("activations", weights), f"{where}.activations")
    acc = _string(item.get("accumulator", "kulisch"), f"{where}.accumulator")
    formats = []
    for key, value in (("weights", weights), ("activations", activations)):
        try:
            formats.append(get_format(value))
        except MacgatesError as exc:
            raise DesignError(f"{where}.{key}: {exc}") from None
    try:
        product = product_of(*formats)
    except MacgatesError as exc:
        raise DesignError(f"{where}: {exc}") from None
    try:
        parse_accumulator(acc).acc_bits(product)
    except MacgatesError as exc:
        raise DesignError(f"{where}.accumulator: {exc}") from None
    return Config(name, weights, activations, acc)


def design_from_mapping(data, origin: str, path: Path | None = None) -> Design:
    if not isinstance(data, dict):
        raise DesignError(f"{origin}: expected a mapping with keys {', '.join(TOP_KEYS)}, got {_kind(data)}")
    unknown = sorted(set(map(str, data)) - set(TOP_KEYS))
    if unknown:
        raise DesignError(f"{origin}: unknown key '{unknown[0]}' ({did_you_mean(TOP_KEYS)})")
    if data.get("macgates") != SCHEMA_VERSION:
        raise DesignError(f"{origin}: macgates: expected schema version {SCHEMA_VERSION}, "
                          f"got {data.get('macgates')!r}")
    name = _string(data.get("name"), f"{origin}: name")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise DesignError(f"{origin}: description: expected a string, got {_kind(description)}")
    items = data.get("configs")
    if not isinstance(items, list) or not items:
        raise DesignError(f"{origin}: configs: expected a non-empty list of configs, got {_kind(items)}")
    if len(items) > MAX_CONFIGS:
        raise DesignError(f"{origin}: configs: {len(items)} configs, at most {MAX_CONFIGS} allowed")
    configs, seen = [], {}
    for i, item in enumerate(items):
        cfg = parse_config(item, f"{origin}: configs[{i}]")
        if cfg.name in seen:
            raise DesignError(f"{origin}: configs[{i}].name: duplicate config name '{cfg.name}' "
                              f"(first at configs[{seen[cfg.name]}])")
        seen[cfg.name] = i
        configs.append(cfg)
    baseline = data.get("baseline")
    if baseline is not None:
        baseline = _string(baseline, f"{origin}: baseline")
        if baseline not in seen:
            raise DesignError(f"{origin}: baseline: '{baseline}' is not a config ({did_you_mean(seen)})")
    return Design(name, tuple(configs), baseline, description, path)


def load_design(path) -> Design:
    """Load and validate a design file."""
    path = Path(path)
    return design_from_mapping(read_yaml(path, DesignError), str(path), path)


def bundled_designs() -> dict[str, Path]:
    """Bundled design files by stem (``paper_fig3`` ...)."""
    return {p.stem: p for p in sorted(designs_dir().glob("*.yaml"))}


def default_design() -> Design:
    return load_design(bundled_designs()["paper_fig3"])
