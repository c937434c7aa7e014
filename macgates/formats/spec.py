"""Number formats: one parametrized record, never a class per format.

``format("fp8_e4m3")`` returns a :class:`Format`; its ``repr`` rebuilds it::

    >>> format("e4m3")
    Format(name='fp8_e4m3', kind='float', bits=8, exp_bits=4, man_bits=3, bias=8, specials='none')

Integers are two's complement with the symmetric range [-(2^(n-1) - 1), 2^(n-1) - 1]
(the quantization convention that leaves -2^(n-1) unused), so an int8 x int8 product
needs 15 bits, the width the whitepaper gives. ``symmetric=False`` uses the full range.

Floating-point formats have subnormals (a format without mantissa bits, like the E8M0
block scale, has none). ``specials`` says which codes are not numbers:

* ``'none'``: every code is a number. The whitepaper's FP8 (App. A) reserves one NaN
  code, 0b1000_0000, that this model decodes as zero (the paper ignores it too); the
  OCP MX element types FP4/FP6 have no special codes at all.
* ``'fn'``: OCP ``float8_e4m3fn``: no infinity; the all-ones exponent holds numbers
  except S.1111.111, which is NaN.
* ``'ieee'``: IEEE 754 style: the all-ones exponent is infinity (mantissa 0) or NaN.

Block-scaled formats (OCP MX, NVFP4) are the element format's record with
``block_size`` elements sharing one ``scale`` (itself a Format).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from ..support.errors import FormatError, did_you_mean

SPECIALS = ("none", "fn", "ieee")
INT_BITS = range(2, 33)


@dataclass(frozen=True)
class Format:
    """A number format: ``kind`` is ``'int'`` or ``'float'``."""

    name: str
    kind: str
    bits: int
    exp_bits: int = 0
    man_bits: int = 0
    bias: int = 0
    specials: str = "none"
    symmetric: bool = True
    signed: bool = True
    block_size: int = 0
    scale: "Format | None" = None

    def __post_init__(self):
        if self.kind not in ("int", "float"):
            raise FormatError(f"format {self.name}: kind must be 'int' or 'float', got {self.kind!r}")
        if self.specials not in SPECIALS:
            raise FormatError(f"format {self.name}: specials must be one of {', '.join(SPECIALS)}")
        if self.kind == "float":
            if self.exp_bits < 1 or self.man_bits < 0 or self.bits != int(self.signed) + self.exp_bits + self.man_bits:
                raise FormatError(f"format {self.name}: bits must be (1 if signed) + exp_bits + man_bits "
                                  f"with exp_bits >= 1")
        elif self.bits < 2 or self.exp_bits or self.man_bits:
            raise FormatError(f"format {self.name}: an integer format has bits >= 2 and no exponent")
        if (self.block_size > 0) != (self.scale is not None):
            raise FormatError(f"format {self.name}: a block-scaled format needs both block_size and scale")

    def __repr__(self) -> str:
        if self.kind == "int":
            fields = f"name={self.name!r}, kind='int', bits={self.bits}"
            fields += "" if self.symmetric else ", symmetric=False"
        else:
            fields = (f"name={self.name!r}, kind='float', bits={self.bits}, exp_bits={self.exp_bits}, "
                      f"man_bits={self.man_bits}, bias={self.bias}, specials={self.specials!r}")
            fields += "" if self.signed else ", signed=False"
        if self.block_size:
            fields += f", block_size={self.block_size}, scale={self.scale!r}"
        return f"Format({fields})"

    # -- codes and values (macgates/formats/encoding.py) ---------------------------------------
    def decode(self, bits):
        """The value of code ``bits``: a Fraction, or math.inf / -math.inf / math.nan."""
        from .encoding import decode

        return decode(self, bits)

    def encode(self, value) -> int:
        """The code of ``value``, rounded to nearest even with this format's overflow rule."""
        from .encoding import encode

        return encode(self, value)

    def quantize(self, x, scale=1.0):
        """``x`` (numbers, any shape) to this format's nearest values after dividing by
        ``scale``, times ``scale``: float64, the rounding and overflow rules of
        :meth:`encode` (:func:`macgates.accuracy.quantize.quantize`, which this calls)."""
        from ..accuracy.quantize import quantize

        return quantize(self, x, scale)

    # -- the quantities datapath widths follow from ------------------------------------
    @property
    def is_float(self) -> bool:
        return self.kind == "float"

    @property
    def is_block(self) -> bool:
        return self.block_size > 0

    @property
    def subnormals(self) -> bool:
        return self.is_float and self.man_bits > 0

    @property
    def sig_bits(self) -> int:
        """Significand bits a multiplier sees: M + 1 (hidden bit) for floats; for integers
        the whole two's-complement word."""
        return self.man_bits + 1 if self.is_float else self.bits

    @property
    def max_exp_field(self) -> int:
        """Largest exponent field that encodes finite numbers."""
        top = (1 << self.exp_bits) - 1
        return top - 1 if self.specials == "ieee" else top

    @property
    def min_exp_field(self) -> int:
        """Smallest effective exponent: 1 (subnormals share the first binade), or 0 for a
        format without mantissa bits (E8M0: 2^(0 - bias) is its smallest value)."""
        return 1 if self.subnormals else 0

    @property
    def ulp_exp_range(self) -> tuple[int, int]:
        """Exponent of the weight of the significand's LSB, smallest and largest."""
        if not self.is_float:
            return (0, 0)
        return (self.min_exp_field - self.bias - self.man_bits, self.max_exp_field - self.bias - self.man_bits)

    @cached_property
    def max_value(self) -> Fraction:
        if not self.is_float:
            return Fraction((1 << (self.bits - 1)) - 1)
        top = 2 - Fraction(1, 1 << self.man_bits)
        if self.specials == "fn":  # S.1111.111 is NaN: the largest mantissa is one ulp less
            top -= Fraction(1, 1 << self.man_bits)
        return Fraction(2) ** (self.max_exp_field - self.bias) * top

    @cached_property
    def min_positive(self) -> Fraction:
        if not self.is_float:
            return Fraction(1)
        return Fraction(2) ** self.ulp_exp_range[0]

    @property
    def dynamic_range(self) -> float:
        """log2(largest / smallest positive value); for a block-scaled format, the element's
        range widened by the scale's."""
        from math import log2

        own = log2(self.max_value / self.min_positive)
        return own + (log2(self.scale.max_value / self.scale.min_positive) if self.is_block else 0)

    @property
    def precision_bits(self) -> int:
        """Mantissa bits (floats) or magnitude bits below the leading one (integers)."""
        return self.man_bits if self.is_float else self.bits - 2


