"""Floating-point accumulation: whitepaper Figure 2, right.

A fused multiply-add into a floating-point accumulator register, kept normalized, with
one round-to-nearest-even per accumulation. As the whitepaper asks, every block is the
smallest-gate-count choice, not the fewest logic levels: a leading-zero counter after
the adder (no LZA), one path (no near/far split), one swap and one shifter.

Blocks, in order (the widths are derived in :func:`widths`):

1. product to sign-magnitude (integer products only), product normalization
   (leading-zero count + left shift: subnormal inputs give leading zeros) and the product
   exponent in the accumulator's bias;
2. exponent difference, its magnitude clamped to the shifter range, significand
   comparison for equal exponents, operand swap so the larger operand is never shifted
   (a zero accumulator always swaps, a zero product or an infinite accumulator never);
3. alignment right shift of the smaller operand with a sticky bit;
4. significand add/subtract (the smaller operand conditionally inverted, carry-in; a
   subtraction's carry-out masked);
5. leading-zero count and normalization left shift, exponent update;
6. round to nearest even (increment of the fraction, exponent carry);
7. flush to zero below the smallest normal, infinity on overflow (and it stays);
8. the accumulator register.
"""

from __future__ import annotations

from dataclasses import dataclass

from .datapath import Datapath
from .errors import DatapathError
from .formats import Format
from .formula import ceil_log2
from .multiplier import Product


def signed_bits(lo: int, hi: int) -> int:
    """Bits of the smallest two's-complement word holding every integer in [lo, hi]."""
    width = 1
    while not (-(1 << (width - 1)) <= lo and hi <= (1 << (width - 1)) - 1):
        width += 1
    return width


def range_bits(lo: int, hi: int) -> int:
    """Bits of a signal whose values span [lo, hi]: unsigned if it is never negative."""
    return max(hi.bit_length(), 1) if lo >= 0 else signed_bits(lo, hi)


def trailing_zeros(value: int, width: int) -> int:
    """Trailing zero bits of ``value`` as a ``width``-bit two's-complement word."""
    value &= (1 << width) - 1
    return width if value == 0 else (value & -value).bit_length() - 1


@dataclass(frozen=True)
class FloatWidths:
    """Every width of the floating-point accumulation path, derived once from the formats.

    Exponents are in the accumulator's biased units; each exponent signal is as wide as
    the range of values it can carry (``range_bits``).
    """

    p: int  # product significand (magnitude) bits
    s: int  # accumulator significand bits, hidden bit included
    n_align: int  # aligned window: the product, or the accumulator + guard + round
    w: int  # adder width: n_align + sticky
    prod_exp: int  # exponent sum - leading zeros (float products)
    e_p: int  # product exponent in the accumulator's bias
    diff: int  # d = e_acc - e_p (signed)
    dmag: int  # |d|
    e_max: int  # exponent of the larger operand
    norm: int  # e_max - leading zeros of the sum
    result: int  # after the +1 and the rounding carry
    shift_stages: int  # stages of the alignment shifter
    rebias: int  # constant added to reach the accumulator's bias
    rebias_cells: int  # constant-adder cells: from the constant's lowest set bit up


def widths(product: Product, acc: Format) -> FloatWidths:
    p = product.magnitude_bits
    s = acc.man_bits + 1
    # The window must hold the product (exactly) and the accumulator plus guard and
    # round bits; what is shifted past it is the sticky bit, the adder's LSB.
    n_align = max(p, s + 2)
    w = n_align + 1
    lead_lo, lead_hi = product.lead_exp_range
    e_p = (lead_lo + acc.bias, lead_hi + acc.bias)
    e_acc = (0, (1 << acc.exp_bits) - 1)  # 0 encodes zero, all ones infinity
    diff = (e_acc[0] - e_p[1], e_acc[1] - e_p[0])
    e_max = (min(e_p[0], e_acc[0]), max(e_p[1], e_acc[1]))
    norm = (e_max[0] - w, e_max[1])
    result = (norm[0] + 1, norm[1] + 2)
    # leading one of the normalized product: exp + ulp_offset + (p - 1 - lz), unbiased
    rebias = product.ulp_offset + p - 1 + acc.bias
    if product.exp_bits:
        prod_exp = range_bits(product.shift_min - (p - 1), product.shift_max)
    else:
        prod_exp = 0
        rebias += 1  # e_p = (p - 1 + offset + bias) - lz = (p + offset + bias) + not(lz)
    e_p_bits = range_bits(*e_p)
    cells = e_p_bits - trailing_zeros(rebias, e_p_bits)
    return FloatWidths(p, s, n_align, w, prod_exp, e_p_bits, signed_bits(*diff),
                       max(-diff[0], diff[1]).bit_length(), range_bits(*e_max), range_bits(*norm),
                       range_bits(*result), ceil_log2(n_align + 1), rebias, cells)


