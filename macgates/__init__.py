"""macgates: gate-count estimates for multiply-accumulate units.

>>> import macgates
>>> dp = macgates.mac("fp8_e4m3", accumulator="fp16")
>>> dp.gates
1166
"""

from .builders import accumulator, mac
from .datapath import Component, Datapath, Signal
from .design import Config, Design, load_design
from .errors import DatapathError, DesignError, FormatError, LibraryError, MacgatesError
from .floating import FloatingPoint
from .formats import Format, format
from .kulisch import Kulisch
from .library import Library, load_library
from .table import table, table_records

__version__ = "0.1.0"

__all__ = [
    "mac", "accumulator", "table", "table_records", "load_library", "format", "load_design",
    "Datapath", "Component", "Signal", "Format", "Library", "Kulisch", "FloatingPoint",
    "Config", "Design",
    "MacgatesError", "LibraryError", "FormatError", "DesignError", "DatapathError",
]
