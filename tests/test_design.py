"""Design files: the bundled ones load, and every mistake is one clear line."""

import pytest

import macgates
from macgates import DesignError
from macgates.design.schema import bundled_designs, load_design

HEAD = "macgates: 1\nname: d\n"


def test_bundled_fig3():
    design = load_design(bundled_designs()["paper_fig3"])
    assert design.name == "paper-fig3" and design.baseline == "int8-kulisch"
    assert len(design.configs) == 15
    e4 = design.config("fp8_e4m3-fp16")
    assert (e4.weights, e4.activations, e4.accumulator) == ("fp8_e4m3", "fp8_e4m3", "fp16")


def test_activations_default_to_weights(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(HEAD + "configs:\n  - {name: a, weights: e4m3}\n")
    cfg = load_design(path).configs[0]
    assert (cfg.activations, cfg.accumulator) == ("e4m3", "kulisch")


ERRORS = [
    ("unknown_top_key", HEAD + "config: []\n",
     "d.yaml: unknown key 'config' (valid: baseline, configs, data, datapaths, description, formats, "
     "library, library_overrides, macgates, name)"),
    ("schema_version", "macgates: 2\nname: d\nconfigs: [{name: a, weights: int8}]\n",
     "d.yaml: macgates: expected schema version 1, got 2"),
    ("no_configs", HEAD + "configs: []\n",
     "d.yaml: configs: expected a non-empty list of configs, got list"),
    ("config_not_mapping", HEAD + "configs: [int8]\n",
     "d.yaml: configs[0]: expected a mapping with keys name, weights, activations, accumulator, "
     "k, multiplier, adder, align, product_pipe, datapath, got str"),
    ("unknown_config_key", HEAD + "configs:\n  - {name: a, weights: int8, acumulator: fp16}\n",
     "d.yaml: configs[0]: unknown key 'acumulator' (valid: accumulator, activations, adder, align, "
     "datapath, k, multiplier, name, product_pipe, weights)"),
    ("missing_weights", HEAD + "configs:\n  - {name: a}\n",
     "d.yaml: configs[0]: missing key 'weights' (or 'datapath')"),
    ("unknown_format", HEAD + "configs:\n  - {name: a, weights: int8}\n  - {name: b, weights: fp8_e4m4}\n",
     "d.yaml: configs[1].weights: unknown format 'fp8_e4m4' (did you mean fp8_e4m3 or "),
    ("bad_accumulator", HEAD + "configs:\n  - {name: a, weights: int8}\n  - {name: b, weights: int8}\n"
                               "  - {name: c, weights: int8, accumulator: fp12}\n",
     "d.yaml: configs[2].accumulator: unknown accumulator 'fp12' (kulisch, kulisch:N"),
    ("wrong_type", HEAD + "configs:\n  - {name: a, weights: 8}\n",
     "d.yaml: configs[0].weights: expected a non-empty string, got int 8"),
    ("duplicate", HEAD + "configs:\n  - {name: a, weights: int8}\n  - {name: a, weights: int4}\n",
     "d.yaml: configs[1].name: duplicate config name 'a' (first at configs[0])"),
    ("baseline_not_config", HEAD + "baseline: b\nconfigs:\n  - {name: a, weights: int8}\n",
     "d.yaml: baseline: 'b' is not a config (valid: a)"),
    ("bad_name", HEAD + "configs:\n  - {name: 'a b', weights: int8}\n",
     "d.yaml: configs[0].name: 'a b' must start with a letter or digit"),
    ("yaml_syntax", HEAD + "configs:\n  - {name: a, weights: int8\n",
     "d.yaml:5: YAML syntax error:"),
    ("not_a_mapping", "just text\n", "d.yaml: expected a mapping with keys"),
]


@pytest.mark.parametrize("text,message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_design_errors(tmp_path, text, message):
    path = tmp_path / "d.yaml"
    path.write_text(text)
    with pytest.raises(DesignError) as info:
        load_design(path)
    got = str(info.value).replace(str(tmp_path) + "/", "")
    assert "\n" not in got
    assert got.startswith(message), got


def test_too_narrow_kulisch(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(HEAD + "configs:\n  - {name: a, weights: int8, accumulator: 'kulisch:12'}\n")
    with pytest.raises(DesignError, match=r"d.yaml: configs\[0\].accumulator: kulisch:12 is narrower "
                                          r"than the 15-bit exact product of int8 x int8"):
        macgates.table(path)


def test_binary_design(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(DesignError, match="d.yaml: binary file"):
        load_design(path)


def test_unknown_config_lookup():
    design = load_design(bundled_designs()["paper_fig3"])
    with pytest.raises(DesignError, match="no config named 'x' \\(valid: fp8_e2m5-fp16"):
        design.config("x")


# -- a user's own formats -----------------------------------------------------------------
USER_FORMATS = HEAD + """formats:
  nvint4: {kind: int, bits: 4, block_size: 16, scale: ue4m3}
  fp8_e3m4_b5: {kind: float, bits: 8, exp_bits: 3, man_bits: 4, bias: 5, specials: none}
  my_mxint8: {kind: int, bits: 8, symmetric: false, block_size: 32, scale: e8m0}
  my_nvfp4: {base: nvfp4}
  wide_nvint4: {base: nvint4, block_size: 32}
configs:
  - {name: nvint4-k16, weights: nvint4, accumulator: fp32, k: 16}
  - {name: e3m4_b5-fp16, weights: fp8_e3m4_b5, accumulator: fp16}
  - {name: my_mxint8-k32, weights: my_mxint8, accumulator: fp32, k: 32}
  - {name: my_nvfp4-k16, weights: my_nvfp4, accumulator: fp32, k: 16}
  - {name: w4a8, weights: nvint4, activations: int8, accumulator: fp32}
"""


@pytest.fixture
def user_formats(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(USER_FORMATS)
    return path


def test_user_formats_cost_like_the_builtins_they_copy(user_formats):
    design = load_design(user_formats)
    gates = {cfg.name: design.build(cfg).gates for cfg in design.configs}
    # the same fields as a built-in format give the same datapath
    assert gates["my_mxint8-k32"] == macgates.dot("mxint8", k=32, accumulator="fp32").gates
    assert gates["my_nvfp4-k16"] == macgates.dot("nvfp4", k=16, accumulator="fp32").gates
    assert design.formats["nvint4"].scale is macgates.format("ue4m3")
    assert design.formats["wide_nvint4"].block_size == 32
    assert design.formats["fp8_e3m4_b5"] == macgates.Format("fp8_e3m4_b5", "float", 8, 3, 4, 5)
    # an NVFP4-style scale on int4 lanes costs more than plain int4 lanes
    assert gates["nvint4-k16"] > macgates.dot("int4", k=16, accumulator="fp32").gates


def test_format_objects_where_names_go():
    mine = macgates.Format("e3m4_b5", "float", 8, 3, 4, 5)
    frame = macgates.table([{"name": "a", "weights": mine, "accumulator": "fp16"},
                            {"name": "b", "weights": "fp8_e3m4", "accumulator": "fp16"}])
    assert list(frame["weights"]) == ["e3m4_b5", "fp8_e3m4"]
    assert frame["gates"][0] == macgates.mac(mine, accumulator="fp16").gates
    grid = macgates.sweep([mine, "int8"], accumulators=["fp32"])
    assert list(grid["weights"]) == ["e3m4_b5", "int8"]


FORMAT_ERRORS = [
    ("builtin_name", "formats:\n  int8: {kind: int, bits: 8}\n",
     "d.yaml: formats.int8: 'int8' is a built-in format name; pick another name"),
    ("unknown_key", "formats:\n  f: {kind: int, bitz: 8}\n",
     "d.yaml: formats.f: unknown key 'bitz' (valid: base, bias, bits, block_size, exp_bits, kind, "),
    ("bool_bits", "formats:\n  f: {kind: int, bits: true}\n",
     "d.yaml: formats.f.bits: expected a whole number from 2 to 32, got bool True"),
    ("float_needs_exp", "formats:\n  f: {kind: float, bits: 8}\n",
     "d.yaml: formats.f: missing key 'exp_bits' (a float format has exp_bits and man_bits)"),
    ("bits_mismatch", "formats:\n  f: {kind: float, bits: 9, exp_bits: 4, man_bits: 3}\n",
     "d.yaml: formats.f.bits: 9 is not sign + exp_bits + man_bits = 8"),
    ("unknown_scale", "formats:\n  f: {kind: int, bits: 4, block_size: 16, scale: e9m0}\n",
     "d.yaml: formats.f.scale: unknown format 'e9m0'"),
    ("scale_without_block", "formats:\n  f: {kind: int, bits: 4, scale: e8m0}\n",
     "d.yaml: formats.f: scale needs a block_size"),
    ("not_a_mapping", "formats: [a, b]\n",
     "d.yaml: formats: expected a mapping name -> format record, got list"),
    ("unknown_in_config", "formats:\n  f: {kind: int, bits: 4}\n",
     "d.yaml: configs[0].weights: unknown format 'g'"),
]


@pytest.mark.parametrize("text,message", [e[1:] for e in FORMAT_ERRORS], ids=[e[0] for e in FORMAT_ERRORS])
def test_user_format_errors(tmp_path, text, message):
    path = tmp_path / "d.yaml"
    path.write_text(HEAD + text + "configs:\n  - {name: a, weights: g}\n")
    with pytest.raises(DesignError) as info:
        load_design(path)
    got = str(info.value).replace(str(tmp_path) + "/", "")
    assert "\n" not in got and got.startswith(message), got


def test_bundled_design_by_name():
    assert load_design("modern-formats").name == "modern-formats"
    assert macgates.table("cheap_fa")["gates"][0] == macgates.table()["gates"][0] - 75  # 75 FAs, 1 cheaper
