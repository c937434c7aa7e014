"""Error measures and the Lloyd-Max bound (macgates.accuracy.metrics), against hand-worked
cases and closed forms: a uniform quantizer's error, and Max's (1960) optimal Gaussian
quantizers."""

import math
from statistics import NormalDist

import numpy as np
import pytest

from macgates.accuracy.data import load
from macgates.accuracy.metrics import bits, lloyd_max, lloyd_max_quantize, quantize_to, rmse, sqnr_db
from macgates.support.errors import DataError


def gaussian_grid(n):
    """A deterministic stand-in for n normal samples: the quantiles (i + 1/2) / n."""
    inverse = NormalDist().inv_cdf
    return np.array([inverse((i + 0.5) / n) for i in range(n)])


def uniform_grid(n):
    """The midpoints of n equal parts of [-1, 1]."""
    return -1 + (2 * np.arange(n) + 1) / n


# -- the measures -------------------------------------------------------------------------------
def test_hand_worked_measures():
    x, q = [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 2.0]
    # error (0, 0, 0, 2): mean square 1; sum x^2 = 30, sum e^2 = 4; std (1/n) of x = sqrt(1.25)
    assert rmse(x, q) == 1.0
    assert sqnr_db(x, q) == pytest.approx(10 * math.log10(7.5))  # 8.75 dB
    assert bits(x, q) == pytest.approx(0.5 * math.log2(1.25))  # 0.161
    assert rmse([[3.0, -4.0]], [[0.0, 0.0]]) == pytest.approx(math.sqrt(12.5))  # any shape


def test_exact_and_degenerate_cases():
    x = np.array([0.5, -1.0, 2.0])
    assert rmse(x, x) == 0.0 and sqnr_db(x, x) == math.inf and bits(x, x) == math.inf
    c = np.full(4, 3.0)
    assert bits(c, c) == math.inf  # constant and exact
    assert bits(c, c + 1) == -math.inf  # constant data, an error: std 0 / rmse 1
    z = np.zeros(3)
    assert sqnr_db(z, z) == math.inf and sqnr_db(z, z + 1) == -math.inf
    with pytest.raises(DataError, match=r"^x and q have different shapes: \(3,\) and \(2,\)$"):
        rmse(x, x[:2])
    with pytest.raises(DataError, match="^no values to measure$"):
        bits([], [])


def test_int8_absmax_on_uniform_data_scores_log2_254():
    """Levels -127..127 times s = max|x| / 127 cut [-max|x|, max|x|] into 254 steps of s;
    the error is uniform on [-s/2, s/2] (the half cells at the ends too: rmse s / sqrt(12))
    and std(x) = 2 / sqrt(12): bits = log2(254 / max|x|) -> log2(254) = 7.989 (the issue's
    "log2(255) = 8.0" counts levels, not steps)."""
    n = 254 * 1000  # the grid: each step holds 1000 evenly spaced points, so the error's
    x = uniform_grid(n)  # mean square is s^2/12 (1 - 1/1000^2) and std(x)^2 (2^2/12)(1 - 1/n^2)
    s = np.abs(x).max() / 127
    q = np.round(x / s) * s
    assert bits(x, q) == pytest.approx(math.log2(254 / np.abs(x).max()), abs=1e-5)
    assert abs(bits(x, q) - math.log2(254)) < 1e-4 < abs(bits(x, q) - math.log2(255))
    # random samples: the relative standard errors of the sample variance and of the mean
    # square error are both sqrt((kurtosis - 1) / n) = sqrt(0.8 / n) (uniform kurtosis 9/5),
    # so bits = (log2 var - log2 mse) / 2 is within sqrt(0.8 / n) / ln 2 per standard error
    n = 10**6
    x = load("uniform", n, seed=3)
    s = np.abs(x).max() / 127
    assert abs(bits(x, np.round(x / s) * s) - math.log2(254)) < 5 * math.sqrt(0.8 / n) / math.log(2)


