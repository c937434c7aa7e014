"""Executable datapaths: the costed graph run bit by bit (macgates/run/simulate.py) against
the exact reference (macgates/run/reference.py), and mutations that the check must catch.

Integer, whitepaper-FP8 and OCP multipliers into a fixed-point accumulator, and the checks
of `macgates verify` (floating-point accumulators and dot-product units: their own files)."""

import itertools
import math
import re
import json

import pytest

import macgates
from appendix_b import FA, OR2
from macgates.run.reference import KulischRef, product, smallest_product
from macgates.run.simulate import Runner
from macgates.run.verify import verify


def valid_codes(fmt):
    """Every code of an integer format that encodes a value in its range (a symmetric
    format never uses -2^(n-1))."""
    low = -fmt.max_value if fmt.symmetric else -fmt.max_value - 1
    return [c for c in range(1 << fmt.bits) if fmt.decode(c) >= low]


def start_values(width):
    """Accumulator codes to start from: zero, +-1, the largest and smallest holdable
    values (overflow in both directions shows up at once), and one that forces
    cancellation."""
    top = (1 << (width - 1)) - 1
    return [0, 1, (1 << width) - 1, top, 1 << (width - 1), top - 16129]


def mismatches(dp, weights, activations, starts, pairs):
    """(checked, mismatching (acc, a, b, want, got)) of ``dp`` against the reference
    Kulisch accumulator of FX + 12 bits, FX from the formats (not from the builder)."""
    w, a = macgates.format(weights), macgates.format(activations)
    width = w.bits + a.bits - 1 + 12  # symmetric n x m product: n + m - 1 bits
    ref, run = KulischRef(width, 1), Runner(dp)
    bad, checked = [], 0
    for acc in starts:
        for x, y in pairs:
            want = ref.step(acc, product(w, x, a, y))[0]
            got = run.step(acc, {"w": x, "a": y})
            checked += 1
            if got != want:
                bad.append((acc, x, y, want, got))
    return checked, bad


# (int8 x int8, every valid pair from 7 start values: test_verify_defaults_pass_and_count;
# its 27-bit accumulator, 15-bit product + 12: tests/test_builders.py)
@pytest.mark.slow  # exhaustive verification
@pytest.mark.parametrize("weights,activations", [("int4", "int8"), ("int8", "int4"), ("int4", "int4"),
                                                 ("int2", "int8")])
def test_integer_kulisch_exhaustive(weights, activations):
    w, a = macgates.format(weights), macgates.format(activations)
    dp = macgates.mac(weights, activations)
    pairs = list(itertools.product(valid_codes(w), valid_codes(a)))
    starts = start_values(dp.info["acc_bits"])
    checked, bad = mismatches(dp, weights, activations, starts, pairs)
    assert checked == len(starts) * len(pairs) and bad == []


def test_step_and_run():
    dp = macgates.mac("int8")
    int8 = macgates.format("int8")
    assert dp.step(0, int8.encode(3), int8.encode(5)) == 15
    codes = dp.run([(int8.encode(-127), int8.encode(127)), (int8.encode(2), int8.encode(3))])
    assert [c - (1 << 27) if c >> 26 else c for c in codes] == [-16129, -16123]


