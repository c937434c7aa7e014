"""The relative-area table: one row per configuration, gates relative to a baseline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..datapath.timing import UNKNOWN, area_delay, timing
from ..design.schema import Config, Design, default_design, design_from_mapping, load_design
from ..library.primitives import Library, as_library
from ..support.counts import numeric, ratio
from ..support.errors import DesignError, MacgatesError, did_you_mean

COLUMNS = ("name", "weights", "activations", "accumulator", "acc_bits", "gates", "relative")
# designs with dot-product units (k > 1) get two more columns; relative is then per MAC
DOT_COLUMNS = ("name", "weights", "activations", "accumulator", "k", "acc_bits", "gates",
               "gates_per_mac", "relative")
# the model's timing (macgates.datapath.timing), after those: the critical path's delay,
# the accumulation loop's, and gates per MAC x delay (the area at equal throughput)
TIMING_COLUMNS = ("delay", "loop_delay", "area_delay")


def columns_of(rows, timing: bool = False) -> tuple:
    """The columns of these table rows (``timing``: with TIMING_COLUMNS after them)."""
    columns = DOT_COLUMNS if any(r.get("k", 1) > 1 for r in rows) else COLUMNS
    return columns + TIMING_COLUMNS if timing else columns


def timing_fields(dp) -> dict:
    """A datapath's ``delay``, ``loop_delay`` and ``area_delay`` (gates per MAC x delay),
    exact; all three UNKNOWN when a primitive has no delay; ``loop_delay`` None without
    an accumulation loop."""
    t = timing(dp)
    if t.missing:
        return {"delay": UNKNOWN, "loop_delay": UNKNOWN, "area_delay": UNKNOWN}
    return {"delay": t.delay, "loop_delay": t.loop_delay, "area_delay": area_delay(dp.gates_per_mac, t.delay)}


def as_design(design=None, library: Library | None = None) -> Design:
    """A Design from a Design, a path, a list of configs (mappings) or None (Figure 3).
    ``library``, if given, replaces the design's own library."""
    library = as_library(library)
    if design is None:
        return default_design(library)
    if isinstance(design, Design):
        return design if library is None else replace(design, library=library)
    if isinstance(design, (str, Path)):
        return load_design(design, library)
    if isinstance(design, (list, tuple)):
        items = [c if isinstance(c, dict) else _config_dict(c) for c in design]
        return design_from_mapping({"macgates": 1, "name": "configs", "configs": items}, "configs",
                                   library=library)
    raise DesignError(f"expected a design file path, a Design or a list of configs, "
                      f"got {type(design).__name__}")


def _config_dict(cfg) -> dict:
    if isinstance(cfg, Config):
        if cfg.datapath:
            raise DesignError(f"config {cfg.name}: a custom datapath config needs its design")
        out = {"name": cfg.name, "weights": cfg.weights, "activations": cfg.activations,
               "accumulator": cfg.accumulator, "multiplier": cfg.multiplier}
        if cfg.adder not in (None, "ripple"):
            out["adder"] = cfg.adder
        if cfg.align != "swap":
            out["align"] = cfg.align
        if cfg.product_pipe is not None:
            out["product_pipe"] = cfg.product_pipe
        return out
    raise DesignError(f"a config must be a mapping or a Config, got {type(cfg).__name__}")


def table_records(design=None, baseline: str | None = None,
                  library: Library | None = None) -> list[dict]:
    """The table as plain dicts (``relative``: the exact ratio, a Fraction; the timing
    fields of :func:`timing_fields`)."""
    design = as_design(design, library)
    names = [c.name for c in design.configs]
    base_name = baseline if baseline is not None else design.baseline or names[0]
    if base_name not in names:
        raise DesignError(f"{design.origin}: baseline '{base_name}' is not a config ({did_you_mean(names)})")
    rows = []
    for i, cfg in enumerate(design.configs):
        try:
            dp = design.build(cfg)
        except MacgatesError as exc:
            raise DesignError(f"{design.origin}: configs[{i}] ({cfg.name}): {exc}") from None
        rows.append({"name": cfg.name, "weights": dp.info["weights"],
                     "activations": dp.info["activations"], "accumulator": dp.info["accumulator"],
                     "k": dp.macs, "acc_bits": dp.info["acc_bits"], "gates": dp.gates,
                     "gates_per_mac": dp.gates_per_mac, **timing_fields(dp)})
    base = rows[names.index(base_name)]["gates_per_mac"]
    if not base:
        raise DesignError(f"{design.origin}: baseline '{base_name}' costs 0 gates; relative areas are undefined")
    for row in rows:
        row["relative"] = ratio(row["gates_per_mac"], base)
    return rows


def table(design=None, baseline: str | None = None, library: Library | None = None):
    """The table as a pandas DataFrame with columns ``COLUMNS`` (numeric: ``gates`` int,
    or float with fractional cell costs; ``relative`` float); with dot-product units,
    ``DOT_COLUMNS`` (relative per MAC); then ``TIMING_COLUMNS`` (exact values, or
    "unknown"). :func:`table_records` has the exact values."""
    import pandas as pd

    design = as_design(design, library)
    rows = table_records(design, baseline)
    frame = pd.DataFrame(rows, columns=list(columns_of(rows, timing=True)))
    frame.attrs["formats"] = dict(design.formats)  # the design's own formats, by name
    frame.attrs["cost_unit"] = design.library.units["cost"]  # gates, or um^2
    frame["gates"] = numeric(r["gates"] for r in rows)
    frame["relative"] = [float(r["relative"]) for r in rows]
    if "gates_per_mac" in frame:
        frame["gates_per_mac"] = [float(r["gates_per_mac"]) for r in rows]
    return frame
