"""Building a MAC datapath: a multiplier plus an accumulator chosen by argument.

The accumulator is an object with an ``attach(datapath, product)`` method, so a new
style is a new object, not a new flag: :class:`~macgates.datapath.kulisch.Kulisch` (fixed point)
or :class:`~macgates.datapath.floating.FloatingPoint`. Strings name them: ``"kulisch"``,
``"kulisch:N"`` (an N-bit register), or a floating-point format name (``"fp16"``).
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..formats.spec import format as get_format
from ..library.adders import adder_style, with_adder
from ..library.primitives import Library
from ..support.counts import exact
from ..support.errors import DatapathError, shown
from .dotproduct import apply_scale, check_k
from .floating import SUBNORMALS, FloatingPoint
from .graph import MAX_WIDTH, Datapath
from .kulisch import Kulisch
from .multiplier import add_product_pipe, build_multiplier, product_of
from .timing import TimedSheet, compose, input_names, stage_of

_KULISCH = re.compile(r"^kulisch(?::([0-9]+))?$")
ACCUMULATOR_HELP = ("kulisch, kulisch:N (N-bit fixed point), any float format (fp16, bf16, fp32, tf32, "
                    "fp8_e4m3, ...: macgates list formats), or FORMAT:subnormals")


def parse_accumulator(spec):
    """An accumulator object from a spec string (objects pass through): ``kulisch``,
    ``kulisch:N``, a float format's name, or ``NAME:subnormals`` (IEEE gradual underflow)."""
    if isinstance(spec, (Kulisch, FloatingPoint)):
        return spec
    if not isinstance(spec, str):
        raise DatapathError(f"accumulator must be a string ({ACCUMULATOR_HELP}), got {type(spec).__name__}")
    text = spec.strip().lower()
    match = _KULISCH.match(text)
    if match:
        digits = match.group(1)
        if digits is not None and (len(digits) > 4 or int(digits) > MAX_WIDTH):
            raise DatapathError(f"{text[:20]}{'...' if len(text) > 20 else ''}: a Kulisch accumulator is at most "
                                f"{MAX_WIDTH} bits wide")
        return Kulisch(None if digits is None else int(digits))
    subnormals = text.endswith(SUBNORMALS)
    if subnormals:
        text = text[:-len(SUBNORMALS)]
    try:
        fmt = get_format(text)
    except Exception:
        raise DatapathError(f"unknown accumulator {shown(spec)} ({ACCUMULATOR_HELP})") from None
    if not fmt.is_float:
        raise DatapathError(f"accumulator {shown(spec)} is an integer format; for an integer "
                            f"accumulator write kulisch:{fmt.bits}")
    return FloatingPoint(fmt, subnormals=subnormals)


def mac(weights, activations=None, accumulator="kulisch", library: Library | None = None, *,
        multiplier="array", adder=None, product_pipe: bool | None = None) -> Datapath:
    """A scalar multiply-accumulate datapath: ``weights x activations`` into ``accumulator``.

    ``multiplier``: ``"array"`` (App. B), ``"booth"`` (radix-4) or a callable (see
    :func:`macgates.datapath.multiplier.build_multiplier`). ``adder``: the accumulator adder's style,
    ``"ripple"`` (App. B), ``"kogge_stone"`` or ``"brent_kung"`` (:data:`macgates.library.adders.ADDERS`);
    ``None`` keeps the accumulator's own (ripple unless it was built with one). ``product_pipe``:
    register the product before accumulating; ``None`` takes the accumulator's default (yes
    for a fixed-point accumulator of float products, as in Figure 2; no otherwise). This is
    ``dot(k=1)``.
    """
    return dot(weights, activations, 1, accumulator, library, multiplier=multiplier, adder=adder,
               product_pipe=product_pipe)


