"""Operand data (macgates.accuracy.data): the distributions' moments against their closed
forms, codes of formats against the Fraction decoder and hand-listed values, a user's
tensor files, and every error message, each one line naming the spec or the file."""

import math
import pickle
import re
import subprocess
import sys
import zipfile
from fractions import Fraction

import numpy as np
import pytest

from macgates.accuracy import data
from macgates.accuracy.data import check, decode_codes, load
from macgates.formats.spec import all_formats, define, format
from macgates.support.errors import DataError

N = 200_000


def refused(spec, message, **kwargs):
    """load(spec) raises DataError with exactly ``message``, on one line."""
    with pytest.raises(DataError) as info:
        load(spec, **kwargs)
    text = str(info.value)
    assert "\n" not in text
    assert text == message
    return text


# -- distributions ---------------------------------------------------------------------------
S2PI = math.sqrt(2 / math.pi)
# spec, mean, sd, and the second and fourth moments about a centre c: m2 = E(X-c)^2,
# m4 = E(X-c)^4 (about the mean, m4 = kurtosis x sd^4: uniform 9/5, normal 3, Laplace 6,
# Student's t 3 + 6/(nu - 4); the half-normal about 0: E X^2 = s^2, E X^4 = 3 s^4)
MOMENTS = [
    ("uniform", 0.0, 1 / math.sqrt(3), 0.0, 1 / 3, 9 / 5 / 9),
    ("uniform:2,5", 3.5, 3 / math.sqrt(12), 3.5, 0.75, 9 / 5 * 0.75**2),
    ("normal", 0.0, 1.0, 0.0, 1.0, 3.0),
    ("normal:1,2", 1.0, 2.0, 1.0, 4.0, 3 * 16.0),
    ("laplace", 0.0, math.sqrt(2), 0.0, 2.0, 6 * 4.0),
    ("laplace:0.5,2", 0.5, math.sqrt(8), 0.5, 8.0, 6 * 64.0),
    ("student-t:10", 0.0, math.sqrt(1.25), 0.0, 1.25, 4 * 1.25**2),
    ("student-t:10,3", 0.0, 3 * math.sqrt(1.25), 0.0, 9 * 1.25, 4 * (9 * 1.25)**2),
    ("half-normal", S2PI, math.sqrt(1 - 2 / math.pi), 0.0, 1.0, 3.0),
    ("half-normal:2", 2 * S2PI, 2 * math.sqrt(1 - 2 / math.pi), 0.0, 4.0, 3 * 16.0),
]


@pytest.mark.parametrize("spec, mean, sd, centre, m2, m4", MOMENTS, ids=[m[0] for m in MOMENTS])
def test_sample_moments_match_the_closed_forms(spec, mean, sd, centre, m2, m4):
    x = load(spec, N, seed=1)
    assert x.shape == (N,) and x.dtype == np.float64
    # within 5 standard errors: sd / sqrt(n) for the mean; sqrt((m4 - m2^2) / n) for the
    # mean of (x - c)^2
    assert abs(x.mean() - mean) < 5 * sd / math.sqrt(N)
    assert abs(np.mean((x - centre) ** 2) - m2) < 5 * math.sqrt((m4 - m2 * m2) / N)


def test_uniform_stays_in_its_interval_and_half_normal_is_not_negative():
    x = load("uniform:-3,-2", 10_000)
    assert x.min() >= -3 and x.max() < -2
    assert load("half-normal:0.5", 10_000).min() >= 0


def test_the_same_spec_samples_and_seed_give_the_same_array():
    for spec in ("uniform", "normal:1,2", "laplace", "student-t:3", "half-normal", "codes:fp8_e4m3", "codes:fp32"):
        a, b = load(spec, 1000, seed=7), load(spec, 1000, seed=7)
        assert np.array_equal(a, b)
        assert not np.array_equal(a, load(spec, 1000, seed=8))