def _float(name, exp_bits, man_bits, bias, specials="none", signed=True) -> Format:
    return Format(name, "float", int(signed) + exp_bits + man_bits, exp_bits, man_bits, bias,
                  specials, signed=signed)


def _paper_fp8(exp_bits: int) -> Format:
    # App. A: bias 2^(e-1), subnormals, no infinity.
    return _float(f"fp8_e{exp_bits}m{7 - exp_bits}", exp_bits, 7 - exp_bits, 1 << (exp_bits - 1))


E8M0 = _float("e8m0", 8, 0, 127, "ieee", signed=False)  # OCP MX shared scale: 2^-127..2^127, NaN
UE4M3 = _float("ue4m3", 4, 3, 7, "fn", signed=False)  # NVFP4 block scale: unsigned E4M3
_ELEMENTS = {f.name: f for f in (
    _float("fp4_e2m1", 2, 1, 1),
    _float("fp6_e2m3", 2, 3, 1),
    _float("fp6_e3m2", 3, 2, 3),
    _float("float8_e4m3fn", 4, 3, 7, "fn"),
    _float("float8_e5m2", 5, 2, 15, "ieee"),
)}


def _block(name: str, element: Format, block: int, scale: Format) -> Format:
    from dataclasses import replace

    return replace(element, name=name, block_size=block, scale=scale)


