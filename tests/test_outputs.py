"""Output paths (macgates/files/outputs.py) that cannot be written: a loop of symbolic links, a
symbolic link to nothing, a symbolic link to a folder, a folder on the way that is a file.
Each is refused with one line naming the path and why, exit 2, no traceback, and nothing
is written or changed. The links are made at test time (the bad-input corpus holds only
regular files)."""

import os

import pytest

from in_process import run as run_cli
from macgates.files.outputs import OutputError, check, check_folder, write_files

posix = pytest.mark.skipif(os.name != "posix", reason="needs symbolic links")


def layout(tmp_path):
    """A folder of the awkward things: a link to itself, two links to each other, a link
    to nothing, a link to a folder, a file, a link to nothing that a folder would be."""
    (tmp_path / "self.csv").symlink_to("self.csv")
    (tmp_path / "ping").symlink_to("pong")
    (tmp_path / "pong").symlink_to("ping")
    (tmp_path / "dangling.csv").symlink_to("nowhere/x.csv")
    (tmp_path / "folder").mkdir()
    (tmp_path / "to_folder").symlink_to("folder")
    (tmp_path / "file").write_text("a file\n")
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "gone").symlink_to("nowhere")
    return tmp_path


def snapshot(root):
    """Every name under ``root`` with what it is (a link's target, a file's text)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, root)] = (os.readlink(path) if os.path.islink(path) else
                                                open(path).read() if os.path.isfile(path) else "folder")
    return out


FILE_CASES = [  # (output path, the message after it)
    ("self.csv", "cannot write (a loop of symbolic links)"),
    ("ping", "cannot write (a loop of symbolic links)"),
    ("dangling.csv", "cannot write (a symbolic link to nothing: nowhere/x.csv)"),
    ("to_folder", "cannot write (Is a directory)"),
    ("file/x.csv", "cannot write (file is a file, not a folder)"),
    ("file/sub/x.csv", "cannot write (file is a file, not a folder)"),
    ("loop/x.csv", "cannot write (loop: a loop of symbolic links)"),
    ("gone/x.csv", "cannot write (gone is a symbolic link to nothing)"),
]
FILE_IDS = ["self-loop", "two-link-loop", "dangling", "link-to-folder", "file-on-the-way", "file-further-up",
            "loop-on-the-way", "dangling-on-the-way"]


@posix
@pytest.mark.parametrize("path,message", FILE_CASES, ids=FILE_IDS)
def test_check_refuses_a_file_path_it_cannot_write(tmp_path, monkeypatch, path, message):
    monkeypatch.chdir(layout(tmp_path))
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match=f"^{path}: {message}$".replace("(", r"\(").replace(")", r"\)")):
        check(path)
    with pytest.raises(OutputError):
        write_files(".", {path: "text"})  # the same path written as part of a set of files
    assert snapshot(tmp_path) == before


FOLDER_CASES = [  # (output folder, the message after "--out FOLDER: ")
    ("loop", "cannot make files there (loop: a loop of symbolic links)"),
    ("ping/sub", "cannot make files there (ping: a loop of symbolic links)"),
    ("gone", "cannot make files there (gone is a symbolic link to nothing)"),
    ("file", "exists and is not a folder"),
    ("file/sub", "cannot make files there (file is a file, not a folder)"),
    ("dangling.csv", "cannot make files there (dangling.csv is a symbolic link to nothing)"),
]
FOLDER_IDS = ["loop", "loop-on-the-way", "dangling", "a-file", "file-on-the-way", "dangling-file-link"]


@posix
@pytest.mark.parametrize("path,message", FOLDER_CASES, ids=FOLDER_IDS)
def test_check_folder_refuses_a_folder_it_cannot_make_files_in(tmp_path, monkeypatch, path, message):
    monkeypatch.chdir(layout(tmp_path))
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match=f"^--out {path}: {message}$".replace("(", r"\(").replace(")", r"\)")):
        check_folder(path, "--out")
    with pytest.raises(OutputError):
        write_files(path, {"a/b.txt": "text"})
    assert snapshot(tmp_path) == before


@posix
def test_what_can_be_written_still_is(tmp_path, monkeypatch):
    monkeypatch.chdir(layout(tmp_path))
    assert check("new.csv").name == "new.csv" and check("folder/new.csv").name == "new.csv"
    assert check_folder("to_folder/new/deeper") and check_folder("folder")
    written = write_files("to_folder/new", {"a/b.txt": "text", "c.txt": "more"})
    assert [p.read_text() for p in written] == ["text", "more"]
    assert (tmp_path / "folder" / "new" / "a" / "b.txt").read_text() == "text"  # through the link


def cli(args, cwd):
    return run_cli(*args, cwd=cwd)  # macgates.cli.main in this process (tests/in_process.py)


CLI_CASES = [  # (arguments, the expected error line)
    (["sweep", "--weights", "int8", "--out", "self.csv"], "self.csv: cannot write (a loop of symbolic links)"),
    (["sweep", "--weights", "int8", "--out", "dangling.csv"],
     "dangling.csv: cannot write (a symbolic link to nothing: nowhere/x.csv)"),
    (["sweep", "--weights", "int8", "--out", "to_folder"], "to_folder: cannot write (Is a directory)"),
    (["sweep", "--weights", "int8", "--out", "file/s.csv"], "file/s.csv: cannot write (file is a file, not a folder)"),
    (["show", "int8-kulisch", "--graph", "loop/g.dot"], "loop/g.dot: cannot write (loop: a loop of symbolic links)"),
    (["show", "int8-kulisch", "--graph", "ping"], "ping: suffix '(none)' is not one of .graphml, .dot, .json"),
    (["calibrate", "--out", "self.csv"], "self.csv: cannot write (a loop of symbolic links)"),
    (["calibrate", "--out", "gone/lib.yaml"], "gone/lib.yaml: cannot write (gone is a symbolic link to nothing)"),
    (["rtl", "int8-kulisch", "--out", "loop"], "--out loop: cannot make files there (loop: a loop of symbolic links)"),
    (["rtl", "int8-kulisch", "--out", "self.csv"],
     "--out self.csv: cannot make files there (self.csv: a loop of symbolic links)"),
    (["rtl", "int8-kulisch", "--out", "file/v"],
     "--out file/v: cannot make files there (file is a file, not a folder)"),
    (["rtl", "int8-kulisch", "--out", "gone"], "--out gone: cannot make files there (gone is a symbolic link to nothing)"),
    (["report", "paper_fig3", "--out", "ping"], "--out ping: cannot make files there (ping: a loop of symbolic links)"),
    (["report", "paper_fig3", "--out", "file/r"],
     "--out file/r: cannot make files there (file is a file, not a folder)"),
]
CLI_IDS = ["sweep-self-loop", "sweep-dangling", "sweep-link-to-folder", "sweep-file-on-the-way", "graph-loop-on-the-way",
           "graph-loop-no-suffix", "calibrate-self-loop", "calibrate-dangling-folder", "rtl-loop", "rtl-file-loop",
           "rtl-file-on-the-way", "rtl-dangling", "report-two-link-loop", "report-file-on-the-way"]


@posix
@pytest.mark.parametrize("args,message", CLI_CASES, ids=CLI_IDS)
def test_the_commands_refuse_such_paths_in_one_line(tmp_path, args, message):
    layout(tmp_path)
    before = snapshot(tmp_path)
    run = cli(args, tmp_path)
    assert (run.returncode, run.stdout, run.stderr) == (2, "", f"macgates: error: {message}\n")
    assert snapshot(tmp_path) == before  # nothing written, no link replaced


@posix
def test_a_report_subfolder_that_is_a_loop_writes_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # where the design's pages go (the smallest bundled design's: the charts are made first)
    (out / "custom_datapath").symlink_to("custom_datapath")
    before = snapshot(tmp_path)
    run = cli(["report", "custom_datapath", "--out", "out"], tmp_path)
    assert run.returncode == 2 and run.stdout == "" and len(run.stderr.splitlines()) == 1
    assert run.stderr == "macgates: error: out/custom_datapath: cannot make files there (out/custom_datapath: a " \
                         "loop of symbolic links)\n"
    assert snapshot(tmp_path) == before