# -- codes of a format -------------------------------------------------------------------------
def test_codes_int4_are_the_15_values_minus_7_to_7_equally_often():
    x = load("codes:int4", N)
    values, counts = np.unique(x, return_counts=True)
    assert values.tolist() == list(range(-7, 8))  # int formats are symmetric: no -8
    p = 1 / 15
    assert np.all(np.abs(counts / N - p) < 5 * math.sqrt(p * (1 - p) / N))


def test_codes_int8_leave_out_minus_128():
    assert np.unique(load("codes:int8", N)).tolist() == list(range(-127, 128))


def test_codes_of_a_design_s_own_format():
    own = {"myint": define("myint", {"kind": "int", "bits": 4, "symmetric": False})}
    assert np.unique(load("codes:myint", 10_000, formats=own)).tolist() == list(range(-8, 8))


def test_codes_of_fp4_and_a_block_format_are_the_ocp_e2m1_values():
    e2m1 = sorted({0, 0.5, 1, 1.5, 2, 3, 4, 6} | {-v for v in (0.5, 1, 1.5, 2, 3, 4, 6)})  # OCP MX v1.0, 5.3.3
    for spec in ("codes:fp4_e2m1", "codes:mxfp4", "codes:nvfp4"):
        assert np.unique(load(spec, 10_000)).tolist() == e2m1


@pytest.mark.parametrize("name", ["fp8_e2m5", "fp8_e4m3", "fp8_e5m2", "float8_e4m3fn", "float8_e5m2", "e8m0",
                                  "ue4m3", "fp6_e3m2"])
def test_codes_are_every_finite_value_of_the_format(name):
    fmt = format(name)
    finite = {float(v) for v in map(fmt.decode, range(1 << fmt.bits)) if not isinstance(v, float)}
    x = load(f"codes:{name}", N)
    assert set(np.unique(x).tolist()) == finite  # 256 codes, N draws: every one appears
    assert np.isfinite(x).all()


def test_decode_codes_is_the_fraction_decoder():
    rng = np.random.default_rng(0)
    for fmt in all_formats():
        codes = np.arange(1 << fmt.bits) if fmt.bits <= 12 else rng.integers(0, 1 << fmt.bits, 3000)
        exact = [fmt.decode(int(c)) for c in codes]
        keep = [not isinstance(v, float) for v in exact]  # NaN and infinity codes are never decoded
        got = decode_codes(fmt, codes[keep])
        assert [Fraction(v) for v in got] == [v for v, k in zip(exact, keep) if k], fmt.name


def test_codes_of_wide_formats_are_drawn_among_the_numbers():
    fp32 = format("fp32")
    x = load("codes:fp32", 20_000)
    assert np.isfinite(x).all()
    assert all(fp32.decode(fp32.encode(Fraction(v))) == Fraction(v) for v in x[:500])
    negative = (np.signbit(x) & (x != 0)).mean()
    assert abs(negative - 0.5) < 5 * math.sqrt(0.25 / 20_000)  # a uniform code: half have the sign bit
    y = load("codes:int32", 20_000)
    assert np.all(y == np.round(y)) and y.min() >= -(2**31 - 1) and y.max() <= 2**31 - 1


# -- tensor files -------------------------------------------------------------------------------
def test_npy_keeps_shape_and_values_cast_to_float64(tmp_path):
    a = np.arange(24, dtype=np.int16).reshape(2, 3, 4) - 5
    np.save(tmp_path / "a.npy", a)
    x = load(str(tmp_path / "a.npy"))
    assert x.dtype == np.float64 and x.shape == (2, 3, 4) and np.array_equal(x, a)
    np.save(tmp_path / "f.npy", np.asfortranarray(a[0]))
    assert np.array_equal(load(str(tmp_path / "f.npy")), a[0])
    np.save(tmp_path / "b.npy", np.array([True, False]))
    assert load(str(tmp_path / "b.npy")).tolist() == [1.0, 0.0]
    np.save(tmp_path / "h.npy", np.array([0.5, -2.0], dtype=">f2"))
    assert load(str(tmp_path / "h.npy")).tolist() == [0.5, -2.0]


