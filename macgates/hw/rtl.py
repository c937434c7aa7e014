"""Verilog from the component graph: the behaviours that run are the RTL that is emitted.

Each component becomes one Verilog-2005 module, written by running its behaviour
(:mod:`macgates.library.behaviour`) on *traced* values instead of integers: a :class:`Traced`
value knows the exact range of integers it can hold, and every operation on it writes a
``wire signed`` just wide enough for its result (``a + b``, ``a & mask``, ``x >>> s``,
``s ? b : a``, ...). Loops over the parameters unroll at the component's costed
parameters, so the module is the behaviour at those parameters, and there is one source
of truth for every width: what is costed is what runs is what is emitted.

The top module (``mac_`` + the datapath's name unless :func:`emit` is given one) wires
the components as the graph does; every other module's name starts with the top's and
``__`` (``mac_int8_kulisch__adder_n27``), so the Verilog of several datapaths can share one
project. Each input port's bus is its
signals side by side (``Signal.at``), a sign-extended signal bringing its sign into the
bits above it, exactly as the simulator (``macgates.run.simulate``'s port assembly) adds them. A
k-lane component (one that works lane by lane on a dot-product unit's k lanes) is k
instances of one module; a component that combines lanes (an adder tree) takes each
lane on its own port ``x_0 ... x_{k-1}``. Registers are real: the accumulator register
and any flag state reset to 0 on ``rst`` (synchronous); a product pipe register has no
reset, and adds one cycle of latency (:attr:`Rtl.latency`).

Ports of the top module: ``clk``, ``rst``, ``w`` and ``a`` (k codes side by side for a
k-term unit, lane i at bits ``[i*B +: B]``), ``w_scale`` / ``a_scale`` for block formats,
``acc`` (the accumulator register) and, where a fixed-point accumulator keeps sticky
NaN / infinity flags, ``flags``: together the simulator's state word (``acc`` low).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..library.behaviour import combines_lanes
from ..library.kinds import KINDS
from ..run.simulate import LANE_PORTS, plan
from ..support.bits import mask, range_bits, signed_bits
from ..support.errors import DatapathError

MAX_TRACED_BITS = 1 << 16  # a wider intermediate value means a behaviour is not synthesizable as written


def literal(value: int, bits: int | None = None) -> str:
    """A sized, signed Verilog literal of ``value``."""
    bits = bits or signed_bits(value, value)
    return f"{bits}'sh{value & mask(bits):x}"


class Body:
    """The wires of one module being traced."""

    def __init__(self):
        self.lines: list[str] = []
        self.count = 0

    def wire(self, expr: str, lo: int, hi: int) -> "Traced":
        bits = signed_bits(lo, hi)
        if bits > MAX_TRACED_BITS:
            raise DatapathError(f"rtl: an intermediate value of {bits} bits (range {lo} to {hi})")
        name = f"t{self.count}"
        self.count += 1
        self.lines.append(f"  wire signed [{bits - 1}:0] {name} = {expr};")
        return Traced(self, name, lo, hi)

    def const(self, value: int) -> "Traced":
        return Traced(self, literal(value), value, value)


def _binary(method):
    """An operator of traced values: the other operand made traced (an int becomes a
    constant), anything else NotImplemented."""
    def op(self, other):
        o = self._other(other)
        return NotImplemented if o is None else method(self, o)
    op.__name__ = method.__name__
    return op


class Traced:
    """An integer known only by its range [lo, hi], named by a Verilog expression.

    Operations with ints and other traced values return traced values (written into the
    module's body as wires); anything that would branch on the value (``bool``, ``int``)
    is an error, so a behaviour that is not branch-free cannot be emitted."""

    __slots__ = ("body", "name", "lo", "hi")
    __hash__ = object.__hash__

    def __init__(self, body: Body, name: str, lo: int, hi: int):
        self.body, self.name, self.lo, self.hi = body, name, lo, hi

    @property
    def bits(self) -> int:
        return signed_bits(self.lo, self.hi)

    def __repr__(self) -> str:
        return f"Traced({self.name}, {self.lo}..{self.hi})"

    def __bool__(self):
        raise DatapathError(f"rtl: a behaviour branches on a traced value ({self.name}); "
                            "behaviours must be branch-free to be emitted")

    __int__ = __index__ = __bool__

    # -- helpers ---------------------------------------------------------------------------
    def _other(self, other):
        if isinstance(other, Traced):
            return other
        if isinstance(other, int):  # (bool is an int)
            return self.body.const(int(other))
        return None

    def _const(self):
        return self.lo if self.lo == self.hi else None

    def _op(self, other, op, lo, hi):
        return self.body.wire(f"{self.name} {op} {other.name}", lo, hi)

    def _full(self, other):
        """The whole range of the wider operand's word: what a bitwise op of two
        possibly negative values may give."""
        bits = max(self.bits, other.bits)
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1

    def _zero_is(self, o, identity: bool):
        """self op o where 0 is the identity: self when o is the constant 0, o when self
        is (only if ``identity``: 0 is a left identity of +, | and ^, not of -, << or >>);
        else None."""
        if o._const() == 0:
            return self
        if identity and self._const() == 0:
            return o
        return None

    # -- arithmetic ------------------------------------------------------------------------
    @_binary
    def __add__(self, o):
        z = self._zero_is(o, True)
        return z if z is not None else self._op(o, "+", self.lo + o.lo, self.hi + o.hi)

    @_binary
    def __sub__(self, o):
        z = self._zero_is(o, False)
        return z if z is not None else self._op(o, "-", self.lo - o.hi, self.hi - o.lo)

    def __neg__(self):
        return self.body.wire(f"-{self.name}", -self.hi, -self.lo)

    def __invert__(self):
        return self.body.wire(f"~{self.name}", -self.hi - 1, -self.lo - 1)

    @_binary
    def __mul__(self, o):
        for x, y in ((self, o), (o, self)):
            if x._const() in (0, 1):
                return self.body.const(0) if x._const() == 0 else y
        for x, y in ((self, o), (o, self)):
            if x._const() is None and 0 <= x.lo and x.hi <= 1:
                return x.select(0, y)  # a bit times a value: an AND per bit
        corners = [a * b for a in (self.lo, self.hi) for b in (o.lo, o.hi)]
        return self._op(o, "*", min(corners), max(corners))

    def select(self, if0, if1):
        """``if1`` where this bit is 1, else ``if0`` (a ``?:``)."""
        if not (0 <= self.lo and self.hi <= 1):
            raise DatapathError(f"rtl: a select on {self.name}, which is not one bit ({self.lo}..{self.hi})")
        a, b = self._other(if0), self._other(if1)
        if a is None or b is None:
            raise DatapathError("rtl: a select between values that are not integers")
        if self._const() is not None:
            return b if self._const() else a
        return self.body.wire(f"{self.name}[0] ? {b.name} : {a.name}", min(a.lo, b.lo), max(a.hi, b.hi))

    # -- bitwise ---------------------------------------------------------------------------
    @_binary
    def __and__(self, o):
        for x, y in ((self, o), (o, self)):
            c = x._const()
            if c == 0:
                return self.body.const(0)
            if c is not None and c >= 0 and y.lo >= 0 and y.hi <= c and (c + 1) & c == 0:
                return y  # a mask that keeps every bit y can have
        his = [v.hi for v in (self, o) if v.lo >= 0]
        lo, hi = (0, min(his)) if his else self._full(o)
        return self._op(o, "&", lo, hi)

    def _or_xor(self, o, op):
        if self.lo >= 0 and o.lo >= 0:
            lo, hi = (max(self.lo, o.lo) if op == "|" else 0), mask(max(self.hi.bit_length(), o.hi.bit_length()))
        else:
            lo, hi = self._full(o)
        z = self._zero_is(o, True)
        return z if z is not None else self._op(o, op, lo, hi)

    @_binary
    def __or__(self, o):
        return self._or_xor(o, "|")

    @_binary
    def __xor__(self, o):
        return self._or_xor(o, "^")

    # -- shifts ----------------------------------------------------------------------------
    def _shift(self, o, op, shift):
        if o.lo < 0:
            raise DatapathError(f"rtl: a shift by {o.name}, which may be negative")
        ends = [shift(v, s) for v in (self.lo, self.hi) for s in (o.lo, o.hi)]
        z = self._zero_is(o, False)
        return z if z is not None else self._op(o, op, min(ends), max(ends))

    @_binary
    def __lshift__(self, o):
        return self._shift(o, "<<<", int.__lshift__)

    @_binary
    def __rshift__(self, o):
        return self._shift(o, ">>>", int.__rshift__)

    # reflected: int op traced
    __radd__, __rmul__, __rand__, __ror__, __rxor__ = __add__, __mul__, __and__, __or__, __xor__
    __rsub__ = _binary(lambda self, o: o.__sub__(self))
    __rlshift__ = _binary(lambda self, o: o.__lshift__(self))
    __rrshift__ = _binary(lambda self, o: o.__rshift__(self))

    # -- comparisons (a one-bit result) ----------------------------------------------------
    def _compare(op):
        @_binary
        def compare(self, o):
            return self.body.wire(f"{{1'b0, {self.name} {op} {o.name}}}", 0, 1)
        return compare

    __lt__, __le__, __gt__, __ge__ = _compare("<"), _compare("<="), _compare(">"), _compare(">=")
    __eq__, __ne__ = _compare("=="), _compare("!=")
    del _compare

    def bit_length_below(self, n: int) -> "Traced":
        """Bits of this value (0 to 2^n - 1): a priority encoder on its low n bits."""
        name = f"t{self.body.count}"
        self.body.count += 1
        bits = signed_bits(0, n)
        self.body.lines += [f"  reg signed [{bits - 1}:0] {name};",
                            f"  integer {name}_i;",
                            "  always @* begin",
                            f"    {name} = 0;",
                            f"    for ({name}_i = 0; {name}_i < {n}; {name}_i = {name}_i + 1)",
                            f"      if ({self.name}[{name}_i]) {name} = {name}_i + 1;",
                            "  end"]
        return Traced(self.body, name, 0, n)


def _as_traced(body: Body, value) -> Traced:
    if isinstance(value, Traced):
        return value
    if isinstance(value, int):
        return body.const(value)
    raise DatapathError(f"rtl: a behaviour returned {type(value).__name__}, not an integer")


# -- the datapath ------------------------------------------------------------------------------
@dataclass
class Rtl:
    """A datapath's Verilog: ``modules`` (module name -> text, the top one last), the top
    module's name and ports (name -> width), and the pipeline ``latency`` (cycles from an
    operand to the accumulator: 0, or 1 with a product pipe register)."""

    top: str
    modules: dict = field(default_factory=dict)
    ports: dict = field(default_factory=dict)  # top module: name -> (direction, width)
    latency: int = 0
    state: list = field(default_factory=list)  # (output port, state lsb, width): the simulator's state word
    instances: dict = field(default_factory=dict)  # component -> (module, instances)

    @property
    def verilog(self) -> str:
        return "\n".join(self.modules.values())


def ident(name: str) -> str:
    """A Verilog identifier for a component or datapath name."""
    out = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return out if re.match(r"[A-Za-z_]", out) else f"n_{out}"


@dataclass
class _Node:
    """What the top module knows of a component's (or input port's) output."""

    wire: str  # its wire; a lane's is wire + f"_{lane}"
    lo: int
    hi: int
    laned: bool
    needed: int = 0  # bits the signals take from it

    @property
    def bits(self) -> int:
        return max(range_bits(self.lo, self.hi), self.needed)

    @property
    def decl(self) -> str:
        return f"wire {'signed ' if self.lo < 0 else ''}[{self.bits - 1}:0]"


def emit(dp, top: str | None = None) -> Rtl:
    """The Verilog of a datapath (see the module docstring): its top module named ``top``
    (made an identifier; default ``mac_`` + the datapath's name), every other module
    ``top__`` + its primitive and parameters, so that the Verilog of several datapaths
    can be read into one project.

    The steps, each a method of :class:`_Emitter` (which plans the datapath with
    :func:`macgates.run.simulate.plan`): declare the top's inputs and state, measure what each
    output feeds and the latency, instantiate every component in evaluation order and
    then the state registers (tracing each into a module), add the state outputs, and
    write the top module."""
    em = _Emitter(dp, ident(top if top is not None else f"mac_{dp.name}"))
    em.declare_inputs()
    em.declare_state()
    em.measure()
    for name in em.order:
        em.instantiate(name)
    for i, (name, _, _) in enumerate(em.layout):
        em.instantiate(name, stateful=i > 0)  # the accumulator first; a flag word: next_state in a register
    em.add_state_outputs()
    return em.finish()


class _Emitter:
    """One :func:`emit` in progress: the :class:`Rtl` being filled in and what its steps share.

    ``layout``, ``order`` and ``inputs`` are the simulator's plan of the datapath (the
    state words ``(name, lsb, width)`` with the accumulator first, the components in
    evaluation order, each component's input signals); ``nodes`` maps every input port,
    state word and instantiated component to what the top module knows of its output;
    ``needed`` the bits each source's signals take from it; ``pipes`` the product pipe
    registers. The top module is built up in ``header`` (its ports), ``buses`` (the wires
    that assemble input ports), ``instances`` ((output wire, node, instance line), one per
    instance) and ``tail`` (the state outputs' assigns); the other modules in ``modules``
    (name -> text, in the order first traced), ``names`` naming each distinct module text
    so that equal components share one module."""

    def __init__(self, dp, top: str):
        self.dp = dp
        self.k = dp.macs
        self.layout, self.order, self.inputs = plan(dp)
        self.rtl = Rtl(top)
        self.nodes: dict[str, _Node] = {}
        self.needed: dict[str, int] = {}
        self.pipes: list[str] = []
        self.header = ["input clk", "input rst"]
        self.buses: list[str] = []
        self.instances: list[tuple[str, _Node, str]] = []
        self.tail: list[str] = []
        self.modules: dict[str, str] = {}
        self.names: dict[str, str] = {}

    # -- the top module's inputs, state and timing ------------------------------------------
    def declare_inputs(self) -> None:
        """The top module's input ports, one per input port of the datapath: a lane port
        (``w``, ``a``) of a k-lane unit is one bus of k codes side by side."""
        for port, (direction, width) in self.dp.ports.items():
            if direction == "in":
                laned = self.k > 1 and port in LANE_PORTS
                self.nodes[port] = _Node(ident(port), 0, mask(width), laned)
                self.rtl.ports[port] = ("input", width * (self.k if laned else 1))
                self.header.append(f"input [{self.rtl.ports[port][1] - 1}:0] {ident(port)}")

    def declare_state(self) -> None:
        """The state words' output wires, known before anything runs (the components read
        them before the registers that drive them are instantiated, last)."""
        for name, _, width in self.layout:
            self.nodes[name] = _Node(f"c_{ident(name)}", 0, mask(width), False)

    def measure(self) -> None:
        """The bits each source's signals take (so its output wire is wide enough), the
        product pipe registers, and the latency they add (:attr:`Rtl.latency`)."""
        for sig in self.dp.signals:
            self.needed[sig.src] = max(self.needed.get(sig.src, 0), sig.lsb + sig.width)
        self.pipes = [n for n in self.order if self.dp.components[n].primitive == "register"]
        self.rtl.latency = 1 if self.pipes else 0

    # -- one component ---------------------------------------------------------------------
    def instantiate(self, name: str, stateful: bool = False) -> None:
        """Component ``name`` in the top module: its input buses assigned, its module traced
        (or reused), and its instance wired: one instance, or k (one per lane) for a
        component fed by a laned source that does not combine lanes. ``stateful``: a flag
        state word, whose module is its kind's ``next_state`` in a register."""
        comp = self.dp.components[name]
        laned_ports = {s.port for s in self.inputs[name] if s.lane < 0 and self.nodes[s.src].laned}
        combiner = bool(laned_ports) and combines_lanes(comp.primitive, comp.attrs)
        per_lane = bool(laned_ports) and not combiner
        # one set of buses per lane; a combiner takes lane i of a laned port on its port p_i
        wires = [self.assign_buses(name, lane) for lane in (range(self.k) if laned_ports else [-1])]
        ranges = {p: (lo, hi) for p, (_, lo, hi) in wires[0].items()}  # (the same in every lane)
        if not combiner:
            laned_ports = set()
        module, lo, hi = self.module(comp, ranges, laned_ports, stateful)
        lanes = range(self.k) if per_lane else [-1]
        self.rtl.instances[name] = (module, len(lanes))
        if name in self.nodes:  # state: its range is known already
            node = self.nodes[name]
        else:
            node = self.nodes[name] = _Node(f"c_{ident(name)}", lo, hi, per_lane)
        node.needed = self.needed.get(name, 0)
        clocked = comp.primitive == "register" or stateful
        reset = "1'b0" if name in self.pipes else "rst"  # a pipe register has no reset
        clock = [".clk(clk)", f".rst({reset})"] if clocked else []
        for i, lane in enumerate(lanes):
            suffix = f"_{lane}" if lane >= 0 else ""
            conns = []
            for p, (wire, _, _) in sorted(wires[i].items()):
                if p in laned_ports:
                    conns += [f".{ident(p)}_{j}({wires[j][p][0]})" for j in range(self.k)]
                else:
                    conns.append(f".{ident(p)}({wire})")
            out = node.wire + suffix
            self.instances.append((out, node, f"  {module} u_{ident(name)}{suffix} "
                                                f"({', '.join([*clock, *conns, f'.y({out})'])});"))

    def assign_buses(self, name: str, lane: int) -> dict:
        """Assign each input port's bus of component ``name`` (on lane ``lane``, or -1) in the
        top module, from its signals as the simulator assembles them: returns
        port -> (wire, lo, hi), the bus's range of values."""
        byport: dict = {}
        for sig in self.inputs[name]:
            byport.setdefault(sig.port, []).append(sig)
        out = {}
        for port, sigs in byport.items():
            lo, hi = _bus_range(sigs)
            wire = f"p_{ident(name)}_{ident(port)}" + (f"_{lane}" if lane >= 0 else "")
            sigs = sorted(sigs, key=lambda s: s.at)
            if all(not s.signed for s in sigs[:-1]):
                self._concatenated_bus(wire, sigs, lo, hi, lane)
            else:
                self._summed_bus(wire, sigs, lo, hi, lane)
            out[port] = (wire, lo, hi)
        return out

    def _concatenated_bus(self, wire: str, sigs: list, lo: int, hi: int, lane: int) -> None:
        """A bus whose signals (sorted by ``at``) are unsigned below the top one: their bits
        side by side, zeros in the gaps, the top signal's sign (if signed) or zeros above."""
        bits = range_bits(lo, hi)
        parts, at = [], 0
        for sig in sigs:
            if sig.at > at:
                parts.append(f"{sig.at - at}'b0")
            parts.append(self.piece(sig, lane))
            at = sig.at + sig.width
        top_sig = sigs[-1]
        if bits > at:
            parts.append(f"{{{bits - at}{{{self.piece(top_sig, lane, top_sig.width - 1)}}}}}"
                         if top_sig.signed else f"{bits - at}'b0")
        expr = "{" + ", ".join(reversed(parts)) + "}"
        self.buses.append(f"  wire {'signed ' if lo < 0 else ''}[{bits - 1}:0] {wire} = {expr};")

    def _summed_bus(self, wire: str, sigs: list, lo: int, hi: int, lane: int) -> None:
        """A bus with a signed signal below another: each signal shifted to its ``at`` (a
        signed one sign-extended) and the terms added, as the simulator does."""
        bits = range_bits(lo, hi)
        terms = []
        for i, sig in enumerate(sigs):
            t = f"{wire}_{i}"
            p = self.piece(sig, lane)
            if sig.signed:
                self.buses.append(f"  wire signed [{sig.width - 1}:0] {t}_v = {p};")
                self.buses.append(f"  wire signed [{bits - 1}:0] {t} = {t}_v <<< {sig.at};")
            else:
                self.buses.append(f"  wire signed [{bits - 1}:0] {t} = {{{{{bits}{{1'b0}}}}, {p}}} << {sig.at};")
            terms.append(t)
        self.buses.append(f"  wire {'signed ' if lo < 0 else ''}[{bits - 1}:0] {wire} = {' + '.join(terms)};")

    def piece(self, sig, lane: int, bit: int | None = None) -> str:
        """A signal's bits on the lane ``lane`` (its own lane if it names one), or only
        its bit ``bit``, inverted if the signal is."""
        src = self.nodes[sig.src]
        use = sig.lane if sig.lane >= 0 else lane
        if sig.src in self.dp.ports:  # a top port: lanes side by side in one bus
            wire, base = src.wire, (use * self.dp.ports[sig.src][1] if src.laned else 0) + sig.lsb
        else:
            wire, base = (f"{src.wire}_{use}" if src.laned else src.wire), sig.lsb
        text = f"{wire}[{base + bit}]" if bit is not None else f"{wire}[{base + sig.width - 1}:{base}]"
        return f"~{text}" if sig.invert else text

    def module(self, comp, ports: dict, laned_ports: set, stateful: bool) -> tuple[str, int, int]:
        """The module of a component whose input ports have these ranges (port -> (lo, hi)):
        traced (:func:`_trace_module`) and added, unless a module with the same text is
        there already; returns its name and its output's range. A new module is named
        ``top__`` + its primitive and parameters, ``_v2``, ``_v3``, ... after the first."""
        text, lo, hi = _trace_module(comp, ports, laned_ports, self.k, stateful, self.needed.get(comp.name, 0))
        name = self.names.get(text)
        if name is None:
            base = f"{self.rtl.top}__" + ident("_".join([comp.primitive, *(f"{p}{v}" for p, v in comp.params.items())]))
            name, i = base, 2
            while name in self.modules:
                name, i = f"{base}_v{i}", i + 1
            self.names[text] = name
            self.modules[name] = f"// {comp.label}: macgates behaviour '{comp.primitive}'\nmodule {name} {text}"
        return name, lo, hi

    # -- the top module --------------------------------------------------------------------
    def add_state_outputs(self) -> None:
        """The top module's outputs, together the simulator's state word (:attr:`Rtl.state`):
        ``acc``, the accumulator register, and where there is flag state, ``flags``, the
        flag words side by side above it (the first at the low end)."""
        acc, _, acc_bits = self.layout[0]
        self.rtl.ports["acc"] = ("output", acc_bits)
        self.header.append(f"output [{acc_bits - 1}:0] acc")
        self.tail.append(f"  assign acc = {self.nodes[acc].wire}[{acc_bits - 1}:0];")
        self.rtl.state = [("acc", 0, acc_bits)]
        if len(self.layout) > 1:
            flags = sum(w for _, _, w in self.layout[1:])
            self.rtl.ports["flags"] = ("output", flags)
            self.header.append(f"output [{flags - 1}:0] flags")
            parts = [f"{self.nodes[n].wire}[{w - 1}:0]" for n, _, w in reversed(self.layout[1:])]
            self.tail.append(f"  assign flags = {{{', '.join(parts)}}};")
            self.rtl.state.append(("flags", acc_bits, flags))

    def finish(self) -> Rtl:
        """Write the top module (its ports, a wire per instance output, the input buses, the
        instances, the state outputs' assigns) after the other modules, and return the Rtl."""
        top = self.rtl.top
        decls = [f"  {node.decl} {out};" for out, node, _ in self.instances]
        lines = decls + self.buses + [line for _, _, line in self.instances] + self.tail
        top_text = (f"// {self.dp.name}: {self.dp.gates} gates in the model; emitted by macgates from the component graph\n"
                    f"module {top} ({', '.join(self.header)});\n" + "\n".join(lines) + "\nendmodule\n")
        self.rtl.modules = {**self.modules, top: top_text}
        return self.rtl


def _trace_module(comp, ports: dict, laned_ports: set, k: int, stateful: bool, needed: int) -> tuple[str, int, int]:
    """Run a component's behaviour on traced inputs of these ranges (port -> (lo, hi); a
    port in ``laned_ports`` is k ports ``p_0 ... p_{k-1}``): the module's text after its
    name (port list, wires, ``endmodule``) and its output's range. A register, or a state
    word's kind when ``stateful``, is a register ``q`` loaded with the next state and reset
    to 0 on ``rst``; the output port is at least ``needed`` bits (what the top takes)."""
    b = Body()
    header: list[str] = []
    ins = {}
    for port, (lo, hi) in sorted(ports.items()):
        if port in laned_ports:
            ins[port] = [_input_port(b, header, f"{ident(port)}_{i}", lo, hi) for i in range(k)]
        else:
            ins[port] = _input_port(b, header, ident(port), lo, hi)
    prim = comp.primitive
    if prim == "register" or stateful:
        width = comp.params["n"] if prim == "register" else KINDS[prim].state_bits(comp.params)
        state = Traced(b, "q", 0, mask(width))
        nxt = (KINDS["register"].behaviour(comp.params, ins, comp.attrs) if prim == "register"
               else KINDS[prim].next_state(comp.params, ins, state))
        nxt = _as_traced(b, nxt)
        lines = [*b.lines, f"  reg [{width - 1}:0] q;",
                 f"  always @(posedge clk) q <= rst ? {width}'d0 : {_low(nxt, width)};",
                 "  assign y = q;"]
        lo_out, hi_out = 0, mask(width)
        header = ["input clk", "input rst", *header, f"output [{max(width, needed) - 1}:0] y"]
    else:
        out = _as_traced(b, KINDS[prim].behaviour(comp.params, ins, comp.attrs))
        lines = [*b.lines, f"  assign y = {out.name};"]
        lo_out, hi_out = out.lo, out.hi
        width = max(range_bits(out.lo, out.hi), needed)
        header.append(f"output {'signed ' if out.lo < 0 else ''}[{width - 1}:0] y")
    return f"({', '.join(header)});\n" + "\n".join(lines) + "\nendmodule\n", lo_out, hi_out


def _input_port(b: Body, header: list, pname: str, lo: int, hi: int) -> Traced:
    """A module input port ``pname`` of values lo..hi: its declaration appended to
    ``header``, and a traced signed copy ``pname_v`` (zero-extended if the port is
    unsigned) in the body."""
    bits = range_bits(lo, hi)
    if lo >= 0:  # zero-extended to a signed word inside
        header.append(f"input [{bits - 1}:0] {pname}")
        b.lines.append(f"  wire signed [{bits}:0] {pname}_v = {{1'b0, {pname}}};")
    else:
        header.append(f"input signed [{bits - 1}:0] {pname}")
        b.lines.append(f"  wire signed [{bits - 1}:0] {pname}_v = {pname};")
    return Traced(b, f"{pname}_v", lo, hi)


def _bus_range(sigs) -> tuple[int, int]:
    """The values an input port's bus can take: its signals side by side, a signed one
    from -2^(w-1), as the simulator adds them."""
    lo = hi = 0
    for sig in sigs:
        plo, phi = (-(1 << (sig.width - 1)), mask(sig.width - 1)) if sig.signed else (0, mask(sig.width))
        lo, hi = lo + (plo << sig.at), hi + (phi << sig.at)
    return lo, hi


def _low(value: Traced, width: int) -> str:
    """The low ``width`` bits of a traced value."""
    return f"{value.name}[{width - 1}:0]" if value.bits > width else (
        f"{value.name}" if value.bits == width else f"{{{{{width - value.bits}{{{value.name}[{value.bits - 1}]}}}}, {value.name}}}")
