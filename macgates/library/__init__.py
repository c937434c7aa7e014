"""Layer 3, the primitive library: what each primitive costs and what it is.

A primitive is two records: its cost (a formula in a library file, with category, source
and parameters) and its kind (ports, lanes, state, behaviour).

* :mod:`.formula`: cost formulas parsed with ``ast`` against a whitelist;
* :mod:`.primitives`: ``Library`` (validated primitives, exact ``cost``), ``load_library``;
* :mod:`.kinds`: the ``Kind`` and ``Port`` records, ``KINDS``, ``register_kind``;
* :mod:`.behaviour`: the bundled kinds' behaviours, registered at its end;
* :mod:`.adders`: the carry-propagate adder styles (``ADDERS``) and the prefix adders' kinds.

Imports :mod:`macgates.support` and :mod:`macgates.files`. The names below are the layer's API.
"""

from .kinds import KINDS, Kind, Port, kind_of, ports, register_kind
from .primitives import (
                         BUNDLED,
                         CELL_KEYS,
                         MAX_CELLS,
                         MAX_CHAIN,
                         MAX_PARAM,
                         MAX_PRECISION,
                         PRIMITIVE_KEYS,
                         PROVENANCE_NAMES,
                         SCHEMA_VERSION,
                         TOP_KEYS,
                         Library,
                         Primitive,
                         as_library,
                         load_library,
)

__all__ = ["BUNDLED", "CELL_KEYS", "MAX_CELLS", "MAX_CHAIN", "MAX_PARAM", "MAX_PRECISION", "PRIMITIVE_KEYS",
           "PROVENANCE_NAMES", "SCHEMA_VERSION", "TOP_KEYS", "Library", "Primitive", "as_library",
           "load_library", "KINDS", "Kind", "Port", "kind_of", "ports", "register_kind"]
