"""K-term dot-product units (tensor-core style), of which a scalar MAC is the k = 1 case.

``dot(weights, activations, k, accumulator)`` builds:

1. k multipliers (one set of components with ``count = k``);
2. the *combine* step, which turns the k products into one block sum, in one of two ways:

   * ``exact`` (always for a fixed-point accumulator): each float product is shifted
     into fixed point and sign-adjusted as in the scalar Kulisch MAC, then a carry-save
     adder tree adds the k products (plus one row for the k two's-complement +1
     corrections). The sum is exact;
   * ``align`` (floating-point accumulators): each float product becomes two's
     complement (p + 1 bits), the largest exponent sum is found (a max tree), every
     product is shifted right by its distance to it into a window of max(p, S + 2) + 1
     bits (S: the accumulator's significand), and an adder tree adds them. Bits shifted
     below the window are dropped, as tensor cores do: the block sum is exact only to
     the window, a documented truncation.

   A floating-point accumulator takes whichever of the two costs fewer gates in total
   (``combine="auto"``, the whitepaper's smallest-gate-count rule): ``exact`` for narrow
   formats whose fixed-point product is short (FP4, FP6, FP8), ``align`` for wide ones
   (BF16: a 525-bit fixed point);
   * integer products (either accumulator): the adder tree alone;

3. block-scale handling for block formats (OCP MX, NVFP4): one scale application per
   block sum: the two E8M0 scale exponents are added and added to the block exponent;
   NVFP4's E4M3 scales are multiplied (significands and exponents) and the block sum is
   multiplied by the scale product's significand;
4. one accumulation of the block sum, by the same accumulator code as the scalar MAC.

With k = 1 and no block scale, steps 2 and 3 build nothing: ``dot(..., k=1)`` is
``mac(...)``, component for component.
"""

from __future__ import annotations

from dataclasses import replace

from ..formats.spec import Format
from ..library.formula import ceil_log2
from ..support.errors import DatapathError, shown, whole
from .graph import Datapath
from .multiplier import Product, sign_magnitude

MAX_K = 2048  # every format and accumulator builds at this k (tests/test_dot.py); k = 4096 lane buses pass the widest signal


def check_k(k, weights: Format, activations: Format) -> int:
    if not whole(k, 1, MAX_K):
        raise DatapathError(f"k={shown(k)} must be a whole number from 1 to {MAX_K}")
    for fmt in (weights, activations):
        if fmt.is_block and fmt.block_size % k:
            raise DatapathError(f"k={k} does not divide {fmt.name}'s block of {fmt.block_size}: a dot "
                                "product spanning several scale blocks is not modelled")
    return k


def combine_fixed(dp: Datapath, lane: Product, k: int) -> Product:
    """Kulisch combine: k products to one exact two's-complement sum."""
    growth = ceil_log2(k)
    width = lane.fixed_width + growth
    tree = "adder_tree"
    if lane.is_float:
        magnitude = lane.fixed_width - 1
        dp.add("lane_align", "shift_left_widening", n=lane.sig_bits, k=lane.shift_max, category="aligner",
               count=k, note=f"each product to fixed point: << exponent sum ({magnitude} magnitude bits)")
        dp.connect(lane.sig, "lane_align", lane.sig_bits, port="x", lsb=lane.sig_lsb)
        dp.connect(lane.exp, "lane_align", lane.exp_bits, port="s", lsb=lane.exp_lsb)
        dp.add("lane_negate", "cond_invert", n=magnitude, category="accumulator", count=k,
               note="negative products inverted; their k +1s take the tree's free carry slots")
        dp.connect("lane_align", "lane_negate", magnitude, port="x", lsb=lane.shift_min)
        dp.connect(lane.sign, "lane_negate", 1, port="inv", lsb=lane.sign_lsb)
        # k +1s: k - 2 free LSB slots of the 3:2 rows, the final adder's carry-in, and the
        # accumulator adder's carry-in (Product.carry_in)
        src, tree = "lane_negate", "adder_tree_cin"
    else:
        src = lane.sig
    dp.add("sum_tree", tree, n=lane.fixed_width, k=k, category="accumulator",
           note=f"{k} products of {lane.fixed_width} bits, a {width}-bit sum")
    if lane.is_float:  # each lane: ~|p| or |p|, its sign above it (wires); +1s of lanes 1..k-1
        dp.connect(src, "sum_tree", lane.fixed_width - 1, port="x")
        dp.connect(lane.sign, "sum_tree", 1, port="x", lsb=lane.sign_lsb, at=lane.fixed_width - 1, signed=True)
        dp.connect(lane.sign, "sum_tree", 1, port="cin", lsb=lane.sign_lsb)
    else:  # the k lanes' two's-complement products
        dp.connect(src, "sum_tree", lane.fixed_width, port="x", signed=True)
    special, inf_sign = _or_flags(dp, lane, k)
    return replace(lane, encoding="twos", sig_bits=width, exp_bits=0, shift_min=0, shift_max=0,
                   fixed_width=width, lead_exp_range=(lane.lead_exp_range[0], lane.lead_exp_range[1] + growth),
                   ulp_offset=lane.ulp_offset + lane.shift_min,  # the fixed point's LSB weight
                   sign=inf_sign[0], sig="sum_tree", exp="", special=special, tree_bits=growth,
                   carry_in=lane.is_float, carry=lane.sign if lane.is_float else "",
                   carry_lsb=lane.sign_lsb, sign_lsb=inf_sign[1], sig_lsb=0, exp_lsb=0,
                   special_lsb=lane.special_lsb if special == lane.special else 0)


