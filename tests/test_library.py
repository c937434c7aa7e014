"""The bundled primitive library: every formula against a hand derivation, and every
way a library file can be wrong."""

import re
import textwrap

from fractions import Fraction

import pytest

from appendix_b import AND2, AOI21, FA, FF, HA, MUX2, OR2, XOR2
from macgates import LibraryError, load_library
from macgates.library.primitives import Library

LIB = load_library()

# (primitive, params, expected, derivation shown by the test id)
CASES = [
    ("and2", (), AND2),
    ("or2", (), OR2),
    ("aoi21", (), AOI21),
    ("mux2", (), MUX2),
    ("xor2", (), XOR2),
    ("ha", (), HA),
    ("fa", (), 2 * HA + OR2),  # = 7
    ("ff", (), 2 * MUX2),  # = 6
    ("adder", (8,), 7 * FA + HA),  # = 52
    ("adder", (27,), 26 * FA + HA),  # = 185
    ("incrementer", (8,), 8 * HA),
    ("pp_bits", (8, 8), 64 * AND2),
    ("pp_bits", (4, 3), 12 * AND2),
    ("pp_reduce", (8, 8), 7 * 7 * FA + 7 * HA),  # (N-1)^2 FA + (N-1) HA = 364
    ("pp_reduce", (4, 6), 3 * 5 * FA + 3 * HA),  # 3 rows of a 6-bit ripple adder
    ("pp_reduce", (6, 4), 3 * 5 * FA + 3 * HA),
    ("shift_left", (8, 7), 8 * 3 * MUX2 - 7 * (MUX2 - AND2)),  # L = 3 stages
    ("shift_right", (8, 7), 7 * 3 * MUX2),
    ("shift_left_widening", (8, 30), 6 * 5 * MUX2 + 30 * (MUX2 + AND2)),  # L = 5
    ("inv", (), 0),
    ("or_reduce", (8,), 7 * OR2),
    ("and_reduce", (5,), 4 * AND2),
    ("and_gate", (8,), 8 * AND2),
    ("pp_correction", (), 2 * (FA - HA)),
    ("fp_special_detect", (5, 2), 4 * AND2 + 1 * OR2 + 2 * AND2),  # e5m2: all-ones exp, mantissa != 0
    ("fp_nan_detect", (7,), 6 * AND2),  # e4m3fn: all seven bits set
    ("fp_special_mul", (), 6 * OR2 + 3 * AND2),
    ("fp_nan_acc", (23,), 22 * OR2 + AND2 + 3 * OR2),
    ("fp_naninf_acc", (23,), 22 * OR2 + XOR2 + 3 * AND2 + 5 * OR2),
    ("kulisch_special", (3,), 3 * FF + 3 * AND2 + 4 * OR2),  # NaN: OR2; each inf: AND2 + OR2; both: AND2 + OR2
    ("kulisch_special", (1,), FF + OR2),
    # k = 4 operands of 10 bits, a 12-bit sum: 2 rows of 10 + 1 FA reach two operands,
    # a 12-bit adder adds them
    ("adder_tree", (10, 4), 2 * 11 * FA + (11 * FA + HA)),
    ("adder_tree", (10, 2), 10 * FA + HA),  # two operands: an 11-bit adder
    ("adder_tree_cin", (10, 4), 2 * 11 * FA + 12 * FA),  # ... whose bit 0 takes a carry-in
    ("adder_lsb", (9, 5), (4 * FA + HA) + 4 * HA),
    # 9-bit value, 27-bit window, shifts to 28: stages spanning 9->10, 10->12, 12->16,
    # 16->24, 24->27 bits: (before - 1) MUX2 + (after - before) AND2 each
    ("shift_right_window", (9, 27, 28), (8 + 9 + 11 + 15 + 23) * MUX2 + (1 + 2 + 4 + 8 + 3) * AND2),
    # no window limit: App. B's widening shift, (n - 2) L MUX2 + k (MUX2 + AND2)
    ("shift_right_window", (9, 100, 7), 7 * 3 * MUX2 + 7 * (MUX2 + AND2)),
    ("adder_tree", (10, 1), 0),  # one operand: nothing to add
    ("max_tree", (6, 4), 3 * (6 * (AND2 + OR2 + AOI21) + 6 * MUX2)),
    ("booth_encode", (8,), 4 * (2 * XOR2 + AND2)),  # 4 digits of a signed 8-bit operand
    ("booth_encode", (5,), 3 * (2 * XOR2 + AND2)),  # ceil(5/2) = 3 digits
    ("booth_select", (8, 8), 4 * 9 * (2 * AND2 + OR2 + XOR2)),  # 4 rows of 9 bits
    # 4 rows x 9 bits + 4 neg bits + 3 + 2*3 sign-extension bits = 49 bits to 16 outputs:
    # 49 - 16 + 1 = 34 FA and 4 - 1 = 3 HA
    ("booth_reduce", (8, 8), 34 * FA + 3 * HA),
    ("register", (27,), 27 * FF),
    ("mux", (7,), 7 * MUX2),
    ("adder_cin", (14,), 14 * FA),
    ("subtractor", (7,), 7 * FA),
    ("adder_msb", (14, 11), 11 * FA + 3 * HA),
    ("const_adder", (5,), 5 * HA),
    ("cond_invert", (36,), 36 * XOR2),
    ("cond_negate", (7,), 7 * XOR2 + 7 * HA),
    ("comparator", (11,), 11 * (AND2 + OR2 + AOI21)),
    ("comparator_msb", (8, 11), 8 * (AND2 + OR2 + AOI21)),  # acc's extra bits: no cells
    ("comparator_msb", (14, 11), 11 * (AND2 + OR2 + AOI21) + 3 * OR2),
    ("const_compare", (7,), 6 * AND2),
    ("lzc", (8,), 7 * OR2 + 4 * MUX2),  # tree: 4+2+1 OR2; 2 one-bit + 1 two-bit muxes
    ("lzc", (15,), 15 * OR2 + 11 * MUX2),  # padded to 16 inputs
    ("shift_right_logical", (14, 14), 14 * 4 * MUX2 - 14 * (MUX2 - AND2)),
    ("sticky", (15,), 14 * OR2 + 4 * AND2),  # stages drop 1,2,4,8 bits
    ("shift_clamp", (9, 5), 3 * OR2 + 5 * OR2),
    ("swap", (8, 11), 2 * (8 * MUX2 + 3 * AND2)),
    ("fp_decode", (4,), 3 * OR2 + OR2),
    ("round_rne", (), AND2 + OR2),
    ("fp_range_limit", (5, 11), 5 * (AND2 + OR2) + 11 * AND2 + OR2),
    # parallel-prefix adders (tests/test_adders.py counts their networks for n = 1..79):
    # Kogge-Stone over 8 positions: levels of 7, 6, 4 cells, 7 grey and 10 black
    ("ks_adder", (8,), 8 * HA + 7 * XOR2 + 7 * AOI21 + 10 * (AOI21 + AND2)),
    # ... with a carry-in, 9 positions: levels of 8, 7, 5, 1 cells, 8 grey, 13 black
    ("ks_adder_cin", (8,), 8 * HA + 8 * XOR2 + 8 * AOI21 + 13 * (AOI21 + AND2)),
    # Brent-Kung over 8: up-sweep 4 + 2 + 1 cells (3 reach bit 0), down-sweep 1 + 3 grey
    ("bk_adder", (8,), 8 * HA + 7 * XOR2 + 7 * AOI21 + 4 * (AOI21 + AND2)),
    # ... over 9: up-sweep 4 + 2 + 1 (3 reach bit 0), down-sweep 1 + 4 grey
    ("bk_adder_cin", (8,), 8 * HA + 8 * XOR2 + 8 * AOI21 + 4 * (AOI21 + AND2)),
]


