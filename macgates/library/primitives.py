"""The primitive library: gate costs as data, with provenance.

A library is a YAML file (the bundled one is ``component_library.yaml``)::

    version: 1
    primitives:
      and2:  {cost: "1", category: logic, source: "whitepaper App. B"}
      fa:    {cost: "2*ha + or2", source: "whitepaper App. B"}
      adder: {params: [n], cost: "(n-1)*fa + ha", source: "whitepaper App. B"}

Loading validates the whole file at once: unknown keys, unknown names in a formula,
wrong parameter counts, cycles between primitives and negative constant costs are all
errors naming the primitive and what is valid. Costs are exact: ``int`` or
:class:`fractions.Fraction`, never ``float``.

A primitive may also give a ``delay``: a formula in the same language for its worst
input-to-output delay, in the library's delay unit (the bundled library: ``t``, one
2-input gate stage; see docs/datapaths.md, "Delay"). Inside a delay formula a primitive's
name means that primitive's delay. ``delay`` is optional: :meth:`Library.delay` gives
``None`` (unknown) for a primitive without one, or whose formula names one without one.
A library extending another inherits a primitive's delay unless it gives its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Mapping

from ..files.resources import library_path
from ..files.yamlfile import read_yaml
from ..support.counts import exact
from ..support.errors import LibraryError, did_you_mean, shown, whole
from . import formula as _formula

SCHEMA_VERSION = 1
TOP_KEYS = ("version", "name", "description", "extends", "precision", "units", "primitives", "cells")
# the units a library's figures are in: App. B's gates and one 2-input gate stage, unless it
# says otherwise (a library calibrated to a liberty file: um^2 and ns)
UNITS = {"cost": "gates", "delay": "t"}
MAX_UNIT = 16  # characters of a unit's name
MAX_PRECISION = 6  # a library's stated precision: decimals its figures are good to
CELL_KEYS = ("cost", "source")
# library names load_library() takes besides paths, and their files
BUNDLED = {"default": "component_library.yaml", "calibrated": "calibrated_library.yaml",
           "calibrated-osu018": "calibrated_osu018.yaml"}
PRIMITIVE_KEYS = ("cost", "params", "category", "source", "description", "delay")
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_FRACTIONAL = re.compile(r"(?<!/)/(?!/)|\d\.|\.\d")  # a true division, or a decimal literal
PROVENANCE_NAMES = 8  # a library's provenance line names the primitives it changes, up to this many
MAX_PARAM = 1 << 20  # no datapath has a component a million bits wide


@dataclass(frozen=True)
class Primitive:
    """One entry of the library."""

    name: str
    params: tuple[str, ...]
    formula: _formula.Formula
    category: str
    source: str
    description: str = ""
    delay: _formula.Formula | None = None  # its worst input-to-output delay, if given

    @property
    def cost_text(self) -> str:
        return self.formula.text

    @property
    def delay_text(self) -> str | None:
        return None if self.delay is None else self.delay.text

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})" if self.params else self.name


class Library:
    """A validated set of primitives and their exact costs."""

    def __init__(self, primitives: Mapping[str, Primitive], origin: str = "<library>", *,
                 name: str = "", version: int = SCHEMA_VERSION, description: str = "",
                 where: Mapping[str, str] | None = None, cells: Mapping | None = None,
                 overrides: tuple = (), file: str | None = None, precision: int | None = None,
                 bundled: str | None = None, units: Mapping | None = None):
        self.primitives = dict(primitives)
        self.units = {**UNITS, **(units or {})}  # what its costs and delays are in
        self.bundled = bundled  # the bundled library's name (BUNDLED) it was loaded as, if so
        # decimals its figures are good to (None: exact); the calibrated library's are fitted
        # to synthesis, good to 1 decimal, and are shown so
        self.precision = precision
        self.origin = origin
        self.name = name
        # the cost formulas replaced after loading (with_overrides): (primitive, formula,
        # where from: "--cost", "library_overrides"), in the order given; and the library
        # they were applied to (its file, or a bundled name's file)
        self.overrides = tuple(overrides)
        self.file = origin if file is None else file
        self.version = version
        self.description = description
        # where each primitive was defined, for messages: "lib.yaml: primitives.fa", or
        # "library_overrides.fa" for an override
        self.where = {n: f"{origin}: primitives.{n}" for n in self.primitives}
        self.where.update(where or {})
        self._cache: dict[tuple, object] = {}
        self._delays: dict[tuple, object] = {}
        _check_references(self.primitives, self.where)
        _check_cycles(self.primitives, self.where)
        _check_references(self.primitives, self.where, delays=True)
        _check_cycles(self.primitives, self.where, delays=True)
        for prim in self.primitives.values():
            if not prim.params:  # constant costs are checked now, parametric ones when used
                self.cost(prim.name)
                self.delay(prim.name)
        # synthesized cells' weights (macgates synth): cell -> (cost, source)
        self.cells = {}
        self._cell_formulas = dict(cells or {})
        for cell, (formula, source) in self._cell_formulas.items():
            _check_refs(formula, f"{origin}: cells.{cell}.cost", self.primitives)
            weight = exact(formula.evaluate({}, self._resolve))
            if weight < 0:
                raise LibraryError(f"{origin}: cells.{cell}: cost {weight} is negative; costs must be >= 0")
            self.cells[cell] = (weight, source)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, data, origin: str = "<library>", path: Path | None = None) -> "Library":
        """Validate a library mapping. With ``extends: default`` (or a path, relative to
        ``path``'s folder) it starts from that library: its entries may then give only
        ``cost`` for a primitive the base has (params, category and description are
        inherited; source defaults to this file), and add new primitives."""
        if not isinstance(data, dict):
            raise LibraryError(f"{origin}: expected a mapping with keys {', '.join(TOP_KEYS)}, "
                               f"got {_kind(data)}")
        unknown = sorted(set(map(str, data)) - set(TOP_KEYS))
        if unknown:
            raise LibraryError(f"{origin}: unknown key '{unknown[0]}' ({did_you_mean(TOP_KEYS)})")
        version = data.get("version")
        if type(version) is not int or version != SCHEMA_VERSION:  # not True, not 1.0
            raise LibraryError(f"{origin}: version: expected {SCHEMA_VERSION}, got "
                               f"{type(version).__name__} {str(version)[:20]}")
        base = _base(data.get("extends"), origin, path) if "extends" in data else None
        prims = data.get("primitives")
        if not isinstance(prims, dict) or not prims:
            raise LibraryError(f"{origin}: primitives: expected a non-empty mapping of "
                               f"name -> {{cost, params, category, source}}, got {_kind(prims)}")
        parsed = dict(base.primitives) if base else {}
        where = dict(base.where) if base else {}
        for name, spec in prims.items():
            key = f"{origin}: primitives.{str(name)[:64]}"
            inherited = parsed.get(str(name)) if base else None
            parsed[str(name)] = _parse_primitive(str(name), spec, key, inherited, origin)
            where[str(name)] = key
        name = data.get("name", base.name + f" extended by {origin}" if base else "")
        precision = data.get("precision", base.precision if base else None)
        if precision is not None and (type(precision) is not int or not 0 <= precision <= MAX_PRECISION):
            raise LibraryError(f"{origin}: precision: expected a whole number of decimals from 0 to "
                               f"{MAX_PRECISION} (what its figures are good to), got {shown(precision)}")
        cells = dict(base.cell_formulas) if base else {}
        cells.update(_parse_cells(data.get("cells", {}), origin))
        units = _parse_units(data["units"], origin) if "units" in data else (base.units if base else None)
        return cls(parsed, origin, name=str(name), version=version,
                   description=str(data.get("description", base.description if base else "")),
                   where=where, cells=cells, precision=precision, units=units)

    def with_overrides(self, overrides: Mapping, origin: str = "library_overrides",
                       delays: Mapping | None = None) -> "Library":
        """A new library in which the named primitives get new cost formulas (and, with
        ``delays``, new delay formulas: primitive -> formula text)."""
        if not isinstance(overrides, dict):
            raise LibraryError(f"{origin}: expected a mapping primitive -> cost formula, got {_kind(overrides)}")
        prims = dict(self.primitives)
        where = dict(self.where)
        for name, text in overrides.items():
            name = str(name)
            if name not in prims:
                raise LibraryError(f"{origin}.{name}: unknown primitive ({did_you_mean(prims)})")
            old = prims[name]
            try:
                formula = _formula.parse(text, old.params)
            except LibraryError as exc:
                raise LibraryError(f"{origin}.{name}: {exc}") from None
            prims[name] = Primitive(name, old.params, formula, old.category,
                                    f"override in {origin}", old.description, old.delay)
            where[name] = f"{origin}.{name}"
        for name, text in (delays or {}).items():
            old = prims[name]
            try:
                formula = _formula.parse(text, old.params)
            except LibraryError as exc:
                raise LibraryError(f"{origin}.{name}.delay: {exc}") from None
            prims[name] = Primitive(name, old.params, old.formula, old.category, old.source,
                                    old.description, formula)
        applied = tuple((str(n), prims[str(n)].cost_text, origin) for n in overrides)
        return Library(prims, f"{self.origin} with {origin}", name=self.name,
                       version=self.version, description=self.description, where=where,
                       cells=self.cell_formulas, overrides=self.overrides + applied, file=self.file,
                       precision=self.precision, bundled=self.bundled, units=self.units)

    def __repr__(self) -> str:
        more = f", {len(self.overrides)} override{'s' if len(self.overrides) != 1 else ''}" if self.overrides else ""
        return f"<Library {self.name or 'unnamed'} ({self.file}): {len(self.primitives)} primitives{more}>"

    def provenance(self) -> list[str]:
        """Where this library's costs come from, one line each: the library (its name, its
        bundled name or file, and how many primitives differ from the bundled App. B one,
        overrides aside), then each override applied to it, in full, on a line of its own."""
        where = f"bundled '{self.bundled}'" if self.bundled else self.file
        lines = [f"library: {self.name or 'unnamed'} ({where})"]
        if self.bundled != "default":
            overridden = {o[0] for o in self.overrides}
            own = [n for n in self.differences() if n not in overridden]
            names = f" ({', '.join(own)})" if len(own) <= PROVENANCE_NAMES else ""
            lines[0] += (f": {len(own)} primitive{'' if len(own) == 1 else 's'} differ from the bundled "
                         f"App. B library{names}" if own else ": the same costs as the bundled App. B library")
        else:
            lines[0] = lines[0][:-1] + ": whitepaper App. B costs)"
        if self.units != UNITS:
            lines[0] += f"; costs in {self.units['cost']}, delays in {self.units['delay']}"
        lines += [f"override: {n} = {text} ({origin})" for n, text, origin in self.overrides]
        return lines

    @property
    def cell_formulas(self) -> dict:
        """cell -> (formula, source), as the file gives them."""
        return dict(self._cell_formulas)

    @property
    def whole_costs(self) -> bool:
        """Are all costs whole numbers? True when no formula has a decimal literal or a true
        division (``/``), the only ways to a fraction; False means costs may be fractional."""
        return not any(_FRACTIONAL.search(p.cost_text) for p in self.primitives.values())

    def differences(self, other: "Library | None" = None) -> list[str]:
        """Names of the primitives whose parameters or cost formula differ from ``other``'s
        (default: the bundled library), or that only one of the two has; sorted."""
        other = other or load_library()
        names = set(self.primitives) | set(other.primitives)

        def key(lib, name):
            prim = lib.primitives.get(name)
            return None if prim is None else (prim.params, prim.cost_text)
        return sorted(n for n in names if key(self, n) != key(other, n))

    # -- costs --------------------------------------------------------------------------
    def __contains__(self, name) -> bool:
        return name in self.primitives

    def primitive(self, name: str) -> Primitive:
        try:
            return self.primitives[name]
        except KeyError:
            raise LibraryError(f"{self.origin}: unknown primitive '{name}' "
                               f"({did_you_mean(self.primitives)})") from None

    def cost(self, name: str, *args, **kwargs):
        """Exact cost of primitive ``name`` with parameters given by position or name."""
        prim = self.primitive(name)
        if kwargs:
            args = self.bind(name, args, kwargs)
        return self._cost(prim, tuple(args))

    def bind(self, name: str, args=(), kwargs=None) -> tuple:
        """Parameter values of ``name`` in declaration order, from positional + keyword values."""
        prim = self.primitive(name)
        kwargs = dict(kwargs or {})
        values = list(args)
        for pname in prim.params[len(values):]:
            if pname not in kwargs:
                raise LibraryError(f"primitive {prim.signature}: missing parameter '{pname}'")
            values.append(kwargs.pop(pname))
        if kwargs:
            extra = sorted(kwargs)[0]
            raise LibraryError(f"primitive {prim.signature}: unknown parameter '{extra}' "
                               f"(valid: {', '.join(prim.params) or 'none'})")
        return tuple(values)

    def _cost(self, prim: Primitive, args: tuple):
        key = (prim.name, args)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if len(args) != len(prim.params):
            raise LibraryError(f"primitive {prim.signature} takes {len(prim.params)} parameter(s), "
                               f"got {len(args)}")
        for pname, value in zip(prim.params, args):
            if not whole(value, 0, MAX_PARAM):
                raise LibraryError(f"primitive {prim.signature}: parameter {pname}={shown(value)} must be "
                                   f"a whole number from 0 to {MAX_PARAM}")
        values = dict(zip(prim.params, args))
        try:
            value = exact(prim.formula.evaluate(values, self._resolve))
        except _formula.TooLarge as exc:
            args_text = ", ".join(f"{k}={v}" for k, v in values.items())
            raise LibraryError(f"{self.where[prim.name]}: {exc}{' for ' + args_text if args_text else ''}") from None
        if value < 0:
            args_text = ", ".join(f"{k}={v}" for k, v in values.items())
            raise LibraryError(f"{self.where[prim.name]}: cost {value} is negative"
                               f"{' for ' + args_text if args_text else ''}; costs must be >= 0")
        self._cache[key] = value
        return value

    def delay(self, name: str, *args, **kwargs):
        """Exact worst input-to-output delay of primitive ``name`` with these parameters, in
        the library's delay unit; ``None`` (unknown) when the primitive has no ``delay``
        formula, or its formula names a primitive that has none. Never 0 for unknown."""
        prim = self.primitive(name)
        if kwargs:
            args = self.bind(name, args, kwargs)
        try:
            return self._delay(prim, tuple(args))
        except _NoDelay:
            return None

    def _delay(self, prim: Primitive, args: tuple):
        key = (prim.name, args)
        if key in self._delays:
            hit = self._delays[key]
            if hit is None:
                raise _NoDelay(prim.name)
            return hit
        if prim.delay is None:
            self._delays[key] = None
            raise _NoDelay(prim.name)
        self._cost(prim, args)  # the parameters are checked as for the cost
        values = dict(zip(prim.params, args))
        args_text = ", ".join(f"{k}={v}" for k, v in values.items())
        try:
            value = exact(prim.delay.evaluate(values, self._resolve_delay))
        except _NoDelay:
            self._delays[key] = None
            raise
        except _formula.TooLarge as exc:
            raise LibraryError(f"{_delay_key(self.where[prim.name])}: {exc}"
                               f"{' for ' + args_text if args_text else ''}") from None
        if value < 0:
            raise LibraryError(f"{_delay_key(self.where[prim.name])}: delay {value} is negative"
                               f"{' for ' + args_text if args_text else ''}; delays must be >= 0")
        self._delays[key] = value
        return value

    def _resolve_delay(self, name: str, args: tuple):
        for a in args:
            if isinstance(a, Fraction) and a.denominator != 1:
                raise LibraryError(f"primitive {name}: parameter {a} is not a whole number")
        return self._delay(self.primitives[name], tuple(int(a) for a in args))

    def _resolve(self, name: str, args: tuple):
        for a in args:
            if isinstance(a, Fraction) and a.denominator != 1:
                raise LibraryError(f"primitive {name}: parameter {a} is not a whole number")
        return self._cost(self.primitives[name], tuple(int(a) for a in args))


class _NoDelay(Exception):
    """A delay formula reached a primitive without a delay (inside Library.delay only)."""


# -- validation helpers ---------------------------------------------------------------
def _kind(value) -> str:
    return "nothing" if value is None else type(value).__name__


def _base(value, origin: str, path: Path | None) -> "Library":
    if not isinstance(value, str) or not value.strip():
        raise LibraryError(f"{origin}: extends: expected a library name ({', '.join(BUNDLED)}) "
                           f"or a path, got {_kind(value)}")
    if value in BUNDLED:
        return load_library(value)
    full = Path(value)
    if not full.is_absolute() and path is not None:
        full = path.parent / full
    if path is not None and full.resolve() == path.resolve():
        raise LibraryError(f"{origin}: extends: a library cannot extend itself")
    try:
        return load_library(full)
    except LibraryError as exc:
        raise LibraryError(f"{origin}: extends: {exc}") from None


def _check_keys(spec, keys: tuple, where: str) -> None:
    """``spec`` is a mapping whose keys are among ``keys``."""
    if not isinstance(spec, dict):
        raise LibraryError(f"{where}: expected a mapping with keys {', '.join(keys)}, got {_kind(spec)}")
    unknown = sorted(set(map(str, spec)) - set(keys))
    if unknown:
        raise LibraryError(f"{where}: unknown key '{unknown[0]}' ({did_you_mean(keys)})")


MAX_CELLS = 256  # entries of a library's cells table


def _parse_cells(spec, origin: str) -> dict:
    """The ``cells`` table: a synthesized cell's name -> {cost: a formula without
    parameters (numbers and primitives, e.g. ``xor2``), source}."""
    if not isinstance(spec, dict):
        raise LibraryError(f"{origin}: cells: expected a mapping of cell name -> {{cost, source}}, got {_kind(spec)}")
    if len(spec) > MAX_CELLS:
        raise LibraryError(f"{origin}: cells: {len(spec)} entries, at most {MAX_CELLS}")
    out = {}
    for cell, entry in spec.items():
        where = f"{origin}: cells.{str(cell)[:64]}"
        if not isinstance(cell, str) or not re.match(r"^[A-Za-z0-9_$]{1,64}$", cell):
            raise LibraryError(f"{where}: a cell name is letters, digits, _ and $ (e.g. AND, DFF_P)")
        _check_keys(entry, CELL_KEYS, where)
        for key in CELL_KEYS:
            if key not in entry:
                raise LibraryError(f"{where}: missing key '{key}'")
        if not isinstance(entry["source"], str) or not entry["source"]:
            raise LibraryError(f"{where}.source: expected a string, got {_kind(entry['source'])}")
        try:
            out[cell] = (_formula.parse(entry["cost"], ()), entry["source"])
        except LibraryError as exc:
            raise LibraryError(f"{where}.cost: {exc}") from None
    return out


def _parse_primitive(name: str, spec, where: str, inherited: "Primitive | None" = None,
                     origin: str = "") -> Primitive:
    if not _IDENT.match(name):
        raise LibraryError(f"{where}: invalid primitive name (use lower-case letters, digits, _)")
    if name in _formula.FUNCTIONS:
        raise LibraryError(f"{where}: '{name}' is a built-in function name")
    _check_keys(spec, PRIMITIVE_KEYS, where)
    if "cost" not in spec:
        raise LibraryError(f"{where}: missing key 'cost' (a formula such as \"(n-1)*fa + ha\")")
    if inherited is not None:  # extending a library: what is not given is inherited
        spec = {"params": list(inherited.params), "category": inherited.category,
                "description": inherited.description, "source": f"{origin} (extends)", **spec}
        if "delay" not in spec and inherited.delay is not None:
            spec["delay"] = inherited.delay
        if tuple(spec["params"]) != inherited.params:
            raise LibraryError(f"{where}.params: {spec['params']} differ from the extended "
                               f"library's {list(inherited.params)}; a primitive keeps its parameters")
    params = spec.get("params", [])
    if not isinstance(params, list) or not all(isinstance(p, str) and _IDENT.match(p) for p in params):
        raise LibraryError(f"{where}.params: expected a list of parameter names such as [n, k], got {shown(params)}")
    if len(set(params)) != len(params):
        raise LibraryError(f"{where}.params: duplicate parameter name in {params}")
    for key in ("category", "source", "description"):
        if key in spec and not isinstance(spec[key], str):
            raise LibraryError(f"{where}.{key}: expected a string, got {_kind(spec[key])}")
    if not spec.get("source"):
        raise LibraryError(f"{where}: missing key 'source' (where the formula comes from)")
    try:
        formula = _formula.parse(spec["cost"], tuple(params))
    except LibraryError as exc:
        raise LibraryError(f"{where}.cost: {exc}") from None
    delay = spec.get("delay")
    if delay is not None and not isinstance(delay, _formula.Formula):  # (inherited: parsed already)
        try:
            delay = _formula.parse(delay, tuple(params))
        except LibraryError as exc:
            raise LibraryError(f"{where}.delay: {exc}") from None
    return Primitive(name, tuple(params), formula, spec.get("category", "logic"),
                     spec["source"], spec.get("description", ""), delay)


def _parse_units(units, origin: str) -> dict:
    """A library's ``units: {cost: ..., delay: ...}``: short names (``um^2``, ``ns``)."""
    if not isinstance(units, dict):
        raise LibraryError(f"{origin}: units: expected a mapping with keys {', '.join(UNITS)}, got {_kind(units)}")
    out = {}
    for key, value in units.items():
        if str(key) not in UNITS:
            raise LibraryError(f"{origin}: units: unknown key '{str(key)[:32]}' ({did_you_mean(UNITS)})")
        if not isinstance(value, str) or not 0 < len(value) <= MAX_UNIT or not value.isprintable():
            raise LibraryError(f"{origin}: units.{key}: expected a unit's name of 1 to {MAX_UNIT} "
                               f"characters (gates, um^2, t, ns), got {shown(value)}")
        out[str(key)] = value
    return out


