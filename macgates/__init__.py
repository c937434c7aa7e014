"""macgates: gate-count estimates for multiply-accumulate units.

>>> import macgates
>>> dp = macgates.mac("fp8_e4m3", accumulator="fp16")
>>> dp.gates
1152

The package is layered (docs/architecture.md): ``support``, ``files``, ``formats``,
``library``, ``datapath``, ``design`` and ``run``, ``hw``, ``report``, and the command
line in ``cli``. The names below are the public API; every module is also reachable
under the name it had before the layers became subpackages (``macgates.verify`` is
``macgates.run.verify``; :data:`MOVED`).
"""

import importlib
import importlib.abc
import importlib.util
import sys

from .datapath.builders import accumulator, dot, mac
from .datapath.floating import FloatingPoint
from .datapath.graph import Component, Datapath, Signal
from .datapath.kulisch import Kulisch
from .design.schema import Config, Design, load_design
from .formats.spec import Format, format
from .library.adders import ADDERS
from .library.kinds import ports, register_kind
from .library.primitives import Library, load_library
from .report.sweeps import sweep
from .report.tables import table, table_records
from .support.errors import DatapathError, DesignError, FormatError, LibraryError, MacgatesError

__version__ = "0.1.0"


def report(design=None, out_dir="reports", library=None, synthesis=None, curves=None):
    """Write a design's charts and report.md under ``out_dir``; returns the paths written.
    ``synthesis``: config name -> a ``macgates synth`` CSV row (``report.markdown.read_synthesis``),
    for the model-against-synthesis chart; ``curves``: config name -> its points of a
    ``macgates synth --liberty ... --clock`` CSV (``report.markdown.read_clock_curves``), for
    the area against the clock. (Imports matplotlib; nothing else in macgates does.)"""
    from .report.markdown import report as _report

    return _report(design, out_dir, library, synthesis, curves)


def accuracy_table(formats=None, data=None, rule: str = "absmax", samples: int = 1_000_000, seed: int = 0,
                   axis=None, lloyd_max=None):
    """Formats scored on operand data as a pandas DataFrame (data, format, scale, rmse,
    sqnr_db, bits): ``formats`` (names or Format records) and ``data`` (specs: ``normal``,
    ``student-t:3``, ``w.npy``, ...; docs/accuracy.md) default to the whitepaper's Figure 5;
    ``rule`` ``absmax`` or ``mse``; ``lloyd_max``: the bound's bits."""
    from .report.accuracy import FIGURE5_DATA, FIGURE5_FORMATS
    from .report.accuracy import accuracy_table as _table

    return _table(formats or FIGURE5_FORMATS, data or FIGURE5_DATA, rule, samples, seed, axis, lloyd_max)


# the modules' names before the layers became subpackages -> where they are now
MOVED = {
    "errors": "support.errors", "numbers": "support.counts", "bits": "support.bits",
    "progress": "support.progress",
    "yamlfile": "files.yamlfile", "outputs": "files.outputs", "resources": "files.resources",
    "encoding": "formats.encoding",
    "formula": "library.formula", "kinds": "library.kinds", "behaviour": "library.behaviour",
    "adders": "library.adders",
    "multiplier": "datapath.multiplier", "kulisch": "datapath.kulisch", "floating": "datapath.floating",
    "dotproduct": "datapath.dotproduct", "builders": "datapath.builders",
    "names": "design.names",
    "simulate": "run.simulate", "reference": "run.reference", "verify": "run.verify",
    "rtl": "hw.rtl", "netlist": "hw.netlist", "synth": "hw.synth", "calibrate": "hw.calibrate",
    "tables": "report.tables", "sweeps": "report.sweeps", "render": "report.render",
    "reporting": "report.markdown", "charts": "report.charts", "labels": "report.labels",
    "export": "report.export",
}
# (formats, library, datapath and design are the subpackages now; each re-exports the
# public names of the module it was: formats.spec, library.primitives, datapath.graph,
# design.schema)


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import macgates.verify`` gives the module ``macgates.run.verify`` itself (one
    module object under both names), imported on first use."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.partition(".")
        if package == __name__ and name in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module(f"{__name__}.{MOVED[spec.name.partition('.')[2]]}")
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module):
        # the import system set the old name's spec on the module: give it back its own
        module.__spec__ = module.__spec__.loader_state

    def get_code(self, fullname):  # python -m macgates.OLD: nothing to run
        return None


if not any(type(f).__name__ == "_MovedModules" and type(f).__module__ == __name__ for f in sys.meta_path):
    sys.meta_path.insert(0, _MovedModules())

_PLOTS = ("relative_chart", "breakdown_chart", "breakdown_table", "pareto_chart")


def __getattr__(name):
    # The plotting helpers live in macgates.report.charts (matplotlib); macgates.verify,
    # macgates.synth, macgates.rtl ... are modules reachable without importing them first.
    if name in _PLOTS:
        from .report import charts

        return getattr(charts, name)
    if name in MOVED:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'macgates' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PLOTS) | set(MOVED))


__all__ = [
    "mac", "dot", "sweep", "accumulator", "table", "report", "relative_chart", "breakdown_chart",
    "breakdown_table", "pareto_chart", "table_records", "load_library", "format", "load_design",
    "register_kind", "ports", "ADDERS", "accuracy_table",
    "Datapath", "Component", "Signal", "Format", "Library", "Kulisch", "FloatingPoint",
    "Config", "Design",
    "MacgatesError", "LibraryError", "FormatError", "DesignError", "DatapathError",
]
