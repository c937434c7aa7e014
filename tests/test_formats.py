from fractions import Fraction

import pytest

import macgates
from macgates import Format, FormatError


@pytest.mark.parametrize("name,exp_bits,man_bits,bias", [
    ("fp8_e2m5", 2, 5, 2), ("fp8_e3m4", 3, 4, 4), ("fp8_e4m3", 4, 3, 8), ("fp8_e5m2", 5, 2, 16),
    ("fp16", 5, 10, 15), ("bf16", 8, 7, 127), ("fp32", 8, 23, 127),
])
def test_float_formats(name, exp_bits, man_bits, bias):
    f = macgates.format(name)
    assert (f.kind, f.exp_bits, f.man_bits, f.bias, f.bits) == ("float", exp_bits, man_bits, bias,
                                                                1 + exp_bits + man_bits)


@pytest.mark.parametrize("alias,name", [("e2m5", "fp8_e2m5"), ("e3m4", "fp8_e3m4"),
                                        ("e4m3", "fp8_e4m3"), ("E5M2", "fp8_e5m2")])
def test_aliases(alias, name):
    assert macgates.format(alias) is macgates.format(name)


@pytest.mark.parametrize("bits", [2, 4, 8, 16, 32])
def test_int_formats(bits):
    f = macgates.format(f"int{bits}")
    assert (f.kind, f.bits, f.sig_bits) == ("int", bits, bits)


@pytest.mark.parametrize("name", ["int8", "fp8_e4m3", "fp16", "bf16"])
def test_repr_rebuilds(name):
    f = macgates.format(name)
    assert eval(repr(f), {"Format": Format}) == f  # test code: evaluating our own repr


def test_repr_of_asymmetric_int_rebuilds():
    f = Format("int8", "int", 8, symmetric=False)
    assert eval(repr(f), {"Format": Format}) == f


def test_paper_e4m3_range():
    # App. A: bias 2^(E-1) = 8, no infinity: top exponent field 15 holds numbers.
    f = macgates.format("fp8_e4m3")
    assert f.max_value == Fraction(15, 8) * 2 ** (15 - 8)  # 240
    assert f.min_positive == Fraction(1, 2 ** (8 - 1 + 3))  # subnormal 2^(1-B-M)


def test_fp16_range():
    f = macgates.format("fp16")
    assert f.max_value == 65504
    assert f.max_exp_field == 30


@pytest.mark.parametrize("bad", ["fp8", "int1", "int33", "e4m4", "float17"])
def test_unknown_format_lists_known(bad):
    with pytest.raises(FormatError) as info:
        macgates.format(bad)
    assert str(info.value).startswith(f"unknown format '{bad}' (")
    assert "valid: bf16, " in str(info.value)
    assert "fp8_e4m3" in str(info.value) and "int2..int32" in str(info.value)


def test_invalid_record():
    with pytest.raises(FormatError, match=r"bits must be \(1 if signed\) \+ exp_bits \+ man_bits"):
        Format("x", "float", 8, 4, 4, 7)
