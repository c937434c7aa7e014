"""Quantization to a :class:`~macgates.formats.Format` on float64 numpy data, and the scale rules.

* :func:`quantize` ``(fmt, x, scale=1.0, *, saturate=False)``: the value of ``fmt`` nearest
  to ``x / scale``, times ``scale``. It rounds exactly as :meth:`Format.encode` followed by
  :meth:`Format.decode` do (round to nearest, ties to even, subnormals, each format's
  overflow rule: integers saturate to their range, ``'none'`` floats saturate, ``'fn'``
  floats give NaN beyond the largest finite value after rounding, ``'ieee'`` floats give
  +-inf, E8M0 rounds in the exponent; unsigned formats give NaN for negative numbers), but
  vectorized in float64: at or above the smallest normal the float64 bit pattern is rounded
  to the format's mantissa bits (ties to even, as integers), below it ``np.rint`` rounds the
  value over the fixed subnormal quantum; E8M0 rounds in the exponent (``np.frexp``), integers
  with ``np.rint``. The one difference from ``decode``: a
  negative number that underflows gives -0.0 (``decode`` gives 0 for every zero code); the
  two compare equal. ``saturate=True`` clips ``x / scale`` to the format's finite range
  first (the conversion with saturation that OCP MX prescribes for its elements, and what
  a quantization simulator does for every format): no infinity or NaN comes out of a
  finite input then.
* :func:`scale_for` ``(fmt, x, rule="absmax", axis=None)``: ``absmax`` maps max|x| to the
  format's largest finite value; ``mse`` searches the scale of least mean squared error
  (the whitepaper's "MSE range estimation"; the search is in :func:`scale_for`'s docstring).
* :func:`quantize_blocks` ``(fmt, x, axis=-1)``: a block format's own shared-scale rule
  (OCP MX v1.0 section 6.3; NVFP4's two-level scaling).
* :func:`fake_quantize` ``(fmt, x, rule="absmax", axis=None)``: quantize-dequantize with a
  scale rule (scalar formats) or the block rule (block formats), saturating.

Exact arithmetic stays in :mod:`macgates.formats.encoding` (Fractions); this is float64,
for physical data. Every format :func:`macgates.formats.define` accepts has at most 23
mantissa bits and values well inside float64's normal range (exponents within +-520), so
rounding y = x / scale to the format is exact: it is encode/decode's rounding of the
float64 y. Only ``x / scale`` and the product by ``scale`` round in float64 (not when the
scale is a power of two, as in the block rules).
"""

from __future__ import annotations

import numpy as np

from ..formats import Format, format
from ..support.errors import MacgatesError, did_you_mean
from . import RULES

# the MSE search (scale_for's docstring): a log-spaced coarse grid of clipping ranges
# alpha x absmax, alpha from MSE_LOW to 1, then MSE_ROUNDS refinements between the best
# point's neighbours
MSE_LOW = 2.0 ** -10
MSE_COARSE = 41
MSE_FINE = 9
MSE_ROUNDS = 2


class QuantizeError(MacgatesError):
    """Bad input to quantization: data, scales, rules, axes."""


# -- quantization to a format ------------------------------------------------------------------
def quantize(fmt, x, scale=1.0, *, saturate: bool = False) -> np.ndarray:
    """The value of ``fmt`` nearest to ``x / scale``, times ``scale`` (float64, ``x``'s shape).

    ``x``: real numbers (any shape); ``scale``: a positive finite float, or an array of
    them broadcastable to ``x`` (per channel). Rounding and overflow are
    :meth:`Format.encode`'s, then :meth:`Format.decode`'s value (the module docstring);
    a block format's record quantizes with its element encoding (the block rule is
    :func:`quantize_blocks`). ``saturate``: clip ``x / scale`` to +-the largest finite
    value first. NaN in ``x`` gives NaN for a format with a NaN code and raises
    QuantizeError for the others, as ``encode`` does.
    """
    fmt = _format(fmt)
    x = _array(x, "x")
    s = _scale(scale)
    if s is not None and np.broadcast_shapes(x.shape, s.shape) != x.shape:
        raise QuantizeError(f"scale: expected a float or an array broadcastable to x's shape {x.shape}, "
                            f"got shape {s.shape}")
    y = x if s is None else x / s
    q = _grid(fmt, y, saturate)
    return q if s is None else q * s


