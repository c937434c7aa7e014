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
MAX_DENOMINATOR = 32  # of a fitted slope factor; constants are whole gates
FITTED_PRECISION = 1  # decimals a calibrated library's figures are shown to (its stated precision)
BUNDLED_NAME = "macgates-calibrated"  # the bundled calibrated library's name; no other calibration's
NAMED_CONFIGS = 4  # a calibrated library's name lists this many of the configs it was fitted to
HOLD_EVERY = 4  # the held-out check leaves out every 4th parameter value (in sorted order)
SPAN = 2  # a constant is fitted only where the model's values span this factor (else a * F alone)


@dataclass(frozen=True)
class Sample:
    """One instance of a primitive: its parameters and its gates in synthesis (a
    component of count c is c instances)."""

    primitive: str
    params: tuple  # ((name, value), ...)
    synth: object


def default_configs() -> list[str]:
    """Config names of the default calibration set (see FORMATS, ACCUMULATORS)."""
    names = []
    for fmt in FORMATS:
        for acc in ACCUMULATORS:
            if acc == "kulisch" and fmt in ("bfloat16", "fp16"):
                continue  # a Kulisch accumulator for 16-bit floats is hundreds of bits wide
            names += [f"{fmt}-{acc}", f"{fmt}-{acc}-k4"]
    return names


def datapaths(names, library=None) -> list:
    """Every datapath ``names`` mean (config names, designs), built with ``library``."""
    from ..design.names import resolve

    out = []
    for name in names:
        design, configs = resolve(name, library=library)
        out += [design.build(cfg) for cfg in configs]
    return out


def measure(dps, liberty: str | None = None) -> list[Sample]:
    """Synthesize every distinct component module of ``dps`` in one Yosys run, each on
    its own, and weigh it (the library's ``cells``, or with ``liberty`` its cells'
    area over its smallest NAND2's: gate equivalents)."""
    from pathlib import Path

    from ..support.progress import steps, waiting
    from .rtl import emit
    from .synth import cell_name, liberty_weights, run_yosys, weigh, weigh_cells, yosys_script

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
    weights = liberty_weights(lib) if lib is not None else None

    def weighed(body):
        cells = Counter(cell_name(c["type"]) for c in body.get("cells", {}).values())
        return weigh_cells(cells, weights, lib.path) if lib is not None else weigh(cells, dps[0].library)
    gates = {name: weighed(body) for name, body in data["modules"].items()}
    return [Sample(comp.primitive, tuple(comp.params.items()), exact(Fraction(gates[name] * instances) / comp.count))
            for comp, name, instances in uses]


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


def _rational(value: Fraction) -> Fraction:
    return Fraction(value).limit_denominator(MAX_DENOMINATOR)


def _text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _parts(lib, name: str, params: dict) -> tuple[dict, object]:
    """How much of primitive ``name``'s cost each primitive its formula names makes up
    (its cost doubled, less the cost), and the rest (numbers the formula adds itself)."""
    formula = lib.primitives[name].formula
    total = formula.evaluate(params, lib._resolve)
    parts = {}
    for ref in sorted(formula.refs):
        doubled = formula.evaluate(params, lambda n, args, r=ref: lib._resolve(n, args) * (2 if n == r else 1))
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


def fit(samples, base=None) -> tuple[object, list[Fit]]:
    """Fit every measured primitive, leaves first: each primitive its formula names gets a
    weight inside it (a full adder inside ``pp_reduce`` costs w * fa), fitted by least
    squares (:func:`_least_squares`); where the parts cannot be told apart (they grow
    together) or a weight comes out negative, one factor for the whole formula plus a
    constant. Returns the calibrated Library and the fits."""
    from ..library.primitives import load_library

    base = base or load_library()
    by_prim: dict = {}
    for s in samples:
        by_prim.setdefault(s.primitive, []).append(s)
    order, done = [], set()

    def visit(name):  # references first
        if name in done:
            return
        done.add(name)
        for ref in base.primitives[name].formula.refs:
            visit(ref)
        order.append(name)
    for name in sorted(base.primitives):
        visit(name)
    fitted: dict = {}  # primitive -> formula
    fits = []
    lib = base
    for name in order:
        if name not in by_prim:
            continue
        text = lib.primitives[name].cost_text
        points = []  # (parts, rest, synth, params)
        for s in by_prim[name]:
            parts, rest = _parts(lib, name, dict(s.params))
            points.append((parts, rest, Fraction(s.synth), s.params))
        new, method, predict, weights = _fit_points(text, points)
        worst, at = _worst(predict, points)
        # held out: every HOLD_EVERY-th parameter value left out of a second fit, which
        # the fit must then predict (where the rest still has more values than weights)
        values = sorted({p for *_, p in points})
        held = set(values[HOLD_EVERY - 1::HOLD_EVERY])
        held_out = None
        if held and len(values) - len(held) > weights:
            _, _, predict_rest, _ = _fit_points(text, [p for p in points if p[3] not in held])
            held_out, _ = _worst(predict_rest, [p for p in points if p[3] in held])
        fits.append(Fit(name, new, len(values), worst, at, method, weights, held_out,
                        len(held) if held_out is not None else 0, not base.primitives[name].params))
        fitted[name] = new
        lib = base.with_overrides(fitted, origin="calibrated")
    return lib, fits


