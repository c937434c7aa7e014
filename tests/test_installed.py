"""The package as installed by `pip install .` (not editable), run from another directory."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_installed_package_finds_its_data(tmp_path):
    code = ("import macgates, macgates.files.resources as r; print(macgates.__file__); "
            "print(r.library_path()); print(r.designs_dir()); print(r.library_path('calibrated_library.yaml')); "
            "print(r.library_path('calibrated_osu018.yaml'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    module, library, designs, calibrated, osu018 = (Path(line) for line in out.stdout.split())
    # not the checkout: an installed copy, with the library and designs as package data
    assert module.parent != REPO / "macgates", f"tests must run against the installed package, got {module}"
    assert "site-packages" in module.parts
    assert library == module.parent / "data" / "component_library.yaml"
    assert library.read_text() == (REPO / "component_library.yaml").read_text()
    assert calibrated.read_text() == (REPO / "calibrated_library.yaml").read_text()
    assert osu018.read_text() == (REPO / "calibrated_osu018.yaml").read_text()
    assert sorted(p.name for p in designs.glob("*.yaml")) == sorted(
        p.name for p in (REPO / "designs").glob("*.yaml"))


def test_console_script_from_tmp(tmp_path):
    exe = shutil.which("macgates", path=str(Path(sys.executable).parent))
    assert exe, "the macgates console script is not installed next to this Python"
    out = subprocess.run([exe, "table", "--format", "csv"], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "name,weights,activations,accumulator,acc_bits,gates,relative,delay,loop_delay,area_delay"
    assert len(lines) == 16


def test_installed_modules_are_the_checkout_s():
    """Tests run against the installed copy: a module edited since `pip install .` would be
    tested in its old form (conftest.py stops the run at once when it is; this says it
    again as a test)."""
    from conftest import stale_modules

    assert stale_modules() == []
