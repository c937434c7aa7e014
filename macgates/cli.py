"""The ``macgates`` command line: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

from . import __version__
from .report.render import FORMATS, render
from .support.counts import (MAX_DECIMALS, STR_DECIMALS, as_json, decimals_for, fixed, is_number, plural,
                             shared_places)
from .support.errors import DesignError, MacgatesError, did_you_mean, one_line, shown


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and a MacgatesError-style exit 2."""

    def error(self, message):
        raise _UsageError(f"{message} (see '{self.prog} --help')")


class _UsageError(Exception):
    pass


def _common() -> argparse.ArgumentParser:
    """Options every subcommand takes (also accepted before the subcommand)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show tracebacks for errors")
    return p


def _library_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--library", metavar="NAME_OR_PATH",
                   help="primitive library: 'default' (bundled: App. B), 'calibrated' (bundled: fitted "
                        "to synthesis), 'calibrated-osu018' (bundled: fitted to osu018, um^2 and ns) or a YAML file (default: the design's, else the bundled one)")
    return p


def _costs_parent() -> argparse.ArgumentParser:
    p = _library_parent()
    p.add_argument("--cost", action="append", default=[], metavar="NAME=EXPR",
                   help="replace a primitive's cost formula, e.g. --cost fa=6 --cost ff=4.5 "
                        "(repeatable; applied on top of the library and the design's overrides)")
    return p


def _format_option(p, choices) -> None:
    p.add_argument("--format", choices=choices, default="text", help="output format (default: text)")


def _k_option(p, what: str) -> None:
    p.add_argument("--k", type=_whole("--k"), metavar="N",
                   help=f"make {what} a k-term dot-product unit (a ...-kN suffix on a config "
                        "name does the same)")
    _adder_option(p, what)


def _adder_option(p, what: str) -> None:
    from .library.adders import ADDERS

    p.add_argument("--adder", choices=tuple(ADDERS), metavar="STYLE",
                   help=f"the accumulator adder's style for {what}: {', '.join(ADDERS)} (a ...-STYLE "
                        "suffix on a config name does the same; default: the config's, ripple)")


LIST_TEXT = 45  # widest text cell of 'list primitives' (five columns: it fits 200 characters)

NAMES_HELP = ("a design file, a bundled design (macgates list designs), a config of the Figure 3 "
              "design (fp8_e4m3-fp16) or WEIGHTS[xACTIVATIONS]-ACCUMULATOR[-ADDER][-kN] "
              "(float8_e4m3fn-fp32, int4xint8-fp32-k32)")


def build_parser() -> argparse.ArgumentParser:
    common, costs = _common(), _costs_parent()
    parser = _Parser(prog="macgates", description="Gate-count estimates for multiply-accumulate units.",
                     parents=[common])
    parser.add_argument("--version", action="version", version=f"macgates {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("table", parents=[common, costs],
                       help="relative-area table of a design (default: whitepaper Figure 3)",
                       description="Print the relative-area table of a design (default: the "
                                   "whitepaper's Figure 3). DESIGN is " + NAMES_HELP + ".")
    p.add_argument("design", nargs="?", metavar="DESIGN", help="default: paper_fig3")
    p.add_argument("--baseline", metavar="NAME", help="config the relative column divides by")
    _k_option(p, "every config")
    _format_option(p, FORMATS)
    p.set_defaults(run=_table)

    p = sub.add_parser("report", parents=[common, costs],
                       help="write bar-chart reports (PNG, SVG, markdown)",
                       description="Write, per design, a Figure-3-style chart of relative area, a "
                                   "stacked chart of gates by category (PNG and SVG) and report.md, "
                                   "plus index.md linking them; a design with 'data:' (operand data) "
                                   "adds a chart of bits of accuracy against cost per MAC with its "
                                   "Pareto front (docs/accuracy.md). DESIGN is a design file or a "
                                   "bundled design.")
    p.add_argument("designs", nargs="*", metavar="DESIGN", help="designs (default: all bundled)")
    p.add_argument("--sweep", metavar="FILE.csv", help="instead of designs: a Pareto report of a "
                                                       "'macgates sweep' CSV (with cost against accuracy for "
                                                       "one made with --data)")
    p.add_argument("--formats-file", metavar="DESIGN",
                   help="with --sweep: a design whose 'formats:' the sweep used")
    p.add_argument("--out", metavar="DIR", default="reports", help="output folder (default: reports)")
    p.add_argument("--synth", action="append", default=[], metavar="FILE.csv",
                   help="'macgates synth --format csv' results: adds a model-against-synthesis chart to "
                        "the designs they cover (repeatable; a DIR/<design>/synthesis.csv is read too)")
    p.set_defaults(run=_report)

    p = sub.add_parser("sweep", parents=[common, costs], allow_abbrev=False,  # (--format is not --formats-file)
                       help="cost the cartesian product of formats, accumulators and k",
                       description="Cost every combination of weights x activations x accumulators "
                                   "x k and write a CSV. Invalid combinations are skipped and listed "
                                   "on stderr; if every one is invalid, that is an error.")
    p.add_argument("--weights", required=True, metavar="LIST", help="comma-separated format names")
    p.add_argument("--activations", metavar="LIST", help="comma-separated format names "
                                                          "(default: each weight format with itself)")
    p.add_argument("--accumulators", default="fp32", metavar="LIST",
                   help="comma-separated: kulisch, kulisch:N, any float format (fp16, bf16, fp32, tf32, "
                        "fp8_e4m3, ...), FORMAT:subnormals (default fp32)")
    p.add_argument("--k", default="1", metavar="LIST", help="comma-separated dot-product sizes (default 1)")
    from .datapath.multiplier import MULTIPLIERS

    p.add_argument("--multiplier", default="array", choices=tuple(MULTIPLIERS),
                   help="partial-product multiplier style (default: array)")
    p.add_argument("--formats-file", metavar="DESIGN",
                   help="a design whose 'formats:' (your own formats) the lists may name")
    p.add_argument("--max-configs", type=_whole("--max-configs", 10), default=None, metavar="N",
                   help="the largest grid to cost (default 1,000,000)")
    p.add_argument("--data", action="append", default=[], metavar="[weights=|activations=]SPEC",
                   help="add the accuracy columns bits_weights, bits_activations and bits: each config's "
                        "formats scored on this operand data (a spec as 'macgates accuracy' takes: normal, "
                        "student-t:3, w.npy, ...; for both operands, or weights=SPEC and activations=SPEC; "
                        "block formats their block scales; a file's path relative to the current folder)")
    p.add_argument("--samples", type=_whole("--samples", 9), metavar="N",
                   help="with --data: samples drawn from a distribution (default: 100000)")
    p.add_argument("--seed", type=_whole("--seed", least=0), metavar="S", help="with --data: random seed (default: 0)")
    p.add_argument("--scale", choices=("absmax", "mse"), help="with --data: the scale rule (default: mse)")
    p.add_argument("--out", required=True, metavar="FILE.csv", help="where to write the CSV ('-': stdout)")
    p.set_defaults(run=_sweep)

    p = sub.add_parser("list", parents=[common, costs], help="list formats, primitives or bundled designs",
                       description="List the known number formats (with the standard each follows), "
                                   "the primitives of the library (with formula and source), or the "
                                   "bundled designs. 'list formats DESIGN' adds the design's own formats.")
    p.add_argument("what", choices=("formats", "primitives", "designs"))
    p.add_argument("design", nargs="?", metavar="DESIGN", help="for 'formats': a design with its own formats")
    _format_option(p, FORMATS)
    p.set_defaults(run=_list)

    p = sub.add_parser("show", parents=[common, costs], help="component breakdown of one datapath",
                       description="Show the components of a datapath with widths, costs and "
                                   "per-category subtotals. NAME is " + NAMES_HELP + ".")
    p.add_argument("name", metavar="NAME_OR_DESIGN")
    p.add_argument("--config", metavar="NAME", help="which config of a design")
    _k_option(p, "the datapath")
    _format_option(p, FORMATS)
    p.add_argument("--graph", metavar="FILE", help="also write the graph: .graphml, .dot or .json")
    p.set_defaults(run=_show)

    p = sub.add_parser("verify", parents=[common, costs], help="run datapaths bit by bit against exact arithmetic",
                       description="Run each datapath bit by bit and compare every step with exact "
                                   "arithmetic. NAME is " + NAMES_HELP + ". By default: every input "
                                   "pair from each documented start value, and 1,000 random sequences "
                                   "of 16 steps. Exit 0: no mismatch; 1: mismatches; 2: bad input or a "
                                   "datapath that cannot run yet.")
    p.add_argument("name", metavar="NAME_OR_DESIGN")
    p.add_argument("--config", metavar="NAME", help="which config of a design")
    _adder_option(p, "every datapath")
    p.add_argument("--exhaustive", action="store_true", help="only every input pair from each start value")
    p.add_argument("--vectors", type=_whole("--vectors", 7), metavar="N", help="only N random sequences")
    p.add_argument("--length", type=_whole("--length", 4), default=16, metavar="L",
                   help="steps per random sequence (default 16)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--slack", action="store_true",
                   help="narrow each width parameter of each component by one and list those that "
                        "still pass the exhaustive check (gates a smaller datapath could save)")
    _format_option(p, ("text", "json"))
    p.set_defaults(run=_verify)

    p = sub.add_parser("rtl", parents=[common, costs], help="write a datapath's Verilog",
                       description="Write synthesizable Verilog-2005 for each datapath, from the same "
                                   "component graph that is costed and run: one module per component, "
                                   "a top module wiring them. NAME is " + NAMES_HELP + ".")
    p.add_argument("name", metavar="NAME_OR_DESIGN")
    p.add_argument("--config", metavar="NAME", help="which config of a design")
    _k_option(p, "every datapath")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder (made if missing) for one file per config, named as its top module: mac_CONFIG.v "
                        "(the CONFIG made a Verilog name: int8-kulisch -> mac_int8_kulisch.v)")
    p.set_defaults(run=_rtl)

    p = sub.add_parser("synth", parents=[common, costs], help="synthesize datapaths with Yosys: model vs gates",
                       description="Synthesize each datapath's Verilog with Yosys (pip install "
                                   "'macgates[synth]', or a yosys on PATH), map it to a fixed gate set "
                                   "weighed in NAND2 equivalents by the library's cells table (or to a "
                                   "liberty file's cells), and check the gates against the datapath on "
                                   "random and corner-case sequences. NAMES are " + NAMES_HELP + ". "
                                   "Exit 1 if the gates and the datapath differ.")
    p.add_argument("names", nargs="+", metavar="NAME_OR_DESIGN")
    p.add_argument("--config", metavar="NAME", help="which config of a design")
    _k_option(p, "every datapath")
    p.add_argument("--liberty", metavar="NAME_OR_FILE",
                   help="map to this standard-cell library: a liberty file, or osu018, osu035, osu050 (the "
                        "Debian packages qflow-tech-osu018, ...); adds an area column (synth_gates = area / the "
                        "smallest NAND2's area); the mapped cells are simulated from their functions")
    p.add_argument("--clock", metavar="NS_LIST",
                   help="with --liberty: map each config for each of these clock periods in ns (e.g. 2,4,8,16: "
                        "ABC's delay target) and say whether its period meets it: the area-delay curve")
    p.add_argument("--vectors", type=_whole("--vectors", 6, least=0), default=256, metavar="N",
                   help="random sequences to check the gates with (default 256; 0: no check)")
    p.add_argument("--length", type=_whole("--length", 4), default=24, metavar="L",
                   help="cycles per sequence (default 24)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    _format_option(p, FORMATS)
    p.set_defaults(run=_synth)

    p = sub.add_parser("calibrate", parents=[common, _library_parent()], help="fit the library's formulas to synthesis",
                       description="Synthesize every component of a set of datapaths on its own (Yosys, "
                                   "as macgates synth) and write a library whose measured primitives' "
                                   "formulas are fitted to those measurements (each primitive a formula "
                                   "names gets a weight), each with its source and worst error. NAMES (default: 16 formats into "
                                   "four accumulators, scalar and k = 4, and two bundled designs; with --liberty "
                                   "also 16 configs with prefix adders) are "
                                   + NAMES_HELP + ".")
    p.add_argument("names", nargs="*", metavar="NAME_OR_DESIGN")
    p.add_argument("--liberty", metavar="NAME_OR_FILE",
                   help="fit costs to this standard-cell library's area (um^2) and delays to its timing (ns, "
                        "each component timed on its own): a liberty file, or osu018, osu035, osu050; "
                        "'macgates calibrate --liberty osu018 --out calibrated_osu018.yaml' made the bundled "
                        "calibrated-osu018")
    p.add_argument("--out", metavar="FILE", help="write the library here and print the fits (default: the "
                                                 "library to stdout)")
    p.set_defaults(run=_calibrate)

    p = sub.add_parser("accuracy", parents=[common], help="score formats on operand data: RMSE, SQNR, bits",
                       description="Quantize operand data to each format with a scale rule and print the "
                                   "error: rmse, sqnr_db and bits of accuracy, log2(std(x) / RMSE). Without "
                                   "FORMATS and --data: the whitepaper's Figure 5 (its INT8 and FP8-E2..E5, "
                                   "the OCP FP8 formats, on 10^6 uniform, normal and student-t:2 samples, MSE scales, "
                                   "and the 8-bit Lloyd-Max bound).")
    p.add_argument("formats", nargs="?", metavar="FORMATS", help="formats, comma-separated (int8,fp8_e4m3,mxfp4)")
    p.add_argument("--data", action="append", default=[], metavar="SPEC",
                   help="operand data (repeatable): uniform[:A,B], normal[:MU,SIGMA], laplace[:MU,B], "
                        "student-t:NU, half-normal[:SIGMA], codes:FORMAT, or a tensor file: F.npy, "
                        "F.npz:KEY, F.csv")
    p.add_argument("--scale", choices=("absmax", "mse"), help="scale rule (default: absmax; Figure 5: mse); "
                                                             "block formats use their own block rule")
    p.add_argument("--samples", type=_whole("--samples", 9), metavar="N", help="samples drawn from a distribution "
                                                                            "(default: 1000000)")
    p.add_argument("--seed", type=_whole("--seed", least=0), default=0, metavar="S", help="random seed (default: 0)")
    p.add_argument("--axis", type=int, metavar="A", help="per-channel scales along this axis of a tensor")
    p.add_argument("--lloyd-max", type=_bits_option, metavar="BITS",
                   help="add the Lloyd-Max quantizer of the data with 2^BITS levels (1 to 20; Figure 5: 8): "
                        "a bound for per-tensor scalar formats of at most BITS bits")
    p.add_argument("--out", metavar="DIR", help="also write the chart (PNG, SVG) and report.md under DIR/figure5 "
                                                "(or DIR/accuracy)")
    _format_option(p, FORMATS)
    p.set_defaults(run=_accuracy)
    return parser


MAX_DIGITS = 6


def _whole(option: str, digits: int = MAX_DIGITS, least: int = 1):
    def parse(text: str) -> int:
        text = text.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= digits and int(text) >= least):
            raise argparse.ArgumentTypeError(f"{shown(text, 24)} is not a whole number from {least} to "
                                             f"{10**digits - 1}")
        return int(text)
    return parse


def _costs(args) -> dict:
    out = {}
    for item in getattr(args, "cost", []):
        name, sep, expr = item.partition("=")
        name = name.strip()
        if not sep or not name or not expr.strip():
            raise DesignError(f"--cost {item[:40]!r}: expected NAME=EXPR, e.g. fa=6 or ff=4.5")
        if name in out:
            raise DesignError(f"--cost: {name[:40]!r} given twice")
        out[name] = expr.strip()
    return out


def _library(args, with_costs: bool = True):
    """The --library option's library (None: the design's or the bundled one), with
    --cost applied when ``with_costs`` (only where no design applies its own)."""
    from .library.primitives import load_library

    lib = load_library(args.library) if args.library else None
    costs = _costs(args)
    if with_costs and costs:
        lib = (lib or load_library()).with_overrides(costs, origin="--cost")
    return lib


def _design(args, name):
    """(design, configs) for a NAME_OR_DESIGN argument, with --library, --cost and --k."""
    from .design.names import resolve

    design, configs = resolve(name, getattr(args, "config", None), getattr(args, "k", None),
                              _library(args, with_costs=False), getattr(args, "adder", None))
    design = design.with_costs(_costs(args))
    return design, configs


def _table(args) -> str:
    from dataclasses import replace

    from .report.tables import columns_of, table_records

    design, configs = _design(args, args.design or "paper_fig3")
    names = {c.name for c in configs}
    baseline, chosen = (_renamed(design, b, args.k, args.adder) for b in (design.baseline, args.baseline))
    design = replace(design, configs=tuple(configs), baseline=baseline if baseline in names else None)
    rows = table_records(design, baseline=chosen)
    return render(rows, columns_of(rows, timing=True), args.format, precision=design.library.precision) + \
        _provenance(design.library, args.format)


def _renamed(design, name, k, adder):
    """A config's name once --k made it a k-term unit (``int8-fp16`` -> ``int8-fp16-k4``)
    and --adder gave it an adder style (``int8-fp16-kogge_stone-k4``)."""
    from .design.names import k_name, with_adder_style

    old = {c.name: c for c in design.configs}
    if name not in old:
        return name
    cfg = old[name]
    if k is not None:
        cfg = replace(cfg, name=k_name(cfg.name, cfg.k, k))
    return with_adder_style(cfg, adder).name if adder is not None else cfg.name


def _provenance(library, fmt: str) -> str:
    """Under a table for people (text, markdown, LaTeX): which library and which overrides
    made the numbers, when they are not the bundled App. B library's unchanged."""
    if fmt in ("csv", "json") or (library.bundled == "default" and not library.overrides):
        return ""
    lines = library.provenance()
    if fmt == "latex":
        return "".join(f"% {line}\n" for line in lines)
    if fmt == "markdown":
        return "\n" + "".join(f"{line}  \n" for line in lines)
    return "".join(f"{line}\n" for line in lines)


