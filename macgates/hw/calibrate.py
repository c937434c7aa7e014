"""A primitive library calibrated to logic synthesis.

:func:`measure` synthesizes every component of a set of datapaths on its own (its module
at the widths it is costed at, not flattened into its neighbours: no whole-MAC number
goes into a fit) and records, per primitive and parameter values, the synthesized gates
of one instance beside the model's. :func:`fit` keeps each measured primitive's App. B
formula (which widths it grows with) and weights the primitives it names: a full adder
inside ``pp_reduce`` becomes ``w * fa``, with ``w`` an exact rational fitted by least
squares to the measurements. Where those parts cannot be told apart, one factor and a
constant for the whole formula. Primitives are fitted leaves first, each against the
already calibrated primitives it names, so a composite (``max_tree`` calls
``comparator`` and ``mux``) corrects only what its parts do not. Each source names the
measurements and the worst error.

``macgates calibrate`` writes the result as a library file (same schema, extending the
library it started from); the bundled ``calibrated`` library was made by it
(``--library calibrated``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from ..support.counts import exact
from ..support.errors import MacgatesError

# the datapaths whose components are measured: formats of every width class, each into
# every accumulator, as scalar MACs and 4-term units (their components' widths span
# 1 to 64 bits), and the bundled designs' styles (Booth, two shifters, product pipe)
FORMATS = ["int4", "int8", "int12", "int16", "fp8_e2m5", "fp8_e3m4", "fp8_e4m3", "fp8_e5m2", "float8_e4m3fn",
           "float6_e2m3fn", "float4_e2m1fn", "bfloat16", "fp16", "mxfp4", "mxint8", "nvfp4"]
ACCUMULATORS = ["kulisch", "fp16", "bf16", "fp32"]
DESIGNS = ["booth_vs_array", "fp_accumulator_choices"]
# a calibration to a liberty file fits delays too, and each adder style's delay to what
# synthesis builds from it: these configs again with each prefix style in their
# accumulation loop (loop adders of 13 to 79 bits)
STYLE_CONFIGS = ["int4-kulisch", "int8-kulisch", "fp8_e4m3-kulisch", "fp8_e5m2-kulisch", "fp8_e4m3-fp16",
                 "int8-fp32", "bfloat16-fp32", "int8-kulisch-k4"]
MAX_DENOMINATOR = 32  # of a fitted slope factor; constants are whole gates
FITTED_PRECISION = 1  # decimals a calibrated library's figures are shown to (its stated precision)
BUNDLED_NAME = "macgates-calibrated"  # the bundled calibrated library's name; no other calibration's
NAMED_CONFIGS = 4  # a calibrated library's name lists this many of the configs it was fitted to
HOLD_EVERY = 4  # the held-out check leaves out every 4th parameter value (in sorted order)
SPAN = 2  # a constant is fitted only where the model's values span this factor (else a * F alone)
# a calibration to a liberty file fits um^2 and ns: its figures are decimals of this many
# significant digits (a fitted weight, a constant), not small-denominator rationals
SIGNIFICANT = 4
PHYSICAL_UNITS = {"cost": "um^2", "delay": "ns"}
BUNDLED_LIBERTY = {"osu018": "macgates-calibrated-osu018"}  # the bundled liberty calibrations' names
# how a component is timed on its own (calibrate --liberty): its output ports drive
# REFERENCE_FANOUT inputs of the library's NAND2 (the largest of its input pins'
# capacitance) and its inputs switch with the slew of that NAND2 driving that load (from
# an ideal edge): a component as it sits among others, not an ideal driver into no load
REFERENCE_FANOUT = 2
PROBES = (1, 2, 3, 5, 8, 13)  # parameter values a formula is tried at: does it add more than its names?


@dataclass(frozen=True)
class Sample:
    """One instance of a primitive: its parameters and its gates in synthesis (a
    component of count c is c instances)."""

    primitive: str
    params: tuple  # ((name, value), ...)
    synth: object
    delay: object = None  # its delay timed on its own (a liberty calibration: ns), else None


def default_configs() -> list[str]:
    """Config names of the default calibration set (see FORMATS, ACCUMULATORS)."""
    names = []
    for fmt in FORMATS:
        for acc in ACCUMULATORS:
            if acc == "kulisch" and fmt in ("bfloat16", "fp16"):
                continue  # a Kulisch accumulator for 16-bit floats is hundreds of bits wide
            names += [f"{fmt}-{acc}", f"{fmt}-{acc}-k4"]
    return names


def style_configs() -> list[str]:
    """STYLE_CONFIGS with each prefix adder style (``int8-kulisch-kogge_stone``, ...)."""
    from ..library.adders import ADDERS

    out = []
    for style in ADDERS:
        if style != "ripple":
            for name in STYLE_CONFIGS:
                head, k = (name[:-3], "-k4") if name.endswith("-k4") else (name, "")
                out.append(f"{head}-{style}{k}")
    return out


def datapaths(names, library=None) -> list:
    """Every datapath ``names`` mean (config names, designs), built with ``library``."""
    from ..design.names import resolve

    out = []
    for name in names:
        design, configs = resolve(name, library=library)
        out += [design.build(cfg) for cfg in configs]
    return out


def reference_conditions(lib) -> tuple[float, float, float]:
    """(input slew in ns, output load in pF, the NAND2's delay there in ns): the conditions
    a component is timed at on its own (REFERENCE_FANOUT), and its reference gate's delay."""
    nand = lib.nand2()
    if not timed(lib):
        raise MacgatesError(f"calibrate: {lib.path}: its NAND2 ({nand.name}) has no timing tables: nothing to time")
    load = REFERENCE_FANOUT * max(p.capacitance for p in nand.pins.values() if p.direction == "input")
    arcs = [a for p in nand.pins.values() if p.direction == "output" for a in p.arcs]

    def worst(tables, slew):
        return max(t.lookup(input_net_transition=slew, total_output_net_capacitance=load)
                   for t in tables if t is not None)
    slew = worst([t for a in arcs for t in (a.rise_transition, a.fall_transition)], 0.0)
    delay = worst([t for a in arcs for t in (a.cell_rise, a.cell_fall)], slew)
    return slew * lib.time_unit, load * lib.capacitance_unit, delay * lib.time_unit


def timed(lib) -> bool:
    """Does the liberty file time its cells (its NAND2 has delay tables)?"""
    return any(a.cell_rise is not None or a.cell_fall is not None
               for p in lib.nand2().pins.values() if p.direction == "output" for a in p.arcs)


def _decimal(value: float) -> Fraction:
    """A measured or fitted physical figure to SIGNIFICANT digits, exactly."""
    return Fraction(f"{float(value):.{SIGNIFICANT}g}")


def measure(dps, liberty: str | None = None) -> list[Sample]:
    """Synthesize every distinct component module of ``dps`` in one Yosys run, each on
    its own, and weigh it (the library's ``cells``; with ``liberty``, its cells' area in
    um^2, and its delay in ns by :func:`macgates.hw.timing.component_delay` at
    :func:`reference_conditions`)."""
    from pathlib import Path

    from ..support.progress import steps, waiting
    from .rtl import emit
    from .synth import cell_name, run_yosys, weigh, weigh_cells, yosys_script

    modules, uses = {}, []  # module text -> name; (component, module, instances)
    for dp in steps(dps, "calibrate: Verilog", unit="datapath"):
        rtl = emit(dp)
        for comp_name, (module, instances) in rtl.instances.items():
            body = rtl.modules[module].split("\n", 1)[1][len(f"module {module} "):]  # (after its comment)
            name = modules.setdefault(body, f"m{len(modules)}")
            uses.append((dp.components[comp_name], name, instances))
    verilog = "\n".join(f"module {name} {body}" for body, name in modules.items())
    files = {"dp.v": verilog}
    lib = None
    if liberty:
        from .liberty import read_liberty

        lib = read_liberty(liberty)
        files["cells.lib"] = Path(lib.path).read_text()
    script = yosys_script(None, flatten=False, liberty=bool(liberty))
    with waiting(f"calibrate: Yosys synthesizing {len(modules):,} modules"):
        data = json.loads(run_yosys(script, files, ["netlist.json"])["netlist.json"])
    weights = {c.name: Fraction(str(c.area)) for c in lib.cells.values() if c.area is not None} \
        if lib is not None else None  # um^2

    def weighed(body):
        cells = Counter(cell_name(c["type"]) for c in body.get("cells", {}).values())
        return weigh_cells(cells, weights, lib.path) if lib is not None else weigh(cells, dps[0].library)
    gates = {name: weighed(body) for name, body in data["modules"].items()}
    delays = {}
    if lib is not None and timed(lib):
        from .timing import component_delay

        slew, load, _ = reference_conditions(lib)
        delays = {name: _decimal(component_delay(body, lib, slew, load)) if body.get("cells") else Fraction(0)
                  for name, body in data["modules"].items()}
    return [Sample(comp.primitive, tuple(comp.params.items()), exact(Fraction(gates[name] * instances) / comp.count),
                   delays.get(name)) for comp, name, instances in uses]


@dataclass(frozen=True)
class Fit:
    """A primitive's fitted formula, how many parameter values it was fitted to, and its
    largest relative error over the measured instances (0.05: 5%) and where."""

    primitive: str
    formula: str
    points: int
    worst: float
    worst_at: str
    method: str = "parts"  # "parts": a weight per primitive it names; "scale": a * formula + b
    weights: int = 1  # numbers fitted (parts: one per primitive named; scale: a, and b if fitted)
    held_out: float | None = None  # worst error on parameter values left out of a second fit
    held_points: int = 0  # how many parameter values that second fit left out
    constant: bool = False  # a primitive without parameters: its one instance says all
    delay: bool = False  # a fit of its delay formula (a liberty calibration), not its cost

    @property
    def underdetermined(self) -> bool:
        """Fitted to no more parameter values than it has weights: it meets them by
        construction, and its worst error says nothing about other widths."""
        return not self.constant and self.points <= self.weights

    @property
    def warning(self) -> str:
        if not self.underdetermined:
            return ""
        return (f"{self.primitive}: fitted to {self.points} parameter value{'s' if self.points != 1 else ''} "
                f"with {self.weights} weight{'s' if self.weights != 1 else ''}: its worst error "
                f"{self.worst:.1%} holds by construction; measure more widths (more configs) to test it")


def _least_squares(rows, targets) -> list | None:
    """x minimizing sum((row . x - t)^2 / t) over rows with t > 0: each instance's squared
    error relative to its size (between absolute errors, which only the widest instances
    would decide, and relative ones, which the many narrow ones would), exactly (Gaussian
    elimination on the normal equations); None if they are singular."""
    n = len(rows[0]) if rows else 0
    pairs = [(r, Fraction(t)) for r, t in zip(rows, targets) if t > 0]
    a = [[sum(Fraction(r[i]) * r[j] / t for r, t in pairs) for j in range(n)]
         + [sum(Fraction(r[i]) for r, t in pairs)] for i in range(n)]
    for col in range(n):
        pivot = next((i for i in range(col, n) if a[i][col] != 0), None)
        if pivot is None:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for i in range(n):
            if i != col and a[i][col]:
                factor = a[i][col] / a[col][col]
                a[i] = [x - factor * y for x, y in zip(a[i], a[col])]
    return [a[i][n] / a[i][i] for i in range(n)]


def _solve(pairs) -> tuple[Fraction, Fraction]:
    """a, b minimizing sum ((a F + b - S)^2 / S) over (F, S) with S > 0, exactly. Where
    the F values span less than a factor SPAN (or one is 0), or b would be negative, b = 0
    and a alone is fitted; where every F is 0, b alone."""
    pairs = [(Fraction(f), Fraction(s)) for f, s in pairs if s > 0]
    if not pairs:
        return Fraction(0), Fraction(0)
    fs = [f for f, _ in pairs]
    if min(fs) and max(fs) >= SPAN * min(fs):
        both = _least_squares([(f, 1) for f, _ in pairs], [s for _, s in pairs])
        if both is not None and both[1] >= 0:
            return both[0], both[1]
    # too narrow a span to tell a slope from a constant, or a negative constant (which
    # would price narrower instances than those measured at nothing): a alone
    if any(fs):
        return _least_squares([(f,) for f, _ in pairs], [s for _, s in pairs])[0], Fraction(0)
    return Fraction(0), _least_squares([(1,) for _ in pairs], [s for _, s in pairs])[0]


def _rational(value: Fraction, physical: bool = False) -> Fraction:
    """A fitted number as the library states it: a rational of denominator up to
    MAX_DENOMINATOR (gates), or (``physical``: um^2, ns) a decimal of SIGNIFICANT digits."""
    return _decimal(value) if physical else Fraction(value).limit_denominator(MAX_DENOMINATOR)


def _text(value: Fraction) -> str:
    """A number for a formula: whole; a decimal where it is one whose denominator no gate
    rational has (a physical figure: 0.1234); else a ratio (1/4)."""
    from decimal import Decimal

    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den == 1 and value.denominator > MAX_DENOMINATOR:
        return format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return f"{value.numerator}/{value.denominator}"


def _parts(lib, name: str, params: dict, delay: bool = False) -> tuple[dict, object]:
    """How much of primitive ``name``'s cost (``delay``: its delay) each primitive its
    formula names makes up (that primitive's doubled, less the whole), and the rest
    (numbers the formula adds itself)."""
    formula = lib.primitives[name].delay if delay else lib.primitives[name].formula
    resolve = lib._resolve_delay if delay else lib._resolve
    total = formula.evaluate(params, resolve)
    parts = {}
    for ref in sorted(formula.refs):
        doubled = formula.evaluate(params, lambda n, args, r=ref: resolve(n, args) * (2 if n == r else 1))
        parts[ref] = Fraction(doubled) - Fraction(total)
    return parts, Fraction(total) - sum(parts.values())


def _scaled(text: str, weights: dict) -> str:
    """The formula ``text`` with each primitive it names multiplied by its weight."""
    import ast

    class Scale(ast.NodeTransformer):
        def visit_Call(self, node):
            name = node.func.id if isinstance(node.func, ast.Name) else ""
            node.args = [self.visit(a) for a in node.args]
            return self._times(node, name)

        def visit_Name(self, node):
            return self._times(node, node.id)

        def _times(self, node, name):
            w = weights.get(name)
            if w is None or w == 1:
                return node
            return ast.BinOp(ast.parse(_text(w), mode="eval").body, ast.Mult(), node)

    return ast.unparse(Scale().visit(ast.parse(text, mode="eval")))


def fit(samples, base=None, delay: bool = False, physical: bool = False) -> tuple[object, list[Fit]]:
    """Fit every measured primitive's cost (``delay``: its delay formula to the samples'
    delays), leaves first: each primitive its formula names gets a weight inside it (a
    full adder inside ``pp_reduce`` costs w * fa), fitted by least squares
    (:func:`_least_squares`); where the parts cannot be told apart (they grow together)
    or a weight comes out negative, one factor for the whole formula plus a constant.
    ``physical``: the numbers are stated as decimals (:func:`_rational`). Returns the
    calibrated Library and the fits."""
    from ..library.primitives import load_library

    base = base or load_library()
    by_prim: dict = {}
    for s in samples:
        if not delay or s.delay is not None:
            by_prim.setdefault(s.primitive, []).append(s)
    order, done = [], set()

    def formula(lib, name):
        return lib.primitives[name].delay if delay else lib.primitives[name].formula

    def visit(name):  # references first
        if name in done:
            return
        done.add(name)
        for ref in getattr(formula(base, name), "refs", ()):
            visit(ref)
        order.append(name)
    for name in sorted(base.primitives):
        visit(name)
    fitted: dict = {}  # primitive -> formula
    fits = []
    lib = base
    for name in order:
        if name not in by_prim or formula(lib, name) is None:
            continue
        best = None
        for shape, text in _shapes(base, name, delay):
            shaped = lib if shape == name else _calibrated(base, fitted, name, text, delay)
            points = []  # (parts, rest, measured, params)
            for s in by_prim[name]:
                parts, rest = _parts(shaped, name, dict(s.params), delay)
                points.append((parts, rest, Fraction(s.delay if delay else s.synth), s.params))
            new, method, weights = _fit_points(text, points, physical)
            trial = _calibrated(base, fitted, name, new, delay)
            worst, at = _worst(_evaluate(trial, name, delay), points)
            # held out: every HOLD_EVERY-th parameter value left out of a second fit, which
            # the fit must then predict (where the rest still has more values than weights)
            values = sorted({p for *_, p in points})
            held = set(values[HOLD_EVERY - 1::HOLD_EVERY])
            held_out = None
            if held and len(values) - len(held) > weights:
                rest_text, *_ = _fit_points(text, [p for p in points if p[3] not in held], physical)
                held_out, _ = _worst(_evaluate(_calibrated(base, fitted, name, rest_text, delay), name, delay),
                                     [p for p in points if p[3] in held])
            if shape != name:
                method += f", shaped as {shape}'s delay"
            candidate = Fit(name, new, len(values), worst, at, method, weights, held_out,
                            len(held) if held_out is not None else 0, not base.primitives[name].params, delay)
            # of the shapes, the one whose worst error, fitted or held out, is the smallest
            score = max(worst, held_out or 0.0)
            if best is None or score < best[0] - 1e-12:
                best = (score, candidate, trial)
        _, chosen, trial = best
        fits.append(chosen)
        fitted[name] = chosen.formula
        lib = trial
    return lib, fits


def _shapes(base, name: str, delay: bool) -> list[tuple[str, str]]:
    """The formulas primitive ``name`` may be fitted in the shape of: its own, and for the
    delay of an adder of one style (ADDERS), those of the other styles' adder for the same
    add (plain or with a carry-in): synthesis builds what it builds from each (Yosys maps
    a ``+`` to a Brent-Kung carry network, ABC's area mapping reshapes a prefix network),
    and the fit keeps whichever shape meets the measurements best. (primitive, formula) each."""
    from ..library.adders import ADDERS

    own = (base.primitives[name].delay if delay else base.primitives[name].formula).text
    shapes = [(name, own)]
    if delay:
        for group in ([a.plain for a in ADDERS.values()], [a.cin for a in ADDERS.values()]):
            if name in group:
                shapes += [(other, base.primitives[other].delay.text) for other in group
                           if other != name and base.primitives[other].delay is not None]
    return shapes


def _calibrated(base, fitted: dict, name: str, text: str, delay: bool):
    """``base`` with the formulas ``fitted`` so far and ``name``'s ``text`` (its cost, or delay)."""
    trial = {**fitted, name: text}
    return base.with_overrides({}, "calibrated", delays=trial) if delay else \
        base.with_overrides(trial, origin="calibrated")


def _evaluate(library, name: str, delay: bool):
    """params -> primitive ``name``'s cost (delay) in ``library``: the formula as fitted, not
    its linearization in the parts the fit weighted (they differ where it takes a max)."""
    get = library.delay if delay else library.cost
    return lambda params: get(name, *dict(params).values())


def _fit_points(text: str, points: list, physical: bool = False) -> tuple:
    """Fit one primitive's formula ``text`` to ``points`` ((parts, rest, measured, params)
    each): (new formula, method, how many numbers were fitted)."""
    refs = sorted(points[0][0])
    weights = _least_squares([[p[r] for r in refs] for p, _, _, _ in points],
                             [s - rest for _, rest, s, _ in points]) if refs else None
    if weights is not None and all(w >= 0 for w in weights):
        weights = {r: _rational(w, physical) for r, w in zip(refs, weights)}
        return _scaled(text, weights), "parts", len(refs)
    # one factor a and a constant b for the whole formula
    a, b = _solve([(sum(p.values()) + rest, s) for p, rest, s, _ in points])
    a, b = _rational(a, physical), (_decimal(b) if physical else Fraction(round(b)))
    new = text if a == 1 else f"{_text(a)} * ({text})"
    new = new if b == 0 else f"{new} + {_text(b)}"
    return new, "scale", 1 + (b != 0)


def _worst(predict, points) -> tuple[float, str]:
    """The largest relative error of ``predict(params)`` over ``points``, and where."""
    worst, at = 0.0, ""
    for _, _, measured, params in points:
        err = abs(float((predict(params) - measured) / measured)) if measured else 0.0
        if err >= worst:
            worst, at = err, ", ".join(f"{k}={v}" for k, v in params)
    return worst, at


def library_yaml(fits, description: str, extends: str = "default", weighed: str = "the cells table",
                 name: str = BUNDLED_NAME, overrides=(), delay_fits=(), timed: str = "",
                 units: dict | None = None, converted: dict | None = None, converted_as: str = "") -> str:
    """The calibrated library as a YAML file extending the default one. ``overrides``: the
    (primitive, formula, origin) the calibration started from (``Library.overrides``); those
    not refitted are written as they were, so the file costs what it was fitted against.
    ``delay_fits``: delay formulas fitted (timed as ``timed`` says); ``units``: the file's
    units (a liberty calibration's um^2 and ns), and then ``converted``: primitive ->
    (cost, delay) in those units, written where not fitted (``converted_as``: how)."""
    import yaml

    lines = ["# macgates primitive library calibrated to logic synthesis: written by macgates calibrate.",
             "# Each measured primitive's App. B formula, with the primitives it names weighted to fit",
             "# its synthesized instances (see docs/synthesis.md); primitives not listed are as in the",
             "# library it extends.",
             yaml.safe_dump({"version": 1, "name": name, "description": description,
                             "extends": extends}, sort_keys=False, width=1000).rstrip(),
             f"precision: {FITTED_PRECISION}  # its figures are fitted to synthesis: shown to 1 decimal"]
    if units:
        lines.append(f"units: {{{', '.join(f'{k}: {v}' for k, v in units.items())}}}")
    lines.append("primitives:")
    entries: dict = {}  # primitive -> {"cost", "delay", "source": [...]}
    for f in fits:
        entries.setdefault(f.primitive, {"source": []}).update(cost=f.formula)
        entries[f.primitive]["source"].append(_source(f, f"synthesized (macgates calibrate: Yosys + ABC, "
                                                          f"weighed by {weighed})"))
    for f in delay_fits:
        entries.setdefault(f.primitive, {"source": []}).update(delay=f.formula)
        entries[f.primitive]["source"].append("delay: " + _source(f, f"timed on its own ({timed})"))
    for primitive, (cost, delay) in (converted or {}).items():
        entry = entries.setdefault(primitive, {"source": []})
        said = []
        if "cost" not in entry:
            entry["cost"] = cost
            said.append("cost")
        if "delay" not in entry and delay is not None:
            entry["delay"] = delay
            said.append("delay")
        if said:
            entry["source"].append(f"{' and '.join(said)} not measured: App. B's, {converted_as}")
    fitted = {f.primitive for f in fits}
    kept = {primitive: (formula, origin) for primitive, formula, origin in overrides if primitive not in fitted}
    for primitive, (formula, origin) in kept.items():  # (the last override of a primitive counts)
        entries.setdefault(primitive, {"source": []}).update(cost=formula)
        entries[primitive]["source"].insert(0, f"override in {origin}, as the calibration started from it")
    for primitive, entry in entries.items():
        lines.append(f"  {primitive}:")
        if "cost" in entry:
            lines.append(f"    cost: {json.dumps(entry['cost'])}")
        if "delay" in entry:
            lines.append(f"    delay: {json.dumps(entry['delay'])}")
        lines.append(f"    source: {json.dumps('; '.join(entry['source']))}")
    return "\n".join(lines) + "\n"


def _source(f: Fit, how_measured: str) -> str:
    at = f" at {f.worst_at}" if f.worst_at else ""
    how = ("each primitive it names weighted" if f.method.startswith("parts")
           else "the App. B formula scaled (+ a constant)")
    if ", shaped as " in f.method:
        how += f" in the shape of {f.method.split(', shaped as ')[1]} (what synthesis builds fits it best)"
    if f.constant:
        check = ""
    elif f.underdetermined:
        check = f"; no more values than the {f.weights} weight(s) fitted: exact on them by construction, untested beyond"
    elif f.held_out is not None:
        check = f"; fitted without {f.held_points} of the values, worst error {f.held_out:.1%} on those"
    else:
        check = "; too few values for a held-out check"
    return f"{how_measured}: {how} to fit {f.points} parameter value(s); worst error {f.worst:.1%}{at}{check}"


def _converted(base, nand_area, nand_delay) -> dict:
    """Every primitive's App. B cost and delay in um^2 and ns: each formula's own numbers
    (gates, t) times the library's NAND2 area (delay at the reference conditions), the
    primitives it names being in those units already; a formula that only adds up the
    primitives it names is unchanged, any other F becomes A * (F with each name over A),
    which is F's names plus A times the rest. primitive -> (cost, delay or None)."""
    return {name: (_in_units(base, name, False, nand_area),
                   None if prim.delay is None or nand_delay is None else _in_units(base, name, True, nand_delay))
            for name, prim in base.primitives.items()}


def _in_units(base, name: str, delay: bool, scale: Fraction) -> str:
    prim = base.primitives[name]
    formula = prim.delay if delay else prim.formula
    if formula.refs and _only_names(base, name, delay):
        return formula.text
    if formula.refs:
        return f"{_text(scale)} * ({_scaled(formula.text, {r: 1 / scale for r in formula.refs})})"
    return f"{_text(scale)} * ({formula.text})"


def _only_names(base, name: str, delay: bool) -> bool:
    """Is primitive ``name``'s formula made of the primitives it names alone (no numbers of
    its own: the primitives doubled, it doubles), at every probe of its parameters it can
    be evaluated at (PROBES)?"""
    import itertools

    prim = base.primitives[name]
    formula = prim.delay if delay else prim.formula
    resolve = base._resolve_delay if delay else base._resolve
    tried = 0
    for values in itertools.product(PROBES, repeat=len(prim.params)):
        params = dict(zip(prim.params, values))
        try:
            once = formula.evaluate(params, resolve)
            twice = formula.evaluate(params, lambda n, args: 2 * resolve(n, args))
        except (MacgatesError, ArithmeticError):
            continue  # (a parameter out of the formula's range)
        if twice != 2 * once:
            return False
        tried += 1
    return tried > 0


def calibrate(names=None, liberty: str | None = None, library=None):
    """Measure and fit: (library YAML text, fits, samples). With ``liberty``, costs are fitted
    to um^2 and delays to ns (fits: the cost fits, then the delay fits)."""
    dps = datapaths(names or default_configs() + DESIGNS + (style_configs() if liberty else []), library)
    if not dps:
        raise MacgatesError("calibrate: no datapaths to measure")
    samples = measure(dps, liberty)
    base = dps[0].library
    what = "liberty cells of " + str(liberty) if liberty else "the gate set AND/NAND/.../AOI4/OAI4, MUX, DFF"
    description = f"App. B formulas fitted to Yosys synthesis ({what}) of {len(dps)} datapaths' components"
    name = library_name(names, liberty, base)
    if not liberty:
        _, fits = fit(samples, base)
        return library_yaml(fits, description, _extends(base), "the cells table", name, base.overrides), fits, samples
    from .liberty import read_liberty

    lib = read_liberty(liberty)
    # every formula in um^2 (and ns) first (App. B's numbers at the NAND2's area and delay),
    # so that each weight fitted is a pure number and an unmeasured primitive is priced
    area = _decimal(lib.nand2().area)
    if timed(lib):
        slew, load, nand_delay = reference_conditions(lib)
        delay = _decimal(nand_delay)
    converted = _converted(base, area, delay if timed(lib) else None)
    physical = base.with_overrides({n: c for n, (c, _) in converted.items()}, "the NAND2's area and delay",
                                   delays={n: d for n, (_, d) in converted.items() if d is not None})
    _, fits = fit(samples, physical, physical=True)
    if timed(lib):
        _, delay_fits = fit(samples, physical, delay=True, physical=True)
        how = (f"macgates' NLDM timing of its cells in {lib.name}: inputs at a {slew:.3f} ns slew, outputs "
               f"driving {load:.4f} pF, {REFERENCE_FANOUT} NAND2 inputs")
        units, per = PHYSICAL_UNITS, f"area {_text(area)} um^2 per gate and delay {_text(delay)} ns per t"
    else:  # areas only: the delays stay App. B's, in t
        delay_fits, how, units, per = [], "", {"cost": PHYSICAL_UNITS["cost"]}, f"area {_text(area)} um^2 per gate"
    text = library_yaml(fits, description + ("; areas in um^2 and delays in ns" if delay_fits else
                                             "; areas in um^2 (it has no timing tables: delays as App. B's, in t)"),
                        _extends(base), f"the areas of {lib.name}'s cells", name, base.overrides, delay_fits, how,
                        units, converted, f"with {lib.name}'s NAND2's {per}")
    return text, fits + delay_fits, samples


def library_name(names, liberty, base) -> str:
    """A calibrated library's name says what it was calibrated to: the bundled one's
    (the default datapaths, the cells table, from the bundled library) is
    ``macgates-calibrated``; any other never is."""
    from pathlib import Path

    parts = []
    if liberty and not names and liberty in BUNDLED_LIBERTY and _extends(base) == "default" and not base.overrides:
        return BUNDLED_LIBERTY[liberty]
    if liberty:
        parts.append(f"to {Path(liberty).name}")
    if names:
        listed = ", ".join(names[:NAMED_CONFIGS]) + (f" and {len(names) - NAMED_CONFIGS} more"
                                                    if len(names) > NAMED_CONFIGS else "")
        parts.append(f"on {listed}")
    if _extends(base) != "default" or base.overrides:
        parts.append(f"from {base.name or base.file}" + (f" with {len(base.overrides)} override"
                                                         f"{'s' if len(base.overrides) != 1 else ''}"
                                                         if base.overrides else ""))
    return f"calibrated {' '.join(parts)}" if parts else BUNDLED_NAME


def _extends(base) -> str:
    """How the calibrated file names the library it starts from (before any overrides,
    which the file lists itself): a bundled name, or the base file's absolute path."""
    from pathlib import Path

    return base.bundled or str(Path(base.file).resolve())
