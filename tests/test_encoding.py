"""Format.decode / Format.encode against ml_dtypes (an independent implementation of the
OCP and IEEE formats) for every code, and the whitepaper's FP8 against Appendix A."""

import math
import random
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

import macgates
from macgates import FormatError

# ml_dtypes (or numpy) type -> our format
ORACLES = {"float8_e4m3fn": "float8_e4m3fn", "float8_e5m2": "float8_e5m2", "float6_e2m3fn": "fp6_e2m3",
           "float6_e3m2fn": "fp6_e3m2", "float4_e2m1fn": "fp4_e2m1", "float8_e8m0fnu": "e8m0",
           "bfloat16": "bf16", "float16": "fp16"}


def oracle(name):
    return np.float16 if name == "float16" else getattr(ml_dtypes, name)


def codes_and_values(name, fmt):
    """Every code of the format, and ml_dtypes' float64 value of each."""
    storage = np.uint16 if fmt.bits > 8 else np.uint8
    codes = np.arange(1 << fmt.bits, dtype=storage)
    with np.errstate(invalid="ignore"):  # NaN codes
        return codes.tolist(), codes.view(oracle(name)).astype(np.float64).tolist()


def same(ours, theirs) -> bool:
    if isinstance(ours, float) and math.isnan(ours):
        return math.isnan(theirs)
    return not math.isnan(theirs) and ours == theirs


def oracle_codes(name, fmt, values) -> list:
    storage = np.uint16 if fmt.bits > 8 else np.uint8
    with np.errstate(invalid="ignore", over="ignore"):
        return np.array(values, dtype=np.float64).astype(oracle(name)).view(storage).tolist()


@pytest.mark.parametrize("name", list(ORACLES))
def test_decode_every_code(name):
    fmt = macgates.format(ORACLES[name])
    codes, values = codes_and_values(name, fmt)
    assert all(same(fmt.decode(c), v) for c, v in zip(codes, values))
    assert max(v for v in values if math.isfinite(v)) == fmt.max_value


@pytest.mark.parametrize("name", list(ORACLES))
def test_encode_every_value_and_the_points_between(name):
    fmt = macgates.format(ORACLES[name])
    codes, values = codes_and_values(name, fmt)
    finite = sorted({v for v in values if math.isfinite(v)})
    rng = random.Random(5)
    neighbours = list(zip(finite, finite[1:]))
    if len(neighbours) > 4000:  # 16-bit formats: every value, and the points between 4,000 pairs
        neighbours = rng.sample(neighbours, 4000)
    probes = list(finite) + [-0.0]
    probes += [(a + b) / 2 for a, b in neighbours]  # ties: round half to even
    probes += [a + (b - a) / 4 for a, b in neighbours] + [a + 3 * (b - a) / 4 for a, b in neighbours]
    top = float(fmt.max_value)
    probes += [top * 1.01, top * 1.2, top * 4, -top * 3, float(fmt.min_positive) / 3, -float(fmt.min_positive) / 2,
               math.inf, -math.inf]
    probes += [rng.uniform(-2 * top, 2 * top) for _ in range(2000)] if top < 1e30 else \
        [rng.choice((-1, 1)) * 2.0 ** rng.uniform(-140, 127) for _ in range(2000)]
    if name == "float8_e8m0fnu":
        # ml_dtypes converts through float32, where (2^-127, 2^-126) is subnormal, and
        # rounds that whole binade up to 2^-126; macgates rounds it to nearest like every
        # other binade (1.25 x 2^-127 -> 2^-127). Every other value must agree.
        probes = [p for p in probes if not 2.0 ** -127 < abs(p) < 2.0 ** -126]
        assert fmt.encode(1.25 * 2.0 ** -127) == 0 and fmt.encode(1.5 * 2.0 ** -127) == 1  # a tie goes up
    probes = [p for p in probes if not (fmt.specials == "none" and math.isnan(p))]
    ours = [fmt.encode(p) for p in probes]
    theirs = oracle_codes(name, fmt, probes)
    wrong = [(p, a, b) for p, a, b in zip(probes, ours, theirs)
             if a != b and not same(fmt.decode(a), fmt.decode(b))]  # NaN payloads may differ
    assert wrong == []
    # and bit for bit, except NaN payloads
    assert all(fmt.encode(v) == c for c, v in zip(codes, values) if not math.isnan(v))


def test_float32_sample():
    fmt = macgates.format("fp32")
    rng = np.random.default_rng(11)
    codes = rng.integers(0, 1 << 32, size=20_000, dtype=np.uint64).astype(np.uint32)
    with np.errstate(invalid="ignore"):  # NaN codes
        values = codes.view(np.float32).astype(np.float64).tolist()
    assert all(same(fmt.decode(int(c)), v) for c, v in zip(codes, values))
    probes = rng.normal(0, 1e6, size=5000).tolist() + (rng.normal(0, 1, size=2000) * 2.0 ** -130).tolist()
    with np.errstate(over="ignore"):
        want = np.array(probes).astype(np.float32).view(np.uint32).tolist()
    assert [fmt.encode(p) for p in probes] == want


@pytest.mark.parametrize("e", [2, 3, 4, 5])
def test_whitepaper_fp8_against_appendix_a(e):
    # App. A: 1 sign, e exponent and m = 7 - e mantissa bits, bias 2^(e-1), subnormals,
    # no infinity or NaN: positive values m/2^M * 2^(1-B) and (1 + m/2^M) 2^(x-B), x = 1..2^e-1
    m, bias = 7 - e, 1 << (e - 1)
    want = {Fraction(k, 1 << m) * Fraction(2) ** (1 - bias) for k in range(1 << m)}
    want |= {(1 + Fraction(k, 1 << m)) * Fraction(2) ** (x - bias) for x in range(1, 1 << e) for k in range(1 << m)}
    fmt = macgates.format(f"fp8_e{e}m{m}")
    got = {fmt.decode(c) for c in range(128)}
    assert got == want
    assert {fmt.decode(c) for c in range(128, 256)} == {-v for v in want}
    assert fmt.encode(1e9) == 0x7F and fmt.encode(-1e9) == 0xFF  # saturates: no infinity
    assert fmt.encode(math.inf) == 0x7F
    with pytest.raises(FormatError, match="has no NaN code"):
        fmt.encode(math.nan)


def test_integers():
    int8 = macgates.format("int8")
    assert [int8.decode(c) for c in (0, 1, 127, 128, 129, 255)] == [0, 1, 127, -128, -127, -1]
    assert int8.encode(1000) == 127 and int8.encode(-1000) == 0x81  # symmetric: -127, never -128
    assert int8.encode(Fraction(5, 2)) == 2 and int8.encode(3.5) == 4  # half to even
    assert macgates.format("mxint8").encode(-1000) == 0x80  # full range: -128


def test_bad_codes():
    with pytest.raises(FormatError, match="code 256 is not a whole number from 0 to 255"):
        macgates.format("int8").decode(256)
    with pytest.raises(FormatError, match="code True"):
        macgates.format("fp16").decode(True)
