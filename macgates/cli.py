"""The ``macgates`` command line: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .errors import MacgatesError
from .render import FORMATS, render


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and a MacgatesError-style exit 2."""

    def error(self, message):
        raise _UsageError(f"{message} (see '{self.prog} --help')")


class _UsageError(Exception):
    pass


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
    p.add_argument("--library", metavar="PATH", help="primitive library YAML (default: bundled)")
    p.add_argument("--baseline", metavar="NAME", help="config the relative column divides by")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    p.set_defaults(run=_table)
    return parser


def _table(args) -> str:
    from .library import load_library
    from .table import COLUMNS, table_records

    library = load_library(args.library) if args.library else None
    rows = table_records(args.design, baseline=args.baseline, library=library)
    return render(rows, COLUMNS, args.format)


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
    try:
        sys.stdout.write(output)
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
