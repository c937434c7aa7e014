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


def array_multiplier(dp: Datapath, n: int, m: int, *, signed: bool, note: str) -> tuple[str, str, str]:
    """App. B's array: n*m partial-product bits, a Braun array of ripple rows.
    Returns the nodes taking the n-bit and the m-bit operand, and the product node."""
    kind = "two's-complement (Baugh-Wooley: some bits are NAND2, same cost)" if signed else "unsigned"
    dp.add("pp_bits", "pp_bits", n=n, m=m, category="multiplier", note=f"{kind} partial products")
    dp.add("pp_reduce", "pp_reduce", n=n, m=m, category="multiplier", note=note)
    dp.connect("pp_bits", "pp_reduce", n * m)
    dp.info.update(pp_rows=min(n, m), pp_bits=n * m)
    return "pp_bits", "pp_bits", "pp_reduce"


def booth_multiplier(dp: Datapath, n: int, m: int, *, signed: bool, note: str) -> tuple[str, str, str]:
    """Radix-4 Booth: ceil(m/2) rows instead of m. Booth digits are signed, so unsigned
    operands are recoded one bit wider (a zero sign bit)."""
    if not signed:
        n, m = n + 1, m + 1
    rows = (m + 1) // 2
    dp.add("booth_encode", "booth_encode", m=m, category="multiplier",
           note=f"{rows} radix-4 digits of the activation")
    dp.add("pp_select", "booth_select", n=n, m=m, category="multiplier",
           note=f"{rows} rows of {n + 1} bits: 0, +-X, +-2X")
    dp.add("pp_reduce", "booth_reduce", n=n, m=m, category="multiplier", note=note)
    dp.connect("booth_encode", "pp_select", 3 * rows)
    dp.connect("pp_select", "pp_reduce", rows * (n + 1))
    dp.info.update(pp_rows=rows, pp_bits=rows * (n + 1))
    return "pp_select", "booth_encode", "pp_reduce"


MULTIPLIERS = {"array": array_multiplier, "booth": booth_multiplier}


def multiplier_style(style):
    """A multiplier builder from a name (``array``, ``booth``) or a callable."""
    if callable(style):
        return style
    try:
        return MULTIPLIERS[style]
    except (KeyError, TypeError):
        raise DatapathError(f"unknown multiplier '{style}' (valid: {', '.join(MULTIPLIERS)})") from None


def build_multiplier(dp: Datapath, weights: Format, activations: Format, style="array") -> Product:
    """Add the multiplier's components to ``dp`` and return the product description.

    ``style`` builds the significand multiplier: ``"array"`` (App. B), ``"booth"``
    (radix-4), or a callable ``f(dp, n, m, signed=..., note=...) -> (w_node, a_node,
    product_node)`` that adds components and returns the names of the nodes taking the
    weight and activation operands and of the node giving the product.
    """
    build = multiplier_style(style)
    prod = product_of(weights, activations)
    dp.port("w", "in", weights.bits)
    dp.port("a", "in", activations.bits)
    sw, sa = weights.sig_bits, activations.sig_bits
    if not prod.is_float:
        w_node, a_node, last = build(dp, sw, sa, signed=True,
                                     note=f"reduction to the {prod.fixed_width}-bit two's-complement product")
        dp.connect("w", w_node, sw)
        dp.connect("a", a_node, sa)
        return replace(prod, sign=last, sig=last)

    for port, fmt, tag in (("w", weights, "w"), ("a", activations, "a")):
        dp.add(f"decode_{tag}", "fp_decode", e=fmt.exp_bits, category="multiplier",
               note="hidden bit and subnormal exponent (App. A)")
        dp.connect(port, f"decode_{tag}", fmt.exp_bits)
    dp.add("sign_xor", "xor2", category="multiplier", note="product sign")
    dp.connect("w", "sign_xor", 1)
    dp.connect("a", "sign_xor", 1)
    w_node, a_node, last = build(dp, sw, sa, signed=False,
                                 note=f"reduction to the {prod.sig_bits}-bit significand product")
    dp.connect("w", w_node, weights.man_bits)
    dp.connect("a", a_node, activations.man_bits)
    dp.connect("decode_w", w_node, 1)
    dp.connect("decode_a", a_node, 1)
    ew = prod.exp_bits - 1
    dp.add("exp_add", "adder", n=ew, category="multiplier",
           note=f"sum of effective exponents, {prod.shift_min}..{prod.shift_max}")
    dp.connect("decode_w", "exp_add", weights.exp_bits)
    dp.connect("decode_a", "exp_add", activations.exp_bits)
    return replace(prod, sign="sign_xor", sig=last, exp="exp_add")


def add_product_pipe(dp: Datapath, product: Product) -> Product:
    """Register the product (sign, significand, exponent) and return it re-pointed at the
    register: the pipe stage of whitepaper Figure 2."""
    bits = product.fixed_width if not product.is_float else 1 + product.sig_bits + product.exp_bits
    dp.add("product_pipe", "register", n=bits, category="register",
           note="product pipe stage" + (": sign, significand product, exponent sum" if product.is_float else ""))
    if product.is_float:
        dp.connect(product.sign, "product_pipe", 1)
        dp.connect(product.sig, "product_pipe", product.sig_bits)
        dp.connect(product.exp, "product_pipe", product.exp_bits)
        return replace(product, sign="product_pipe", sig="product_pipe", exp="product_pipe")
    dp.connect(product.sig, "product_pipe", product.fixed_width)
    return replace(product, sign="product_pipe", sig="product_pipe")
