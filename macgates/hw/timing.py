"""Static timing of a netlist mapped to a liberty file: an NLDM engine, vectorized.

:func:`timing` takes a :class:`macgates.hw.synth.Synthesis` made with a liberty file and
gives a :class:`Timing`: the minimum clock period (the critical path, with the cells and
the datapath components it passes through), the accumulation loop (the longest path from
an accumulator-register flip-flop back to one) and the longest of the other paths, and
fmax. :func:`analyze` does the same on one module of a Yosys JSON netlist and a
:class:`macgates.hw.liberty.Liberty`; :func:`timing_columns` is the few numbers a table
row shows.

The rules (docs/timing.md), chosen to be OpenSTA's with the constraints of
``sdc_text`` (one ideal clock on ``clk``, input and output delays of 0):

* every net has a rise and a fall arrival and slew; an arc's delay and output slew are its
  ``cell_rise``/``cell_fall`` and ``rise_transition``/``fall_transition`` tables looked up
  at the input pin's slew and the net's load, bilinearly interpolated and linearly
  extrapolated; ``positive_unate`` arcs take a rising input to a rising output,
  ``negative_unate`` a rising input to a falling one, ``non_unate`` both;
* at a pin the arrival is the latest over its arcs and the slew the largest (each per edge);
* load = the input pins' capacitances on the net + ``wire_pf`` per fanout pin (default 0:
  no wire-load model, which is what OpenSTA does when none is set); output ports load 0;
* primary inputs arrive at 0 with slew 0 (OpenSTA without ``set_input_transition``); the
  clock is ideal: every flip-flop's clock pin rises at 0 with slew 0, its outputs launch
  through its ``rising_edge`` arcs, and a data pin is checked with its ``setup_rising``
  tables (data slew, clock slew 0): a path needs ``arrival + setup`` of the period, a path
  to an output port its arrival;
* one corner (the library's), no clock skew, no wires beyond the rule above, no
  constant propagation, no false paths; hold, recovery and removal are not checked.

The whole netlist is levelized once (topological order) and each level's arcs are looked
up together with numpy; delays are computed once and the arrivals propagated from the
accumulator's flip-flops and from everything else separately, which gives the loop and
the other paths without another pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from ..support.errors import MacgatesError

RISE, FALL = 0, 1
EDGES = ("rise", "fall")
_SLEW_VARS = ("input_net_transition", "constrained_pin_transition")  # the first axis we feed
_LOAD_VARS = ("total_output_net_capacitance", "related_pin_transition")  # the second
_SENSES = {"positive_unate": 0, "negative_unate": 1, "non_unate": 2}
NEG = -np.inf


class TimingError(MacgatesError):
    """A netlist that cannot be timed (no liberty cells, a cell the library lacks, a loop)."""


@dataclass(frozen=True)
class Step:
    """One pin on a path: the cell (or port), its pin, the edge there, the arrival (ns), and
    the datapath component it is attributed to (None for a top-level input)."""

    cell: str
    pin: str
    edge: str
    arrival: float
    component: str | None


@dataclass(frozen=True)
class Path:
    """A timing path: from ``start`` (a flip-flop's clock pin or an input port) to ``end``
    (a flip-flop's data pin or an output port); ``arrival`` at the end (ns, clock-to-Q
    included), ``setup`` there (0 at an output port), ``delay`` = arrival + setup: the
    clock period the path needs."""

    start: str
    end: str
    arrival: float
    setup: float
    steps: tuple
    components: tuple = ()  # the datapath components on its route (:func:`timing`)

    @property
    def delay(self) -> float:
        return self.arrival + self.setup


@dataclass(frozen=True)
class Timing:
    """Static timing of one netlist: ``critical`` (the path that sets the minimum period),
    ``loop`` (the longest accumulator-register to accumulator-register path, None without
    an accumulator register), ``rest`` (the longest other path, None if there is none)."""

    critical: Path
    loop: Path | None
    rest: Path | None
    wire_pf: float = 0.0

    @property
    def period_ns(self) -> float:
        return self.critical.delay

    critical_ns = period_ns

    @property
    def loop_ns(self) -> float | None:
        return None if self.loop is None else self.loop.delay

    @property
    def rest_ns(self) -> float | None:
        return None if self.rest is None else self.rest.delay

    @property
    def fmax_mhz(self) -> float:
        return 1000.0 / self.period_ns

    @property
    def components(self) -> tuple:
        return self.critical.components


# -- tables, looked up many at a time --------------------------------------------------------
class _Tables:
    """Every NLDM table used, padded into arrays: axis a (slew-like) and b (load-like)."""

    def __init__(self):
        self.ids: dict = {}
        self.tables: list = []

    def add(self, table) -> int:
        if table is None:
            return -1
        key = id(table)
        if key not in self.ids:
            self.ids[key] = len(self.tables)
            self.tables.append(table)
        return self.ids[key]

    def freeze(self) -> None:
        canon = [_canonical(t) for t in self.tables] or [((0.0, 1.0), (0.0, 1.0), ((0.0, 0.0), (0.0, 0.0)))]
        na = max(len(a) for a, _, _ in canon)
        nb = max(len(b) for _, b, _ in canon)
        n = len(canon)
        self.a = np.full((n, na), np.inf)
        self.b = np.full((n, nb), np.inf)
        self.na = np.array([len(a) for a, _, _ in canon])
        self.nb = np.array([len(b) for _, b, _ in canon])
        self.v = np.zeros((n, na, nb))
        for t, (a, b, v) in enumerate(canon):
            self.a[t, :len(a)] = a
            self.b[t, :len(b)] = b
            self.v[t, :len(a), :len(b)] = v
        # the inner breakpoints a value is compared with to find its segment
        self.a_inner = self.a.copy()
        self.b_inner = self.b.copy()
        for t in range(n):
            self.a_inner[t, self.na[t] - 1:] = np.inf
            self.b_inner[t, self.nb[t] - 1:] = np.inf
        self.a_inner[:, 0] = np.inf
        self.b_inner[:, 0] = np.inf

    def lookup(self, tid, a, b):
        """Table ``tid[i]`` at (a[i], b[i]): bilinear inside, linear beyond (as
        :meth:`macgates.hw.liberty.Table.lookup`); NaN where tid is -1."""
        t = np.maximum(tid, 0)
        i = np.sum(a[:, None] > self.a_inner[t], axis=1)
        j = np.sum(b[:, None] > self.b_inner[t], axis=1)
        a0, a1 = self.a[t, i], self.a[t, i + 1]
        b0, b1 = self.b[t, j], self.b[t, j + 1]
        fa = (a - a0) / (a1 - a0)
        fb = (b - b0) / (b1 - b0)
        v00, v01 = self.v[t, i, j], self.v[t, i, j + 1]
        v10, v11 = self.v[t, i + 1, j], self.v[t, i + 1, j + 1]
        lo = v00 + (v01 - v00) * fb
        hi = v10 + (v11 - v10) * fb
        return np.where(tid >= 0, lo + (hi - lo) * fa, np.nan)


def _canonical(table):
    """A table as (axis a, axis b, values[a][b]), a being its slew (or constrained-pin
    transition) axis; a missing or one-point axis becomes two equal points (slope 0)."""
    def widen(index):
        return tuple(index) if len(index) >= 2 else ((index[0] if index else 0.0), (index[0] if index else 0.0) + 1.0)

    idx1, idx2 = table.index_1, table.index_2
    values = np.array(table.values, dtype=float)
    if not idx2:
        values = values.reshape(len(idx1), 1)
    first_is_a = table.variable_1 in _SLEW_VARS or (table.variable_1 not in _LOAD_VARS and table.variable_2 in _LOAD_VARS)
    if not first_is_a:
        idx1, idx2, values = idx2, idx1, values.T
    if len(idx1) < 2:
        values = np.repeat(values[:1, :], 2, axis=0)
    if len(idx2) < 2:
        values = np.repeat(values[:, :1], 2, axis=1)
    return widen(idx1), widen(idx2), values


# -- the netlist as arrays ------------------------------------------------------------------
class _Graph:
    pass


def _build(module: dict, lib, clock: str, wire_pf: float, input_slew_ns: float = 0.0,
           output_pf: float = 0.0) -> _Graph:
    cells_lib = lib.cells
    ports = module.get("ports", {})
    net_of: dict = {}
    names: list = []  # a net's name for messages: a port bit, else the bit id

    def net(bit):
        if isinstance(bit, str):  # "0", "1", "x": constants carry no timing
            return -1
        if bit not in net_of:
            net_of[bit] = len(names)
            names.append(str(bit))
        return net_of[bit]

    inputs, outputs = [], []
    for pname, port in ports.items():
        bits = port.get("bits", [])
        for i, bit in enumerate(bits):
            n = net(bit)
            if n < 0:
                continue
            label = pname if len(bits) == 1 else f"{pname}[{i}]"
            names[n] = label
            if port.get("direction") == "input" and pname != clock:
                inputs.append((n, label))
            elif port.get("direction") == "output":
                outputs.append((n, label))
    tables = _Tables()
    fanout = []  # (net, capacitance)
    arcs = []  # (cell index, out pin, in net, out net, sense, cr, cf, rt, ft)
    flops = []  # (cell index, clk->q arcs [(out net, cr, cf, rt, ft)], checks [(d net, rise id, fall id, pin)])
    cell_names, cell_types = [], []
    for cname, cell in module.get("cells", {}).items():
        kind = cell.get("type", "")
        if kind not in cells_lib:
            raise TimingError(f"timing: cell {cname} has type {kind}, which the liberty file "
                              f"{lib.path} does not have")
        lc = cells_lib[kind]
        ci = len(cell_names)
        cell_names.append(cname)
        cell_types.append(kind)
        conn = {p: (bits[0] if bits else "x") for p, bits in cell.get("connections", {}).items()}
        for pin_name, bit in conn.items():
            pin = lc.pins.get(pin_name)
            if pin is not None and pin.direction in ("input", "inout") and net(bit) >= 0:
                fanout.append((net(bit), pin.capacitance + wire_pf / lib.capacitance_unit))
        launches, checks = [], []
        for out in lc.pins.values():
            if out.direction not in ("output", "inout") or out.name not in conn:
                continue
            on = net(conn[out.name])
            for arc in out.arcs:
                ids = tuple(tables.add(t) for t in (arc.cell_rise, arc.cell_fall, arc.rise_transition,
                                                     arc.fall_transition))
                if arc.kind in ("combinational", ""):
                    inn = net(conn.get(arc.related_pin, "x"))
                    if on >= 0 and inn >= 0:
                        arcs.append((ci, out.name, inn, on, _SENSES.get(arc.sense, 2)) + ids)
                elif arc.kind == "rising_edge" and on >= 0:
                    launches.append((on, out.name) + ids)
        for pin in lc.pins.values():
            if pin.direction not in ("input", "inout") or pin.name not in conn:
                continue
            for arc in pin.arcs:
                if arc.kind == "setup_rising" and net(conn[pin.name]) >= 0:
                    checks.append((net(conn[pin.name]), tables.add(arc.rise_constraint),
                                   tables.add(arc.fall_constraint), pin.name))
        if lc.sequential:
            if lc.latch or any(a.kind == "falling_edge" for p in lc.pins.values() for a in p.arcs):
                raise TimingError(f"timing: cell {cname} ({kind}) is a latch or a falling-edge flip-flop: "
                                  "only rising-edge flip-flops are timed")
            clk_pins = [p for p in lc.pins.values() if p.clock]
            if clk_pins and net(conn.get(clk_pins[0].name, "x")) >= 0 and \
                    names[net(conn[clk_pins[0].name])] != clock:
                raise TimingError(f"timing: flip-flop {cname}'s clock is not the port {clock!r}")
            flops.append((ci, launches, checks, clk_pins[0].name if clk_pins else "CLK"))
    g = _Graph()
    g.tables = tables
    tables.freeze()
    g.names, g.net_of = names, net_of
    g.n = len(names)
    g.cell_names, g.cell_types = cell_names, cell_types
    g.inputs, g.outputs, g.flops = inputs, outputs, flops
    g.load = np.zeros(g.n)
    if fanout:
        np.add.at(g.load, np.array([f[0] for f in fanout]), np.array([f[1] for f in fanout]))
    for n, _ in outputs:
        g.load[n] += output_pf / lib.capacitance_unit
    g.time_unit = lib.time_unit
    g.input_slew = input_slew_ns / lib.time_unit
    a = np.array(arcs, dtype=object).reshape(-1, 9)
    g.arc_cell = a[:, 0].astype(np.int64)
    g.arc_pin = list(a[:, 1])
    g.arc_in = a[:, 2].astype(np.int64)
    g.arc_out = a[:, 3].astype(np.int64)
    g.arc_sense = a[:, 4].astype(np.int64)
    g.arc_tid = a[:, 5:9].astype(np.int64)  # cell_rise, cell_fall, rise_transition, fall_transition
    g.levels = _levelize(g)
    return g


def _levelize(g) -> list:
    """The arcs in groups: each group's inputs are all driven by earlier groups (or are
    sources). Raises TimingError on a combinational loop."""
    n_arcs = len(g.arc_out)
    driven = np.zeros(g.n, dtype=bool)
    driven[g.arc_out] = True
    # a cell's outputs all wait for all of its inputs: group arcs by their output net
    level = np.zeros(g.n, dtype=np.int64)
    order = np.argsort(g.arc_out, kind="stable")
    outs, first = np.unique(g.arc_out[order], return_index=True)
    ins_of = np.split(g.arc_in[order], first[1:]) if n_arcs else []
    pending = {int(o): set(int(i) for i in ins) for o, ins in zip(outs, ins_of)}
    users: dict = {}
    for o, ins in pending.items():
        for i in ins:
            users.setdefault(i, []).append(o)
    waiting = {o: sum(1 for i in ins if driven[i]) for o, ins in pending.items()}
    ready = [o for o, w in waiting.items() if w == 0]
    done = 0
    while ready:
        nxt = []
        for o in ready:
            done += 1
            level[o] = 1 + max((level[i] for i in pending[o]), default=0)
            for u in users.get(o, ()):
                waiting[u] -= 1
                if waiting[u] == 0:
                    nxt.append(u)
        ready = nxt
    if done != len(pending):
        raise TimingError(f"timing: a combinational loop through {len(pending) - done} nets")
    arc_level = level[g.arc_out]
    order = np.argsort(arc_level, kind="stable")
    bounds = np.searchsorted(arc_level[order], np.arange(1, (arc_level.max() if n_arcs else 0) + 2))
    return [order[bounds[k]:bounds[k + 1]] for k in range(len(bounds) - 1)]


# -- propagation ----------------------------------------------------------------------------
def _propagate(g, acc_flops: set):
    """Slews, arc delays and the arrivals from the accumulator's flip-flops (set 0) and
    from every other start point (set 1), each with the arc that set it."""
    slew = np.zeros((g.n, 2))
    arr = np.full((2, g.n, 2), NEG)
    pred = np.full((2, g.n, 2, 2), -1, dtype=np.int64)  # (set, net, edge) -> (arc, input edge)
    start = {}  # (set, net) -> start point's description, for sources
    for n, label in g.inputs:
        arr[1, n, :] = 0.0
        slew[n, :] = g.input_slew
        start[n] = (label, None)
    # flip-flops launch at the clock's rising edge (ideal: at 0, slew 0)
    for ci, launches, _, clk in g.flops:
        s = 0 if ci in acc_flops else 1
        for on, _pin, cr, cf, rt, ft in launches:
            ids = np.array([cr, cf, rt, ft])
            vals = g.tables.lookup(ids, np.zeros(4), np.full(4, g.load[on]))  # slews: the library's unit
            for e in (RISE, FALL):
                if not np.isnan(vals[e]) and vals[e] * g.time_unit > arr[s, on, e]:
                    arr[s, on, e] = vals[e] * g.time_unit
                if not np.isnan(vals[2 + e]):
                    slew[on, e] = max(slew[on, e], vals[2 + e])
            start[on] = (f"{g.cell_names[ci]}/{clk}", ci)
    delay = np.full((len(g.arc_out), 2, 2), np.nan)  # (arc, input edge, output edge)
    for group in g.levels:
        inn, out, sense = g.arc_in[group], g.arc_out[group], g.arc_sense[group]
        load = g.load[out]
        for oe in (RISE, FALL):
            for ie in (RISE, FALL):
                same = ie == oe
                ok = (sense == 2) | ((sense == 0) if same else (sense == 1))
                if not ok.any():
                    continue
                sel = group[ok]
                d = g.tables.lookup(g.arc_tid[sel, oe], slew[inn[ok], ie], load[ok]) * g.time_unit
                t = g.tables.lookup(g.arc_tid[sel, 2 + oe], slew[inn[ok], ie], load[ok])
                delay[sel, ie, oe] = d
                good = ~np.isnan(t)
                np.maximum.at(slew[:, oe], out[ok][good], t[good])
        for s in (0, 1):
            for oe in (RISE, FALL):
                for ie in (RISE, FALL):
                    d = delay[group, ie, oe]
                    cand = arr[s, inn, ie] + d
                    live = ~np.isnan(d) & np.isfinite(cand)
                    if not live.any():
                        continue
                    o, c = out[live], cand[live]
                    np.maximum.at(arr[s, :, oe], o, c)
                    win = c >= arr[s, o, oe]
                    pred[s, o[win], oe, 0] = group[live][win]
                    pred[s, o[win], oe, 1] = ie
    return slew, arr, pred, start


def analyze(module: dict, liberty, labels: dict | None = None, clock: str = "clk",
            accumulator: str | None = "acc_reg", wire_pf: float = 0.0, input_slew_ns: float = 0.0,
            output_pf: float = 0.0) -> Timing:
    """Static timing of one Yosys JSON ``module`` (``{"ports", "cells"}``) mapped to
    ``liberty`` (a :class:`macgates.hw.liberty.Liberty`). ``labels`` maps a net's bit id to
    the datapath component it belongs to (see :func:`component_labels`); the flip-flops
    whose outputs are labelled ``accumulator`` are the accumulator register. ``wire_pf``:
    wire capacitance added per fanout pin, in pF. ``input_slew_ns``: the slew of every input
    port (default 0, OpenSTA's without ``set_input_transition``); ``output_pf``: the load on
    every output port (default 0, OpenSTA's without ``set_load``)."""
    g = _build(module, liberty, clock, wire_pf, input_slew_ns, output_pf)
    labels = labels or {}
    comp_of_net = {n: labels.get(bit) for bit, n in g.net_of.items()}
    acc_flops = set()
    for ci, launches, _, _ in g.flops:
        if accumulator is not None and any(comp_of_net.get(on) == accumulator for on, *_ in launches):
            acc_flops.add(ci)
    slew, arr, pred, start = _propagate(g, acc_flops)
    # end points: (set, description, net, setup per edge, is the accumulator's)
    ends = [(f"{g.cell_names[ci]}/{pin}", dn, setup, ci in acc_flops, ci, pin)
            for ci, dn, pin, setup in _setups(g, slew)]
    for n, label in g.outputs:
        ends.append((label, n, np.zeros(2), False, None, label))
    if not ends:
        raise TimingError("timing: no flip-flop data pin and no output port: nothing to time")

    def worst(keep):
        best = None
        for s in (0, 1):
            for end, n, setup, is_acc, ci, pin in ends:
                if not keep(s, is_acc):
                    continue
                for e in (RISE, FALL):
                    if np.isfinite(arr[s, n, e]):
                        total = arr[s, n, e] + setup[e]
                        if best is None or total > best[0] + 1e-15:
                            best = (total, s, end, n, e, setup[e], ci, pin)
        return None if best is None else _path(g, arr, pred, start, comp_of_net, best)

    critical = worst(lambda s, a: True)
    if critical is None:
        raise TimingError("timing: no path from an input port or a flip-flop reaches an end point")
    loop = worst(lambda s, a: s == 0 and a) if acc_flops else None
    rest = worst(lambda s, a: not (s == 0 and a))
    return Timing(critical, loop, rest, wire_pf)


def _setups(g, slew) -> list:
    """Each flip-flop data pin's setup check: (cell index, data net, pin, setup per edge in
    ns), from its ``setup_rising`` tables at the data pin's slew and clock slew 0."""
    out = []
    for ci, _, checks, _ in g.flops:
        for dn, rid, fid, pin in checks:
            c = g.tables.lookup(np.array([rid, fid]), slew[dn], np.zeros(2)) * g.time_unit
            out.append((ci, dn, pin, np.nan_to_num(c, nan=0.0)))
    return out


def component_delay(module: dict, liberty, input_slew_ns: float = 0.0, output_pf: float = 0.0,
                    clock: str = "clk") -> float:
    """One component's delay as the model counts it (ns), from its own module mapped to
    ``liberty``: without flip-flops, the longest path from an input port to an output port;
    with them, the longer of that and (the longest path out of its flip-flops: clock-to-output
    and on) + (the longest path into them: setup included), which for a register is one
    flip-flop's clock-to-output + setup. Input ports switch with ``input_slew_ns``, output
    ports drive ``output_pf`` (see :mod:`macgates.hw.calibrate` for the rule it uses)."""
    g = _build(module, liberty, clock, 0.0, input_slew_ns, output_pf)
    flops = {ci for ci, *_ in g.flops}
    slew, arr, _, _ = _propagate(g, flops)  # set 0: from the flip-flops; set 1: from the inputs

    def latest(s, nets, setups=None):
        best = 0.0
        for i, n in enumerate(nets):
            for e in (RISE, FALL):
                if np.isfinite(arr[s, n, e]):
                    best = max(best, arr[s, n, e] + (0.0 if setups is None else setups[i][e]))
        return best
    outs = [n for n, _ in g.outputs]
    through = latest(1, outs)
    if not flops:
        return through
    checked = _setups(g, slew)
    d_nets, setups = [dn for _, dn, _, _ in checked], [setup for *_, setup in checked]
    out_of = max(latest(0, outs), latest(0, d_nets, setups))
    return max(through, out_of + latest(1, d_nets, setups))


def _path(g, arr, pred, start, comp_of_net, best) -> Path:
    total, s, end, n, e, setup, ci, pin = best
    steps = []
    if ci is not None:
        steps.append((g.cell_names[ci], pin, e, float(arr[s, n, e]), n))
    else:
        steps.append((end, "", e, float(arr[s, n, e]), n))
    net, edge = n, e
    while pred[s, net, edge, 0] >= 0:
        arc, ie = pred[s, net, edge]
        steps.append((g.cell_names[g.arc_cell[arc]], g.arc_pin[arc], edge, float(arr[s, net, edge]), net))
        net, edge = int(g.arc_in[arc]), int(ie)
    label, fci = start.get(net, (g.names[net], None))
    if fci is not None:
        q = next(p for on, p, *_ in next(f for f in g.flops if f[0] == fci)[1] if on == net)
        steps.append((g.cell_names[fci], q, edge, float(arr[s, net, edge]), net))
        steps.append((g.cell_names[fci], label.rsplit("/", 1)[1], RISE, 0.0, net))
    else:
        steps.append((label, "", edge, 0.0, None))
    steps.reverse()
    # components: a pin's net's label (a flip-flop's pins: its output's)
    comps = [comp_of_net.get(nn) if nn is not None else None for *_, nn in steps]
    if ci is not None:
        q_nets = [on for on, *_ in next(f for f in g.flops if f[0] == ci)[1]]
        comps[-1] = next((comp_of_net.get(q) for q in q_nets if comp_of_net.get(q)), None)
    out = tuple(Step(c, p, EDGES[ed], a, comp) for (c, p, ed, a, _), comp in zip(steps, comps))
    return Path(out[0].cell if fci is None else f"{out[0].cell}/{out[0].pin}",
                end, float(arr[s, n, e]), float(setup), out)


# -- the datapath's names in the netlist ----------------------------------------------------
_INPUT = re.compile(r"\binput\b(?:\s+(?:wire|signed))*\s*(?:\[[^\]]*\]\s*)?(\w+)")
_PWIRE = re.compile(r"^\s*wire\s+(?:signed\s+)?(?:\[[^\]]*\]\s*)?(p_\w+)\s*=\s*(.*);", re.M)
_INSTANCE = re.compile(r"^\s*\w+\s+(u_\w+)\s*\((.*)\);", re.M)
_IDENT = re.compile(r"[A-Za-z_]\w*")


def _component_of(rtl):
    """A function from an RTL token (``acc_add``, or a lane's ``acc_add_3``) to its component."""
    from .rtl import ident

    comps = {ident(name): name for name in rtl.instances}

    def component(token: str):
        if token in comps:
            return comps[token]
        base, _, lane = token.rpartition("_")
        return comps.get(base) if lane.isdigit() else None
    return component


def component_labels(module: dict, rtl) -> dict:
    """Net bit id -> datapath component, from the names that survive flattening: a bit of
    the top module's ``c_<component>`` wire (a component's output) is that component's; a
    bit of a wire inside ``u_<component>`` (Yosys' ``hdlname``) that is not one of its
    module's inputs (or their ``_v`` copies) is that component's; a bit of a top-level
    input is no component's. After ABC only the nets that leave the combinational logic
    keep their names: in practice the flip-flops' outputs (the registers)."""
    if rtl is None:
        return {}
    component = _component_of(rtl)
    inputs_of = {}
    for name, (module_name, _) in rtl.instances.items():
        text = rtl.modules.get(module_name, "")
        header = text[text.find("module"):text.find(");")]
        inputs_of[name] = set(_INPUT.findall(header))
    top_inputs = {b for p in module.get("ports", {}).values() if p.get("direction") == "input"
                  for b in p.get("bits", [])}
    outputs, inner = {}, {}
    for net_name, info in module.get("netnames", {}).items():
        hdl = info.get("attributes", {}).get("hdlname", "").split()
        bits = [b for b in info.get("bits", []) if not isinstance(b, str)]
        if not hdl and net_name.startswith("c_"):
            comp = component(net_name[2:])
            for b in bits if comp is not None else ():
                outputs.setdefault(b, comp)
        elif len(hdl) == 2 and hdl[0].startswith("u_"):
            comp, wire = component(hdl[0][2:]), hdl[1]
            if comp is None or wire in inputs_of[comp] or wire.removesuffix("_v") in inputs_of[comp]:
                continue
            for b in bits:
                if b not in top_inputs:
                    inner.setdefault(b, comp)
    return {**inner, **outputs}


def component_graph(rtl) -> dict:
    """The datapath's wiring as the top module of the RTL has it: component (or top-level
    input port) -> the components its output feeds."""
    component = _component_of(rtl)
    top = rtl.modules.get(rtl.top, "")
    inputs = set(_INPUT.findall(top[top.find("module"):top.find(");")]))
    pwires = {name: expr for name, expr in _PWIRE.findall(top)}

    def sources(expr, seen=()):
        for token in _IDENT.findall(expr):
            if token in pwires and token not in seen:
                yield from sources(pwires[token], seen + (token,))
            elif token.startswith("c_") and component(token[2:]) is not None:
                yield component(token[2:])
            elif token in inputs:
                yield token
    edges: dict = {}
    for inst, conns in _INSTANCE.findall(top):
        comp = component(inst[2:])
        if comp is None:
            continue
        for src in sources(conns):
            if src != "clk":
                edges.setdefault(src, set()).add(comp)
    return edges


def route(edges: dict, order: list, start: str, end: str, registers: set) -> tuple:
    """The components on the graph's routes from ``start`` to ``end`` that pass through no
    register in between (the registers are where timing paths start and end), in
    ``order``, ``start`` first and ``end`` last."""
    def reach(frm, step):
        seen, stack = set(), [frm]
        while stack:
            node = stack.pop()
            for nxt in step(node):
                if nxt not in seen:
                    seen.add(nxt)
                    if nxt not in registers:
                        stack.append(nxt)
        return seen
    back: dict = {}
    for src, dsts in edges.items():
        for d in dsts:
            back.setdefault(d, set()).add(src)
    between = reach(start, lambda n: edges.get(n, ())) & reach(end, lambda n: back.get(n, ()))
    middle = [c for c in order if c in between and c not in registers and c not in (start, end)]
    return tuple(dict.fromkeys([start] + middle + [end]))


def timing(synthesis, wire_pf: float = 0.0, clock: str = "clk", accumulator: str = "acc_reg") -> Timing:
    """Static timing of a :class:`macgates.hw.synth.Synthesis` made with a liberty file
    (``synthesize(dp, liberty=...)``): :func:`analyze` on its netlist. A path's
    ``components`` are those on the datapath's routes (:func:`component_graph`,
    :func:`route`) from the component (or input port) where it starts to the one where it
    ends: ABC maps the flattened logic as a whole, so only the registers' nets keep their
    names (:func:`component_labels`) and the cells between them are no component's."""
    if synthesis.json is None or synthesis.liberty is None:
        raise TimingError("timing: the synthesis has no liberty netlist (synthesize with liberty=...)")
    top = synthesis.rtl.top
    module = synthesis.json["modules"][top]
    labels = component_labels(module, synthesis.rtl)
    acc = accumulator if accumulator in synthesis.rtl.instances else None
    t = analyze(module, synthesis.liberty, labels, clock, acc, wire_pf)
    edges, order = component_graph(synthesis.rtl), list(synthesis.rtl.instances)
    registers = {labels[b] for b in _flop_outputs(module, synthesis.liberty) if b in labels}

    def named(path):
        if path is None:
            return None
        first, last = path.steps[0], path.steps[-1]
        start = first.component or first.cell.split("[")[0]
        end = last.component or last.cell.split("[")[0]
        return replace(path, components=route(edges, order, start, end, registers))
    return replace(t, critical=named(t.critical), loop=named(t.loop), rest=named(t.rest))


def _flop_outputs(module: dict, lib) -> list:
    """The bits the sequential cells drive."""
    out = []
    for cell in module.get("cells", {}).values():
        lc = lib.cells.get(cell.get("type"))
        if lc is not None and lc.sequential:
            out += [b for p, bits in cell.get("connections", {}).items()
                    if p in lc.pins and lc.pins[p].direction == "output" for b in bits]
    return out


def timing_columns(synthesis, wire_pf: float = 0.0) -> dict:
    """A table row's timing numbers for one synthesis: ``critical_ns`` (the minimum clock
    period), ``loop_ns`` (the accumulation loop's, None without an accumulator register),
    ``fmax_mhz``, and ``critical_path`` (its components joined by ``>``)."""
    t = timing(synthesis, wire_pf)
    return {"critical_ns": t.period_ns, "loop_ns": t.loop_ns, "fmax_mhz": t.fmax_mhz,
            "critical_path": ">".join(t.components)}


# -- the OpenSTA cross-check ----------------------------------------------------------------
def sdc_text(period_ns: float = 10.0, clock: str = "clk") -> str:
    """The constraints :func:`analyze` assumes, for OpenSTA: one ideal clock, input and
    output delays of 0 (inputs other than the clock)."""
    return (f"create_clock -name {clock} -period {period_ns:g} [get_ports {clock}]\n"
            f"set_input_delay 0 -clock {clock} [delete_from_list [all_inputs] [get_ports {clock}]]\n"
            f"set_output_delay 0 -clock {clock} [all_outputs]\n")


def sta_script(liberty_path: str, verilog_path: str, top: str, sdc_path: str) -> str:
    """An OpenSTA script that reports the worst path of the clock's path group."""
    return (f"read_liberty {liberty_path}\nread_verilog {verilog_path}\nlink_design {top}\n"
            f"source {sdc_path}\nreport_checks -path_delay max -path_group clk -digits 4\nexit\n")


_SLACK = re.compile(r"^\s*(-?[0-9.]+)\s+slack \((?:MET|VIOLATED)\)", re.M)
_ARRIVAL = re.compile(r"^\s+(-?[0-9.]+)\s+data arrival time", re.M)
_SETUP = re.compile(r"^\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s+library setup time", re.M)


def parse_report(text: str, period_ns: float) -> dict:
    """OpenSTA's ``report_checks`` output: ``arrival``, ``setup`` (0 at an output port),
    ``slack`` and ``period`` (the clock period the worst path needs: period - slack)."""
    slack, arrival = _SLACK.search(text), _ARRIVAL.search(text)
    if slack is None or arrival is None:
        raise TimingError("OpenSTA: no path in the report:\n" + text[-2000:])
    setup = _SETUP.search(text)
    return {"arrival": float(arrival.group(1)), "setup": -float(setup.group(1)) if setup else 0.0,
            "slack": float(slack.group(1)), "period": period_ns - float(slack.group(1))}
