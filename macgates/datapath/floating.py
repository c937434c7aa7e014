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

With ``subnormals=True`` (IEEE 754 gradual underflow) the accumulator also holds
subnormal results: its exponent field 0 counts as 1 (one OR2 more in the hidden-bit
logic), a zero accumulator adds the product instead of swapping (its own zero flag gates
the effective subtraction and gives the product's sign), the normalization shift stops
at the smallest normal's exponent (a mux on the shift amount; the exponent field of
such a result is 0, or 1 when rounding carries into the hidden bit), and nothing is
flushed but an exact zero sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..formats.spec import Format
from ..library.adders import AdderStyle, adder_style
from ..library.formula import ceil_log2
from ..support.bits import range_bits, signed_bits, trailing_zeros
from ..support.errors import DatapathError
from .graph import Datapath
from .multiplier import Product, sign_magnitude


@dataclass(frozen=True)
class FloatWidths:
    """Every width of the floating-point accumulation path, derived once from the formats.

    Exponents are in the accumulator's biased units; each exponent signal is as wide as
    the range of values it can carry (``range_bits``).
    """

    p: int  # product significand (magnitude) bits
    e_p_signed: bool  # the product exponent can be negative
    e_p_max: int  # the largest product exponent
    s: int  # accumulator significand bits, hidden bit included
    n_align: int  # aligned window: the product, or the accumulator + guard + round
    w: int  # adder width: n_align + sticky
    prod_exp: int  # exponent sum - leading zeros (float products)
    e_p: int  # product exponent in the accumulator's bias
    diff: int  # d = e_acc - e_p (signed)
    dmag: int  # |d|
    d_equal: int  # low bits of d that tell d == 0 from every d > 0 with a finite accumulator
    e_max: int  # exponent of the larger operand
    norm: int  # e_max - leading zeros of the sum
    result: int  # after the +1 and the rounding carry
    shift_stages: int  # stages of the alignment shifter
    rebias: int  # constant added to reach the accumulator's bias (mod 2^e_p)
    rebias_cells: int  # constant-adder cells: from the constant's lowest set bit up
    subnormals: bool = False  # the accumulator keeps subnormal results (exponent field 0 counts as 1)
    e_max_signed: bool = False  # the larger operand's exponent can be negative
    result_signed: bool = True  # the result exponent can be negative


def widths(product: Product, acc: Format, subnormals: bool = False) -> FloatWidths:
    p = product.magnitude_bits
    s = acc.man_bits + 1
    # The window must hold the product (exactly) and the accumulator plus guard and
    # round bits; what is shifted past it is the sticky bit, the adder's LSB.
    n_align = max(p, s + 2)
    w = n_align + 1
    lead_lo, lead_hi = product.lead_exp_range
    e_p = (lead_lo + acc.bias, lead_hi + acc.bias)
    # 0 encodes zero, all ones infinity; with subnormals the field 0 counts as 1
    e_acc = (1 if subnormals else 0, (1 << acc.exp_bits) - 1)
    diff = (e_acc[0] - e_p[1], e_acc[1] - e_p[0])
    # with subnormals the larger operand is never a product below the accumulator's
    # smallest exponent 1: a zero accumulator does not swap
    e_max = (e_acc[0] if subnormals else min(e_p[0], e_acc[0]), max(e_p[1], e_acc[1]))
    norm = (e_max[0] - w, e_max[1])
    # the result exponent: norm + 1 + the rounding carry; a subnormal result's is 0 + carry
    result = (0 if subnormals else norm[0] + 1, norm[1] + 2)
    # leading one of the normalized product: exp + ulp_offset + (p - 1 - lz), unbiased
    rebias = product.ulp_offset + p - 1 + acc.bias
    if product.exp_bits:
        prod_exp = range_bits(product.shift_min - (p - 1), product.shift_max)
    else:
        # e_p = (p - 1 + offset + bias) - lz = (p + offset + bias - 2^L) + not(lz), with
        # not(lz) the L-bit inverted count (inverters are free)
        prod_exp = 0
        rebias += 1 - (1 << ceil_log2(p))
    e_p_bits = range_bits(*e_p)
    rebias &= (1 << e_p_bits) - 1  # the constant as the adder sees it, e_p_bits wide
    cells = e_p_bits - trailing_zeros(rebias, e_p_bits)
    # d == 0 decides the swap only for d >= 0 (d < 0 swaps anyway) and a finite accumulator
    # (an infinite one never swaps): the low bits that hold the largest such d tell it from 0
    d_equal = max((e_acc[1] - 1) - e_p[0], 1).bit_length()
    return FloatWidths(p, e_p[0] < 0, e_p[1], s, n_align, w, prod_exp, e_p_bits, signed_bits(*diff),
                       max(-diff[0], diff[1]).bit_length(), d_equal, range_bits(*e_max), range_bits(*norm),
                       range_bits(*result), ceil_log2(n_align + 1), rebias, cells, subnormals,
                       e_max[0] < 0, result[0] < 0)


