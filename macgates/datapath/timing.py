"""Delay in the model: the critical path and the accumulation loop of a component graph.

Each component counts its primitive's delay (:meth:`Library.delay`: its worst
input-to-output delay in the library's delay unit; the bundled library's unit is ``t``,
one 2-input gate stage), once whatever its ``count`` (k lanes side by side). A path
starts at a register's output or an input port and ends at a register's input or an
output port. Registers (category ``register``, the primitives ``register`` and ``ff``,
and components whose kind holds state, such as ``kulisch_special``) cut the graph, which
is then a DAG: one pass in topological order finds the longest path, in time linear in
components and signals.

How a register counts: its delay is one flip-flop's clock-to-output + setup. A path
that ends at a register counts that register's delay once (the launching flip-flop's
clock-to-output is folded into it, so a register-to-register path counts one register
delay; an input port is taken to be driven by such a flip-flop outside, arriving at 0).
A path that ends at an output port counts no register delay (what captures it is
outside the datapath).

The accumulation loop is the longest path from the accumulator register (the source of
the signals named ``feedback``, as :func:`macgates.run.simulate.plan` finds it) back into
it, plus its delay; in a datapath without such a signal (one built by hand), the longest
path from any register back into itself. A datapath with a primitive that has no delay has an unknown delay
(``None``; tables show :data:`UNKNOWN`), never 0.

Sweeps cost configurations on cached stages (:class:`TimedSheet`, :func:`stage_of`);
:func:`compose` finds the same longest paths across a configuration's stages, each stage
taking the arrival times of the signals it reads from the stages before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

from ..formats.spec import Format
from ..library.kinds import kind_of
from ..support.counts import exact
from .graph import CostSheet, Datapath

UNKNOWN = "unknown"  # what a table shows for a delay the library cannot give
FEEDBACK = "feedback"  # the name of the accumulator register's signals back into the loop


@dataclass(frozen=True)
class Timing:
    """A datapath's critical path and accumulation loop. ``delay`` and ``loop_delay`` are
    exact (int or Fraction) in the library's delay unit, or None: unknown (``missing``
    names the primitives without a delay) or, for ``loop_delay``, no accumulation loop.
    ``path`` and ``loop_path``: the nodes, start to end (a register or a port at each end)."""

    delay: object = None
    path: tuple = ()
    loop_delay: object = None
    loop_path: tuple = ()
    missing: tuple = ()


def area_delay(gates_per_mac, delay):
    """Gates per MAC x the critical path's delay: the area at equal throughput (exact)."""
    return exact(gates_per_mac * delay)


def is_register(primitive: str, category: str) -> bool:
    """Does a component of this primitive and category cut paths (hold state)?"""
    if category == "register" or primitive in ("register", "ff"):
        return True
    kind = kind_of(primitive)
    return kind is not None and kind.state_bits is not None


def _predecessors(edges, own) -> dict:
    """Each node of ``own``'s sources, once each, in the order of ``edges``."""
    preds: dict = {}
    for src, dst in edges:
        if dst in own:
            got = preds.setdefault(dst, [])
            if src not in got:
                got.append(src)
    return preds


def _cut_order(nodes: list, preds: dict, within, registers: set, sources=None) -> list:
    """Kahn's order of ``nodes`` over the edges between nodes ``within`` that do not leave a
    register (a register's output starts a new clock cycle). ``sources``: the nodes whose
    edges are walked, in that order (default ``nodes``)."""
    def cut(u):
        return u in within and u not in registers
    waiting = {v: sum(1 for u in preds.get(v, ()) if cut(u)) for v in nodes}
    succ: dict = {}
    for v in (nodes if sources is None else sources):
        for u in preds.get(v, ()):
            if cut(u):
                succ.setdefault(u, []).append(v)
    ready = [v for v in nodes if not waiting[v]]
    order = []
    while ready:
        v = ready.pop()
        order.append(v)
        for w in succ.get(v, ()):
            waiting[w] -= 1
            if not waiting[w]:
                ready.append(w)
    return order