def _grid(fmt: Format, y: np.ndarray, saturate: bool) -> np.ndarray:
    """``y`` rounded to ``fmt``'s values (the unscaled :func:`quantize`), ``y``'s shape."""
    y = np.asarray(y, dtype=np.float64)
    return _rounded(fmt, np.atleast_1d(y), saturate).reshape(y.shape)


def _rounded(fmt: Format, y: np.ndarray, saturate: bool) -> np.ndarray:
    nan = np.isnan(y)
    if nan.any() and (fmt.kind == "int" or fmt.specials == "none"):
        raise QuantizeError(f"{fmt.name}: x holds NaN, which {fmt.name} cannot represent "
                            "(expected real numbers or +-inf)")
    top = float(fmt.max_value)
    if fmt.kind == "int":
        low = -top - (0.0 if fmt.symmetric else 1.0)
        return np.clip(np.rint(y), low, top)  # rint: half to even; +-inf saturate
    if saturate:
        y = np.clip(y, -top, top)
    a = np.abs(y)
    with np.errstate(invalid="ignore", over="ignore"):
        if fmt.man_bits == 0:  # E8M0: powers of two, rounded in the exponent; no zero
            # frexp(a) = (f, e) with a = f x 2^e, f in [0.5, 1): floor(log2 a) = e - 1; inf and
            # NaN pass through frexp, ldexp and rint unchanged (and are handled below)
            frac, exp = np.frexp(a)
            r = np.ldexp(np.rint(2 * frac), exp - 1)  # 2 f in [1, 2): 1.5 goes to 2 (even)
            np.copyto(r, 2.0 ** -fmt.bias, where=a <= 2.0 ** -fmt.bias)  # below the smallest
        else:
            r = _round_bits(a, fmt.man_bits, 1 - fmt.bias)
            if nan.any():  # a NaN's payload may carry out of the bit pattern
                np.copyto(r, np.nan, where=nan)
        over = r > top  # after rounding; +inf too
        if fmt.specials == "ieee" and fmt.man_bits:
            np.copyto(r, np.inf, where=over)
        elif fmt.specials in ("fn", "ieee"):
            np.copyto(r, np.nan, where=over)
        else:
            np.copyto(r, top, where=over)
        if not fmt.signed:
            bad = (y < 0) | np.isinf(y)
            if fmt.man_bits == 0:
                bad |= y == 0  # E8M0 has no zero
            if fmt.specials == "none" and bad.any():
                raise QuantizeError(f"{fmt.name}: x holds negative numbers or infinity, which the "
                                    f"unsigned {fmt.name} cannot represent")
            np.copyto(r, np.nan, where=bad)
            return r
    return np.copysign(r, y, out=r)


def _round_bits(a: np.ndarray, man_bits: int, emin: int) -> np.ndarray:
    """Magnitudes ``a`` (float64 >= 0, inf, NaN) rounded to ``man_bits`` mantissa bits, ties to
    even, on a grid whose smallest binade is 2^emin (below it, subnormals: the quantum
    2^(emin - man_bits)); unbounded above. At or above 2^emin this is the rounding of the
    float64 bit pattern itself: add half an LSB of the target less one (plus one when the
    kept LSB is odd, so a tie goes to even), clear the dropped bits; a carry moves into the
    exponent as it should, and inf keeps its code (a NaN may not: the caller restores it). Below 2^emin, np.rint of the
    value over the fixed quantum (a power of two, so the scaling is exact)."""
    shift = 52 - man_bits
    bits = a.view(np.int64)
    kept = (bits + ((1 << (shift - 1)) - 1 + ((bits >> shift) & 1))) >> shift << shift
    r = kept.view(np.float64)
    low = a < 2.0 ** emin
    if low.any():
        quantum = 2.0 ** (emin - man_bits)
        np.copyto(r, np.rint(a / quantum) * quantum, where=low)
    return r


