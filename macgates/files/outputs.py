"""Writing output files: atomically, with the user's umask, errors naming the user's path.

Every file macgates writes (graphs, sweep CSVs, report charts and markdown) goes through
:func:`write_bytes`: the data goes to a temporary file beside the target, which is given
the permissions a plain ``open(path, "w")`` would (0666 less the umask) and then renamed
over the target. On any error the temporary file is removed and the target is untouched;
the error names the target, never the temporary name. :func:`write_files` writes a set
of files (a report) all or nothing; :func:`open_text` streams one (a sweep).

Before anything is written, :func:`check` (a file) and :func:`check_folder` (a folder
files go into) walk the path from its first component: a loop of symbolic links, a
symbolic link to nothing, or a part that is a file or a device where a folder must be
is an OutputError naming that part, as is a target that is a folder, a device or one of
the command's inputs.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from ..support.errors import MacgatesError, shown


class OutputError(MacgatesError):
    """An output file cannot be written."""


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_INPUTS: set = set()  # every file read in this process, resolved: never an output


def note_input(path) -> None:
    """Remember that ``path`` was read, so that no output overwrites it."""
    try:
        _INPUTS.add(Path(path).resolve())
    except (OSError, RuntimeError, ValueError):  # an unresolvable path cannot be written over either
        pass


def _name(path) -> str:
    return shown(str(path), 200)[1:-1]


def _reach(folder: Path):
    """Walk ``folder`` from its first component: (None, None, "") if it is a folder;
    ("missing", the first part that does not exist, "") if it can be made; ("not a
    folder", the part, why) for a part that exists and is not a folder; ("bad", the
    part, why) for a symbolic link to nothing, a loop of them, or a part that cannot be
    looked at."""
    parts = folder.parts
    for i in range(1, len(parts) + 1):
        part = Path(*parts[:i])
        try:
            info = os.stat(part)
        except FileNotFoundError:
            if os.path.lexists(part):
                return "bad", part, f"{_name(part)} is a symbolic link to nothing"
            return "missing", part, ""
        except ValueError:  # a NUL byte
            return "bad", folder, f"{_name(folder)} is not a file name (it holds a NUL byte)"
        except OSError as exc:
            why = "a loop of symbolic links" if exc.errno == errno.ELOOP else exc.strerror
            return "bad", part, f"{_name(part)}: {why}"
        if not stat.S_ISDIR(info.st_mode):
            what = "a file" if stat.S_ISREG(info.st_mode) else "a device, FIFO or socket"
            return "not a folder", part, f"{_name(part)} is {what}, not a folder"
    return None, None, ""


def check_folder(path, option: str = "") -> Path:
    """Can files be written under the folder ``path``? It may not exist yet (it is made),
    but what exists of it is folders: not a file, a symbolic link to nothing or a loop of
    them. Raises OutputError naming the path (after ``option``, if given)."""
    path = Path(path)
    where = f"{option} {_name(path)}" if option else _name(path)
    kind, part, why = _reach(path)
    if kind == "not a folder" and part == path:
        raise OutputError(f"{where}: exists and is not a folder")
    if kind in ("bad", "not a folder"):
        raise OutputError(f"{where}: cannot make files there ({why})")
    return path


def check(path) -> Path:
    """Can ``path`` be written? Its folder exists, it is not a folder, a device or a FIFO
    (those are never replaced), nor a symbolic link to nothing or in a loop of them, and
    it was not read as an input. Raises OutputError."""
    path = Path(path)
    try:
        return _check(path)
    except OSError as exc:  # a name too long, ...
        raise OutputError(f"{_name(path)}: cannot write ({exc.strerror})") from None


def _check(path: Path) -> Path:
    directory = path.parent if str(path.parent) else Path(".")
    kind, _, why = _reach(directory)
    if kind == "missing":
        raise OutputError(f"{_name(path)}: folder {_name(directory)} does not exist")
    if kind is not None:
        raise OutputError(f"{_name(path)}: cannot write ({why})")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise OutputError(f"{_name(path)}: cannot write (a symbolic link to nothing: "
                              f"{_name(os.readlink(path))})") from None
        info = None  # a new file
    except ValueError:
        raise OutputError(f"{_name(path)}: not a file name (it holds a NUL byte)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputError(f"{_name(path)}: cannot write (a loop of symbolic links)") from None
        raise
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{path}: cannot write (Is a directory)")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OutputError(f"{path}: not a regular file (a device, FIFO or socket); give a file path")
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        resolved = None
    if resolved in _INPUTS:
        raise OutputError(f"{path}: is one of this command's inputs; give another output path")
    return path


def write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (after :func:`check`); returns ``path``."""
    with open_atomic(path, binary=True) as handle:
        handle.write(data)
    return Path(path)


def open_text(path):
    """A text file to write ``path`` through, atomically (see :func:`open_atomic`): for
    output made as it goes (sweeps)."""
    return open_atomic(path)


@contextlib.contextmanager
def open_atomic(path, binary: bool = False):
    """A file to write ``path`` through: the data goes to a temporary file beside it,
    given the umask's permissions and renamed over ``path`` when the block ends without
    an error; on an error it is removed and ``path`` is untouched."""
    import tempfile  # here, not at start-up: every command imports this module

    path = check(path)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name[:60]}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as handle:
            yield handle
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
    except BaseException:
        _remove(tmp)
        raise


def write_files(out_dir, files: dict) -> list[Path]:
    """Write ``{relative path: bytes or str}`` under ``out_dir``, each file atomically and
    with the umask (:mod:`macgates.files.outputs`). If one cannot be written, the files and
    folders this call made are removed again and the error is raised: all or nothing."""
    out_dir = Path(out_dir)
    made_dirs, written = [], []
    try:
        for rel, data in files.items():
            path = out_dir / rel
            check_folder(path.parent)  # what exists of it is folders (no loop of links, no file)
            missing = [d for d in (path.parent, *path.parent.parents) if not os.path.lexists(d)]
            for folder in reversed(missing):
                folder.mkdir()
                made_dirs.append(folder)
            existed = path.exists()
            write_bytes(path, data.encode("utf-8") if isinstance(data, str) else data)
            if not existed:
                written.append(path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        for folder in reversed(made_dirs):
            if folder.exists() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    return [out_dir / rel for rel in files]


def write_text(path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