def combine_float(dp: Datapath, lane: Product, k: int, acc: Format) -> Product:
    """Floating-point combine: align k products to the largest exponent, add them.

    As arithmetic (what :func:`macgates.run.reference.aligned_block_sum` computes): with E the
    largest exponent sum of the non-zero products and u = 2^(E + ulp_offset - guard) the
    window's LSB weight, each product p becomes floor(p / u) * u (its bits below the window
    dropped from its two's complement: rounding toward minus infinity), and the block sum
    is the exact sum of those."""
    growth = ceil_log2(k)
    p = lane.sig_bits
    window = max(p, acc.man_bits + 3) + 1  # sign + the accumulator's significand, guard, round
    guard = window - (p + 1)
    reach = min(window, lane.shift_max - lane.shift_min)  # the largest useful shift
    stages = ceil_log2(reach + 1)
    e = lane.exp_bits
    dp.add("to_twos", "cond_negate", n=p, category="aligner", count=k,
           note=f"each product to {p + 1}-bit two's complement")
    dp.connect(lane.sig, "to_twos", p, port="x", lsb=lane.sig_lsb)
    dp.connect(lane.sign, "to_twos", 1, port="neg", lsb=lane.sign_lsb)
    # a product of a pw-bit and a pa-bit significand is below 2^(p-1) * 2 and is never
    # 2^(p-1) itself (2^i * 2^j with i < pw, j < pa is at most 2^(p-2)): its top bit is
    # never set alone, so the OR of the other p - 1 bits says whether it is zero
    dp.add("lane_zero", "or_reduce", n=p - 1, category="aligner", count=k,
           note="is the product non-zero? (its top bit is never set alone; a zero product's exponent "
                "must not win the maximum)")
    dp.connect(lane.sig, "lane_zero", p - 1, port="x", lsb=lane.sig_lsb)
    dp.add("lane_sign", "and2", category="aligner", count=k,
           note="two's-complement sign bit: product sign and non-zero (a zero of sign 1 is 0, not -2^p)")
    dp.connect(lane.sign, "lane_sign", 1, port="a", lsb=lane.sign_lsb)
    dp.connect("lane_zero", "lane_sign", 1, port="b")
    dp.add("lane_exp_gate", "and_gate", n=e, category="aligner", count=k,
           note="a zero product's exponent sum forced to 0")
    dp.connect(lane.exp, "lane_exp_gate", e, port="x", lsb=lane.exp_lsb)
    dp.connect("lane_zero", "lane_exp_gate", 1, port="g")
    dp.add("exp_max_tree", "max_tree", n=e, k=k, category="aligner",
           note=f"largest of the {k} exponent sums")
    dp.connect("lane_exp_gate", "exp_max_tree", e, port="x")
    dp.add("lane_diff", "subtractor", n=e, category="aligner", count=k,
           note="distance of each product to the largest exponent")
    dp.connect("exp_max_tree", "lane_diff", e, port="a")
    dp.connect("lane_exp_gate", "lane_diff", e, port="b")
    shift_src = "lane_diff"
    if (lane.shift_max - lane.shift_min).bit_length() > stages:
        dp.add("lane_clamp", "shift_clamp", n=e, l=stages, category="aligner", count=k,
               note=f"a product more than {window} bits below the largest one is dropped")
        dp.connect("lane_diff", "lane_clamp", e, port="x")
        shift_src = "lane_clamp"
    dp.add("lane_align", "shift_right_window", n=p + 1, w=window, k=reach, category="aligner", count=k,
           note=f"arithmetic >> into a {window}-bit window; bits below it are dropped "
                "(rounding toward minus infinity)")
    dp.connect("to_twos", "lane_align", p, port="x")
    dp.connect("lane_sign", "lane_align", 1, port="x", at=p)
    dp.connect(shift_src, "lane_align", stages, port="s")
    width = window + growth
    dp.add("sum_tree", "adder_tree", n=window, k=k, category="accumulator",
           note=f"{k} aligned products, a {width}-bit sum")
    dp.connect("lane_align", "sum_tree", window, port="x", signed=True)
    special, inf_sign = _or_flags(dp, lane, k)
    return replace(lane, encoding="twos", sig_bits=width, fixed_width=lane.fixed_width + growth,
                   lead_exp_range=(lane.lead_exp_range[0] - guard, lane.lead_exp_range[1] + growth),
                   ulp_offset=lane.ulp_offset - guard, sig="sum_tree", exp="exp_max_tree", special=special,
                   tree_bits=growth, sign=inf_sign[0], sign_lsb=inf_sign[1], sig_lsb=0, exp_lsb=0,
                   special_lsb=lane.special_lsb if special == lane.special else 0)


