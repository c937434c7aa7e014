"""Writing a datapath graph to a file: GraphML, DOT or node-link JSON, by suffix."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from ..datapath.graph import Datapath
from ..files.outputs import write_text
from ..support.errors import DatapathError

GRAPH_SUFFIXES = (".graphml", ".dot", ".json")


def _plain(value):
    """Attribute values every writer accepts: exact Fractions as 'a/b' strings."""
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return value


def _flat_graph(dp: Datapath):
    g = dp.graph
    for _, data in g.nodes(data=True):
        for key, value in list(data.items()):
            data[key] = _plain(value)
    return g


def graph_text(dp: Datapath, suffix: str, where: str = "graph file") -> str:
    """The graph as text in the format ``suffix`` names."""
    suffix = suffix.lower()
    if suffix == ".json":
        import networkx as nx

        data = nx.node_link_data(_flat_graph(dp), edges="links")
        return json.dumps(data, indent=2, sort_keys=True) + "\n"
    if suffix == ".graphml":
        import networkx as nx

        return "\n".join(nx.generate_graphml(_flat_graph(dp))) + "\n"
    if suffix == ".dot":
        return to_dot(dp)
    raise DatapathError(f"{where}: suffix '{suffix or '(none)'}' is not one of "
                        f"{', '.join(GRAPH_SUFFIXES)}")


def _quote(text) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(dp: Datapath) -> str:
    """Graphviz DOT, written here (networkx's DOT writers need pydot or pygraphviz)."""
    lines = [f"digraph {_quote(dp.name)} {{", "  rankdir=LR;", "  node [shape=box];"]
    for name, (_direction, width) in dp.ports.items():
        lines.append(f"  {_quote(name)} [shape=ellipse, label={_quote(f'{name} ({width}b)')}];")
    for comp in dp.components.values():
        label = "\\n".join(_quote(part)[1:-1] for part in
                           (comp.name, comp.label, f"{comp.category}: {comp.cost}"))
        lines.append(f"  {_quote(comp.name)} [label=\"{label}\"];")
    for sig in dp.signals:
        style = ", style=dashed" if sig.name == "feedback" else ""
        lines.append(f"  {_quote(sig.src)} -> {_quote(sig.dst)} [label={_quote(sig.width)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_graph(dp: Datapath, path) -> Path:
    """Write the graph to ``path`` (format by suffix), atomically and with the user's
    umask (:mod:`macgates.files.outputs`): on any error nothing is written."""
    path = Path(path)
    return write_text(path, graph_text(dp, path.suffix, str(path)))