ALIGNS = ("swap", "two_shifters")
SUBNORMALS = ":subnormals"  # fp16:subnormals names an accumulator that keeps subnormal results
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

    ``subnormals``: keep subnormal results (IEEE 754 gradual underflow) instead of
    flushing them to +0 (the default); spelled ``fp16:subnormals`` where accumulators are
    named by strings.
    """

    format: Format
    align: str = "swap"
    combine: str = "auto"  # dot-product units: see macgates.dot
    subnormals: bool = False
    adder: str = "ripple"  # the significand adder's style (macgates.library.adders.ADDERS)

    def __post_init__(self):
        object.__setattr__(self, "adder", adder_style(self.adder).name)  # (a record given: its name)
        if self.align not in ALIGNS:
            raise DatapathError(f"unknown align '{self.align}' (valid: {', '.join(ALIGNS)})")
        if self.combine not in COMBINES:
            raise DatapathError(f"unknown combine '{self.combine}' (valid: {', '.join(COMBINES)})")

    @property
    def kind(self) -> str:
        return self.format.name + (SUBNORMALS if self.subnormals else "")

    def __str__(self) -> str:
        return self.kind

    def acc_bits(self, product: Product) -> int:
        return self.format.bits

    def default_pipe(self, product: Product, k: int = 1) -> bool:
        """No product pipe stage: the fewest gates (the whitepaper names the stage only
        for fixed-point accumulation)."""
        return False

    def combine_step(self, dp: Datapath, product: Product, k: int) -> Product:
        """k products to one block sum, ``exact`` or ``align`` (see :mod:`macgates.datapath.dotproduct`);
        ``auto`` is resolved by the builder, which tries both."""
        from .dotproduct import combine_fixed, combine_float

        if self.combine == "exact" or not product.is_float:  # (integer products: always exact)
            return combine_fixed(dp, product, k)
        return combine_float(dp, product, k, self.format)

    def attach(self, dp: Datapath, product: Product) -> None:
        acc = self.format
        wd = widths(product, acc, self.subnormals)
        dp.info.update(acc_bits=acc.bits, product_bits=product.fixed_width, exp_width=wd.result,
                       adder_width=wd.w, align=self.align)
        # the register first, so that the feedback can be wired as each block is built
        dp.add("acc_reg", "register", n=acc.bits, category="register", note=f"accumulator register ({acc.name})")
        prod = _product_stage(dp, product, wd, acc)
        reg = _accumulator_decode(dp, wd, acc)
        diff = _exponent_difference(dp, wd, prod, reg, acc)
        align_add = _swap_align_add if self.align == "swap" else _two_shifter_align_add
        mid = align_add(dp, wd, prod, reg, diff, acc, adder_style(self.adder))
        _normalize_round_store(dp, wd, acc, prod, reg, diff, mid)


class Tap(NamedTuple):
    """Where a value is read: ``width`` bits of ``node``'s output from bit ``lsb``,
    two's complement if ``signed``, inverted if ``invert``, of one lane if ``lane`` >= 0."""

    node: str
    lsb: int = 0
    width: int = 1
    signed: bool = False
    invert: bool = False
    lane: int = -1  # one lane of a k-lane node


def _wire(dp: Datapath, tap: Tap, dst: str, port: str, *, at: int = 0, invert: bool = False,
          name: str = "", width: int | None = None) -> None:
    if not dp.wired:
        return
    if name == "feedback" and tap.node != "acc_reg":
        name = ""  # (a decode of the register, not the register itself)
    dp.connect(tap.node, dst, tap.width if width is None else width, name, port=port, lsb=tap.lsb,
               signed=tap.signed, at=at, invert=tap.invert != invert, lane=tap.lane)


def _gate(dp: Datapath, name: str, primitive: str, category: str, note: str, **inputs) -> Tap:
    """A one-gate control component; ``inputs`` maps its ports to taps, or to (tap,
    True) for an inverted input."""
    dp.add(name, primitive, category=category, note=note)
    for port, tap in inputs.items() if dp.wired else ():
        tap, invert = tap if isinstance(tap[0], Tap) else (tap, False)
        _wire(dp, tap, name, port, invert=invert)
    return Tap(name)