def _or_flags(dp: Datapath, lane: Product, k: int) -> tuple:
    """The k lanes' NaN flags ORed together; with infinities, each lane's infinity split
    by its sign first, so +inf and -inf lanes together make the block NaN. Returns the
    block's special node and (node, bit) of its infinity's sign (a two's-complement block
    sum's ``sign``: the sum's own sign says nothing when a lane is infinite)."""
    if lane.specials == "none" or k == 1:
        return lane.special, ("sum_tree", 0)
    if lane.specials == "nan":
        dp.add("special_tree", "or_reduce", n=k, category="exception", note="any lane NaN",
               attrs={"lanes": True})
        dp.connect(lane.special, "special_tree", 1, port="x", lsb=lane.special_lsb)  # one flag per lane
        return "special_tree", ("sum_tree", 0)
    dp.add("lane_inf_sign", "and_gate", n=2, count=k, category="exception",
           note="a lane's infinity flag split into +inf and -inf by the product sign")
    dp.connect(lane.sign, "lane_inf_sign", 1, port="x", lsb=lane.sign_lsb, invert=True)
    dp.connect(lane.sign, "lane_inf_sign", 1, port="x", lsb=lane.sign_lsb, at=1)
    dp.connect(lane.special, "lane_inf_sign", 1, port="g", lsb=lane.special_lsb + 1)
    dp.add("special_tree", "or_reduce", n=k, count=3, category="exception",
           note="any lane NaN / +inf / -inf (bits 0, 1, 2)", attrs={"lanes": True})
    dp.connect(lane.special, "special_tree", 1, port="x", lsb=lane.special_lsb)
    dp.connect("lane_inf_sign", "special_tree", 2, port="x", at=1)
    dp.add("inf_clash", "and2", category="exception", note="+inf and -inf: NaN")
    dp.connect("special_tree", "inf_clash", 1, port="a", lsb=1)
    dp.connect("special_tree", "inf_clash", 1, port="b", lsb=2)
    dp.add("block_special", "or2", count=2, category="exception",
           note="block NaN (a NaN lane, or both infinities; bit 0) and block infinity (either; bit 1)")
    dp.connect("special_tree", "block_special", 2, port="a")
    dp.connect("inf_clash", "block_special", 1, port="b")
    dp.connect("special_tree", "block_special", 1, port="b", lsb=2, at=1)
    return "block_special", ("special_tree", 2)