class _Graph:
    """What the longest-path pass needs of a datapath or of one cached stage: component
    delays, registers, ports, edges (each into a node of its own; a source may be a
    node of an earlier stage: ``foreign``), a topological order and the accumulator."""

    def __init__(self, delays: dict, registers: set, inputs: set, outputs: set, edges, acc: str | None):
        self.delays, self.registers, self.inputs, self.outputs = delays, registers, inputs, outputs
        self.acc = acc
        self.missing = tuple(sorted({p for p, d in delays.values() if d is None}))
        own = set(delays) | inputs | outputs
        preds = _predecessors(edges, own)
        self.preds = preds
        self.foreign = tuple(dict.fromkeys(s for ps in preds.values() for s in ps if s not in own))
        # nodes in the order they were added
        self.order = _cut_order(list(inputs) + list(delays) + list(outputs), preds, own, registers, list(preds))
        self._loop = None

    def longest(self, given=None, start: str | None = None):
        """One pass: (the output arrival of each node, the longest path's (value, end),
        the chosen predecessor of each node). ``given``: arrivals of foreign sources;
        ``start``: only paths from this register count (the loop)."""
        given = given or {}
        out: dict = {}
        pred: dict = {}
        best, best_end = None, None
        for v in self.order:
            arrival, via = None, None
            ps = self.preds.get(v)
            for u in ps or ():
                if u in self.registers:
                    a = 0 if start is None or u == start else None
                elif u in self.inputs:
                    a = 0 if start is None else None
                elif u in out:
                    a = out[u]
                else:
                    a = None if start is not None else given.get(u)
                if a is not None and (arrival is None or a > arrival):
                    arrival, via = a, u
            pred[v] = via
            if not ps and start is None:
                arrival = 0  # nothing drives it: a constant, there from the start
            if v in self.registers:
                out[v] = 0 if start is None else None
                if arrival is not None and (start is None or v == start):
                    end = arrival + self.delays[v][1]
                    if best is None or end > best:
                        best, best_end = end, v
            elif v in self.inputs:
                out[v] = 0 if start is None else None
            elif v in self.outputs:
                if arrival is not None and start is None and ps and (best is None or arrival > best):
                    best, best_end = arrival, v
            else:
                out[v] = None if arrival is None else arrival + self.delays[v][1]
        return out, (best, best_end), pred

    def path(self, pred: dict, end: str) -> tuple:
        nodes = [end]
        node = pred.get(end)
        while node is not None:
            nodes.append(node)
            if node in self.registers or node in self.inputs or node not in pred:
                break
            node = pred.get(node)
        return tuple(reversed(nodes))

    def loop(self):
        """(loop delay, loop path) of the accumulator register, or (None, ()); computed once.
        Without a signal named ``feedback`` (a datapath built by hand), the longest loop of
        any register back into itself."""
        if self._loop is None:
            self._loop = (None, ())
            starts = [self.acc] if self.acc in self.registers else [] if self.acc is not None else sorted(self.registers)
            for start in starts:
                _, (value, end), pred = self.longest(start=start)
                if value is not None and (self._loop[0] is None or value > self._loop[0]):
                    self._loop = (value, self.path(pred, end))
        return self._loop


def _graph_of(dp: Datapath) -> _Graph:
    lib = dp.library
    delays, registers = {}, set()
    for comp in dp.components.values():
        delays[comp.name] = (comp.primitive, lib.delay(comp.primitive, *comp.params.values()))
        if is_register(comp.primitive, comp.category):
            registers.add(comp.name)
    inputs = {p for p, (direction, _) in dp.ports.items() if direction == "in"}
    outputs = {p for p, (direction, _) in dp.ports.items() if direction == "out"}
    accs = [s.src for s in dp.signals if s.name == FEEDBACK]
    return _Graph(delays, registers, inputs, outputs, [(s.src, s.dst) for s in dp.signals],
                  accs[0] if accs else None)


def timing(dp: Datapath) -> Timing:
    """The critical path and the accumulation loop of a wired datapath (a Datapath, not a
    CostSheet, which keeps no signals)."""
    if not dp.wired:
        raise TypeError("timing: a CostSheet keeps no signals (sweeps time their stages with TimedSheet)")
    g = _graph_of(dp)
    if g.missing:
        return Timing(missing=g.missing)
    _, (value, end), pred = g.longest()
    loop, loop_path = g.loop()
    return Timing(value, g.path(pred, end) if end is not None else (), loop, loop_path)