@pytest.mark.parametrize("name,params,expected", CASES,
                         ids=[f"{n}{p if p else ''}" for n, p, _ in CASES])
def test_primitive_cost(name, params, expected):
    assert LIB.cost(name, *params) == expected


def test_every_primitive_has_a_hand_derivation():
    assert set(LIB.primitives) == {name for name, _, _ in CASES}


def test_every_primitive_names_its_source():
    for prim in LIB.primitives.values():
        assert prim.source.strip(), prim.name


def test_costs_by_keyword_match_positional():
    assert LIB.cost("pp_reduce", n=4, m=6) == LIB.cost("pp_reduce", 4, 6)


def lzc_tree(n):
    """Independent derivation: a binary tree of combiners, n a power of two.
    A combiner of two n/2-input halves needs one OR2 (valid) and log2(n/2) MUX2."""
    if n == 1:
        return 0
    half = n // 2
    return 2 * lzc_tree(half) + OR2 + (half.bit_length() - 1) * MUX2


@pytest.mark.parametrize("n", [2, 4, 8, 16, 32, 64])
def test_lzc_formula_matches_recursive_tree(n):
    assert LIB.cost("lzc", n) == lzc_tree(n)


def test_paper_square_formulas_are_special_cases():
    for n in range(2, 12):
        assert LIB.cost("pp_bits", n, n) == n * n * AND2
        assert LIB.cost("pp_reduce", n, n) == (n - 1) ** 2 * FA + (n - 1) * HA


