"""What a name given to ``show``, ``table`` (and the API's :func:`resolve`) means.

In this order:

1. a design file (a path that exists, or ends in ``.yaml``/``.yml``);
2. a bundled design (``modern-formats``; ``macgates list designs``);
3. a config of the Figure 3 design (``fp8_e4m3-fp16``);
4. a config spelled out: ``WEIGHTS[xACTIVATIONS]-ACCUMULATOR[-ADDER][-kN]``
   (``float8_e4m3fn-fp32``, ``int4xint8-fp32-k32``, ``int8-kulisch-kogge_stone``).

``k`` (the ``--k`` option) makes every chosen config a k-term dot-product unit, and
``adder`` (``--adder``) gives each the accumulator adder style
(:data:`macgates.library.adders.ADDERS`), named as it says: ``-kN``, ``-STYLE``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..datapath.dotproduct import check_k
from ..formats.spec import format as get_format
from ..formats.spec import is_known
from ..library.adders import ADDERS, adder_style, with_adder
from ..library.primitives import Library
from ..support.errors import DesignError, MacgatesError, did_you_mean, shown
from .schema import Design, bundled_designs, default_design, design_from_mapping, find_design, load_design

_K_SUFFIX = re.compile(r"^(.+)-k(\d{1,6})$")
MAX_NAME = 200


def resolve(name: str, config: str | None = None, k: int | None = None,
            library: Library | None = None, adder: str | None = None) -> tuple[Design, list]:
    """(design, configs) that ``name`` means, with ``config`` picked and ``k`` and
    ``adder`` applied."""
    if not isinstance(name, str) or not name.strip():
        raise DesignError("expected a design file, a bundled design or a config name")
    design = _design(name, library)
    if design is None:
        fig3 = default_design(library)
        if config is None and name in {c.name for c in fig3.configs}:
            design, configs = fig3, [fig3.config(name)]
        else:
            design = _spelled_out(name, fig3, library)
            configs = list(design.configs)
    else:
        configs = list(design.configs)
    if config is not None:
        configs = [design.config(config)]
    if k is not None:
        configs = _distinct([with_k(design, cfg, k) for cfg in configs], f"--k {k}")
    if adder is not None:
        configs = _distinct([with_adder_style(cfg, adder) for cfg in configs], f"--adder {adder}")
    return design, configs


def _distinct(configs: list, option: str) -> list:
    """Configs an option changed (``--k 16``): those that became the same config
    (``int8-k1`` and ``int8-k16`` with k = 16) once; two different ones of one name are an
    error."""
    out: dict = {}
    for cfg in configs:
        seen = out.setdefault(cfg.name, cfg)
        if seen != cfg:
            raise DesignError(f"{option}: two different configs would both be named {cfg.name}; pick one "
                              "with --config")
    return list(out.values())


def _design(name: str, library) -> Design | None:
    try:
        path = find_design(name)
    except DesignError:
        return None
    return load_design(path, library)


def with_k(design: Design, cfg, k: int):
    """``cfg`` as a k-term dot-product unit (k checked against its formats), named with
    its ``-kN`` (``nvfp4-fp32`` with k = 16: ``nvfp4-fp32-k16``; ``int8-k16`` with
    k = 32: ``int8-k32``)."""
    if cfg.datapath:
        raise DesignError(f"config {cfg.name}: --k does not apply to a custom datapath")
    try:
        check_k(k, design.format(cfg.weights), design.format(cfg.activations or cfg.weights))
    except MacgatesError as exc:
        raise DesignError(f"config {cfg.name}: {exc}") from None
    return replace(cfg, k=k, name=k_name(cfg.name, cfg.k, k))


def with_adder_style(cfg, adder: str):
    """``cfg`` with the accumulator adder style ``adder``, named with its ``-STYLE``
    (:func:`macgates.library.adders.with_adder`; a config that has a style keeps its name's)."""
    if cfg.datapath:
        raise DesignError(f"config {cfg.name}: --adder does not apply to a custom datapath")
    style = adder_style(adder).name
    if style == (cfg.adder or "ripple"):
        return replace(cfg, adder=style)
    name = cfg.name
    if cfg.adder not in (None, "ripple"):  # its -STYLE replaced
        name = name.replace(f"-{cfg.adder}", "", 1)
    return replace(cfg, adder=style, name=with_adder(name, style))


def k_name(name: str, old_k: int, k: int) -> str:
    """``name`` (of a config with ``old_k`` terms) for ``k`` terms: its ``-kN`` suffix
    replaced, or ``-kN`` added when k > 1."""
    match = _K_SUFFIX.match(name)
    if match and int(match.group(2)) == old_k:
        return f"{match.group(1)}-k{k}"
    return f"{name}-k{k}" if k != old_k else name


def _is_accumulator(text: str) -> bool:
    from ..datapath.builders import parse_accumulator

    try:
        parse_accumulator(text)
    except MacgatesError:
        return False
    return True


def _spelled_out(name: str, fig3: Design, library) -> Design:
    """A one-config design from WEIGHTS[xACTIVATIONS]-ACCUMULATOR[-ADDER][-kN]."""
    if len(name) > MAX_NAME:
        raise DesignError(f"{shown(name)}: no such file or bundled design, and too long for a config "
                          f"name (at most {MAX_NAME} characters)")
    k = 1
    match = _K_SUFFIX.match(name)
    if match:
        body, k = match.group(1), int(match.group(2))
    else:
        body = name
    adder = "ripple"
    rest, dash, last = body.rpartition("-")
    if dash and last in ADDERS and rest:
        body, adder = rest, last
    elif dash and "-" in rest and _is_accumulator(rest.rpartition("-")[2]) and not _is_accumulator(last):
        # WEIGHTS-ACCUMULATOR-SOMETHING: the something is read as an adder style
        raise DesignError(f"{name}: unknown adder style {shown(last)} after the accumulator "
                          f"({did_you_mean(ADDERS)}; WEIGHTS[xACTIVATIONS]-ACCUMULATOR[-ADDER][-kN])")
    head, sep, acc = body.rpartition("-")
    weights, activations = head, ""
    for i, ch in enumerate(head):  # W x A: split at the 'x' that leaves two format names
        if ch == "x" and is_known(head[:i]) and is_known(head[i + 1:]):
            weights, activations = head[:i], head[i + 1:]
            break
    if not sep or not weights:
        raise DesignError(
            f"{name!r} is not a design file, a bundled design ({did_you_mean(bundled_designs())}), "
            f"a Figure 3 config (e.g. {fig3.configs[0].name}) or WEIGHTS[xACTIVATIONS]-ACCUMULATOR[-ADDER][-kN]")
    if is_known(acc) and get_format(acc).kind == "int":
        bits = get_format(acc).bits
        fixed = f"for a fixed-point accumulator of {bits} bits write {head}-kulisch:{bits}"
        raise DesignError(f"{name}: the part after the last '-' is the accumulator, and {acc} is an integer "
                          f"format: " + (fixed if activations else
                                         f"for {weights} weights and {acc} activations write {weights}x{acc}-"
                                         f"ACCUMULATOR (e.g. {weights}x{acc}-kulisch); {fixed}"))
    item = {"name": name, "weights": weights, "accumulator": acc, "k": k, "adder": adder}
    if activations:
        item["activations"] = activations
    try:
        return design_from_mapping({"macgates": 1, "name": name, "configs": [item]}, name, library=library)
    except DesignError as exc:  # the config was typed, not a file's configs[0]: name its part
        text = str(exc)
        prefix = f"{name}: configs[0]."
        raise DesignError(f"{name}: {text[len(prefix):]}" if text.startswith(prefix) else text) from None