@dataclass(frozen=True)
class ProductTaps:
    """What the product stage (block 1) hands on: the product normalized, in the
    accumulator's bias, with its exception flags."""

    sig: Tap  # normalized magnitude, p bits, the leading one at the top
    sign: Tap  # the product's sign
    exp: Tap  # its exponent in the accumulator's bias (``FloatWidths.e_p`` bits)
    zero: Tap  # the product is zero (the leading-zero counter's all-zero output)
    special: Tap  # NaN flag (bit 0) and, for ``nan_inf``, infinity flag (bit 1)
    specials: str  # which exceptions the product can carry: "none", "nan" or "nan_inf"
    inf_sign: Tap  # an infinite product's sign (a block sum's own sign says nothing then)


@dataclass(frozen=True)
class AccumulatorTaps:
    """The accumulator register's fields (the feedback) and their decode: the hidden bit
    and the effective exponent, made by :func:`_accumulator_decode`."""

    frac: Tap  # stored fraction, man_bits
    exp: Tap  # biased exponent field, exp_bits
    sign: Tap  # sign bit
    hidden: Tap  # hidden bit: exponent field != 0
    exp_eff: Tap  # effective exponent: the field, or with subnormals 1 for the field 0


@dataclass(frozen=True)
class ExponentDifference:
    """What block 2a hands on: d = e_acc - e_product, the alignment shift, and the
    accumulator's infinity flag (built beside them)."""

    d: Tap  # d, two's complement (``FloatWidths.diff`` bits)
    d_neg: Tap  # d < 0: its sign bit
    shift: Tap  # |d| clamped to the shifter's range (``FloatWidths.shift_stages`` bits)
    acc_inf: Tap  # the accumulator is infinite (exponent field all ones)


@dataclass(frozen=True)
class AlignedSum:
    """What blocks 2b-4 hand on (either ``align``): the non-negative significand sum of
    the two aligned operands, its exponent and its sign."""

    sum: Tap  # |sum|, w bits (the sticky bit is the LSB)
    top: Tap  # bit w: the carry-out above the sum
    exp: Tap  # exponent of the larger operand (``FloatWidths.e_max`` bits)
    sign: Tap  # the result's sign


def _accumulator_decode(dp: Datapath, wd: FloatWidths, acc: Format) -> AccumulatorTaps:
    """The accumulator's hidden bit (exponent != 0) and its effective exponent: the field
    itself (flush to zero: a zero field is a zero), or with subnormals 1 for the field 0.
    Returns the taps of the register's fields and of this decode."""
    ma, ea = acc.man_bits, acc.exp_bits
    exp = Tap("acc_reg", ma, ea)
    if wd.subnormals:
        dp.add("acc_hidden", "fp_decode", e=ea, category="aligner",
               note="hidden bit of the accumulator and its exponent (a subnormal's 0 counts as 1)")
        _wire(dp, exp, "acc_hidden", "e", name="feedback")
        hidden, exp_eff = Tap("acc_hidden", ea), Tap("acc_hidden", 0, ea)
    else:
        dp.add("acc_hidden", "or_reduce", n=ea, category="aligner",
               note="hidden bit of the accumulator (exponent != 0)")
        _wire(dp, exp, "acc_hidden", "x", name="feedback")
        hidden, exp_eff = Tap("acc_hidden"), exp
    return AccumulatorTaps(frac=Tap("acc_reg", 0, ma), exp=exp, sign=Tap("acc_reg", ma + ea, 1),
                           hidden=hidden, exp_eff=exp_eff)


