"""The multiplier: from two input formats to a product an accumulator can take.

Every product width the accumulators use is derived here, once, in :class:`Product`.

* Integer x integer: a two's-complement array multiplier (modified Baugh-Wooley). Its
  cost in App. B terms equals the unsigned N x N array: the complemented partial-product
  bits are NAND2 (cost 1, like AND2); the correction constant 2^N enters the spare input
  of the first row's top full adder, and the one at 2^(2N-1) is an inverter on the MSB,
  which costs 0 under C = sum(F_in - 1).
* Float x float: decode the hidden bits and subnormal exponents, XOR the signs,
  multiply the (M+1)-bit significands with an unsigned array, add the effective
  exponents. The product is sign + magnitude + exponent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .datapath import Datapath
from .errors import DatapathError
from .formats import Format


@dataclass(frozen=True)
class Product:
    """What a multiplier hands to an accumulator."""

    weights: Format
    activations: Format
    encoding: str  # 'twos' (two's-complement integer) or 'signmag' (sign, magnitude, exponent)
    sig_bits: int  # magnitude bits ('signmag'); the two's-complement word ('twos')
    exp_bits: int  # width of the exponent sum, 0 for integers
    shift_min: int  # exponent sum = left shift that places the product in fixed point
    shift_max: int
    fixed_width: int  # two's-complement bits that hold every product exactly ("FX")
    lead_exp_range: tuple  # unbiased exponent of the leading one of a non-zero product
    bias_sum: int  # weights bias + activations bias (0 for integers)
    sign: str = ""  # node names of the outputs in the datapath
    sig: str = ""
    exp: str = ""

    @property
    def is_float(self) -> bool:
        return self.encoding == "signmag"


def product_of(weights: Format, activations: Format) -> Product:
    """The product's widths, without building anything."""
    if weights.is_float != activations.is_float:
        raise DatapathError(f"{weights.name} x {activations.name}: integer x floating-point "
                            "products are not supported yet")
    if not weights.is_float:
        if weights.bits != activations.bits:
            raise DatapathError(f"{weights.name} x {activations.name}: integer inputs of different "
                                "widths are not supported yet")
        n, m = weights.bits, activations.bits
        symmetric = weights.symmetric and activations.symmetric
        fixed = n + m - 1 if symmetric else n + m
        return Product(weights, activations, "twos", fixed, 0, 0, 0, fixed,
                       (0, fixed - 2), 0)
    p = weights.sig_bits + activations.sig_bits
    lo = weights.ulp_exp_range[0] + activations.ulp_exp_range[0]
    hi = weights.ulp_exp_range[1] + activations.ulp_exp_range[1] + p - 1
    # Effective exponents start at 1 (subnormals), so the sum starts at 2; the fixed-point
    # product needs the p significand bits plus the span of the sum, plus a sign.
    smax = weights.max_exp_field + activations.max_exp_field
    fixed = 1 + p + (smax - 2)
    exp_bits = max(weights.exp_bits, activations.exp_bits) + 1
    return Product(weights, activations, "signmag", p, exp_bits, 2, smax, fixed, (lo, hi),
                   weights.bias + activations.bias)


def build_multiplier(dp: Datapath, weights: Format, activations: Format) -> Product:
    """Add the multiplier's components to ``dp`` and return the product description."""
    prod = product_of(weights, activations)
    dp.port("w", "in", weights.bits)
    dp.port("a", "in", activations.bits)
    sw, sa = weights.sig_bits, activations.sig_bits
    if not prod.is_float:
        dp.add("pp_bits", "pp_bits", n=sw, m=sa, category="multiplier",
               note="two's-complement partial products (Baugh-Wooley: some are NAND2, same cost)")
        dp.add("pp_reduce", "pp_reduce", n=sw, m=sa, category="multiplier",
               note=f"array reduction to the {prod.fixed_width}-bit two's-complement product")
        dp.connect("w", "pp_bits", sw)
        dp.connect("a", "pp_bits", sa)
        dp.connect("pp_bits", "pp_reduce", sw * sa)
        return replace(prod, sign="pp_reduce", sig="pp_reduce")

    for port, fmt, tag in (("w", weights, "w"), ("a", activations, "a")):
        dp.add(f"decode_{tag}", "fp_decode", e=fmt.exp_bits, category="multiplier",
               note="hidden bit and subnormal exponent (App. A)")
        dp.connect(port, f"decode_{tag}", fmt.exp_bits)
    dp.add("sign_xor", "xor2", category="multiplier", note="product sign")
    dp.connect("w", "sign_xor", 1)
    dp.connect("a", "sign_xor", 1)
    dp.add("pp_bits", "pp_bits", n=sw, m=sa, category="multiplier",
           note="significand partial products, hidden bits included")
    dp.add("pp_reduce", "pp_reduce", n=sw, m=sa, category="multiplier",
           note=f"array reduction to the {prod.sig_bits}-bit significand product")
    dp.connect("w", "pp_bits", weights.man_bits)
    dp.connect("a", "pp_bits", activations.man_bits)
    dp.connect("decode_w", "pp_bits", 1)
    dp.connect("decode_a", "pp_bits", 1)
    dp.connect("pp_bits", "pp_reduce", sw * sa)
    ew = prod.exp_bits - 1
    dp.add("exp_add", "adder", n=ew, category="multiplier",
           note=f"sum of effective exponents, {prod.shift_min}..{prod.shift_max}")
    dp.connect("decode_w", "exp_add", weights.exp_bits)
    dp.connect("decode_a", "exp_add", activations.exp_bits)
    return replace(prod, sign="sign_xor", sig="pp_reduce", exp="exp_add")