def test_sqnr_of_a_uniform_quantizer_is_6_02_db_per_bit():
    """x uniform on [-1, 1]: mean square 1/3; a step of 2/2^b: noise (2/2^b)^2 / 12, so
    SQNR = 10 log10(2^(2b)) = 6.02 b dB."""
    x = uniform_grid(2**10 * 100)
    for b in (4, 8):
        step = 2 / 2**b
        q = (np.floor(x / step) + 0.5) * step  # the 2^b cell midpoints
        assert sqnr_db(x, q) == pytest.approx(20 * b * math.log10(2), abs=1e-4)


# -- Lloyd-Max ----------------------------------------------------------------------------------
def test_gaussian_two_levels_are_plus_minus_sqrt_2_over_pi():
    """Two levels, threshold 0: each level is the mean of a half-normal, sqrt(2/pi) = 0.7979."""
    levels, thresholds = lloyd_max(gaussian_grid(200_000), 2)
    # the grid's spacing at 0 is 1 / (n phi(0)) = 1.25e-5: a fixed point is found to a few spacings
    assert levels == pytest.approx([-math.sqrt(2 / math.pi), math.sqrt(2 / math.pi)], abs=1e-4)
    assert thresholds == pytest.approx([0.0], abs=1e-4)
    # random samples: (r2 - r1) / 2 is the mean of |x| to first order, whose standard error
    # is sqrt((1 - 2/pi) / n)
    n = 10**6
    levels, _ = lloyd_max(load("normal", n, seed=5), 2)
    assert abs((levels[1] - levels[0]) / 2 - math.sqrt(2 / math.pi)) < 5 * math.sqrt((1 - 2 / math.pi) / n)


@pytest.mark.parametrize("count, levels, thresholds", [
    (4, [0.4528, 1.510], [0.9816]),  # Max (1960), Table I: 4 significant digits
    (8, [0.2451, 0.7560, 1.344, 2.152], [0.5006, 1.050, 1.748]),
])
def test_gaussian_levels_are_max_1960(count, levels, thresholds):
    r, t = lloyd_max(gaussian_grid(200_000), count)
    half = count // 2
    # the table's rounding (half its last digit) and 1e-4 for the grid's fixed point
    for got, want in ((r[half:], levels), (t[half:], thresholds)):
        for g, w in zip(got, want):
            digits = 4 - 1 - math.floor(math.log10(w))
            assert abs(g - w) <= 0.5 * 10**-digits + 1e-4
    assert r[:half] == pytest.approx(-r[half:][::-1], abs=2e-4)  # symmetric


def test_uniform_data_gives_the_uniform_quantizer():
    """For uniform data the optimum is the uniform quantizer: levels -1 + (2k + 1)/L,
    thresholds -1 + 2k/L."""
    for count in (3, 8, 16):
        r, t = lloyd_max(uniform_grid(count * 10_000), count)
        assert r == pytest.approx(-1 + (2 * np.arange(count) + 1) / count, abs=1e-4)
        assert t == pytest.approx(-1 + 2 * np.arange(1, count) / count, abs=1e-4)
    # random samples: bits = log2(L) (the error of L equal steps, as for INT8 above), within
    # sqrt(0.8 / n) / ln 2 per standard error
    n = 10**6
    x = load("uniform", n, seed=2)
    for count in (8, 255):
        assert abs(bits(x, lloyd_max_quantize(x, count)) - math.log2(count)) < 5 * math.sqrt(0.8 / n) / math.log(2)


def test_gaussian_256_levels_reach_the_panter_dite_error():
    """With many levels the optimal mean square error of N(0, 1) tends to
    (1/12) (integral of p^(1/3))^3 / L^2 = (sqrt(3) pi / 2) / L^2 (Panter and Dite 1951):
    7.278 bits at L = 256, taken here within 0.01 bits (1.4% of the mean square error). A
    start at the plain quantiles alone stops at a fixed point near 7.0 bits."""
    x = gaussian_grid(10**6)
    panter_dite = 0.5 * math.log2(256**2 / (math.sqrt(3) * math.pi / 2))
    assert abs(bits(x, lloyd_max_quantize(x, 256)) - panter_dite) < 0.01