def test_samples_and_seed_do_not_apply_to_files(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(5.0))
    assert np.array_equal(load(str(tmp_path / "a.npy"), samples=2, seed=9), np.arange(5.0))


def test_npz_one_array_or_a_key(tmp_path):
    np.savez_compressed(tmp_path / "one.npz", w=np.eye(3))
    assert np.array_equal(load(str(tmp_path / "one.npz")), np.eye(3))
    assert np.array_equal(load(str(tmp_path / "one.npz") + ":w"), np.eye(3))
    np.savez(tmp_path / "two.npz", a=np.ones(3), b=np.zeros((2, 2)))
    assert load(str(tmp_path / "two.npz") + ":b").shape == (2, 2)


def test_csv_header_columns_and_one_column(tmp_path):
    (tmp_path / "h.csv").write_text("w, a\n1, 2\n\n3,4.5e-1\n")
    assert load(str(tmp_path / "h.csv")).tolist() == [[1, 2], [3, 0.45]]
    (tmp_path / "one.csv").write_bytes(b"\xef\xbb\xbf-1\n2\n3\n")  # a byte-order mark, no header
    assert load(str(tmp_path / "one.csv")).tolist() == [-1, 2, 3]


# -- errors: specs ----------------------------------------------------------------------------
VALID = ("valid: PATH.csv, PATH.npy, PATH.npz[:KEY], codes:FORMAT, half-normal, half-normal:SIGMA, laplace, "
         "laplace:MU,B, normal, normal:MU,SIGMA, student-t:NU, student-t:NU,SCALE, uniform, uniform:A,B")


@pytest.mark.parametrize("spec, message", [
    ("student-t:0", "data 'student-t:0': NU must be > 0, got 0"),
    ("student-t:2,-1", "data 'student-t:2,-1': SCALE must be > 0, got -1"),
    ("normal:0,-1", "data 'normal:0,-1': SIGMA must be > 0, got -1"),
    ("laplace:0,0", "data 'laplace:0,0': B must be > 0, got 0"),
    ("half-normal:-2", "data 'half-normal:-2': SIGMA must be > 0, got -2"),
    ("uniform:1,1", "data 'uniform:1,1': uniform:A,B needs A < B, got 1 and 1"),
    ("uniform:-1e308,1e308", "data 'uniform:-1e308,1e308': B - A is beyond the float64 range: use smaller parameters"),
    ("student-t", "data 'student-t': expected student-t:NU or student-t:NU,SCALE; got 0 values"),
    ("normal:1", "data 'normal:1': expected normal or normal:MU,SIGMA; got 1 value"),
    ("half-normal:1,2", "data 'half-normal:1,2': expected half-normal or half-normal:SIGMA; got 2 values"),
    ("normal:a,1", "data 'normal:a,1': MU: 'a' is not a number"),
    ("normal:", "data 'normal:': expected normal or normal:MU,SIGMA; got 1 value"),
    ("laplace:0,inf", "data 'laplace:0,inf': B: 'inf' is not a finite number"),
    ("gauss", f"data 'gauss': unknown distribution 'gauss' ({VALID})"),
    ("", f"data '': expected a distribution or a tensor file ({VALID})"),
    ("codes:", "data 'codes:': codes:FORMAT needs a format name"),
    ("x.txt", "data 'x.txt': not a tensor file this reads (their names end in .npy, .npz, .csv) nor a distribution"),
    ("x.npy:k", "data 'x.npy:k': a key (':k') is only for .npz archives"),
    ("bad\nname", "data 'bad\\nname': unknown distribution 'bad\\nname' (" + VALID + ")"),
])
def test_bad_specs(spec, message):
    refused(spec, message)


def refused_like(spec, pattern):
    """load(spec) raises DataError, on one line, that matches the regular expression."""
    with pytest.raises(DataError) as info:
        load(spec)
    assert "\n" not in str(info.value)
    assert re.fullmatch(pattern, str(info.value)), str(info.value)