ALIGNS = ("swap", "two_shifters")
COMBINES = ("auto", "exact", "align")


@dataclass(frozen=True)
class FloatingPoint:
    """A floating-point accumulator in ``format`` (fp16, bf16, fp32, ...).

    ``align`` chooses how the two operands are lined up:

    * ``"swap"`` (default, fewest gates): a swap puts the larger operand on the adder's
      fixed input and the smaller through one right shifter; a significand comparator
      settles equal exponents, so the sum is never negative.
    * ``"two_shifters"``: no swap; each operand has its own right shifter (one of them
      shifts by 0), the adder computes accumulator - product in a fixed order, and a
      negative sum is negated.
    """

    format: Format
    align: str = "swap"
    combine: str = "auto"  # dot-product units: see macgates.dot

    def __post_init__(self):
        if self.align not in ALIGNS:
            raise DatapathError(f"unknown align '{self.align}' (valid: {', '.join(ALIGNS)})")
        if self.combine not in COMBINES:
            raise DatapathError(f"unknown combine '{self.combine}' (valid: {', '.join(COMBINES)})")

    @property
    def kind(self) -> str:
        return self.format.name

    def __str__(self) -> str:
        return self.format.name

    def acc_bits(self, product: Product) -> int:
        return self.format.bits

    def default_pipe(self, product: Product, k: int = 1) -> bool:
        """No product pipe stage: the fewest gates (the whitepaper names the stage only
        for fixed-point accumulation)."""
        return False

    def combine_step(self, dp: Datapath, product: Product, k: int) -> Product:
        """k products to one block sum, ``exact`` or ``align`` (see :mod:`macgates.dot`);
        ``auto`` is resolved by the builder, which tries both."""
        from .dot import combine_fixed, combine_float

        if self.combine == "exact" or not product.is_float:
            return combine_fixed(dp, product, k) if product.is_float else combine_float(dp, product, k, self.format)
        return combine_float(dp, product, k, self.format)

    def attach(self, dp: Datapath, product: Product) -> None:
        acc = self.format
        wd = widths(product, acc)
        dp.info.update(acc_bits=acc.bits, product_bits=product.fixed_width, exp_width=wd.result,
                       adder_width=wd.w, align=self.align)
        prod = _product_stage(dp, product, wd, acc)
        _exponent_difference(dp, wd, prod, acc)
        if self.align == "swap":
            mid = _swap_align_add(dp, wd, prod)
        else:
            mid = _two_shifter_align_add(dp, wd, prod)
        _normalize_round_store(dp, wd, acc, prod, mid)


def _gate(dp: Datapath, name: str, primitive: str, category: str, note: str, *sources: str) -> None:
    """A one-gate control component fed by 1-bit signals."""
    dp.add(name, primitive, category=category, note=note)
    for src in sources:
        dp.connect(src, name, 1)


def _product_stage(dp: Datapath, product: Product, wd: FloatWidths, acc: Format) -> dict:
    """1. The product as a normalized sign-magnitude significand and an exponent in the
    accumulator's bias. Returns the node names downstream blocks read."""
    p = wd.p
    sig_src, sign_src = product.sig, product.sign
    if not product.is_float:
        dp.add("to_signmag", "cond_negate", n=p, category="multiplier",
               note="two's-complement product to sign + magnitude")
        dp.connect(product.sig, "to_signmag", product.sig_bits)
        sig_src = sign_src = "to_signmag"
    dp.add("prod_lzc", "lzc", n=p, category="normalize",
           note="leading zeros of the product (subnormal or small inputs)")
    dp.add("prod_norm", "shift_left", n=p, k=p - 1, category="normalize",
           note="normalize the product significand")
    dp.connect(sig_src, "prod_lzc", p)
    dp.connect(sig_src, "prod_norm", p)
    lz_bits = ceil_log2(p)
    dp.connect("prod_lzc", "prod_norm", lz_bits)
    exp_node = "prod_lzc"
    if product.exp_bits:
        dp.add("prod_exp", "subtractor", n=wd.prod_exp, category="normalize",
               note="product exponent: exponent sum - leading zeros")
        dp.connect(product.exp, "prod_exp", product.exp_bits)
        dp.connect("prod_lzc", "prod_exp", lz_bits)
        exp_node = "prod_exp"
    if wd.rebias_cells:
        what = "" if product.exp_bits else " to not(lz)"
        dp.add("prod_rebias", "const_adder", n=wd.rebias_cells, category="normalize",
               note=f"add {wd.rebias}{what}: the product exponent in {acc.name} bias")
        dp.connect(exp_node, "prod_rebias", wd.prod_exp or lz_bits)
        exp_node = "prod_rebias"
    return {"sig": "prod_norm", "sign": sign_src, "exp": exp_node, "zero": "prod_lzc",
            "special": product.special, "specials": product.specials}


