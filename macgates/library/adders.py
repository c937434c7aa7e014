"""Carry-propagate adder styles: the accumulator's adder, chosen by argument.

A style is one :class:`AdderStyle` record in :data:`ADDERS`: the primitives it places
(with and without a carry-in; each costed in the library, with its formula and source),
and, for a parallel-prefix style, its prefix network. The builders take it as
``adder="ripple"`` (``mac``, ``dot``, ``Kulisch(adder=...)``, ``FloatingPoint(adder=...)``,
a design file's ``adder:`` key, ``--adder``); it sets the adder the accumulation loop runs
through: a Kulisch accumulator's ``acc_add``, a floating-point accumulator's ``sig_add``.
The other adders (exponents, the dot-product tree's final adder, the multiplier array)
stay App. B's ripple adders.

* ``ripple``: App. B's N-bit add, (N-1) FA + HA; its RTL is Verilog's ``+`` (Yosys picks
  the structure).
* ``kogge_stone`` (Kogge and Stone 1973) and ``brent_kung`` (Brent and Kung 1982):
  parallel-prefix adders. Each bit's generate and propagate (``g = a AND b``, ``p = a XOR
  b``: a half adder), a prefix network of cells combining (G, P) pairs, and the sum bits
  ``p XOR carry``. A cell whose span reaches bit 0 needs only G (a grey cell, AO21); the
  others also P (a black cell, AO21 + AND2). Their behaviour is that network, word-wide:
  each level of cells is one line of ``&``, ``|`` and shifts, so the traced Verilog spells
  the network out and synthesis sees the style, not a ``+``.

Counting cells over N positions (the n bits, plus the carry-in as position 0 when there is
one): every position i >= 1 gets its full prefix from exactly one grey cell, N - 1 in all.
Kogge-Stone has ceil_log2(N) levels of N - 2^l cells, L*N - 2^L + 1 in all; Brent-Kung's
up-sweep has N - popcount(N) cells and its down-sweep N - 1 - floor_log2(N). The library's
formulas are these counts (tests/test_adders.py counts the cells of the networks built here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from ..support.bits import mask
from ..support.errors import DatapathError, did_you_mean, shown
from .kinds import Port, ports, register_kind


def kogge_stone_levels(width: int):
    """(distance, positions with a cell, as a mask) per level: level l combines every
    position i >= 2^l with position i - 2^l."""
    levels, d = [], 1
    while d < width:
        levels.append((d, mask(width) ^ mask(d)))
        d *= 2
    return levels


def _kogge_stone(g, p, width: int):
    """After level l each position holds the group of 2^(l+1) positions ending at it (or
    all below it). (The positions below 2^l take nothing: g << d is 0 there.)"""
    for d, _ in kogge_stone_levels(width):
        g = (g | (p & (g << d))) & mask(width)
        p = (p & (p << d)) & mask(width)
    return g


def brent_kung_levels(width: int):
    """(distance, up-sweep positions, down-sweep positions) per level, as masks: the
    up-sweep combines position i with i - 2^l where 2^(l+1) divides i + 1; the down-sweep
    (highest level first) where i + 1 is an odd multiple of 2^l above 2^l."""
    levels = []
    d = 1
    while d < width:
        up = sum(1 << i for i in range(width) if (i + 1) % (2 * d) == 0)
        down = sum(1 << i for i in range(width) if (i + 1) % (2 * d) == d and i + 1 > d)
        levels.append((d, up, down))
        d *= 2
    return levels


def _brent_kung(g, p, width: int):
    levels = brent_kung_levels(width)
    for d, up, _ in levels:
        g = g | (p & (g << d) & up)
        p = p & ((p << d) | (mask(width) ^ up)) & mask(width)
    for d, _, down in reversed(levels):
        g = g | (p & (g << d) & down)
    return g & mask(width)


@dataclass(frozen=True)
class AdderStyle:
    """A carry-propagate adder style: the primitive it places without and with a carry-in
    (``plain``, ``cin``), one for an n-bit + m-bit add aligned at the MSB with a carry-in
    (``msb``; a style without one places ``cin`` at n bits), and for a parallel-prefix
    style its ``network(g, p, width) -> G``: the carries into each position."""

    name: str
    plain: str
    cin: str
    msb: str = ""
    network: Callable | None = None
    summary: str = ""

    def primitive(self, carry_in: bool) -> str:
        return self.cin if carry_in else self.plain

    @property
    def tag(self) -> str:
        """What a component's note says of the style: nothing for App. B's ripple adder."""
        return "" if self.name == "ripple" else f" ({self.name.replace('_', '-')})"


ADDERS: dict[str, AdderStyle] = {
    "ripple": AdderStyle("ripple", "adder", "adder_cin", "adder_msb",
                         summary="App. B's ripple-carry add, (N-1) FA + HA"),
    "kogge_stone": AdderStyle("kogge_stone", "ks_adder", "ks_adder_cin", network=_kogge_stone,
                              summary="parallel prefix, ceil_log2(N) levels, N - 2^l cells each"),
    "brent_kung": AdderStyle("brent_kung", "bk_adder", "bk_adder_cin", network=_brent_kung,
                             summary="parallel prefix, 2 log2(N) - 1 levels, fewest cells"),
}


def adder_style(name) -> AdderStyle:
    """The style named ``name`` (a record passes through)."""
    if isinstance(name, AdderStyle):
        return name
    if isinstance(name, str) and name in ADDERS:
        return ADDERS[name]
    raise DatapathError(f"unknown adder style {shown(name)} ({did_you_mean(ADDERS)})")


def with_adder(name: str, adder: str) -> str:
    """A config's (or datapath's) name with its adder style: ``-STYLE`` added before a
    ``-kN`` suffix, nothing for ripple (``int8-kulisch-k4``, ``kogge_stone``:
    ``int8-kulisch-kogge_stone-k4``)."""
    if adder == "ripple":
        return name
    head, sep, tail = name.rpartition("-")
    if sep and tail[:1] == "k" and tail[1:].isdigit():
        return f"{head}-{adder}-{tail}"
    return f"{name}-{adder}"


def _prefix_behaviour(style: AdderStyle, carry_in: bool):
    network = style.network

    def behaviour(params: Mapping, ins: Mapping, attrs: Mapping):
        n = params["n"]
        a, b = ins["a"] & mask(n), ins["b"] & mask(n)
        g, p = a & b, a ^ b
        if carry_in:  # the carry-in is position 0: its generate is the carry, its propagate 0
            carries = network((g << 1) | (ins.get("cin", 0) & 1), p << 1, n + 1)
            return (p ^ carries) & mask(n) | (carries >> n & 1) << n
        carries = network(g, p, n)  # carries[i]: the carry out of bit i
        return (p ^ (carries << 1)) & mask(n) | (carries >> (n - 1) & 1) << n

    behaviour.__name__ = style.primitive(carry_in)
    behaviour.__doc__ = (f"n sum bits and the carry out (bit n) of the n-bit operands{' and a carry-in' if carry_in else ''}, "
                         f"through a {style.name.replace('_', '-')} prefix network (macgates/library/adders.py).")
    return behaviour


# the ports of the ripple adders they stand in for (adder, adder_cin), but for the plain form's
# carry-in: its network has no position for one
_PORTS = {False: (Port("a", True, "<= n", "as adder's: a narrower operand is zero-extended"),
                  Port("b", True, "<= n", "as adder's: a narrower operand is zero-extended")),
          True: (Port("a", True, "<= n", "the significand adder's operand is zero-extended by its carry bit"),
                 *ports("b:n", "cin?:1"))}
for _style in ADDERS.values():
    if _style.network is not None:
        for _carry_in in (False, True):
            register_kind(_style.primitive(_carry_in), _PORTS[_carry_in])(_prefix_behaviour(_style, _carry_in))