def _check_references(prims: Mapping[str, Primitive], where: Mapping[str, str], delays: bool = False) -> None:
    """Every cost formula's names (``delays``: every delay formula's) are known."""
    for prim in prims.values():
        if delays and prim.delay is not None:
            _check_refs(prim.delay, _delay_key(where[prim.name]), prims, prim.params, prim.name)
        elif not delays:
            _check_refs(prim.formula, _cost_key(where[prim.name]), prims, prim.params, prim.name)


def _check_refs(formula, key: str, prims: Mapping[str, Primitive], params=(), own: str = "") -> None:
    """Every name ``formula`` uses is a parameter, a function or another primitive, called
    with as many arguments as it takes (``key``: the formula's place, for messages)."""
    for ref, arities in formula.refs.items():
        target = prims.get(ref)
        if target is None:
            valid = list(params) + [p for p in prims if p != own] + list(_formula.FUNCTIONS)
            raise LibraryError(f"{key}: unknown name '{ref}' in {shown(formula.text)} ({did_you_mean(valid)})")
        for arity in arities:
            if arity != len(target.params):
                usage = f"{ref}({', '.join(target.params)})" if target.params else ref
                raise LibraryError(f"{key}: '{ref}' used with {arity} argument(s) in {shown(formula.text)}; "
                                   f"it takes {len(target.params)}: write {usage}")