class TimedSheet(CostSheet):
    """A CostSheet that also keeps what timing needs of a stage: its components' names,
    primitives, categories and delays, its ports and, when ``wired``, its signals as
    (source, destination) pairs. ``units``: (primitive, parameters) -> (cost, delay),
    shared by the sheets of a sweep.

    A sweep builds each stage unwired (fast, as a CostSheet) and looks its topology up by
    :meth:`structure` (the components' names in order, and the ports) with what the stage
    reads from the stages before (:func:`input_names`); only a structure not seen before
    is built again wired, for :meth:`shape`. So the sweep takes a stage's signals to
    follow from those: tests/test_delay.py checks the sweep's delays against
    :func:`timing` on whole datapaths."""

    def __init__(self, library=None, name: str = "sheet", units: dict | None = None, wired: bool = False):
        super().__init__(library, name)
        self._timed_units = {} if units is None else units
        self._ports: dict = {}
        if wired:
            self.wired = True
            self._kinds: dict = {}  # name -> (primitive, category)
            self._edges: list = []
            self._acc = None

    def add(self, name, primitive, *, category, note="", count=1, attrs=None, **params):
        key = (primitive, *params.items())
        try:
            cost, delay = self._timed_units[key]
        except KeyError:
            cost, delay = self._timed_units[key] = (self.library.cost(primitive, **params),
                                                    self.library.delay(primitive, **params))
        self.total += count * cost
        self.components[name] = delay  # (a CostSheet keeps None; builders only ask what is in it)
        if self.wired:
            self._kinds[name] = (primitive, category)
        return None

    def connect(self, src, dst, width, name="", **where):
        if self.wired:
            self._edges.append((src, dst))
            if name == FEEDBACK and self._acc is None:
                self._acc = src
        return None

    def port(self, name, direction, width):
        self._ports[name] = direction
        return None

    def structure(self) -> tuple:
        """What identifies the stage's topology: its components' names and its ports, in order."""
        return (tuple(self.components), tuple(self._ports.items()))

    def shape(self) -> "_Shape":
        """The topology of a wired sheet."""
        flags = [is_register(*self._kinds[n]) for n in self.components]
        return _Shape(list(self.components), flags, self._ports, self._edges, self._acc)

    @property
    def delays(self) -> tuple:
        """Each component's delay, in the order of ``components``."""
        return tuple(self.components.values())


def stage_of(sheet: TimedSheet, stage, shapes: dict, inputs: tuple = ()) -> tuple:
    """A sweep's cached stage from its unwired ``sheet``: (its shape, its delays, whether
    one is unknown). The shape of its structure and ``inputs`` (what it takes from the
    stages before: :func:`input_names`) comes from ``shapes`` (shared by the sweep), made
    once by building ``stage`` = (build, args) again on a wired TimedSheet."""
    key = (sheet.structure(), inputs)
    shape = shapes.get(key)
    delays = sheet.delays
    hit = _DELAYS.get(delays)  # one tuple for the many stages with the same delays
    if hit is None:
        if len(_DELAYS) >= MAX_DELAY_TUPLES:
            _DELAYS.clear()
        hit = _DELAYS[delays] = (delays, None in delays)
    if shape is None:
        build, args = stage
        wired = TimedSheet(sheet.library, units=sheet._timed_units, wired=True)
        build(wired, *args)
        if wired.structure() != key[0]:  # (the builders place the same components wired or not)
            return wired.shape(), wired.delays, None in wired.delays
        shape = shapes[key] = wired.shape()
    return shape, *hit


MAX_DELAY_TUPLES = 100_000  # distinct stage delays kept shared (then the table starts again)
_DELAYS: dict = {}


def input_names(arg) -> tuple:
    """What a stage's first argument says about its wiring, widths aside: a record's text
    and true/false fields (for a Product: the node names it reads, its encoding and
    specials, whether a carry-in is due). A number format (the multiplier stage's) gives
    nothing: what it changes in a stage, it changes in the stage's components (and its
    text fields are its names)."""
    get = _GETTERS.get(type(arg))
    if get is None:
        fields = () if isinstance(arg, Format) else getattr(arg, "__dataclass_fields__", ())
        names = [f for f in fields if isinstance(getattr(arg, f), (str, bool))]
        get = _GETTERS[type(arg)] = attrgetter(*names) if names else _nothing
    return get(arg)


def _nothing(arg) -> tuple:
    return ()


_GETTERS: dict = {}  # a record's type -> the getter of its text and true/false fields


_NONE = -(10 ** 40)  # "not reached" inside a shape's pass: below any sum of delays


