"""Every bundled design runs through `macgates table` and `macgates show`, and the
library-override design changes costs exactly as its full-adder count says."""

import csv
import io
from pathlib import Path

import pytest

import macgates
from appendix_b import FA
from in_process import run  # macgates.cli.main in this process
from macgates.design.schema import load_design

DESIGNS = sorted((Path(__file__).resolve().parent.parent / "designs").glob("*.yaml"))




def test_there_are_example_designs():
    assert len(DESIGNS) >= 4  # paper_fig3 and at least three examples


@pytest.mark.parametrize("path", DESIGNS, ids=[p.stem for p in DESIGNS])
def test_design_runs_through_table_and_show(path):
    assert path.read_text().startswith("#"), "each design starts with a comment saying what it shows"
    design = load_design(path)
    table = run("table", str(path), "--format", "csv")
    assert table.returncode == 0, table.stderr
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert [r["name"] for r in rows] == [c.name for c in design.configs]
    show = run("show", str(path), "--format", "csv")
    assert show.returncode == 0, show.stderr
    shown = list(csv.DictReader(io.StringIO(show.stdout)))
    # the show breakdown adds up to the table's gates, config by config
    for row in rows:
        assert sum(int(r["gates"]) for r in shown if r["config"] == row["name"]) == int(row["gates"])


# Full adders in each primitive, by hand from its formula in component_library.yaml.
FULL_ADDERS = {
    "adder": lambda n: n - 1,
    "adder_cin": lambda n: n,
    "subtractor": lambda n: n,
    "adder_msb": lambda n, m: m,
    "pp_reduce": lambda n, m: (n - 1) * (m - 1),
}


def full_adders(dp) -> int:
    return sum(FULL_ADDERS[c.primitive](**c.params) for c in dp.components.values()
               if c.primitive in FULL_ADDERS)


def test_cheaper_full_adder_changes_each_config_by_its_full_adders():
    fig3 = macgates.table()
    cheap = macgates.table(DESIGNS[[p.stem for p in DESIGNS].index("cheap_fa")])
    design = load_design(DESIGNS[[p.stem for p in DESIGNS].index("paper_fig3")])
    for cfg, before, after in zip(design.configs, fig3["gates"], cheap["gates"]):
        count = full_adders(design.build(cfg))
        assert count > 0
        assert after == before - count * (FA - 6), cfg.name


def test_custom_datapath_matches_the_builder():
    design = load_design(DESIGNS[[p.stem for p in DESIGNS].index("custom_datapath")])
    t = macgates.table(design)
    gates = dict(zip(t["name"], t["gates"]))
    assert gates["hand-built"] == gates["int8-kulisch32-pipe"]
    assert dict(zip(t["name"], t["accumulator"]))["hand-built"] == "custom:int8_pipelined"
