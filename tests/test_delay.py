"""The model's timing: delay formulas beside the costs, the critical path and the
accumulation loop through the component graph (macgates/datapath/timing.py).

Delays are in t, one 2-input gate stage (AND2 = OR2 = 1); the bundled library's App. B
cells: AO21 = MUX2 = XOR2 = 2 (two stages each), HA = 2 (its sum XOR2), FA = 4 (two
XOR2), a register = one flip-flop's clock-to-output + setup = 2 MUX2 = 4.
"""

from fractions import Fraction

import pytest
import yaml

import macgates
from macgates.datapath.graph import Datapath
from macgates.datapath.timing import UNKNOWN, timing
from macgates.files.resources import library_path
from macgates.library.primitives import Library, load_library
from macgates.report.sweeps import sweep_records
from macgates.report.tables import table_records, timing_fields
from macgates.support.errors import LibraryError

LIB = load_library()


@pytest.mark.parametrize("name, args, expected", [
    ("and2", (), 1),
    ("aoi21", (), 2),   # an AND2 into an OR2
    ("mux2", (), 2),    # two AND2 side by side, then an OR2
    ("xor2", (), 2),    # (a + b).not(a.b): OR2 and NAND2 side by side, then AND2
    ("ha", (), 2),      # the sum is an XOR2 (the carry, an AND2, is faster)
    ("fa", (), 4),      # sum: two XOR2; carry: XOR2 then AO21, also 4
    ("inv", (), 0),
    ("ff", (), 4),      # master and slave MUX2 latches: setup 2 + clock-to-output 2
    ("register", (27,), 4),  # its flip-flops side by side
    # ripple: p = a xor b at 2, then the carry through n - 1 AO21: adder(8) = 2 + 7*2
    ("adder", (8,), 16),
    ("adder", (27,), 2 + 26 * 2),
    ("adder", (1,), 2),  # a HA
    ("adder_cin", (8,), 2 + 8 * 2),  # every bit an FA: n AO21 after the p
    ("incrementer", (10,), 9 * 1 + 2),  # the AND2 carry chain, then the top sum XOR2
    # Kogge-Stone, 27 bits: HA 2 + ceil_log2(27) = 5 levels of AO21 + the sum XOR2
    ("ks_adder", (27,), 2 + 5 * 2 + 2),
    # Brent-Kung, 27 bits: HA 2 + 2*5 - 1 = 9 levels of AO21 + the sum XOR2
    ("bk_adder", (27,), 2 + 9 * 2 + 2),
    ("ks_adder_cin", (27,), 2 + 5 * 2 + 2),  # 28 positions: still 5 levels
    ("shift_left", (14, 14), 4 * 2),  # ceil_log2(15) = 4 stages of MUX2
    ("shift_right_logical", (13, 13), 4 * 2),
    # Braun array 8 x 8: the propagate XOR2, down 6 row sums (FA), along 13 carries (AO21)
    ("pp_reduce", (8, 8), 2 + 6 * 4 + 13 * 2),
    ("pp_reduce", (4, 4), 2 + 2 * 4 + 5 * 2),
    ("pp_reduce", (2, 6), 2 + 0 + 5 * 2),  # one row: an adder(6) = 2 + 5*2
    ("lzc", (15,), 1 + 3 * 2),  # padded to 16: an OR2 level, then 3 MUX2 levels
    ("or_reduce", (5,), 3),  # a tree of OR2: ceil_log2(5) levels
    # 32 operands: 8 levels of 3:2 (32 > 2, 3, 4, 6, 9, 13, 19, 28), then adder(16 + 5)
    ("adder_tree", (16, 32), 8 * 4 + (2 + 20 * 2)),
    ("adder_tree", (16, 1), 0),  # one operand: no adder
    ("comparator", (8,), 1 + 8 * 2),  # g and t (one stage), then 8 AO21
])
def test_primitive_delays_derived_by_hand(name, args, expected):
    assert LIB.delay(name, *args) == expected


def test_every_bundled_primitive_has_an_exact_delay():
    for lib in (LIB, load_library("calibrated")):  # (the calibrated one inherits them)
        for prim in lib.primitives.values():
            assert prim.delay is not None, prim.name
            if not prim.params:
                value = lib.delay(prim.name)
                assert type(value) in (int, Fraction), prim.name


def test_int8_kulisch_critical_path_and_loop():
    # w -> pp_bits (AND2: 1) -> pp_reduce(8, 8) (52) -> acc_add = adder(27) (54) -> acc_reg (4).
    # The only other start, the accumulator register, reaches acc_reg through acc_add alone.
    t = timing(macgates.mac("int8", accumulator="kulisch"))
    assert t.path == ("w", "pp_bits", "pp_reduce", "acc_add", "acc_reg")
    assert t.delay == 1 + 52 + 54 + 4
    # the loop: acc_reg -> acc_add -> acc_reg: the adder and the register
    assert t.loop_path == ("acc_reg", "acc_add", "acc_reg")
    assert t.loop_delay == 54 + 4


