"""Error measures of quantized data, and the Lloyd-Max bound.

``x`` is the data and ``q`` its quantized values (the same shape); the error is x - q.

* :func:`rmse`: sqrt(mean((x - q)^2)).
* :func:`sqnr_db`: 10 log10(sum x^2 / sum (x - q)^2), the signal-to-quantization-noise
  ratio in decibels.
* :func:`bits`: log2(std(x) / rmse(x, q)), the whitepaper's "bits of accuracy" (van
  Baalen et al. 2023, Figure 5: the inverted RMSE, normalized by the data's standard
  deviation). A uniform quantizer of step D on data uniform over a range of width W
  (a whole number of steps) has an error uniform on [-D/2, D/2] (rmse D / sqrt(12))
  while std(x) = W / sqrt(12): bits = log2(W / D), the number of steps. INT8 with an
  absmax scale has 254 steps (levels -127..127) from -max|x| to max|x|:
  log2(254) = 7.99.

Where the error is 0 (q == x) the ratios are infinite: ``sqnr_db`` and ``bits`` return
``inf``, also for constant or zero x; where x is constant (std 0) or zero but q is not,
``bits`` / ``sqnr_db`` return ``-inf``. NaN in x or q gives NaN.

:func:`lloyd_max` is Lloyd's algorithm ("method I", Lloyd 1957/1982; Max 1960) on the
samples: the quantizer of ``levels`` reconstruction levels with the least mean squared
error on them, which bounds what any format of that many values can reach on the data.
It alternates the two conditions of optimality: each threshold halfway between adjacent
levels (nearest neighbour), each level the mean of the samples between its thresholds
(centroid); each step lowers the mean squared error or leaves it, and on a finite
sample it stops at a fixed point (a local optimum). It runs from two starts and keeps
the better end: the quantiles of the samples (the start that suits few levels), and the
quantiles of the high-resolution optimum's point density p^(1/3) (Panter and Dite
1951), estimated from the sorted samples: from the plain quantiles alone, 256 levels on
10^6 normal samples stop at a fixed point of 7.02 bits against the 7.29 the second start
reaches. The samples are sorted once; each iteration then costs O(levels log n) with
prefix sums (``np.searchsorted`` on the sorted samples).
"""

from __future__ import annotations

import numpy as np

from ..support.errors import DataError, shown, whole

MAX_LEVELS = 1 << 20