def test_unknown_format_names_the_valid_ones():
    refused_like("codes:fp9", r"data 'codes:fp9': unknown format 'fp9' \(valid: bf16, e8m0, .*, int2\.\.int32, .*\)")


def test_samples_beyond_the_float64_range_are_refused():
    # t with 0.01 degrees of freedom: P(|T| > 1.8e308) is about 0.01 * 2 / (pi * 1.8e308^0.01), ~0.08%
    refused_like("student-t:0.01", r"data 'student-t:0\.01': \d+ of the samples are beyond the float64 range: "
                                   r"use smaller parameters")


@pytest.mark.parametrize("samples, seed, message", [
    (0, 0, "samples: 0 is not a whole number from 1 to 100,000,000"),
    (10**8 + 1, 0, "samples: 100000001 is not a whole number from 1 to 100,000,000"),
    (True, 0, "samples: True is not a whole number from 1 to 100,000,000"),
    (2.0, 0, "samples: 2.0 is not a whole number from 1 to 100,000,000"),
    (10, -1, "seed: -1 is not a whole number from 0 to 2^63 - 1"),
])
def test_bad_samples_and_seeds(samples, seed, message):
    refused("normal", message, samples=samples, seed=seed)


# -- errors: files ------------------------------------------------------------------------------
def test_nan_and_inf_are_refused_with_count_and_first_index(tmp_path):
    x = np.ones((2, 20))
    x[0, 17], x[1, 3], x[1, 4] = np.nan, np.inf, -np.inf
    np.save(tmp_path / "x.npy", x)
    refused(str(tmp_path / "x.npy"), f"{tmp_path}/x.npy: 3 NaN or infinite values, the first at index (0, 17)")
    np.save(tmp_path / "y.npy", np.array([1.0, 2.0, np.nan]))
    refused(str(tmp_path / "y.npy"), f"{tmp_path}/y.npy: 1 NaN or infinite value, the first at index 2")
    np.save(tmp_path / "big.npy", np.array([1e300], dtype=np.longdouble) * np.longdouble(1e300))
    refused(str(tmp_path / "big.npy"), f"{tmp_path}/big.npy: 1 NaN or infinite value, the first at index 0")


@pytest.mark.parametrize("array, described", [
    (np.zeros(3, complex), "complex128 is complex"),
    (np.array(["ab"]), "<U2 is strings"),
    (np.array([b"ab"]), "|S2 is bytes"),
    (np.zeros(3, dtype=[("a", "<f4"), ("b", "<i4")]), "[('a', '<f4'), ('b', '<i4')] is structured"),
    (np.array(["2024-01-01"], dtype="datetime64[D]"), "datetime64[D] is datetimes"),
    (np.zeros(2, dtype=("<f4", (2,))).view(np.dtype([("v", "<f4", (2,))])), "[('v', '<f4', (2,))] is structured"),
])
def test_dtypes_that_are_not_real_numbers(tmp_path, array, described):
    np.save(tmp_path / "x.npy", array)
    refused(str(tmp_path / "x.npy"),
            f"{tmp_path}/x.npy: dtype {described}: expected real numbers (bool, integer or float)")


class _Trap:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return open, (self.path, "w")


def test_an_object_array_is_refused_before_anything_is_unpickled(tmp_path):
    sentinel = tmp_path / "unpickled"
    with open(tmp_path / "x.npy", "wb") as out:
        np.lib.format.write_array_header_1_0(out, {"descr": "|O", "fortran_order": False, "shape": (1,)})
        out.write(pickle.dumps(np.array([_Trap(str(sentinel))], dtype=object)))
    refused(str(tmp_path / "x.npy"),
            f"{tmp_path}/x.npy: dtype object is object: expected real numbers (bool, integer or float)")
    assert not sentinel.exists()


def _npy_header(path, shape, descr="<f8"):
    with open(path, "wb") as out:
        np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": False, "shape": shape})
        out.write(b"\0" * 16)