# -- what step, run and step_batch take: codes, checked where they come in ----------------
INT8_CODE = "a whole number from 0 to 255 \\(8 bits\\)"  # an 8-bit port's codes: 0 .. 2^8 - 1
BAD_STEPS = [  # (builder arguments, step arguments, keywords, the message)
    (("int8",), (0, 1.5, -3), {}, r"a \(the weights, input w\) = 1.5: expected a code, " + INT8_CODE
     + "; a value's code is fmt.encode"),
    (("int8",), (0, 300, 1), {}, r"a \(the weights, input w\) = 300: expected a code, " + INT8_CODE),
    (("int8",), (0, 1, 256), {}, r"b \(the activations, input a\) = 256: expected a code, " + INT8_CODE),
    (("int8",), (0, 1, -1), {}, r"b \(the activations, input a\) = -1: expected a code, " + INT8_CODE
     + "; codes are unsigned bit patterns"),
    (("int8",), (0, True, 1), {}, r"a \(the weights, input w\) = True: expected a code"),
    (("int8",), (0, [1], 1), {}, r"a \(the weights, input w\) = \[1\]: expected a code"),
    (("int8",), (0, "7", 1), {}, r"a \(the weights, input w\) = '7': expected a code"),
    (("int8",), (0, 1, 1), {"scale_a": 3}, r"scale_a \(the weights' scale, input w_scale\): this datapath "
     "takes no scale code \\(its weights are not block-scaled\\)"),
    (("int8",), (-1, 1, 1), {}, r"acc = -1: expected the state bits, a whole number >= 0 \(the 27-bit "
     "accumulator register\\)"),  # int8 x int8: 15 product bits + 12
    (("int8",), (0.5, 1, 1), {}, r"acc = 0.5: expected the state bits"),
    # a k-term unit: k codes per operand, each in range (mxfp4: 4-bit elements, E8M0 8-bit scales)
    (("mxfp4", None, 4, "fp32"), (0, [1, 2, 3, 16], [1] * 4), {"scale_a": 127, "scale_b": 127},
     r"a \(the weights, input w\), lane 3 = 16: expected a code, a whole number from 0 to 15 \(4 bits\)"),
    (("mxfp4", None, 4, "fp32"), (0, 5, [1] * 4), {"scale_a": 127, "scale_b": 127},
     r"a \(the weights, input w\) takes 4 codes \(one per lane\), got 5 \(not a sequence\)"),
    (("mxfp4", None, 4, "fp32"), (0, [1] * 4, [1] * 4), {"scale_a": 127, "scale_b": 256},
     r"scale_b \(the activations' scale, input a_scale\) = 256: expected a code, " + INT8_CODE),
    (("mxfp4", None, 4, "fp32"), (0, [1] * 4, [1] * 4), {"scale_a": 127},
     r"no value for scale_b \(the activations' scale, input a_scale\)"),
]


@pytest.mark.parametrize("build,args,kwargs,message", BAD_STEPS,
                         ids=["value-not-code", "9-bit-weight", "9-bit-activation", "negative", "bool", "list",
                              "text", "scale-on-plain-format", "negative-state", "fraction-state",
                              "lane-out-of-range", "one-code-for-k-lanes", "scale-out-of-range", "scale-missing"])
def test_step_refuses_what_is_not_a_code(build, args, kwargs, message):
    dp = macgates.mac(*build) if len(build) == 1 else macgates.dot(*build[:1], build[1], build[2], build[3])
    with pytest.raises(macgates.DatapathError, match=f"^{dp.name}: {message}"):
        dp.step(*args, **kwargs)


def test_step_takes_numpy_integers_and_the_top_code():
    import numpy as np

    int8 = macgates.format("int8")
    dp = macgates.mac("int8")
    assert dp.step(0, np.int64(3), np.uint8(5)) == 15
    # 0xFF is int8's -1 and 0x81 its -127 (the top code is a code): -1 x -127 = 127
    assert dp.step(0, 0xFF, 0x81) == 127 == int8.decode(0xFF) * int8.decode(0x81)


def test_run_refuses_what_is_not_a_pair_of_codes():
    dp = macgates.mac("int8")
    with pytest.raises(macgates.DatapathError, match=r"pairs\[1\]: expected a \(weight, activation\) pair"):
        dp.run([(1, 2), (3,)])
    with pytest.raises(macgates.DatapathError, match=r"pairs\[1\]\[1\] \(the activations, input a\) = 999: "
                                                     "expected a code, " + INT8_CODE):
        dp.run([(1, 2), (3, 999)])
    with pytest.raises(macgates.DatapathError, match="run takes a sequence of \\(weight, activation\\) code pairs"):
        dp.run(5)


@pytest.mark.parametrize("accs,ws,xs,message", [
    ([0, 0], [1, 256], [3, 4], r"input w, step 1: 256: expected a code, " + INT8_CODE),
    ([0, 0], [1, 2], [3, -4], r"input a, step 1: -4: expected a code, " + INT8_CODE),
    ([0, 0], [1, 2.5], [3, 4], r"input w: 2.5: expected one code per step"),
    ([0, 0], [1, True], [3, 4], r"input w: True: expected one code per step"),
    ([0, -1], [1, 2], [3, 4], r"input acc, step 1: -1: expected the state bits, a whole number >= 0"),
    ([0], [1, 2], [3, 4], r"step_batch needs equal lengths, got 1, 2, 2"),
], ids=["9-bit-weight", "negative-activation", "value-not-code", "bool", "negative-state", "lengths"])
def test_step_batch_checks_its_arrays(accs, ws, xs, message):
    import numpy as np

    run = Runner(macgates.mac("int8"))
    with pytest.raises(macgates.DatapathError, match=f"^int8-kulisch: (step_batch: )?{message}"):
        run.step_batch(accs, ws, xs)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in ws + xs + accs) and len(accs) == len(ws):
        with pytest.raises(macgates.DatapathError, match=message):  # numpy arrays: the same check
            run.step_batch(np.array(accs), np.array(ws), np.array(xs))


