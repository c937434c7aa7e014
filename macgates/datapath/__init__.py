"""Layer 4, datapaths: the component graph and the builders that make MACs of it.

* :mod:`.graph`: ``Datapath``, ``Component``, ``Signal``, ``CostSheet``;
* :mod:`.multiplier`: array and Booth multipliers, ``Product``;
* :mod:`.kulisch`, :mod:`.floating`: the fixed- and floating-point accumulators (Figure 2);
* :mod:`.dotproduct`: k-term dot-product units;
* :mod:`.builders`: ``mac``, ``dot``, ``cheapest_unit``, ``accumulator``.

Imports the layers below (support, files, formats, library). ``Datapath.step`` and
``run`` import :mod:`macgates.run.simulate` when called. The names below are the graph's.
"""

from .graph import CATEGORIES, MAX_WIDTH, PORT, STEP_NAMES, Component, CostSheet, Datapath, Signal, params_text

__all__ = ["CATEGORIES", "MAX_WIDTH", "PORT", "STEP_NAMES", "Component", "CostSheet", "Datapath", "Signal",
           "params_text"]
