"""Gate totals derived by hand from Appendix B (tests/appendix_b.py), shared by the tests
that need a known-good total. test_builders.py checks each against the built datapath,
component by component."""

from appendix_b import ADD, AND2, AOI21, FA, HA, INC, MUX2, OR2, REG, XOR2

# int8 x int8 into a 27-bit Kulisch accumulator: array multiplier, adder, register
INT8_KULISCH = 64 * AND2 + (49 * FA + 7 * HA) + ADD(27) + REG(27)  # 775

# fp8_e4m3 into a 49-bit Kulisch accumulator (the e = 4, m = 3 case of
# test_builders.test_float_kulisch): decode, sign, 4 x 4 array, exponent adder, product
# pipe, widening shifter by [0, 30], conditional invert, 49-bit adder with carry-in, register
E4M3_KULISCH = (2 * 4 * OR2 + XOR2 + 16 * AND2 + (9 * FA + 3 * HA) + ADD(4) + REG(14)
                + (6 * 5 * MUX2 + 30 * (MUX2 + AND2)) + 36 * XOR2 + 49 * FA + REG(49))  # 1162

# fp8_e4m3 into fp16, by category (widths derived in test_builders.test_fp_accumulator_e4m3_fp16)
E4M3_FP16_BY_CATEGORY = {
    "multiplier": 2 * 4 * OR2 + XOR2 + 16 * AND2 + (9 * FA + 3 * HA) + ADD(4),  # 123
    "normalize": ((7 * OR2 + 4 * MUX2) + (8 * 3 * MUX2 - 7 * 2) + 6 * FA  # product
                  # sum: the normalizer keeps 14 of the 15 bits (not the leading one)
                  + (15 * OR2 + 11 * MUX2) + (14 * 4 * MUX2 - 14 * 2) + 6 * FA),
    # d == 0 from the low 6 bits of d (|d| <= 36 < 2^6); sticky over 12 of the 13 window bits
    "aligner": (4 * OR2 + 7 * FA + (6 * XOR2 + INC(6)) + (1 + 4) * OR2 + 5 * OR2
                + 8 * (AND2 + OR2 + AOI21) + AOI21 + OR2 + AND2 + 2 * (8 * MUX2 + 3 * AND2)
                + 6 * MUX2 + MUX2 + XOR2
                + (13 * 4 * MUX2 - 13 * 2) + (11 * OR2 + 4 * AND2)),
    "accumulator": 14 * XOR2 + (11 * FA + 3 * HA) + AND2,
    "round": 2 * OR2 + (AND2 + OR2) + INC(10) + 7 * HA,
    "exception": (AND2 + 2 * 6 * AND2 + 4 * AND2 + OR2 + OR2 + AND2
                  + (5 * (AND2 + OR2) + 11 * AND2 + OR2)),
    "register": REG(16),
}
E4M3_FP16 = sum(E4M3_FP16_BY_CATEGORY.values())  # 1152
