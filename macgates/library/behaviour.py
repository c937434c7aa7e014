"""Bit-accurate behaviour of library primitives, at the parameters they are costed at.

A behaviour is ``f(params, inputs, attrs) -> int``: ``params`` are the component's cost
parameters (``n``, ``m``, ...) read from the graph when it runs, ``inputs`` maps each
input port to the value on it (a Python int: sign-extended signals are negative), and
``attrs`` are the component's behaviour settings. The result is the component's output
as one unsigned int; signals take their bits from it (``Signal.lsb``, ``Signal.width``).
So ``dp.replace("acc_add", n=26, fit=True)`` changes the gates and the behaviour together
(``fit``: the signals into it cut to the widths its ports declare at n = 26).

Every behaviour is written with operations that work the same on Python ints and,
element by element, on numpy object arrays of them (no ``if`` on a value), so the batch
form (:meth:`macgates.run.simulate.Runner.step_batch`) runs many steps at once.

Each behaviour is registered at the end with its kind's ports (:mod:`macgates.library.kinds`);
primitives without a behaviour cannot be run; the simulator says so.
"""

from __future__ import annotations

from typing import Mapping

from ..support.bits import mask, trailing_zeros
from .kinds import KINDS, Port, ports, register_kind


def select(s, if0, if1):
    """``if1`` where the bit ``s`` is 1, else ``if0``: a multiplexer, on ints, arrays, or
    the traced values :mod:`macgates.hw.rtl` turns into Verilog (where it is a ``?:``)."""
    if hasattr(s, "select"):
        return s.select(if0, if1)
    return if0 + (if1 - if0) * s


def _nonzero(x):
    """1 where x != 0, else 0 (an int, or an object array of them)."""
    out = (x != 0) * 1
    return out.astype(x.dtype) if hasattr(x, "dtype") else out