def _pair(x, q):
    x = np.asarray(x, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if x.shape != q.shape:
        raise DataError(f"x and q have different shapes: {x.shape} and {q.shape}")
    if x.size == 0:
        raise DataError("no values to measure")
    return x, q


def rmse(x, q) -> float:
    """The root mean squared error sqrt(mean((x - q)^2))."""
    x, q = _pair(x, q)
    return float(np.sqrt(np.mean(np.square(x - q))))


def _log_ratio(signal: float, noise: float, log) -> float:
    if noise == 0:
        return float("inf") if not np.isnan(signal) else float("nan")
    if signal == 0:
        return float("-inf")
    return float(log(signal / noise))


def sqnr_db(x, q) -> float:
    """10 log10(sum x^2 / sum (x - q)^2), in dB: inf where q == x."""
    x, q = _pair(x, q)
    return 10 * _log_ratio(float(np.sum(np.square(x))), float(np.sum(np.square(x - q))), np.log10)


def bits(x, q) -> float:
    """Bits of accuracy: log2(std(x) / rmse(x, q)) (std with 1/n); inf where q == x."""
    x, q = _pair(x, q)
    return _log_ratio(float(np.std(x)), rmse(x, q), np.log2)


def _samples(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).ravel()
    if x.size == 0:
        raise DataError("lloyd_max: no samples")
    if not np.isfinite(x).all():
        raise DataError(f"lloyd_max: {int((~np.isfinite(x)).sum())} of the samples are NaN or infinite")
    return np.sort(x)


def lloyd_max(x, levels: int, iterations: int = 10_000, tol: float = 1e-12, starts=()) -> tuple[np.ndarray, np.ndarray]:
    """The Lloyd-Max quantizer of ``levels`` reconstruction levels for the samples ``x``
    (any shape, taken as one set): (levels, thresholds), both increasing, ``levels`` long
    and one shorter; a value in (thresholds[i-1], thresholds[i]] maps to levels[i].

    It runs from two starts, the quantiles (i + 1/2) / levels of the distinct sample
    values (distinct, so that repeated values, such as a ReLU's zeros, do not start two
    levels at one place) and those of the density p^(1/3), and keeps the lower error.
    Each run stops after ``iterations`` centroid-and-midpoint updates or when one lowers
    the mean squared error by less than ``tol`` times it. A level whose cell holds no samples
    stays where it is. When x has at most ``levels`` distinct values, those values are
    the answer (error 0), and fewer levels than asked are returned. ``starts``: more
    starting levels (arrays of up to ``levels`` values, such as a format's grid at its
    scale; fewer are padded with quantiles): Lloyd's iterations never raise the error, so
    the result is at least as good as each of them."""
    if not whole(levels, 1, MAX_LEVELS):
        raise DataError(f"lloyd_max: levels: {shown(levels)} is not a whole number from 1 to {MAX_LEVELS:,}")
    if not whole(iterations, 0, 10**9):
        raise DataError(f"lloyd_max: iterations: {shown(iterations)} is not a whole number >= 0")
    if not (isinstance(tol, (int, float)) and tol >= 0):
        raise DataError(f"lloyd_max: tol: {shown(tol)} is not a number >= 0")
    xs = _samples(x)
    distinct = np.unique(xs)
    if len(distinct) <= levels:
        return distinct, (distinct[:-1] + distinct[1:]) / 2
    n = len(xs)
    centre = xs[n // 2]  # prefix sums of x - centre, for the cells' sums and sums of squares
    d = xs - centre
    sums = (xs, np.concatenate(([0.0], np.cumsum(d))), np.concatenate(([0.0], np.cumsum(d * d))), centre)
    quantiles = distinct[((np.arange(levels) + 0.5) * len(distinct) / levels).astype(np.int64)]
    given = [_padded(np.unique(np.asarray(start, dtype=np.float64)), quantiles) for start in starts]
    starts = (quantiles, _compander_start(xs, distinct, levels), *given)
    best = min((_lloyd(sums, start, iterations, tol) for start in starts),
               key=lambda result: result[2])
    return best[0], best[1]


def _padded(start: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """``start``'s values, with quantiles not among them added up to as many levels."""
    if len(start) >= len(quantiles):
        return start[np.linspace(0, len(start) - 1, len(quantiles)).round().astype(np.int64)]
    extra = np.setdiff1d(quantiles, start)[:len(quantiles) - len(start)]
    return np.sort(np.concatenate((start, extra)))


def _compander_start(xs: np.ndarray, distinct: np.ndarray, levels: int) -> np.ndarray:
    """Levels at the quantiles of the point density of the high-resolution optimum,
    proportional to p(x)^(1/3) (Panter and Dite 1951), with p estimated on bins of equal
    counts of the sorted samples: a bin of c of the n samples and width w holds
    (c/n)^(1/3) w^(2/3) of that density's mass. Each level is then moved to a distinct
    sample value at or above it, pushed apart where they would meet, so that each cell
    starts with a sample (its level's): in a heavy tail the density puts several levels
    between two samples."""
    n = len(xs)
    per_bin = max(1, n // (8 * levels))
    starts = np.arange(0, n, per_bin)
    edges = np.append(xs[starts], xs[-1])
    counts = np.diff(np.append(starts, n))
    mass = np.cbrt(counts / n) * np.diff(edges) ** (2 / 3)
    cumulative = np.concatenate(([0.0], np.cumsum(mass)))
    r = np.interp((np.arange(levels) + 0.5) / levels, cumulative / cumulative[-1], edges)
    step = np.arange(levels)
    room = np.maximum.accumulate(np.searchsorted(distinct, r) - step)  # index - i, never falling
    return distinct[np.minimum(room, len(distinct) - levels) + step]


def _lloyd(sums, r: np.ndarray, iterations: int, tol: float):
    """Lloyd's iterations from levels ``r``: (levels, thresholds, mean squared error)."""
    xs, s1, s2, centre = sums
    t = (r[:-1] + r[1:]) / 2
    bounds = _bounds(xs, t)
    mse = _mse(sums, r, bounds)
    for _ in range(iterations):
        count = np.diff(bounds)
        r = np.where(count > 0, centre + (s1[bounds[1:]] - s1[bounds[:-1]]) / np.maximum(count, 1), r)
        t = (r[:-1] + r[1:]) / 2
        bounds = _bounds(xs, t)
        previous, mse = mse, _mse(sums, r, bounds)
        if previous - mse <= tol * mse:
            break
    return r, t, mse


def _bounds(xs: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Where each cell of thresholds ``t`` starts and ends in the sorted samples: cell i is
    xs[bounds[i]:bounds[i + 1]], the samples in (t[i-1], t[i]]."""
    return np.concatenate(([0], np.searchsorted(xs, t, side="right"), [len(xs)]))


def _mse(sums, r, bounds) -> float:
    """The mean squared error of levels ``r`` on the sorted samples' cells ``bounds``
    (:func:`_bounds`), from the prefix sums of d = x - centre: sum over cells of
    sum (d - c)^2 = s2 - 2 c s1 + count c^2, with c = r - centre."""
    xs, s1, s2, centre = sums
    count = np.diff(bounds)
    c = r - centre
    cells = (s2[bounds[1:]] - s2[bounds[:-1]]) - 2 * c * (s1[bounds[1:]] - s1[bounds[:-1]]) + count * c * c
    return float(max(np.sum(cells), 0.0) / len(xs))


def quantize_to(x, levels: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """``x`` (its shape kept) mapped to ``levels``: a value in (thresholds[i-1],
    thresholds[i]] becomes levels[i]."""
    x = np.asarray(x, dtype=np.float64)
    return np.asarray(levels)[np.searchsorted(thresholds, x, side="left")]


def lloyd_max_quantize(x, levels: int, starts=()) -> np.ndarray:
    """``x`` quantized by its own Lloyd-Max quantizer of ``levels`` levels (its shape kept;
    ``starts`` as :func:`lloyd_max`): a local optimum of the mean squared error over
    ``levels``-value quantizers of x."""
    r, t = lloyd_max(x, levels, starts=starts)
    return quantize_to(x, r, t)