# -- scale rules -----------------------------------------------------------------------------
def scale_for(fmt, x, rule: str = "absmax", axis=None):
    """The scale for ``quantize(fmt, x, scale)``: a float (``axis=None``: per tensor), or an
    array with the reduced ``axis`` (an int or a tuple of ints) kept as size 1, which
    broadcasts against ``x`` (``axis=1`` of a (channels, n) matrix: one scale per row).

    * ``absmax``: max|x| / the format's largest finite value, so that max|x| maps to it
      exactly; a channel of zeros gets scale 1.
    * ``mse``: the scale minimizing mean((fake-quantized x - x)^2) (saturating, as
      :func:`fake_quantize` quantizes), the whitepaper's "MSE range estimation" (van Baalen
      et al. 2023): candidate clipping ranges c = alpha x absmax with alpha on a grid of
      ``MSE_COARSE`` (41) log-spaced points from ``MSE_LOW`` (2^-10) to 1 (alpha = 1, the
      absmax scale, included), scale c / largest value; then ``MSE_ROUNDS`` (2) times, a
      grid of ``MSE_FINE`` (9) points between the best point's two neighbours (linear in
      log2 alpha, the neighbours included). The best of every point tried is kept (a tie
      keeps the point tried first, alpha = 1 first), so the result is never worse than ``absmax`` on ``x``. 41 + 2 x 9 = 59
      quantizations of ``x`` per call; per channel, every channel searches at once. Ranges
      above absmax are not tried. Per tensor, for a signed format of at most 2^12 values
      and more than 4 samples per value, each point's error is summed over runs of the
      sorted samples (:class:`_Cells`: the same quantization, O(values log n) per point
      after one sort); where two points' sums are too close for their order to be sure,
      the direct mean decides, so the search takes the direct search's path.
    """
    fmt = _format(fmt)
    x = _array(x, "x")
    if not np.isfinite(x).all():
        raise QuantizeError("x: expected finite numbers for a scale rule, got NaN or infinity")
    if rule not in RULES:
        raise QuantizeError(f"unknown scale rule {str(rule)[:40]!r} ({did_you_mean(RULES)})")
    if not x.size:
        raise QuantizeError("x: expected at least one number for a scale rule")
    axis = _axis(axis, x.ndim)
    amax = np.max(np.abs(x), axis=axis, keepdims=True)
    top = float(fmt.max_value)
    absmax = np.where(amax > 0, amax / top, 1.0)
    if rule == "absmax":
        return _shaped(absmax, axis)
    return _shaped(_mse_search(fmt, x, absmax, amax > 0, axis), axis)


def _mse_search(fmt, x, absmax, nonzero, axis):
    def direct(log_alpha):
        s = absmax * np.exp2(log_alpha)
        err = _grid(fmt, x / s, True) * s - x
        return np.mean(err * err, axis=axis, keepdims=True)

    values = _values(fmt) if axis is None and fmt.signed and nonzero.all() else None
    if values is not None and x.size > 4 * len(values):  # (many samples per value)
        cells = _Cells(fmt, x.ravel(), values)
        mse = lambda log_alpha: cells.mse(absmax * np.exp2(log_alpha))  # noqa: E731
        exact: dict = {}

        def keep(log_alpha, best_log, best):
            # the run sums add in another order than the direct mean: where two points are
            # that close, the direct mean decides, so the search goes as the direct one does
            err = mse(log_alpha)
            e, b = err.item(), best.item()
            if abs(e - b) > cells.tie(e, b):
                better = e < b
            else:
                for point in (log_alpha, best_log):
                    if point.item() not in exact:
                        exact[point.item()] = direct(point).item()
                better = exact[log_alpha.item()] < exact[best_log.item()]
            return (log_alpha, err) if better else (best_log, best)
    else:
        mse = direct

        def keep(log_alpha, best_log, best):
            return _keep(mse, log_alpha, best_log, best)
    floor = np.log2(MSE_LOW)
    best_log = np.zeros_like(absmax)  # log2 alpha: alpha = 1, the absmax scale, first
    best = mse(best_log)
    width = -floor / (MSE_COARSE - 1)  # the grid's spacing in log2 alpha
    for k in range(1, MSE_COARSE):
        best_log, best = keep(np.full_like(absmax, -k * width), best_log, best)
    width = np.full_like(absmax, width)
    for _ in range(MSE_ROUNDS):  # between the best point's neighbours
        lo = np.maximum(best_log - width, floor)
        hi = np.minimum(best_log + width, 0.0)
        for t in np.linspace(0.0, 1.0, MSE_FINE):
            best_log, best = keep(lo + t * (hi - lo), best_log, best)
        width = (hi - lo) / (MSE_FINE - 1)
    return np.where(nonzero, absmax * np.exp2(best_log), 1.0)