def _exponent_difference(dp: Datapath, wd: FloatWidths, prod: dict, acc: Format) -> None:
    """2a. d = e_acc - e_product, |d| clamped to the shifter's range."""
    ea = acc.exp_bits
    dp.add("acc_hidden", "or_reduce", n=ea, category="aligner",
           note="hidden bit of the accumulator (exponent != 0)")
    dp.add("exp_diff", "subtractor", n=wd.diff, category="aligner", note="d = e_acc - e_product")
    dp.connect(prod["exp"], "exp_diff", wd.e_p)
    dp.add("exp_abs", "cond_negate", n=wd.dmag, category="aligner", note="|d|")
    dp.connect("exp_diff", "exp_abs", wd.diff)
    prod["shift"] = "exp_abs"
    if wd.dmag > wd.shift_stages:
        dp.add("shift_clamp", "shift_clamp", n=wd.dmag, l=wd.shift_stages, category="aligner",
               note=f"|d| past the {wd.n_align}-bit window shifts everything into sticky")
        dp.connect("exp_abs", "shift_clamp", wd.dmag)
        prod["shift"] = "shift_clamp"
    dp.add("acc_inf", "and_reduce", n=ea, category="exception",
           note=f"the accumulator is infinite (exponent field {(1 << ea) - 1})")


def _swap_align_add(dp: Datapath, wd: FloatWidths, prod: dict) -> dict:
    """2b-4 with one swap and one shifter. Returns the sum, exponent and sign nodes."""
    p, s, w, n = wd.p, wd.s, wd.w, wd.n_align
    big = max(p, s)  # bits of the larger operand at the top of the window
    dp.add("exp_equal", "or_reduce", n=wd.diff, category="aligner", note="d == 0")
    dp.connect("exp_diff", "exp_equal", wd.diff)
    dp.add("sig_compare", "comparator_msb", n=p, m=s, category="aligner",
           note="for d == 0: is the product larger? (the result is then never negative)")
    dp.connect(prod["sig"], "sig_compare", p)
    _gate(dp, "swap_ctl", "aoi21", "aligner", "d < 0 or (d == 0 and product larger)",
          "exp_diff", "exp_equal", "sig_compare")
    _gate(dp, "swap_zero_acc", "or2", "aligner", "... or the accumulator is zero", "swap_ctl", "acc_hidden")
    _gate(dp, "zero_gate", "and2", "aligner", "a zero product never swaps", "swap_zero_acc", prod["zero"])
    _gate(dp, "inf_gate", "and2", "exception", "an infinite accumulator never swaps", "zero_gate", "acc_inf")
    ctl = "inf_gate"
    dp.add("swap", "swap", n=p, m=s, category="aligner",
           note="larger operand to the adder, smaller to the shifter")
    dp.connect(prod["sig"], "swap", p)
    dp.connect(ctl, "swap", 1)
    dp.connect("acc_hidden", "swap", 1)
    dp.add("exp_max", "mux", n=wd.e_max, category="aligner", note="exponent of the larger operand")
    dp.connect(prod["exp"], "exp_max", wd.e_p)
    dp.connect(ctl, "exp_max", 1)
    _gate(dp, "sign_sel", "mux2", "aligner", "result sign = sign of the larger operand", prod["sign"], ctl)
    _gate(dp, "eff_sub", "xor2", "aligner", "effective subtraction: signs differ", prod["sign"])

    dp.add("align", "shift_right_logical", n=n, k=n, category="aligner",
           note=f"smaller significand >> |d| in a {n}-bit window")
    dp.connect("swap", "align", big)
    dp.connect(prod["shift"], "align", wd.shift_stages)
    dp.add("sticky", "sticky", k=n, category="aligner", note="OR of the bits shifted out")
    dp.connect(prod["shift"], "sticky", wd.shift_stages)
    dp.connect("swap", "sticky", big)

    dp.add("sub_invert", "cond_invert", n=w, category="accumulator",
           note="invert the smaller operand for an effective subtraction")
    dp.connect("align", "sub_invert", n)
    dp.connect("sticky", "sub_invert", 1)
    dp.connect("eff_sub", "sub_invert", 1)
    dp.add("sig_add", "adder_msb", n=w, m=big, category="accumulator",
           note=f"significand adder: the larger operand has {big} bits, carry-in = effective subtraction")
    dp.connect("swap", "sig_add", big)
    dp.connect("sub_invert", "sig_add", w)
    dp.connect("eff_sub", "sig_add", 1)
    _gate(dp, "carry_mask", "and2", "accumulator", "a subtraction's carry-out is not a result bit",
          "sig_add", "eff_sub")
    feedback = {"exp_max": None, "swap": None, "sig_compare": None, "sign_sel": 1, "eff_sub": 1}
    return {"sum": "sig_add", "top": "carry_mask", "exp": "exp_max", "sign": "sign_sel",
            "feedback": feedback}


