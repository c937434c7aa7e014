"""Gate-level simulation of a synthesized netlist (Yosys ``write_json``), vectorized.

A netlist module has ports (lists of bit numbers, or the constants ``"0"``/``"1"``) and
cells of Yosys' internal gate library (``$_AND_``, ``$_MUX_``, ``$_DFF_P_``, ...). Each
net's value is a numpy array of ``uint64`` words in which every bit is an independent
vector, so one pass over the cells simulates 64 vectors per word. Flip-flops
(``$_DFF_P_``) hold state between :meth:`Netlist.step` calls; everything else is
combinational and is evaluated in dependency order, worked out once.

This is the gate-level side of checking emitted RTL against :mod:`macgates.run.simulate`
(issue 12): the same vectors through both, every cycle compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..support.errors import DatapathError

# combinational cells: output port Y from the inputs, on uint64 words (~ is NOT per bit)
GATES = {
    "$_BUF_": lambda a: a["A"],
    "$_NOT_": lambda a: ~a["A"],
    "$_AND_": lambda a: a["A"] & a["B"],
    "$_NAND_": lambda a: ~(a["A"] & a["B"]),
    "$_OR_": lambda a: a["A"] | a["B"],
    "$_NOR_": lambda a: ~(a["A"] | a["B"]),
    "$_XOR_": lambda a: a["A"] ^ a["B"],
    "$_XNOR_": lambda a: ~(a["A"] ^ a["B"]),
    "$_ANDNOT_": lambda a: a["A"] & ~a["B"],
    "$_ORNOT_": lambda a: a["A"] | ~a["B"],
    "$_MUX_": lambda a: (a["A"] & ~a["S"]) | (a["B"] & a["S"]),
    "$_AOI3_": lambda a: ~((a["A"] & a["B"]) | a["C"]),
    "$_OAI3_": lambda a: ~((a["A"] | a["B"]) & a["C"]),
    "$_AOI4_": lambda a: ~((a["A"] & a["B"]) | (a["C"] & a["D"])),
    "$_OAI4_": lambda a: ~((a["A"] | a["B"]) & (a["C"] | a["D"])),
}
FLOPS = ("$_DFF_P_",)  # D clocked into Q on the rising edge: one step


@dataclass
class Netlist:
    """One module of a Yosys JSON netlist, ready to simulate."""

    inputs: dict  # port name -> list of bit ids (LSB first)
    outputs: dict
    order: list  # combinational cells in evaluation order: (type, {port: bits}, output bit)
    flops: list  # (D bit, Q bit)

    @classmethod
    def from_json(cls, data: dict, top: str) -> "Netlist":
        modules = data.get("modules", {})
        if top not in modules:
            raise DatapathError(f"netlist: no module {top!r} (modules: {', '.join(sorted(modules)) or 'none'})")
        module = modules[top]
        inputs, outputs = {}, {}
        for name, port in module.get("ports", {}).items():
            (inputs if port["direction"] == "input" else outputs)[name] = list(port["bits"])
        cells, flops = [], []
        for name, cell in module.get("cells", {}).items():
            kind, conn = cell["type"], cell["connections"]
            if kind in FLOPS:
                flops.append((conn["D"][0], conn["Q"][0]))
            elif kind in GATES:
                cells.append((kind, {p: b[0] for p, b in conn.items() if p != "Y"}, conn["Y"][0]))
            else:
                raise DatapathError(f"netlist: cell {name} has type {kind}, which is not simulated "
                                    f"(valid: {', '.join(sorted(GATES) + list(FLOPS))})")
        known = {b for bits in inputs.values() for b in bits} | {q for _, q in flops} | {"0", "1"}
        order, waiting = [], cells
        while waiting:
            ready = [c for c in waiting if all(b in known for b in c[1].values())]
            if not ready:
                raise DatapathError(f"netlist: a combinational loop through {len(waiting)} cells")
            order += ready
            known |= {c[2] for c in ready}
            waiting = [c for c in waiting if c[2] not in known]
        return cls(inputs, outputs, order, flops)

    def run(self, cycles: list[dict], vectors: int, clk: str = "clk") -> list[dict]:
        """Simulate ``vectors`` independent copies for each cycle: ``cycles`` is a list of
        {input port: sequence of ``vectors`` ints}; returns, per cycle, {output port: list
        of ints} as the outputs stand after that cycle's clock edge (flip-flops start at
        0). The clock input, if any, is implied."""
        import numpy as np

        words = (vectors + 63) // 64
        zero, ones = np.zeros(words, dtype=np.uint64), np.full(words, ~np.uint64(0), dtype=np.uint64)
        state = {q: zero for _, q in self.flops}
        out = []
        for cycle in cycles:
            nets = {"0": zero, "1": ones, **state}
            for name, bits in self.inputs.items():
                if name == clk:
                    continue
                if name not in cycle or len(cycle[name]) != vectors:
                    raise DatapathError(f"netlist: input {name} needs {vectors} values a cycle, got "
                                        f"{len(cycle[name]) if name in cycle else 'none'}")
                values = [int(v) for v in cycle[name]]
                for i, bit in enumerate(bits):
                    nets[bit] = _pack([(v >> i) & 1 for v in values], words)
            for kind, ins, y in self.order:
                nets[y] = GATES[kind]({p: nets[b] for p, b in ins.items()})
            state = {q: nets[d] for d, q in self.flops}
            nets.update(state)  # outputs after the clock edge
            out.append({name: _unpack([nets[b] for b in bits], vectors) for name, bits in self.outputs.items()})
        return out


def _pack(bits: list, words: int):
    """One bit per vector into uint64 words (vector j is bit j % 64 of word j // 64)."""
    import numpy as np

    padded = np.zeros(words * 64, dtype=np.uint64)
    padded[:len(bits)] = bits
    weights = np.left_shift(np.uint64(1), np.arange(64, dtype=np.uint64))
    return (padded.reshape(words, 64) * weights).sum(axis=1, dtype=np.uint64)


def _unpack(planes: list, vectors: int) -> list[int]:
    """Bit planes (LSB first) back to one int per vector."""
    import numpy as np

    values = [0] * vectors
    for i, plane in enumerate(planes):
        bits = ((plane[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)).reshape(-1)[:vectors]
        for j in np.nonzero(bits)[0]:
            values[j] |= 1 << i
    return values
