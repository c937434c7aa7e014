"""Reading YAML: files that are not files, huge files, and what the loader builds."""

import os
import subprocess
import sys

import pytest

from macgates import DesignError, LibraryError, load_design, load_library
from macgates.files.yamlfile import MAX_FILE_BYTES, read_yaml

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs Linux device files and FIFOs")


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "macgates", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=30)


@linux
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused(device):
    out = cli("table", device)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr == f"macgates: error: {device}: not a regular file (a device, FIFO or socket), expected a YAML file\n"


@linux
def test_fifo_and_symlink_to_a_device(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    link = tmp_path / "link.yaml"
    link.symlink_to("/dev/zero")
    for path, error, load in ((fifo, DesignError, load_design), (link, LibraryError, load_library)):
        with pytest.raises(error, match="not a regular file"):  # returns at once: a FIFO is never opened
            load(path)


def test_huge_sparse_file_is_refused_without_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.truncate(3 * 1024 ** 3)  # 3 GB, sparse: nothing on disk
    with pytest.raises(DesignError, match=f"3221225472 bytes is larger than the {MAX_FILE_BYTES}-byte limit"):
        load_design(path)


def test_plain_data_only(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("a: 2024-01-02\nb: 0x1F\nc: 1_000\nd: .5\ne: yes\nf: ~\ng: [1, {h: i}]\n"
                    "base: &b {x: 1, y: 2}\nm: {<<: *b, y: 3}\n")
    data = read_yaml(path, DesignError)
    assert data == {"a": "2024-01-02", "b": 31, "c": 1000, "d": 0.5, "e": True, "f": None,
                    "g": [1, {"h": "i"}], "base": {"x": 1, "y": 2}, "m": {"x": 1, "y": 3}}


@pytest.mark.parametrize("text,message", [
    ("a: !!timestamp not-a-date\n", "'not-a-date' is not a valid timestamp"),
    ("a: 1\nb: !!timestamp 2024-13-45\n", "'2024-13-45' is not a valid timestamp"),  # (line 2)
    ("a: !<tag:yaml.org,2002:timestamp> x\n", "'x' is not a valid timestamp"),
    ("a: !!null no\n", "'no' is not a valid null"),
    ("a: !!bool maybe\n", "'maybe' is not a valid bool"),
    ("a: !!int ''\n", "'' is not a valid int"),
    ("a: !!float ''\n", "'' is not a valid float"),
    ("a: !!value x\n", "'x' is not a valid value"),
    ("a: {!!merge x: {b: 1}}\n", "'x' is not a valid merge"),
    ("a: !!str [1]\n", "a sequence cannot be tagged 'tag:yaml.org,2002:str'"),
    ("a: !!seq {b: 1}\n", "a mapping cannot be tagged 'tag:yaml.org,2002:seq'"),
    ("a: !!map [1]\n", "a sequence cannot be tagged 'tag:yaml.org,2002:map'"),
    ("a: !!set {b, c}\n", "a mapping cannot be tagged 'tag:yaml.org,2002:set'"),
    ("a: !!omap [b: 1]\n", "a sequence cannot be tagged 'tag:yaml.org,2002:omap'"),
    ("a: !!pairs [b: 1]\n", "a sequence cannot be tagged 'tag:yaml.org,2002:pairs'"),
    ("a: !!binary aGk=\n", "a scalar cannot be tagged 'tag:yaml.org,2002:binary'"),
], ids=["timestamp", "timestamp-bad-month", "timestamp-verbatim", "null", "bool", "int-empty", "float-empty",
        "value", "merge-key", "str-on-list", "seq-on-mapping", "map-on-list", "set", "omap", "pairs", "binary"])
def test_a_tag_written_out_must_fit_its_text(tmp_path, text, message):
    path = tmp_path / "d.yaml"
    path.write_text(text)
    line = text.count("\n", 0, text.index("!")) + 1
    with pytest.raises(DesignError, match=f"^{path}:{line}: (YAML error: )?{message}$"):
        read_yaml(path, DesignError)


def test_tags_written_out_on_fitting_text_and_untagged_dates(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("a: !!timestamp 2024-01-02\nb: !!null ~\nc: !!null\nd: !!bool yes\ne: !!float 1\n"
                    "f: 2024-13-45\ng: !!str 12\nh: {!!merge <<: {x: 1}}\ni: !!int 0x10\n")
    assert read_yaml(path, DesignError) == {"a": "2024-01-02", "b": None, "c": None, "d": True, "e": 1.0,
                                            "f": "2024-13-45", "g": "12", "h": {"x": 1}, "i": 16}


def test_a_merge_that_is_not_a_mapping(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text("a: {<<: [1]}\n")
    with pytest.raises(DesignError, match=r"d.yaml:1: a merge \(<<\) takes a mapping or a list of mappings"):
        read_yaml(path, DesignError)


def test_a_newline_in_a_file_name_stays_on_one_line(tmp_path):
    out = cli("table", str(tmp_path / "a\nmacgates: error: forged.yaml"))
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1
    assert "\\n" in out.stderr


def test_a_nul_byte_in_a_file_name_is_a_clear_error():
    # found by tests/test_fuzz.py: os.stat raises ValueError, not OSError, for it
    with pytest.raises(LibraryError, match=r"a\\x00b: not a file name \(it holds a NUL byte\)"):
        load_library("a\x00b")
    with pytest.raises(DesignError, match="not a file name"):
        load_design("d\x00.yaml")