def _two_shifter_align_add(dp: Datapath, wd: FloatWidths, prod: dict) -> dict:
    """2b-4 with a right shifter per operand and no swap. Returns the sum, exponent and
    sign nodes."""
    p, s, w, n = wd.p, wd.s, wd.w, wd.n_align
    _gate(dp, "shift_gate", "and2", "aligner", "a zero product never shifts the accumulator",
          "exp_diff", prod["zero"])
    dp.add("shift_route", "and_gate", n=2 * wd.shift_stages, category="aligner",
           note="|d| to the product's shifter if d > 0, to the accumulator's if d < 0")
    dp.connect(prod["shift"], "shift_route", wd.shift_stages)
    dp.connect("shift_gate", "shift_route", 1)
    dp.add("exp_max", "mux", n=wd.e_max, category="aligner", note="exponent of the larger operand")
    dp.connect(prod["exp"], "exp_max", wd.e_p)
    dp.connect("shift_gate", "exp_max", 1)
    _gate(dp, "eff_sub", "xor2", "aligner", "effective subtraction: signs differ", prod["sign"])
    for tag, width, src in (("prod", p, prod["sig"]), ("acc", s, "acc_hidden")):
        dp.add(f"align_{tag}", "shift_right_logical", n=n, k=n, category="aligner",
               note=f"{'product' if tag == 'prod' else 'accumulator'} significand >> its shift in a {n}-bit window")
        dp.add(f"sticky_{tag}", "sticky", k=n, category="aligner", note="OR of the bits shifted out")
        dp.connect(src, f"align_{tag}", width)
        dp.connect("shift_route", f"align_{tag}", wd.shift_stages)
        dp.connect("shift_route", f"sticky_{tag}", wd.shift_stages)
        dp.connect(src, f"sticky_{tag}", width)
    dp.add("sub_invert", "cond_invert", n=w, category="accumulator",
           note="invert the product for an effective subtraction")
    dp.connect("align_prod", "sub_invert", n)
    dp.connect("sticky_prod", "sub_invert", 1)
    dp.connect("eff_sub", "sub_invert", 1)
    dp.add("sig_add", "adder_cin", n=w + 1, category="accumulator",
           note="accumulator +- product, two's complement with a sign bit")
    dp.connect("align_acc", "sig_add", n)
    dp.connect("sticky_acc", "sig_add", 1)
    dp.connect("sub_invert", "sig_add", w)
    dp.connect("eff_sub", "sig_add", 1)
    dp.add("sum_abs", "cond_negate", n=w + 1, category="accumulator", note="|sum| when it is negative")
    dp.connect("sig_add", "sum_abs", w + 1)
    _gate(dp, "sign_fix", "xor2", "aligner", "result sign = accumulator sign xor (sum < 0)", "sig_add")
    feedback = {"exp_max": None, "align_acc": None, "sticky_acc": None, "sign_fix": 1, "eff_sub": 1}
    return {"sum": "sum_abs", "top": "sum_abs", "exp": "exp_max", "sign": "sign_fix",
            "feedback": feedback}


