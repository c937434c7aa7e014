"""The docs and README describe what the code does today."""

import re
from pathlib import Path

import pytest

import macgates

REPO = Path(__file__).resolve().parent.parent
DATAPATHS = (REPO / "docs" / "datapaths.md").read_text()
README = (REPO / "README.md").read_text()


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
    ("| block | component | primitive | e4m3 -> fp16 |", ("fp8_e4m3", "fp16"), 1),
    ("| component | primitive | fp8_e4m3 |\n|---|---|---|\n| `product_pipe`", ("fp8_e4m3", "kulisch"), 0),
    ("| component | primitive | int8 |\n|---|---|---|\n| `acc_add`", ("int8", "kulisch"), 0),
])
def test_component_tables_match_the_code(header, config, column):
    dp = macgates.mac(config[0], accumulator=config[1])
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


def test_readme_table_is_current():
    from macgates.render import render
    from macgates.table import COLUMNS, table_records

    assert render(table_records(), COLUMNS, "markdown") in README


def test_readme_api_example_runs():
    block = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)  # our own README, not user input
    assert namespace["dp"].gates == 1166
    assert namespace["wide"].info["acc_bits"] == 32
    assert len(namespace["df"]) == 2