_NAMED: dict[str, Format] = {f.name: f for f in (
    *(_paper_fp8(e) for e in (2, 3, 4, 5)),
    *_ELEMENTS.values(),
    _float("fp16", 5, 10, 15, "ieee"),
    _float("bf16", 8, 7, 127, "ieee"),
    _float("tf32", 8, 10, 127, "ieee"),
    _float("fp32", 8, 23, 127, "ieee"),
    _block("mxfp8_e4m3", _ELEMENTS["float8_e4m3fn"], 32, E8M0),
    _block("mxfp8_e5m2", _ELEMENTS["float8_e5m2"], 32, E8M0),
    _block("mxfp6_e2m3", _ELEMENTS["fp6_e2m3"], 32, E8M0),
    _block("mxfp6_e3m2", _ELEMENTS["fp6_e3m2"], 32, E8M0),
    _block("mxfp4", _ELEMENTS["fp4_e2m1"], 32, E8M0),
    Format("mxint8", "int", 8, symmetric=False, block_size=32, scale=E8M0),
    _block("nvfp4", _ELEMENTS["fp4_e2m1"], 16, UE4M3),
    E8M0,
    UE4M3,
)}
SOURCES = {
    **{f"fp8_e{e}m{7 - e}": "whitepaper App. A (van Baalen et al. 2023)" for e in (2, 3, 4, 5)},
    "fp4_e2m1": "OCP Microscaling (MX) spec v1.0, element type; ml_dtypes float4_e2m1fn",
    "fp6_e2m3": "OCP Microscaling (MX) spec v1.0, element type; ml_dtypes float6_e2m3fn",
    "fp6_e3m2": "OCP Microscaling (MX) spec v1.0, element type; ml_dtypes float6_e3m2fn",
    "float8_e4m3fn": "OCP 8-bit floating point spec (OFP8), E4M3; ml_dtypes name",
    "float8_e5m2": "OCP 8-bit floating point spec (OFP8), E5M2; ml_dtypes name",
    "fp16": "IEEE 754 binary16",
    "bf16": "bfloat16 (Google Brain; IEEE-style specials)",
    "tf32": "NVIDIA TensorFloat-32 (E8M10)",
    "fp32": "IEEE 754 binary32",
    "mxfp8_e4m3": "OCP MX v1.0: float8_e4m3fn x32, E8M0 scale",
    "mxfp8_e5m2": "OCP MX v1.0: float8_e5m2 x32, E8M0 scale",
    "mxfp6_e2m3": "OCP MX v1.0: fp6_e2m3 x32, E8M0 scale",
    "mxfp6_e3m2": "OCP MX v1.0: fp6_e3m2 x32, E8M0 scale",
    "mxfp4": "OCP MX v1.0: fp4_e2m1 x32, E8M0 scale",
    "mxint8": "OCP MX v1.0: int8 x32 (full two's-complement range), E8M0 scale",
    "nvfp4": "NVIDIA NVFP4: fp4_e2m1 x16, unsigned E4M3 scale",
    "e8m0": "OCP MX v1.0 shared scale (power of two); ml_dtypes float8_e8m0fnu",
    "ue4m3": "NVFP4 block scale (unsigned E4M3)",
}
# The standard each format follows, in one word or two: what `list formats` shows so
# that the whitepaper's FP8 (fp8_e4m3: bias 8, max 240) is not mistaken for OCP's
# (float8_e4m3fn: bias 7, max 448).
STANDARDS = {
    **{f"fp8_e{e}m{7 - e}": "whitepaper" for e in (2, 3, 4, 5)},
    **{n: "OCP MX" for n in ("fp4_e2m1", "fp6_e2m3", "fp6_e3m2", "mxfp8_e4m3", "mxfp8_e5m2",
                             "mxfp6_e2m3", "mxfp6_e3m2", "mxfp4", "mxint8", "e8m0")},
    "float8_e4m3fn": "OCP OFP8", "float8_e5m2": "OCP OFP8",
    "fp16": "IEEE 754", "fp32": "IEEE 754", "bf16": "bfloat16", "tf32": "NVIDIA",
    "nvfp4": "NVIDIA", "ue4m3": "NVIDIA",
}
INT_SOURCE = "two's complement, symmetric range (quantization convention)"
# Other spellings a user will type: the whitepaper's short names, the OCP and ml_dtypes
# names, and common ones. Ambiguous ones ("fp8", "e4m3" is the whitepaper's) stay as
# documented: e2m5..e5m2 are the whitepaper's FP8 variants.
ALIASES = {
    **{f"e{e}m{7 - e}": f"fp8_e{e}m{7 - e}" for e in (2, 3, 4, 5)},
    "fp4": "fp4_e2m1", "e2m1": "fp4_e2m1", "float4_e2m1fn": "fp4_e2m1", "e2m1fn": "fp4_e2m1",
    "float6_e2m3fn": "fp6_e2m3", "e2m3fn": "fp6_e2m3", "e2m3": "fp6_e2m3",
    "float6_e3m2fn": "fp6_e3m2", "e3m2fn": "fp6_e3m2", "e3m2": "fp6_e3m2",
    "e4m3fn": "float8_e4m3fn", "fp8_e4m3fn": "float8_e4m3fn", "ofp8_e4m3": "float8_e4m3fn",
    "fp8_e5m2_ieee": "float8_e5m2", "ofp8_e5m2": "float8_e5m2",
    "float8_e8m0fnu": "e8m0", "e8m0fnu": "e8m0",
    "mxfp8": "mxfp8_e4m3", "mxfp6": "mxfp6_e2m3",
    "float16": "fp16", "half": "fp16", "binary16": "fp16",
    "bfloat16": "bf16", "float32": "fp32", "single": "fp32", "binary32": "fp32",
    "tensorfloat32": "tf32",
}
_INT = re.compile(r"^int(\d{1,2})$")
def format(name) -> Format:  # noqa: A001 - the API name the issue asks for
    """Look a format up by name (``int8``, ``fp8_e4m3``, ``e4m3``, ``fp16``, ``mxfp4``, ...)."""
    if isinstance(name, Format):
        return name
    if not isinstance(name, str):
        raise FormatError(f"format name must be a string, got {type(name).__name__}")
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key in _NAMED:
        return _NAMED[key]
    match = _INT.match(key)
    if match and int(match.group(1)) in INT_BITS:
        return Format(key, "int", int(match.group(1)))
    import difflib

    close = difflib.get_close_matches(key[:40], [*_NAMED, *ALIASES], n=3, cutoff=0.75)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    raise FormatError(f"unknown format {name[:40]!r} ({hint}{did_you_mean(known_names())}; other "
                      "spellings such as e4m3fn, float4_e2m1fn, bfloat16: 'macgates list formats')")


