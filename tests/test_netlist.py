"""The gate-level netlist simulator (macgates/hw/netlist.py) on hand-written Yosys JSON
netlists: every gate's truth table, a 2-bit accumulator over many cycles and vectors
against Python arithmetic, and the errors."""

import itertools
import random

import pytest

from macgates import DatapathError
from macgates.hw.netlist import GATES, Netlist


def one_cell(kind):
    ports = sorted({"$_MUX_": "ABS", "$_AOI3_": "ABC", "$_OAI3_": "ABC", "$_AOI4_": "ABCD", "$_OAI4_": "ABCD",
                    "$_BUF_": "A", "$_NOT_": "A"}.get(kind, "AB"))
    bits = {p: 2 + i for i, p in enumerate(ports)}
    data = {"modules": {"top": {
        "ports": {**{p.lower(): {"direction": "input", "bits": [b]} for p, b in bits.items()},
                  "y": {"direction": "output", "bits": [100]}},
        "cells": {"g": {"type": kind, "connections": {**{p: [b] for p, b in bits.items()}, "Y": [100]}}}}}}
    return Netlist.from_json(data, "top"), ports


# each gate's function written out from Yosys' simcells library, one line each
TRUTH = {
    "$_BUF_": lambda A: A, "$_NOT_": lambda A: 1 - A,
    "$_AND_": lambda A, B: A & B, "$_NAND_": lambda A, B: 1 - (A & B),
    "$_OR_": lambda A, B: A | B, "$_NOR_": lambda A, B: 1 - (A | B),
    "$_XOR_": lambda A, B: A ^ B, "$_XNOR_": lambda A, B: 1 - (A ^ B),
    "$_ANDNOT_": lambda A, B: A & (1 - B), "$_ORNOT_": lambda A, B: A | (1 - B),
    "$_MUX_": lambda A, B, S: B if S else A,
    "$_AOI3_": lambda A, B, C: 1 - ((A & B) | C), "$_OAI3_": lambda A, B, C: 1 - ((A | B) & C),
    "$_AOI4_": lambda A, B, C, D: 1 - ((A & B) | (C & D)), "$_OAI4_": lambda A, B, C, D: 1 - ((A | B) & (C | D)),
}


@pytest.mark.parametrize("kind", sorted(GATES))
def test_every_gate_truth_table(kind):
    net, ports = one_cell(kind)
    rows = list(itertools.product((0, 1), repeat=len(ports)))
    got = net.run([{p.lower(): [row[i] for row in rows] for i, p in enumerate(ports)}], len(rows))[0]["y"]
    assert got == [TRUTH[kind](**dict(zip(ports, row))) for row in rows]


def test_a_two_bit_accumulator_over_cycles_and_vectors():
    # acc <= acc + a (mod 4): s0 = q0 ^ a0, c0 = q0 & a0, s1 = q1 ^ a1 ^ c0
    cells = {
        "x0": {"type": "$_XOR_", "connections": {"A": [10], "B": [2], "Y": [20]}},
        "c0": {"type": "$_AND_", "connections": {"A": [10], "B": [2], "Y": [21]}},
        "x1": {"type": "$_XOR_", "connections": {"A": [11], "B": [3], "Y": [22]}},
        "x2": {"type": "$_XOR_", "connections": {"A": [22], "B": [21], "Y": [23]}},
        "r0": {"type": "$_DFF_P_", "connections": {"C": [1], "D": [20], "Q": [10]}},
        "r1": {"type": "$_DFF_P_", "connections": {"C": [1], "D": [23], "Q": [11]}},
    }
    ports = {"clk": {"direction": "input", "bits": [1]}, "a": {"direction": "input", "bits": [2, 3]},
             "acc": {"direction": "output", "bits": [10, 11]}}
    net = Netlist.from_json({"modules": {"mac": {"ports": ports, "cells": cells}}}, "mac")
    rng = random.Random(1)
    vectors = 150  # three words, the last one partly used
    cycles = [{"a": [rng.randrange(4) for _ in range(vectors)]} for _ in range(9)]
    got = net.run(cycles, vectors)
    acc = [0] * vectors
    for cycle, out in zip(cycles, got):
        acc = [(x + a) % 4 for x, a in zip(acc, cycle["a"])]
        assert out["acc"] == acc


def test_errors_name_what_is_wrong():
    with pytest.raises(DatapathError, match="no module 'nope'"):
        Netlist.from_json({"modules": {}}, "nope")
    bad = {"modules": {"m": {"ports": {}, "cells": {"u": {"type": "$_DLATCH_P_", "connections": {}}}}}}
    with pytest.raises(DatapathError, match=r"cell u has type \$_DLATCH_P_, which is not simulated"):
        Netlist.from_json(bad, "m")
    loop = {"modules": {"m": {"ports": {}, "cells": {
        "a": {"type": "$_NOT_", "connections": {"A": [5], "Y": [6]}},
        "b": {"type": "$_NOT_", "connections": {"A": [6], "Y": [5]}}}}}}
    with pytest.raises(DatapathError, match="combinational loop through 2 cells"):
        Netlist.from_json(loop, "m")
    net, _ = one_cell("$_AND_")
    with pytest.raises(DatapathError, match="input b needs 3 values a cycle, got none"):
        net.run([{"a": [0, 1, 1]}], 3)
    with pytest.raises(DatapathError, match="input a needs 3 values a cycle, got 2"):
        net.run([{"a": [0, 1], "b": [1, 1, 1]}], 3)