def _report(args) -> str:
    from .design.schema import bundled_designs, load_design
    from .files.outputs import write_files
    from .report.markdown import (SynthesisNote, index_text, is_clock_csv, read_clock_curves, read_synthesis,
                                  report_files, slug, unmatched_synthesis)

    if args.sweep:
        from .report.markdown import sweep_report

        if args.designs:
            raise DesignError("report: give design files or --sweep, not both")
        unused = [o for o, given in (("--synth", args.synth), ("--library", args.library), ("--cost", args.cost))
                  if given]
        if unused:
            raise DesignError(f"report --sweep: {unused[0]} does not apply (a sweep report reads the costs "
                              "from its CSV)")
        formats = load_design(args.formats_file).formats if args.formats_file else None
        return "".join(f"{p}\n" for p in sweep_report(args.sweep, args.out, formats))
    if args.formats_file:
        raise DesignError("report: --formats-file applies only with --sweep (a design names its own formats)")
    library = _library(args, with_costs=False)
    costs = _costs(args)
    names = args.designs or list(bundled_designs().values())
    designs = [load_design(p, library).with_costs(costs) for p in names]
    out = _out_folder(args.out)
    files = {}  # every chart and page is made first and written after: a bad design writes nothing
    given, notes, curves = {}, [], {}
    for path in args.synth:
        if is_clock_csv(path):  # synth --clock results: the area-against-clock chart
            curves.update(read_clock_curves(path))
            continue
        rows = read_synthesis(path)
        for source in dict.fromkeys(given[n]["source"] for n in rows if n in given):
            again = tuple(n for n in rows if given.get(n, {}).get("source") == source)
            notes.append(SynthesisNote("", (source,), again, f"not used: {path} has results for them too, "
                                       "given after it"))
        given.update(rows)
    from .support.progress import steps

    for design in steps(designs, "report", unit="design"):
        synthesis = dict(given)
        found = out / slug(design) / "synthesis.csv"  # results kept beside the report
        if found.is_file():
            synthesis = {**read_synthesis(found), **given}
        files.update(report_files(design, synthesis=synthesis, notes=notes, curves=curves))
    files["index.md"] = index_text(designs)
    # results given with --synth that are not used, and why (report.md says it too, and
    # says it for results found beside a report)
    notes += unmatched_synthesis(given, designs)
    warnings = [f"macgates: {note}" for note in notes if {str(p) for p in args.synth} & set(note.sources)]
    written = write_files(out, files)
    if warnings:
        print(*warnings, sep="\n", file=sys.stderr)
    return "".join(f"{p}\n" for p in written)


