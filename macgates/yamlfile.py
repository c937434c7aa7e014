"""Reading YAML files into plain data, with file-and-line error messages."""

from __future__ import annotations

from pathlib import Path

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 4 * 1024 * 1024


def read_yaml(path, error: type[Exception]):
    """Parse the YAML file at ``path``; problems raise ``error`` with a one-line message."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, expected a YAML file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise error(f"{path}: {len(raw)} bytes is larger than the {MAX_FILE_BYTES}-byte limit for a YAML file")
    if b"\0" in raw:
        raise error(f"{path}: binary file (contains NUL bytes), expected UTF-8 YAML text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start}), expected a YAML file") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = exc.problem or exc.context or "invalid YAML"
        raise error(f"{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: YAML error: {' '.join(str(exc).split())}") from None
