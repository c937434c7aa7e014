"""The command line, run as a user would: ``python -m macgates`` in a subprocess."""

import csv
import io
import json
import subprocess
import sys

import pytest

import macgates


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "macgates", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_table_csv():
    out = run("table", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == 15
    assert list(rows[0]) == ["name", "weights", "activations", "accumulator", "acc_bits", "gates", "relative"]
    assert [r["acc_bits"] for r in rows if r["accumulator"] == "kulisch"] == ["27", "29", "35", "49", "79"]
    assert rows[0]["relative"] == "1.000"
    api = macgates.table()
    assert [int(r["gates"]) for r in rows] == list(api["gates"])


def test_table_text_and_markdown():
    text = run("table").stdout.splitlines()
    assert text[0].split() == ["name", "weights", "activations", "accumulator", "acc_bits", "gates", "relative"]
    assert len(text) == 2 + 15
    md = run("table", "--format", "markdown").stdout.splitlines()
    assert md[0].startswith("| name") and md[1].startswith("|--") and len(md) == 17
    assert all(line.count("|") == 8 for line in md)


def test_table_json():
    data = json.loads(run("table", "--format", "json").stdout)
    assert data[0] == {"name": "int8-kulisch", "weights": "int8", "activations": "int8",
                       "accumulator": "kulisch", "acc_bits": 27, "gates": 775, "relative": 1.0}


def test_table_does_not_import_matplotlib_or_networkx():
    code = ("import sys; from macgates.cli import main; main(['table']); "
            "print('matplotlib' in sys.modules, 'networkx' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stderr.strip() == "False False"


def test_design_and_library_arguments(tmp_path):
    design = tmp_path / "d.yaml"
    design.write_text("macgates: 1\nname: two\nconfigs:\n"
                      "  - {name: a, weights: int8}\n  - {name: b, weights: e4m3, accumulator: fp16}\n")
    lib = tmp_path / "lib.yaml"
    bundled = macgates.load_library()
    # a copy of the bundled library with a 4-gate flip-flop
    lines = ["version: 1", "primitives:"]
    for p in bundled.primitives.values():
        cost = "4" if p.name == "ff" else p.cost_text
        params = f"params: [{', '.join(p.params)}], " if p.params else ""
        lines.append(f"  {p.name}: {{{params}cost: \"{cost}\", source: copied}}")
    lib.write_text("\n".join(lines) + "\n")
    out = run("table", str(design), "--library", str(lib), "--format", "csv", "--baseline", "b")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows[0]["gates"] == str(775 - 27 * 2)  # 27 flip-flops, 2 gates cheaper each
    assert rows[1]["relative"] == "1.000"


ERRORS = [
    (["table", "missing.yaml"], "macgates: error: missing.yaml: no such file"),
    (["table", "--baseline", "int9-kulisch"], "baseline 'int9-kulisch' is not a config (valid: "),
    (["table", "--format", "xml"], "macgates: error: argument --format: invalid choice: 'xml'"),
    (["tabel"], "macgates: error: argument COMMAND: invalid choice: 'tabel'"),
    (["table", "--library", "nolib.yaml"], "macgates: error: nolib.yaml: no such file"),
]


@pytest.mark.parametrize("args,message", ERRORS, ids=["missing-design", "baseline", "format",
                                                      "command", "missing-library"])
def test_errors_are_one_line_exit_2(tmp_path, args, message):
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert message in lines[0]
    assert "Traceback" not in out.stderr


def test_debug_shows_traceback(tmp_path):
    out = run("--debug", "table", "missing.yaml", cwd=tmp_path)
    assert out.returncode != 0
    assert "Traceback" in out.stderr and "DesignError" in out.stderr


def test_version():
    out = run("--version")
    assert out.stdout.strip() == f"macgates {macgates.__version__}"
