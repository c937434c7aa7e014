"""The multiplier: from two input formats to a product an accumulator can take.

Every product width the accumulators use is derived here, once, in :class:`Product`.

* Integer x integer: a two's-complement array multiplier (modified Baugh-Wooley). For
  N x N its cost in App. B terms equals the unsigned array: the complemented
  partial-product bits are NAND2 (cost 1, like AND2); the correction constant 2^N takes
  the spare input of the first row's top full adder, and the one at 2^(2N-1) is an
  inverter on the MSB, which costs 0 under C = sum(F_in - 1). For N != M the two
  correction constants 2^(N-1) and 2^(M-1) each turn a half adder into a full adder.
* Float x float: decode the hidden bits and subnormal exponents, XOR the signs,
  multiply the (M+1)-bit significands with an unsigned array, add the effective
  exponents. The product is sign + magnitude + exponent.
* Integer x float: the integer becomes sign + magnitude (a conditional negate) and
  multiplies the float's significand; the product's exponent is the float's.
* Inputs with special codes (OCP float8_e4m3fn's NaN; IEEE-style infinity and NaN)
  get detection logic and product flags, which the accumulator then honours.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..formats.spec import Format
from ..support.errors import DatapathError
from .graph import Datapath


@dataclass(frozen=True)
class Product:
    """What a multiplier (or a dot-product unit's adder tree) hands to an accumulator.

    Its value is ``sig x 2^(exp + ulp_offset)``, ``exp`` being the exponent signal (the
    sum of effective exponent fields, in [shift_min, shift_max]; 0 for integers).
    """

    weights: Format
    activations: Format
    encoding: str  # 'twos' (two's-complement word) or 'signmag' (sign + magnitude)
    sig_bits: int  # magnitude bits ('signmag'); the two's-complement word ('twos')
    exp_bits: int  # width of the exponent signal, 0 if there is none
    shift_min: int  # range of the exponent signal: the left shift into fixed point
    shift_max: int
    fixed_width: int  # two's-complement bits that hold every product exactly ("FX")
    lead_exp_range: tuple  # unbiased exponent of the leading one of a non-zero product
    ulp_offset: int  # weight of the significand's LSB is 2^(exp + ulp_offset)
    specials: str = "none"  # 'none', 'nan' or 'nan_inf': special flags that come along
    tree_bits: int = 0  # bits an adder tree added to fixed_width (a block sum of k products)
    carry_in: bool = False  # a +1 still to be added (a negative product's correction)
    carry: str = ""  # where that +1 comes from: lane 0 of this node's bit carry_lsb
    carry_lsb: int = 0
    # node names of the outputs in the datapath; a two's-complement block sum's sign is in
    # its word, and ``sign`` is then where an infinite block's sign is (dot._or_flags)
    sign: str = ""
    sig: str = ""
    exp: str = ""
    special: str = ""
    # where in those nodes' outputs the fields start (a pipe register holds them side by
    # side); a replace() that moves a field to another node must set its lsb too
    sign_lsb: int = 0
    sig_lsb: int = 0
    exp_lsb: int = 0
    special_lsb: int = 0
    # where an infinite product's sign is when ``sign`` no longer says it (a block sum made
    # sign + magnitude for a scale multiply: its sign is then the finite sum's)
    inf_sign: str = ""
    inf_sign_lsb: int = 0

    @property
    def is_float(self) -> bool:
        return self.encoding == "signmag"

    @property
    def infinity_sign(self) -> tuple:
        """(node, bit) of an infinite product's sign."""
        return (self.inf_sign, self.inf_sign_lsb) if self.inf_sign else (self.sign, self.sign_lsb)

    @property
    def magnitude_bits(self) -> int:
        return self.sig_bits if self.encoding == "signmag" else self.sig_bits - 1


def _operand(fmt: Format) -> tuple:
    """(magnitude bits, smallest and largest effective exponent, LSB offset) of an operand
    of a sign-magnitude product."""
    if fmt.is_float:
        return fmt.sig_bits, fmt.min_exp_field, fmt.max_exp_field, -fmt.bias - fmt.man_bits
    return (fmt.bits - 1 if fmt.symmetric else fmt.bits), 0, 0, 0


def _specials(*fmts: Format) -> str:
    kinds = {f.specials for f in fmts}
    return "nan_inf" if "ieee" in kinds else "nan" if "fn" in kinds else "none"


def product_of(weights: Format, activations: Format) -> Product:
    """The product's widths, without building anything."""
    if not weights.is_float and not activations.is_float:
        n, m = weights.bits, activations.bits
        # (2^(n-1))(2^(m-1)) = 2^(n+m-2) needs n + m bits; it cannot occur if either
        # operand leaves out its most negative value
        symmetric = weights.symmetric or activations.symmetric
        fixed = n + m - 1 if symmetric else n + m
        return Product(weights, activations, "twos", fixed, 0, 0, 0, fixed, (0, fixed - 2), 0)
    pw, lo_w, hi_w, off_w = _operand(weights)
    pa, lo_a, hi_a, off_a = _operand(activations)
    p = pw + pa
    smin, smax = lo_w + lo_a, hi_w + hi_a
    fixed = 1 + p + (smax - smin)
    offset = off_w + off_a
    lead = (smin + offset, smax + offset + p - 1)
    return Product(weights, activations, "signmag", p, max(smax.bit_length(), 1) if smax else 0,
                   smin, smax, fixed, lead, offset, _specials(weights, activations))


def array_multiplier(dp: Datapath, n: int, m: int, *, signed: bool, note: str, count: int = 1) -> tuple:
    """App. B's array: n*m partial-product bits, a Braun array of ripple rows.
    Returns the nodes taking the n-bit and the m-bit operand, and the product node."""
    kind = "two's-complement (Baugh-Wooley: some bits are NAND2, same cost)" if signed else "unsigned"
    dp.add("pp_bits", "pp_bits", n=n, m=m, category="multiplier", note=f"{kind} partial products",
           count=count, attrs={"signed": signed})
    dp.add("pp_reduce", "pp_reduce", n=n, m=m, category="multiplier", note=note, count=count,
           attrs={"signed": signed})
    dp.connect("pp_bits", "pp_reduce", n * m, port="pp")
    if signed and n != m:
        dp.add("pp_correction", "pp_correction", category="multiplier", count=count,
               note="Baugh-Wooley constants 2^(n-1) and 2^(m-1) for n != m")
        dp.connect("pp_correction", "pp_reduce", 2, port="corr")
    dp.info.update(pp_rows=min(n, m), pp_bits=n * m)
    return "pp_bits", "pp_bits", "pp_reduce"


def booth_multiplier(dp: Datapath, n: int, m: int, *, signed: bool, note: str, count: int = 1) -> tuple:
    """Radix-4 Booth: ceil(m/2) rows instead of m. Booth digits are signed, so unsigned
    operands are recoded one bit wider (a zero sign bit)."""
    if not signed:
        n, m = n + 1, m + 1
    rows = (m + 1) // 2
    dp.add("booth_encode", "booth_encode", m=m, category="multiplier", count=count,
           note=f"{rows} radix-4 digits of the activation")
    dp.add("pp_select", "booth_select", n=n, m=m, category="multiplier", count=count,
           note=f"{rows} rows of {n + 1} bits: 0, +-X, +-2X")
    dp.add("pp_reduce", "booth_reduce", n=n, m=m, category="multiplier", note=note, count=count)
    dp.connect("booth_encode", "pp_select", 3 * rows, port="d")
    dp.connect("pp_select", "pp_reduce", rows * (n + 1), port="pp")
    dp.connect("booth_encode", "pp_reduce", 3 * rows, port="d")  # the neg bits (+1 of negative rows)
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


def _call(build, dp, n, m, signed, note, count):
    if count == 1:  # user callables written for scalar MACs need not know about count
        return build(dp, n, m, signed=signed, note=note)
    return build(dp, n, m, signed=signed, note=note, count=count)


def build_multiplier(dp: Datapath, weights: Format, activations: Format, style="array",
                     count: int = 1) -> Product:
    """Add ``count`` multipliers' components to ``dp`` and return the product description.

    ``style`` builds the significand multiplier: ``"array"`` (App. B), ``"booth"``
    (radix-4), or a callable ``f(dp, n, m, signed=..., note=...) -> (w_node, a_node,
    product_node)`` that adds components and returns the names of the nodes taking the
    weight and activation operands and of the node giving the product.
    """
    build = multiplier_style(style)
    prod = product_of(weights, activations)
    dp.port("w", "in", weights.bits)
    dp.port("a", "in", activations.bits)
    if not prod.is_float:
        w_node, a_node, last = _call(build, dp, weights.bits, activations.bits, True,
                                     f"reduction to the {prod.fixed_width}-bit two's-complement product", count)
        dp.connect("w", w_node, weights.bits, port="a")
        dp.connect("a", a_node, activations.bits, port="b")
        return replace(prod, sign=last, sig=last)

    dp.add("sign_xor", "xor2", category="multiplier", note="product sign", count=count)
    sources = {}
    for port, fmt, tag, operand in (("w", weights, "w", "a"), ("a", activations, "a", "b")):
        dp.connect(port, "sign_xor", 1, port=operand, lsb=fmt.bits - 1)
        if fmt.is_float:
            dp.add(f"decode_{tag}", "fp_decode", e=fmt.exp_bits, category="multiplier", count=count,
                   note="hidden bit and subnormal exponent (App. A)")
            dp.connect(port, f"decode_{tag}", fmt.exp_bits, port="e", lsb=fmt.man_bits)
            sources[tag] = (port, fmt.man_bits, f"decode_{tag}")
        else:
            mag = _operand(fmt)[0]
            dp.add(f"magnitude_{tag}", "cond_negate", n=mag, category="multiplier", count=count,
                   note="integer operand to sign + magnitude")
            dp.connect(port, f"magnitude_{tag}", fmt.bits, port="x", signed=True)
            dp.connect(port, f"magnitude_{tag}", 1, port="neg", lsb=fmt.bits - 1)
            sources[tag] = (f"magnitude_{tag}", mag, None)
    sw, sa = _operand(weights)[0], _operand(activations)[0]
    w_node, a_node, last = _call(build, dp, sw, sa, False,
                                 f"reduction to the {prod.sig_bits}-bit significand product", count)
    for node, operand, fmt, (src, width, hidden) in zip((w_node, a_node), ("a", "b"), (weights, activations),
                                                        (sources["w"], sources["a"])):
        dp.connect(src, node, width, port=operand)
        if hidden:  # fp_decode's output: effective exponent, then the hidden bit
            dp.connect(hidden, node, 1, port=operand, lsb=fmt.exp_bits, at=width)
    exp = _exponent(dp, weights, activations, prod, count)
    prod = replace(prod, sign="sign_xor", sig=last, exp=exp)
    return _special_flags(dp, weights, activations, prod, count)


def _exponent(dp: Datapath, weights: Format, activations: Format, prod: Product, count: int) -> str:
    floats = [(f, t) for f, t in ((weights, "w"), (activations, "a")) if f.is_float]
    if len(floats) == 1:  # integer x float: the float's effective exponent is the product's
        return f"decode_{floats[0][1]}"
    ew = max(weights.exp_bits, activations.exp_bits)
    dp.add("exp_add", "adder", n=ew, category="multiplier", count=count,
           note=f"sum of effective exponents, {prod.shift_min}..{prod.shift_max}")
    dp.connect("decode_w", "exp_add", weights.exp_bits, port="a")
    dp.connect("decode_a", "exp_add", activations.exp_bits, port="b")
    return "exp_add"


def _special_flags(dp: Datapath, weights: Format, activations: Format, prod: Product, count: int) -> Product:
    """Detection of special input codes and the product's NaN (and infinity) flags."""
    if prod.specials == "none":
        return prod
    tags = []
    for port, fmt, tag in (("w", weights, "w"), ("a", activations, "a")):
        if fmt.specials == "ieee":
            dp.add(f"special_{tag}", "fp_special_detect", e=fmt.exp_bits, m=fmt.man_bits, count=count,
                   category="exception", note="infinity and NaN flags of the input")
        elif fmt.specials == "fn":
            dp.add(f"special_{tag}", "fp_nan_detect", n=fmt.exp_bits + fmt.man_bits, count=count,
                   category="exception", note="NaN flag of the input (S.1111.111)")
        else:
            continue
        dp.connect(port, f"special_{tag}", fmt.exp_bits + fmt.man_bits, port="x")
        tags.append((tag, fmt))
    if prod.specials == "nan_inf":
        dp.add("special_mul", "fp_special_mul", category="exception", count=count,
               note="product NaN (NaN in, inf x 0) and infinity flags")
        # each operand's flags on its port (bit 0 inf, bit 1 NaN, bit 2 mantissa != 0) and
        # its hidden bit: infinity x 0 needs every operand's zero test
        for port, fmt, tag in (("w", weights, "w"), ("a", activations, "a")):
            if fmt.specials == "ieee":
                dp.connect(f"special_{tag}", "special_mul", 3, port=tag)
                dp.connect(f"decode_{tag}", "special_mul", 1, port=f"hidden_{tag}", lsb=fmt.exp_bits)
            elif fmt.is_float:  # OCP E4M3's NaN flag, or none; a mantissa flag for the zero test
                dp.add(f"mantissa_{tag}", "or_reduce", n=fmt.man_bits, category="exception", count=count,
                       note="mantissa != 0, for the zero test (infinity x 0 is NaN; -0 is zero)")
                dp.connect(port, f"mantissa_{tag}", fmt.man_bits, port="x")
                if fmt.specials == "fn":
                    dp.connect(f"special_{tag}", "special_mul", 1, port=tag, at=1)
                dp.connect(f"mantissa_{tag}", "special_mul", 1, port=tag, at=2)
                dp.connect(f"decode_{tag}", "special_mul", 1, port=f"hidden_{tag}", lsb=fmt.exp_bits)
            else:  # an integer: zero when every bit is 0 (its top bit stands in for the mantissa flag)
                dp.add(f"nonzero_{tag}", "or_reduce", n=fmt.bits - 1, category="exception", count=count,
                       note="integer != 0 (low bits; the sign bit joins in special_mul), for infinity x 0")
                dp.connect(port, f"nonzero_{tag}", fmt.bits - 1, port="x")
                dp.connect(f"nonzero_{tag}", "special_mul", 1, port=f"hidden_{tag}")
                dp.connect(port, "special_mul", 1, port=tag, lsb=fmt.bits - 1, at=2)
    else:
        dp.add("special_mul", "or2", category="exception", count=count, note="product NaN flag")
        for (tag, _fmt), port in zip(tags, ("a", "b")):
            dp.connect(f"special_{tag}", "special_mul", 1, port=port)
    return replace(prod, special="special_mul")


def sign_magnitude(dp: Datapath, product: Product, name: str, fix: str, category: str, note: str) -> int:
    """A two's-complement product or block sum T to sign + magnitude: ``name`` (a
    ``cond_negate`` of its magnitude bits) gives |T|. A block sum that still owes lane 0's
    +1 (c) gets |T + c| = (T xor s) + (s xor c), s the sign of T: c rides on the
    negation's increment through ``fix`` (one XOR2). Returns the sign's bit in
    ``product.sig``."""
    top = product.sig_lsb + product.sig_bits - 1
    n = product.sig_bits - 1
    dp.add(name, "cond_negate", n=n, category=category, note=note)
    dp.connect(product.sig, name, n, port="x", lsb=product.sig_lsb)
    dp.connect(product.sig, name, 1, port="neg", lsb=top)
    if product.carry_in and product.carry:
        dp.add(fix, "xor2", category=category, note="the increment of |T + c|: sign xor lane 0's +1")
        dp.connect(product.sig, fix, 1, port="a", lsb=top)
        dp.connect(product.carry, fix, 1, port="b", lsb=product.carry_lsb, lane=0)
        dp.connect(fix, name, 1, port="cin")
    return top


def add_product_pipe(dp: Datapath, product: Product, count: int = 1) -> Product:
    """Register the product (sign, significand, exponent, special flags) and return it
    re-pointed at the register: the pipe stage of whitepaper Figure 2."""
    flags = {"none": 0, "nan": 1, "nan_inf": 2}[product.specials]
    bits = (product.sig_bits + (1 if product.is_float else 0) + product.exp_bits + flags)
    dp.add("product_pipe", "register", n=bits, category="register", count=count,
           note="product pipe stage" + (": sign, significand product, exponent sum" if product.is_float else ""))
    # side by side in the register: significand, exponent, sign, special flags
    at, lsbs = 0, {}
    for field, width in (("sig", product.sig_bits), ("exp", product.exp_bits),
                         ("sign", 1 if product.is_float else 0), ("special", flags)):
        node = getattr(product, field)
        if node and width:
            dp.connect(node, "product_pipe", width, port="d", lsb=getattr(product, f"{field}_lsb"), at=at)
            lsbs[f"{field}_lsb"] = at
            at += width
    if not product.is_float:  # a two's-complement product's sign is its top bit
        lsbs["sign_lsb"] = product.sig_bits - 1
    return replace(product, sign="product_pipe", sig="product_pipe",
                   exp="product_pipe" if product.exp else "",
                   special="product_pipe" if product.special else "", **lsbs)
