"""Checking an executable datapath against exact arithmetic (``macgates verify``).

:func:`verify` runs a datapath (:mod:`macgates.run.simulate`) and the reference
(:mod:`macgates.run.reference`) side by side, either on every input pair from each of a
documented set of accumulator start values (``exhaustive``), or on random accumulation
sequences (``vectors`` of ``length`` steps from random holdable start values), and
returns how many steps were checked and the mismatches.

Start values of a ``w``-bit fixed-point accumulator (:func:`start_values`): zero, +1, -1,
the largest and the smallest holdable values (so overflow in either direction shows at
once), and half the largest of either sign (cancellation). Of a floating-point
accumulator (:meth:`FloatChecker.starts`): +0 and, of either sign, 1, 1 + ulp, 4/3, 2,
the smallest normal, the largest finite, the largest product (rounded) and infinity.

Checked today: scalar MACs into fixed-point (Kulisch) and floating-point accumulators, and
k-term dot-product units (exhaustively every pair in lane 0 with the other lanes zero, and
in every lane at once; and by random k-vectors). The reference accumulator comes from the
formats alone (:func:`kulisch_reference`, :func:`macgates.run.reference.float_accumulate`); a
unit's step adds one block sum: exact (:func:`macgates.run.reference.block_sum`) or, for the
``align`` combine, truncated to its window (:func:`macgates.run.reference.aligned_block_sum`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from ..datapath.floating import FloatingPoint
from ..datapath.kulisch import Kulisch
from ..support.bits import mask
from ..support.errors import DatapathError, MacgatesError
from .reference import (
    KulischRef,
    aligned_block_sum,
    block_sum,
    float_accumulate,
    multiply,
    pow2,
    product,
    significand,
    smallest_product,
)
from .simulate import Runner

MAX_STEPS = 50_000_000  # checks one run may make (vectors x length, or pairs x starts)
VECTOR_BATCH = 4096  # random sequences run side by side in the batch form


def fixed_width(w, a) -> int:
    """Two's-complement bits that hold every product of ``w`` x ``a`` exactly, from the
    formats: an integer product n + m - 1 bits (n + m if neither is symmetric); a product
    with a float a sign, both operands' magnitude bits and the span of the float exponents.
    A block scale is one more float factor: its significand bits and exponent span."""
    scales = [f.scale for f in (w, a) if f.is_block]
    if not w.is_float and not a.is_float and not scales:
        return w.bits + a.bits - (1 if w.symmetric or a.symmetric else 0)
    # a float's significand has M + 1 bits (none to add for M = 0: a factor of 1, as E8M0's),
    # an integer's magnitude n - 1 (n unless symmetric)
    factors = [w, a] + scales
    bits = [(f.sig_bits if f.man_bits else 0) if f.is_float else f.bits - (1 if f.symmetric else 0)
            for f in factors]
    if scales and not w.is_float and not a.is_float:  # the integer product: n + m - 1 magnitude bits
        bits[:2] = [w.bits + a.bits - (2 if w.symmetric or a.symmetric else 1), 0]
    span = sum(f.max_exp_field - f.min_exp_field for f in factors if f.is_float)
    return 1 + sum(bits) + span


def kulisch_reference(w, a, accumulator: Kulisch) -> KulischRef:
    width = accumulator.width or fixed_width(w, a) + accumulator.headroom
    lsb = smallest_product(w, a)
    for f in (w, a):
        if f.is_block:
            lsb *= f.scale.min_positive
    return KulischRef(width, lsb)


class Codes(Sequence):
    """The codes of a format whose values are in its range, as a lazy sequence (fp32 has
    2^32): every code, less -2^(n-1) for a symmetric integer format."""

    def __init__(self, fmt):
        self.size = 1 << fmt.bits
        self.skip = 1 << (fmt.bits - 1) if fmt.kind == "int" and fmt.symmetric else None

    def __len__(self) -> int:
        return self.size - (self.skip is not None)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        return i + 1 if self.skip is not None and i >= self.skip else i


def codes(fmt) -> Codes:
    """The codes of ``fmt`` whose values are in its range (a symmetric integer format
    never uses -2^(n-1)); every code of a float format."""
    return Codes(fmt)


def start_values(width: int) -> list[int]:
    top = (1 << (width - 1)) - 1
    full = (1 << width) - 1
    return [0, 1, full, top, 1 << (width - 1), top // 2, full - top // 2]


class FixedChecker:
    """The reference side of a fixed-point (Kulisch) accumulator: its state is the
    accumulator's bits and, above them, the sticky flags NaN (bit 0), +inf (bit 1), -inf
    (bit 2)."""

    def __init__(self, weights, activations, accumulator: Kulisch):
        self.ref = kulisch_reference(weights, activations, accumulator)
        self.width = self.ref.width

    def starts(self) -> list[int]:
        return start_values(self.width)

    def random_start(self, rng) -> int:
        return rng.getrandbits(self.width)

    def step(self, state: int, value) -> int:
        """+inf meeting -inf is NaN; a flag, once set, stays."""
        acc, flags = state & ((1 << self.width) - 1), state >> self.width
        if isinstance(value, float) and math.isnan(value):
            flags |= 1
        elif isinstance(value, float):  # an infinity
            flags |= 2 if value > 0 else 4
            flags |= 1 if flags & 6 == 6 else 0
        else:
            acc = self.ref.step(acc, value)[0]
        return acc | flags << self.width

    def meaning(self, state: int):
        """What a state stands for: NaN, an infinity, or the accumulator's bits (once a
        flag is set, the fixed-point bits no longer matter)."""
        flags = state >> self.width
        if flags & 1:
            return "nan"
        if flags & 6:
            return "+inf" if flags & 2 else "-inf"
        return state

    def describe(self, state: int) -> str:
        meaning = self.meaning(state)
        return meaning if isinstance(meaning, str) else decimal(self.ref.value_of(state) * self.ref.lsb)


class FloatChecker:
    """The reference side of a floating-point accumulator (:func:`float_accumulate`). Its
    holdable values are +0, the normal numbers, the infinities and (with special inputs)
    NaN: results below the smallest normal are flushed to +0, so a subnormal or -0 code
    is never held; with ``subnormals`` every code but NaN is."""

    def __init__(self, weights, activations, accumulator: FloatingPoint):
        self.fmt = accumulator.format
        self.subnormals = accumulator.subnormals
        self.width = self.fmt.bits
        self.largest = weights.max_value * activations.max_value if weights and activations else 0
        # the alignment window a product meets: its significand bits, or the accumulator's
        # and a guard and a round bit, whichever is more (docs/datapaths.md)
        p = sum(significand(f)[0] for f in (weights, activations)) if weights and activations else 0
        self.window = max(p, self.fmt.man_bits + 3)

    def starts(self) -> list[int]:
        """+0 and, of either sign: 1 and 1 + ulp (products near 1 cancel them); 4/3
        rounded (a fraction of alternating bits: sticky and rounding cases); 2 (an
        exponent field with only its top bit set); the smallest normal; the largest
        finite; the largest product, rounded (cancels the products of largest exponent);
        2^(W - 1) and 2^W, W the alignment window (a product of significand 1.1b then has
        its second bit just past the window's edge); infinity. With subnormals also the
        smallest and the largest subnormal."""
        f = self.fmt
        one = f.bias << f.man_bits
        values = [one, one + 1, one + mask(f.man_bits) // 3, (f.bias + 1) << f.man_bits, 1 << f.man_bits,
                  f.encode(f.max_value)]
        # 2^(W - 1) and 2^W: a product of significand 1.1b (1.5, 3) has its second bit just
        # past the window's edge, where only the sticky sees it
        values += [f.encode(pow2(e)) for e in (self.window - 1, self.window) if pow2(e) <= f.max_value]
        if self.subnormals:  # the smallest and the largest subnormal
            values += [1, mask(f.man_bits)]
        if self.largest:
            values.append(f.encode(self.largest))
        if f.specials == "ieee":
            values.append(((1 << f.exp_bits) - 1) << f.man_bits)
        sign = 1 << (f.bits - 1)
        return list(dict.fromkeys([0] + [v | s for v in values for s in (0, sign)]))

    def random_start(self, rng) -> int:
        f = self.fmt
        while True:
            code = rng.getrandbits(self.width)
            exp = (code >> f.man_bits) & ((1 << f.exp_bits) - 1)
            if code == 0 or ((exp or self.subnormals) and not (isinstance(f.decode(code), float)
                                                               and math.isnan(f.decode(code)))):
                return code

    def step(self, state: int, value) -> int:
        return float_accumulate(self.fmt, state, value, self.subnormals)

    def meaning(self, state: int):
        value = self.fmt.decode(state)
        return "nan" if isinstance(value, float) and math.isnan(value) else state

    def describe(self, state: int) -> str:
        return decimal(self.fmt.decode(state))


def decimal(value) -> str:
    """A value for people: exact decimals when short (binary fractions end), else 7
    significant digits after a ~; nan and +-inf as such."""
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    digits = value.denominator.bit_length() - 1  # a power of two: that many decimals end it
    text = f"{abs(value.numerator) * 10 ** digits // value.denominator}".rjust(digits + 1, "0")
    text = f"{'-' if value < 0 else ''}{text[:-digits]}.{text[-digits:]}".rstrip("0")
    return text if len(text) <= 24 else f"~{float(value):.7g}"


def checker(weights, activations, accumulator):
    if isinstance(accumulator, Kulisch):
        return FixedChecker(weights, activations, accumulator)
    return FloatChecker(weights, activations, accumulator)


@dataclass
class Result:
    """What a check found: ``checked`` steps, ``mismatches`` (the first ones, at most
    ``kept``), ``failed`` (all of them)."""

    checked: int = 0
    failed: int = 0
    mismatches: list = field(default_factory=list)
    kept: int = 10
    stop: bool = False  # stop at the first mismatch (``done`` is then true)
    exhaustive: bool = False  # every pair from every start value was run

    def add(self, case) -> None:
        self.failed += 1
        if len(self.mismatches) < self.kept:
            self.mismatches.append(case)

    @property
    def done(self) -> bool:
        return self.stop and self.failed > 0


def operands(dp, weights=None, activations=None, accumulator=None) -> tuple:
    """(weights, activations, accumulator) to check ``dp`` against. Each may be given as
    an object (a Format; a Kulisch or FloatingPoint accumulator) or by name
    (``"fp8_e4m3"``; ``"kulisch"``, ``"fp16:subnormals"``); one not given is the one the
    builder made ``dp`` for (``dp.built_for``). A given one that is not what ``dp`` was
    built for is refused, naming both: checked against other formats a datapath fails
    for reasons that say nothing about it. A hand-built datapath has no record: give
    weights and accumulator (activations default to the weights), and their widths must
    be its input ports'."""
    from ..datapath.builders import parse_accumulator
    from ..formats.spec import format as get_format

    built = getattr(dp, "built_for", None) or {}
    given = {"weights": weights, "activations": activations, "accumulator": accumulator}
    out = {}
    for what, value in given.items():
        if value is None:
            continue
        try:
            out[what] = parse_accumulator(value) if what == "accumulator" else get_format(value)
        except MacgatesError as exc:
            raise type(exc)(f"{dp.name}: {what}: {exc}") from None
    if not built:
        if "activations" not in out and "weights" in out:
            out["activations"] = out["weights"]
        missing = [what for what in ("weights", "accumulator") if what not in out]
        if missing:
            raise DatapathError(f"{dp.name}: no record of the formats it was built for (not made by "
                                f"macgates.mac or dot): give {' and '.join(missing)} (activations: the "
                                "weights' format unless given)")
    w = out.get("weights", built.get("weights"))
    a = out.get("activations", built.get("activations"))
    acc = out.get("accumulator", built.get("accumulator"))
    for what in ("weights", "activations"):
        if what in out and what in built and not _same_format(out[what], built[what]):
            mine, theirs = built[what], out[what]
            text = repr if mine.name == theirs.name else (lambda f: f.name)  # (a design's own of a known name)
            raise DatapathError(f"{dp.name}: built for {what} {text(mine)}, not {text(theirs)}")
    if "accumulator" in out and "accumulator" in built and not _same_accumulator(acc, built["accumulator"], w, a):
        raise DatapathError(f"{dp.name}: built for accumulator {_accumulator_text(built['accumulator'], w, a)}, "
                            f"not {_accumulator_text(acc, w, a)}")
    for port, what, fmt in (("w", "weights", w), ("a", "activations", a)):
        width = dp.ports.get(port, ("in", fmt.bits))[1]
        if width != fmt.bits:
            raise DatapathError(f"{dp.name}: its input {port} is {width} bits wide; {what} {fmt.name} has "
                                f"{fmt.bits}")
    return w, a, acc


def _same_format(x, y) -> bool:
    """The same format, whatever each is called (a design's own format may be a known one
    under another name)."""
    from dataclasses import replace

    def unnamed(f):
        return replace(f, name="", scale=unnamed(f.scale) if f.scale is not None else None)

    return unnamed(x) == unnamed(y)


def _same_accumulator(x, y, w, a) -> bool:
    """Accumulators a check cannot tell apart: fixed point of one width (from the formats),
    or one float format with the same subnormal rule (align and combine are the
    datapath's own: the check reads them from it)."""
    if isinstance(x, Kulisch) and isinstance(y, Kulisch):
        return kulisch_reference(w, a, x).width == kulisch_reference(w, a, y).width
    if isinstance(x, FloatingPoint) and isinstance(y, FloatingPoint):
        return _same_format(x.format, y.format) and x.subnormals == y.subnormals
    return False


def _accumulator_text(acc, w, a) -> str:
    if isinstance(acc, Kulisch):
        return f"{acc} ({kulisch_reference(w, a, acc).width} bits)"
    return str(acc)


def verify(dp, weights=None, activations=None, accumulator=None, *, exhaustive=True, vectors: int = 0,
           length: int = 16, seed: int = 0, starts=None, first: bool = False) -> Result:
    """Check ``dp`` (built for ``weights`` x ``activations`` into ``accumulator``: objects
    or names, by default what it was built for; see :func:`operands`).
    ``exhaustive``: every pair from every start value (``"auto"``: only if that is at
    most MAX_STEPS checks; ``Result.exhaustive`` says whether it ran); ``starts``: the
    accumulator codes the exhaustive check starts from (default: the checker's
    documented start values); ``first``: stop at the first mismatch.

    Block formats: the exhaustive check runs every element pair with both scales at 1,
    then every pair of scale codes with the largest elements; random sequences draw
    scale codes too (half of them within 2^+-8 of 1, where results stay in range)."""
    weights, activations, accumulator = operands(dp, weights, activations, accumulator)
    run = Runner(dp)  # refuses what has no behaviour, by name
    ref = checker(weights, activations, accumulator)
    units = Units(weights, activations, dp.macs, dp.info.get("combine") == "align", getattr(ref, "fmt", None))
    ws, xs = codes(weights), codes(activations)
    starts = ref.starts() if starts is None else list(starts)
    pairs = units.exhaustive_size(ws, xs) * len(starts)
    if exhaustive == "auto":
        exhaustive = pairs <= MAX_STEPS
    if exhaustive and pairs > MAX_STEPS:
        raise DatapathError(f"{dp.name}: every input pair from every start value is {pairs:,} checks, more than "
                            f"{MAX_STEPS:,}; check it with --vectors")
    steps = (pairs if exhaustive else 0) + vectors * length
    if steps > MAX_STEPS:
        raise DatapathError(f"{dp.name}: {steps:,} checks is more than {MAX_STEPS:,}; ask for fewer vectors")
    result = Result(stop=first, exhaustive=bool(exhaustive))
    if exhaustive:
        _exhaustive(run, ref, units, _exhaustive_runs(units, ws, xs), starts, result)
    rng = random.Random(seed)
    for chunk in range(0, vectors, VECTOR_BATCH):
        if result.done:
            break
        drawn = []
        for _ in range(min(VECTOR_BATCH, vectors - chunk)):
            acc = ref.random_start(rng)
            drawn.append((acc, [units.random_input(rng, ws, xs) for _ in range(length)]))
        _sequences(run, ref, units, drawn, result)
    return result


@dataclass
class Units:
    """What one step of the datapath takes and what it adds, from the formats: k codes of
    each operand (one if k = 1), a scale code per block-scaled operand, and the block
    sum the reference accumulates (exact, or truncated to the align combine's window)."""

    weights: object
    activations: object
    k: int
    align: bool
    acc_fmt: object = None
    _products: dict = field(default_factory=dict, repr=False)  # (w, x) -> product, for small formats

    @property
    def scale_ports(self) -> list:
        return [(p, f.scale) for p, f in (("w_scale", self.weights), ("a_scale", self.activations)) if f.is_block]

    def one(self, port) -> int:
        """The scale code of 1."""
        scale = dict(self.scale_ports)[port]
        return scale.bias << scale.man_bits

    def step_batch(self, run, accs, inputs):
        """The datapath's next states for states ``accs`` and ``inputs`` ((w, x, scales)
        each), all at once in the batch form."""
        scales = {port: [s[port] for _, _, s in inputs] for port, _ in self.scale_ports}
        return run.step_batch(accs, [w for w, _, _ in inputs], [x for _, x, _ in inputs], scales)

    def value(self, inp):
        """The block sum the step adds: w x x (k = 1), or the combine of k products,
        times the scales."""
        w, x, scales = inp
        scale = Fraction(1)
        for port, fmt in self.scale_ports:
            scale = multiply(scale, fmt.decode(scales[port]))
        if self.k == 1:
            return multiply(self.product(w, x), scale)
        if self.align:
            return aligned_block_sum(self.weights, w, self.activations, x, self.acc_fmt, scale,
                                     [self.product(a, b) for a, b in zip(w, x)])
        return block_sum([self.product(a, b) for a, b in zip(w, x)], scale)

    def product(self, w: int, x: int):
        """:func:`macgates.run.reference.product` of two codes, each pair computed once when
        there are at most 2^16 pairs (bf16 x bf16's 2^32 are computed as they come)."""
        if self.weights.bits + self.activations.bits > 16:
            return product(self.weights, w, self.activations, x)
        if (w, x) not in self._products:
            self._products[w, x] = product(self.weights, w, self.activations, x)
        return self._products[w, x]

    def exhaustive_size(self, ws, xs) -> int:
        """Inputs per start value of :func:`_exhaustive_runs`, without making them."""
        size = len(ws) * len(xs) * (2 if self.k > 1 else 1)
        if self.scale_ports:
            size += math.prod(1 << fmt.bits for _, fmt in self.scale_ports)
        return size

    def random_input(self, rng, ws, xs):
        k = self.k
        w = rng.choice(ws) if k == 1 else rng.choices(ws, k=k)
        x = rng.choice(xs) if k == 1 else rng.choices(xs, k=k)
        scales = {}
        for port, fmt in self.scale_ports:
            if rng.random() < 0.5:
                scales[port] = rng.getrandbits(fmt.bits)
            else:
                scales[port] = max(0, min((1 << fmt.bits) - 1, self.one(port) + (rng.randint(-8, 8) << fmt.man_bits)
                                          + rng.getrandbits(fmt.man_bits)))
        return w, x, scales


def _largest(fmt, codes_) -> int:
    """The code of largest magnitude (positive if there is a tie)."""
    finite = [c for c in codes_ if not isinstance(fmt.decode(c), float)]
    return max(finite, key=lambda c: (abs(fmt.decode(c)), fmt.decode(c) > 0))


def _exhaustive_runs(units, ws, xs) -> list:
    """The batches of the exhaustive check: (inputs, how many share a value...), each
    input (w, x, scales). Every element pair (scales at 1): in lane 0 with the other lanes
    zero, and (k > 1) in every lane; for block formats every pair of scale codes, every
    lane holding the largest elements (and, for k > 1, lane 0 the largest product of the
    other sign)."""
    k = units.k
    ones = {port: units.one(port) for port, _ in units.scale_ports}

    def lanes(w, x, every):
        if k == 1:
            return w, x
        return ([w] * k, [x] * k) if every else ([w] + [0] * (k - 1), [x] + [0] * (k - 1))

    runs = [[(*lanes(w, x, False), ones) for w in ws for x in xs]]
    if k > 1:
        runs.append([(*lanes(w, x, True), ones) for w in ws for x in xs])
    if units.scale_ports:
        import itertools

        w_top, x_top = _largest(units.weights, ws), _largest(units.activations, xs)
        w, x = lanes(w_top, x_top, True)
        fmts = [fmt for _, fmt in units.scale_ports]
        pairs = list(itertools.product(*[range(1 << f.bits) for f in fmts]))
        ports = [port for port, _ in units.scale_ports]
        runs.append([(w, x, dict(zip(ports, codes_))) for codes_ in pairs])
    return runs


def _exhaustive(run, ref, units, runs, starts, result) -> None:
    """Every input of every run from every start value, the datapath in its batch form;
    the reference state is computed once per (start, distinct block-sum value)."""
    from ..support.progress import counter

    with counter(f"verify {run.dp.name}", sum(len(inputs) for inputs in runs) * len(starts), unit="step") as bar:
        for inputs in runs:
            _exhaustive_run(run, ref, units, inputs, starts, result, bar)
            if result.done:
                return


def _exhaustive_run(run, ref, units, inputs, starts, result, bar) -> None:
    """One run's inputs from every start value (see :func:`_exhaustive`)."""
    import numpy as np

    ids: dict = {}  # block-sum value -> its index in `values` (all NaNs are one)
    values, pid = [], []
    for inp in inputs:
        v = units.value(inp)
        key = "nan" if isinstance(v, float) and math.isnan(v) else v
        if key not in ids:
            ids[key] = len(values)
            values.append(v)
        pid.append(ids[key])
    pid = np.array(pid)
    for acc in starts:
        if result.done:
            return
        got = units.step_batch(run, [acc] * len(inputs), inputs)
        want = np.array([ref.step(acc, v) for v in values], dtype=object)[pid]
        result.checked += len(inputs)
        bar.update(len(inputs))
        for i in np.nonzero(got != want)[0]:
            g, e = int(got[i]), int(want[i])
            if ref.meaning(g) != ref.meaning(e):
                result.add(_case(ref, acc, [_shown(inputs[i])], e, g))


def _shown(inp):
    """An input as a mismatch lists it: (w, x), with the scale codes if there are any."""
    w, x, scales = inp
    return (w, x, scales) if scales else (w, x)


def _case(ref, start: int, inputs, want: int, got: int) -> dict:
    """A mismatch: the start state, the inputs, and the expected and actual states, as
    codes and as the values they stand for."""
    return {"start": start, "start_value": ref.describe(start), "inputs": inputs, "expected": want,
            "expected_value": ref.describe(want), "got": got, "got_value": ref.describe(got)}


def _sequences(run, ref, units, drawn, result) -> None:
    """Random sequences ``drawn`` ((start, inputs), all of one length) run side by side: the
    datapath takes step t of every sequence in one batch; a sequence stops counting at its
    first mismatch, which is reported with the whole sequence."""
    import numpy as np

    got = np.array([acc for acc, _ in drawn], dtype=object)
    want = [acc for acc, _ in drawn]
    live = np.ones(len(drawn), dtype=bool)
    for t in range(len(drawn[0][1])):
        inputs = [seq[t] for _, seq in drawn]
        got = units.step_batch(run, got, inputs)
        want = [ref.step(state, units.value(inp)) for state, inp in zip(want, inputs)]
        result.checked += int(live.sum())
        for i in np.nonzero(live & (got != np.array(want, dtype=object)))[0]:
            g = int(got[i])
            if ref.meaning(g) != ref.meaning(want[i]):
                acc, seq = drawn[i]
                result.add(_case(ref, acc, [_shown(inp) for inp in seq], want[i], g))
                live[i] = False


def slack(dp, weights=None, activations=None, accumulator=None, *, starts=None, vectors: int = 0,
          length: int = 16, seed: int = 0) -> list:
    """Width slack: each width parameter of each component narrowed by one, one at a time,
    and the exhaustive check run again (the formats as :func:`verify` takes them). Returns (component, parameter, value, gates saved)
    for every narrowing that still passes: gates a smaller datapath could save, or width
    the check's start values and inputs do not exercise."""
    weights, activations, accumulator = operands(dp, weights, activations, accumulator)
    as_built = verify(dp, weights, activations, accumulator, starts=starts, vectors=vectors, length=length,
                      seed=seed)
    if as_built.failed:  # (and one that cannot run is refused above, by name)
        raise DatapathError(f"{dp.name}: fails the check as built ({as_built.failed:,} mismatches); "
                            "slack means nothing until it passes")
    from ..support.progress import steps

    passing = []
    candidates = [(comp, param, value) for comp in list(dp.components.values())
                  for param, value in comp.params.items() if value >= 2]
    for comp, param, value in steps(candidates, f"verify --slack {dp.name}", unit="width"):
        narrow = dp.copy()
        try:
            narrow.replace(comp.name, fit=True, **{param: value - 1})  # (its inputs cut to the new widths)
        except DatapathError:
            continue  # a width the graph itself cannot take
        if narrow.gates >= dp.gates:
            continue  # (a shifter's range below a whole stage saves nothing)
        result = verify(narrow, weights, activations, accumulator, starts=starts, vectors=vectors,
                        length=length, seed=seed, first=True)
        if result.failed == 0:
            passing.append((comp.name, param, value, dp.gates - narrow.gates))
    return passing