def apply_scale(dp: Datapath, block: Product, weights: Format, activations: Format) -> Product:
    """One block-scale application: the block sum times the operands' shared scales.

    The scale codes come in on ports ``w_scale`` / ``a_scale``. A scale code with a NaN
    meaning (E8M0's 0xFF, UE4M3's 0x7F: all ones either way) makes the block NaN. Power-
    of-two scales (E8M0) only add to the block's exponent; NVFP4's UE4M3 scales also
    multiply its significand: the two scale significands are multiplied, the block sum is
    turned into sign + magnitude and multiplied by that product."""
    scales = [f.scale for f in (weights, activations) if f.is_block]
    if not scales:
        return block
    if len(scales) == 2 and scales[0] != scales[1]:
        raise DatapathError(f"{weights.name} x {activations.name}: block scales {scales[0].name} and "
                            f"{scales[1].name} differ")
    scale = scales[0]
    n = len(scales)
    ports = [p for p, f in (("w_scale", weights), ("a_scale", activations)) if f.is_block]
    for port in ports:
        dp.port(port, "in", scale.bits)
    if scale.specials != "none":
        # E8M0's 0xFF and UE4M3's 0x7F are NaN: every bit of the code set
        dp.add("scale_nan", "and_reduce", n=scale.bits, count=n, category="exception",
               note=f"block scale is NaN ({scale.name}: all ones)", attrs={"fields": n})
        for i, port in enumerate(ports):
            dp.connect(port, "scale_nan", scale.bits, port="x", at=i * scale.bits)
        if block.specials == "none" and n == 1:
            block = replace(block, specials="nan", special="scale_nan", special_lsb=0)
        else:
            # an infinite block times a zero scale (UE4M3 has 0; E8M0 has none) is NaN too
            zeros = ports if block.specials == "nan_inf" and scale.decode(0) == 0 else []
            flags = n + (block.specials != "none") + len(zeros)
            dp.add("scale_nan_or", "or_reduce", n=flags, category="exception",
                   note="block NaN: " + ("a lane's, or " if block.specials != "none" else "") + "a NaN scale"
                        + (", or infinity times a zero scale" if zeros else ""))
            dp.connect("scale_nan", "scale_nan_or", n, port="x")
            if block.specials != "none":
                dp.connect(block.special, "scale_nan_or", 1, port="x", lsb=block.special_lsb, at=n)
            for i, port in enumerate(zeros):
                tag = port[0]  # w or a
                dp.add(f"scale_zero_{tag}", "or_reduce", n=scale.bits, category="exception",
                       note="block scale is not zero")
                dp.connect(port, f"scale_zero_{tag}", scale.bits, port="x")
                dp.add(f"scale_inf_zero_{tag}", "and2", category="exception",
                       note="infinite block times a zero scale: NaN")
                dp.connect(block.special, f"scale_inf_zero_{tag}", 1, port="a", lsb=block.special_lsb + 1)
                dp.connect(f"scale_zero_{tag}", f"scale_inf_zero_{tag}", 1, port="b", invert=True)
                dp.connect(f"scale_inf_zero_{tag}", "scale_nan_or", 1, port="x", at=n + 1 + i)
            if block.specials == "nan_inf":  # the block's infinity flag passes by (bit 1, a wire)
                dp.connect(block.special, "scale_nan_or", 1, port="above", lsb=block.special_lsb + 1)
            block = replace(block, specials=block.specials if block.specials != "none" else "nan",
                            special="scale_nan_or", special_lsb=0)
    lo, hi = n * scale.min_exp_field, n * scale.max_exp_field
    offset = -n * (scale.bias + scale.man_bits)
    sig, sig_bits = block.sig, block.sig_bits
    sbits = max(scale.max_exp_field.bit_length(), 1)  # one scale's (effective) exponent
    exps = [(port, 0) for port in ports]  # where each scale's exponent is: (node, lsb)
    if scale.man_bits and block.encoding == "twos":
        # an unsigned multiply needs the block sum as sign + magnitude; a float-lane block
        # sum T still owes lane 0's +1 (c): |T + c| = (T xor s) + (s xor c)
        top = sign_magnitude(dp, block, "scale_signmag", "scale_carry_fix", "multiplier",
                             "block sum to sign + magnitude for the scale multiply")
        block = replace(block, encoding="signmag", sig_bits=sig_bits - 1, sign=sig, sign_lsb=top,
                        sig="scale_signmag", sig_lsb=0, carry_in=False, carry="",
                        inf_sign=block.sign, inf_sign_lsb=block.sign_lsb)
        sig, sig_bits = "scale_signmag", sig_bits - 1
    if scale.man_bits:  # NVFP4: UE4M3 scales have significands to multiply
        e, m = scale.exp_bits, scale.man_bits
        dp.add("scale_decode", "fp_decode", e=e, count=n, category="multiplier",
               note="hidden bit and subnormal exponent of each block scale", attrs={"fields": n})
        for i, port in enumerate(ports):
            dp.connect(port, "scale_decode", e, port="e", lsb=m, at=i * e)
        exps = [("scale_decode", i * (e + 1)) for i in range(n)]
        s = scale.sig_bits

        def significand(i, dst, dst_port):
            dp.connect(ports[i], dst, m, port=dst_port, lsb=0)
            dp.connect("scale_decode", dst, 1, port=dst_port, lsb=i * (e + 1) + e, at=m)

        if n == 2:
            dp.add("scale_pp", "pp_bits", n=s, m=s, category="multiplier", note="scale x scale")
            dp.add("scale_reduce", "pp_reduce", n=s, m=s, category="multiplier")
            significand(0, "scale_pp", "a")
            significand(1, "scale_pp", "b")
            dp.connect("scale_pp", "scale_reduce", s * s, port="pp")
            ssig = 2 * s
        else:
            ssig = s
        dp.add("scale_apply_pp", "pp_bits", n=sig_bits, m=ssig, category="multiplier",
               note="block sum x scale significand")
        dp.add("scale_apply", "pp_reduce", n=sig_bits, m=ssig, category="multiplier")
        dp.connect(sig, "scale_apply_pp", sig_bits, port="a", lsb=block.sig_lsb)
        if n == 2:
            dp.connect("scale_reduce", "scale_apply_pp", ssig, port="b")
        else:
            significand(0, "scale_apply_pp", "b")
        dp.connect("scale_apply_pp", "scale_apply", sig_bits * ssig, port="pp")
        sig, sig_bits = "scale_apply", sig_bits + ssig
        block = replace(block, sig_lsb=0)
    exp_src, exp_lsb, ebits = exps[0][0], exps[0][1], sbits
    if n == 2:
        dp.add("scale_add", "adder", n=sbits, category="multiplier",
               note="sum of the two shared scale exponents")
        dp.connect(exps[0][0], "scale_add", sbits, port="a", lsb=exps[0][1])
        dp.connect(exps[1][0], "scale_add", sbits, port="b", lsb=exps[1][1])
        exp_src, exp_lsb, ebits = "scale_add", 0, sbits + 1
    smin, smax = block.shift_min + lo, block.shift_max + hi
    exp_bits = max(smax.bit_length(), 1)
    if block.exp_bits:
        wide, narrow = (block.exp_bits, ebits) if block.exp_bits >= ebits else (ebits, block.exp_bits)
        dp.add("scale_exp", "adder_lsb", n=wide, m=narrow, category="multiplier",
               note="block exponent + scale exponent")
        ends = [(block.exp, block.exp_lsb, block.exp_bits), (exp_src, exp_lsb, ebits)]
        if block.exp_bits < ebits:
            ends.reverse()
        for (src, lsb, width), port in zip(ends, ("a", "b")):
            dp.connect(src, "scale_exp", width, port=port, lsb=lsb)
        exp_src, exp_lsb = "scale_exp", 0
    grow = sig_bits - block.sig_bits
    lead = (block.lead_exp_range[0] + lo + offset, block.lead_exp_range[1] + hi + offset + grow)
    return replace(block, sig_bits=sig_bits, exp_bits=exp_bits, shift_min=smin, shift_max=smax,
                   fixed_width=block.fixed_width + grow + (hi - lo), lead_exp_range=lead,
                   ulp_offset=block.ulp_offset + offset, sig=sig, exp=exp_src, exp_lsb=exp_lsb)
