"""Property-based fuzzing (Hypothesis): whatever a design file, a library, a formula or a
command line holds, macgates either succeeds or raises a MacgatesError (exit 2 on the
command line) with a one-line message, never another exception."""

import contextlib
import os
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import macgates
from macgates import MacgatesError
from macgates.cli import main
from macgates.design.schema import CONFIG_KEYS, TOP_KEYS, design_from_mapping
from macgates.formats.spec import RECORD_KEYS
from macgates.library.formula import parse
from macgates.library.primitives import Library

FAST = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 150)), deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = st.sampled_from(["int8", "int4", "fp8_e4m3", "e4m3fn", "mxfp4", "nvfp4", "bf16", "fp32", "fp16",
                         "kulisch", "kulisch:40", "kulisch:0", "x", "", "int99", "fp8", "f", "a"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                    st.text(max_size=12), NAMES, st.integers(-10**50, 10**50))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)


def one_line(exc):
    text = str(exc)
    assert "\n" not in text and "\r" not in text and len(text) <= 2000
    return text


config = st.fixed_dictionaries({}, optional={key: st.one_of(NAMES, VALUES) for key in CONFIG_KEYS})
design = st.fixed_dictionaries({"macgates": st.one_of(st.just(1), VALUES), "name": st.one_of(NAMES, VALUES)},
                               optional={"configs": st.one_of(st.lists(config, max_size=3), VALUES),
                                         "baseline": st.one_of(NAMES, VALUES),
                                         "library_overrides": st.one_of(
                                             st.dictionaries(st.sampled_from(["fa", "ha", "ff", "x"]),
                                                             st.one_of(st.text(max_size=10), VALUES), max_size=2),
                                             VALUES),
                                         "formats": st.dictionaries(
                                             st.sampled_from(["f", "g", "int8"]),
                                             st.dictionaries(st.sampled_from(RECORD_KEYS),
                                                             st.one_of(NAMES, VALUES), max_size=5), max_size=2),
                                         "datapaths": VALUES,
                                         **{k: VALUES for k in TOP_KEYS if k not in ("macgates", "name", "configs",
                                                                                     "baseline", "library",
                                                                                     "library_overrides",
                                                                                     "formats", "datapaths")}})


@FAST
@given(design)
def test_any_design_mapping(data):
    try:
        d = design_from_mapping(data, "fuzz.yaml")
        macgates.table(d)
    except MacgatesError as exc:
        one_line(exc)


@FAST
@given(st.text(alphabet="0123456789nmk+-*/() ._,faheilmpowx2", max_size=40))
def test_any_formula(text):
    try:
        formula = parse(text, ("n", "m"))
        formula.evaluate({"n": 7, "m": 3}, lambda name, args: 1)
    except MacgatesError as exc:
        one_line(exc)


@FAST
@given(st.dictionaries(st.sampled_from(["version", "name", "extends", "primitives", "x"]),
                       st.one_of(VALUES, st.dictionaries(st.sampled_from(["a", "fa", "adder"]),
                                                         st.dictionaries(st.sampled_from(
                                                             ["cost", "params", "source", "category", "y"]),
                                                             st.one_of(st.text(max_size=8), VALUES),
                                                             max_size=4), max_size=3))))
def test_any_library_mapping(data):
    try:
        Library.from_mapping(data, "fuzz.yaml")
    except MacgatesError as exc:
        one_line(exc)


@FAST
@given(st.text(max_size=200))
def test_any_yaml_text(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("y") / "d.yaml"
    path.write_bytes(text.encode("utf-8", "replace"))
    try:
        macgates.load_design(path)
    except MacgatesError as exc:
        one_line(exc)


WORDS = st.sampled_from(["table", "show", "sweep", "list", "report", "formats", "primitives", "designs",
                         "--k", "--config", "--format", "json", "csv", "--cost", "fa=6", "ff=4.5", "fa",
                         "--weights", "--activations", "--accumulators", "--baseline", "--library",
                         "default", "int8", "nvfp4", "fp8_e4m3-fp16", "mxfp4-fp32-k32", "modern-formats",
                         "paper_fig3", "1,32", "0", "5000", "-", "--out", "--debug", "x", "",
                         "int8-kulisch", "kulisch,fp32", "²", "--max-configs", "3", "--formats-file"])


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 120)), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(WORDS, min_size=1, max_size=7))
def test_any_command_line(tmp_path, monkeypatch, argv):
    if "--debug" in argv or "report" in argv:
        return  # --debug re-raises on purpose; report is slow and covered elsewhere
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # --help and --version
            code = exc.code
    assert code in (0, 2), (argv, err.getvalue())
    if code == 2 and err.getvalue():
        assert len(err.getvalue().splitlines()) == 1 and err.getvalue().startswith("macgates: error: ")
        assert out.getvalue() == ""


API_ARGS = st.one_of(NAMES, VALUES, st.just(macgates.format("int8")))


@FAST
@given(API_ARGS, API_ARGS, API_ARGS, API_ARGS)
def test_any_api_call(weights, activations, k, accumulator):
    for call in (lambda: macgates.mac(weights, activations, accumulator),
                 lambda: macgates.dot(weights, activations, k, accumulator),
                 lambda: macgates.sweep(weights, activations, accumulator, k),
                 lambda: macgates.table(weights),
                 lambda: macgates.format(weights),
                 lambda: macgates.mac("int8", library=weights)):
        try:
            call()
        except MacgatesError as exc:
            one_line(exc)