def test_lloyd_max_beats_the_uniform_quantizer():
    """Optimal for mean square error among quantizers of as many levels: better than the
    255 absmax INT8 levels on Gaussian and Student-t data."""
    for spec in ("normal", "student-t:4"):
        x = load(spec, 200_000, seed=1)
        s = np.abs(x).max() / 127
        assert rmse(x, lloyd_max_quantize(x, 255)) < rmse(x, np.round(x / s) * s)


def test_mse_never_rises_over_the_iterations():
    x = load("laplace", 10_000, seed=4)
    mse = []
    for k in range(0, 40):
        r, t = lloyd_max(x, 8, iterations=k, tol=0)
        mse.append(float(np.mean((x - quantize_to(x, r, t)) ** 2)))  # measured again, directly
    assert all(b <= a * (1 + 1e-12) for a, b in zip(mse, mse[1:]))
    assert mse[-1] < mse[0] * 0.99  # and the iterations do something


def test_few_distinct_values_are_their_own_levels():
    x = np.array([[0.0, 0.0, 1.0], [1.0, 2.0, 2.0]])
    r, t = lloyd_max(x, 4)
    assert r.tolist() == [0.0, 1.0, 2.0] and t.tolist() == [0.5, 1.5]
    q = lloyd_max_quantize(x, 4)
    assert q.shape == (2, 3) and np.array_equal(q, x) and bits(x, q) == math.inf


def centroid_and_midpoint_hold(x, r, t):
    """Lloyd-Max's two conditions, measured directly: each threshold halfway between its
    levels, each level the mean of the samples of its cell."""
    cell = np.searchsorted(t, x, side="left")
    means = np.array([x[cell == i].mean() for i in range(len(r))])
    return np.allclose(t, (r[:-1] + r[1:]) / 2, rtol=0, atol=1e-12) and np.allclose(r, means, rtol=0, atol=1e-9)


def test_the_result_meets_both_conditions():
    for spec, count in (("student-t:3", 16), ("laplace", 5), ("half-normal", 8)):
        x = load(spec, 50_000, seed=8)
        r, t = lloyd_max(x, count)
        assert len(r) == count and np.all(np.diff(r) > 0) and centroid_and_midpoint_hold(x, r, t)


def test_repeated_values_do_not_waste_levels():
    """Post-ReLU data, half exact zeros: the start uses distinct values, so that no two
    levels start (and stay) at 0; the result meets both conditions with 4 distinct levels,
    the lowest in the cell of the zeros, near 0."""
    x = np.maximum(load("normal", 100_000, seed=6), 0)
    r, t = lloyd_max(x, 4)
    assert len(np.unique(r)) == 4 and 0 < r[0] < t[0] and centroid_and_midpoint_hold(x, r, t)


def test_quantize_to_maps_cells_to_levels():
    levels, thresholds = np.array([-1.0, 0.0, 2.0]), np.array([-0.5, 1.0])
    # a value on a threshold goes to the lower cell, as in lloyd_max's cells
    assert quantize_to([-3, -0.5, -0.4, 1.0, 1.1], levels, thresholds).tolist() == [-1, -1, 0, 0, 2]


@pytest.mark.parametrize("args, message", [
    (([1.0, 2.0], 0), "lloyd_max: levels: 0 is not a whole number from 1 to 1,048,576"),
    (([1.0, 2.0], 2.0), "lloyd_max: levels: 2.0 is not a whole number from 1 to 1,048,576"),
    (([], 2), "lloyd_max: no samples"),
    (([1.0, np.nan, np.inf], 2), "lloyd_max: 2 of the samples are NaN or infinite"),
    (([1.0, 2.0], 2, -1), "lloyd_max: iterations: -1 is not a whole number >= 0"),
    (([1.0, 2.0], 2, 10, -1.0), "lloyd_max: tol: -1.0 is not a number >= 0"),
])
def test_lloyd_max_errors(args, message):
    with pytest.raises(DataError) as info:
        lloyd_max(*args)
    assert str(info.value) == message