def test_fractional_costs_stay_exact():
    lib = LIB.with_overrides({"fa": "6.5"})
    assert lib.cost("adder", 3) == 2 * 6.5 + HA
    assert lib.cost("fa") == Fraction(13, 2) and isinstance(lib.cost("fa"), Fraction)
    assert str(lib.cost("fa")) == "6.5"  # exact, but shown as a number
    assert f"{lib.cost('fa'):.1f}" == "6.5"  # format specs work on Python 3.11 too


def test_override_changes_dependent_costs():
    lib = LIB.with_overrides({"fa": "6"})
    assert lib.cost("adder", 8) == 7 * 6 + HA
    assert LIB.cost("adder", 8) == 7 * FA + HA  # the bundled library is untouched


# -- errors ---------------------------------------------------------------------------
def write(tmp_path, text):
    path = tmp_path / "lib.yaml"
    path.write_text(textwrap.dedent(text))
    return path


GOOD_HEAD = """\
version: 1
primitives:
  and2: {cost: "1", source: s}
"""

LIBRARY_ERRORS = [
    ("unknown_top_key", "version: 1\nprimitive: {}\n",
     "lib.yaml: unknown key 'primitive' (valid: cells, description, extends, name, precision, primitives, units, version)"),
    ("wrong_version", "version: 2\nprimitives: {a: {cost: '1', source: s}}\n",
     "lib.yaml: version: expected 1, got int 2"),
    ("unknown_primitive_key", GOOD_HEAD + "  or2: {cost: '1', source: s, colour: red}\n",
     "lib.yaml: primitives.or2: unknown key 'colour' (valid: category, cost, delay, description, params, source)"),
    ("missing_cost", GOOD_HEAD + "  or2: {source: s}\n",
     "lib.yaml: primitives.or2: missing key 'cost'"),
    ("missing_source", GOOD_HEAD + "  or2: {cost: '1'}\n",
     "lib.yaml: primitives.or2: missing key 'source'"),
    ("unknown_name", GOOD_HEAD + "  fa: {cost: '2*ha + or2', source: s}\n",
     "lib.yaml: primitives.fa.cost: unknown name 'ha' in '2*ha + or2' (valid: and2, ceil_log2, max, min, popcount, pow2)"),
    ("wrong_arity", GOOD_HEAD + "  add: {params: [n], cost: 'n*and2', source: s}\n"
                                "  x: {cost: 'add(1, 2)', source: s}\n",
     "lib.yaml: primitives.x.cost: 'add' used with 2 argument(s) in 'add(1, 2)'; it takes 1: write add(n)"),
    ("bare_parametric", GOOD_HEAD + "  add: {params: [n], cost: 'n*and2', source: s}\n"
                                    "  x: {cost: '2*add', source: s}\n",
     "lib.yaml: primitives.x.cost: 'add' used with 0 argument(s) in '2*add'; it takes 1: write add(n)"),
    ("cycle", GOOD_HEAD + "  ha: {cost: 'fa - and2', source: s}\n  fa: {cost: '2*ha', source: s}\n",
     "lib.yaml: primitives.ha.cost: recursive definition: ha -> fa -> ha"),
    ("self_reference", GOOD_HEAD + "  fa: {cost: 'fa + 1', source: s}\n",
     "lib.yaml: primitives.fa.cost: recursive definition: fa -> fa"),
    ("negative", GOOD_HEAD + "  neg: {cost: '1 - 2*and2', source: s}\n",
     "lib.yaml: primitives.neg: cost -1 is negative; costs must be >= 0"),
    ("attribute", GOOD_HEAD + "  x: {cost: 'and2.__class__', source: s}\n",
     "lib.yaml: primitives.x.cost: formula 'and2.__class__': attribute access not allowed"),
    ("import", GOOD_HEAD + "  x: {cost: '__import__(1)', source: s}\n",
     "lib.yaml: primitives.x.cost: unknown name '__import__'"),
    ("lambda", GOOD_HEAD + "  x: {cost: '(lambda: 1)()', source: s}\n",
     "lib.yaml: primitives.x.cost: formula '(lambda: 1)()': lambdas not allowed"),
    ("power", GOOD_HEAD + "  x: {cost: '9**9**9', source: s}\n",
     "lib.yaml: primitives.x.cost: formula '9**9**9': '**' (powers) not allowed"),
    ("huge_literal", GOOD_HEAD + "  x: {cost: '99999999999999999', source: s}\n",
     "is larger than 1000000000000"),
    ("string_literal", GOOD_HEAD + "  x: {cost: \"'a' * 3\", source: s}\n",
     "strings not allowed"),
    ("comparison", GOOD_HEAD + "  x: {cost: '1 if and2 > 0 else 2', source: s}\n",
     "conditional expressions not allowed"),
    ("keyword_arg", GOOD_HEAD + "  x: {cost: 'max(1, 2, key=3)', source: s}\n",
     "keyword arguments not allowed"),
    ("not_expression", GOOD_HEAD + "  x: {cost: 'import os', source: s}\n",
     "is not an expression"),
    ("bad_params", GOOD_HEAD + "  x: {params: n, cost: '1', source: s}\n",
     "lib.yaml: primitives.x.params: expected a list of parameter names such as [n, k], got 'n'"),
    ("yaml_syntax", "version: 1\nprimitives:\n  and2: {cost: '1', source: s\n",
     "lib.yaml:4: YAML syntax error:"),
    ("cell_unknown_key", GOOD_HEAD + "cells:\n  AND: {cost: and2, sorce: s}\n",
     "lib.yaml: cells.AND: unknown key 'sorce' (valid: cost, source)"),
    ("cell_no_source", GOOD_HEAD + "cells:\n  AND: {cost: and2}\n", "lib.yaml: cells.AND: missing key 'source'"),
    ("cell_unknown_name", GOOD_HEAD + "cells:\n  AND: {cost: nand2, source: s}\n",
     "lib.yaml: cells.AND.cost: unknown name 'nand2' in 'nand2' (valid: and2, ceil_log2, max, min, popcount, pow2)"),
    ("cell_negative", GOOD_HEAD + "cells:\n  AND: {cost: '1 - 2*and2', source: s}\n",
     "lib.yaml: cells.AND: cost -1 is negative; costs must be >= 0"),
    ("cell_name", GOOD_HEAD + "cells:\n  A B: {cost: '1', source: s}\n",
     "lib.yaml: cells.A B: a cell name is letters, digits, _ and $ (e.g. AND, DFF_P)"),
    ("cells_not_mapping", GOOD_HEAD + "cells: [AND]\n",
     "lib.yaml: cells: expected a mapping of cell name -> {cost, source}, got list"),
    ("units_unknown_key", GOOD_HEAD + "units: {area: um^2}\n", "lib.yaml: units: unknown key 'area' (valid: cost, delay)"),
    ("units_not_mapping", GOOD_HEAD + "units: um^2\n", "lib.yaml: units: expected a mapping with keys cost, delay, got str"),
    ("units_too_long", GOOD_HEAD + "units: {cost: " + "x" * 17 + "}\n",
     "lib.yaml: units.cost: expected a unit's name of 1 to 16 characters (gates, um^2, t, ns), got"),
    ("units_number", GOOD_HEAD + "units: {delay: 5}\n", "lib.yaml: units.delay: expected a unit's name"),
    ("not_mapping", "- 1\n- 2\n", "lib.yaml: expected a mapping with keys version, name, description, extends, precision, units, primitives, cells, got list"),
]


