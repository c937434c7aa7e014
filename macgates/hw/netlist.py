"""Gate-level simulation of a synthesized netlist (Yosys ``write_json``), vectorized.

A netlist module has ports (lists of bit numbers, or the constants ``"0"``/``"1"``) and
cells of Yosys' internal gate library (``$_AND_``, ``$_MUX_``, ``$_DFF_P_``, ...). Each
net's value is a numpy array of ``uint64`` words in which every bit is an independent
vector, so one pass over the cells simulates 64 vectors per word. Flip-flops
(``$_DFF_P_``) hold state between cycles; everything else is combinational and is
evaluated in dependency order, worked out once. A netlist mapped to a liberty file's
cells (:mod:`macgates.hw.liberty`) is simulated from the cells' own functions: each
output pin's boolean function, each flip-flop's ``ff`` group.

This is the gate-level side of checking emitted RTL against :mod:`macgates.run.simulate`
(issue 12): the same vectors through both, every cycle compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    """One module of a Yosys JSON netlist, ready to simulate.

    ``order`` holds the combinational outputs in evaluation order, each ``(function,
    {port: bit}, output bit)`` with ``function(inputs, ones)`` on bit-parallel words;
    ``flops`` each ``(next-state function, {port: bit}, state)``: at every clock edge the
    state takes the function of its inputs. A Yosys ``$_DFF_P_``'s state is its Q bit; a
    liberty flip-flop's state is its own net, and its outputs are functions of it."""

    inputs: dict  # port name -> list of bit ids (LSB first)
    outputs: dict
    order: list
    flops: list
    after_edge: list = field(default_factory=list)  # the entries of order the outputs need again after the edge

    @classmethod
    def from_json(cls, data: dict, top: str, liberty=None) -> "Netlist":
        """The module ``top`` of Yosys JSON ``data``; its cells Yosys' gates, or the cells of
        ``liberty`` (a :class:`macgates.hw.liberty.Liberty`), each evaluated from its pins'
        functions (a flip-flop from its ``ff`` group: its clock must be the clock's rising
        edge, and an asynchronous clear or preset acts at the edge)."""
        modules = data.get("modules", {})
        if top not in modules:
            raise DatapathError(f"netlist: no module {top!r} (modules: {', '.join(sorted(modules)) or 'none'})")
        module = modules[top]
        inputs, outputs = {}, {}
        for name, port in module.get("ports", {}).items():
            (inputs if port["direction"] == "input" else outputs)[name] = list(port["bits"])
        cells, flops = [], []
        cell_types = liberty.cells if liberty is not None else {}
        for name, cell in module.get("cells", {}).items():
            kind, conn = cell["type"], cell["connections"]
            if kind in FLOPS:
                flops.append((_port("D"), {"D": conn["D"][0]}, conn["Q"][0]))
            elif kind in GATES:
                cells.append((_gate(kind), {p: b[0] for p, b in conn.items() if p != "Y"}, conn["Y"][0]))
            elif kind in cell_types:
                _liberty_cell(name, cell_types[kind], conn, cells, flops)
            else:
                valid = sorted(cell_types) if cell_types else sorted(GATES) + list(FLOPS)
                raise DatapathError(f"netlist: cell {name} has type {kind}, which is not simulated "
                                    f"(valid: {', '.join(valid)})")
        known = {b for bits in inputs.values() for b in bits} | {s for _, _, s in flops} | {"0", "1", "x"}
        order, waiting = [], cells
        while waiting:
            ready = [c for c in waiting if all(b in known for b in c[1].values())]
            if not ready:
                raise DatapathError(f"netlist: a combinational loop through {len(waiting)} cells")
            order += ready
            known |= {c[2] for c in ready}
            waiting = [c for c in waiting if c[2] not in known]
        # outputs that are functions of the state (a liberty flip-flop's Q), not the state
        # itself, are evaluated again once the state has changed
        producer = {c[2]: i for i, c in enumerate(order)}
        again, stack = set(), [b for bits in outputs.values() for b in bits]
        while stack:
            bit = stack.pop()
            if bit in producer and producer[bit] not in again:
                again.add(producer[bit])
                stack.extend(order[producer[bit]][1].values())
        return cls(inputs, outputs, order, flops, [order[i] for i in sorted(again)])

    def run(self, cycles: list[dict], vectors: int, clk: str = "clk") -> list[dict]:
        """Simulate ``vectors`` independent copies for each cycle: ``cycles`` is a list of
        {input port: sequence of ``vectors`` ints}; returns, per cycle, {output port: list
        of ints} as the outputs stand after that cycle's clock edge (flip-flops start at
        0). The clock input, if any, is implied."""
        import numpy as np

        words = (vectors + 63) // 64
        zero, ones = np.zeros(words, dtype=np.uint64), np.full(words, ~np.uint64(0), dtype=np.uint64)
        state = {s: zero for _, _, s in self.flops}
        out = []
        for cycle in cycles:
            nets = {"0": zero, "1": ones, "x": zero, **state}
            for name, bits in self.inputs.items():
                if name == clk:
                    continue
                if name not in cycle or len(cycle[name]) != vectors:
                    raise DatapathError(f"netlist: input {name} needs {vectors} values a cycle, got "
                                        f"{len(cycle[name]) if name in cycle else 'none'}")
                values = [int(v) for v in cycle[name]]
                for i, bit in enumerate(bits):
                    nets[bit] = _pack([(v >> i) & 1 for v in values], words)
            self._settle(self.order, nets, ones)
            state = {s: fn({p: nets[b] for p, b in ins.items()}, ones) for fn, ins, s in self.flops}
            nets.update(state)  # outputs after the clock edge
            self._settle(self.after_edge, nets, ones)
            out.append({name: _unpack([nets[b] for b in bits], vectors) for name, bits in self.outputs.items()})
        return out

    @staticmethod
    def _settle(entries, nets: dict, ones) -> None:
        """The entries' outputs from the inputs and the state, in order."""
        for fn, ins, y in entries:
            nets[y] = fn({p: nets[b] for p, b in ins.items()}, ones)