def test_fp8_e4m3_fp16_critical_path_and_loop():
    # Two starts: the operands (w, a) and the accumulator register. The product's exponent
    # is ready only after decode (fp_decode(4): OR tree of 4 bits + OR2 = 3), the array
    # (pp_bits 1, pp_reduce(4, 4) 20), the product's leading-zero count (lzc(8): OR2 + 2
    # MUX2 = 5) and its exponent adjust (subtractor(6) = adder_cin(6) = 14): 43, while the
    # register's exponent is there at 0. So the longest path is the product's into exp_diff
    # (subtractor(7) 16), then the alignment and the add: exp_abs (cond_negate(6): XOR2 +
    # incrementer(6) = 2 + 7), shift_clamp(6, 4) (OR2 + OR2 = 2), align (shift by [0, 13]:
    # 4 MUX2 stages = 8), sub_invert (XOR2 2), sig_add (adder_msb(14, 11): 3 HA carries,
    # then 11 AO21 = 25), carry_mask 1, then normalization: norm_lzc (lzc(15) 7), norm_shift
    # (shift_left(14, 14) 8), rounding: round_sticky (or_reduce(3) 2), round_decide 2,
    # round_inc (incrementer(10) 11), round_exp (const_adder(7) = 6 + 2), the range checks:
    # underflow (const_compare(7) 6), flush_or 1, flush_gate 1, range_limit 3, and acc_reg 4.
    t = timing(macgates.mac("fp8_e4m3", accumulator="fp16"))
    front = ["w", "decode_w", "pp_bits", "pp_reduce", "prod_lzc", "prod_exp", "exp_diff"]
    back = ["exp_abs", "shift_clamp", "align", "sub_invert", "sig_add", "carry_mask", "norm_lzc", "norm_shift",
            "round_sticky", "round_decide", "round_inc", "round_exp", "underflow", "flush_or", "flush_gate",
            "range_limit", "acc_reg"]
    assert list(t.path) == front + back
    to_exp_diff = 3 + 1 + 20 + 5 + 14
    from_exp_diff = 16 + 9 + 2 + 8 + 2 + 25 + 1 + 7 + 8 + 2 + 2 + 11 + 8 + 6 + 1 + 1 + 3 + 4
    assert t.delay == to_exp_diff + from_exp_diff == 159
    # The loop from the register: its exponent goes straight into exp_diff (0 + 16 + 9 + 2 =
    # 27 at align); its significand through the compare-and-swap: acc_hidden (or_reduce(5)
    # 3), sig_compare (comparator_msb(8, 11): and2 + 8 AO21 = 17), swap_ctl 2, swap_zero_acc
    # 1, zero_gate 1, inf_gate 1, swap (MUX2 2): also 27 at align. From align on, as above.
    assert t.loop_path[0] == t.loop_path[-1] == "acc_reg"
    assert "align" in t.loop_path and "prod_lzc" not in t.loop_path
    assert t.loop_delay == 27 + (from_exp_diff - 16 - 9 - 2)
    assert t.loop_delay < t.delay


def test_prefix_adder_shortens_the_kulisch_loop():
    ripple = timing(macgates.mac("int8"))
    ks = timing(macgates.mac("int8", adder="kogge_stone"))
    bk = timing(macgates.mac("int8", adder="brent_kung"))
    # 27 bits: ripple 2 + 26*2 = 54; Kogge-Stone 2 + 5*2 + 2 = 14; Brent-Kung 2 + 9*2 + 2 = 22
    assert (ripple.loop_delay, ks.loop_delay, bk.loop_delay) == (54 + 4, 14 + 4, 22 + 4)
    assert ks.loop_delay < bk.loop_delay < ripple.loop_delay


def test_product_pipe_cuts_the_path():
    # fp8 -> Kulisch registers the product (Figure 2): the multiplier's path ends at the
    # pipe register, and the longest path starts there
    t = timing(macgates.mac("fp8_e4m3", accumulator="kulisch"))
    assert t.path[0] == "product_pipe" and t.path[-1] == "acc_reg"
    assert t.loop_path == ("acc_reg", "acc_add", "acc_reg")
    assert t.loop_delay == LIB.delay("adder_cin", 49) + 4  # the adder with the sign's carry-in


