"""macgates: gate-count estimates for multiply-accumulate units.

>>> import macgates
>>> dp = macgates.mac("fp8_e4m3", accumulator="fp16")
>>> dp.gates
1152
"""

from .builders import accumulator, dot, mac
from .datapath import Component, Datapath, Signal
from .design import Config, Design, load_design
from .errors import DatapathError, DesignError, FormatError, LibraryError, MacgatesError
from .floating import FloatingPoint
from .formats import Format, format
from .kulisch import Kulisch
from .library import Library, load_library
from .sweeps import sweep
from .tables import table, table_records

__version__ = "0.1.0"


def report(design=None, out_dir="reports", library=None, synthesis=None):
    """Write a design's charts and report.md under ``out_dir``; returns the paths written.
    ``synthesis``: config name -> a ``macgates synth`` CSV row (``reporting.read_synthesis``),
    for the model-against-synthesis chart. (Imports matplotlib; nothing else in macgates does.)"""
    from .reporting import report as _report

    return _report(design, out_dir, library, synthesis)


# imported on first use, so that `import macgates` and `macgates table` stay light
_LAZY_MODULES = ("verify", "synth", "rtl", "simulate", "calibrate", "reporting", "charts", "progress")
_PLOTS = ("relative_chart", "breakdown_chart", "breakdown_table", "pareto_chart")


def __getattr__(name):
    # The plotting helpers live in macgates.charts (matplotlib); macgates.verify,
    # macgates.synth, macgates.rtl ... are modules reachable without importing them first.
    if name in _PLOTS:
        from . import charts

        return getattr(charts, name)
    if name in _LAZY_MODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'macgates' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PLOTS) | set(_LAZY_MODULES))

__all__ = [
    "mac", "dot", "sweep", "accumulator", "table", "report", "relative_chart", "breakdown_chart", "breakdown_table", "pareto_chart", "table_records", "load_library", "format", "load_design",
    "Datapath", "Component", "Signal", "Format", "Library", "Kulisch", "FloatingPoint",
    "Config", "Design",
    "MacgatesError", "LibraryError", "FormatError", "DesignError", "DatapathError",
]