@pytest.mark.parametrize("text,message", [c[1:] for c in LIBRARY_ERRORS], ids=[c[0] for c in LIBRARY_ERRORS])
def test_library_errors(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(LibraryError) as info:
        load_library(path)
    text = str(info.value)
    assert "\n" not in text
    assert text.replace(str(tmp_path) + "/", "").startswith(message) or message in text


def test_units_default_inherit_and_show(tmp_path):
    assert LIB.units == {"cost": "gates", "delay": "t"}
    assert "costs in" not in LIB.provenance()[0]
    own = load_library(write(tmp_path, GOOD_HEAD + "units: {cost: um^2, delay: ns}\n"))
    assert own.units == {"cost": "um^2", "delay": "ns"}
    assert own.provenance()[0].endswith("; costs in um^2, delays in ns")
    child = tmp_path / "child.yaml"
    child.write_text("version: 1\nextends: lib.yaml\nprimitives:\n  or2: {cost: '2', source: s}\n")
    assert load_library(child).units == own.units  # inherited
    assert own.with_overrides({"and2": "3"}).units == own.units


def test_missing_file(tmp_path):
    with pytest.raises(LibraryError, match=r"nope.yaml: no such file$"):
        load_library(tmp_path / "nope.yaml")


def test_binary_file(tmp_path):
    path = tmp_path / "lib.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    with pytest.raises(LibraryError, match=r"lib.yaml: binary file \(contains NUL bytes\)"):
        load_library(path)


def test_negative_cost_for_given_parameters():
    # a non-widening left shift by more than its width is meaningless and costs < 0
    with pytest.raises(LibraryError, match=r"primitives.shift_left: cost -32 is negative for n=8, k=100"):
        LIB.cost("shift_left", 8, 100)


def test_wrong_parameter_count():
    with pytest.raises(LibraryError, match=r"primitive adder\(n\) takes 1 parameter\(s\), got 2"):
        LIB.cost("adder", 1, 2)


def test_unknown_primitive_lists_valid():
    with pytest.raises(LibraryError, match=r"unknown primitive 'adderr' \(valid: .*adder, adder_cin"):
        LIB.cost("adderr", 3)


def test_override_of_unknown_primitive():
    with pytest.raises(LibraryError, match=r"library_overrides.faa: unknown primitive \(valid: "):
        LIB.with_overrides({"faa": "6"})


def test_override_formula_is_checked():
    with pytest.raises(LibraryError, match=r"library_overrides.fa: formula 'ha.x': attribute access"):
        LIB.with_overrides({"fa": "ha.x"})


def test_library_from_mapping_is_validated_whole():
    with pytest.raises(LibraryError, match="unknown name 'zz'"):
        Library.from_mapping({"version": 1, "primitives": {
            "a": {"cost": "1", "source": "s"}, "b": {"cost": "zz", "source": "s"}}}, "m")


def test_partial_library_extends_the_bundled_one(tmp_path):
    path = tmp_path / "cells.yaml"
    path.write_text('version: 1\nextends: default\nprimitives:\n  ff: {cost: "4.5"}\n'
                    '  nand3: {cost: "2", source: "my cells"}\n')
    lib = load_library(path)
    assert lib.cost("ff") == Fraction(9, 2) and lib.primitives["ff"].source == f"{path} (extends)"
    assert lib.cost("register", 8) == 8 * Fraction(9, 2)  # dependants use the new cost
    assert lib.cost("adder", 8) == LIB.cost("adder", 8)  # the rest is the bundled library's
    assert lib.cost("nand3") == 2 and len(lib.primitives) == len(LIB.primitives) + 1
    assert load_library("default") is LIB


@pytest.mark.parametrize("text,message", [
    ("extends: nowhere.yaml\nprimitives:\n  ff: {cost: '4'}\n", "cells.yaml: extends: "),
    ("extends: default\nprimitives:\n  adder: {cost: 'n*fa', params: [m]}\n",
     "cells.yaml: primitives.adder.params: ['m'] differ from the extended library's ['n']"),
    ("extends: default\nprimitives:\n  newone: {cost: '1'}\n",
     "cells.yaml: primitives.newone: missing key 'source'"),
    ("extends: [1]\nprimitives:\n  ff: {cost: '4'}\n", "cells.yaml: extends: expected a library name (default, calibrated, calibrated-osu018)"),
], ids=["missing-base", "other-params", "new-needs-source", "not-a-name"])
def test_extends_errors(tmp_path, text, message):
    path = tmp_path / "cells.yaml"
    path.write_text("version: 1\n" + text)
    with pytest.raises(LibraryError) as info:
        load_library(path)
    assert str(info.value).replace(str(tmp_path) + "/", "").startswith(message), str(info.value)


def test_api_takes_a_library_path_or_name(tmp_path):
    import macgates

    path = tmp_path / "cells.yaml"
    path.write_text('version: 1\nextends: default\nprimitives:\n  ff: {cost: "4.5"}\n')
    want = macgates.mac("int8", library=load_library(path)).gates
    assert macgates.mac("int8", library=str(path)).gates == want == macgates.mac("int8", library=path).gates
    assert macgates.table(library=str(path))["gates"][0] == want
    assert macgates.mac("int8", library="default").gates == macgates.mac("int8").gates
    with pytest.raises(LibraryError, match="library: expected a Library, a path or a bundled name"):
        macgates.mac("int8", library=3)


@pytest.mark.parametrize("value,shown", [(-1, "-1"), (10 ** 30, "100000...000000 (31 digits)"), (2.5, "2.5")],
                         ids=["negative", "huge", "fraction"])
def test_bad_parameter_values_are_named(value, shown):
    with pytest.raises(LibraryError, match=re.escape(f"parameter n={shown} must be a whole number from 0 to")):
        LIB.cost("adder", value)