def _product_stage(dp: Datapath, product: Product, wd: FloatWidths, acc: Format) -> ProductTaps:
    """1. The product as a normalized sign-magnitude significand and an exponent in the
    accumulator's bias. Returns the taps downstream blocks read."""
    p = wd.p
    sig = Tap(product.sig, product.sig_lsb, p)
    sign = Tap(product.sign, product.sign_lsb)
    if not product.is_float:
        top = sign_magnitude(dp, product, "to_signmag", "carry_fix", "multiplier",
                             "two's-complement product to sign + magnitude")
        sig, sign = Tap("to_signmag", 0, p), Tap(product.sig, top)
    lz_bits = ceil_log2(p)
    dp.add("prod_lzc", "lzc", n=p, category="normalize",
           note="leading zeros of the product (subnormal or small inputs)")
    dp.add("prod_norm", "shift_left", n=p, k=p - 1, category="normalize",
           note="normalize the product significand")
    _wire(dp, sig, "prod_lzc", "x")
    _wire(dp, sig, "prod_norm", "x")
    lz = Tap("prod_lzc", 0, lz_bits)
    _wire(dp, lz, "prod_norm", "s")
    exp = Tap("prod_lzc", 0, lz_bits, invert=True)  # integer products: e_p = constant + not(lz)
    if product.exp_bits:
        dp.add("prod_exp", "subtractor", n=wd.prod_exp, category="normalize",
               note="product exponent: exponent sum - leading zeros")
        dp.connect(product.exp, "prod_exp", product.exp_bits, port="a", lsb=product.exp_lsb)
        _wire(dp, lz, "prod_exp", "b")
        exp = Tap("prod_exp", 0, wd.prod_exp, signed=True)
    if wd.rebias_cells:
        what = "" if product.exp_bits else " to not(lz)"
        dp.add("prod_rebias", "const_adder", n=wd.rebias_cells, category="normalize",
               attrs={"value": wd.rebias},
               note=f"add {wd.rebias}{what}: the product exponent in {acc.name} bias")
        _wire(dp, exp, "prod_rebias", "x")
        exp = Tap("prod_rebias", 0, wd.e_p, signed=wd.e_p_signed)
    elif product.exp_bits:
        exp = Tap(exp.node, 0, wd.e_p, signed=wd.e_p_signed)
    special = Tap(product.special, product.special_lsb, 2 if product.specials == "nan_inf" else 1)
    # an infinite product's sign: a block sum's own sign says nothing when a lane is infinite
    inf_sign = Tap(*product.infinity_sign)
    return ProductTaps(sig=Tap("prod_norm", 0, p), sign=sign, exp=exp, zero=Tap("prod_lzc", lz_bits),
                       special=special, specials=product.specials, inf_sign=inf_sign)


def _exponent_difference(dp: Datapath, wd: FloatWidths, prod: ProductTaps, reg: AccumulatorTaps,
                         acc: Format) -> ExponentDifference:
    """2a. d = e_acc - e_product, |d| clamped to the shifter's range, and the
    accumulator's infinity flag."""
    ea = acc.exp_bits
    dp.add("exp_diff", "subtractor", n=wd.diff, category="aligner", note="d = e_acc - e_product")
    _wire(dp, reg.exp_eff, "exp_diff", "a", name="feedback")
    _wire(dp, prod.exp, "exp_diff", "b")
    dp.add("exp_abs", "cond_negate", n=wd.dmag, category="aligner", note="|d|")
    d, d_neg = Tap("exp_diff", 0, wd.diff, signed=True), Tap("exp_diff", wd.diff - 1)
    _wire(dp, d, "exp_abs", "x")
    _wire(dp, d_neg, "exp_abs", "neg")
    shift = Tap("exp_abs", 0, wd.shift_stages)
    if wd.dmag > wd.shift_stages:
        dp.add("shift_clamp", "shift_clamp", n=wd.dmag, l=wd.shift_stages, category="aligner",
               note=f"|d| past the {wd.n_align}-bit window shifts everything into sticky")
        dp.connect("exp_abs", "shift_clamp", wd.dmag, port="x")
        shift = Tap("shift_clamp", 0, wd.shift_stages)
    dp.add("acc_inf", "and_reduce", n=ea, category="exception",
           note=f"the accumulator is infinite (exponent field {(1 << ea) - 1})")
    _wire(dp, reg.exp, "acc_inf", "x", name="feedback")
    return ExponentDifference(d=d, d_neg=d_neg, shift=shift, acc_inf=Tap("acc_inf"))


def _sticky_range(n: int, larger: int, s: int, subnormals: bool = False) -> dict:
    """The sticky OR of an n-bit window under a larger operand of ``larger`` bits. The
    window's top bit leaves only when all of it does; if the larger operand has at most
    the accumulator's s bits, it has no bits below the round position, so a sticky bit
    that small cannot change the rounded sum: n - 1 bits are enough. A wider larger
    operand (a 14-bit int8 product over fp16's 11) can be a tie that the sticky breaks.
    With subnormals all n: a product shifted wholly out past a zero accumulator must
    leave a non-zero sum, whose sign the result keeps when it rounds to zero (-0)."""
    k = n - 1 if larger <= s and not subnormals else n
    note = "OR of the bits shifted out" + ("" if k == n else " (not the window's top bit: it leaves alone only "
                                                             "with all of them, when no sticky can matter)")
    return {"k": k, "category": "aligner", "note": note}