def dot(weights, activations=None, k: int = 32, accumulator="fp32", library: Library | None = None, *,
        multiplier="array", adder=None, product_pipe: bool | None = None) -> Datapath:
    """A k-term dot-product unit: k multipliers, an adder tree, block-scale handling for
    block formats, one accumulation per k products (see :mod:`macgates.datapath.dotproduct`).
    ``.gates`` is the whole unit, ``.gates_per_mac`` = gates / k, exactly. ``multiplier``,
    ``adder`` and ``product_pipe`` as for :func:`mac`."""
    w = get_format(weights)
    a = get_format(activations) if activations is not None else w
    acc = parse_accumulator(accumulator)
    if adder is not None:
        acc = replace(acc, adder=adder_style(adder).name)
    if product_pipe is not None and not isinstance(product_pipe, bool):
        raise DatapathError(f"product_pipe must be true or false, got {shown(product_pipe)}")
    return cheapest_unit(w, a, k, acc, library, multiplier, product_pipe)


def cheapest_unit(w, a, k, acc, library, multiplier, product_pipe, memo=None):
    """The k-term unit of ``w`` x ``a`` into ``acc``: for float products into an ``auto``
    accumulator, the cheaper of the exact and align combines. With ``memo``, costed on
    cached cost-only stages: (gates, info) instead of a Datapath (what sweeps use)."""
    check_k(k, w, a)
    if k > 1 and acc.combine == "auto" and (w.is_float or a.is_float):
        # the smallest gate count of the two ways to add k float products
        built = [_dot(w, a, k, replace(acc, combine=c), library, multiplier, product_pipe, memo)
                 for c in ("exact", "align")]
        unit = min(built, key=lambda d: d[0] if memo is not None else d.gates)
    else:
        unit = _dot(w, a, k, acc, library, multiplier, product_pipe, memo)
    if memo is None:
        return unit
    gates, info, stages = unit  # the critical path and the loop of the one chosen
    info = dict(info)
    info["delay"], info["loop_delay"] = compose(stages, memo.setdefault("plans", {}))  # (None: unknown, or no loop)
    return gates, info


def _dot(w, a, k, acc, library, multiplier, product_pipe, memo: dict | None = None):
    """Build the unit. With ``memo`` (a dict), build it as cost-only stages, each cached by
    its inputs, and return (gates, info, the stages' timing parts) instead of a Datapath:
    what sweeps use."""
    name = (f"{w.name}x{a.name}-{acc}" if a != w else f"{w.name}-{acc}") + with_adder("", acc.adder)
    dp = None if memo is not None else Datapath(name if k == 1 else f"{name}-k{k}", library=library)
    total, info, graphs = 0, {}, []

    def stage(key, build, *args):
        nonlocal total
        if memo is None:
            return build(dp, *args)
        hit = memo.get(key)
        if hit is None:
            units = memo.setdefault("units", {})
            sheet = TimedSheet(library, units=units)
            out = build(sheet, *args)
            hit = memo[key] = (sheet.total, dict(sheet.info), out,
                               stage_of(sheet, (build, args), memo.setdefault("shapes", {}),
                                        (key[0], input_names(args[0]))))
        total += hit[0]
        info.update(hit[1])
        graphs.append(hit[3])
        return hit[2]

    pipe = product_pipe if product_pipe is not None else acc.default_pipe(product_of(w, a), k)
    product = stage(("mult", w, a, multiplier, k, pipe), _multiply, w, a, multiplier, k, pipe)
    if k > 1:
        product = stage(("combine", acc, product, k), acc.combine_step, product, k)
        info["combine"] = "align" if product.exp_bits else "exact"
    if w.is_block or a.is_block:
        product = stage(("scale", product, w, a), apply_scale, product, w, a)
    stage(("attach", acc, product), acc.attach, product)
    info.update(weights=w.name, activations=a.name, accumulator=acc.kind, k=k, adder=acc.adder,
                multiplier=multiplier if isinstance(multiplier, str) else getattr(multiplier, "__name__", "custom"))
    if memo is not None:
        return exact(total), info, graphs
    dp.info.update(info)
    dp.built_for.update(weights=w, activations=a, accumulator=acc)
    return dp


def _multiply(dp, w, a, multiplier, k, pipe):
    product = build_multiplier(dp, w, a, multiplier, count=k)
    return add_product_pipe(dp, product, count=k) if pipe else product


accumulator = parse_accumulator  # the public API name
