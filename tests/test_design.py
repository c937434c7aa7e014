"""Design files: the bundled ones load, and every mistake is one clear line."""

import pytest

import macgates
from macgates import DesignError
from macgates.design import bundled_designs, load_design

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
     "d.yaml: unknown key 'config' (valid: baseline, configs, datapaths, description, formats, "
     "library, library_overrides, macgates, name)"),
    ("schema_version", "macgates: 2\nname: d\nconfigs: [{name: a, weights: int8}]\n",
     "d.yaml: macgates: expected schema version 1, got 2"),
    ("no_configs", HEAD + "configs: []\n",
     "d.yaml: configs: expected a non-empty list of configs, got list"),
    ("config_not_mapping", HEAD + "configs: [int8]\n",
     "d.yaml: configs[0]: expected a mapping with keys name, weights, activations, accumulator, "
     "k, multiplier, align, product_pipe, datapath, got str"),
    ("unknown_config_key", HEAD + "configs:\n  - {name: a, weights: int8, acumulator: fp16}\n",
     "d.yaml: configs[0]: unknown key 'acumulator' (valid: accumulator, activations, align, "
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