def _swap_align_add(dp: Datapath, wd: FloatWidths, prod: ProductTaps, reg: AccumulatorTaps,
                    diff: ExponentDifference, acc: Format, adder: AdderStyle) -> AlignedSum:
    """2b-4 with one swap and one shifter. Returns the taps of the sum and its exponent
    and sign."""
    p, s, w, n = wd.p, wd.s, wd.w, wd.n_align
    big = max(p, s)  # bits of the larger operand at the top of the window
    if wd.subnormals:
        # A subnormal accumulator can be smaller than a product of smaller exponent, so the
        # sum can go negative and is negated below (sum_abs); equal exponents then need no
        # comparator either: the swap is d < 0. A zero accumulator (exponent 1) is not
        # swapped: a product below 2^1 shifts into the subnormal grid, and the zero flag
        # makes it an addition with the product's sign.
        dp.add("acc_nonzero", "or_reduce", n=acc.man_bits + 1, category="aligner",
               note="the accumulator is not zero: fraction or hidden bit")
        _wire(dp, reg.frac, "acc_nonzero", "x", name="feedback")
        _wire(dp, reg.hidden, "acc_nonzero", "x", at=acc.man_bits)
        ctl = diff.d_neg
    else:
        dp.add("exp_equal", "or_reduce", n=wd.d_equal, category="aligner",
               note=f"d == 0 (inverted: d != 0): for d >= 0 and a finite accumulator d < 2^{wd.d_equal}, "
                    f"so its low {wd.d_equal} bits decide")
        _wire(dp, diff.d, "exp_equal", "x", width=wd.d_equal)
        dp.add("sig_compare", "comparator_msb", n=p, m=s, category="aligner",
               note="for d == 0: is the product larger? (the result is then never negative)")
        _wire(dp, prod.sig, "sig_compare", "a")
        _wire(dp, reg.frac, "sig_compare", "b", name="feedback")
        _wire(dp, reg.hidden, "sig_compare", "b", at=s - 1)
        ctl = _gate(dp, "swap_ctl", "aoi21", "aligner", "not: d < 0 or (d == 0 and product larger)",
                    a=(Tap("exp_equal"), True), b=Tap("sig_compare"), c=diff.d_neg)
        ctl = _gate(dp, "swap_zero_acc", "or2", "aligner", "... or the accumulator is zero",
                    a=(ctl, True), b=(reg.hidden, True))
    ctl = _gate(dp, "zero_gate", "and2", "aligner", "a zero product never swaps",
                a=ctl, b=(prod.zero, True))
    ctl = _gate(dp, "inf_gate", "and2", "exception", "an infinite accumulator never swaps",
                a=ctl, b=(diff.acc_inf, True))
    dp.add("swap", "swap", n=p, m=s, category="aligner",
           note="larger operand to the adder, smaller to the shifter")
    _wire(dp, prod.sig, "swap", "a")
    _wire(dp, reg.frac, "swap", "b", name="feedback")
    _wire(dp, reg.hidden, "swap", "b", at=s - 1)
    _wire(dp, ctl, "swap", "s")
    dp.add("exp_max", "mux", n=wd.e_max, category="aligner", note="exponent of the larger operand")
    _wire(dp, reg.exp_eff, "exp_max", "a", name="feedback")
    _wire(dp, prod.exp, "exp_max", "b")
    _wire(dp, ctl, "exp_max", "s")
    pick = ctl
    if wd.subnormals:
        pick = _gate(dp, "sign_zero_acc", "or2", "aligner", "the product's sign if it is larger or the "
                     "accumulator is zero", a=ctl, b=(Tap("acc_nonzero"), True))
    sign = _gate(dp, "sign_sel", "mux2", "aligner", "result sign = sign of the larger operand",
                 a=reg.sign, b=prod.sign, s=pick)
    eff_sub = _gate(dp, "eff_sub", "xor2", "aligner", "effective subtraction: signs differ",
                    a=prod.sign, b=reg.sign)
    if wd.subnormals:
        eff_sub = _gate(dp, "eff_sub_zero", "and2", "aligner", "... and the accumulator is not zero",
                        a=eff_sub, b=Tap("acc_nonzero"))
    larger, smaller = Tap("swap", 0, big), Tap("swap", big, big)

    dp.add("align", "shift_right_logical", n=n, k=n, category="aligner",
           note=f"smaller significand >> |d| in a {n}-bit window")
    _wire(dp, smaller, "align", "x", at=n - big)
    _wire(dp, diff.shift, "align", "s")
    dp.add("sticky", "sticky", **_sticky_range(n, p, s, wd.subnormals))
    _wire(dp, smaller, "sticky", "x", at=n - big)
    _wire(dp, diff.shift, "sticky", "s")

    dp.add("sub_invert", "cond_invert", n=w, category="accumulator",
           note="invert the smaller operand for an effective subtraction")
    dp.connect("align", "sub_invert", n, port="x", at=1)
    dp.connect("sticky", "sub_invert", 1, port="x")
    _wire(dp, eff_sub, "sub_invert", "inv")
    if adder.msb:
        dp.add("sig_add", adder.msb, n=w, m=big, category="accumulator",
               note=f"significand adder{adder.tag}: the larger operand has {big} bits, carry-in = effective "
                    "subtraction")
    else:
        dp.add("sig_add", adder.cin, n=w, category="accumulator",
               note=f"significand adder{adder.tag}, {w} bits (the larger operand's {big} at the top), carry-in = "
                    "effective subtraction")
    _wire(dp, larger, "sig_add", "a", at=w - big)
    dp.connect("sub_invert", "sig_add", w, port="b")
    _wire(dp, eff_sub, "sig_add", "cin")
    top = _gate(dp, "carry_mask", "and2", "accumulator", "a subtraction's carry-out is not a result bit",
                a=Tap("sig_add", w), b=(eff_sub, True))
    total = Tap("sig_add", 0, w)
    if wd.subnormals:
        # a subnormal accumulator's exponent 1 does not make it the larger: a product below
        # 2^1 can outweigh it, as can one of equal exponent; the subtraction then goes
        # negative (no carry-out)
        neg = _gate(dp, "sum_neg", "and2", "accumulator", "the sum is negative: a subtraction without carry-out "
                    "(an accumulator less than the product)", a=eff_sub, b=(Tap("sig_add", w), True))
        dp.add("sum_abs", "cond_negate", n=w, category="accumulator", note="|sum| when it is negative")
        _wire(dp, total, "sum_abs", "x")
        _wire(dp, neg, "sum_abs", "neg")
        total = Tap("sum_abs", 0, w)
        if wd.e_p_max >= (1 << acc.exp_bits) - 1:  # a product can outgrow an infinite accumulator
            neg = _gate(dp, "inf_sign", "and2", "exception", "an infinite accumulator keeps its sign",
                        a=neg, b=(diff.acc_inf, True))
        sign = _gate(dp, "sign_fix", "xor2", "aligner", "result sign: the larger operand's, flipped if the sum "
                     "is negative", a=sign, b=neg)
    return AlignedSum(sum=total, top=top, exp=Tap("exp_max", 0, wd.e_max, wd.e_max_signed), sign=sign)


