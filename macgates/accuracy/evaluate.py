"""Scores of formats on operand data: each format's quantization error on the same samples.

:func:`score` quantizes the samples to one format with a scale rule
(:func:`macgates.accuracy.quantize.fake_quantize`: ``absmax`` or ``mse``; a block format by
its own block rule) and measures the error (:mod:`macgates.accuracy.metrics`): RMSE, SQNR
in dB and bits of accuracy, log2(std(x) / RMSE). :func:`lloyd_max_score` is the bound:
the Lloyd-Max quantizer with as many levels as a format of ``bits`` bits has codes,
fitted to the same samples. :func:`scores` is a table's rows.
"""

from __future__ import annotations

import numpy as np

from ..formats.spec import Format
from . import metrics
from .quantize import fake_quantize


def score(fmt: Format, x, rule: str = "absmax", axis: int | None = None, q=None) -> dict:
    """One format's row: ``format``, ``scale`` (the rule, or ``block`` for a block format,
    which has its own rule), ``rmse``, ``sqnr_db``, ``bits``. ``q``: x quantized already."""
    q = fake_quantize(fmt, x, rule=rule, axis=axis) if q is None else q
    return {"format": fmt.name, "scale": "block" if fmt.is_block else rule,
            "rmse": metrics.rmse(x, q), "sqnr_db": metrics.sqnr_db(x, q), "bits": metrics.bits(x, q)}


def lloyd_max_score(x, bits: int, starts=()) -> dict:
    """The Lloyd-Max quantizer's row: 2^bits levels fitted to the samples themselves, from
    its own starts and ``starts`` (levels to start from, such as the values a format's
    quantization used: the result is at least as good as each)."""
    q = metrics.lloyd_max_quantize(x.ravel(), 1 << bits, starts).reshape(x.shape)
    return {"format": f"lloyd-max-{bits}", "scale": "fitted", "rmse": metrics.rmse(x, q),
            "sqnr_db": metrics.sqnr_db(x, q), "bits": metrics.bits(x, q)}


def scores(formats, x, rule: str = "absmax", axis: int | None = None, lloyd_max: int | None = None) -> list[dict]:
    """Rows for ``formats`` (Format records) on samples ``x``; with ``lloyd_max`` (bits),
    the Lloyd-Max bound's row last, started also from the values each scalar format of at
    most that many bits used (so that it bounds them all: Lloyd's iterations never raise
    the error; from the best format's values alone it can stop at a worse local optimum
    than from another's: 5.76 against 6.26 bits on Figure 5's Student-t)."""
    rows, starts = [], []
    for fmt in formats:
        q = fake_quantize(fmt, x, rule=rule, axis=axis)
        rows.append(score(fmt, x, rule, axis, q))
        if lloyd_max and not fmt.is_block and fmt.bits <= lloyd_max and axis is None:
            used = np.unique(q)
            if not any(len(u) == len(used) and np.array_equal(u, used) for u in starts):
                starts.append(used)  # (two formats that quantized x alike start it once)
    if lloyd_max:
        rows.append(lloyd_max_score(x, lloyd_max, starts))
    return rows


def operand_scorer(samples: dict, rule: str = "mse"):
    """``bits(fmt, operand)``: the bits of accuracy of Format ``fmt`` on ``samples[operand]``
    (operand: "weights" or "activations"), each pair scored once (a report's or a sweep's
    many configs share few formats)."""
    done: dict = {}

    def bits(fmt: Format, operand: str) -> float:
        if (fmt, operand) not in done:
            done[fmt, operand] = score(fmt, samples[operand], rule)["bits"]
        return done[fmt, operand]
    return bits