def _cost_key(where: str) -> str:
    """The key path of a primitive's cost formula ("...primitives.fa.cost"; an override
    is its own key)."""
    return where if "primitives." not in where else f"{where}.cost"


def _delay_key(where: str) -> str:
    """The key path of a primitive's delay formula ("...primitives.fa.delay")."""
    return where if "primitives." not in where else f"{where}.delay"


MAX_CHAIN = 64  # longest chain of primitives defined by one another


def _check_cycles(prims: Mapping[str, Primitive], where: Mapping[str, str], delays: bool = False) -> None:
    """No primitive refers to itself through others, and no chain of references is
    longer than MAX_CHAIN (a depth-first walk with an explicit stack); ``delays``: the
    same for the delay formulas."""
    def refs(name):
        formula = prims[name].delay if delays else prims[name].formula
        return {} if formula is None else formula.refs
    key = _delay_key if delays else _cost_key
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    height: dict[str, int] = {}  # longest chain below a finished primitive
    for root in prims:
        if root in state:
            continue
        path: list[str] = [root]
        todo = [iter(sorted(refs(root)))]
        state[root] = 1
        while todo:
            ref = next(todo[-1], None)
            if ref is None:  # all of path[-1]'s references are done
                done = path.pop()
                todo.pop()
                state[done] = 2
                height[done] = 1 + max((height[r] for r in refs(done)), default=0)
                if height[done] > MAX_CHAIN:
                    raise LibraryError(f"{key(where[done])}: a chain of more than {MAX_CHAIN} "
                                       "primitives defined by one another starts here")
                continue
            if state.get(ref) == 1:
                loop = " -> ".join(path[path.index(ref):] + [ref])
                raise LibraryError(f"{key(where[ref])}: recursive definition: {loop}")
            if state.get(ref) is None:
                state[ref] = 1
                path.append(ref)
                todo.append(iter(sorted(refs(ref))))


_BUNDLED: dict = {}  # name -> Library, loaded once


def as_library(value) -> "Library | None":
    """A Library from a Library, a path or a bundled name (``"default"``); None stays None."""
    if value is None or isinstance(value, Library):
        return value
    if isinstance(value, (str, Path)):
        return load_library(value)
    raise LibraryError(f"library: expected a Library, a path or a bundled name ({', '.join(BUNDLED)}), "
                       f"got {type(value).__name__}")


def load_library(path=None) -> Library:
    """Load and validate a primitive library from a path; ``None`` or ``"default"`` gives
    the bundled one, ``"calibrated"`` the bundled one calibrated to synthesis (cached)."""
    name = "default" if path is None else path
    if isinstance(name, str) and name in BUNDLED:
        if name not in _BUNDLED:
            _BUNDLED[name] = _load(library_path(BUNDLED[name]), BUNDLED[name])
            _BUNDLED[name].bundled = name
        return _BUNDLED[name]
    return _load(Path(path), str(path))


def _load(path: Path, origin: str) -> Library:
    return Library.from_mapping(read_yaml(path, LibraryError), origin, path)
