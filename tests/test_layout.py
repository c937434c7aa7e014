"""The package's layers (docs/architecture.md), checked on the source: every import of
macgates inside macgates, at module level or in a function, goes to the module's own
subpackage or a layer below, but for the exceptions listed here; and every module is
reachable under the name it had before the subpackages."""

import ast
import importlib
from pathlib import Path

import pytest

import macgates

PACKAGE = Path(macgates.__file__).parent
# bottom first; design and run share a rank and do not import each other
RANK = {"support": 0, "files": 1, "formats": 2, "library": 3, "accuracy": 3, "datapath": 4, "design": 5, "run": 5,
        "hw": 6, "report": 7, "": 8}
# (importer, imported), named in docs/architecture.md: imports inside a function
# (Datapath.step runs the simulator; Format.quantize the accuracy layer's quantize), and the
# package's __version__ in report.md
UPWARD = {("datapath.graph", "run.simulate"), ("report.markdown", ""), ("formats.spec", "accuracy.quantize")}


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        yield ".".join(parts), path, path.name == "__init__.py"


def imported(name: str, path: Path, is_package: bool):
    """The macgates modules a module imports (relative to macgates, '' for the package)."""
    here = name.split(".") if is_package else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[:len(here) - node.level + 1] if node.level > 1 else here
            target = base + (node.module.split(".") if node.module else [])
            if node.module is None:  # from . import x: x may be a module
                for alias in node.names:
                    full = ".".join(target + [alias.name])
                    yield full if (PACKAGE / full.replace(".", "/")).with_suffix(".py").exists() or \
                        (PACKAGE / full.replace(".", "/")).is_dir() else ".".join(target)
            else:
                yield ".".join(target)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("macgates"):
            yield node.module[len("macgates."):] if node.module != "macgates" else ""
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("macgates."):
                    yield alias.name[len("macgates."):]


def layer(module: str) -> str:
    head = module.split(".")[0]
    return head if head in RANK and "." in module or head in RANK and (PACKAGE / head).is_dir() else ""


MODULES = list(modules())


@pytest.mark.parametrize("name,path,is_package", MODULES, ids=[m[0] or "macgates" for m in MODULES])
def test_imports_go_down_the_layers(name, path, is_package):
    mine = layer(name)
    for target in imported(name, path, is_package):
        theirs = layer(target)
        if theirs == mine or (name, target) in UPWARD:
            continue
        assert RANK[theirs] < RANK[mine], f"{name} (layer {mine or 'top'}) imports {target} (layer {theirs or 'top'})"


def test_the_old_module_names_are_the_modules():
    for old, new in macgates.MOVED.items():
        module = importlib.import_module(f"macgates.{old}")
        assert module is importlib.import_module(f"macgates.{new}")
        assert module.__name__ == module.__spec__.name == f"macgates.{new}"
        assert getattr(macgates, old) is module


def test_the_subpackages_that_were_modules_keep_their_public_names():
    from macgates.datapath import MAX_WIDTH, Datapath
    from macgates.design import default_design
    from macgates.formats import define, format
    from macgates.library import MAX_CELLS, Library, register_kind

    assert Datapath is macgates.datapath.graph.Datapath and MAX_WIDTH == macgates.datapath.graph.MAX_WIDTH
    assert default_design is macgates.design.schema.default_design
    assert (define, format) == (macgates.formats.spec.define, macgates.formats.spec.format)
    assert Library is macgates.library.primitives.Library and MAX_CELLS == macgates.library.primitives.MAX_CELLS
    assert register_kind is macgates.library.kinds.register_kind


@pytest.mark.parametrize("name,path,is_package", MODULES, ids=[m[0] or "macgates" for m in MODULES])
def test_no_private_name_crosses_modules(name, path, is_package):
    """A module imports only public names from another (from .x import _y is refused);
    the package's __version__ and a module imported under a private alias are fine."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("macgates")):
            for alias in node.names:
                assert not alias.name.startswith("_") or alias.name == "__version__", \
                    f"{name} imports {alias.name} from {'.' * node.level}{node.module or ''}"
