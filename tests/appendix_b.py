"""Whitepaper Appendix B, typed in by hand, for tests to derive expected costs from.

C = sum over gates of (fan-in - 1). Expected values in tests are written in these terms
(e.g. ``7*FA + HA``) so a reader can check them against the paper's table.
"""

AND2 = OR2 = 1  # [N]AND2 / [N]OR2
AOI21 = 2  # AO[I]21 / OA[I]21
MUX2 = XOR2 = HA = 3  # MUX2 / X[N]OR2 / HA
FA = 2 * HA + OR2  # = 7
FF = 2 * MUX2  # = 6


def ADD(n):  # N-bit add
    return (n - 1) * FA + HA


def INC(n):  # N-bit increment
    return n * HA


def REG(n):
    return n * FF
