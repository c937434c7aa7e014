"""The docs and README describe what the code does today: their tables match the code,
and every code block in them runs."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import macgates
from by_hand import E4M3_FP16
from in_process import run as run_cli
from appendix_b import ADD, AND2, FA, HA, REG
from macgates.design.schema import design_from_mapping

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
DATAPATHS = (REPO / "docs" / "datapaths.md").read_text()
README = (REPO / "README.md").read_text()


def blocks(path):
    return [(lang, code) for lang, code in re.findall(r"```(\w*)\n(.*?)```", path.read_text(), re.S)]


ALL_BLOCKS = [(p, i, lang, code) for p in DOCS for i, (lang, code) in enumerate(blocks(p))]


@pytest.mark.slow  # each block through the CLI (a page's script beside its files: in a subprocess)
@pytest.mark.parametrize("path,index,lang,code", ALL_BLOCKS,
                         ids=[f"{p.name}-{i}-{lang or 'text'}" for p, i, lang, _ in ALL_BLOCKS])
def test_code_block_runs(path, index, lang, code, tmp_path):
    missing = _missing_liberty(code)
    if missing and lang == "python":
        pytest.skip(missing)
    files = doc_files(path)
    if lang == "python" and files:  # a script beside its files: run as the page shows it
        run_beside(code, files, tmp_path)
    elif lang == "python":
        exec(compile(code, f"{path.name} block {index}", "exec"), {})  # our own docs, not user input
    elif lang == "yaml":
        data = yaml.safe_load(code)
        if isinstance(data, dict) and "macgates" in data:
            if "library" in data:  # the schema example points at a library that is not here
                pytest.skip("refers to a library file that does not exist beside the docs")
            design = design_from_mapping(data, f"{path.name} block {index}")
            assert len(macgates.table(design)) == len(design.configs)
        elif isinstance(data, dict) and "primitives" in data:  # a library (file)
            lib = macgates.Library.from_mapping(data, f"{path.name} block {index}")
            assert set(data["primitives"]) <= set(lib.primitives)
    elif lang == "sh":
        for line in code.strip().splitlines():
            if not line.startswith("macgates ") or _missing_liberty(line):
                continue  # install lines are checked by CI itself; a liberty Debian did not install: skipped
            args = shlex.split(line)[1:]  # macgates.cli.main in this process (tests/in_process.py)
            out = run_cli(*args, cwd=tmp_path if {"--graph", "--out", "--sweep"} & set(args) else REPO)
            assert out.returncode == 0, (line, out.stderr)
    else:
        pytest.skip(f"{lang or 'plain'} block: nothing to run")


def _missing_liberty(code: str) -> str:
    """Why a block naming a Debian liberty file (osu018, ...) cannot run here, or ''."""
    from macgates.hw.liberty import BUNDLED, LibertyError, liberty_path

    for name in BUNDLED:
        if re.search(rf"\b{name}\b", code):
            try:
                liberty_path(name)
            except LibertyError as exc:
                return str(exc)
    return ""


def doc_files(path) -> dict:
    """The files a page shows (a block whose first line is ``# file: NAME``): name -> text."""
    out = {}
    for _, code in blocks(path):
        first = code.split("\n", 1)[0]
        if first.startswith("# file: "):
            out[first[len("# file: "):].strip()] = code
    return out


def run_beside(code, files, folder):
    """Run ``code`` in a fresh Python in ``folder`` holding ``files``, and check each printed
    line against the ``# value`` comment of the print that made it."""
    for name, text in files.items():
        (folder / name).write_text(text)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=folder, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    wanted = [line.split("#", 1)[1].strip() for line in code.splitlines()
              if line.startswith("print(") and "#" in line]
    assert out.stdout.splitlines() == wanted


def table_rows(text, header):
    """Rows (lists of cells) of the markdown table right after ``header``'s first line."""
    start = text.index(header)
    lines = text[start:].splitlines()
    rows = []
    for line in lines[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set(cells[0]) <= {"-", ":"} and cells[0]:
            continue
        rows.append(cells)
    return rows[1:]  # drop the header row


@pytest.mark.parametrize("header,config,column", [
    ("| block | component | primitive | e4m3 -> fp16 |", ("fp8_e4m3", "fp16", "array"), 1),
    ("| component | primitive | fp8_e4m3 |\n|---|---|---|\n| `product_pipe`", ("fp8_e4m3", "kulisch", "array"), 0),
    ("| component | primitive | int8 |\n|---|---|---|\n| `acc_add`", ("int8", "kulisch", "array"), 0),
    ("| component | primitive | cost | int8 |", ("int8", "kulisch", "booth"), 0),
])
def test_component_tables_match_the_code(header, config, column):
    dp = macgates.mac(config[0], accumulator=config[1], multiplier=config[2])
    seen = set()
    for cells in table_rows(DATAPATHS, header):
        names = re.findall(r"`(\w+)`", cells[column])
        cost = int(re.search(r"(\d+)$", cells[-1]).group(1))
        # a component the builder leaves out (e.g. a zero rebias) must be listed as 0
        assert sum(dp.components[n].cost if n in dp.components else 0 for n in names) == cost, names
        seen.update(names)
    assert seen  # the table was found and read


def test_docs_totals_match_the_code():
    for weights, acc in (("int8", "kulisch"), ("fp8_e4m3", "kulisch"), ("fp8_e4m3", "fp16"),
                         ("fp8_e4m3", "fp32")):
        gates = macgates.mac(weights, accumulator=acc).gates
        assert f"**{gates}**" in DATAPATHS, (weights, acc, gates)


def test_subnormals_table_matches_the_code():
    """docs/datapaths.md's gradual-underflow table: every gate count and ratio."""
    base = macgates.mac("int8").gates
    rows = table_rows(DATAPATHS, "Extra gates per Figure 3 configuration (baseline")
    assert len(rows) == 10
    for cells in rows:
        weights, acc = cells[0].split("-")
        flush, sub = macgates.mac(weights, accumulator=acc).gates, macgates.mac(weights, accumulator=f"{acc}:subnormals").gates
        two = [macgates.mac(weights, accumulator=macgates.FloatingPoint(macgates.format(acc), "two_shifters",
                                                                        subnormals=s)).gates for s in (False, True)]
        assert cells[1:] == [str(flush), str(sub), f"+{sub - flush}", f"{flush / base:.3f}", f"{sub / base:.3f}",
                             str(two[0]), f"{two[1]} (+{two[1] - two[0]})"], cells[0]


def test_readme_table_is_current():
    from macgates.report.render import render
    from macgates.report.tables import COLUMNS, table_records

    assert render(table_records(), COLUMNS, "markdown") in README


def test_readme_api_example():
    block = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    ns = {}
    exec(compile(block, "README.md", "exec"), ns)  # our own README, not user input
    assert ns["dp"].gates == E4M3_FP16
    assert ns["wide"].info["acc_bits"] == 32
    # the hand-built datapath: App. B's int8 array, a 27-bit adder and register
    assert ns["mine"].gates == 64 * AND2 + (49 * FA + 7 * HA) + ADD(27) + REG(27)
    assert ns["mine"].gates == macgates.mac("int8").gates
    assert ns["mine"].graph.has_edge("reg", "acc")
    # a plain 14-bit adder for the 14 x 11-bit significand adder: 3 more FAs than adder_msb's
    # 11 FA + 3 HA (test_builders derives it): 13 FA + HA - (11 FA + 3 HA)
    assert ns["variant"].gates - ns["dp"].gates == ADD(14) - (11 * FA + 3 * HA) == 8
    assert len(ns["df"]) == 2


# Sentences in the docs that say something is not supported or not modelled, and a check
# that each is still true. A new claim must be added here with its check; a stale one
# ("integer inputs of different widths are not supported yet") fails.
def _nvfp4_spanning_blocks():
    with pytest.raises(macgates.DatapathError, match="spanning several scale blocks is not modelled"):
        macgates.dot("nvfp4", k=32)


CLAIMS = {
    "Not modelled: NVFP4's per-tensor FP32 scale and dot products spanning several scale "
    "blocks.": _nvfp4_spanning_blocks,
}
_CLAIM = re.compile(r"[^.]*\b(?:not (?:yet )?(?:supported|modelled|implemented)|unsupported)\b[^.]*\.", re.I)


def test_not_supported_claims_are_true():
    found = {" ".join(m.group(0).split()) for p in DOCS for m in _CLAIM.finditer(p.read_text())}
    assert found == set(CLAIMS), found ^ set(CLAIMS)
    for check in CLAIMS.values():
        check()
    macgates.mac("int4", "int8")  # the claim this test was written for is gone: it works


def test_limits_table_matches_the_code():
    import importlib

    lines = [line for line in (REPO / "docs" / "limits.md").read_text().splitlines() if line.startswith("| ")]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines[1:]]  # not the header
    assert len(rows) == 25
    for what, limit, constant, _ in rows:
        module, _, name = constant.strip("`").rpartition(".")
        value = getattr(importlib.import_module(module), name)
        assert int(limit.split()[0]) == value, (what, limit, value)
