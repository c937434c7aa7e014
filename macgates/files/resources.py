"""Where the bundled primitive library and designs live.

In an installed package they are package data under ``macgates/data/`` (the wheel maps
the repository's top-level ``component_library.yaml``, ``calibrated_library.yaml`` and
``designs/`` there); in a
source checkout they are read from the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # macgates/, above files/


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / "data" / name, _PACKAGE.parent / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"bundled {name} not found next to {_PACKAGE}: the installation is broken")


def library_path(name: str = "component_library.yaml") -> Path:
    """A bundled library file (``component_library.yaml``, ``calibrated_library.yaml``,
    ``calibrated_osu018.yaml``)."""
    return _find(name)


def designs_dir() -> Path:
    """The folder of bundled designs."""
    return _find("designs")