def _out_folder(path) -> Path:
    """--out as a folder: it may not exist yet, but what exists of it must be folders
    (not a file, a symbolic link to nothing or a loop of them)."""
    from .files.outputs import check_folder

    return check_folder(path, "--out")


def _split(text: str, what: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise DesignError(f"--{what}: expected a comma-separated list, got {text[:40]!r}")
    return items


def _sweep(args) -> str:
    from .datapath.builders import parse_accumulator
    from .report.sweeps import ACCURACY_COLUMNS, COLUMNS, MAX_CONFIGS, Skipped, sweep_rows
    from .support.progress import counter

    ks = []
    for item in _split(args.k, "k"):
        try:
            ks.append(_whole("--k")(item))
        except argparse.ArgumentTypeError as exc:
            raise DesignError(f"--k: {exc}") from None
    from .formats.spec import lookup

    formats = {}
    if args.formats_file:
        from .design.schema import load_design

        formats = load_design(args.formats_file).formats
        if not formats:
            raise DesignError(f"--formats-file {args.formats_file}: the design defines no formats")

    def get_format(name):
        return lookup(name, formats)

    lists = {}
    for option, parse in (("weights", get_format), ("activations", get_format),
                          ("accumulators", parse_accumulator)):
        text = getattr(args, option)
        if text is None:
            continue
        lists[option] = []
        for item in _split(text, option):
            try:
                lists[option].append(parse(item))
            except MacgatesError as exc:
                raise DesignError(f"--{option}: {exc}") from None
    to_stdout = args.out == "-"
    out = Path(args.out)
    if not to_stdout:
        from .files.outputs import check

        check(out)  # before the work: its folder exists, not a device, not an input, no loop of links
    library = _library(args)
    skipped = Skipped()
    from .accuracy.data import SAMPLES

    given = [o for o in ("samples", "seed", "scale") if getattr(args, o) is not None]
    if given and not args.data:
        raise DesignError(f"sweep: --{given[0]} applies only with --data")
    scorer = _sweep_scorer(args.data, get_format, lists["weights"], lists.get("activations"), formats,
                           samples=args.samples or SAMPLES, seed=args.seed or 0, rule=args.scale or "mse",
                           drawn=[o for o in given if o != "scale"])
    columns = COLUMNS + (ACCURACY_COLUMNS if scorer else ())
    with counter("sweep") as bar:
        rows = sweep_rows(lists["weights"], lists.get("activations"), lists["accumulators"], ks, library,
                          args.multiplier, bar.to, skipped, args.max_configs or MAX_CONFIGS)
        if scorer:
            rows = map(scorer, rows)
        lines = _sweep_lines(rows, library, ks, columns)
        if to_stdout:
            count = write_csv(sys.stdout, columns, lines, lambda: _none_valid(skipped))
        else:
            from .files.outputs import open_text

            with open_text(out) as handle:
                count = write_csv(handle, columns, lines, lambda: _none_valid(skipped))
    if not to_stdout:
        total = count + skipped.count
        print(f"macgates: wrote {out}: {plural(count, 'configuration')}"
              + (f"; {skipped.count:,} of {plural(total, 'combination')} skipped as invalid"
                 if skipped.count else ""), file=sys.stderr)
    notes = _skipped_lines(skipped)
    if notes:
        print(*notes, sep="\n", file=sys.stderr)
    return ""




def _sweep_scorer(data: list, get_format, weights: list, activations: list | None, formats=None, *,
                  samples: int, seed: int = 0, rule: str = "mse", drawn=()):
    """``sweep --data``: a function adding ACCURACY_COLUMNS to a row, or None without --data.
    Every format of the lists (``weights``, ``activations``: Format records; None: the
    weights' list) is scored here, once per operand, so that a problem (an unsigned format
    on negative data) stops the sweep before it writes a line. ``formats``: the
    --formats-file design's own formats, for ``codes:FORMAT``. ``samples``, ``seed``: a
    distribution's draw; ``rule``: the scalar formats' scale rule; ``drawn``: the draw's
    options given (samples, seed), refused when both operands' data are tensor files."""
    if not data:
        return None
    specs = {}
    for item in data:
        operand, sep, spec = item.partition("=")
        given = {operand: spec} if sep and operand in ("weights", "activations") else \
            {"weights": item, "activations": item}
        twice = [op for op in given if op in specs]
        if twice:
            raise DesignError(f"--data: the {twice[0]}' data given twice ({shown(specs[twice[0]], 80)} and "
                              f"{shown(given[twice[0]], 80)}): give SPEC once, or weights=SPEC and activations=SPEC")
        specs.update(given)
    if set(specs) != {"weights", "activations"}:
        raise DesignError(f"--data: gave {' and '.join(specs)} only: give both operands' data "
                          "(--data SPEC, or --data weights=SPEC --data activations=SPEC)")
    from .accuracy.data import load, tensor_path, varying
    from .accuracy.evaluate import operand_scorer

    if drawn and all(tensor_path(spec) for spec in specs.values()):
        raise DesignError(f"sweep: --{drawn[0]} applies only to data drawn from a distribution; both operands' "
                          "--data are tensor files")

    data_of = {}
    for op, spec in specs.items():
        try:
            data_of[op] = varying(load(spec, samples=samples, seed=seed, formats=formats), spec)
        except MacgatesError as exc:
            raise DesignError(f"--data: {str(exc).removeprefix('data ')}") from None
    bits = operand_scorer(data_of, rule)
    for op, fmts in (("weights", weights), ("activations", weights if activations is None else activations)):
        for fmt in fmts:
            try:
                bits(fmt, op)
            except MacgatesError as exc:
                raise DesignError(f"--data: {op} {shown(specs[op], 80)}: {exc}") from None

    def add(row):
        bw, ba = bits(get_format(row["weights"]), "weights"), bits(get_format(row["activations"]), "activations")
        return {**row, "bits_weights": f"{bw:.3f}", "bits_activations": f"{ba:.3f}", "bits": f"{min(bw, ba):.3f}"}
    return add


def _sweep_lines(rows, library, ks, columns=None):
    """The CSV lines of a sweep's rows. One number of decimals per column, shared by gates
    and gates_per_mac when not whole (numbers.shared_places): from the first SWEEP_BUFFER
    rows; when there are more, a column that may turn fractional later (gates: the library
    costs fractions; gates per MAC: also k > 1) gets the shared decimals (3 if none yet),
    so memory stays flat."""
    from .report.sweeps import COLUMNS

    head = list(itertools.islice(rows, SWEEP_BUFFER))
    precision = library.precision if library is not None else None
    places = shared_places({c: [r[c] for r in head] for c in ("gates", "gates_per_mac")}, precision)
    if len(head) == SWEEP_BUFFER:
        fractional = library is not None and not library.whole_costs
        may = {"gates": fractional, "gates_per_mac": fractional or any(kk > 1 for kk in ks)}
        shared = max(places.values()) or (MAX_DECIMALS if precision is None else min(MAX_DECIMALS, precision))
        places = {c: shared if may[c] else p for c, p in places.items()}
    # the timing columns: each its own decimals (delays are whole in the bundled libraries;
    # area_delay is gates per MAC x delay), from the same rows; 3 when more rows may need them
    for c in ("delay", "loop_delay", "area_delay"):
        values = [r[c] for r in head if is_number(r[c])]
        places[c] = decimals_for(values) if values else 0
        if len(head) == SWEEP_BUFFER and (c == "area_delay" and may["gates_per_mac"]
                                          or values and not all(Fraction(v).denominator == 1 for v in values)):
            places[c] = MAX_DECIMALS
    for row in itertools.chain(head, rows):
        yield [fixed(row[c], places[c]) if c in places and is_number(row[c]) else row[c] for c in columns or COLUMNS]


def _none_valid(skipped):
    first = skipped.reasons[0]
    return DesignError(f"sweep: the only combination is invalid: {first}" if skipped.count == 1 else
                       f"sweep: all {skipped.count:,} combinations are invalid; the first: {first}")


def write_csv(handle, columns, lines, when_empty) -> int:
    """Write the header and ``lines`` as CSV, the header only once a first line exists;
    no line at all raises ``when_empty()``. Returns the number of lines."""
    import csv

    writer = csv.writer(handle, lineterminator="\n")
    count = 0
    for line in lines:
        if count == 0:
            writer.writerow(columns)
        writer.writerow(line)
        count += 1
    if count == 0:
        raise when_empty()
    return count


MAX_SKIPPED_SHOWN = 20
SWEEP_BUFFER = 20_000  # rows a sweep holds before writing, to choose each column's decimals


def _skipped_lines(skipped) -> list[str]:
    if not skipped.count:
        return []
    lines = [f"macgates: skipped {plural(skipped.count, 'invalid combination')}:"]
    lines += [f"  {reason}" for reason in skipped.reasons[:MAX_SKIPPED_SHOWN]]
    if skipped.count > MAX_SKIPPED_SHOWN:
        lines.append(f"  ... and {skipped.count - MAX_SKIPPED_SHOWN:,} more")
    return lines


def _list(args) -> str:
    if args.design is not None and args.what != "formats":
        raise DesignError(f"list {args.what}: takes no design (only 'list formats DESIGN' does)")
    if args.what != "primitives" and (args.cost or args.library):
        raise DesignError(f"list {args.what}: {'--cost' if args.cost else '--library'} applies only to "
                          "'list primitives'")
    if args.what == "formats":
        from .formats.spec import aliases_of, all_formats, source_of, standard_of

        formats = all_formats()
        # JSON and CSV get numbers; text keeps 2^-6
        number = {"json": as_json, "csv": lambda v: str(as_json(v))}.get(args.format, _num)
        own = {}
        if args.design is not None:
            from .design.schema import load_design

            design = load_design(args.design)
            own = design.formats
            formats += list(own.values())
        rows = [{"name": f.name, "also": ", ".join(aliases_of(f)),
                 "standard": standard_of(f) if f.name not in own else "user-defined",
                 "kind": f.kind, "bits": f.bits, "exp_bits": f.exp_bits,
                 "man_bits": f.man_bits, "bias": f.bias, "max": number(f.max_value),
                 "min_positive": number(f.min_positive),
                 "block": f"{f.block_size} x {f.scale.name}" if f.is_block else "",
                 "defined_in": source_of(f) if f.name not in own else f"{design.origin}: formats.{f.name}"}
                for f in formats]
        columns = list(rows[0])
    elif args.what == "primitives":
        from .library.primitives import load_library

        lib = _library(args) or load_library()
        rows = [{"primitive": p.signature, "cost": p.cost_text, "delay": p.delay_text or "", "category": p.category,
                 "source": p.source} for p in lib.primitives.values()]
        return render(rows, list(rows[0]), args.format, max_text=LIST_TEXT) + _provenance(lib, args.format)
    else:
        from .design.schema import bundled_designs, load_design

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


def _show(args) -> str:
    from .report.export import write_graph

    design, configs = _design(args, args.name)
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
        print(f"macgates: wrote {args.graph}", file=sys.stderr)
    if args.format == "json":
        return json.dumps([_json(cfg, dp) for cfg, dp in built] if len(built) > 1
                          else _json(*built[0]), indent=2) + "\n"
    if args.format == "csv":
        from .datapath.graph import params_text
        from .datapath.timing import timing

        # after the components' columns: each one's delay, and its place (1, 2, ...) on the
        # critical path and in the accumulation loop (empty: not on it)
        columns = ["config", "component", "category", "primitive", "params", "count", "gates", "note",
                   "delay", "path_step", "loop_step"]
        rows = []
        for cfg, dp in built:
            t = timing(dp)
            for r in dp.rows():
                rows.append({"config": cfg.name, **r, "params": params_text(r["params"]),
                             **_steps(dp, t, r["component"])})
        return render(rows, columns, "csv", precision=design.library.precision)
    return "\n".join(_text(cfg, dp, args.format) for cfg, dp in built) + _provenance(design.library, args.format)


def _verify(args) -> str:
    from .run.verify import verify

    design, configs = _design(args, args.name)
    if args.slack:
        if args.exhaustive or args.vectors is not None:
            raise DesignError(f"verify --slack: {'--exhaustive' if args.exhaustive else '--vectors'} does not "
                              "apply (the slack search runs its own exhaustive and random checks)")
        return _slack(args, design, configs)
    exhaustive = True if args.exhaustive else ("auto" if args.vectors is None else False)
    vectors = args.vectors if args.vectors is not None else (0 if args.exhaustive else 1000)
    from .support.progress import steps

    results, cannot = [], []
    for cfg in steps(configs, "verify"):
        try:
            dp, w, a, acc = _checkable(design, cfg)
            result = verify(dp, w, a, acc, exhaustive=exhaustive, vectors=vectors, length=args.length,
                            seed=args.seed)
        except MacgatesError as exc:
            reason = _reason(exc)
            if len(configs) == 1:
                raise DesignError(f"config {cfg.name}: {reason}") from None
            cannot.append((cfg, reason))
            continue
        results.append((cfg, w, a, result))
    if not results:
        raise DesignError(f"{design.origin}: no config can be checked yet (the first: {cannot[0][0].name}: "
                          f"{cannot[0][1]})")
    failed = sum(r.failed for *_, r in results)
    if args.format == "json":
        text = json.dumps([{"config": cfg.name, "checked": r.checked, "exhaustive": r.exhaustive,
                            "mismatches": r.failed,
                            "first": r.mismatches} for cfg, _, _, r in results]
                          + [{"config": cfg.name, "not_checked": reason} for cfg, reason in cannot],
                          indent=2) + "\n"
    else:
        text = "".join(_verify_text(cfg, w, a, r) for cfg, w, a, r in results)
        text += "".join(f"{cfg.name}: not checked: {reason}\n" for cfg, reason in cannot)
        text += _provenance(design.library, args.format)  # costs choose between structures (k > 1)
    if failed:
        raise _Failed(text)
    return text


def _rtl(args) -> str:
    from .files.outputs import write_files
    from .hw.rtl import emit

    design, configs = _design(args, args.name)
    out = _out_folder(args.out)
    files, modules = {}, {}  # file name -> Verilog; module name -> the config that defines it
    for cfg in configs:
        # the top module is named after the config (with --k, its -kN), its file after the top module
        try:
            rtl = emit(design.build(cfg), top=f"mac_{cfg.name}")
        except MacgatesError as exc:
            raise DesignError(f"{design.origin}: config {cfg.name}: {exc}") from None
        for module in [rtl.top, *rtl.modules]:
            if modules.setdefault(module, cfg.name) != cfg.name:
                raise DesignError(f"{design.origin}: configs {modules[module]} and {cfg.name} both make a Verilog "
                                  f"module {module}; rename one")
        files[f"{rtl.top}.v"] = rtl.verilog
    return "".join(f"{p}\n" for p in write_files(out, files))


def _clocks(text):
    """--clock: comma-separated clock periods in ns, each a finite number > 0 (at most 10^6)."""
    import math

    if text is None:
        return None
    out = []
    for item in _split(text, "clock"):
        try:
            value = float(item)
        except ValueError:
            value = float("nan")
        if not (math.isfinite(value) and 0 < value <= 1e6) or len(item) > 20:
            raise DesignError(f"--clock: {shown(item)}: expected a clock period in ns, a number > 0 (e.g. 2,4,8,16)")
        out.append(value)
    return out


def _synth(args) -> str:
    from .hw.synth import CLOCK_COLUMNS, COLUMNS, LIBERTY_COLUMNS, relatives, synth_records

    rows, checks, base, libraries = [], [], None, []
    liberty = None
    clocks = _clocks(args.clock)
    if clocks and not args.liberty:
        raise DesignError("--clock needs --liberty (osu018, a liberty file, ...): the gate set has no delays")
    if args.liberty:
        from .hw.liberty import read_liberty

        liberty = read_liberty(args.liberty)
    for name in args.names:
        design, configs = _design(args, name)
        if design.library not in libraries:
            libraries.append(design.library)
        got, checked = synth_records(design, configs, liberty=liberty, vectors=args.vectors,
                                     length=args.length, seed=args.seed, clocks=clocks)
        if base is None:  # relatives against the first name given (its design's baseline)
            base = design.baseline if design.baseline in {r["name"] for r in got} else got[0]["name"]
        rows += got
        checks += checked
    if len(args.names) > 1:
        relatives(rows, base)
    columns = (LIBERTY_COLUMNS + (CLOCK_COLUMNS if clocks else ())) if args.liberty else COLUMNS
    text = render(rows, columns, args.format, precision=libraries[0].precision)
    bad = [(name, c) for name, c in checks if c.mismatches]
    if args.format == "text" and checks:
        steps = sum(c.steps for _, c in checks)
        text += (f"gates vs datapath: {sum(c.mismatches for _, c in checks)} mismatches in {steps:,} "
                 f"cycles ({args.vectors} sequences of {args.length} per config)\n")
        text += "".join(f"  {name}: {c.mismatches} mismatches; first: {c.first}\n" for name, c in bad)
    text += "".join(dict.fromkeys(_provenance(lib, args.format) for lib in libraries))
    if bad:
        raise _Failed(text)
    return text


def _calibrate(args) -> str:
    from .files.outputs import check, note_input, write_bytes
    from .hw.calibrate import calibrate

    if args.out:
        check(args.out)
    if args.liberty:
        from .hw.liberty import liberty_path

        note_input(liberty_path(args.liberty))
    text, fits, samples = calibrate(args.names or None, args.liberty, _library(args, with_costs=False))
    for fit in fits:
        if fit.warning:
            print(f"macgates: warning: {fit.warning}", file=sys.stderr)
    if not args.out:
        return text
    write_bytes(args.out, text.encode())
    rows = [{"primitive": f.primitive, "points": f.points, "weights": f.weights, "worst_error": f"{f.worst:.1%}",
             "held_out_error": "" if f.held_out is None else f"{f.held_out:.1%}", "formula": f.formula}
            for f in fits]
    return render(rows, list(rows[0]), "text", max_text=200) + \
        f"{len(samples)} component instances measured; wrote {args.out}\n"


def _bits_option(text: str) -> int:
    """--lloyd-max: bits from 1 to 20 (2 to 2^20 levels)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 2 and 1 <= int(text) <= 20):
        raise argparse.ArgumentTypeError(f"{shown(text, 24)} is not a whole number of bits from 1 to 20")
    return int(text)


def _accuracy(args) -> str:
    from .report.accuracy import (COLUMNS, FIGURE5_DATA, FIGURE5_FORMATS, FIGURE5_RULE, FIGURE5_SAMPLES,
                                  accuracy_files, accuracy_records, shown_rows)

    figure5 = not args.formats and not args.data
    formats = FIGURE5_FORMATS if not args.formats else _split(args.formats, "formats")
    data = args.data or list(FIGURE5_DATA)
    rule = args.scale or (FIGURE5_RULE if figure5 else "absmax")
    lloyd_max = args.lloyd_max if args.lloyd_max is not None else (8 if figure5 else None)
    if args.out:
        from .files.outputs import check_folder

        check_folder(args.out, "--out")
    samples = args.samples or FIGURE5_SAMPLES
    rows = accuracy_records(formats, data, rule, samples, args.seed, args.axis, lloyd_max)
    if args.out:
        from .files.outputs import write_files

        exact = figure5 and rule == FIGURE5_RULE and samples == FIGURE5_SAMPLES and args.seed == 0 and \
            lloyd_max == 8 and args.axis is None  # Figure 5 as the whitepaper drew it
        name = "figure5" if exact else "accuracy"
        title = "Whitepaper Figure 5: bits of accuracy" if exact else "Bits of accuracy"
        what = (f"Made by `macgates accuracy` with {rule} scales, {samples:,} samples of each distribution, seed "
                f"{args.seed}" + (f", per-channel scales along axis {args.axis}" if args.axis is not None else "")
                + (f"; the bound: {1 << lloyd_max} Lloyd-Max levels" if lloyd_max else "") + ".")
        write_files(args.out, accuracy_files(rows, name, title, what))
    shown = rows if args.format in ("csv", "json") else shown_rows(rows)
    return render(shown, list(COLUMNS), args.format)


def _checkable(design, cfg) -> tuple:
    """(datapath, weights, activations, accumulator) of a config to check."""
    from .datapath.builders import parse_accumulator

    if cfg.datapath:
        raise DesignError("a custom datapath has no reference to check it against")
    return (design.build(cfg), design.format(cfg.weights), design.format(cfg.activations or cfg.weights),
            parse_accumulator(cfg.accumulator))


def _reason(exc) -> str:
    """Why a config cannot be checked, without the datapath's name in front."""
    text = str(exc)
    return text[text.index("not executable"):] if "not executable" in text else text


SLACK_VECTORS = 1000  # random sequences of 8 beside the exhaustive check: fraction patterns the
# start values lack


def _slack(args, design, configs) -> str:
    from .run.verify import slack

    rows = []
    for cfg in configs:
        try:
            found = slack(*_checkable(design, cfg), vectors=SLACK_VECTORS, length=8, seed=args.seed)
        except MacgatesError as exc:
            raise DesignError(f"config {cfg.name}: {_reason(exc)}") from None
        rows += [{"config": cfg.name, "component": c, "parameter": f"{p}={v}", "narrower": f"{p}={v - 1}",
                  "gates_saved": g} for c, p, v, g in found]
        if not found:
            rows.append({"config": cfg.name, "component": "(none)", "parameter": "", "narrower": "",
                         "gates_saved": 0})
    columns = ["config", "component", "parameter", "narrower", "gates_saved"]
    return render(rows, columns, "json" if args.format == "json" else "text")


class _Failed(Exception):
    """A check found mismatches: print the report, exit 1."""


def _codes_text(fmt, codes) -> str:
    """A code (or a k-term unit's lane codes, the first 4) with its value."""
    from .run.verify import decimal

    if isinstance(codes, (list, tuple)):
        shown = ", ".join(f"{c:#x} ({decimal(fmt.decode(c))})" for c in codes[:4])
        return f"{fmt.name} [{shown}{', ...' if len(codes) > 4 else ''}] ({len(codes)} lanes)"
    return f"{fmt.name} {codes:#x} ({decimal(fmt.decode(codes))})"


def _step_text(w, a, x, y, scales=None) -> str:
    text = f"{_codes_text(w, x)} x {_codes_text(a, y)}"
    for port, code in (scales or {}).items():
        fmt = (w if port == "w_scale" else a).scale
        text += f", {port} {_codes_text(fmt, code)}"
    return text


def _verify_text(cfg, w, a, result) -> str:
    lines = [f"{cfg.name}: {result.checked:,} checked, {result.failed:,} mismatch"
             f"{'' if result.failed == 1 else 'es'}" + ("" if result.exhaustive else
                                                         " (random sequences only)")]
    for case in result.mismatches:
        steps = ", ".join(_step_text(w, a, *inp) for inp in case["inputs"][:4])
        more = f" and {len(case['inputs']) - 4} more steps" if len(case["inputs"]) > 4 else ""
        lines.append(f"  from accumulator {case['start']:#x} ({case['start_value']}): {steps}{more}: "
                     f"expected {case['expected']:#x} ({case['expected_value']}), "
                     f"got {case['got']:#x} ({case['got_value']})")
    return "\n".join(lines) + "\n"


def _describe(cfg, dp) -> str:
    info = dp.info
    if cfg.datapath:
        return f"custom datapath {cfg.datapath}"
    pair = info["weights"] if info["weights"] == info["activations"] else \
        f"{info['weights']} x {info['activations']}"
    unit = f", {dp.macs}-term dot product, {info['combine']} combine" if dp.macs > 1 else ""
    return (f"{pair} -> {info['accumulator']} ({info['acc_bits']}-bit accumulator, {info['multiplier']} "
            f"multiplier{unit})")


def _text(cfg, dp, fmt: str = "text") -> str:
    from .datapath.graph import params_text

    rows = [{"component": r["component"], "category": r["category"],
             "primitive": (f"{r['count']} x " if r["count"] != 1 else "")
             + (f"{r['primitive']}({params_text(r['params'])})" if r["params"] else r["primitive"]),
             "gates": r["gates"], "note": r["note"]} for r in dp.rows()]
    precision = dp.library.precision
    total = fixed(dp.gates, decimals_for([dp.gates], cap=STR_DECIMALS, precision=precision))
    out = [_heading(f"{cfg.name}: {_describe(cfg, dp)}: {total} {dp.library.units['cost']}", fmt), ""]
    out.append(render(rows, ["component", "category", "primitive", "gates", "note"], fmt, precision=precision))
    subtotal = [{"category": k, "gates": v,
                 "share": f"{fixed(Fraction(100 * v) / dp.gates, 1) if dp.gates else '0.0'}%"}
                for k, v in dp.by_category().items()]
    subtotal.append({"category": "total", "gates": dp.gates, "share": "100.0%"})
    if fmt != "text":
        out.append("")
    out.append(render(subtotal, ["category", "gates", "share"], fmt, precision=precision))
    out.append(_timing_text(dp, fmt))
    return "\n".join(out)


def _steps(dp, t, name: str) -> dict:
    """A component's ``delay`` and its place on the critical path and in the loop (1-based)."""
    from .datapath.timing import UNKNOWN

    comp = dp.components[name]
    delay = dp.library.delay(comp.primitive, *comp.params.values())
    return {"delay": UNKNOWN if delay is None else delay,
            "path_step": t.path.index(name) if name in t.path else None,
            "loop_step": t.loop_path.index(name) if name in t.loop_path else None}


def _timing_text(dp, fmt: str) -> str:
    """The critical path and the accumulation loop, under show's tables: each path's delay
    and its components from start to end, each with its delay (ports and the register
    that starts a path count 0, the register that ends it its clock-to-output + setup)."""
    from .datapath.timing import timing
    from .library.primitives import UNITS

    t = timing(dp)
    lines = []
    if t.missing:
        lines.append(f"delay: unknown: the library gives no delay for {', '.join(t.missing)}")
    else:
        def shown(value):  # exact in t; a physical unit (ns) to 3 decimals
            return fixed(value, decimals_for([value], cap=STR_DECIMALS if dp.library.units["delay"] == UNITS["delay"]
                                             else MAX_DECIMALS))

        def delay_of(name, first):
            comp = dp.components.get(name)
            if comp is None or first:
                return "0"
            return shown(dp.library.delay(comp.primitive, *comp.params.values()))

        for what, value, path in (("critical path", t.delay, t.path), ("accumulation loop", t.loop_delay, t.loop_path)):
            if value is None:
                lines.append(f"{what}: none")
                continue
            steps = " -> ".join(f"{n} ({delay_of(n, i == 0)})" for i, n in enumerate(path))
            lines.append(f"{what}: delay {shown(value)}: {steps}")
        units = dp.library.units
        said = ("gates per MAC x the critical path's delay in t, one 2-input gate stage" if units == UNITS else
                f"{units['cost']} per MAC x the critical path's delay in {units['delay']}")
        lines.append(f"area x delay: {fixed(dp.gates_per_mac * t.delay, decimals_for([dp.gates_per_mac * t.delay]))}"
                     f" ({said})")
    if fmt == "markdown":
        return "".join(f"- {line}\n" for line in lines)
    if fmt == "latex":
        return "".join(f"% {line}\n" for line in lines)
    return "".join(f"{line}\n" for line in lines)


def _heading(text: str, fmt: str) -> str:
    """A line above a table: as it is in text, a heading in markdown, a comment in LaTeX."""
    return {"markdown": f"### {text}", "latex": f"% {text}"}.get(fmt, text)


def _json(cfg, dp) -> dict:
    from .datapath.timing import timing
    from .report.tables import timing_fields

    t = timing(dp)
    return {"config": cfg.name, "gates": as_json(dp.gates), "gates_per_mac": as_json(dp.gates_per_mac),
            "by_category": {k: as_json(v) for k, v in dp.by_category().items()},
            "info": {k: v for k, v in dp.info.items()},
            "components": [{**r, "gates": as_json(r["gates"]),
                            **{k: as_json(v) for k, v in _steps(dp, t, r["component"]).items()}} for r in dp.rows()],
            "signals": [{"from": s.src, "to": s.dst, "width": s.width} for s in dp.signals],
            **{k: as_json(v) for k, v in timing_fields(dp).items()},
            "critical_path": list(t.path), "loop_path": list(t.loop_path)}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = "--debug" in argv
    parser = build_parser()
    from .support import progress

    try:
        args = parser.parse_args(argv)
        progress.enable()
        try:
            output = args.run(args)
        finally:
            progress.enable(False)
    except _UsageError as exc:
        print(f"macgates: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except _Failed as exc:  # verify found mismatches: the report, exit 1
        sys.stdout.write(str(exc))
        return 1
    except MacgatesError as exc:
        if debug:
            raise
        print(f"macgates: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of a streamed stdout stopped early (| head): not an error
        _stdout_to_devnull()
        return 0
    except OSError as exc:  # a path the user gave cannot be used (read or written)
        if debug or exc.filename is None:
            raise
        print(f"macgates: error: {one_line(str(exc.filename))}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(output)
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_to_devnull()
    return 0


def _stdout_to_devnull() -> None:
    """After a broken pipe: what is left in stdout's buffer goes nowhere, so that Python's
    flush at exit does not report the pipe again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