def test_step_batch_of_a_k_term_unit_checks_each_lane():
    run = Runner(macgates.dot("int8", k=4, accumulator="kulisch"))
    assert list(run.step_batch([0, 0], [[1, 2, 3, 4], [1, 0, 0, 0]], [[1, 2, 3, 4], [5, 0, 0, 0]])) == [30, 5]
    with pytest.raises(macgates.DatapathError, match=r"input a, step 0, lane 2: 300: expected a code, " + INT8_CODE):
        run.step_batch([0, 0], [[1] * 4] * 2, [[1, 1, 300, 1], [1] * 4])
    with pytest.raises(macgates.DatapathError, match=r"input w: \[1, 1\]: expected 4 codes \(one per lane\)"):
        run.step_batch([0, 0], [[1] * 4, [1, 1]], [[1] * 4] * 2)


def test_a_kulisch_accumulator_one_bit_narrower_is_caught():
    dp = macgates.mac("int8")
    narrow = dp.copy()
    for name in ("acc_add", "acc_reg"):
        narrow.replace(name, fit=True, n=26)  # the gates and the behaviour change together
    assert narrow.gates < dp.gates
    pairs = [(0x7F, 0x7F), (0x81, 0x7F), (1, 1)]
    _, bad = mismatches(narrow, "int8", "int8", start_values(27), pairs)
    assert bad  # the largest holdable values do not fit 26 bits
    assert mismatches(dp, "int8", "int8", start_values(27), pairs)[1] == []


def test_a_missing_baugh_wooley_correction_is_caught():
    dp = macgates.mac("int4", "int8")
    dp.remove("pp_correction")
    _, bad = mismatches(dp, "int4", "int8", [0], [(1, 1), (0xF, 0x7F)])
    assert bad


def test_a_narrower_multiplier_is_caught():
    dp = macgates.mac("int8")
    dp.replace("pp_reduce", fit=True, m=7)  # one activation bit fewer reduced
    _, bad = mismatches(dp, "int8", "int8", [0], [(0x7F, 0x7F), (0x81, 0x81)])
    assert bad


def test_a_custom_datapath_without_behaviours():
    dp = macgates.Datapath()
    dp.add("acc", "adder", n=8, category="accumulator")
    dp.add("reg", "register", n=8, category="register")
    dp.add("odd", "comparator", n=8, category="normalize")
    dp.connect("acc", "reg", 8, port="d")
    dp.connect("reg", "acc", 8, name="feedback", port="a")
    dp.connect("reg", "odd", 8, port="a")
    with pytest.raises(macgates.DatapathError, match="not executable: component odd uses primitive comparator, "
                                                     "which has no behaviour: it is cost-only"):
        dp.step(0, 0, 0)


def fp8_kulisch_reference(name):
    """The reference accumulator of a float x float product, from the format alone:
    FX = sign + the 2(M+1)-bit significand product + the exponent-sum span, plus 12."""
    f = macgates.format(name)
    fx = 1 + 2 * f.sig_bits + 2 * (f.max_exp_field - f.min_exp_field)
    return f, KulischRef(fx + 12, smallest_product(f, f))


@pytest.mark.slow  # exhaustive verification
@pytest.mark.parametrize("pipe", [None, False], ids=["product-pipe", "no-pipe"])
@pytest.mark.parametrize("name", ["fp8_e2m5", "fp8_e3m4", "fp8_e4m3", "fp8_e5m2"])
def test_whitepaper_fp8_kulisch_exhaustive(name, pipe):
    import random

    f, ref = fp8_kulisch_reference(name)
    dp = macgates.mac(name, product_pipe=pipe)
    assert dp.info["acc_bits"] == ref.width and ("product_pipe" in dp.components) == (pipe is None)
    run = Runner(dp)
    pairs = list(itertools.product(range(256), repeat=2))  # every code is a number (App. A)
    starts = [0] if pipe is None else start_values(ref.width)[1:]
    rng = random.Random(name)
    bad = []
    for acc in starts:
        for x, y in (pairs if pipe is None else rng.sample(pairs, 2000)):
            want = ref.step(acc, product(f, x, f, y))[0]
            if run.step(acc, {"w": x, "a": y}) != want:
                bad.append((acc, x, y))
    assert bad == []