def test_npy_headers_are_checked_before_the_data(tmp_path, monkeypatch):
    _npy_header(tmp_path / "huge.npy", (10**12,))  # a small file whose header claims 8 TB
    refused(str(tmp_path / "huge.npy"),
            f"{tmp_path}/huge.npy: 1,000,000,000,000 values is more than the limit of 100,000,000")
    monkeypatch.setattr(data, "MAX_VALUES", 1)
    _npy_header(tmp_path / "two.npy", (2,))
    refused(str(tmp_path / "two.npy"), f"{tmp_path}/two.npy: 2 values is more than the limit of 1")
    _npy_header(tmp_path / "none.npy", (0, 3))
    refused(str(tmp_path / "none.npy"), f"{tmp_path}/none.npy: holds no values")
    _npy_header(tmp_path / "neg.npy", (-1,))
    refused(str(tmp_path / "neg.npy"), f"{tmp_path}/neg.npy: bad .npy header (shape (-1,) has a negative length)")


def test_truncated_and_not_npy(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(12, dtype=np.int16).reshape(3, 4))
    (tmp_path / "t.npy").write_bytes((tmp_path / "a.npy").read_bytes()[:-5])
    refused(str(tmp_path / "t.npy"),
            f"{tmp_path}/t.npy: truncated: its header says shape (3, 4) of int16 (24 bytes), but 19 bytes follow")
    (tmp_path / "x.npy").write_text("1,2,3\n")
    refused(str(tmp_path / "x.npy"), f"{tmp_path}/x.npy: not a .npy file (it does not start with NumPy's magic string)")
    (tmp_path / "h.npy").write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': 1}    \n")
    refused_like(str(tmp_path / "h.npy"), re.escape(f"{tmp_path}/h.npy: bad .npy header (") + ".+")


def test_missing_directory_and_too_large(tmp_path, monkeypatch):
    refused(str(tmp_path / "no.npy"), f"{tmp_path}/no.npy: no such file")
    (tmp_path / "d.npz").mkdir()
    refused(str(tmp_path / "d.npz"), f"{tmp_path}/d.npz: is a directory, expected a .npz archive")
    np.save(tmp_path / "a.npy", np.zeros(100))
    size = (tmp_path / "a.npy").stat().st_size
    monkeypatch.setattr(data, "MAX_FILE_BYTES", 100)
    refused(str(tmp_path / "a.npy"), f"{tmp_path}/a.npy: {size} bytes is larger than the 100-byte limit for a .npy file")
    (tmp_path / "a.csv").write_text("1\n" * 60)
    monkeypatch.setattr(data, "MAX_CSV_BYTES", 100)
    refused(str(tmp_path / "a.csv"), f"{tmp_path}/a.csv: 120 bytes is larger than the 100-byte limit for a CSV file")


def test_npz_errors(tmp_path):
    np.savez(tmp_path / "two.npz", a=np.ones(3), b=np.zeros((2, 2)))
    two = f"{tmp_path}/two.npz"
    refused(two, f"{two}: holds 2 arrays: name one as {two}:KEY (keys: a, b)")
    refused(two + ":z", f"{two}: no array 'z' (keys: a, b)")
    (tmp_path / "bad.npz").write_bytes(b"PK not a zip")
    refused(str(tmp_path / "bad.npz"), f"{tmp_path}/bad.npz: not a .npz archive (not a zip file)")
    zipfile.ZipFile(tmp_path / "empty.npz", "w").close()
    refused(str(tmp_path / "empty.npz"), f"{tmp_path}/empty.npz: the archive holds no arrays")
    np.savez(tmp_path / "c.npz", z=np.zeros(2, complex))
    refused(str(tmp_path / "c.npz"),
            f"{tmp_path}/c.npz:z: dtype complex128 is complex: expected real numbers (bool, integer or float)")
    np.savez(tmp_path / "n.npz", w=np.array([[0, np.nan]]))
    refused(str(tmp_path / "n.npz"), f"{tmp_path}/n.npz:w: 1 NaN or infinite value, the first at index (0, 1)")