def _fit_points(text: str, points: list) -> tuple:
    """Fit one primitive's formula ``text`` to ``points`` ((parts, rest, synth, params)
    each): (new formula, method, predict(parts, rest), how many numbers were fitted)."""
    refs = sorted(points[0][0])
    weights = _least_squares([[p[r] for r in refs] for p, _, _, _ in points],
                             [s - rest for _, rest, s, _ in points]) if refs else None
    if weights is not None and all(w >= 0 for w in weights):
        weights = {r: _rational(w) for r, w in zip(refs, weights)}

        def predict(parts, rest):
            return sum(weights[r] * parts[r] for r in refs) + rest
        return _scaled(text, weights), "parts", predict, len(refs)
    # one factor a and a constant b for the whole formula
    a, b = _solve([(sum(p.values()) + rest, s) for p, rest, s, _ in points])
    a, b = _rational(a), Fraction(round(b))
    new = text if a == 1 else f"{_text(a)} * ({text})"
    new = new if b == 0 else f"{new} + {_text(b)}"

    def predict(parts, rest):
        return a * (sum(parts.values()) + rest) + b
    return new, "scale", predict, 1 + (b != 0)


def _worst(predict, points) -> tuple[float, str]:
    """The largest relative error of ``predict`` over ``points``, and where."""
    worst, at = 0.0, ""
    for parts, rest, synth, params in points:
        err = abs(float((predict(parts, rest) - synth) / synth)) if synth else 0.0
        if err >= worst:
            worst, at = err, ", ".join(f"{k}={v}" for k, v in params)
    return worst, at


def library_yaml(fits, description: str, extends: str = "default", weighed: str = "the cells table",
                 name: str = BUNDLED_NAME, overrides=()) -> str:
    """The calibrated library as a YAML file extending the default one. ``overrides``: the
    (primitive, formula, origin) the calibration started from (``Library.overrides``); those
    not refitted are written as they were, so the file costs what it was fitted against."""
    import yaml

    lines = ["# macgates primitive library calibrated to logic synthesis: written by macgates calibrate.",
             "# Each measured primitive's App. B formula, with the primitives it names weighted to fit",
             "# its synthesized instances (see docs/synthesis.md); primitives not listed are as in the",
             "# library it extends.",
             yaml.safe_dump({"version": 1, "name": name, "description": description,
                             "extends": extends}, sort_keys=False, width=1000).rstrip(),
             f"precision: {FITTED_PRECISION}  # its figures are fitted to synthesis: shown to 1 decimal",
             "primitives:"]
    for f in fits:
        lines.append(f"  {f.primitive}:")
        lines.append(f"    cost: {json.dumps(f.formula)}")
        lines.append(f"    source: {json.dumps(_source(f, weighed))}")
    fitted = {f.primitive for f in fits}
    kept = {primitive: (formula, origin) for primitive, formula, origin in overrides if primitive not in fitted}
    for primitive, (formula, origin) in kept.items():  # (the last override of a primitive counts)
        lines.append(f"  {primitive}:")
        lines.append(f"    cost: {json.dumps(formula)}")
        lines.append(f"    source: {json.dumps(f'override in {origin}, as the calibration started from it')}")
    return "\n".join(lines) + "\n"


def _source(f: Fit, weighed: str) -> str:
    at = f" at {f.worst_at}" if f.worst_at else ""
    how = ("each primitive it names weighted" if f.method == "parts" else "the App. B formula scaled (+ a constant)")
    if f.constant:
        check = ""
    elif f.underdetermined:
        check = f"; no more values than the {f.weights} weight(s) fitted: exact on them by construction, untested beyond"
    elif f.held_out is not None:
        check = f"; fitted without {f.held_points} of the values, worst error {f.held_out:.1%} on those"
    else:
        check = "; too few values for a held-out check"
    return (f"synthesized (macgates calibrate: Yosys + ABC, weighed by {weighed}): {how} to fit "
            f"{f.points} parameter value(s); worst error {f.worst:.1%}{at}{check}")


def calibrate(names=None, liberty: str | None = None, library=None):
    """Measure and fit: (library YAML text, fits, samples)."""
    dps = datapaths(names or default_configs() + DESIGNS, library)
    if not dps:
        raise MacgatesError("calibrate: no datapaths to measure")
    samples = measure(dps, liberty)
    base = dps[0].library
    _, fits = fit(samples, base)
    what = "liberty cells of " + str(liberty) if liberty else "the gate set AND/NAND/.../AOI4/OAI4, MUX, DFF"
    return library_yaml(fits, f"App. B formulas fitted to Yosys synthesis ({what}) of {len(dps)} datapaths' "
                              f"components", _extends(base),
                        f"the areas of {liberty} over its NAND2's" if liberty else "the cells table",
                        library_name(names, liberty, base), base.overrides), fits, samples


def library_name(names, liberty, base) -> str:
    """A calibrated library's name says what it was calibrated to: the bundled one's
    (the default datapaths, the cells table, from the bundled library) is
    ``macgates-calibrated``; any other never is."""
    from pathlib import Path

    parts = []
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