@pytest.mark.parametrize("change", ["align-range", "invert-width", "exp-adder"])
def test_float_kulisch_mutations_are_caught(change):
    f, ref = fp8_kulisch_reference("fp8_e4m3")
    dp = macgates.mac("fp8_e4m3")
    if change == "align-range":
        dp.replace("align", fit=True, k=29)  # one shift position fewer: the largest exponents wrap
    elif change == "invert-width":
        dp.replace("negate", fit=True, n=35)  # the top magnitude bit is not inverted
    else:
        dp.replace("exp_add", fit=True, n=3)  # the exponent sum loses its top bit
    run = Runner(dp)
    extremes = [c for c in range(256) if c & 0x7F in (0x7F, 0x78, 0x01)]  # largest, a power of two, smallest
    bad = [(x, y) for x in extremes for y in extremes
           if run.step(0, {"w": x, "a": y}) != ref.step(0, product(f, x, f, y))[0]]
    assert bad


# -- macgates verify ------------------------------------------------------------------------
def test_verify_defaults_pass_and_count():
    from macgates.run.verify import start_values as starts

    int8 = macgates.format("int8")
    result = verify(macgates.mac("int8"), int8, int8, macgates.Kulisch())
    # every valid pair (255 codes: not -128) from 7 start values, and no random vectors
    assert result.checked == 255 * 255 * len(starts(27)) and result.failed == 0
    result = verify(macgates.mac("int8"), int8, int8, macgates.Kulisch(), exhaustive=False, vectors=100, length=8)
    assert result.checked == 800 and result.failed == 0


def test_verify_takes_format_names_and_reads_them_from_the_datapath():
    """Names or objects, or nothing: a builder's datapath records what it was built for.
    100 random sequences of 4 steps are 400 checks whichever way the formats are given."""
    dp = macgates.mac("fp8_e4m3", accumulator="fp16")
    e4m3 = macgates.format("fp8_e4m3")
    ways = [("fp8_e4m3", "fp8_e4m3", "fp16"), (e4m3, e4m3, macgates.accumulator("fp16")), (), ("e4m3",),
            (None, None, "fp16"), (None, "fp8_e4m3")]
    for formats in ways:
        result = verify(dp, *formats, exhaustive=False, vectors=100, length=4)
        assert (result.checked, result.failed) == (400, 0), formats
    assert dp.built_for == {"weights": e4m3, "activations": e4m3, "accumulator": macgates.accumulator("fp16")}
    assert dp.copy().built_for == dp.built_for


@pytest.mark.parametrize("built,given,message", [
    (("int8",), ("fp8_e4m3", "fp8_e4m3", "fp16"), "built for weights int8, not fp8_e4m3"),
    (("int8", "int4"), ("int8", "int8"), "built for activations int4, not int8"),
    (("int8",), ("int8", "int8", "fp16"), r"built for accumulator kulisch \(27 bits\), not fp16"),
    # int8 x int8: a 15-bit product + 12 bits of headroom = 27 bits
    (("int8",), (None, None, "kulisch:30"), r"built for accumulator kulisch \(27 bits\), not kulisch:30 \(30 bits\)"),
    (("fp8_e4m3", "fp8_e4m3", "fp16"), (None, None, "fp16:subnormals"), "built for accumulator fp16, not fp16:subnormals"),
    (("fp8_e4m3", "fp8_e4m3", "fp16"), (None, None, "bf16"), "built for accumulator fp16, not bf16"),
], ids=["int8-as-fp8", "activations", "kulisch-as-float", "kulisch-width", "subnormals", "float-format"])
def test_verify_refuses_formats_the_datapath_was_not_built_for(built, given, message):
    dp = macgates.mac(*built)
    with pytest.raises(macgates.DatapathError, match=f"^{dp.name}: {message}$"):
        verify(dp, *given, exhaustive=False, vectors=10)


def test_verify_accepts_the_same_formats_under_other_spellings():
    dp = macgates.mac("int8")  # kulisch: 27 bits, so kulisch:27 is the same accumulator
    assert verify(dp, "int8", "int8", "kulisch:27", exhaustive=False, vectors=10, length=2).checked == 20
    dp = macgates.mac("fp8_e4m3", accumulator=macgates.FloatingPoint(macgates.format("fp16"), "two_shifters"))
    assert verify(dp, accumulator="fp16", exhaustive=False, vectors=10, length=2).failed == 0  # align: the datapath's