class _Shape:
    """A stage's topology, made once per structure, as one straight-line function of the
    delays ``d`` (a tuple, one per component) and the foreign sources' arrivals ``g``:
    each component's output arrival in topological order (registers cut), the longest
    path ending in the stage, and, with the accumulator in it, the accumulation loop.
    The function's text is written from the topology's integer indices only (no name,
    formula or other input text enters it) and compiled once; a pass is then a few
    microseconds, where a loop over the graph would cost more than the sweep's costing."""

    def __init__(self, names, flags, ports, edges, acc):
        index = {n: i for i, n in enumerate(names)}
        inputs = {p for p, d in ports.items() if d == "in"}
        outputs = [p for p, d in ports.items() if d == "out"]
        registers = {n for n, f in zip(names, flags) if f}
        own = set(index) | inputs | set(outputs)
        preds = _predecessors(edges, own)
        self.foreign = tuple(dict.fromkeys(u for ps in preds.values() for u in ps if u not in own))
        self.index, self.inputs = index, inputs
        self.acc = index.get(acc) if acc in registers else None
        where = {u: f"g[{i}]" for i, u in enumerate(self.foreign)}
        # topological order of the components over the edges that do not leave a register
        order = _cut_order(names, preds, index, registers)

        def term(u, loop):
            if u in registers:
                return "0" if not loop or u == acc else None
            if u in inputs or u not in index:
                return None if loop else where.get(u, "0")
            return f"{'l' if loop else 'o'}{index[u]}"

        def arrival(v, loop):
            terms = list(dict.fromkeys(t for t in (term(u, loop) for u in preds.get(v, ())) if t is not None))
            if not terms:
                return "_NONE" if loop or preds.get(v) else "0"
            return terms[0] if len(terms) == 1 else f"max({', '.join(terms)})"

        lines, ends = ["def _pass(d, g):"], []
        for v in order:
            i = index[v]
            if v in registers:
                lines.append(f"    o{i} = 0")
                ends.append(f"{arrival(v, False)} + d[{i}]")
            else:
                lines.append(f"    o{i} = {arrival(v, False)} + d[{i}]")
        ends += [arrival(p, False) for p in outputs if preds.get(p)]
        loop = "None"
        if self.acc is not None:
            for v in order:
                if v not in registers:
                    lines.append(f"    l{index[v]} = {arrival(v, True)} + d[{index[v]}]")
            lines.append(f"    loop = {arrival(acc, True)} + d[{self.acc}]")
            loop = "loop if loop >= 0 else None"
        best = "None" if not ends else ends[0] if len(ends) == 1 else f"max({', '.join(ends)})"
        lines.append(f"    return [{', '.join(f'o{i}' for i in range(len(names)))}], {best}, {loop}")
        text = "\n".join(lines)
        run = _PASSES.get(text)
        if run is None:
            scope = {"_NONE": _NONE}
            exec(compile(text, "<macgates.datapath.timing shape>", "exec"), scope)
            run = _PASSES[text] = scope["_pass"]
        self.run = run
        self.results: dict = {}  # (delays, foreign arrivals) -> what run gives


_PASSES: dict = {}  # a pass's text -> the compiled pass (shapes of many stages are alike)


def compose(stages, plans: dict | None = None) -> tuple:
    """(delay, loop delay) of a configuration made of these stages (:func:`stage_of`), in
    build order: the same longest paths :func:`timing` finds on the whole datapath (None:
    unknown; a loop of None: none). A source a stage takes from the stages before arrives
    as it does there (one not placed by any: at 0). ``plans`` caches, per sequence of
    shapes, where each stage's foreign sources are."""
    for st in stages:
        if st[2]:
            return None, None
    shapes = tuple(st[0] for st in stages)
    plan = None if plans is None else plans.get(shapes)
    if plan is None:
        plan = _plan(shapes)
        if plans is not None:
            plans[shapes] = plan
    outs: list = []
    best = loop = None
    for (shape, delays, _), refs in zip(stages, plan):
        key = (delays, tuple(outs[p][i] if p >= 0 else 0 for p, i in refs) if refs else ())
        hit = shape.results.get(key)  # (stages of other configurations often have the same delays)
        if hit is None:
            hit = shape.results[key] = shape.run(*key)
        out, value, stage_loop = hit
        outs.append(out)
        if value is not None and (best is None or value > best):
            best = value
        if stage_loop is not None:
            loop = stage_loop
    return best, loop


def _plan(shapes) -> tuple:
    """For each shape, where its foreign sources are: (the earlier stage, the index) or
    (-1, 0) for one no earlier stage placed (an input port: arrival 0)."""
    plan = []
    for n, shape in enumerate(shapes):
        refs = []
        for name in shape.foreign:
            found = (-1, 0)
            for p in range(n - 1, -1, -1):
                i = shapes[p].index.get(name)
                if i is not None:
                    found = (p, i)
                    break
            refs.append(found)
        plan.append(tuple(refs))
    return tuple(plan)


__all__ = ["FEEDBACK", "area_delay", "input_names", "stage_of", "TimedSheet", "Timing", "UNKNOWN", "compose", "is_register", "timing"]
