"""A datapath is a graph of costed components joined by signals of known width.

Builders (:func:`macgates.mac`) return a :class:`Datapath`, and users can make their own
with :meth:`Datapath.add` and :meth:`Datapath.connect`. Nodes are component instances
(a library primitive with its parameters, a category and an exact cost); edges are
signals with bit widths. The accumulator's feedback from its register is a real edge,
so the graph has a cycle through the register.

The :mod:`networkx` graph is built when :attr:`Datapath.graph` is first asked for, so
costing a datapath (``gates``, ``breakdown``) never imports networkx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

from ..library.kinds import kind_of
from ..library.primitives import Library, as_library, load_library
from ..support.counts import exact, numeric
from ..support.errors import DatapathError, did_you_mean, shown, whole

CATEGORIES = ("multiplier", "aligner", "accumulator", "normalize", "round", "exception", "register")
PORT = "port"
MAX_WIDTH = 4096  # widest signal or component parameter a datapath may have
STEP_NAMES = {"w": "a (the weights, input w)", "a": "b (the activations, input a)",  # Datapath.step's inputs
              "w_scale": "scale_a (the weights' scale, input w_scale)",
              "a_scale": "scale_b (the activations' scale, input a_scale)"}


def params_text(params: Mapping) -> str:
    """A component's parameters as text: ``n=4, m=8``."""
    return ", ".join(f"{k}={v}" for k, v in params.items())


@dataclass(frozen=True)
class Component:
    """One instance of a library primitive in a datapath."""

    name: str
    primitive: str
    params: Mapping[str, int]
    category: str
    cost: object  # int or Fraction, exact: count x the primitive's cost
    note: str = ""
    count: int = 1  # identical instances (the k lanes of a dot-product unit)
    attrs: Mapping = field(default_factory=dict)  # settings of its behaviour that cost nothing (signed, ...)

    @property
    def label(self) -> str:
        args = params_text(self.params)
        text = f"{self.primitive}({args})" if args else self.primitive
        return f"{self.count} x {text}" if self.count != 1 else text


@dataclass(frozen=True)
class Signal:
    """A connection from one component (or port) to another: ``width`` bits of the
    source's output from bit ``lsb`` up, into the destination's input ``port``;
    ``signed`` sign-extends them there (a wire, no gates). Ports and bit positions are
    what the simulator (:mod:`macgates.run.simulate`) needs; costs ignore them."""

    src: str
    dst: str
    width: int
    name: str = ""
    port: str = ""
    lsb: int = 0
    signed: bool = False
    at: int = 0  # the bit of the port it drives from (several signals may share a port)
    lane: int = -1  # from a k-lane source: one lane's bits (-1: every lane)
    invert: bool = False  # the bits inverted on the way (inverters cost 0 in App. B's count)