def _normalize_round_store(dp: Datapath, wd: FloatWidths, acc: Format, prod: dict, mid: dict) -> None:
    """5-8: normalize, round, range limits, the register and its feedback."""
    w, s = wd.w, wd.s
    ea, ma = acc.exp_bits, acc.man_bits
    lz2 = ceil_log2(w + 1)
    dp.add("norm_lzc", "lzc", n=w + 1, category="normalize", note="leading zeros of the sum (no LZA)")
    dp.add("norm_shift", "shift_left", n=w + 1, k=w, category="normalize",
           note="normalize the sum; the carry-out case is lz = 0")
    for node in ("norm_lzc", "norm_shift"):
        dp.connect(mid["sum"], node, w)
        dp.connect(mid["top"], node, 1)
    dp.connect("norm_lzc", "norm_shift", lz2)
    dp.add("norm_exp", "subtractor", n=wd.norm, category="normalize", note="e_max - lz")
    dp.connect(mid["exp"], "norm_exp", wd.e_max)
    dp.connect("norm_lzc", "norm_exp", lz2)

    below = (w + 1) - s - 1  # bits under the round bit after normalization
    dp.add("round_sticky", "or_reduce", n=max(below, 1), category="round",
           note="sticky = OR of the bits below the round bit")
    dp.connect("norm_shift", "round_sticky", max(below, 1))
    dp.add("round_decide", "round_rne", category="round", note="round up = R and (L or S)")
    dp.connect("norm_shift", "round_decide", 2)
    dp.connect("round_sticky", "round_decide", 1)
    dp.add("round_inc", "incrementer", n=ma, category="round", note="fraction + round up (hidden bit not stored)")
    dp.connect("norm_shift", "round_inc", ma)
    dp.connect("round_decide", "round_inc", 1)
    dp.add("round_exp", "const_adder", n=wd.result, category="round",
           note="exponent + 1 (the sum's carry position) + rounding carry-out")
    dp.connect("norm_exp", "round_exp", wd.norm)
    dp.connect("round_inc", "round_exp", 1)

    top = (1 << ea) - 1
    dp.add("underflow", "const_compare", n=wd.result, category="exception",
           note="exponent < 1: below the smallest normal, flush to zero")
    dp.add("overflow", "const_compare", n=wd.result, category="exception", note=f"exponent >= {top}: infinity")
    for node in ("underflow", "overflow"):
        dp.connect("round_exp", node, wd.result)
    if prod["specials"] != "none":
        prim = "fp_naninf_acc" if prod["specials"] == "nan_inf" else "fp_nan_acc"
        dp.add("special_acc", prim, m=ma, category="exception",
               note="NaN" + (" and infinity" if prod["specials"] == "nan_inf" else "") + " from the product, "
                    "or already in the accumulator, forced into the result")
        dp.connect(prod["special"], "special_acc", 2)
        dp.connect("acc_inf", "special_acc", 1)
    _gate(dp, "inf_or", "or2", "exception", "infinity: overflow, or it already was", "overflow", "acc_inf")
    _gate(dp, "flush_or", "or2", "exception", "flush on underflow or an exact zero sum",
          "underflow", "norm_lzc")
    _gate(dp, "flush_gate", "and2", "exception", "never flush an infinite accumulator", "flush_or", "acc_inf")
    dp.add("range_limit", "fp_range_limit", e=ea, m=ma + 1, category="exception",
           note="force zero (sign cleared) or infinity")
    dp.connect("flush_gate", "range_limit", 1)
    dp.connect("inf_or", "range_limit", 1)
    if "special_acc" in dp.components:
        dp.connect("special_acc", "range_limit", 2)
    dp.connect("round_exp", "range_limit", ea)
    dp.connect("round_inc", "range_limit", ma)
    dp.connect(mid["sign"], "range_limit", 1)

    dp.add("acc_reg", "register", n=acc.bits, category="register", note=f"accumulator register ({acc.name})")
    dp.connect("range_limit", "acc_reg", acc.bits)
    fields = {"exp": ea, "sig": ma}
    for node, width in (("acc_hidden", ea), ("acc_inf", ea), ("exp_diff", ea), ("special_acc", ma)):
        if node in dp.components:
            dp.connect("acc_reg", node, width, name="feedback")
    for node, width in mid["feedback"].items():
        exp_or_sig = "exp" if node == "exp_max" else "sig"
        dp.connect("acc_reg", node, width or fields[exp_or_sig], name="feedback")
    if "sig_compare" in mid["feedback"]:
        dp.connect("acc_hidden", "sig_compare", 1)
    if "swap_zero_acc" in dp.components:
        dp.connect("acc_hidden", "swap_zero_acc", 1)
    dp.port("acc", "out", acc.bits)
    dp.connect("acc_reg", "acc", acc.bits)
