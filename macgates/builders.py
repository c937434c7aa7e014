"""Building a MAC datapath: a multiplier plus an accumulator chosen by argument.

The accumulator is an object with an ``attach(datapath, product)`` method, so a new
style is a new object, not a new flag: :class:`~macgates.kulisch.Kulisch` (fixed point)
or :class:`~macgates.floating.FloatingPoint`. Strings name them: ``"kulisch"``,
``"kulisch:N"`` (an N-bit register), or a floating-point format name (``"fp16"``).
"""

from __future__ import annotations

import re

from .datapath import Datapath
from .errors import DatapathError
from .floating import FloatingPoint
from .formats import format as get_format
from .kulisch import Kulisch
from .library import Library
from .multiplier import add_product_pipe, build_multiplier

_KULISCH = re.compile(r"^kulisch(?::(\d+))?$")
ACCUMULATOR_HELP = "kulisch, kulisch:N (N-bit fixed point), or a float format: fp16, bf16, fp32"


def accumulator(spec):
    """An accumulator object from a spec string (objects pass through)."""
    if isinstance(spec, (Kulisch, FloatingPoint)):
        return spec
    if not isinstance(spec, str):
        raise DatapathError(f"accumulator must be a string ({ACCUMULATOR_HELP}), got {type(spec).__name__}")
    text = spec.strip().lower()
    match = _KULISCH.match(text)
    if match:
        return Kulisch(None if match.group(1) is None else int(match.group(1)))
    try:
        fmt = get_format(text)
    except Exception:
        raise DatapathError(f"unknown accumulator '{spec}' ({ACCUMULATOR_HELP})") from None
    if not fmt.is_float:
        raise DatapathError(f"accumulator '{spec}' is an integer format; for an integer "
                            f"accumulator write kulisch:{fmt.bits}")
    return FloatingPoint(fmt)


def mac(weights, activations=None, accumulator="kulisch", library: Library | None = None, *,
        multiplier="array", product_pipe: bool | None = None) -> Datapath:
    """A scalar multiply-accumulate datapath: ``weights x activations`` into ``accumulator``.

    ``multiplier``: ``"array"`` (App. B), ``"booth"`` (radix-4) or a callable (see
    :func:`macgates.multiplier.build_multiplier`). ``product_pipe``: register the product
    before accumulating; ``None`` takes the accumulator's default (yes for a fixed-point
    accumulator of float products, as in Figure 2; no otherwise).
    """
    w = get_format(weights)
    a = get_format(activations) if activations is not None else w
    acc = _accumulator(accumulator)
    if product_pipe is not None and not isinstance(product_pipe, bool):
        raise DatapathError(f"product_pipe must be true or false, got {product_pipe!r}")
    dp = Datapath(library, name=f"{w.name}x{a.name}-{acc}" if a != w else f"{w.name}-{acc}")
    product = build_multiplier(dp, w, a, multiplier)
    if product_pipe if product_pipe is not None else acc.default_pipe(product):
        product = add_product_pipe(dp, product)
    acc.attach(dp, product)
    dp.info.update(weights=w.name, activations=a.name, accumulator=acc.kind,
                   multiplier=multiplier if isinstance(multiplier, str) else getattr(multiplier, "__name__", "custom"))
    return dp


_accumulator = accumulator
