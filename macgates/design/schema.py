"""Design files: MAC configurations (and custom datapaths) to cost side by side.

Schema ``macgates: 1`` (every key is documented in docs/design-files.md)::

    macgates: 1
    name: paper-fig3
    description: ...                 # optional
    baseline: int8-kulisch           # optional; default: the first config
    library: my_cells.yaml           # optional; relative to this file
    library_overrides: {fa: "6"}     # optional; primitive -> cost formula
    configs:
      - {name: int8-kulisch, weights: int8, accumulator: kulisch}
      - {name: e4-fp16, weights: fp8_e4m3, accumulator: fp16, multiplier: booth}
      - {name: mine, datapath: my_mac}
    datapaths:                       # optional; named custom graphs
      my_mac:
        components:
          pp:  {primitive: pp_bits, n: 8, m: 8, category: multiplier}
          ...
        connections:
          - [pp, tree, 64]

Every key is checked; errors name the file and the key path
(``designs/x.yaml: configs[2].accumulator: ...``) and, for unknown names, the valid ones.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..accuracy.data import SAMPLES
from ..datapath.builders import dot, parse_accumulator
from ..datapath.dotproduct import check_k
from ..datapath.floating import ALIGNS, SUBNORMALS, FloatingPoint
from ..datapath.graph import CATEGORIES, Datapath
from ..datapath.multiplier import MULTIPLIERS, product_of
from ..files.resources import designs_dir
from ..files.yamlfile import read_yaml
from ..formats.spec import RECORD_KEYS, Format, define, is_known, lookup
from ..library.adders import ADDERS
from ..library.primitives import Library, as_library, load_library
from ..support.errors import DesignError, MacgatesError, did_you_mean, shown

SCHEMA_VERSION = 1
TOP_KEYS = ("macgates", "name", "description", "baseline", "library", "library_overrides",
            "formats", "configs", "datapaths", "data")
# a design's operand data (docs/accuracy.md, "Cost against accuracy"): what its configs'
# formats are scored on in its report
DATA_KEYS = ("weights", "activations", "scale", "samples", "seed")
DATA_DEFAULTS = {"scale": "mse", "samples": SAMPLES, "seed": 0}
MAX_DATA_SAMPLES = 10**7
MAX_SPEC = 1000  # characters of a data spec
CONFIG_KEYS = ("name", "weights", "activations", "accumulator", "k", "multiplier", "adder", "align",
               "product_pipe", "datapath")
DATAPATH_KEYS = ("description", "components", "connections")
COMPONENT_KEYS = ("primitive", "category", "note")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]*$")
MAX_CONFIGS = 10_000


@dataclass(frozen=True)
class Config:
    """One configuration of a design: a built-in MAC, or a named custom datapath."""

    name: str
    weights: str = ""
    activations: str = ""
    accumulator: str = "kulisch"
    multiplier: str = "array"
    align: str = "swap"
    product_pipe: bool | None = None
    datapath: str = ""
    k: int = 1
    adder: str | None = None  # the accumulator adder's style; None: the accumulator's own (ripple)

    def build(self, library: Library | None = None, datapaths=None, formats=None) -> Datapath:
        """The costed datapath of this config (``formats``: a design's own formats by name)."""
        if self.datapath:
            return (datapaths or {})[self.datapath].build(library, self.name)
        acc = parse_accumulator(self.accumulator)
        if isinstance(acc, FloatingPoint):
            acc = replace(acc, align=self.align)
        weights = lookup(self.weights, formats)
        activations = lookup(self.activations or self.weights, formats)
        return dot(weights, activations, self.k, acc, library,
                   multiplier=self.multiplier, adder=self.adder, product_pipe=self.product_pipe)


@dataclass(frozen=True)
class DatapathSpec:
    """A custom datapath from a design file: components and connections."""

    name: str
    components: tuple  # (name, primitive, category, note, params dict)
    connections: tuple  # (src, dst, width)
    description: str = ""

    def build(self, library: Library | None = None, name: str | None = None) -> Datapath:
        dp = Datapath(name or self.name, library=library)
        for cname, primitive, category, note, params in self.components:
            dp.add(cname, primitive, category=category, note=note, **params)
        for src, dst, width in self.connections:
            dp.connect(src, dst, width)
        dp.validate()
        dp.info.update(weights="", activations="", accumulator=f"custom:{self.name}",
                       acc_bits=max((c.params.get("n", 0) for c in dp.components.values()
                                     if c.category == "register"), default=0))
        return dp


@dataclass(frozen=True)
class Design:
    name: str
    configs: tuple
    baseline: str | None = None
    description: str = ""
    path: Path | None = field(default=None, compare=False)
    library: Library | None = field(default=None, compare=False, repr=False)
    datapaths: dict = field(default_factory=dict, compare=False)
    formats: dict = field(default_factory=dict, compare=False)  # the design's own, by name
    data: dict | None = field(default=None, compare=False)  # its ``data:`` (parse_data), if any

    def config(self, name: str) -> Config:
        for cfg in self.configs:
            if cfg.name == name:
                return cfg
        raise DesignError(f"{self.origin}: no config named '{name}' "
                          f"({did_you_mean(c.name for c in self.configs)})")

    def build(self, config: Config) -> Datapath:
        return config.build(self.library, self.datapaths, self.formats)

    def format(self, name) -> Format:
        """A format by name: the design's own, else a known one."""
        return lookup(name, self.formats)

    def with_costs(self, costs, origin: str = "--cost") -> "Design":
        """This design with some primitives' cost formulas replaced (``{name: formula}``)."""
        if not costs:
            return self
        return replace(self, library=self.library.with_overrides(dict(costs), origin=origin))

    @property
    def origin(self) -> str:
        return str(self.path) if self.path else f"design {self.name}"


# -- validation helpers ---------------------------------------------------------------
def _kind(value) -> str:
    return "nothing" if value is None else type(value).__name__


def _string(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DesignError(f"{where}: expected a non-empty string, got {_kind(value)} {shown(value)}")
    return value.strip()


def _name(value, where: str) -> str:
    name = _string(value, where)
    if not _NAME.match(name):
        raise DesignError(f"{where}: '{name}' must start with a letter or digit and use only "
                          "letters, digits and _ . : + -")
    return name


def _keys(item, valid, where: str, what: str) -> None:
    if not isinstance(item, dict):
        raise DesignError(f"{where}: expected a mapping with keys {', '.join(valid)}, got {_kind(item)}")
    unknown = sorted(set(map(str, item)) - set(valid))
    if unknown:
        raise DesignError(f"{where}: unknown key '{unknown[0]}' ({did_you_mean(valid)})")


def _accumulator_spec(value, where: str) -> str:
    """An accumulator as its string spelling: a string (``fp16``, ``fp16:subnormals``,
    ``kulisch:27``), or a mapping ``{format: fp16, subnormals: true}``."""
    if not isinstance(value, dict):
        return _string(value, where)
    _keys(value, ("format", "subnormals"), where, "accumulator")
    name = _string(value.get("format"), f"{where}.format")
    subnormals = value.get("subnormals", False)
    if not isinstance(subnormals, bool):
        raise DesignError(f"{where}.subnormals: expected true or false, got {_kind(subnormals)} {shown(subnormals)}")
    if subnormals and name.lower().startswith("kulisch"):
        raise DesignError(f"{where}.subnormals: applies to floating-point accumulators only, not {shown(name)}")
    return name + (SUBNORMALS if subnormals else "")


def parse_config(item, where: str, datapaths=(), formats=None) -> Config:
    """Validate one config mapping (``where`` prefixes every message). ``formats``: the
    design's own formats by name; a :class:`Format` object given as weights or
    activations is added to it."""
    formats = {} if formats is None else formats
    _keys(item, CONFIG_KEYS, where, "config")
    if "name" not in item:
        raise DesignError(f"{where}: missing key 'name'")
    name = _name(item["name"], f"{where}.name")
    if "datapath" in item:
        extra = sorted(set(item) - {"name", "datapath"})
        if extra:
            raise DesignError(f"{where}.{extra[0]}: a config with a custom datapath takes only "
                              "name and datapath")
        dp = _string(item["datapath"], f"{where}.datapath")
        if dp not in datapaths:
            raise DesignError(f"{where}.datapath: unknown datapath '{dp}' "
                              f"({did_you_mean(datapaths) if datapaths else 'the design defines no datapaths'})")
        return Config(name, datapath=dp)
    if "weights" not in item:
        raise DesignError(f"{where}: missing key 'weights' (or 'datapath')")
    names = []
    for key in ("weights", "activations"):
        value = item.get(key, item["weights"])
        if isinstance(value, Format):  # the API takes Format objects where names go
            if formats.setdefault(value.name, value) != value:
                raise DesignError(f"{where}.{key}: another format is already named '{value.name}'")
            value = value.name
        names.append(_string(value, f"{where}.{key}"))
    weights, activations = names
    acc = _accumulator_spec(item.get("accumulator", "kulisch"), f"{where}.accumulator")
    formats_ = []
    for key, value in (("weights", weights), ("activations", activations)):
        try:
            formats_.append(lookup(value, formats))
        except MacgatesError as exc:
            raise DesignError(f"{where}.{key}: {exc}") from None
    try:
        product = product_of(*formats_)
    except MacgatesError as exc:
        raise DesignError(f"{where}: {exc}") from None
    try:
        accumulator = parse_accumulator(acc)
        accumulator.acc_bits(product)
    except MacgatesError as exc:
        raise DesignError(f"{where}.accumulator: {exc}") from None
    multiplier = _string(item.get("multiplier", "array"), f"{where}.multiplier")
    if multiplier not in MULTIPLIERS:
        raise DesignError(f"{where}.multiplier: unknown multiplier '{multiplier}' "
                          f"({did_you_mean(MULTIPLIERS)})")
    adder = _string(item.get("adder", "ripple"), f"{where}.adder")
    if adder not in ADDERS:
        raise DesignError(f"{where}.adder: unknown adder style '{adder}' ({did_you_mean(ADDERS)})")
    align = _string(item.get("align", "swap"), f"{where}.align")
    if align not in ALIGNS:
        raise DesignError(f"{where}.align: unknown align '{align}' ({did_you_mean(ALIGNS)})")
    if "align" in item and not isinstance(accumulator, FloatingPoint):
        raise DesignError(f"{where}.align: applies to floating-point accumulators only, "
                          f"not '{acc}'")
    pipe = item.get("product_pipe")
    if pipe is not None and not isinstance(pipe, bool):
        raise DesignError(f"{where}.product_pipe: expected true or false, got {_kind(pipe)} {shown(pipe)}")
    k = item.get("k", 1)
    try:
        check_k(k, *formats_)
    except MacgatesError as exc:
        raise DesignError(f"{where}.k: {exc}") from None
    return Config(name, weights, activations, acc, multiplier, align, pipe, k=k, adder=adder)


def parse_datapath(name: str, spec, where: str, library: Library) -> DatapathSpec:
    _keys(spec, DATAPATH_KEYS, where, "datapath")
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise DesignError(f"{where}.description: expected a string, got {_kind(description)}")
    comps = spec.get("components")
    if not isinstance(comps, dict) or not comps:
        raise DesignError(f"{where}.components: expected a non-empty mapping name -> "
                          f"{{primitive, category, params...}}, got {_kind(comps)}")
    parsed = []
    probe = Datapath(name, library=library)
    for cname, cspec in comps.items():
        cwhere = f"{where}.components.{cname}"
        cname = _name(str(cname), cwhere)
        if not isinstance(cspec, dict):
            raise DesignError(f"{cwhere}: expected a mapping with keys primitive, category and the "
                              f"primitive's parameters, got {_kind(cspec)}")
        primitive = _string(cspec.get("primitive"), f"{cwhere}.primitive")
        if primitive not in library:
            raise DesignError(f"{cwhere}.primitive: unknown primitive '{primitive}' "
                              f"({did_you_mean(library.primitives)})")
        params = library.primitive(primitive).params
        unknown = sorted(set(map(str, cspec)) - set(COMPONENT_KEYS) - set(params))
        if unknown:
            raise DesignError(f"{cwhere}: unknown key '{unknown[0]}' "
                              f"({did_you_mean(COMPONENT_KEYS + params)})")
        missing = [p for p in params if p not in cspec]
        if missing:
            raise DesignError(f"{cwhere}: missing parameter '{missing[0]}' of {primitive}"
                              f"({', '.join(params)})")
        category = _string(cspec.get("category"), f"{cwhere}.category")
        if category not in CATEGORIES:
            raise DesignError(f"{cwhere}.category: unknown category '{category}' ({did_you_mean(CATEGORIES)})")
        note = cspec.get("note", "")
        if not isinstance(note, str):
            raise DesignError(f"{cwhere}.note: expected a string, got {_kind(note)}")
        values = {p: cspec[p] for p in params}
        try:
            probe.add(cname, primitive, category=category, note=note, **values)
        except MacgatesError as exc:
            raise DesignError(f"{cwhere}: {_strip(exc, name)}") from None
        parsed.append((cname, primitive, category, note, values))
    conns = spec.get("connections")
    if not isinstance(conns, list):
        raise DesignError(f"{where}.connections: expected a list of [from, to, width], got {_kind(conns)}")
    edges = []
    for i, conn in enumerate(conns):
        cwhere = f"{where}.connections[{i}]"
        if not isinstance(conn, list) or len(conn) != 3:
            raise DesignError(f"{cwhere}: expected [from, to, width], got {shown(conn)}")
        src, dst, width = conn
        try:
            probe.connect(str(src), str(dst), width)
        except MacgatesError as exc:
            raise DesignError(f"{cwhere}: {_strip(exc, name)}") from None
        edges.append((str(src), str(dst), width))
    try:
        probe.validate()
    except MacgatesError as exc:
        raise DesignError(f"{where}: {_strip(exc, name)}") from None
    return DatapathSpec(name, tuple(parsed), tuple(edges), description)


def _strip(exc: Exception, name: str) -> str:
    """A datapath error without the datapath and component names the key path gives."""
    text = str(exc).removeprefix(f"{name}: ")
    return re.sub(r"^component '[^']*': ", "", text)


def _library(data, origin: str, path: Path | None, library: Library | None) -> Library:
    if library is None and "library" in data:
        rel = Path(_string(data["library"], f"{origin}: library"))
        full = rel if rel.is_absolute() or path is None else path.parent / rel
        try:
            library = load_library(full)
        except MacgatesError as exc:
            raise DesignError(f"{origin}: library: {exc}") from None
    library = library or load_library()
    if "library_overrides" in data:
        overrides = data["library_overrides"]
        if not isinstance(overrides, dict) or not overrides:
            raise DesignError(f"{origin}: library_overrides: expected a mapping primitive -> cost "
                              f"formula, got {_kind(overrides)}")
        try:
            library = library.with_overrides(overrides, origin="library_overrides")
        except MacgatesError as exc:
            raise DesignError(f"{origin}: {exc}") from None
    return library


def design_from_mapping(data, origin: str, path: Path | None = None,
                        library: Library | None = None) -> Design:
    """Validate a design; ``library`` (a Library, a path or ``"default"``) replaces the
    design's own ``library`` key."""
    library = as_library(library)
    _keys(data, TOP_KEYS, origin, "design")
    if type(data.get("macgates")) is not int or data["macgates"] != SCHEMA_VERSION:  # not True, not 1.0
        raise DesignError(f"{origin}: macgates: expected schema version {SCHEMA_VERSION}, "
                          f"got {shown(data.get('macgates'))}")
    name = _string(data.get("name"), f"{origin}: name")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise DesignError(f"{origin}: description: expected a string, got {_kind(description)}")
    lib = _library(data, origin, path, library)
    formats = parse_formats(data.get("formats", {}), origin)
    specs = data.get("datapaths", {})
    if not isinstance(specs, dict):
        raise DesignError(f"{origin}: datapaths: expected a mapping name -> datapath, got {_kind(specs)}")
    datapaths = {}
    for dname, spec in specs.items():
        dname = _name(str(dname), f"{origin}: datapaths.{dname}")
        datapaths[dname] = parse_datapath(dname, spec, f"{origin}: datapaths.{dname}", lib)
    items = data.get("configs")
    if not isinstance(items, list) or not items:
        raise DesignError(f"{origin}: configs: expected a non-empty list of configs, got {_kind(items)}")
    if len(items) > MAX_CONFIGS:
        raise DesignError(f"{origin}: configs: {len(items)} configs, at most {MAX_CONFIGS} allowed")
    configs, seen = [], {}
    for i, item in enumerate(items):
        cfg = parse_config(item, f"{origin}: configs[{i}]", datapaths, formats)
        if cfg.name in seen:
            raise DesignError(f"{origin}: configs[{i}].name: duplicate config name '{cfg.name}' "
                              f"(first at configs[{seen[cfg.name]}])")
        seen[cfg.name] = i
        configs.append(cfg)
    baseline = data.get("baseline")
    if baseline is not None:
        baseline = _string(baseline, f"{origin}: baseline")
        if baseline not in seen:
            raise DesignError(f"{origin}: baseline: '{baseline}' is not a config ({did_you_mean(seen)})")
    data_spec = parse_data(data["data"], origin, path, formats) if "data" in data else None
    return Design(name, tuple(configs), baseline, description, path, lib, datapaths, formats, data_spec)


def parse_data(spec, origin: str, path: Path | None = None, formats=None) -> dict:
    """A design's ``data:``: ``weights`` and ``activations`` (data specs: a distribution or
    a tensor file, relative to the design's folder), and optionally ``scale`` (absmax or
    mse, default mse), ``samples`` and ``seed`` (DATA_DEFAULTS). Both operands' specs are
    needed. A distribution or ``codes:FORMAT`` (``formats``: the design's own formats by
    name) is checked here (:func:`macgates.accuracy.data.check`: no sample drawn); a tensor
    file is read, and samples drawn, when the report is made. ``given`` holds the two specs as written (a file's path not resolved)."""
    from ..accuracy import RULES
    from ..accuracy.data import check, tensor_path

    where = f"{origin}: data"
    if not isinstance(spec, dict):
        raise DesignError(f"{where}: expected a mapping with keys {', '.join(DATA_KEYS)}, got {_kind(spec)}")
    _keys(spec, DATA_KEYS, where, "data")
    out = dict(DATA_DEFAULTS)
    if "scale" in spec:
        if spec["scale"] not in RULES:
            raise DesignError(f"{where}.scale: expected one of {', '.join(RULES)}, got {shown(spec['scale'])}")
        out["scale"] = spec["scale"]
    for key, least, most in (("samples", 1, MAX_DATA_SAMPLES), ("seed", 0, 2**63 - 1)):
        if key in spec:
            value = spec[key]
            if type(value) is not int or not least <= value <= most:
                raise DesignError(f"{where}.{key}: expected a whole number from {least} to {most:,}, got {shown(value)}")
            out[key] = value
    out["given"] = {}
    for operand in ("weights", "activations"):
        text = spec.get(operand)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_SPEC:
            raise DesignError(f"{where}.{operand}: expected a data spec (normal, student-t:3, w.npy, ...: "
                              f"docs/accuracy.md), {'it is missing' if text is None else f'got {shown(text)}'}")
        text = text.strip()
        out["given"][operand] = text
        file = tensor_path(text)
        if file is None:  # a distribution or codes:FORMAT (or a misspelling): checked now
            try:
                check(text, formats)
            except MacgatesError as exc:
                raise DesignError(f"{where}.{operand}: {str(exc).removeprefix('data ')}") from None
        elif path is not None and not Path(file).is_absolute():
            text = str(path.parent / text)  # a tensor file, beside the design
        out[operand] = text
    return out


MAX_FORMATS = 1000


def parse_formats(specs, origin: str) -> dict:
    """A design's ``formats:`` mapping, name -> Format record (see docs/design-files.md);
    a later entry may use an earlier one as its ``base`` or ``scale``."""
    if not isinstance(specs, dict):
        raise DesignError(f"{origin}: formats: expected a mapping name -> format record, got {_kind(specs)}")
    if len(specs) > MAX_FORMATS:
        raise DesignError(f"{origin}: formats: {len(specs)} formats, at most {MAX_FORMATS} allowed")
    formats: dict = {}
    for name, spec in specs.items():
        where = f"{origin}: formats.{str(name)[:64]}"
        if not isinstance(name, str):
            raise DesignError(f"{where}: a format name must be a string, got {_kind(name)}")
        if is_known(name):
            raise DesignError(f"{where}: '{name}' is a built-in format name; pick another name")
        try:
            formats[name] = define(name, spec, formats)
        except MacgatesError as exc:
            key, sep, rest = str(exc).partition(": ")
            raise DesignError(f"{where}.{key}: {rest}" if sep and key in RECORD_KEYS
                              else f"{where}: {exc}") from None
    return formats



def load_design(path, library: Library | None = None) -> Design:
    """Load and validate a design file, or a bundled design by name (``modern-formats``);
    ``library`` replaces the design's ``library`` key."""
    path = find_design(path)
    return design_from_mapping(read_yaml(path, DesignError), str(path), path, library)


def find_design(name) -> Path:
    """The file a design name means: a path that exists or ends in .yaml/.yml, else a
    bundled design's stem."""
    path = Path(name)
    text = str(name)
    try:
        exists = path.exists()
    except OSError:  # a name too long for a path, say: not a file
        exists = False
    if exists or text.endswith((".yaml", ".yml")) or "/" in text:
        return path
    bundled = bundled_designs()
    if text in bundled:
        return bundled[text]
    named = bundled_names()
    if text in named:
        return named[text]
    raise DesignError(f"{text[:80]!r}: no such file or bundled design ({did_you_mean(bundled)})")


def bundled_designs() -> dict[str, Path]:
    """Bundled design files by stem (``paper_fig3`` ...)."""
    return {p.stem: p for p in sorted(designs_dir().glob("*.yaml"))}


@functools.lru_cache(maxsize=1)
def bundled_names() -> dict[str, Path]:
    """Bundled design files by the ``name`` they declare (``booth-vs-array`` ...): a
    bundled design is found by its file's stem or by its name."""
    return {read_yaml(p, DesignError)["name"]: p for p in bundled_designs().values()}


def default_design(library: Library | None = None) -> Design:
    return load_design(bundled_designs()["paper_fig3"], library)
