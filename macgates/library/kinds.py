"""Primitive kinds: what each library primitive is besides its cost, in one record.

A :class:`Kind` holds a primitive's input ports (name, whether a datapath must drive it,
and its width: a formula of the component's cost parameters, a bound, or ``any``),
whether it takes the k lanes of its inputs together, its state (bits, and the next state
after a step) where it holds any, and its behaviour (:mod:`macgates.library.behaviour`), or the
reason it has none (``cost_only``). The library file (``component_library.yaml``) keeps
what a primitive costs, its category, source and parameters; this module keeps the rest,
registered in one place: :data:`KINDS`.

:meth:`macgates.Datapath.connect` refuses a port a primitive does not declare and a
signal that reaches above the port's width, and the simulator (so also ``verify``,
``rtl`` and ``synth``) a required input left unconnected, a port whose signals together
do not match its declared width, and a cost-only primitive. A primitive a library adds
without a kind here is costed and drawn, and cannot run. :func:`register_kind` adds a
kind from a user's own code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from ..support.errors import DatapathError, LibraryError, did_you_mean, one_line
from .formula import FUNCTIONS, Formula, parse

ANY = "any"
_BOUNDS = {"": "", ">=": "at least ", "<=": "at most "}


@dataclass(frozen=True)
class Port:
    """An input port of a primitive kind.

    ``required``: a datapath that runs must drive it (an optional one reads as 0 when
    nothing drives it). ``width``: how many bits its signals give it together, the top
    of the highest one (``Signal.at + Signal.width``; a signal's width is one lane's in a
    k-lane unit), as a formula of the component's cost parameters (:mod:`macgates.library.formula`:
    ``"n"``, ``"n * m"``, ``"ceil_log2(k + 1)"``, ``"1"``), a bound ``">= FORMULA"`` (a
    port that reads only the low bits of a wider signal) or ``"<= FORMULA"`` (one whose
    narrower signals read as zero-extended), or ``"any"`` (not checked). An exact width
    is also met by a narrower signed signal on top: its sign fills the bits above it.
    ``why``: for a bound or ``any``, the reason the port is not exactly that wide."""

    name: str
    required: bool = True
    width: str = ANY
    why: str = field(default="", compare=False)
    bound: str = field(init=False, repr=False)  # "", ">=" or "<="; "" for any
    formula: Formula | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        text = self.width
        if isinstance(text, int) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str):
            raise DatapathError(f"port {self.name!r}: width must be a formula string or 'any', got "
                                f"{type(text).__name__}")
        text = " ".join(text.split())
        bound = text[:2] if text[:2] in (">=", "<=") else ""
        body = text[len(bound):].strip()
        formula = None
        if body != ANY:
            formula = _width_formula(self.name, body)
            text = f"{bound} {formula.text}" if bound else formula.text
        elif bound:
            raise DatapathError(f"port {self.name!r}: width {text!r}: 'any' takes no bound")
        object.__setattr__(self, "width", text)
        object.__setattr__(self, "bound", bound)
        object.__setattr__(self, "formula", formula)

    def __repr__(self) -> str:
        return self.name if self.required else f"{self.name}?"

    @property
    def spec(self) -> str:
        """The port as :func:`ports` reads it: ``name[?][:width]``."""
        return repr(self) + ("" if self.formula is None else f":{self.width}")

    def expected(self, params: Mapping, component: str = "", primitive: str = "") -> int | None:
        """The width the formula gives for these parameters (None: ``any``)."""
        if self.formula is None:
            return None
        missing = [p for p in self.formula.params if p not in params]
        if missing:
            raise DatapathError(f"component {component} ({primitive}): port {self.name!r} is declared "
                                f"{self.width} bits wide, but the primitive has no parameter {missing[0]} "
                                f"(its parameters: {', '.join(params) or 'none'})")
        try:
            value = self.formula.evaluate(params, _no_primitives)
        except LibraryError as exc:  # (a division by zero, a value beyond the formulas' bound)
            raise DatapathError(f"component {component} ({primitive}): port {self.name!r}: its width "
                                f"{self.width}: {exc}") from None
        if value != int(value):
            raise DatapathError(f"component {component} ({primitive}): port {self.name!r}: its width "
                                f"{self.width} is {value} for {_params(params)}, not a whole number")
        return int(value)

    def check_width(self, component: str, primitive: str, params: Mapping, bits: int, extended: bool,
                    where: str, whole: bool = True, given: str = "") -> None:
        """Refuse ``bits`` (the top of the port's signals; ``extended``: the top one is
        signed, its sign filling every bit above) that does not match the declared width.
        ``whole``: every signal of the port is known; else (a connection being made) only
        a signal reaching above the widest the port takes is refused. ``given``: how the
        message describes the bits (default ``N bits``)."""
        want = self.expected(params, component, primitive)
        if want is None:
            return
        too_wide = bits > want and self.bound != ">="
        too_narrow = whole and bits < want and not extended and self.bound != "<="
        if too_wide or too_narrow:
            formula = self.formula.text
            shown_formula = "" if formula == str(want) else f" = {formula} for {_params(params)}"
            hint = ""
            if too_narrow and not self.bound:
                hint = " (drive every bit; a narrower signed signal is sign-extended: signed=True)"
            raise DatapathError(f"{where}: port {self.name!r} of component {component} ({primitive}): "
                                f"{given or f'{bits} bits'} given, expected {_BOUNDS[self.bound]}{want}"
                                f"{shown_formula}{hint}" + (f"; {self.why}" if self.why else ""))


@dataclass(frozen=True)
class Kind:
    """A primitive kind: its input ports, its behaviour ``f(params, inputs, attrs) -> int``
    (or ``cost_only``: why it has none), whether it takes the k lanes of its inputs
    together (``lanes``: True, False, or a function of the component's attrs), and for
    one that holds state: ``state_bits(params)`` and ``next_state(params, inputs, state)``."""

    name: str
    ports: tuple = ()
    behaviour: Callable | None = None
    lanes: object = False
    state_bits: Callable | None = None
    next_state: Callable | None = None
    cost_only: str = ""
    doc: str = field(default="", compare=False)

    @property
    def port_names(self) -> tuple:
        return tuple(p.name for p in self.ports)

    @property
    def required(self) -> tuple:
        return tuple(p.name for p in self.ports if p.required)

    def port(self, name: str) -> Port:
        """The declared port ``name`` (KeyError if there is none: see :meth:`check_port`)."""
        for port in self.ports:
            if port.name == name:
                return port
        raise KeyError(name)

    def combines_lanes(self, attrs: Mapping) -> bool:
        return bool(self.lanes(attrs) if callable(self.lanes) else self.lanes)

    def check_port(self, component: str, port: str, where: str) -> None:
        """Refuse a port this kind does not declare (``where``: the datapath, for messages)."""
        if port not in self.port_names:
            raise DatapathError(f"{where}: component {component} ({self.name}) has no input port {port!r} "
                                f"({did_you_mean(self.port_names)})")


KINDS: dict[str, Kind] = {}
_PORT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# names a component's Verilog module gives its output, clock, reset, state and wires
# (macgates/hw/rtl.py), and Verilog's keywords that look like port names
RESERVED = ("y", "q", "clk", "rst", "input", "output", "wire", "reg", "module", "assign", "always", "begin",
            "end", "signed", "posedge", "negedge", "or", "and", "not", "xor", "buf", "integer", "parameter")
_RESERVED = re.compile(r"^t[0-9]+$|_v$|_[0-9]+$")


def ports(*specs: str) -> tuple:
    """Ports from ``name[?][:width]`` specs: a ``?`` after the name makes one optional, the
    width is a formula of the parameters, a bound (``>=``, ``<=``) or ``any`` (the default,
    not checked): ``ports("a:n", "b:n", "cin?:1")``, ``ports("a", "b")``. See :class:`Port`."""
    out = []
    for spec in specs:
        if isinstance(spec, Port):
            out.append(spec)
            continue
        if not isinstance(spec, str):
            raise DatapathError(f"ports: expected 'name[?][:width]' strings, got {type(spec).__name__}")
        name, _, width = spec.partition(":")
        name = name.strip()
        out.append(Port(name.rstrip("?"), required=not name.endswith("?"), width=width.strip() or ANY))
    return tuple(out)


def _width_formula(port: str, text: str) -> Formula:
    """A width formula: :func:`macgates.library.formula.parse` with its names as the parameters."""
    try:
        names = parse(text).refs  # (every name not yet a parameter: found as a primitive reference)
        calls = [name for name, arities in names.items() if arities != {0}]
        if calls:
            raise LibraryError(f"{calls[0]}(...) is not a function of widths (allowed: {', '.join(FUNCTIONS)})")
        return parse(text, tuple(sorted(names)))
    except LibraryError as exc:
        raise DatapathError(f"port {port!r}: width {text!r}: {one_line(str(exc))} (a width is 'any', a formula "
                            "of the parameters such as 'n + 1', or a bound: '>= n', '<= n')") from None


def _no_primitives(name, args):  # a width formula's names are all parameters (_width_formula)
    raise DatapathError(f"a width formula names {name}, which is not a parameter")


def _params(params: Mapping) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def register_kind(name: str, ports_: tuple | list = (), *, lanes=False, state_bits=None, next_state=None,
                  cost_only: str = "", replace: bool = False):
    """Register the kind of primitive ``name``; used as a decorator on its behaviour::

        @register_kind("csa", ports("a:n", "b:n", "c?:n"))
        def csa(params, ins, attrs): ...

    or called with ``cost_only="why"`` for a primitive that is only costed. ``ports_``:
    :class:`Port` records or ``name[?][:width]`` specs (:func:`ports`). A library file
    gives its cost (``extends: default`` and an entry for ``name``). Registering a name
    twice is an error unless ``replace``."""
    declared = ports(*ports_)
    names = [p.name for p in declared]
    if len(set(names)) != len(names):
        raise DatapathError(f"kind {name}: a port is declared twice ({', '.join(names)})")
    for port in names:
        if not _PORT_NAME.match(port) or port in RESERVED or _RESERVED.search(port):
            raise DatapathError(f"kind {name}: port {port!r}: expected a lower-case name (letters, digits, _) "
                                f"that the Verilog of a component does not use itself (not {', '.join(RESERVED)}, "
                                "t0, t1, ..., nor one ending in _v or _0, _1, ...)")

    def add(behaviour):
        if name in KINDS and not replace:
            raise DatapathError(f"kind {name} is already registered (register_kind(..., replace=True) to "
                                "replace it)")
        KINDS[name] = Kind(name, declared, behaviour, lanes, state_bits, next_state, cost_only,
                           (behaviour.__doc__ or "") if behaviour else "")
        return behaviour
    if cost_only:
        add(None)
        return None
    return add


def kind_of(primitive: str) -> Kind | None:
    """The kind of a primitive, or None for one a library adds without a kind here."""
    return KINDS.get(primitive)


# the bundled kinds, registered beside their behaviours: KINDS is whole once this module is
# imported, whichever module is imported first (adders registers the prefix adders)
from . import adders as _adders  # noqa: E402,F401
from . import behaviour as _bundled  # noqa: E402,F401