def _gate(kind):
    gate = GATES[kind]
    return lambda a, ones: gate(a)


def _port(name):
    return lambda a, ones: a[name]


def _liberty_cell(name: str, cell, conn: dict, cells: list, flops: list) -> None:
    """A liberty cell's outputs (and for a flip-flop, its state) as netlist entries."""
    from .liberty import evaluate, variables

    pins = {p: b[0] for p, b in conn.items()}
    if cell.latch:
        raise DatapathError(f"netlist: cell {name} ({cell.name}) is a latch or a state table: not simulated")
    ins = {p.name: pins[p.name] for p in cell.inputs if p.name in pins}
    env = dict(ins)
    if cell.ff is not None:
        ff = cell.ff
        if ff.clocked_on[0] != "var":
            raise DatapathError(f"netlist: cell {name} ({cell.name}) is clocked on {ff.clocked_on}: only a "
                                "flip-flop on the clock's rising edge is simulated")
        key = f"{name}.{ff.state}"
        data = {p: ins[p] for p in variables(ff.next_state) | variables(ff.clear or ("const", 0)) |
                variables(ff.preset or ("const", 0)) if p in ins}

        def next_state(a, ones, ff=ff):
            value = evaluate(ff.next_state, a, ones)
            if ff.clear is not None:
                value = value & (evaluate(ff.clear, a, ones) ^ ones)
            if ff.preset is not None:
                value = value | evaluate(ff.preset, a, ones)
            return value
        flops.append((next_state, data, key))
        env[ff.state] = key
        if ff.state_inverted:
            inverted = f"{name}.{ff.state_inverted}"
            cells.append((lambda a, ones: a["s"] ^ ones, {"s": key}, inverted))
            env[ff.state_inverted] = inverted
    for pin in cell.outputs:
        if pin.name not in pins:
            continue
        if pin.function is None:
            raise DatapathError(f"netlist: cell {name} ({cell.name}) output {pin.name} has no function: not "
                                "simulated")
        reads = variables(pin.function)
        missing = sorted(reads - set(env))
        if missing:
            raise DatapathError(f"netlist: cell {name} ({cell.name}) output {pin.name} reads {missing[0]}, which "
                                "is not connected")
        cells.append((lambda a, ones, f=pin.function: evaluate(f, a, ones), {v: env[v] for v in reads},
                      pins[pin.name]))


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
