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

from .datapath import Datapath
from .errors import DatapathError
from .multiplier import Product

DEFAULT_HEADROOM = 12


@dataclass(frozen=True)
class Kulisch:
    """A fixed-point accumulator; ``width=None`` means product width + ``headroom``."""

    width: int | None = None
    headroom: int = DEFAULT_HEADROOM

    kind = "kulisch"

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
        """k products to one exact block sum (see :mod:`macgates.dot`)."""
        from .dot import combine_fixed

        return combine_fixed(dp, product, k)

    def attach(self, dp: Datapath, product: Product) -> None:
        """Add the accumulator's components after the multiplier (and pipe stage)."""
        acc = self.acc_bits(product)
        dp.info.update(acc_bits=acc, product_bits=product.fixed_width)
        if product.is_float:
            magnitude = product.fixed_width - 1
            dp.add("align", "shift_left_widening", n=product.sig_bits, k=product.shift_max,
                   category="aligner",
                   note=f"product to fixed point: << exponent sum; the {product.shift_min} "
                        f"always-zero low bits are dropped, {magnitude} magnitude bits remain")
            dp.connect(product.sig, "align", product.sig_bits, port="x", lsb=product.sig_lsb)
            dp.connect(product.exp, "align", product.exp_bits, port="s", lsb=product.exp_lsb)
            dp.add("negate", "cond_invert", n=magnitude, category="accumulator",
                   note="subtract negative products: invert here, +1 as the adder's carry-in")
            dp.connect("align", "negate", magnitude, port="x", lsb=product.shift_min)
            dp.connect(product.sign, "negate", 1, port="inv", lsb=product.sign_lsb)
            dp.add("acc_add", "adder_cin", n=acc, category="accumulator",
                   note="accumulator adder; carry-in = product sign")
            dp.connect("negate", "acc_add", magnitude, port="b")
            # the adder's upper b inputs are the product sign (wires): -x = ~x + 1
            dp.connect(product.sign, "acc_add", 1, port="b", lsb=product.sign_lsb, at=magnitude, signed=True)
            dp.connect(product.sign, "acc_add", 1, port="cin", lsb=product.sign_lsb)
        else:
            src, width = product.sig, product.sig_bits
            if product.exp_bits:  # a block sum with a shared scale exponent
                dp.add("scale_align", "shift_left_widening", n=product.sig_bits, k=product.shift_max,
                       category="aligner", note="block sum to fixed point: << scale exponent (sign-filled)",
                       attrs={"not_executable": "a sign-filled widening shift is costed as App. B's "
                                                "zero-filled one; its behaviour is not written yet"})
                dp.connect(product.sig, "scale_align", product.sig_bits, port="x", lsb=product.sig_lsb)
                dp.connect(product.exp, "scale_align", product.exp_bits, port="s", lsb=product.exp_lsb)
                src, width = "scale_align", product.fixed_width
            adder = "adder_cin" if product.carry_in else "adder"
            dp.add("acc_add", adder, n=acc, category="accumulator",
                   note=f"accumulator adder; the {product.fixed_width}-bit product is sign-extended"
                        + ("; carry-in = the last +1 correction" if product.carry_in else ""))
            dp.connect(src, "acc_add", width, port="b", signed=True,
                       lsb=product.sig_lsb if src == product.sig else 0)
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
                dp.connect(product.sign, "special_acc", 1, port="sign", lsb=product.sign_lsb)
        dp.add("acc_reg", "register", n=acc, category="register", note="accumulator register")
        dp.connect("acc_add", "acc_reg", acc, port="d")
        dp.connect("acc_reg", "acc_add", acc, name="feedback", port="a")
        dp.port("acc", "out", acc)
        dp.connect("acc_reg", "acc", acc)
