"""Fixed-point (Kulisch) accumulation: whitepaper Figure 2, left.

The accumulator is a two's-complement register as wide as the exact fixed-point product
plus ``headroom`` bits ("FX+12": 2^12 = 4096 extreme products without overflow).

* Integer products are already two's complement: sign-extend and add.
* Floating-point products (Brunie 2017) pass a product pipe stage (a register, added
  by the builder: :meth:`Kulisch.default_pipe`), are shifted left by their exponent sum into fixed point (the product alignment shifter),
  and are added or subtracted by their sign: the aligned magnitude is conditionally
  inverted and the sign enters the adder as its carry-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..library.adders import adder_style
from ..support.errors import DatapathError
from .graph import Datapath
from .multiplier import Product, sign_magnitude

DEFAULT_HEADROOM = 12


@dataclass(frozen=True)
class Kulisch:
    """A fixed-point accumulator; ``width=None`` means product width + ``headroom``;
    ``adder``: the accumulator adder's style (:data:`macgates.library.adders.ADDERS`)."""

    width: int | None = None
    headroom: int = DEFAULT_HEADROOM
    adder: str = "ripple"

    kind = "kulisch"

    def __post_init__(self):
        object.__setattr__(self, "adder", adder_style(self.adder).name)  # (a record given: its name)

    def __str__(self) -> str:
        return self.kind if self.width is None else f"{self.kind}:{self.width}"

    def acc_bits(self, product: Product) -> int:
        if self.width is None:
            # headroom counts products: a k-term block sum's tree bits are inside it
            return product.fixed_width - product.tree_bits + max(self.headroom, product.tree_bits)
        if self.width < product.fixed_width:
            raise DatapathError(
                f"kulisch:{self.width} is narrower than the {product.fixed_width}-bit exact product of "
                f"{product.weights.name} x {product.activations.name}; use at least "
                f"kulisch:{product.fixed_width}")
        return self.width

    def default_pipe(self, product: Product, k: int = 1) -> bool:
        """Figure 2 left: a scalar MAC of float inputs has a product pipe stage, integer
        inputs do not. A k-term unit gets none by default (neither accumulator does)."""
        return product.is_float and k == 1

    combine = "exact"

    def combine_step(self, dp: Datapath, product: Product, k: int) -> Product:
        """k products to one exact block sum (see :mod:`macgates.datapath.dotproduct`)."""
        from .dotproduct import combine_fixed

        return combine_fixed(dp, product, k)

    def _align_signmag(self, dp: Datapath, product: Product, acc: int) -> None:
        """A product with an exponent (a float product, or a block sum with its scale
        exponent) into the ``acc``-bit accumulator's fixed point: its magnitude shifted
        left by the exponent (zero filled, App. B's widening shifter), inverted when
        negative, the +1 as the accumulator adder's carry-in and the sign in the adder's
        upper bits (wires).

        A block sum arrives in two's complement: it is made sign + magnitude first
        (``block_signmag``), with lane 0's +1 still owed riding on that increment
        (|T + c| = (T xor s) + (s xor c), s the sign of T): a zero-filled shift of a
        two's-complement word would not sign-extend it."""
        magnitude = product.fixed_width - 1
        if product.is_float:
            name, note = "align", "product"
            src, lsb, bits = product.sig, product.sig_lsb, product.sig_bits
            sign, sign_lsb = product.sign, product.sign_lsb
        else:
            name, note = "scale_align", "block sum"
            bits, sign = product.magnitude_bits, product.sig
            sign_lsb = sign_magnitude(dp, product, "block_signmag", "block_carry_fix", "accumulator",
                                      "two's-complement block sum to sign + magnitude")
            src, lsb = "block_signmag", 0
        exponent = "exponent sum" if product.is_float else "scale exponent"
        dp.add(name, "shift_left_widening", n=bits, k=product.shift_max, category="aligner",
               note=f"{note} to fixed point: << {exponent}; the {product.shift_min} always-zero low bits "
                    f"are dropped, {magnitude} magnitude bits remain")
        dp.connect(src, name, bits, port="x", lsb=lsb)
        dp.connect(product.exp, name, product.exp_bits, port="s", lsb=product.exp_lsb)
        dp.add("negate", "cond_invert", n=magnitude, category="accumulator",
               note=f"subtract negative {note}s: invert here, +1 as the adder's carry-in")
        dp.connect(name, "negate", magnitude, port="x", lsb=product.shift_min)
        dp.connect(sign, "negate", 1, port="inv", lsb=sign_lsb)
        dp.add("acc_add", adder_style(self.adder).cin, n=acc, category="accumulator",
               note=f"accumulator adder{adder_style(self.adder).tag}; carry-in = {note} sign")
        dp.connect("negate", "acc_add", magnitude, port="b")
        # the adder's upper b inputs are the sign (wires): -x = ~x + 1
        dp.connect(sign, "acc_add", 1, port="b", lsb=sign_lsb, at=magnitude, signed=True)
        dp.connect(sign, "acc_add", 1, port="cin", lsb=sign_lsb)

    def attach(self, dp: Datapath, product: Product) -> None:
        """Add the accumulator's components after the multiplier (and pipe stage)."""
        acc = self.acc_bits(product)
        dp.info.update(acc_bits=acc, product_bits=product.fixed_width)
        if product.is_float or product.exp_bits:
            self._align_signmag(dp, product, acc)
        else:
            adder = adder_style(self.adder).primitive(product.carry_in)
            dp.add("acc_add", adder, n=acc, category="accumulator",
                   note=f"accumulator adder{adder_style(self.adder).tag}; the {product.fixed_width}-bit product is sign-extended"
                        + ("; carry-in = the last +1 correction" if product.carry_in else ""))
            dp.connect(product.sig, "acc_add", product.sig_bits, port="b", signed=True, lsb=product.sig_lsb)
            if product.carry_in and product.carry:  # lane 0's +1 (the tree takes the others)
                dp.connect(product.carry, "acc_add", 1, port="cin", lsb=product.carry_lsb, lane=0)
        if product.specials != "none":
            flags = 3 if product.specials == "nan_inf" else 1
            dp.add("special_acc", "kulisch_special", f=flags, category="exception",
                   note="sticky NaN" + (", +inf, -inf" if flags == 3 else "") + " flags: a fixed-point "
                        "accumulator has no code for them")
            dp.connect(product.special, "special_acc", 2 if flags == 3 else 1, port="p",
                       lsb=product.special_lsb)
            if flags == 3:  # an infinity's sign picks its flag
                node, bit = product.infinity_sign
                dp.connect(node, "special_acc", 1, port="sign", lsb=bit)
        dp.add("acc_reg", "register", n=acc, category="register", note="accumulator register")
        dp.connect("acc_add", "acc_reg", acc, port="d")
        dp.connect("acc_reg", "acc_add", acc, name="feedback", port="a")
        dp.port("acc", "out", acc)
        dp.connect("acc_reg", "acc", acc)
