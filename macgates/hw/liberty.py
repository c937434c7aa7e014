"""Liberty files (standard-cell libraries), read with the ``liberty-parser`` package.

:func:`read_liberty` gives a :class:`Liberty`: its units, nominal voltage and cells. A
:class:`Cell` has its area (um^2, or the file's unit), leakage, pins (direction,
capacitance, function), timing arcs (:class:`Arc`: NLDM tables of delay and transition,
or setup/hold constraints, each a :class:`Table`), internal power tables, and for a
flip-flop its ``ff`` group (:class:`Flop`). Pin functions are parsed with liberty's whole
boolean grammar (:func:`parse_function`): ``!`` and a postfix ``'`` are NOT, ``^`` XOR,
``&``, ``*`` and a space AND, ``|`` and ``+`` OR (in that order of precedence), with
parentheses and the constants 0 and 1.

``osu018``, ``osu035`` and ``osu050`` name the OSU standard cells of the Debian packages
``qflow-tech-osu018`` (0.18 um) and its siblings; a missing one is one line naming the
package to install. A liberty file is user input: its size, its number of cells and of
table entries are bounded, every number must be finite, and errors name the file and line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..support.errors import MacgatesError, shown

MAX_LIBERTY_BYTES = 64 * 1024 * 1024
MAX_CELLS = 20_000
MAX_TABLE = 10_000  # entries of one NLDM table
MAX_FUNCTION = 1_000  # characters of one pin function
MAX_NESTING = 64  # groups inside groups (a real library nests 5 deep)

# the OSU standard cells of qflow, as Debian installs them
BUNDLED = {
    "osu018": ("qflow-tech-osu018", "/usr/share/qflow/tech/osu018/osu018_stdcells.lib"),
    "osu035": ("qflow-tech-osu035", "/usr/share/qflow/tech/osu035/osu035_stdcells.lib"),
    "osu050": ("qflow-tech-osu050", "/usr/share/qflow/tech/osu050/osu05_stdcells.lib"),
}


class LibertyError(MacgatesError):
    """A liberty file that cannot be used: missing, malformed, or outside the bounds."""


# -- boolean functions ---------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_.\[\]]*)|([01])|(\S))")


def parse_function(text: str):
    """A liberty boolean function as a tree of tuples: ``("var", name)``, ``("const", 0|1)``,
    ``("not", e)``, ``("and", a, b)``, ``("or", a, b)``, ``("xor", a, b)``. Precedence:
    NOT (``!x``, ``x'``), then XOR (``^``), then AND (``&``, ``*``, juxtaposition), then OR
    (``|``, ``+``); each left to right. Raises ValueError with what was expected."""
    if len(text) > MAX_FUNCTION:
        raise ValueError(f"longer than {MAX_FUNCTION} characters")
    tokens = []
    for m in _TOKEN.finditer(text):
        if m.group(1):
            tokens.append(("name", m.group(1)))
        elif m.group(2):
            tokens.append(("const", int(m.group(2))))
        elif m.group(3):
            tokens.append(("op", m.group(3)))
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else ("end", "")

    def take():
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def starts_operand(tok):
        return tok[0] in ("name", "const") or tok == ("op", "(") or tok == ("op", "!")

    def primary(depth):
        if depth > 64:
            raise ValueError("nested more than 64 deep")
        tok = take() if pos < len(tokens) else ("end", "")
        if tok == ("op", "!"):
            node = ("not", primary(depth + 1))
        elif tok == ("op", "("):
            node = disjunction(depth + 1)
            if pos >= len(tokens) or take() != ("op", ")"):
                raise ValueError("a ')' is missing")
        elif tok[0] == "name":
            node = ("var", tok[1])
        elif tok[0] == "const":
            node = ("const", tok[1])
        else:
            raise ValueError(f"expected a pin name, 0, 1, '!' or '(' {'at the end' if tok[0] == 'end' else f'before {tok[1]!r}'}")
        while peek() == ("op", "'"):
            take()
            node = ("not", node)
        return node

    def xor(depth):
        node = primary(depth)
        while peek() == ("op", "^"):
            take()
            node = ("xor", node, primary(depth))
        return node

    def conjunction(depth):
        node = xor(depth)
        while peek() in (("op", "&"), ("op", "*")) or starts_operand(peek()):
            if peek()[0] == "op" and peek()[1] in "&*":
                take()
            node = ("and", node, xor(depth))
        return node

    def disjunction(depth):
        node = conjunction(depth)
        while peek() in (("op", "|"), ("op", "+")):
            take()
            node = ("or", node, conjunction(depth))
        return node

    if not tokens:
        raise ValueError("empty")
    tree = disjunction(0)
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos][1]!r}")
    return tree


def variables(tree) -> set:
    """The pin (or state) names a function reads."""
    if tree[0] == "var":
        return {tree[1]}
    if tree[0] == "const":
        return set()
    return set().union(*(variables(t) for t in tree[1:]))


def evaluate(tree, values: dict, ones):
    """A function on bit-parallel words: ``values`` maps names to words (ints or numpy
    uint64 arrays), ``ones`` is the all-ones word (for NOT and the constant 1)."""
    op = tree[0]
    if op == "var":
        return values[tree[1]]
    if op == "const":
        return ones if tree[1] else ones ^ ones
    if op == "not":
        return evaluate(tree[1], values, ones) ^ ones
    a, b = evaluate(tree[1], values, ones), evaluate(tree[2], values, ones)
    return a & b if op == "and" else a | b if op == "or" else a ^ b


def truth_table(tree, names: tuple) -> tuple:
    """The function's value for each assignment of ``names`` (bit i of the index is names[i])."""
    return tuple(evaluate(tree, {n: (i >> j) & 1 for j, n in enumerate(names)}, 1) for i in range(1 << len(names)))


# -- the records ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Table:
    """An NLDM table: ``values[i][j]`` at ``index_1[i]``, ``index_2[j]``, its axes named by
    its template's ``variable_1`` and ``variable_2`` (``input_net_transition``,
    ``total_output_net_capacitance``, ``related_pin_transition``, ``constrained_pin_transition``)."""

    variable_1: str
    variable_2: str
    index_1: tuple
    index_2: tuple
    values: tuple

    def lookup(self, **at: float) -> float:
        """The value at the given axes (by variable name), interpolated bilinearly between
        the table's points and extrapolated linearly beyond them (as OpenSTA does)."""
        x = at.get(self.variable_1, 0.0)
        if not self.index_2:
            return _interpolate(self.index_1, [row[0] for row in self.values], x)
        y = at.get(self.variable_2, 0.0)
        i = _segment(self.index_1, x)
        if len(self.index_1) == 1:
            return _interpolate(self.index_2, self.values[0], y)
        lo = _interpolate(self.index_2, self.values[i], y)
        hi = _interpolate(self.index_2, self.values[i + 1], y)
        x0, x1 = self.index_1[i], self.index_1[i + 1]
        return lo + (hi - lo) * (x - x0) / (x1 - x0)


def _segment(index, x) -> int:
    i = 0
    while i + 2 < len(index) and x > index[i + 1]:
        i += 1
    return i


def _interpolate(index, values, x) -> float:
    if len(index) == 1:
        return values[0]
    i = _segment(index, x)
    x0, x1 = index[i], index[i + 1]
    return values[i] + (values[i + 1] - values[i]) * (x - x0) / (x1 - x0)


@dataclass(frozen=True)
class Arc:
    """A timing arc into an output (or, for a constraint, into a data input) from
    ``related_pin``. ``kind``: ``combinational``, ``rising_edge``, ``setup_rising``,
    ``hold_rising``, ... (liberty's ``timing_type``); ``sense``: ``positive_unate``,
    ``negative_unate`` or ``non_unate``. Tables are None where the file has none."""

    related_pin: str
    kind: str = "combinational"
    sense: str = "non_unate"
    cell_rise: Table | None = None
    cell_fall: Table | None = None
    rise_transition: Table | None = None
    fall_transition: Table | None = None
    rise_constraint: Table | None = None
    fall_constraint: Table | None = None


@dataclass(frozen=True)
class Power:
    """An ``internal_power`` group: energy per transition (rise, fall), of an output pin
    when ``related_pin`` switches (or of an input pin itself: ``related_pin`` empty)."""

    related_pin: str
    rise: Table | None
    fall: Table | None


@dataclass(frozen=True)
class Pin:
    name: str
    direction: str  # input, output, inout, internal
    capacitance: float = 0.0  # in the library's capacitance unit (pF for the OSU cells)
    function: tuple | None = None  # parsed (parse_function)
    function_text: str = ""
    arcs: tuple = ()
    power: tuple = ()
    clock: bool = False


@dataclass(frozen=True)
class Flop:
    """A flip-flop's ``ff (state, state_inverted)`` group: the next state and the clock as
    functions, and the asynchronous clear and preset where it has them."""

    state: str
    state_inverted: str
    next_state: tuple
    clocked_on: tuple
    clear: tuple | None = None
    preset: tuple | None = None


@dataclass(frozen=True)
class Cell:
    name: str
    area: float | None
    leakage: float | None
    pins: dict = field(default_factory=dict)
    ff: Flop | None = None
    latch: bool = False  # a latch or a state table: not simulated

    @property
    def inputs(self) -> tuple:
        return tuple(p for p in self.pins.values() if p.direction == "input")

    @property
    def outputs(self) -> tuple:
        return tuple(p for p in self.pins.values() if p.direction == "output")

    @property
    def sequential(self) -> bool:
        return self.ff is not None or self.latch


@dataclass(frozen=True)
class Liberty:
    """A liberty file: ``time_unit`` in ns, ``capacitance_unit`` in pF, ``leakage_unit`` in
    nW (what one of the file's units is), ``voltage`` (the default operating conditions',
    else the nominal), ``area_unit`` (liberty states none: um^2 by convention), the
    ``cells`` by name, and where it came from."""

    name: str
    path: str
    cells: dict
    time_unit: float = 1.0
    capacitance_unit: float = 1.0
    leakage_unit: float = 1.0
    voltage: float | None = None
    area_unit: str = "um^2"
    thresholds: dict = field(default_factory=dict)

    def nand2(self) -> Cell:
        """The smallest combinational cell with two inputs and one output that computes
        NAND (by its truth table): what gate equivalents divide areas by."""
        best = None
        for cell in self.cells.values():
            if cell.sequential or cell.area is None or len(cell.inputs) != 2 or len(cell.outputs) != 1:
                continue
            out = cell.outputs[0]
            names = tuple(p.name for p in cell.inputs)
            if out.function is not None and variables(out.function) <= set(names) and \
                    truth_table(out.function, names) == (1, 1, 1, 0):
                best = cell if best is None or cell.area < best.area else best
        if best is None:
            raise LibertyError(f"{self.path}: no 2-input NAND cell (a cell of two inputs whose output "
                               "function is their NAND) with an area: gate equivalents are area / NAND2 area")
        return best


# -- reading -------------------------------------------------------------------------------
def liberty_path(name_or_path) -> Path:
    """The file ``name_or_path`` means: ``osu018``, ``osu035``, ``osu050`` (the Debian
    packages' files), or a path."""
    text = str(name_or_path)
    if text in BUNDLED:
        package, path = BUNDLED[text]
        found = Path(path) if Path(path).is_file() else next(iter(sorted(Path(path).parent.glob("*.lib"))), None)
        if found is None or not found.is_file():
            raise LibertyError(f"liberty {text}: not installed (it is the Debian package {package}: "
                               f"apt-get install {package})")
        return found
    path = Path(text)
    if not path.exists():
        raise LibertyError(f"{text}: no such file (a liberty file, or one of {', '.join(BUNDLED)})")
    if not path.is_file():
        raise LibertyError(f"{text}: not a file (a liberty file, or one of {', '.join(BUNDLED)})")
    return path


def read_liberty(name_or_path) -> Liberty:
    """The liberty file ``name_or_path`` means (:func:`liberty_path`), parsed and checked
    (a :class:`Liberty` passes through)."""
    if isinstance(name_or_path, Liberty):
        return name_or_path
    path = liberty_path(name_or_path)
    stat = path.stat()
    return _read(str(path), stat.st_size, stat.st_mtime_ns, str(name_or_path))


@lru_cache(maxsize=8)
def _read(path: str, size: int, mtime: int, name: str) -> Liberty:
    if size > MAX_LIBERTY_BYTES:
        raise LibertyError(f"{path}: {size:,} bytes: a liberty file is at most {MAX_LIBERTY_BYTES:,} bytes")
    try:
        text = Path(path).read_text(encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise LibertyError(f"{path}: not text (byte {exc.start} is not UTF-8)") from None
    if "\0" in text:
        raise LibertyError(f"{path}:{_line(text, text.index(chr(0)))}: a NUL byte: not a liberty file")
    _check_nesting(text, path)
    try:
        from liberty.parser import parse_liberty
    except ImportError:
        raise LibertyError("reading liberty files needs the liberty-parser package: pip install "
                           "'macgates[synth]'") from None
    try:
        root = parse_liberty(text)
    except RecursionError:
        raise LibertyError(f"{path}: groups nested too deep to be a liberty file") from None
    except Exception as exc:  # liberty-parser: "Error on line L, position P: ..." (L from 0)
        found = re.search(r"line (\d+), position (\d+)", str(exc))
        where = f"{path}:{int(found.group(1)) + 1}" if found else path
        if "RecursionError" in str(exc):
            raise LibertyError(f"{where}: groups nested too deep to be a liberty file") from None
        if found and not "".join(text.splitlines(keepends=True)[int(found.group(1)):]).strip():
            raise LibertyError(f"{where}: not a liberty file (it ends inside a group: a '}}' is missing)") from None
        column = f" at column {int(found.group(2)) + 1}" if found else ""
        raise LibertyError(f"{where}: not a liberty file (a syntax error{column})") from None
    if getattr(root, "group_name", None) != "library":
        raise LibertyError(f"{path}:1: expected a 'library (NAME) {{ ... }}' group, got "
                           f"{shown(getattr(root, 'group_name', type(root).__name__))}")
    return _library(root, text, path, name)


_SCAN = re.compile(r'/\*.*?\*/|"(?:\\.|[^"\\])*"|[{}]', re.S)


def _check_nesting(text: str, path: str) -> None:
    """Refuse groups nested more than MAX_NESTING deep (before the parser recurses into them);
    braces in comments and strings do not count."""
    depth = 0
    for m in _SCAN.finditer(text):
        if m.group() == "{":
            depth += 1
            if depth > MAX_NESTING:
                raise LibertyError(f"{path}:{_line(text, m.start())}: groups nested more than {MAX_NESTING} deep: "
                                   "not a liberty file")
        elif m.group() == "}":
            depth -= 1


def _line(text: str, at: int) -> int:
    return text.count("\n", 0, max(at, 0)) + 1


def _locate(text: str, *needles: str) -> int:
    """The line where the needles first appear in order (for messages): ``cell (NAME)``,
    ``pin (NAME)`` (spaces and quotes as the file has them) or an attribute's name."""
    at = 0
    for needle in needles:
        kind, _, name = needle.partition(" (")
        pattern = (rf"\b{re.escape(kind)}\s*\(\s*\"?{re.escape(name[:-1])}\"?\s*\)" if name
                   else rf"\b{re.escape(kind)}\b")
        found = re.compile(pattern).search(text, at)
        if found is None:
            break
        at = found.start()
    return _line(text, at)


def _attrs(group) -> dict:
    return {a.name: a.value for a in getattr(group, "attributes", [])}


def _text(value) -> str:
    text = str(value)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def _number(value, where: str) -> float:
    try:
        number = float(_text(value))
    except (TypeError, ValueError):
        raise LibertyError(f"{where}: expected a number, got {shown(_text(value))}") from None
    if not math.isfinite(number):
        raise LibertyError(f"{where}: expected a finite number, got {shown(_text(value))}")
    return number


_TIME = {"1ns": 1.0, "100ps": 0.1, "10ps": 0.01, "1ps": 0.001, "1us": 1000.0}
_LEAK = {"1mw": 1e6, "100uw": 1e5, "10uw": 1e4, "1uw": 1e3, "100nw": 100.0, "10nw": 10.0, "1nw": 1.0,
         "100pw": 0.1, "10pw": 0.01, "1pw": 0.001}


def _library(root, text: str, path: str, name: str) -> Liberty:
    attrs = _attrs(root)
    where = path

    def unit(key, table, default):
        if key not in attrs:
            return default
        value = _text(attrs[key]).replace(" ", "").lower()
        if value not in table:
            raise LibertyError(f"{path}:{_locate(text, key)}: {key} {shown(value)}: expected one of "
                               f"{', '.join(table)}")
        return table[value]

    time_unit = unit("time_unit", _TIME, 1.0)
    leakage_unit = unit("leakage_power_unit", _LEAK, 1.0)
    cap = attrs.get("capacitive_load_unit")
    capacitance_unit = 1.0
    if cap is not None:
        items = list(cap) if isinstance(cap, (list, tuple)) else [cap]
        try:
            scale, what = float(items[0]), str(items[1]).strip('"').lower()
            capacitance_unit = scale * {"pf": 1.0, "ff": 1e-3, "nf": 1e3}[what]
        except (IndexError, KeyError, TypeError, ValueError):
            raise LibertyError(f"{path}:{_locate(text, 'capacitive_load_unit')}: capacitive_load_unit "
                               f"{shown(str(cap))}: expected (NUMBER, pf|ff|nf)") from None
    voltage = _number(attrs["nom_voltage"], f"{path}: nom_voltage") if "nom_voltage" in attrs else None
    default = _text(attrs.get("default_operating_conditions", ""))
    for oc in root.get_groups("operating_conditions"):
        if oc.args and str(oc.args[0]).strip('"') == default and "voltage" in _attrs(oc):
            voltage = _number(_attrs(oc)["voltage"], f"{path}: operating_conditions ({default}).voltage")
    thresholds = {k: _number(v, f"{path}: {k}") for k, v in attrs.items() if k.endswith("_pct_rise")
                  or k.endswith("_pct_fall")}
    templates = {}
    for group in list(root.get_groups("lu_table_template")) + list(root.get_groups("power_lut_template")):
        if group.args:
            t = _attrs(group)
            templates[str(group.args[0]).strip('"')] = (_text(t.get("variable_1", "")), _text(t.get("variable_2", "")))
    cells = {}
    groups = root.get_groups("cell")
    if len(groups) > MAX_CELLS:
        raise LibertyError(f"{where}: {len(groups):,} cells: at most {MAX_CELLS:,}")
    for group in groups:
        cell = _cell(group, text, path, templates)
        cells[cell.name] = cell
    if not cells:
        raise LibertyError(f"{where}: no cells")
    lib_name = str(root.args[0]).strip('"') if root.args else Path(path).stem
    return Liberty(name if name in BUNDLED else lib_name, path, cells, time_unit, capacitance_unit, leakage_unit,
                   voltage, "um^2", thresholds)


def _cell(group, text: str, path: str, templates: dict) -> Cell:
    name = str(group.args[0]).strip('"') if group.args else ""
    if not name:
        raise LibertyError(f"{path}:{_locate(text, 'cell')}: a cell without a name")
    where = f"{path}:{_locate(text, f'cell ({name})')}: cell {name}"
    attrs = _attrs(group)
    area = _number(attrs["area"], f"{where}: area") if "area" in attrs else None
    leakage = _number(attrs["cell_leakage_power"], f"{where}: cell_leakage_power") \
        if "cell_leakage_power" in attrs else None
    pins = {}
    for pin_group in group.get_groups("pin"):
        for pin_name in pin_group.args:
            pin = _pin(str(pin_name).strip('"'), pin_group, text, path, name, templates)
            pins[pin.name] = pin
    ff = None
    for ff_group in group.get_groups("ff"):
        f = _attrs(ff_group)
        state = [str(a).strip('"') for a in ff_group.args] + ["", ""]
        ff = Flop(state[0], state[1], *(_ff_function(f, key, where, required) for key, required in
                                          (("next_state", True), ("clocked_on", True), ("clear", False),
                                           ("preset", False))))
    latch = bool(group.get_groups("latch") or group.get_groups("statetable"))
    return Cell(name, area, leakage, pins, ff, latch)


def _ff_function(attrs: dict, key: str, where: str, required: bool):
    if key not in attrs:
        if required:
            raise LibertyError(f"{where}: ff group without {key}")
        return None
    return _function(_text(attrs[key]), f"{where}: ff {key}")


def _function(text: str, where: str):
    try:
        return parse_function(text)
    except ValueError as exc:
        raise LibertyError(f"{where}: function {shown(text)}: {exc}") from None


def _pin(name: str, group, text: str, path: str, cell: str, templates: dict) -> Pin:
    where = f"{path}:{_locate(text, f'cell ({cell})', f'pin ({name})')}: cell {cell} pin {name}"
    attrs = _attrs(group)
    direction = _text(attrs.get("direction", "")).lower()
    if direction not in ("input", "output", "inout", "internal"):
        raise LibertyError(f"{where}: direction {shown(direction)}: expected input, output, inout or internal")
    capacitance = _number(attrs["capacitance"], f"{where}: capacitance") if "capacitance" in attrs else 0.0
    function_text = _text(attrs["function"]) if "function" in attrs else ""
    function = _function(function_text, where) if function_text else None
    arcs = []
    for timing in group.get_groups("timing"):
        t = _attrs(timing)
        tables = {kind: _table(timing, kind, templates, where) for kind in
                  ("cell_rise", "cell_fall", "rise_transition", "fall_transition", "rise_constraint",
                   "fall_constraint")}
        arcs.append(Arc(_text(t.get("related_pin", "")), _text(t.get("timing_type", "combinational")),
                        _text(t.get("timing_sense", "non_unate")), **tables))
    power = []
    for group_power in group.get_groups("internal_power"):
        p = _attrs(group_power)
        power.append(Power(_text(p.get("related_pin", "")), _table(group_power, "rise_power", templates, where),
                           _table(group_power, "fall_power", templates, where)))
    clock = _text(attrs.get("clock", "false")).lower() == "true"
    return Pin(name, direction, capacitance, function, function_text, tuple(arcs), tuple(power), clock)


def _table(group, kind: str, templates: dict, where: str) -> Table | None:
    found = group.get_groups(kind)
    if not found:
        return None
    table = found[0]
    template = str(table.args[0]).strip('"') if table.args else "scalar"
    variables_ = templates.get(template, ("", ""))
    here = f"{where}: {kind}"

    def floats(key):
        if key not in _attrs(table):
            return ()
        try:
            values = table.get_array(key)
        except Exception:
            raise LibertyError(f"{here}: {key}: expected a list of numbers") from None
        flat = [float(v) for v in values.flatten()]
        if len(flat) > MAX_TABLE:
            raise LibertyError(f"{here}: {key}: {len(flat):,} numbers: a table has at most {MAX_TABLE:,}")
        if not all(math.isfinite(v) for v in flat):
            raise LibertyError(f"{here}: {key}: a number that is not finite")
        return values

    index_1 = tuple(float(v) for v in floats("index_1").flatten()) if "index_1" in _attrs(table) else ()
    index_2 = tuple(float(v) for v in floats("index_2").flatten()) if "index_2" in _attrs(table) else ()
    values = floats("values")
    if len(values) == 0:
        raise LibertyError(f"{here}: no values")
    rows = [tuple(float(v) for v in row) for row in (values if values.ndim == 2 else values.reshape(-1, 1))]
    if template == "scalar" or not index_1:
        return Table(variables_[0], variables_[1], (0.0,), (), tuple((r[0],) for r in rows[:1]))
    if not index_2:  # one axis: the values may come as one row
        flat = [v for r in rows for v in r]
        if len(flat) != len(index_1):
            raise LibertyError(f"{here}: {len(flat)} values for {len(index_1)} index_1 points")
        return Table(variables_[0], "", index_1, (), tuple((v,) for v in flat))
    if len(rows) != len(index_1) or any(len(r) != len(index_2) for r in rows):
        raise LibertyError(f"{here}: values are not {len(index_1)} rows of {len(index_2)}")
    for axis in (index_1, index_2):
        if any(b <= a for a, b in zip(axis, axis[1:])):
            raise LibertyError(f"{here}: an index that does not increase")
    return Table(variables_[0], variables_[1], index_1, index_2, tuple(rows))
