"""Writing output files: atomically, with the user's umask, errors naming the user's path.

Every file macgates writes (graphs, sweep CSVs, report charts and markdown) goes through
:func:`write_bytes`: the data goes to a temporary file beside the target, which is given
the permissions a plain ``open(path, "w")`` would (0666 less the umask) and then renamed
over the target. On any error the temporary file is removed and the target is untouched;
the error names the target, never the temporary name.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import MacgatesError


class OutputError(MacgatesError):
    """An output file cannot be written."""


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise OutputError(f"{path}: folder {directory} does not exist")
    if path.is_dir():
        raise OutputError(f"{path}: cannot write (Is a directory)")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name[:60]}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
    except BaseException:
        _remove(tmp)
        raise
    return path


def write_text(path, text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def _remove(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
