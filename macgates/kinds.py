"""Primitive kinds: what each library primitive is besides its cost, in one record.

A :class:`Kind` holds a primitive's input ports (name, and whether a datapath must drive
it), whether it takes the k lanes of its inputs together, its state (bits, and the next
state after a step) where it holds any, and its behaviour (:mod:`macgates.behaviour`),
or the reason it has none (``cost_only``). The library file (``component_library.yaml``)
keeps what a primitive costs, its category, source and parameters; this module keeps the
rest, registered in one place: :data:`KINDS`.

:meth:`macgates.Datapath.connect` refuses a port a primitive does not declare, and the
simulator (so also ``verify``, ``rtl`` and ``synth``) a required input left unconnected
and a cost-only primitive. A primitive a library adds without a kind here is costed and
drawn, and cannot run. :func:`register_kind` adds a kind from a user's own code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from .errors import DatapathError, did_you_mean


@dataclass(frozen=True)
class Port:
    """An input port of a primitive kind; ``required``: a datapath that runs must drive it
    (an optional one reads as 0 when nothing drives it)."""

    name: str
    required: bool = True

    def __repr__(self) -> str:
        return self.name if self.required else f"{self.name}?"


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
# (macgates/rtl.py), and Verilog's keywords that look like port names
RESERVED = ("y", "q", "clk", "rst", "input", "output", "wire", "reg", "module", "assign", "always", "begin",
            "end", "signed", "posedge", "negedge", "or", "and", "not", "xor", "buf", "integer", "parameter")
_RESERVED = re.compile(r"^t[0-9]+$|_v$|_[0-9]+$")


def ports(*names: str) -> tuple:
    """Ports from names; a trailing ``?`` makes one optional: ``ports("a", "b", "cin?")``."""
    return tuple(Port(n.rstrip("?"), required=not n.endswith("?")) for n in names)


def register_kind(name: str, ports_: tuple | list = (), *, lanes=False, state_bits=None, next_state=None,
                  cost_only: str = "", replace: bool = False):
    """Register the kind of primitive ``name``; used as a decorator on its behaviour::

        @register_kind("csa", ports("x", "y", "z"))
        def csa(params, ins, attrs): ...

    or called with ``cost_only="why"`` for a primitive that is only costed. A library
    file gives its cost (``extends: default`` and an entry for ``name``). Registering a
    name twice is an error unless ``replace``."""
    declared = tuple(p if isinstance(p, Port) else ports(p)[0] for p in ports_)
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