def test_verify_of_a_datapath_without_a_record_needs_its_formats():
    dp = macgates.mac("int8")
    dp.built_for.clear()  # as a hand-built datapath: nothing to read the formats from
    with pytest.raises(macgates.DatapathError, match="int8-kulisch: no record of the formats it was built for "
                                                     r"\(not made by macgates.mac or dot\): give weights and "
                                                     r"accumulator \(activations: the weights' format unless given\)"):
        verify(dp)
    assert verify(dp, "int8", accumulator="kulisch", exhaustive=False, vectors=10, length=2).checked == 20
    with pytest.raises(macgates.DatapathError, match="give accumulator "):
        verify(dp, "int8")
    with pytest.raises(macgates.DatapathError, match="its input w is 8 bits wide; weights int4 has 4"):
        verify(dp, "int4", "int8", "kulisch", exhaustive=False, vectors=10)
    with pytest.raises(macgates.FormatError, match="int8-kulisch: weights: unknown format 'int99'"):
        verify(dp, "int99", accumulator="kulisch")


def test_verify_catches_a_narrower_accumulator():

    int8 = macgates.format("int8")
    dp = macgates.mac("int8")
    dp.replace("acc_add", fit=True, n=26)
    dp.replace("acc_reg", fit=True, n=26)
    result = verify(dp, int8, int8, macgates.Kulisch(), exhaustive=False, vectors=50)
    assert result.failed > 0 and len(result.mismatches) == 10