def _pp_bits(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """n x m partial-product bits, bit i*m + j = a_i AND b_j; signed (Baugh-Wooley): the
    bits with exactly one operand MSB are complemented (NAND2, same cost)."""
    n, m = params["n"], params["m"]
    a, b = ins["a"] & mask(n), ins["b"] & mask(m)
    out = 0
    for i in range(n):  # row i: a_i AND each b_j
        row = b * ((a >> i) & 1)
        if attrs.get("signed"):
            row ^= mask(m - 1) if i == n - 1 else 1 << (m - 1)
        out |= row << (i * m)
    return out


def _pp_reduce(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The sum of the partial-product bits at their weights, n + m bits. Signed
    (Baugh-Wooley) adds the constants 2^(n-1) + 2^(m-1) + 2^(n+m-1): for n = m the
    first two are 2^n, free in the array (App. B's count); for n != m they come from
    ``pp_correction`` (port ``corr``), as costed."""
    n, m = params["n"], params["m"]
    pp = ins["pp"]
    total = sum(((pp >> (i * m)) & mask(m)) << i for i in range(n))  # row i has weight 2^i
    if attrs.get("signed"):
        total += 1 << (n + m - 1)
        if n == m:
            total += 1 << n
        else:
            corr = ins.get("corr", 0)
            total += ((corr & 1) << (n - 1)) + (((corr >> 1) & 1) << (m - 1))
    return total & mask(n + m)


def _pp_correction(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The two Baugh-Wooley constant bits for n != m."""
    return 0b11


def _adder(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """n sum bits and the carry out (bit n) of the n-bit operands: the cells see only the
    low n bits of a wider (sign-extended) input, as the ripple adder's n cells do."""
    n = params["n"]
    return ((ins["a"] & mask(n)) + (ins["b"] & mask(n)) + (ins.get("cin", 0) & 1)) & mask(n + 1)


def _adder_tree(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The sum of k two's-complement operands (the lanes on port x), n + ceil_log2(k) bits."""
    n, k = params["n"], params["k"]
    lanes = ins["x"]
    total = sum(lanes[:k]) if hasattr(lanes, "__len__") else lanes  # (a lane, or an array of steps, each)
    return total & mask(n + (k - 1).bit_length())


def _adder_tree_cin(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """An adder tree whose free carry slots take the +1s of lanes 1..k-1 (port cin; lane
    0's goes to the accumulator adder's carry-in)."""
    n, k = params["n"], params["k"]
    carries = sum(c & 1 for c in ins["cin"][1:k])
    return (sum(ins["x"][:k]) + carries) & mask(n + (k - 1).bit_length())


def _or_reduce(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """OR of n bits: of an n-bit input, or (``attrs['lanes']``) of the n lanes' flags, bit
    by bit (a component of count c ORs c flags of each lane)."""
    x = ins["x"]
    if "above" in ins:  # a flag that passes by, above the OR (a wire)
        return _or_reduce(params, {"x": x}, attrs) | ((ins["above"] & 1) << 1)
    if attrs.get("lanes"):  # n lanes
        out = 0
        for v in x[:params["n"]]:
            out = out | v
        return out
    return _nonzero(x & mask(params["n"]))


def _register(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """A register's output is its state; the simulator clocks ``d`` into it."""
    return ins["d"] & mask(params["n"])


def _xor2(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    return (ins["a"] ^ ins["b"]) & 1


def _fp_decode(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """An exponent field's effective exponent (e bits: the field, or 1 for a subnormal's 0)
    and, above it, the hidden bit (1 unless the field is 0); with ``attrs['fields']`` = f,
    of each of f fields (output field j at bit j * (e + 1))."""
    e = params["e"]
    out = 0
    for j in range(attrs.get("fields", 1)):  # (f exponent fields side by side: f outputs)
        field = (ins["e"] >> (j * e)) & mask(e)
        hidden = _nonzero(field)
        out = out | (((hidden << e) | field | (hidden ^ 1)) << (j * (e + 1)))  # a zero field's effective exponent is 1
    return out


def _shift_left_widening(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """x (n bits) << s, n + k bits wide: every shift from 0 to k keeps every bit."""
    n, k = params["n"], params["k"]
    return ((ins["x"] & mask(n)) << ins["s"]) & mask(n + k)


def _cond_invert(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """x, inverted when the control bit ``inv`` is 1 (n XOR2)."""
    n = params["n"]
    return (ins["x"] ^ (mask(n) * (ins["inv"] & 1))) & mask(n)


def _booth_encode(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """Radix-4 digits of the m-bit two's-complement activation, 3 bits each (one, two,
    neg from bit 0 up), from bits (y[2j+1], y[2j], y[2j-1]) as the library's formula."""
    m = params["m"]
    y = (ins["b"] & mask(m)) << 1  # y[-1] = 0 at bit 0
    y |= ((y >> m) & 1) * (mask(2) << (m + 1))  # sign-extend for the last digit
    out = 0
    for j in range((m + 1) // 2):
        low, mid, high = (y >> (2 * j)) & 1, (y >> (2 * j + 1)) & 1, (y >> (2 * j + 2)) & 1
        one = mid ^ low
        two = (high ^ mid) & (one ^ 1)
        out |= (one | two << 1 | high << 2) << (3 * j)
    return out


def _booth_select(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """Each row's n + 1 bits: ((x[i] and one) or (x[i-1] and two)) xor neg."""
    n, m = params["n"], params["m"]
    x = ins["a"] & mask(n)
    x |= ((x >> (n - 1)) & 1) << n  # x sign-extended to n + 1 bits
    out = 0
    for j in range((m + 1) // 2):
        digit = (ins["d"] >> (3 * j)) & 0b111
        row = (x * (digit & 1)) | (((x << 1) & mask(n + 1)) * ((digit >> 1) & 1))
        row ^= mask(n + 1) * ((digit >> 2) & 1)
        out |= row << (j * (n + 1))
    return out


def _booth_reduce(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The rows (each n + 1 bits, two's complement) at weights 4^j, plus each negative
    row's +1 (its digit's neg bit), n + m bits."""
    n, m = params["n"], params["m"]
    total = 0
    for j in range((m + 1) // 2):
        row = (ins["pp"] >> (j * (n + 1))) & mask(n + 1)
        row -= ((row >> n) & 1) << (n + 1)  # two's complement
        total += (row + ((ins["d"] >> (3 * j + 2)) & 1)) << (2 * j)
    return total & mask(n + m)


def _cond_negate(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """x, negated (two's complement) when the control bit ``neg`` is 1: n XOR2 + n HA,
    the increment's carry-in being ``neg``, or the port ``cin`` when something drives it."""
    neg = ins["neg"] & 1
    n = params["n"]
    return ((ins["x"] ^ (mask(n) * neg)) + (ins.get("cin", neg) & 1)) & mask(n)


def _max_tree(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The largest of the k lanes' n-bit values (port x; a tree of k inputs sees lanes 0
    to k - 1)."""
    n = params["n"]
    out = 0
    for v in ins["x"][:params["k"]]:
        v = v & mask(n)
        out = select(_bool(v > out, v), out, v)
    return out


def _shift_right_window(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The n-bit two's-complement x at the top of a w-bit window, shifted right
    (arithmetic) by s (one bit per stage of a [0, k] shifter); bits below the window are
    dropped, so a shift past it leaves the sign in every bit."""
    n, w, k = params["n"], params["w"], params["k"]
    x = ins["x"] & mask(n)
    x = x - (((x >> (n - 1)) & 1) << n)
    return ((x << (w - n)) >> (ins["s"] & mask(_stages(k)))) & mask(w)


def _or2(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """a OR b, bit by bit (a component of count c ORs c-bit ports)."""
    return ins.get("a", 0) | ins.get("b", 0)


def _fp_nan_detect(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """OCP E4M3's NaN: the n exponent and mantissa bits all ones."""
    return _nonzero((ins["x"] & mask(params["n"])) ^ mask(params["n"])) ^ 1


def _fp_special_detect(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """An IEEE-style input's flags: infinity (bit 0), NaN (bit 1), and the mantissa's
    non-zero flag the NaN test makes on the way (bit 2)."""
    e, m = params["e"], params["m"]
    ones = _nonzero(((ins["x"] >> m) & mask(e)) ^ mask(e)) ^ 1
    mnz = _nonzero(ins["x"] & mask(m))
    return (ones & (mnz ^ 1)) | (ones & mnz) << 1 | mnz << 2


def _fp_special_mul(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The product's NaN (bit 0: NaN in, or infinity x 0) and infinity (bit 1) flags."""
    w, a = ins.get("w", 0), ins.get("a", 0)  # (an operand with no flags has none set)
    zero_w = ((ins["hidden_w"] | (w >> 2)) & 1) ^ 1
    zero_a = ((ins["hidden_a"] | (a >> 2)) & 1) ^ 1
    inf_w, inf_a = w & 1, a & 1
    nan = ((w >> 1) | (a >> 1) | (inf_w & zero_a) | (inf_a & zero_w)) & 1
    return nan | ((inf_w | inf_a) & (nan ^ 1)) << 1


def _bool(cond, like):
    """1 where the comparison ``cond`` of ``like``'s values holds, else 0: an int, or an
    array of ``like``'s dtype."""
    out = cond * 1
    return out.astype(like.dtype) if hasattr(like, "dtype") else out


def _bit_length(x, n: int):
    """Bits of each value of x (below 2^n)."""
    if hasattr(x, "bit_length_below"):  # a traced value (macgates.hw.rtl): a priority encoder
        return x.bit_length_below(n)
    if hasattr(x, "dtype") and x.dtype != object:  # int64: count the powers of two <= x
        return sum((x >> j) != 0 for j in range(n)) * 1
    if hasattr(x, "shape"):
        import numpy as np

        return np.frompyfunc(int.bit_length, 1, 1)(x)
    return int(x).bit_length()


def _stages(k: int) -> int:
    """Stages of a log shifter by [0, k]: ceil(log2(k + 1))."""
    return k.bit_length()


def _subtractor(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """a - b as a + not(b) + 1 on n cells: n difference bits (two's complement) and the
    carry out (bit n, 1 when there is no borrow)."""
    n = params["n"]
    return ((ins["a"] & mask(n)) + ((ins["b"] & mask(n)) ^ mask(n)) + 1) & mask(n + 1)


def _adder_msb(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """An n-bit adder whose a operand has only its top m bits (the cells below are half
    adders): a's lower n - m bits are not there."""
    n, m = params["n"], params["m"]
    a = ins["a"] & (mask(m) << (n - m))
    return (a + (ins["b"] & mask(n)) + (ins.get("cin", 0) & 1)) & mask(n + 1)


def _adder_lsb(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The n-bit a plus the m-bit b, aligned at their LSBs: n + 1 bits."""
    n, m = params["n"], params["m"]
    return ((ins["a"] & mask(n)) + (ins["b"] & mask(m))) & mask(n + 1)


def _lzc(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """Leading zeros of the n-bit x: L = ceil(log2(n)) count bits and, above them
    (bit L), the all-zero flag (the tree's root OR, inverted). For x = 0 the tree's count
    is all ones."""
    n = params["n"]
    levels = (n - 1).bit_length()
    x = ins["x"] & mask(n)
    zero = _nonzero(x) ^ 1
    count = select(zero, n - _bit_length(x, n), mask(levels))
    return count | (zero << levels)


def _shift_left(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """x (n bits) << s within n bits, zero filled; s has one bit per stage."""
    n, k = params["n"], params["k"]
    return ((ins["x"] & mask(n)) << (ins["s"] & mask(_stages(k)))) & mask(n)


def _shift_right_logical(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """x (n bits) >> s, zero filled; s has one bit per stage."""
    n, k = params["n"], params["k"]
    return (ins["x"] & mask(n)) >> (ins["s"] & mask(_stages(k)))


def _sticky(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """OR of the bits a right shift by s drops from the k-bit x."""
    k = params["k"]
    s = ins["s"] & mask(_stages(k))
    return _nonzero(ins["x"] & mask(k) & ((1 << s) - 1))


def _shift_clamp(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The n-bit shift amount x on l bits, all ones when it does not fit."""
    n, l = params["n"], params["l"]
    x = ins["x"] & mask(n)
    over = _nonzero(x >> l)
    return (x & mask(l)) | (mask(l) * over)


def _and_reduce(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """AND of n bits; with ``attrs['fields']`` = f, of each of f n-bit fields side by
    side (bit j of the output: field j)."""
    n = params["n"]
    out = 0
    for j in range(attrs.get("fields", 1)):
        out = out | ((_nonzero(((ins["x"] >> (j * n)) & mask(n)) ^ mask(n)) ^ 1) << j)
    return out


def _comparator_msb(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """a > b, the n-bit a and the m-bit b aligned at their MSBs."""
    n, m = params["n"], params["m"]
    a = (ins["a"] & mask(n)) << max(m - n, 0)
    b = (ins["b"] & mask(m)) << max(n - m, 0)
    return _bool(a > b, a)


def _swap(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The n-bit a and the m-bit b, aligned at their MSBs in max(n, m) bits: b then a
    (low half, high half) when s = 0, a then b when s = 1."""
    n, m = params["n"], params["m"]
    big = max(n, m)
    a = (ins["a"] & mask(n)) << (big - n)
    b = (ins["b"] & mask(m)) << (big - m)
    s = ins["s"] & 1
    return select(s, b, a) | (select(s, a, b) << big)


def _mux(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """n bits of a when s = 0, of b when s = 1."""
    n = params.get("n", 1)
    s = ins["s"] & 1
    return select(s, ins["a"] & mask(n), ins["b"] & mask(n))


def _and2(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    return ins["a"] & ins["b"] & 1


def _aoi21(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """not((a and b) or c)."""
    return ((ins["a"] & ins["b"]) | ins["c"]) & 1 ^ 1


def _and_gate(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """n AND2: x and the enable g (one bit, to every AND2)."""
    n = params["n"]
    return ins["x"] & (mask(n) * (ins["g"] & 1))


def _round_rne(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """Round up = R and (L or S): x holds R (bit 0) and L (bit 1), s the sticky bit."""
    x = ins["x"]
    return x & ((x >> 1) | ins["s"]) & 1


def _incrementer(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """x + c (one bit) on n half adders: n bits and the carry out (bit n)."""
    n = params["n"]
    return ((ins["x"] & mask(n)) + (ins.get("c", 0) & 1)) & mask(n + 1)


def _const_adder(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """x + the constant ``attrs['value']`` (+ a carry-in): the n cells start at the
    constant's lowest set bit, the bits below pass through."""
    value = attrs["value"]
    return (ins["x"] + value + (ins.get("cin", 0) & 1)) & mask(params["n"] + trailing_zeros(value))


def _const_compare(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The n-bit x (two's complement if ``attrs['signed']``) compared with a constant:
    ``attrs['op']`` is ``ge`` (x >= value) or ``le`` (x <= value)."""
    n = params["n"]
    x = ins["x"] & mask(n)
    if attrs.get("signed"):
        x = x - (((x >> (n - 1)) & 1) << n)
    return _bool(x >= attrs["value"], x) if attrs["op"] == "ge" else _bool(x <= attrs["value"], x)


def _fp_range_limit(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The accumulator word (sign, e exponent bits, m - 1 fraction bits): flushed to +0,
    or forced to infinity, or (``special`` bit 0) NaN, whose fraction MSB is set; bit 1
    of ``special`` is an infinite product. The ORs that join NaN and the product's
    infinity into the force-ones flag and the fraction MSB are costed with them
    (fp_nan_acc, fp_naninf_acc)."""
    e, m = params["e"], params["m"]
    f = m - 1
    special = ins.get("special", 0)
    nan, inf_p = special & 1, (special >> 1) & 1
    ones = (ins["inf"] | nan | inf_p) & 1
    flush = ins["flush"] & 1
    exp = (ins["exp"] & mask(e) & (mask(e) * (flush ^ 1))) | (mask(e) * ones)
    frac = (ins["frac"] & mask(f) & (mask(f) * ((flush | ones) ^ 1))) | (nan << (f - 1))
    sign = ins["sign"] & (flush ^ 1) & 1
    return frac | (exp << f) | (sign << (f + e))


def _fp_nan_acc(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The result is NaN (bit 0): the product's NaN flag, or a NaN accumulator (all-ones
    exponent, ``inf``, and a non-zero m-bit fraction)."""
    acc_nan = ins["inf"] & _nonzero(ins["frac"] & mask(params["m"]))
    return (ins["p"] | acc_nan) & 1


def _fp_naninf_acc(params: Mapping, ins: Mapping, attrs: Mapping) -> int:
    """The result is NaN (bit 0): a NaN product (``p`` bit 0) or accumulator, or an
    infinite product (``p`` bit 1) meeting an infinite accumulator of the other sign;
    else the result is the product's infinity (bit 1) if it is one."""
    p = ins["p"]
    fraction = _nonzero(ins["frac"] & mask(params["m"]))
    acc_nan, acc_inf = ins["inf"] & fraction, ins["inf"] & (fraction ^ 1)
    inf_p = (p >> 1) & 1
    nan = (p | acc_nan | (inf_p & acc_inf & (ins["sign"] ^ ins["acc_sign"]))) & 1
    return nan | ((inf_p & (nan ^ 1)) << 1)


def _kulisch_special_next(params: Mapping, ins: Mapping, state: int) -> int:
    """Sticky flags beside a fixed-point accumulator: NaN (bit 0) and, with f = 3, +inf
    (bit 1) and -inf (bit 2); +inf meeting -inf is NaN."""
    p = ins["p"]
    if params["f"] == 1:
        return state | (p & 1)
    inf, sign = (p >> 1) & 1, ins["sign"] & 1
    pos = (state >> 1) & 1 | (inf & (sign ^ 1))
    neg = (state >> 2) & 1 | (inf & sign)
    nan = state & 1 | p & 1 | (pos & neg)
    return nan | pos << 1 | neg << 2


# -- the bundled primitive kinds: ports, lanes, state, behaviour (macgates/library/kinds.py) -----
# A port is "name[?][:width]": ? marks an optional input; the width is a formula of the
# parameters, exact unless it is a bound (">=": the port reads the low bits of a wider
# signal; "<=": a narrower signal reads as zero-extended); a Port record gives the reason
# for a bound or "any". A k-lane unit's signals carry one lane's bits, so a width is a
# lane's. Every port of every datapath the builders make satisfies these
# (tests/test_kinds.py).
_STAGES = "ceil_log2(k + 1)"  # a log shifter's amount by [0, k]: one bit per stage
_OR2_ANY = ("bit by bit on whatever comes: count c is c OR2s side by side (c-bit ports) or, in a k-lane "
            "unit, one per lane (1-bit ports)")
_BUNDLED = [
    # name, ports, behaviour
    ("or2", (Port("a", False, "any", _OR2_ANY), Port("b", False, "any", _OR2_ANY)), _or2),
    ("xor2", ("a:1", "b:1"), _xor2),
    ("and2", ("a:1", "b:1"), _and2),
    ("aoi21", ("a:1", "b:1", "c:1"), _aoi21),
    ("mux2", ("a:1", "b:1", "s:1"), _mux),
    ("mux", (Port("a", True, "<= n", "a narrower exponent is zero-extended"),
             Port("b", True, "any", "the product's exponent: zero-extended where it is narrower than the "
                  "larger operand's n bits, one bit wider (signed) where its range needs a bit that the "
                  "larger exponent's does not"), "s:1"), _mux),
    ("and_gate", ("x:n", "g:1"), _and_gate),
    ("and_reduce", (Port("x", True, ">= n", "with attrs fields = f, f n-bit fields side by side"),), _and_reduce),
    ("or_reduce", (Port("x", True, "any", "n bits; with attrs lanes, the n lanes' flags, as many bits per lane "
                        "as the component's count"), "above?:1"), _or_reduce),
    ("pp_bits", ("a:n", "b:m"), _pp_bits),
    ("pp_reduce", ("pp:n * m", "corr?:2"), _pp_reduce),
    ("pp_correction", (), _pp_correction),
    ("booth_encode", (Port("b", True, "<= m", "an unsigned activation is recoded one bit wider: a zero "
                           "sign bit"),), _booth_encode),
    ("booth_select", (Port("a", True, "<= n", "an unsigned weight is recoded one bit wider: a zero sign bit"),
                      "d:3 * ((m + 1) // 2)"), _booth_select),
    ("booth_reduce", ("pp:(n + 1) * ((m + 1) // 2)", "d:3 * ((m + 1) // 2)"), _booth_reduce),
    ("adder", (Port("a", True, "<= n", "the exponent fields of two formats are added, the narrower "
                    "zero-extended"), Port("b", True, "<= n", "the exponent fields of two formats are added, "
                                           "the narrower zero-extended"), "cin?:1"), _adder),
    ("adder_cin", (Port("a", True, "<= n", "the significand adder's operand is zero-extended by its carry "
                        "bit"), "b:n", "cin?:1"), _adder),
    ("adder_msb", ("a:n", "b:n", "cin?:1"), _adder_msb),
    ("adder_lsb", ("a:n", "b:m"), _adder_lsb),
    ("adder_tree", ("x:n",), _adder_tree),
    ("adder_tree_cin", ("x:n", "cin:1"), _adder_tree_cin),
    ("subtractor", (Port("a", True, "<= n", "exponents are zero-extended to the difference's n bits"),
                    Port("b", True, "any", "an exponent: zero-extended when narrower than the difference's n "
                         "bits; of a wider one the low n bits, which give the difference (two's complement) "
                         "when it fits n bits")), _subtractor),
    ("incrementer", ("x:n", "c?:1"), _incrementer),
    ("const_adder", (Port("x", True, "any", "read up to bit n + the trailing zeros of attrs value (the cells "
                          "start at its lowest set bit); a narrower x is zero- or sign-extended"), "cin?:1"),
     _const_adder),
    ("const_compare", ("x:n",), _const_compare),
    ("cond_invert", ("x:n", "inv:1"), _cond_invert),
    ("cond_negate", (Port("x", True, ">= n", "|d| of a two's-complement difference one bit wider: the "
                          "magnitudes used fit n bits"), "neg:1", "cin?:1"), _cond_negate),
    ("comparator_msb", ("a:n", "b:m"), _comparator_msb),
    ("max_tree", ("x:n",), _max_tree),
    ("swap", ("a:n", "b:m", "s:1"), _swap),
    ("lzc", ("x:n",), _lzc),
    ("shift_left", ("x:n", f"s:{_STAGES}"), _shift_left),
    ("shift_left_widening", ("x:n", f"s:{_STAGES}"), _shift_left_widening),
    ("shift_right_logical", ("x:n", f"s:{_STAGES}"), _shift_right_logical),
    ("shift_right_window", ("x:n", f"s:{_STAGES}"), _shift_right_window),
    ("shift_clamp", ("x:n",), _shift_clamp),
    ("sticky", (Port("x", True, ">= k", "the shifter's window, whose top bit it may leave out (floating."
                     "_sticky_range)"),
                Port("s", True, f">= {_STAGES}", "the aligner's shift amount, which may have a stage more "
                     "than k needs")), _sticky),
    ("round_rne", ("x:2", "s:1"), _round_rne),
    ("fp_decode", (Port("e", True, ">= e", "with attrs fields = f, f e-bit fields side by side"),), _fp_decode),
    ("fp_nan_detect", ("x:n",), _fp_nan_detect),
    ("fp_special_detect", ("x:e + m",), _fp_special_detect),
    ("fp_special_mul", ("hidden_w:1", "hidden_a:1", "w?:3", "a?:3"), _fp_special_mul),
    ("fp_nan_acc", ("p:1", "inf:1", "frac:m"), _fp_nan_acc),
    ("fp_naninf_acc", ("p:2", "inf:1", "frac:m", "sign:1", "acc_sign:1"), _fp_naninf_acc),
    ("fp_range_limit", ("sign:1", "exp:e", "frac:m - 1", "inf:1", "flush:1", "special?:2"), _fp_range_limit),
    ("register", ("d:n",), _register),
]
_LANES = {"adder_tree": True, "adder_tree_cin": True, "max_tree": True,
          "or_reduce": lambda attrs: bool(attrs.get("lanes"))}  # the rest work lane by lane
for _name, _ports, _behaviour in _BUNDLED:
    register_kind(_name, ports(*_ports), lanes=_LANES.get(_name, False))(_behaviour)
# its output is its state (macgates/run/simulate.py): sticky NaN/infinity flags beside a
# fixed-point accumulator; p: the NaN flag and, with f = 3, the infinity flag
register_kind("kulisch_special", ports("p:min(f, 2)", "sign?:1"), state_bits=lambda params: params["f"],
              next_state=_kulisch_special_next)(lambda params, ins, attrs: 0)
# App. B's cells: the formulas of the others are written in them; a datapath places the
# composite primitives instead
for _name, _ports in (("fa", ("a:1", "b:1", "cin:1")), ("ha", ("a:1", "b:1")), ("inv", ("x:1",)),
                      ("ff", ("d:1",)), ("comparator", ("a:n", "b:n")), ("shift_right", ("x:n", f"s:{_STAGES}"))):
    register_kind(_name, ports(*_ports), cost_only="a cell App. B's formulas are written in; datapaths place "
                  "the primitives built from it (adder, register, comparator_msb, shift_right_logical, ...)")


def combines_lanes(primitive: str, attrs: Mapping) -> bool:
    """Does this primitive take the k lanes of its input port together (an adder tree, a
    max tree, an OR of the lanes' flags)? Every other primitive works lane by lane."""
    kind = KINDS.get(primitive)
    return kind is not None and kind.combines_lanes(attrs)