def all_formats() -> list[Format]:
    """Every format a name gives, for listings: int2, int3, ..., int32, then the named ones."""
    return [format(f"int{b}") for b in range(2, 33)] + list(_NAMED.values())


def source_of(fmt: Format) -> str:
    if fmt is not _NAMED.get(fmt.name) and not _is_builtin_int(fmt):
        return "user-defined"
    return INT_SOURCE if fmt.kind == "int" and not fmt.is_block else SOURCES.get(fmt.name, "user-defined")


def standard_of(fmt: Format) -> str:
    """The standard a format follows, in a word or two (``list formats``' column)."""
    if fmt is not _NAMED.get(fmt.name) and not _is_builtin_int(fmt):
        return "user-defined"
    return "integer" if fmt.kind == "int" and not fmt.is_block else STANDARDS.get(fmt.name, "user-defined")


def _is_builtin_int(fmt: Format) -> bool:
    match = _INT.match(fmt.name)
    return bool(match) and fmt == Format(fmt.name, "int", int(match.group(1)))


def lookup(name, own=None) -> Format:
    """A format by name: one of ``own`` (a design's formats by name), else a known one."""
    if own and isinstance(name, str) and name in own:
        return own[name]
    return format(name)


def is_known(name: str) -> bool:
    """Does ``name`` name a built-in format (any spelling)?"""
    try:
        format(name)
    except FormatError:
        return False
    return True


def aliases_of(fmt: Format) -> list[str]:
    """The other spellings that name ``fmt``."""
    return [alias for alias, name in ALIASES.items() if name == fmt.name and _NAMED.get(name) is fmt]


def known_names() -> list[str]:
    """The canonical names, integers as the range int2..int32 (ALIASES has the other
    spellings)."""
    return [f"int{INT_BITS.start}..int{INT_BITS.stop - 1}", *_NAMED]


# -- a user's own formats (design files' ``formats:``) -----------------------------------
RECORD_KEYS = ("base", "kind", "bits", "exp_bits", "man_bits", "bias", "specials", "symmetric",
               "signed", "block_size", "scale")
_RANGES = {"bits": (2, 32), "exp_bits": (1, 8), "man_bits": (0, 23), "bias": (-256, 256),
           "block_size": (1, 4096)}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.+-]{0,63}$")