def test_verify_command(monkeypatch, capsys):
    from macgates.support.bits import mask
    from macgates.cli import main

    assert main(["verify", "fp8_e4m3-kulisch", "--vectors", "50", "--length", "4"]) == 0
    assert capsys.readouterr().out == "fp8_e4m3-kulisch: 200 checked, 0 mismatches (random sequences only)\n"
    # a behaviour that is off by one must make the command fail with exit 1 and show it
    from dataclasses import replace

    from macgates.library.kinds import KINDS

    monkeypatch.setitem(KINDS, "adder", replace(KINDS["adder"], behaviour=lambda p, ins, attrs: (ins["a"] + ins["b"] + 1)
                                                & mask(p["n"] + 1)))
    assert main(["verify", "int8-kulisch", "--vectors", "3", "--length", "2"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "int8-kulisch: 3 checked, 3 mismatches (random sequences only)"
    assert out[1].startswith("  from accumulator 0x") and "int8 0x" in out[1] and "expected 0x" in out[1]
    # values in decimal beside the codes: the Kulisch LSB of int8 x int8 is 1
    start, expected, got = (int(v, 16) for v in re.findall(r"(?:accumulator|expected|got) (0x[0-9a-f]+)", out[1]))
    signed = [v - (1 << 27) if v >> 26 else v for v in (start, expected, got)]
    assert f"({signed[0]})" in out[1] and f"expected {expected:#x} ({signed[1]})" in out[1]
    assert f"got {got:#x} ({signed[2]})" in out[1] and signed[2] == signed[1] + 1


def test_verify_command_errors(capsys):
    from macgates.cli import main

    assert main(["verify", "custom_datapath", "--config", "hand-built"]) == 2
    assert "config hand-built: a custom datapath has no reference to check it against" in capsys.readouterr().err
    assert main(["verify", "modern-formats", "--vectors", "2", "--length", "2"]) == 0
    out = capsys.readouterr().out
    assert "int8-k1: 4 checked, 0 mismatches" in out and "mxfp4-k32: 4 checked, 0 mismatches" in out


@pytest.mark.slow  # exhaustive verification
@pytest.mark.parametrize("weights,activations", [("int8", "int8"), ("int4", "int8"), ("int8", "int4"),
                                                 ("fp8_e2m5", "fp8_e2m5"), ("fp8_e5m2", "fp8_e5m2")])
def test_booth_multiplier_exhaustive(weights, activations):


    w, a = macgates.format(weights), macgates.format(activations)
    dp = macgates.mac(weights, activations, multiplier="booth")
    # every valid pair from zero and from the largest holdable value, and 300 random sequences of 8
    top = (1 << (dp.info["acc_bits"] - 1)) - 1
    result = verify(dp, w, a, macgates.Kulisch(), vectors=300, length=8, starts=[0, top])
    pairs = len(valid_codes(w) if w.kind == "int" else range(256)) * len(valid_codes(a) if a.kind == "int" else range(256))
    assert result.failed == 0 and result.checked == 2 * pairs + 300 * 8


def test_a_short_booth_encoder_is_caught():


    int8 = macgates.format("int8")
    dp = macgates.mac("int8", multiplier="booth")
    dp.replace("booth_encode", fit=True, m=7)  # the last digit loses the sign bit
    assert verify(dp, int8, int8, macgates.Kulisch(), exhaustive=False, vectors=200).failed > 0


@pytest.mark.parametrize("weights", ["int8", "fp8_e4m3", "fp8_e5m2"])
def test_kulisch_bound_on_the_executable_datapath(weights):
    """4,096 products of largest magnitude, run through the datapath itself: FX + 12 bits
    hold them exactly; the same datapath one bit narrower does not."""
    f = macgates.format(weights)
    largest = f.encode(f.max_value)
    dp = macgates.mac(weights)
    width = dp.info["acc_bits"]
    ref = KulischRef(width, smallest_product(f, f))
    for code in (largest, largest | (1 << (f.bits - 1)) if f.kind == "float" else f.encode(-f.max_value)):
        acc = Runner(dp).run([(code, largest)] * 4096)[-1]
        want, overflowed = ref.run([product(f, code, f, largest)] * 4096)
        assert acc == want and not overflowed
    narrow = dp.copy()
    for name in ("acc_add", "acc_reg"):
        narrow.replace(name, fit=True, n=width - 1)
    got = Runner(narrow).run([(largest, largest)] * 4096)[-1]
    assert KulischRef(width - 1, ref.lsb).value_of(got) * ref.lsb != 4096 * f.max_value ** 2  # it wrapped


@pytest.mark.parametrize("weights,activations", [("int8", "fp8_e4m3"), ("fp8_e5m2", "int4"), ("int4", "fp8_e2m5")])
def test_integer_times_float_into_kulisch(weights, activations):

    w, a = macgates.format(weights), macgates.format(activations)
    dp = macgates.mac(weights, activations)
    assert "magnitude_w" in dp.components or "magnitude_a" in dp.components  # sign + magnitude
    top = (1 << (dp.info["acc_bits"] - 1)) - 1
    result = verify(dp, w, a, macgates.Kulisch(), starts=[0, top], vectors=200, length=8)
    assert result.failed == 0 and result.checked > 2 * 16 * 256


def test_width_slack():
    from macgates.run.verify import slack

    fp4 = macgates.format("fp4_e2m1")
    dp = macgates.mac("fp4_e2m1")
    assert slack(dp, fp4, fp4, macgates.Kulisch()) == []  # every width is needed
    dp.replace("exp_add", fit=True, n=3)  # a needlessly wide exponent adder: 2 + 2 bits need 2 cells
    assert slack(dp, fp4, fp4, macgates.Kulisch()) == [("exp_add", "n", 3, FA)]  # adder(3) - adder(2): one FA
    assert slack(dp) == slack(dp, "fp4_e2m1", "fp4_e2m1", "kulisch") == [("exp_add", "n", 3, FA)]  # as built
    with pytest.raises(macgates.DatapathError, match="built for weights fp4_e2m1, not int8"):
        slack(dp, "int8")


def test_slack_command(capsys):
    from macgates.cli import main

    assert main(["verify", "int4-kulisch", "--slack", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"config": "int4-kulisch", "component": "(none)", "parameter": "",
                                                    "narrower": "", "gates_saved": 0}]


@pytest.mark.parametrize("weights,activations", [("float8_e4m3fn", "float8_e4m3fn"), ("float8_e5m2", "float8_e5m2"),
                                                 ("int8", "float8_e4m3fn")])
def test_ocp_fp8_with_special_codes_into_kulisch(weights, activations):
    from macgates.run.verify import codes, verify

    w, a = macgates.format(weights), macgates.format(activations)
    dp = macgates.mac(weights, activations)
    assert "special_acc" in dp.components  # sticky NaN (and +-inf) flags beside the accumulator
    # every code pair, NaN and infinity codes included, from zero; 300 sequences of 16
    result = verify(dp, w, a, macgates.Kulisch(), starts=[0], vectors=300)
    assert result.failed == 0 and result.checked == len(codes(w)) * len(codes(a)) + 300 * 16


def test_infinities_of_both_signs_make_nan():
    e5m2 = macgates.format("float8_e5m2")
    dp = macgates.mac("float8_e5m2")
    run = Runner(dp)
    width = run.acc_bits
    one, inf = e5m2.encode(1.0), e5m2.encode(math.inf)
    state = run.run([(inf, one)])[-1]
    assert state >> width == 0b010  # +inf
    state = run.step(state, {"w": inf | 0x80, "a": one})  # then -inf
    assert state >> width == 0b111  # NaN (with both infinity flags)
    zero = e5m2.encode(0.0)
    assert Runner(dp).step(0, {"w": inf, "a": zero}) >> width == 0b001  # inf x 0 is NaN


@pytest.mark.parametrize("weights,activations,zero_test", [
    ("int8", "float8_e5m2", 6 * OR2),  # the integer's low 7 bits ORed; its sign bit joins in special_mul
    ("float8_e4m3fn", "float8_e5m2", 2 * OR2),  # E4M3's 3 mantissa bits ORed (its NaN flag has no such output)
], ids=["int8-x-e5m2", "e4m3fn-x-e5m2"])
def test_infinity_times_zero_with_mixed_operands(weights, activations, zero_test):
    """IEEE's infinity x 0 is NaN: the other operand's zero test is costed and wired
    (before, these datapaths could not run: the test had no input)."""
    dp = macgates.mac(weights, activations)
    w, a = macgates.format(weights), macgates.format(activations)
    inf, one = a.encode(math.inf), a.encode(1)
    width = dp.info["acc_bits"]
    assert dp.step(0, w.encode(0), inf) >> width == 0b001  # NaN
    assert dp.step(0, w.encode(-1), inf) >> width == 0b100  # -inf
    assert dp.step(0, w.encode(2), one) == (2 * a.decode(one) / smallest_product(w, a))  # a number
    zero = [c for c in dp.components if c.startswith(("nonzero_", "mantissa_"))]
    assert sum(dp.components[c].cost for c in zero) == zero_test
    assert verify(dp, w, a, macgates.Kulisch(), starts=[0], vectors=0).failed == 0  # every pair


@pytest.mark.parametrize("spec", [("int8", "array"), ("int4xint8", "booth"), ("fp8_e4m3", "booth"),
                                  ("float8_e5m2", "array"), ("int8xfloat8_e4m3fn", "array")])
def test_batch_form_equals_single_steps(spec):
    import random

    name, style = spec
    w, _, a = name.partition("x")
    dp = macgates.mac(w, a or None, multiplier=style)
    run = Runner(dp)
    rng = random.Random(name)
    n = 2000
    state_bits = sum(width for _, _, width in run.layout)
    accs = [rng.getrandbits(state_bits) for _ in range(n)]
    ws = [rng.getrandbits(dp.ports["w"][1]) for _ in range(n)]
    xs = [rng.getrandbits(dp.ports["a"][1]) for _ in range(n)]
    batch = run.step_batch(accs, ws, xs)
    assert [int(v) for v in batch] == [run.step(s, {"w": x, "a": y}) for s, x, y in zip(accs, ws, xs)]


@pytest.mark.parametrize("weights,activations,k", [("int8", "int8", 32), ("int4", "int8", 16), ("int8", "int8", 3),
                                                   ("int4", "int4", 2)])
def test_integer_dot_product_units_into_kulisch(weights, activations, k):
    from macgates.run.verify import codes, verify

    w, a = macgates.format(weights), macgates.format(activations)
    dp = macgates.dot(weights, activations, k=k, accumulator="kulisch")
    assert dp.components["pp_bits"].count == k  # k lanes, each run on its own codes
    # 1,000 random k-vectors x 4 steps; for small formats also every pair from zero, twice:
    # in lane 0 (the others zero) and in every lane
    exhaustive = w.bits * a.bits <= 32
    result = verify(dp, w, a, macgates.Kulisch(), starts=[0], exhaustive=exhaustive, vectors=1000, length=4)
    pairs = 2 * len(codes(w)) * len(codes(a)) if exhaustive else 0
    assert result.failed == 0 and result.checked == pairs + 1000 * 4


def test_a_dot_product_step_takes_k_codes():
    dp = macgates.dot("int8", k=4, accumulator="kulisch")
    int8 = macgates.format("int8")
    codes = [int8.encode(v) for v in (1, 2, 3, 4)]
    assert dp.step(0, codes, codes) == 1 + 4 + 9 + 16
    with pytest.raises(macgates.DatapathError, match=r"a \(the weights, input w\) takes 4 codes \(one per lane\), got 3"):
        dp.step(0, codes[:3], codes)


def test_a_narrower_adder_tree_is_caught():


    int8 = macgates.format("int8")
    dp = macgates.dot("int8", k=4, accumulator="kulisch")
    dp.replace("sum_tree", fit=True, n=14)  # the lanes' sign bits are lost
    assert verify(dp, int8, int8, macgates.Kulisch(), starts=[0], exhaustive=False, vectors=200).failed > 0


@pytest.mark.parametrize("weights,k,options", [("fp8_e4m3", 32, {}), ("fp8_e5m2", 16, {}), ("fp8_e2m5", 3, {}),
                                               ("fp8_e4m3", 4, {"product_pipe": True}),
                                               ("fp8_e3m4", 8, {"multiplier": "booth"})],
                         ids=["e4m3-k32", "e5m2-k16", "e2m5-k3", "e4m3-k4-pipe", "e3m4-k8-booth"])
def test_fp8_dot_product_units_into_kulisch(weights, k, options):
    """Float lanes: each product shifted into fixed point and inverted when negative; the
    +1s of lanes 1..k-1 ride the adder tree's free carry slots, lane 0's the accumulator
    adder's carry-in."""


    f = macgates.format(weights)
    dp = macgates.dot(weights, k=k, accumulator="kulisch", **options)
    result = verify(dp, f, f, macgates.Kulisch(), exhaustive=False, vectors=500, length=4)
    assert result.checked == 2000 and result.failed == 0


def test_a_lost_lane_carry_is_caught():


    f = macgates.format("fp8_e4m3")
    dp = macgates.dot("fp8_e4m3", k=4, accumulator="kulisch")
    dp.signals = [s for s in dp.signals if not (s.dst == "acc_add" and s.port == "cin")]  # lane 0's +1
    assert verify(dp, f, f, macgates.Kulisch(), exhaustive=False, vectors=200).failed > 0


def test_ocp_e4m3_dot_product_unit_nan_lanes():


    f = macgates.format("float8_e4m3fn")
    dp = macgates.dot("float8_e4m3fn", k=4, accumulator="kulisch")
    assert verify(dp, f, f, macgates.Kulisch(), exhaustive=False, vectors=500, length=4).failed == 0
    one, nan = f.encode(1.0), f.encode(math.nan)
    width = Runner(dp).acc_bits
    assert dp.step(0, [one, one, nan, one], [one] * 4) >> width == 1  # one NaN lane: the block is NaN
    assert dp.step(0, [one] * 4, [one] * 4) == 4 << 18  # 4 x 1.0 in units of the 2^-18 LSB


def test_slack_of_what_cannot_run_is_an_error(capsys):
    from macgates.cli import main

    assert main(["verify", "custom_datapath", "--config", "hand-built", "--slack"]) == 2
    assert "config hand-built: a custom datapath has no reference" in capsys.readouterr().err


@pytest.mark.parametrize("weights", ["fp8_e4m3", "fp4_e2m1"])
def test_minus_zero_times_infinity_is_nan(weights):
    """A float without special codes has a -0 (sign bit set, the rest 0): its zero test
    is the mantissa OR and the hidden bit, not every bit (the integer's test), found by
    running random sequences over every format pairing."""
    dp = macgates.mac(weights, "float8_e5m2", "fp16")
    w, fp16 = macgates.format(weights), macgates.format("fp16")
    minus_zero = 1 << (w.bits - 1)
    got = dp.step(0, minus_zero, macgates.format("float8_e5m2").encode(math.inf))
    assert fp16.decode(got) != fp16.decode(got)  # NaN
    assert "mantissa_w" in dp.components and "nonzero_w" not in dp.components


def test_formats_with_2_to_the_32_codes_are_checked_by_sampling():
    from macgates.run.verify import codes

    fp32 = macgates.format("fp32")
    assert len(codes(fp32)) == 2 ** 32 and codes(fp32)[-1] == 2 ** 32 - 1
    int8 = macgates.format("int8")
    assert list(codes(int8)) == [c for c in range(256) if c != 0x80]  # -128 is never used
    result = verify(macgates.mac("fp32", accumulator="fp32"), fp32, fp32, macgates.accumulator("fp32"),
                    exhaustive="auto", vectors=20, length=4)
    assert not result.exhaustive and result.checked == 80 and result.failed == 0