@dataclass
class Datapath:
    """A costed component graph."""

    wired = True  # connections are kept (a CostSheet keeps none)

    name: str = "datapath"
    library: Library | None = field(default=None, kw_only=True)  # Datapath("mine"): a name
    components: dict = field(default_factory=dict)
    ports: dict = field(default_factory=dict)  # port name -> (direction, width)
    signals: list = field(default_factory=list)
    info: dict = field(default_factory=dict)  # widths and choices the builder derived
    # what the builder made it for: weights and activations (Formats) and the accumulator
    # object; what macgates.run.verify checks it against when not told ({} if built by hand)
    built_for: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise DatapathError(f"Datapath: the name must be a string, got {type(self.name).__name__} "
                                "(a library is given as Datapath(name, library=...))")
        for what, kind in (("components", dict), ("ports", dict), ("signals", list), ("info", dict),
                           ("built_for", dict)):
            if not isinstance(getattr(self, what), kind):
                raise DatapathError(f"Datapath: {what} must be a {kind.__name__}, got "
                                    f"{type(getattr(self, what)).__name__} (Datapath(name, library=...))")
        self.library = as_library(self.library) or load_library()

    # -- building -----------------------------------------------------------------------
    def add(self, name: str, primitive: str, *, category: str, note: str = "", count: int = 1,
            attrs: Mapping | None = None, **params) -> Component:
        """Add a component: ``count`` instances of ``primitive`` with its parameters
        (``attrs``: settings of its behaviour that do not change its cost)."""
        if not isinstance(name, str) or not name:
            raise DatapathError(f"component name must be a non-empty string, got {shown(name)}")
        if name in self.components or name in self.ports:
            raise DatapathError(f"{self.name}: component '{name}' is already defined")
        if category not in CATEGORIES:
            raise DatapathError(f"{self.name}: component '{name}': unknown category '{category}' "
                                f"({did_you_mean(CATEGORIES)})")
        prim = self.library.primitive(primitive)
        values = self.library.bind(primitive, (), params)
        for pname, value in zip(prim.params, values):
            if not whole(value, 0, MAX_WIDTH):
                raise DatapathError(f"{self.name}: component '{name}': {pname}={shown(value)} must be a "
                                    f"whole number from 0 to {MAX_WIDTH}")
        if not whole(count, 1, MAX_WIDTH):
            raise DatapathError(f"{self.name}: component '{name}': count={shown(count)} must be a whole "
                                f"number from 1 to {MAX_WIDTH}")
        cost = exact(count * self.library.cost(primitive, *values))
        comp = Component(name, primitive, dict(zip(prim.params, values)), category, cost, note, count,
                         dict(attrs or {}))
        self.components[name] = comp
        return comp

    def port(self, name: str, direction: str, width: int) -> None:
        """Declare a cost-free input or output port (for the graph only)."""
        if direction not in ("in", "out"):
            raise DatapathError(f"port {name}: direction must be 'in' or 'out'")
        if name in self.components or name in self.ports:
            raise DatapathError(f"{self.name}: '{name}' is already defined")
        self.ports[name] = (direction, self._width(width, name))

    def connect(self, src: str, dst: str, width: int, name: str = "", *, port: str = "", lsb: int = 0,
                signed: bool = False, at: int = 0, lane: int = -1, invert: bool = False) -> Signal:
        """Join two components (or ports) with a ``width``-bit signal (see :class:`Signal`).
        Into a component whose kind declares its ports (:mod:`macgates.library.kinds`), ``port``
        must be one of them, and the signal may not reach (``at + width``) above the
        port's declared width; the simulator checks each port's signals together."""
        for end in (src, dst):
            if end not in self.components and end not in self.ports:
                raise DatapathError(f"{self.name}: connection {src} -> {dst}: unknown component '{end}' "
                                    f"({did_you_mean(list(self.components) + list(self.ports))})")
        width = self._width(width, f"connection {src} -> {dst}")
        if port and dst in self.components:  # (no port: a connection for the graph and the costs only)
            comp = self.components[dst]
            kind = kind_of(comp.primitive)
            if kind is not None:
                where = f"{self.name}: connection {src} -> {dst}"
                kind.check_port(dst, port, where)
                if whole(at, 0, MAX_WIDTH):  # (a port's other signals may come later: only too wide is refused)
                    given = f"{width} bits" if not at else f"{width} bits at bit {at} ({at + width} in all)"
                    kind.port(port).check_width(dst, comp.primitive, comp.params, at + width, signed, where,
                                                whole=False, given=given)
        sig = Signal(src, dst, width, name, port, lsb, signed, at, lane, invert)
        self.signals.append(sig)
        return sig

    def remove(self, name: str) -> Component:
        """Remove a component and every signal to or from it."""
        comp = self._component(name)
        del self.components[name]
        self.signals = [s for s in self.signals if name not in (s.src, s.dst)]
        return comp

    def replace(self, name: str, primitive: str | None = None, *, category: str | None = None,
                note: str | None = None, fit: bool = False, **params) -> Component:
        """Swap a component for another primitive and/or parameters, keeping its name
        and its signals; the new cost comes from the library. Signals wider than the new
        ports take are refused when the datapath runs, unless ``fit``: then each signal
        into a port with a declared upper width (:class:`macgates.library.kinds.Port`) is cut to
        it, keeping the bits the narrower component reads (what ``verify --slack`` runs)."""
        old = self._component(name)
        del self.components[name]
        try:
            comp = self.add(name, primitive or old.primitive, category=category or old.category,
                            note=old.note if note is None else note, count=old.count, attrs=old.attrs,
                            **(params if primitive and primitive != old.primitive else {**old.params, **params}))
        except Exception:
            self.components[name] = old
            raise
        if fit:
            self._fit_inputs(comp)
        return comp

    def _fit_inputs(self, comp: Component) -> None:
        """Cut the signals into ``comp`` to its ports' declared upper widths (dropping
        those wholly above)."""
        from dataclasses import replace as changed

        kind = kind_of(comp.primitive)
        if kind is None:
            return
        tops = {}
        for port in kind.ports:
            if port.formula is not None and port.bound != ">=":
                tops[port.name] = port.expected(comp.params, comp.name, comp.primitive)
        fitted = []
        for sig in self.signals:
            top = tops.get(sig.port) if sig.dst == comp.name else None
            if top is not None and sig.at + sig.width > top:
                if sig.at >= top:
                    continue
                sig = changed(sig, width=top - sig.at)
            fitted.append(sig)
        self.signals = fitted

    def copy(self, name: str | None = None) -> "Datapath":
        """An independent copy (same library) to modify."""
        return Datapath(name or self.name, dict(self.components), dict(self.ports),
                        list(self.signals), dict(self.info), dict(self.built_for), library=self.library)

    def validate(self) -> None:
        """Check the graph is whole: every component is connected to something."""
        if not self.components:
            raise DatapathError(f"{self.name}: has no components")
        ends = {s.src for s in self.signals} | {s.dst for s in self.signals}
        lonely = [n for n in self.components if n not in ends]
        if lonely and len(self.components) > 1:
            raise DatapathError(f"{self.name}: component '{lonely[0]}' is connected to nothing "
                                "(add a connection to or from it)")
        loop = self.combinational_loop()
        if loop:
            raise DatapathError(f"{self.name}: combinational loop {' -> '.join(loop)} (a loop must pass "
                                "through a register)")

    def combinational_loop(self) -> list[str]:
        """A cycle of signals that passes through no register (its components, the first
        repeated at the end), or [] if there is none. Found by an iterative depth-first walk."""
        def is_register(name):
            comp = self.components.get(name)
            return comp is not None and (comp.category == "register" or comp.primitive in ("register", "ff"))

        succ: dict = {}
        for sig in self.signals:
            if not is_register(sig.src):  # a register's output starts a new cycle of the clock
                succ.setdefault(sig.src, []).append(sig.dst)
        state: dict = {}
        for root in succ:
            if root in state:
                continue
            path, todo = [root], [iter(succ.get(root, ()))]
            state[root] = 1
            while todo:
                nxt = next(todo[-1], None)
                if nxt is None:
                    state[path.pop()] = 2
                    todo.pop()
                elif state.get(nxt) == 1:
                    return path[path.index(nxt):] + [nxt]
                elif nxt not in state:
                    state[nxt] = 1
                    path.append(nxt)
                    todo.append(iter(succ.get(nxt, ())))
        return []

    def _component(self, name: str) -> Component:
        try:
            return self.components[name]
        except KeyError:
            raise DatapathError(f"{self.name}: unknown component '{name}' "
                                f"({did_you_mean(self.components)})") from None

    def _width(self, width, where) -> int:
        if not whole(width, 1, MAX_WIDTH):
            raise DatapathError(f"{self.name}: {where}: width {shown(width)} must be a whole number "
                                f"from 1 to {MAX_WIDTH}")
        return width

    # -- running (macgates/run/simulate.py) ------------------------------------------------
    def step(self, acc: int, a, b, *, scale_a: int | None = None, scale_b: int | None = None) -> int:
        """The accumulator's bits after one multiply-accumulate of codes ``a`` (weights)
        and ``b`` (activations) from accumulator bits ``acc``, computed bit by bit from
        this graph and its parameters as they are now. A k-term dot-product unit takes
        ``a`` and ``b`` as sequences of k codes; block formats take their shared scale
        codes as ``scale_a`` (weights) and ``scale_b`` (activations). A code is an input
        port's bit pattern, a whole number from 0 to 2^bits - 1 (``fmt.encode(value)``
        gives a value's); anything else is a DatapathError naming the argument."""
        from ..run.simulate import Runner

        operands = {"w": a, "a": b}
        for port, code in (("w_scale", scale_a), ("a_scale", scale_b)):
            if code is not None:
                operands[port] = code
        return Runner(self).step(acc, operands, names=STEP_NAMES)

    def run(self, pairs, acc: int = 0) -> list[int]:
        """The accumulator's bits after each (weight code, activation code) pair."""
        from ..run.simulate import Runner

        return Runner(self).run(pairs, acc)

    # -- costing ------------------------------------------------------------------------
    @property
    def gates(self):
        """Total NAND2-equivalent gates: an int, or an exact Fraction."""
        return exact(sum(c.cost for c in self.components.values()))

    def by_category(self) -> dict:
        """Gates per category, in the order of CATEGORIES."""
        totals = {c: 0 for c in CATEGORIES}
        for comp in self.components.values():
            totals[comp.category] += comp.cost
        return {k: exact(v) for k, v in totals.items() if any(
            c.category == k for c in self.components.values())}

    def rows(self) -> list[dict]:
        """One plain dict per component (what :meth:`breakdown` puts in a DataFrame):
        ``params`` a mapping of the primitive's parameters, ``gates`` exact."""
        return [{"component": c.name, "category": c.category, "primitive": c.primitive,
                 "params": dict(c.params), "count": c.count, "gates": c.cost, "note": c.note}
                for c in self.components.values()]

    def breakdown(self):
        """A pandas DataFrame, one row per component, with a category column; ``gates``
        is numeric (int, or float with fractional cell costs), ``params`` a mapping.
        :meth:`rows` has the exact values."""
        import pandas as pd

        rows = self.rows()
        frame = pd.DataFrame(rows, columns=["component", "category", "primitive", "params",
                                            "count", "gates", "note"])
        frame["gates"] = numeric(r["gates"] for r in rows)
        return frame

    @property
    def graph(self):
        """The datapath as a :class:`networkx.DiGraph` (nodes carry cost and category,
        edges carry ``width``)."""
        import networkx as nx

        g = nx.DiGraph(name=self.name)
        for pname, (direction, width) in self.ports.items():
            g.add_node(pname, kind=PORT, direction=direction, width=width, cost=0)
        for comp in self.components.values():
            g.add_node(comp.name, kind="component", primitive=comp.primitive, category=comp.category,
                       cost=comp.cost, params=dict(comp.params), note=comp.note, count=comp.count)
        for sig in self.signals:
            if g.has_edge(sig.src, sig.dst):
                g.edges[sig.src, sig.dst]["width"] += sig.width
            else:
                g.add_edge(sig.src, sig.dst, width=sig.width, signal=sig.name)
        return g

    @property
    def macs(self) -> int:
        """Multiply-accumulates per operation: k for a k-term dot-product unit, else 1."""
        return self.info.get("k", 1)

    @property
    def gates_per_mac(self):
        """gates / k, exact (an int or a Fraction)."""
        return exact(Fraction(self.gates) / self.macs)

    def __repr__(self) -> str:
        return f"<Datapath {self.name}: {len(self.components)} components, {self.gates} gates>"


class CostSheet(Datapath):
    """A Datapath that only adds up costs: no component objects, no signals, no graph.

    The builders run unchanged on it; sweeps use it to cost thousands of configurations
    a second. Unit costs are cached per (primitive, parameters) for its library.
    """

    wired = False  # connections are not kept: builders may skip working them out

    def __init__(self, library: Library | None = None, name: str = "sheet", unit_costs: dict | None = None):
        super().__init__(name, library=library)
        self.total = 0
        self._units = {} if unit_costs is None else unit_costs

    def add(self, name, primitive, *, category, note="", count=1, attrs=None, **params):
        key = (primitive, *params.items())
        unit = self._units.get(key)
        if unit is None:
            unit = self.library.cost(primitive, **params)
            self._units[key] = unit
        self.total += count * unit
        self.components[name] = None
        return None

    def connect(self, src, dst, width, name="", **where):
        return None

    def port(self, name, direction, width):
        return None

    @property
    def gates(self):
        return exact(self.total)