def test_npz_bomb_is_refused_before_decompressing(tmp_path, monkeypatch):
    np.savez_compressed(tmp_path / "bomb.npz", z=np.zeros(10**6))  # 8 MB of zeros in a few kB
    assert (tmp_path / "bomb.npz").stat().st_size < 50_000
    member = zipfile.ZipFile(tmp_path / "bomb.npz").getinfo("z.npy").file_size
    monkeypatch.setattr(data, "MAX_MEMBER_BYTES", 1_000_000)

    def never(*args, **kwargs):
        raise AssertionError("the member was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    refused(str(tmp_path / "bomb.npz"), f"{tmp_path}/bomb.npz:z: {member:,} bytes uncompressed is larger than "
            "the 1,000,000-byte limit for an array of a .npz archive")


def test_npz_member_count_limit(tmp_path, monkeypatch):
    np.savez(tmp_path / "three.npz", a=np.ones(1), b=np.ones(1), c=np.ones(1))
    monkeypatch.setattr(data, "MAX_MEMBERS", 2)
    refused(str(tmp_path / "three.npz"), f"{tmp_path}/three.npz: 3 members is more than the limit of 2")


@pytest.mark.parametrize("text, message", [
    ("1,2\n3,x\n", ":2: column 2: 'x' is not a number"),
    ("1,x\n3,4\n", ":1: column 2: 'x' is not a number"),  # a first line of numbers and text is no header
    ("a,b\n1,2\nc,d\n", ":3: column 1: 'c' is not a number"),  # only the first line may be a header
    ("1,,2\n", ":1: column 2: an empty cell is not a number"),
    ("1,2\n3\n", ":2: 1 column, expected 2 as on the first line"),
    ("a,b\n1,2,3\n", ":2: 3 columns, expected 2 as on the first line"),
    ("1,2\n3,nan\n4,inf\n", ":2: column 2: 2 NaN or infinite values in the file, the first here (nan)"),
    ("a,b\n", ": holds no numbers"),
    ("\n\n", ": holds no numbers"),
    ('"1\n', ":1: not CSV (unexpected end of data)"),
])
def test_csv_errors_name_line_and_column(tmp_path, text, message):
    (tmp_path / "x.csv").write_text(text)
    refused(str(tmp_path / "x.csv"), f"{tmp_path}/x.csv{message}")


def test_csv_binary_and_not_utf8(tmp_path):
    (tmp_path / "b.csv").write_bytes(b"1,2\n\xff\n")
    refused(str(tmp_path / "b.csv"), f"{tmp_path}/b.csv: not UTF-8 text (byte 4), expected a CSV file")
    (tmp_path / "z.csv").write_bytes(b"1,\0\n")
    refused(str(tmp_path / "z.csv"), f"{tmp_path}/z.csv: binary file (contains NUL bytes), expected UTF-8 CSV text")


def test_a_file_name_cannot_forge_a_second_line(tmp_path):
    path = tmp_path / "a\nb.npy"
    np.save(path, np.array([np.nan]))
    refused(str(path), f"{tmp_path}/a\\nb.npy: 1 NaN or infinite value, the first at index 0")


@pytest.mark.parametrize("spec", ["normall", "student-t:0", "uniform:2,1", "normal:1,2,3", "codes:nope", "codes:",
                                  "x.txt", "normal:nan", "laplace:0,-1"])
def test_check_refuses_what_load_refuses_without_drawing(spec):
    with pytest.raises(DataError) as drawn:
        load(spec, samples=10)
    with pytest.raises(DataError) as checked:
        check(spec)
    assert str(checked.value) == str(drawn.value)
    for good in ("normal", "student-t:3,0.5", "codes:fp8_e4m3", "w.npy", "t.npz:key"):
        check(good)  # (a tensor file is not read)


def test_loading_a_design_with_data_does_not_import_numpy():
    code = ("import sys; from macgates.design.schema import load_design; d = load_design('modern-formats'); "
            "print(bool(d.data), 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]
