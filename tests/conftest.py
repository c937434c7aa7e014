import sys
from pathlib import Path

import pytest

# Let tests import the hand-typed Appendix B table next to them.
sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parent.parent


def stale_modules() -> list[str]:
    """The checkout's package files (.py) that the installed macgates lacks or has in
    another form, and the installed ones the checkout lacks: tests run against the
    installed copy, so these would be tested as they were at the last install."""
    import importlib.util

    spec = importlib.util.find_spec("macgates")
    if spec is None or spec.origin is None:
        return ["macgates (not installed: pip install '.[test]')"]
    installed = Path(spec.origin).parent
    checkout = REPO / "macgates"
    if installed == checkout:  # an editable install or a run from the checkout: nothing to compare
        return []
    out = [f"macgates/{p.relative_to(checkout)}" for p in sorted(checkout.rglob("*.py"))
           if not (installed / p.relative_to(checkout)).is_file()
           or (installed / p.relative_to(checkout)).read_bytes() != p.read_bytes()]
    out += [f"macgates/{p.relative_to(installed)} (installed only)" for p in sorted(installed.rglob("*.py"))
            if not (checkout / p.relative_to(installed)).is_file()]
    return out


def pytest_sessionstart(session):
    stale = stale_modules()
    if stale:
        pytest.exit("the installed macgates is not the checkout's (reinstall: pip install --no-deps "
                    f"--force-reinstall .): {', '.join(stale[:10])}" + (" ..." if len(stale) > 10 else ""),
                    returncode=4)