def define(name: str, spec, own=None) -> Format:
    """A user's format from a mapping of :class:`Format` field names (``base: NAME`` starts
    from a known format; ``scale`` names one): names are looked up in ``own`` (formats
    defined before it, by name), then the known ones. Float ``bits`` defaults to sign + exp_bits + man_bits and ``bias`` to
    2^(exp_bits - 1) - 1 (IEEE). Problems raise FormatError naming the key."""
    from dataclasses import replace

    if not isinstance(name, str) or not _NAME.match(name):
        raise FormatError("a format name starts with a letter and uses only letters, digits and "
                          "_ . + - (at most 64 characters)")
    if not isinstance(spec, dict):
        raise FormatError(f"expected a mapping of {', '.join(RECORD_KEYS)}, got {type(spec).__name__}")
    unknown = sorted(str(k) for k in spec if k not in RECORD_KEYS)
    if unknown:
        raise FormatError(f"unknown key {unknown[0]!r:.40} ({did_you_mean(RECORD_KEYS)})")
    for key, (lo, hi) in _RANGES.items():
        value = spec.get(key)
        if value is not None and not (isinstance(value, int) and not isinstance(value, bool)
                                      and lo <= value <= hi):
            raise FormatError(f"{key}: expected a whole number from {lo} to {hi}, got "
                              f"{type(value).__name__} {str(value)[:20]}")
    for key in ("symmetric", "signed"):
        if key in spec and not isinstance(spec[key], bool):
            raise FormatError(f"{key}: expected true or false, got {type(spec[key]).__name__}")
    for key in ("base", "scale", "kind", "specials"):
        if key in spec and not isinstance(spec[key], str):
            raise FormatError(f"{key}: expected a name, got {type(spec[key]).__name__}")
    fields = {}
    if "base" in spec:
        base = _named(own, spec["base"], "base")
        fields = {f: getattr(base, f) for f in RECORD_KEYS[1:]}
    elif "kind" not in spec:
        raise FormatError("missing key 'kind' (int or float), or 'base' (a format to start from)")
    fields.update({k: v for k, v in spec.items() if k != "base"})
    if fields.get("kind") not in ("int", "float"):
        raise FormatError(f"kind: expected int or float, got {str(fields.get('kind'))[:20]!r}")
    if fields.get("specials", "none") not in SPECIALS:
        raise FormatError(f"specials: expected one of {', '.join(SPECIALS)}, got {fields['specials'][:20]!r}")
    if isinstance(fields.get("scale"), str):
        fields["scale"] = _named(own, fields["scale"], "scale")
        if fields["scale"].is_block:
            raise FormatError(f"scale: {fields['scale'].name} is itself a block format")
    if "block_size" in fields and "scale" not in fields:
        raise FormatError("block_size needs a scale (a format name such as e8m0 or ue4m3)")
    if fields.get("scale") is not None and not fields.get("block_size"):
        raise FormatError("scale needs a block_size (elements sharing one scale)")
    if fields["kind"] == "float":
        for key in ("exp_bits", "man_bits"):
            if key not in fields:
                raise FormatError(f"missing key '{key}' (a float format has exp_bits and man_bits)")
        derived = int(fields.get("signed", True)) + fields["exp_bits"] + fields["man_bits"]
        if "base" in spec and "bits" not in spec:
            fields["bits"] = derived
        fields.setdefault("bits", derived)
        if fields["bits"] != derived:
            raise FormatError(f"bits: {fields['bits']} is not sign + exp_bits + man_bits = {derived}")
        if "base" not in spec or "exp_bits" in spec:
            fields.setdefault("bias", (1 << (fields["exp_bits"] - 1)) - 1)
    elif "bits" not in fields:
        raise FormatError("missing key 'bits' (an integer format's width)")
    elif any(fields.get(k) for k in ("exp_bits", "man_bits", "bias")):
        raise FormatError("an integer format takes bits, symmetric, block_size and scale, "
                          "not exp_bits, man_bits or bias")
    try:
        fmt = Format(name, **fields) if "base" not in spec else replace(base, name=name, **fields)
    except FormatError as exc:
        raise FormatError(str(exc).removeprefix(f"format {name}: ")) from None
    return fmt


def _named(own, text: str, key: str) -> Format:
    try:
        return lookup(text, own)
    except FormatError as exc:
        raise FormatError(f"{key}: {exc}") from None