def _two_shifter_align_add(dp: Datapath, wd: FloatWidths, prod: ProductTaps, reg: AccumulatorTaps,
                           diff: ExponentDifference, acc: Format, adder: AdderStyle) -> AlignedSum:
    """2b-4 with a right shifter per operand and no swap. Returns the taps of the sum and
    its exponent and sign."""
    p, s, w, n = wd.p, wd.s, wd.w, wd.n_align
    gate = _gate(dp, "shift_gate", "and2", "aligner", "d < 0 and a non-zero product: the accumulator shifts",
                 a=diff.d_neg, b=(prod.zero, True))
    for tag, invert in (("prod", True), ("acc", False)):
        dp.add(f"route_{tag}", "and_gate", n=wd.shift_stages, category="aligner",
               note=f"|d| to the {'product' if tag == 'prod' else 'accumulator'}'s shifter if "
                    f"d {'>=' if tag == 'prod' else '<'} 0")
        _wire(dp, diff.shift, f"route_{tag}", "x")
        _wire(dp, gate, f"route_{tag}", "g", invert=invert)
    dp.add("exp_max", "mux", n=wd.e_max, category="aligner", note="exponent of the larger operand")
    _wire(dp, reg.exp_eff, "exp_max", "a", name="feedback")
    _wire(dp, prod.exp, "exp_max", "b")
    _wire(dp, gate, "exp_max", "s")
    eff_sub = _gate(dp, "eff_sub", "xor2", "aligner", "effective subtraction: signs differ",
                    a=prod.sign, b=reg.sign)
    for tag, _width in (("prod", p), ("acc", s)):
        what = "product" if tag == "prod" else "accumulator"
        dp.add(f"align_{tag}", "shift_right_logical", n=n, k=n, category="aligner",
               note=f"{what} significand >> its shift in a {n}-bit window")
        # the product shifts under the accumulator's s bits; the accumulator under the product's p
        dp.add(f"sticky_{tag}", "sticky", **_sticky_range(n, s if tag == "prod" else p, s, wd.subnormals))
        for node in (f"align_{tag}", f"sticky_{tag}"):
            if tag == "prod":
                _wire(dp, prod.sig, node, "x", at=n - p)
            else:
                _wire(dp, reg.frac, node, "x", at=n - s, name="feedback")
                _wire(dp, reg.hidden, node, "x", at=n - 1)
            _wire(dp, Tap(f"route_{tag}", 0, wd.shift_stages), node, "s")
    dp.add("sub_invert", "cond_invert", n=w, category="accumulator",
           note="invert the product for an effective subtraction")
    dp.connect("align_prod", "sub_invert", n, port="x", at=1)
    dp.connect("sticky_prod", "sub_invert", 1, port="x")
    _wire(dp, eff_sub, "sub_invert", "inv")
    dp.add("sig_add", adder.cin, n=w + 1, category="accumulator",
           note=f"accumulator +- product{adder.tag}, two's complement with a sign bit")
    dp.connect("align_acc", "sig_add", n, port="a", at=1)
    dp.connect("sticky_acc", "sig_add", 1, port="a")
    dp.connect("sub_invert", "sig_add", w, port="b")
    _wire(dp, eff_sub, "sig_add", "b", at=w)  # the inverted product's sign bit
    _wire(dp, eff_sub, "sig_add", "cin")
    neg = _gate(dp, "sum_neg", "and2", "accumulator",
                "the sum is negative: bit w of a subtraction (of an addition it is the carry)",
                a=Tap("sig_add", w), b=eff_sub)
    dp.add("sum_abs", "cond_negate", n=w + 1, category="accumulator", note="|sum| when it is negative")
    dp.connect("sig_add", "sum_abs", w + 1, port="x")
    _wire(dp, neg, "sum_abs", "neg")
    if wd.e_p_max >= (1 << acc.exp_bits) - 1:  # a product can outgrow an infinite accumulator
        neg = _gate(dp, "inf_sign", "and2", "exception", "an infinite accumulator keeps its sign",
                    a=neg, b=(diff.acc_inf, True))
    sign = _gate(dp, "sign_fix", "xor2", "aligner", "result sign = accumulator sign xor (sum < 0)",
                 a=reg.sign, b=neg)
    return AlignedSum(sum=Tap("sum_abs", 0, w), top=Tap("sum_abs", w),
                      exp=Tap("exp_max", 0, wd.e_max, wd.e_max_signed), sign=sign)