def test_table_and_sweep_agree_with_the_graph():
    rows = {r["name"]: r for r in table_records()}
    dp = macgates.mac("fp8_e5m2", accumulator="fp32")
    t = timing(dp)
    row = rows["fp8_e5m2-fp32"]
    assert (row["delay"], row["loop_delay"]) == (t.delay, t.loop_delay)
    assert row["area_delay"] == row["gates_per_mac"] * t.delay
    # a sweep costs stages without a graph; its delays must be the whole graph's
    formats = ["int8", "int4", "fp8_e4m3", "fp8_e5m2", "mxfp8_e4m3", "nvfp4", "bf16"]
    swept, _ = sweep_records(formats, formats, ["kulisch", "fp16", "fp32"], [1, 4])
    assert len(swept) > 200
    for r in swept[::3]:
        dp = macgates.dot(r["weights"], r["activations"], r["k"], r["accumulator"])
        t = timing(dp)
        assert (r["delay"], r["loop_delay"], r["gates"]) == (t.delay, t.loop_delay, dp.gates), r
        assert r["area_delay"] == Fraction(dp.gates, r["k"]) * t.delay


def _without_delays() -> Library:
    data = yaml.safe_load(library_path("component_library.yaml").read_text())
    for spec in data["primitives"].values():
        spec.pop("delay")
    return Library.from_mapping(data, "no-delays.yaml")


def test_a_library_without_delays_gives_unknown_never_zero():
    lib = _without_delays()
    assert lib.delay("adder", 8) is None and lib.cost("adder", 8) == LIB.cost("adder", 8)
    dp = macgates.mac("int8", library=lib)
    assert timing(dp).delay is None and timing(dp).missing
    assert timing_fields(dp) == {"delay": UNKNOWN, "loop_delay": UNKNOWN, "area_delay": UNKNOWN}
    rows, _ = sweep_records(["int8"], accumulators=["kulisch"], library=lib)
    assert (rows[0]["delay"], rows[0]["area_delay"]) == (UNKNOWN, UNKNOWN)
    assert rows[0]["gates"] == 775  # costs as before


def test_one_primitive_without_a_delay_makes_the_datapath_unknown():
    lib = Library.from_mapping({"version": 1, "primitives": {
        "and2": {"cost": "1", "delay": "1", "source": "test"},
        "or2": {"cost": "1", "source": "test: no delay"},
        "or_and": {"cost": "and2 + or2", "delay": "and2 + or2", "source": "test: names or2, which has none"},
        "register": {"params": ["n"], "cost": "6*n", "delay": "4", "source": "test"}}}, "mini.yaml")
    assert lib.delay("and2") == 1 and lib.delay("or2") is None and lib.delay("or_and") is None
    dp = Datapath("mini", library=lib)
    dp.port("x", "in", 1)
    dp.add("g", "and2", category="accumulator")
    dp.add("r", "register", n=1, category="register")
    dp.connect("x", "g", 1)
    dp.connect("g", "r", 1)
    dp.connect("r", "g", 1, name="feedback")
    t = timing(dp)
    assert (t.delay, t.path, t.loop_delay) == (1 + 4, ("x", "g", "r"), 1 + 4)
    dp.add("h", "or2", category="accumulator")  # off every path, but its delay is unknown
    dp.connect("r", "h", 1)
    assert timing(dp).delay is None and timing(dp).missing == ("or2",)


@pytest.mark.parametrize("delay, message", [
    ("n*", "primitives.d.delay"),
    ("nope + 1", "primitives.d.delay: unknown name 'nope'"),
    ("1 - 2*n", "delay -3 is negative"),
])
def test_bad_delay_formulas_are_errors(delay, message):
    lib_text = {"version": 1, "primitives": {"d": {"params": ["n"], "cost": "n", "delay": delay, "source": "t"}}}
    with pytest.raises(LibraryError, match=message.replace("(", r"\(")):
        Library.from_mapping(lib_text, "bad.yaml").delay("d", 2)


def test_delay_formulas_may_not_loop():
    spec = {"version": 1, "primitives": {"a": {"cost": "1", "delay": "b", "source": "t"},
                                         "b": {"cost": "1", "delay": "a", "source": "t"}}}
    with pytest.raises(LibraryError, match="recursive definition"):
        Library.from_mapping(spec, "loop.yaml")


def test_hand_built_datapath_loop_without_a_feedback_name():
    # designs/custom_datapath.yaml: pp -> tree -> pipe (register) -> acc_add -> acc_reg -> acc_add,
    # no signal named "feedback": the loop is the longest from a register back into itself
    rows = {r["name"]: r for r in table_records("custom_datapath")}
    hand = rows["hand-built"]
    # the pipe cuts the multiplier off: pipe -> acc_add (adder(32): 2 + 31*2) -> acc_reg (4)
    assert hand["loop_delay"] == 64 + 4
    # the longest path: pp (1) + tree (52) into pipe (4) = 57, or a path through the adder: 68
    assert hand["delay"] == 68
    assert (hand["delay"], hand["loop_delay"]) == (rows["int8-kulisch32-pipe"]["delay"],
                                                   rows["int8-kulisch32-pipe"]["loop_delay"])