class _Cells:
    """The mean squared error of saturating quantization at scale s, per tensor, from the
    sorted samples: y -> the format's nearest value is a non-decreasing step function of
    y, and x -> x / s is non-decreasing in float64, so the samples that quantize to one
    value are a run of the sorted samples. Each run's bounds are found with the
    quantizer itself (a first guess at the midpoints between the values, checked on the
    samples either side of it, and a bisection where it is wrong: so the runs are exactly
    the samples that :func:`quantize` maps to each value), and the run's sum of (x - v s)^2
    comes from prefix sums of x - c and its square (c: the median): O(values x log n) per
    scale instead of O(n). Only the summation order differs from the direct mean; where
    two scales' sums are within :meth:`tie` of each other, the search asks the direct mean."""

    def __init__(self, fmt: Format, x: np.ndarray, values: np.ndarray):
        self.fmt, self.values = fmt, values
        self.xs = np.sort(x)
        self.centre = self.xs[len(x) // 2]
        d = self.xs - self.centre
        self.s1 = np.concatenate(([0.0], np.cumsum(d)))
        self.s2 = np.concatenate(([0.0], np.cumsum(d * d)))
        self.mid = (values[:-1] + values[1:]) / 2  # the first sample of run k + 1 is about here

    def tie(self, a: float, b: float) -> float:
        """How close two of :meth:`mse`'s values must be for their order to be in doubt:
        the prefix sums lose digits to cancellation, measured at 4e-10 of the error (and,
        where outliers dominate, about 1e-16 of the samples' mean square about c): 1e-8 of
        the error plus 1e-12 of that mean square."""
        return 1e-8 * max(a, b) + 1e-12 * float(self.s2[-1]) / len(self.xs)

    def _level(self, i: np.ndarray, s: float) -> np.ndarray:
        return _grid(self.fmt, self.xs[i] / s, True)

    def mse(self, scale) -> np.ndarray:
        s = float(np.asarray(scale).reshape(-1)[0])
        xs, n, v = self.xs, len(self.xs), self.values
        b = np.searchsorted(xs, self.mid * s)  # guess: the count of samples below value k + 1
        upper = v[1:]
        ok = (b == 0) | (self._level(np.maximum(b - 1, 0), s) < upper)
        ok &= (b == n) | (self._level(np.minimum(b, n - 1), s) >= upper)
        if not ok.all():  # bisection: the least b with level(b) >= value k + 1
            wrong = np.flatnonzero(~ok)
            lo, hi = np.zeros(len(wrong), np.int64), np.full(len(wrong), n, np.int64)
            while (lo < hi).any():
                m = (lo + hi) // 2
                below = (lo < hi) & (self._level(np.minimum(m, n - 1), s) < upper[wrong])
                lo, hi = np.where(below, m + 1, lo), np.where(below | (lo >= hi), hi, m)
            b[wrong] = lo
        bounds = np.concatenate(([0], b, [n]))
        count = np.diff(bounds)
        c = v * s - self.centre
        cells = (np.diff(self.s2[bounds]) - 2 * c * np.diff(self.s1[bounds]) + count * c * c)
        return np.full(np.shape(scale), max(float(np.sum(cells)), 0.0) / n)


_VALUES: dict = {}


def _values(fmt: Format):
    """The finite values of a scalar format, increasing (float64), or None when there are
    more than 2^12 of them (the direct mean is as fast then)."""
    if fmt not in _VALUES:
        if fmt.kind == "int":
            top = int(fmt.max_value)
            low = -top - (0 if fmt.symmetric else 1)
            _VALUES[fmt] = np.arange(low, top + 1, dtype=np.float64) if top - low < 1 << 12 else None
        elif fmt.bits <= 12:
            from ..formats.encoding import decode

            finite = {float(v) for v in (decode(fmt, c) for c in range(1 << fmt.bits)) if np.isfinite(float(v))}
            _VALUES[fmt] = np.array(sorted(finite))
        else:
            _VALUES[fmt] = None
    return _VALUES[fmt]


def _keep(mse, log_alpha, best_log, best):
    err = mse(log_alpha)
    better = err < best  # a tie keeps the point tried first
    return np.where(better, log_alpha, best_log), np.where(better, err, best)


# -- block formats ------------------------------------------------------------------------------
def quantize_blocks(fmt, x, axis=-1) -> np.ndarray:
    """``x`` quantized by block format ``fmt``'s shared-scale rule, dequantized (float64,
    ``x``'s shape): blocks of ``fmt.block_size`` consecutive elements along ``axis`` (the
    tail block padded with zeros), each with one scale in ``fmt.scale``.

    * A power-of-two scale (E8M0; OCP Microscaling Formats (MX) v1.0, section 6.3,
      "Conversion from vectors of FP32 to MX format"): shared exponent
      X = floor(log2(max|block|)) - emax_elem, where emax_elem is the exponent of the
      element format's largest normal (float8_e4m3fn 8, float8_e5m2 15, fp6_e2m3 2,
      fp6_e3m2 4, fp4_e2m1 2); X is clamped to the scale's range (E8M0: -127..127), and an
      all-zero block takes the smallest scale, 2^-127 (the spec does not say; its elements
      are zero whatever the scale). Elements are the element format's nearest value to
      v / 2^X, saturating at its largest normal (section 6.3 clamps normal numbers to the
      max normal, also for float8_e5m2, which has infinity). mxint8: the spec's INT8
      element is a two's-complement byte with an implied scale 2^-6 (emax_elem 0);
      macgates' mxint8 record is the integer byte itself (-128..127, full range), so here
      emax_elem = floor(log2 127) = 6 and the dequantized values are the spec's (X is the
      spec's X - 6, clamped to -127..127 on that scale).
    * A scale with mantissa bits (NVFP4: 16 fp4_e2m1 elements, a UE4M3 scale; NVIDIA
      Technical Blog, "Introducing NVFP4 for Efficient and Accurate Low-Precision
      Inference", 24 June 2025: an E4M3 scale per 16-value micro-block and a second-level
      FP32 scalar per tensor): the per-tensor scale is t = max|x| / (6 x 448) (the element's
      and the scale's largest values; rounded to float32; 1 for a zero tensor), so that
      every block scale max|block| / (6 t) fits UE4M3 (at most 448); that block scale is
      rounded to UE4M3 (nearest, ties to even, saturating), and elements are the nearest
      fp4_e2m1 values to v / (block scale x t), saturating at 6. A block whose scale rounds
      to zero is zero. The form t = amax / (6 x 448) is the one described in write-ups of
      NVIDIA's recipe (e.g. arXiv:2509.25149, NVIDIA, "Pretraining Large Language Models
      with NVFP4"); the search tool's stored copies did not let me read the formula in
      NVIDIA's own text, so it is stated here as this module's rule. The same rule applies
      to any block format whose scale has mantissa bits (with that scale's largest value).
    """
    fmt = _format(fmt)
    if not fmt.is_block:
        raise QuantizeError(f"{fmt.name} is not a block format (expected one with block_size and "
                            "scale, such as mxfp8_e4m3, mxint8 or nvfp4)")
    sc = fmt.scale
    if sc.kind != "float" or sc.signed:
        raise QuantizeError(f"{fmt.name}: expected an unsigned float scale (e8m0, ue4m3), got {sc.name}")
    x = _array(x, "x")
    if not np.isfinite(x).all():
        raise QuantizeError("x: expected finite numbers for a block format, got NaN or infinity")
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or not -max(x.ndim, 1) <= axis < x.ndim:
        raise QuantizeError(f"axis: expected a whole number from {-x.ndim} to {x.ndim - 1}, got {axis!r:.40}")
    moved = np.moveaxis(np.atleast_1d(x), axis, -1)
    n = moved.shape[-1]
    size = fmt.block_size
    pad = (-n) % size
    blocks = np.pad(moved, [(0, 0)] * (moved.ndim - 1) + [(0, pad)]).reshape(*moved.shape[:-1], -1, size)
    amax = np.abs(blocks).max(axis=-1, keepdims=True)
    top = float(fmt.max_value)
    if sc.man_bits == 0:
        shared = np.frexp(amax)[1] - 1.0 - _emax(fmt)  # frexp: floor(log2 amax) exactly
        lo, hi = sc.min_exp_field - sc.bias, sc.max_exp_field - sc.bias
        shared = np.clip(np.where(amax > 0, shared, lo), lo, hi)
        step = np.exp2(shared)
    else:
        tensor = float(np.abs(x).max()) if x.size else 0.0
        t = float(np.float32(tensor / (top * float(sc.max_value)))) if tensor > 0 else 1.0
        if not (np.isfinite(t) and t >= float(np.finfo(np.float32).tiny)):
            raise QuantizeError(f"{fmt.name}: the tensor's largest magnitude {tensor:.3g} puts its per-tensor "
                                f"FP32 scale ({tensor / (top * float(sc.max_value)):.3g}) outside FP32's normal range")
        step = _grid(sc, amax / (top * t), True) * t
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(step > 0, _grid(fmt, blocks / np.where(step > 0, step, 1.0), True) * step, 0.0)
    q = q.reshape(*moved.shape[:-1], n + pad)[..., :n]
    return np.moveaxis(q, -1, axis).reshape(x.shape)


def fake_quantize(fmt, x, rule: str = "absmax", axis=None) -> np.ndarray:
    """``x`` quantized to ``fmt`` and dequantized (float64, ``x``'s shape), saturating.

    A scalar format: ``quantize(fmt, x, scale_for(fmt, x, rule, axis), saturate=True)``.
    A block format: :func:`quantize_blocks` along ``axis`` (None: the last); the block rule
    sets every scale, so ``rule`` is checked but both rules give the block rule (no
    per-tensor pre-scale is searched).
    """
    fmt = _format(fmt)
    if rule not in RULES:
        raise QuantizeError(f"unknown scale rule {str(rule)[:40]!r} ({did_you_mean(RULES)})")
    if not fmt.signed and np.any(np.asarray(x) < 0):
        raise QuantizeError(f"{fmt.name} is unsigned and the data hold negative values: "
                            "score it on non-negative data (half-normal, or a tensor of magnitudes)")
    if fmt.is_block:
        return quantize_blocks(fmt, x, -1 if axis is None else axis)
    x = _array(x, "x")
    return quantize(fmt, x, scale_for(fmt, x, rule, axis), saturate=True)


def _emax(fmt: Format) -> int:
    """The exponent of an element format's largest normal (an integer's: of its largest value)."""
    return fmt.max_exp_field - fmt.bias if fmt.is_float else fmt.bits - 2


# -- checks ---------------------------------------------------------------------------------------
def _format(fmt) -> Format:
    if isinstance(fmt, Format):
        return fmt
    return format(fmt)


def _array(x, what: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise QuantizeError(f"{what}: expected an array of real numbers, got {type(x).__name__}") from None
    return arr


def _scale(scale):
    """None for the scale 1 (no arithmetic), else a positive finite float64 array."""
    if isinstance(scale, (int, float)) and not isinstance(scale, bool) and scale == 1:
        return None
    s = _array(scale, "scale")
    if not (np.isfinite(s).all() and (s > 0).all()):
        raise QuantizeError("scale: expected positive finite numbers")
    return s


def _axis(axis, ndim: int):
    if axis is None:
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    if ndim == 0:
        raise QuantizeError(f"axis: x is a single number (0-d), with no axis {axis!r:.40}: expected no axis")
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool) or not -ndim <= a < ndim:
            raise QuantizeError(f"axis: expected None, or whole numbers from {-ndim} to {ndim - 1}, got {axis!r:.40}")
    return tuple(int(a) % ndim for a in axes)


def _shaped(scale: np.ndarray, axis):
    return float(scale.reshape(-1)[0]) if axis is None else scale
