"""The ``macgates`` command line: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .errors import DesignError, MacgatesError, did_you_mean
from fractions import Fraction

from .render import FORMATS, fixed3, render


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and a MacgatesError-style exit 2."""

    def error(self, message):
        raise _UsageError(f"{message} (see '{self.prog} --help')")


class _UsageError(Exception):
    pass


def _library_option(p, more: str = "") -> None:
    p.add_argument("--library", metavar="PATH", help="primitive library YAML" + more)


def _format_option(p, choices) -> None:
    p.add_argument("--format", choices=choices, default="text", help="output format (default: text)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="macgates", description="Gate-count estimates for multiply-accumulate units.")
    parser.add_argument("--version", action="version", version=f"macgates {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("table", help="relative-area table of a design (default: whitepaper Figure 3)",
                       description="Print the relative-area table of a design file "
                                   "(default: the whitepaper's Figure 3).")
    p.add_argument("design", nargs="?", metavar="DESIGN.yaml", help="design file (default: paper_fig3)")
    _library_option(p, " (default: the design's, else the bundled one)")
    p.add_argument("--baseline", metavar="NAME", help="config the relative column divides by")
    _format_option(p, FORMATS)
    p.set_defaults(run=_table)

    p = sub.add_parser("report", help="write bar-chart reports (PNG, SVG, markdown)",
                       description="Write, per design, a Figure-3-style chart of relative area, a "
                                   "stacked chart of gates by category (PNG and SVG) and report.md, "
                                   "plus index.md linking them.")
    p.add_argument("designs", nargs="*", metavar="DESIGN.yaml", help="design files (default: all bundled)")
    p.add_argument("--sweep", metavar="FILE.csv", help="instead of designs: a Pareto report of a "
                                                       "'macgates sweep' CSV")
    p.add_argument("--out", metavar="DIR", default="reports", help="output folder (default: reports)")
    _library_option(p)
    p.set_defaults(run=_report)

    p = sub.add_parser("sweep", help="cost the cartesian product of formats, accumulators and k",
                       description="Cost every combination of weights x activations x accumulators "
                                   "x k and write a CSV. Invalid combinations are skipped and counted.")
    p.add_argument("--weights", required=True, metavar="LIST", help="comma-separated format names")
    p.add_argument("--activations", metavar="LIST", help="comma-separated format names "
                                                          "(default: each weight format with itself)")
    p.add_argument("--accumulators", default="fp32", metavar="LIST",
                   help="comma-separated: kulisch, kulisch:N, fp16, bf16, fp32 (default fp32)")
    p.add_argument("--k", default="1", metavar="LIST", help="comma-separated dot-product sizes (default 1)")
    p.add_argument("--multiplier", default="array", choices=("array", "booth"))
    _library_option(p)
    p.add_argument("--out", required=True, metavar="FILE.csv", help="where to write the CSV")
    p.set_defaults(run=_sweep)

    p = sub.add_parser("list", help="list formats, primitives or bundled designs",
                       description="List the known number formats, the primitives of the library "
                                   "(with formula and source), or the bundled designs.")
    p.add_argument("what", choices=("formats", "primitives", "designs"))
    _library_option(p, " (for 'primitives')")
    _format_option(p, FORMATS)
    p.set_defaults(run=_list)

    p = sub.add_parser("show", help="component breakdown of one datapath",
                       description="Show the components of a datapath with widths, costs and "
                                   "per-category subtotals. NAME is a config of the Figure 3 design "
                                   "(fp8_e4m3-fp16), WEIGHTS[xACTIVATIONS]-ACCUMULATOR "
                                   "(fp8_e4m3xfp8_e5m2-fp32), a bundled design or a design file.")
    p.add_argument("name", metavar="NAME_OR_DESIGN")
    p.add_argument("--config", metavar="NAME", help="which config of a design")
    _library_option(p)
    _format_option(p, ("text", "csv", "json"))
    p.add_argument("--graph", metavar="FILE", help="also write the graph: .graphml, .dot or .json")
    p.set_defaults(run=_show)
    return parser


def _library(args):
    from .library import load_library

    return load_library(args.library) if args.library else None


def _table(args) -> str:
    from .table import columns_of, table_records

    rows = table_records(args.design, baseline=args.baseline, library=_library(args))
    return render(rows, columns_of(rows), args.format)


def _report(args) -> str:
    from .design import bundled_designs, load_design
    from .reporting import report, write_index

    if args.sweep:
        from .reporting import sweep_report

        if args.designs:
            raise DesignError("report: give design files or --sweep, not both")
        return "".join(f"{p}\n" for p in sweep_report(args.sweep, args.out))
    library = _library(args)
    paths = args.designs or list(bundled_designs().values())
    designs = [load_design(p, library) for p in paths]  # validate all before writing any
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise DesignError(f"--out {out}: exists and is not a folder")
    written = []
    for design in designs:
        written += report(design, out)
    written.append(write_index(out, designs))
    return "".join(f"{p}\n" for p in written)


def _split(text: str, what: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise DesignError(f"--{what}: expected a comma-separated list, got {text!r}")
    return items


def _sweep(args) -> str:
    from .sweep import COLUMNS, stderr_progress, sweep_records

    ks = []
    for item in _split(args.k, "k"):
        if not item.isdigit():
            raise DesignError(f"--k: '{item}' is not a whole number")
        ks.append(int(item))
    from .builders import parse_accumulator
    from .formats import format as get_format

    for option, parse in (("weights", get_format), ("activations", get_format),
                          ("accumulators", parse_accumulator)):
        for item in _split(getattr(args, option), option) if getattr(args, option) else []:
            try:
                parse(item)
            except MacgatesError as exc:
                raise DesignError(f"--{option}: {exc}") from None
    out = Path(args.out)
    if not out.parent.is_dir():
        raise DesignError(f"--out {out}: folder {out.parent} does not exist")
    rows, skipped = sweep_records(_split(args.weights, "weights"),
                                  _split(args.activations, "activations") if args.activations else None,
                                  _split(args.accumulators, "accumulators"), ks, _library(args),
                                  args.multiplier, stderr_progress)
    for row in rows:
        row["gates_per_mac"] = fixed3(round(Fraction(row["gates_per_mac"]), 3))
    out.write_text(render(rows, COLUMNS, "csv"))
    print(f"macgates: {len(rows)} configurations written to {out}; {len(skipped)} invalid "
          f"combinations skipped", file=sys.stderr)
    return ""


def _list(args) -> str:
    if args.what == "formats":
        from .formats import all_formats, source_of

        rows = [{"name": f.name, "kind": f.kind, "bits": f.bits, "exp_bits": f.exp_bits,
                 "man_bits": f.man_bits, "bias": f.bias, "max": _num(f.max_value),
                 "min_positive": _num(f.min_positive),
                 "block": f"{f.block_size} x {f.scale.name}" if f.is_block else "",
                 "defined_in": source_of(f)}
                for f in all_formats()]
        columns = list(rows[0])
    elif args.what == "primitives":
        from .library import load_library

        lib = load_library(args.library) if args.library else load_library()
        rows = [{"primitive": p.signature, "cost": p.cost_text, "category": p.category,
                 "source": p.source} for p in lib.primitives.values()]
        columns = list(rows[0])
    else:
        from .design import bundled_designs, load_design

        rows = []
        for stem, path in bundled_designs().items():
            d = load_design(path)
            rows.append({"design": stem, "name": d.name, "configs": len(d.configs),
                         "description": d.description})
        columns = ["design", "name", "configs", "description"]
    return render(rows, columns, args.format)


def _num(value) -> str:
    if value.denominator == 1 and value < 10**7:
        return str(value.numerator)
    if value.numerator == 1 and value.denominator & (value.denominator - 1) == 0:
        return f"2^-{value.denominator.bit_length() - 1}"
    return f"{float(value):.6g}"


def resolve(name: str, config: str | None, library=None):
    """(design, configs) that ``show NAME`` means."""
    from .design import Design, bundled_designs, default_design, design_from_mapping, load_design

    path = Path(name)
    if name.endswith((".yaml", ".yml")) or path.is_file():
        design = load_design(path, library)
    elif name in bundled_designs():
        design = load_design(bundled_designs()[name], library)
    else:
        fig3 = default_design(library)
        if config is None and name in {c.name for c in fig3.configs}:
            return fig3, [fig3.config(name)]
        design = _adhoc(name, fig3, library, Design, design_from_mapping, bundled_designs)
    if config is not None:
        return design, [design.config(config)]
    return design, list(design.configs)


def _adhoc(name, fig3, library, Design, design_from_mapping, bundled_designs):
    from .formats import format as get_format

    head, sep, acc = name.rpartition("-")
    weights, x, activations = head, "", ""
    for i, ch in enumerate(head):  # W x A: split at the 'x' that leaves two format names
        if ch == "x" and _is_format(head[:i], get_format) and _is_format(head[i + 1:], get_format):
            weights, x, activations = head[:i], "x", head[i + 1:]
            break
    if not sep or not weights:
        raise DesignError(
            f"show: '{name}' is not a design file, a bundled design ({did_you_mean(bundled_designs())}), "
            f"a Figure 3 config (e.g. {fig3.configs[0].name}) or WEIGHTS[xACTIVATIONS]-ACCUMULATOR")
    item = {"name": name, "weights": weights, "accumulator": acc}
    if x:
        item["activations"] = activations
    return design_from_mapping({"macgates": 1, "name": name, "configs": [item]}, f"show {name}",
                               library=library)


def _is_format(text, get_format) -> bool:
    try:
        get_format(text)
    except MacgatesError:
        return False
    return True


def _show(args) -> str:
    from .export import write_graph

    design, configs = resolve(args.name, args.config, _library(args))
    built = []
    for cfg in configs:
        try:
            built.append((cfg, design.build(cfg)))
        except MacgatesError as exc:
            raise DesignError(f"{design.origin}: config {cfg.name}: {exc}") from None
    if args.graph:
        if len(built) != 1:
            raise DesignError(f"--graph needs one datapath: pick one with --config "
                              f"({did_you_mean(c.name for c in configs)})")
        write_graph(built[0][1], args.graph)
    if args.format == "json":
        return json.dumps([_json(cfg, dp) for cfg, dp in built] if len(built) > 1
                          else _json(*built[0]), indent=2) + "\n"
    if args.format == "csv":
        columns = ["config", "component", "category", "primitive", "params", "count", "gates", "note"]
        rows = [{"config": cfg.name, **r} for cfg, dp in built for r in dp.rows()]
        return render(rows, columns, "csv")
    return "\n".join(_text(cfg, dp) for cfg, dp in built)


def _describe(cfg, dp) -> str:
    info = dp.info
    if cfg.datapath:
        return f"custom datapath {cfg.datapath}"
    pair = info["weights"] if info["weights"] == info["activations"] else \
        f"{info['weights']} x {info['activations']}"
    unit = f", {dp.macs}-term dot product, {info['combine']} combine" if dp.macs > 1 else ""
    return (f"{pair} -> {info['accumulator']} ({info['acc_bits']}-bit accumulator, {info['multiplier']} "
            f"multiplier{unit})")


def _text(cfg, dp) -> str:
    rows = [{"component": r["component"], "category": r["category"],
             "primitive": (f"{r['count']} x " if r["count"] != 1 else "")
             + (f"{r['primitive']}({r['params']})" if r["params"] else r["primitive"]),
             "gates": r["gates"], "note": r["note"]} for r in dp.rows()]
    out = [f"{cfg.name}: {_describe(cfg, dp)}: {dp.gates} gates", ""]
    out.append(render(rows, ["component", "category", "primitive", "gates", "note"], "text"))
    subtotal = [{"category": k, "gates": v, "share": f"{100 * v / dp.gates:.1f}%"}
                for k, v in dp.by_category().items()]
    subtotal.append({"category": "total", "gates": dp.gates, "share": "100.0%"})
    out.append(render(subtotal, ["category", "gates", "share"], "text"))
    return "\n".join(out)


def _json(cfg, dp) -> dict:
    from fractions import Fraction

    def num(v):
        return str(v) if isinstance(v, Fraction) else v

    return {"config": cfg.name, "gates": num(dp.gates),
            "by_category": {k: num(v) for k, v in dp.by_category().items()},
            "info": {k: v for k, v in dp.info.items()},
            "components": [{**r, "gates": num(r["gates"])} for r in dp.rows()],
            "signals": [{"from": s.src, "to": s.dst, "width": s.width} for s in dp.signals]}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        output = args.run(args)
    except _UsageError as exc:
        print(f"macgates: error: {exc}", file=sys.stderr)
        return 2
    except MacgatesError as exc:
        if debug:
            raise
        print(f"macgates: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an output path the user gave cannot be written
        if debug or exc.filename is None:
            raise
        print(f"macgates: error: {exc.filename}: cannot write ({exc.strerror})", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(output)
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