def _normalize_round_store(dp: Datapath, wd: FloatWidths, acc: Format, prod: ProductTaps,
                           reg: AccumulatorTaps, diff: ExponentDifference, mid: AlignedSum) -> None:
    """5-8: normalize, round, range limits, the register and its feedback."""
    w, s = wd.w, wd.s
    ea, ma = acc.exp_bits, acc.man_bits
    lz2 = ceil_log2(w + 1)
    dp.add("norm_lzc", "lzc", n=w + 1, category="normalize", note="leading zeros of the sum (no LZA)")
    dp.add("norm_shift", "shift_left", n=w, k=w, category="normalize",
           note="normalize the sum (the carry-out case is lz = 0); the leading one is not kept")
    _wire(dp, mid.sum, "norm_lzc", "x")
    _wire(dp, mid.top, "norm_lzc", "x", at=w)
    _wire(dp, mid.sum, "norm_shift", "x")
    dp.add("norm_exp", "subtractor", n=wd.norm, category="normalize", note="e_max - lz")
    _wire(dp, mid.exp, "norm_exp", "a")
    dp.connect("norm_lzc", "norm_exp", lz2, port="b")
    exp = Tap("norm_exp", 0, wd.norm, signed=True)
    if wd.subnormals:
        # e_max - lz < 0: the result is subnormal; shift by e_max only (< lz <= w + 1), so
        # the hidden position holds exponent 1's, and the exponent field is 0 + the carry
        subnormal = Tap("norm_exp", wd.norm - 1)
        dp.add("norm_limit", "mux", n=lz2, category="normalize",
               note="shift by lz, or by e_max for a subnormal result (the smallest normal's exponent)")
        dp.connect("norm_lzc", "norm_limit", lz2, port="a")
        _wire(dp, mid.exp, "norm_limit", "b", width=min(lz2, wd.e_max))
        _wire(dp, subnormal, "norm_limit", "s")
        dp.connect("norm_limit", "norm_shift", lz2, port="s")
        # norm_exp OR subnormal in every bit (an AND of the inverted bits, read inverted):
        # -1 for a subnormal result, whose exponent field is then -1 + 1 + the rounding carry
        dp.add("subnormal_exp", "and_gate", n=wd.norm, category="normalize",
               note="a subnormal result's exponent: all ones (-1), so that the +1 below gives 0")
        _wire(dp, exp, "subnormal_exp", "x", invert=True)
        _wire(dp, subnormal, "subnormal_exp", "g", invert=True)
        exp = Tap("subnormal_exp", 0, wd.norm, signed=True, invert=True)
    else:
        dp.connect("norm_lzc", "norm_shift", lz2, port="s")

    below = (w + 1) - s - 1  # bits under the round bit after normalization
    dp.add("round_sticky", "or_reduce", n=max(below, 1), category="round",
           note="sticky = OR of the bits below the round bit")
    dp.connect("norm_shift", "round_sticky", max(below, 1), port="x")
    dp.add("round_decide", "round_rne", category="round", note="round up = R and (L or S)")
    dp.connect("norm_shift", "round_decide", 2, port="x", lsb=below)
    dp.connect("round_sticky", "round_decide", 1, port="s")
    dp.add("round_inc", "incrementer", n=ma, category="round", note="fraction + round up (hidden bit not stored)")
    dp.connect("norm_shift", "round_inc", ma, port="x", lsb=w - ma)
    dp.connect("round_decide", "round_inc", 1, port="c")
    dp.add("round_exp", "const_adder", n=wd.result, category="round", attrs={"value": 1},
           note="exponent + 1 (the sum's carry position) + rounding carry-out")
    _wire(dp, exp, "round_exp", "x")
    dp.connect("round_inc", "round_exp", 1, port="cin", lsb=ma)

    top = (1 << ea) - 1
    if not wd.subnormals:
        dp.add("underflow", "const_compare", n=wd.result, category="exception",
               attrs={"op": "le", "value": 0, "signed": True},
               note="exponent < 1: below the smallest normal, flush to zero")
        dp.connect("round_exp", "underflow", wd.result, port="x")
    dp.add("overflow", "const_compare", n=wd.result, category="exception",
           attrs={"op": "ge", "value": top, "signed": wd.result_signed}, note=f"exponent >= {top}: infinity")
    dp.connect("round_exp", "overflow", wd.result, port="x")
    if prod.specials != "none":
        prim = "fp_naninf_acc" if prod.specials == "nan_inf" else "fp_nan_acc"
        dp.add("special_acc", prim, m=ma, category="exception",
               note="NaN" + (" and infinity" if prod.specials == "nan_inf" else "") + " from the product, "
                    "or already in the accumulator, forced into the result")
        _wire(dp, prod.special, "special_acc", "p")
        dp.connect("acc_inf", "special_acc", 1, port="inf")
        _wire(dp, reg.frac, "special_acc", "frac", name="feedback")
        if prod.specials == "nan_inf":
            _wire(dp, prod.inf_sign, "special_acc", "sign")
            _wire(dp, reg.sign, "special_acc", "acc_sign", name="feedback")
    inf = _gate(dp, "inf_or", "or2", "exception", "infinity: overflow, or it already was",
                a=Tap("overflow"), b=diff.acc_inf)
    flush = Tap("norm_lzc", lz2)  # an exact zero sum is +0
    if not wd.subnormals:
        flush = _gate(dp, "flush_or", "or2", "exception", "flush on underflow or an exact zero sum",
                      a=Tap("underflow"), b=flush)
    flush = _gate(dp, "flush_gate", "and2", "exception", "never flush an infinite accumulator",
                  a=flush, b=(diff.acc_inf, True))
    sign = mid.sign
    if prod.specials == "nan_inf":
        # an infinite product's significand and exponent are those of its inputs' codes:
        # the sum path may take the accumulator's sign, or flush; the product's infinity
        # keeps its own sign and is never flushed
        inf_p = Tap("special_acc", 1)
        sign = _gate(dp, "inf_sign_sel", "mux2", "exception", "an infinite product's sign",
                     a=sign, b=prod.inf_sign, s=inf_p)
        flush = _gate(dp, "inf_no_flush", "and2", "exception", "never flush an infinite product",
                      a=flush, b=(inf_p, True))
    dp.add("range_limit", "fp_range_limit", e=ea, m=ma + 1, category="exception",
           note="force zero (sign cleared) or infinity")
    _wire(dp, flush, "range_limit", "flush")
    _wire(dp, inf, "range_limit", "inf")
    if "special_acc" in dp.components:
        dp.connect("special_acc", "range_limit", 2, port="special")
    dp.connect("round_exp", "range_limit", ea, port="exp")
    dp.connect("round_inc", "range_limit", ma, port="frac")
    _wire(dp, sign, "range_limit", "sign")

    dp.components["acc_reg"] = dp.components.pop("acc_reg")  # listed last, where it is in the path
    dp.connect("range_limit", "acc_reg", acc.bits, port="d")
    dp.port("acc", "out", acc.bits)
    dp.connect("acc_reg", "acc", acc.bits)
