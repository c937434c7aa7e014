"""Running a datapath bit by bit, from the same component graph that is costed.

:func:`step` evaluates the graph once: input ports take the operand codes, the
accumulator register (the register whose output is the ``feedback`` signal) gives its
state, every other component's behaviour (:mod:`macgates.library.behaviour`) runs in dependency
order with the parameters the graph holds now, and the value clocked into the
accumulator register is returned. Other registers (a product pipe stage) pass their
input through: ``step`` is one multiply-accumulate, whatever the pipeline depth.

The state is the accumulator register's bits and, above them, those of any other
component that holds state (a fixed-point accumulator's sticky NaN / infinity flags),
in name order: ``step`` takes and returns it as one int.

What can run: every datapath the builders make (scalar MACs and k-term dot-product units,
into fixed-point and floating-point accumulators, with block scales; see
docs/verification.md). A custom datapath whose primitives have no behaviour is reported
as not executable, by component and primitive.
"""

from __future__ import annotations

import operator
from fractions import Fraction

from ..library.kinds import KINDS
from ..support.bits import mask
from ..support.errors import DatapathError, did_you_mean, shown

LANE_PORTS = ("w", "a")  # inputs that take one code per lane (the others: one per unit)


def plan(dp):
    """(accumulator register, components in evaluation order, input signals per component).
    Refuses what cannot run: no single accumulator register, a primitive without a
    behaviour, a signal without a port or into one its kind does not declare, two signals
    on the same bits of a port, an unconnected required input, a port whose signals do not
    give it its declared width (:class:`macgates.library.kinds.Port`), a loop without a register."""
    state = {s.src for s in dp.signals if s.name == "feedback"}
    if len(state) != 1:
        raise DatapathError(f"{dp.name}: not executable: it needs one accumulator register (the source "
                            f"of a 'feedback' signal), found {len(state)}")
    acc = state.pop()
    for comp in dp.components.values():
        kind = KINDS.get(comp.primitive)
        if kind is None:
            raise DatapathError(f"{dp.name}: not executable: component {comp.name} uses primitive "
                                f"{comp.primitive}, which has no behaviour (no kind is registered for it: "
                                "macgates.library.kinds.register_kind)")
        if kind.behaviour is None:
            raise DatapathError(f"{dp.name}: not executable: component {comp.name} uses primitive "
                                f"{comp.primitive}, which has no behaviour: it is cost-only ({kind.cost_only})")
        if comp.count != 1 and kind.next_state is not None:
            raise DatapathError(f"{dp.name}: not executable: component {comp.name} holds state in "
                                f"{comp.count} lanes")
    inputs: dict = {name: [] for name in dp.components}
    for sig in dp.signals:
        if sig.dst in dp.components:
            if not sig.port:
                raise DatapathError(f"{dp.name}: not executable: signal {sig.src} -> {sig.dst} has no port")
            if any(s.port == sig.port and s.at < sig.at + sig.width and sig.at < s.at + s.width
                   for s in inputs[sig.dst]):
                raise DatapathError(f"{dp.name}: not executable: two signals drive the same bits of port "
                                    f"{sig.port} of {sig.dst}")
            KINDS[dp.components[sig.dst].primitive].check_port(sig.dst, sig.port, f"{dp.name}: not executable")
            inputs[sig.dst].append(sig)
    for name, comp in dp.components.items():
        kind = KINDS[comp.primitive]
        driven = {s.port for s in inputs[name]}
        missing = [p for p in kind.required if p not in driven]
        if missing:
            raise DatapathError(f"{dp.name}: not executable: input port {missing[0]!r} of component {name} "
                                f"({comp.primitive}) is not connected (its inputs: "
                                f"{', '.join(map(repr, kind.ports))}; ? marks an optional one)")
        for port in kind.ports:  # each port's signals together against its declared width
            sigs = [s for s in inputs[name] if s.port == port.name]
            if sigs:
                top = max(sigs, key=lambda s: s.at + s.width)
                port.check_width(name, comp.primitive, comp.params, top.at + top.width, top.signed,
                                 f"{dp.name}: not executable")
    stateful = sorted(n for n, c in dp.components.items() if KINDS[c.primitive].next_state is not None)
    order, done = [], set(dp.ports) | {acc} | set(stateful)
    waiting = [n for n in dp.components if n != acc and n not in stateful]
    while waiting:
        ready = [n for n in waiting if all(s.src in done for s in inputs[n])]
        if not ready:
            raise DatapathError(f"{dp.name}: not executable: a loop through {', '.join(waiting[:4])} "
                                "has no register")
        order += ready
        done.update(ready)
        waiting = [n for n in waiting if n not in done]
    layout, at = [], 0
    for name in [acc, *stateful]:
        comp = dp.components[name]
        width = comp.params["n"] if name == acc else KINDS[comp.primitive].state_bits(comp.params)
        layout.append((name, at, width))
        at += width
    return layout, order, inputs


def _dtype(dp, layout):
    """numpy int64 for the batch form when every signal and the state fit in 62 bits, else
    Python ints in object arrays. A behaviour's intermediate values may be wider (a
    shifter's x << s before its mask) only where the bits they lose are masked off
    afterwards: numpy's shifts are defined for any amount (x << 64 is 0), and the bits an
    int64 drops lie above every output."""
    bits = [s.lsb + s.width for s in dp.signals] + [at + width for _, at, width in layout]
    return "int64" if max(bits, default=0) <= 62 else object


def _value(sig, values) -> int:
    source = values[sig.src]
    if sig.lane >= 0:  # one lane of a k-lane source
        source = source[sig.lane]
    bits = (source >> sig.lsb) & mask(sig.width)
    if sig.invert:
        bits = bits ^ mask(sig.width)
    if sig.signed:  # two's complement, written so that it also works on arrays
        bits = bits - (((bits >> (sig.width - 1)) & 1) << sig.width)
    return bits


class Runner:
    """A datapath made ready to run: the evaluation order is worked out once.

    Inputs are checked where they come in (:meth:`step`, :meth:`run`,
    :meth:`step_batch`), not in the evaluation: a code is a whole number (not a bool)
    from 0 to 2^bits - 1 of its input port; a k-term unit's ``w`` and ``a`` take k
    codes (one per lane); a block format's scale inputs one code each. Anything else is a
    DatapathError naming the input and the range. The state is a whole number >= 0; bits
    above the state's width are dropped, as a register drops them (a datapath narrowed
    to test the check runs from the reference's start values)."""

    def __init__(self, dp):
        self.dp = dp
        self.layout, self.order, self.inputs = plan(dp)
        self.dtype = _dtype(dp, self.layout)
        self.widths = {name: width for name, (direction, width) in dp.ports.items() if direction == "in"}

    @property
    def acc_bits(self) -> int:
        """Width of the accumulator register (the low bits of the state)."""
        return self.layout[0][2]

    def step(self, acc: int, operands: dict, *, names: dict | None = None) -> int:
        """The state (accumulator register bits, flags above) after one operation with
        ``operands`` (input port name -> code, or for a k-term unit a sequence of k codes:
        each lane's components then run on its own code) from state ``acc``. ``names``:
        what the caller calls each input port, for error messages."""
        acc = self._state(acc, "acc")
        operands = self._operands(operands, names or {})
        if self.dp.macs > 1:
            import numpy as np

            operands = {port: np.array(codes, dtype=object) if port in LANE_PORTS else codes
                        for port, codes in operands.items()}
        return _step(self.dp, self.layout, self.order, self.inputs, acc, operands)

    # -- checking inputs ------------------------------------------------------------------
    def _state(self, acc, label: str) -> int:
        value = _whole(acc)
        if value is None or value < 0:
            flags = sum(width for _, _, width in self.layout[1:])
            raise DatapathError(f"{self.dp.name}: {label} = {shown(acc)}: expected the state bits, a whole number "
                                f">= 0 (the {self.acc_bits}-bit accumulator register"
                                + (f", {flags} flag bits above it)" if flags else ")"))
        return value

    def _operands(self, operands, names: dict) -> dict:
        """``operands`` checked: every input port given, each a code (k codes for a lane
        input of a k-term unit), no other key; returns port -> int (or list of ints)."""
        from collections.abc import Mapping

        dp = self.dp
        if not isinstance(operands, Mapping):
            raise DatapathError(f"{dp.name}: operands must map input ports ({', '.join(self.widths)}) to codes, "
                                f"got {type(operands).__name__}")
        for key in operands:
            if key not in self.widths:
                what = names.get(key, f"input {key}")
                if key in ("w_scale", "a_scale"):
                    fmt = "weights" if key == "w_scale" else "activations"
                    raise DatapathError(f"{dp.name}: {what}: this datapath takes no scale code (its {fmt} are "
                                        "not block-scaled)")
                raise DatapathError(f"{dp.name}: no input port {shown(key)} ({did_you_mean(self.widths)})")
        out = {}
        k = dp.macs
        for port, width in self.widths.items():
            where = names.get(port, f"input {port}")
            if port not in operands:
                raise DatapathError(f"{dp.name}: no value for {where}")
            value = operands[port]
            if k > 1 and port in LANE_PORTS:
                if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
                    raise DatapathError(f"{dp.name}: {where} takes {k} codes (one per lane), got "
                                        f"{shown(value)} (not a sequence)")
                if len(value) != k:
                    raise DatapathError(f"{dp.name}: {where} takes {k} codes (one per lane), got {len(value)}")
                out[port] = [_code(dp, c, width, f"{where}, lane {i}") for i, c in enumerate(value)]
            else:
                out[port] = _code(dp, value, width, where)
        return out

    def step_batch(self, acc, w, a, scales=None):
        """Many independent steps at once: ``acc``, ``w`` and ``a`` are equal-length
        sequences (or numpy arrays) of states and codes, for a k-term unit ``w`` and ``a``
        of k-code vectors (shape (steps, k)); returns a numpy array of the next states.
        The same behaviours run element by element on arrays (a k-lane component's on
        arrays of shape (k, steps)). ``scales``: input port name (``w_scale``,
        ``a_scale``) -> a scale code per step, for block formats. Codes are checked as in
        :meth:`step`, on the whole arrays at once."""
        k = self.dp.macs
        dp = self.dp
        given = {"w": w, "a": a, **(scales or {})}
        for port in given:
            if port not in self.widths:
                raise DatapathError(f"{dp.name}: step_batch: no input port {shown(port)} "
                                    f"({did_you_mean(self.widths)})")
        missing = [p for p in self.widths if p not in given]
        if missing:
            raise DatapathError(f"{dp.name}: step_batch: no codes for input {missing[0]}")
        acc = self._batch(acc, "acc", None)
        operands = {port: self._batch(codes, port, self.widths[port], k > 1 and port in LANE_PORTS)
                    for port, codes in given.items()}
        sizes = [len(acc)] + [v.shape[-1] for v in operands.values()]
        if len(set(sizes)) != 1:
            raise DatapathError(f"{dp.name}: step_batch needs equal lengths, got {', '.join(map(str, sizes))}")
        return _step(dp, self.layout, self.order, self.inputs, acc, operands)

    def _batch(self, values, port: str, width, lanes: bool = False):
        """One batch input as an array of self.dtype (lanes: shape (k, steps)), its
        values checked at once: whole numbers, codes of ``width`` bits (``width`` None:
        a state, >= 0)."""
        import numpy as np

        dp, k = self.dp, self.dp.macs
        shape = f"{k} codes (one per lane) per step" if lanes else "one code per step"
        arr = _int_array(values, lanes)
        if arr is None:  # not all machine integers: element by element (Python ints of wide datapaths)
            try:
                rows = [[_index(v) for v in _lanes(vec, k)] if lanes else _index(vec) for vec in values]
            except TypeError as exc:
                raise DatapathError(f"{dp.name}: step_batch: input {port}: {exc.args[0]}: expected {shape}, "
                                    f"each a whole number{'' if width is None else f' from 0 to {_top(width)}'}"
                                    ) from None
            arr = np.array(rows, dtype=object)
        if arr.ndim != (2 if lanes else 1) or (lanes and arr.shape[1] != k):
            raise DatapathError(f"{dp.name}: step_batch: input {port} takes {shape}")
        out = (arr < 0) if width is None else ((arr < 0) | (arr > mask(width)))
        if out.any():
            at = tuple(int(i) for i in np.argwhere(out)[0])
            where = f"step {at[0]}" + (f", lane {at[1]}" if lanes else "")
            expected = ("the state bits, a whole number >= 0" if width is None else
                        f"a code, a whole number from 0 to {_top(width)} ({width} bits)")
            raise DatapathError(f"{dp.name}: step_batch: input {port}, {where}: {shown(int(arr[at]))}: "
                                f"expected {expected}")
        arr = arr.astype(self.dtype)
        return arr.T if lanes else arr

    def run(self, pairs, acc: int = 0) -> list[int]:
        """The accumulator after each (weight code, activation code) pair, from ``acc``."""
        out = []
        try:
            items = iter(pairs)
        except TypeError:
            raise DatapathError(f"{self.dp.name}: run takes a sequence of (weight, activation) code pairs, got "
                                f"{type(pairs).__name__}") from None
        for i, pair in enumerate(items):
            if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
                raise DatapathError(f"{self.dp.name}: pairs[{i}]: expected a (weight, activation) pair of codes, "
                                    f"got {shown(pair)}")
            acc = self.step(acc, {"w": pair[0], "a": pair[1]}, names={"w": f"pairs[{i}][0] (the weights, input w)",
                                                                      "a": f"pairs[{i}][1] (the activations, input a)"})
            out.append(acc)
        return out


def _whole(value):
    """``value`` as an int if it is a whole number (an int or a numpy integer, not a
    bool), else None."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)
    except TypeError:
        return None


def _int_array(values, lanes: bool):
    """``values`` as a numpy array of machine integers when they are all ints (not bools)
    or numpy integers, at C speed; else None."""
    import numpy as np

    if isinstance(values, np.ndarray):
        return values if values.dtype.kind in "iu" else None
    try:
        arr = np.array(values)
    except (ValueError, TypeError, OverflowError):  # (ragged lanes)
        return None
    if arr.dtype.kind not in "iu":
        return None
    flat = (v for vec in values for v in vec) if lanes else values
    return None if any(type(v) is bool for v in flat) else arr  # (numpy makes [1, True] ints)


def _index(value) -> int:
    """``value`` as an int, or TypeError(its short repr) if it is not a whole number."""
    code = _whole(value)
    if code is None:
        raise TypeError(shown(value))
    return code


def _lanes(vec, k: int):
    """A step's k lane codes, or TypeError naming what it is instead."""
    if isinstance(vec, (str, bytes)) or not hasattr(vec, "__len__") or len(vec) != k:
        raise TypeError(shown(vec))
    return vec


def _top(bits: int) -> str:
    """2^bits - 1, as a number when short."""
    return f"{mask(bits):,}" if bits <= 32 else f"2^{bits} - 1"


def _code(dp, value, width: int, where: str) -> int:
    """``value`` as a code of a ``width``-bit input, or a DatapathError naming ``where``."""
    code = _whole(value)
    if code is None or not 0 <= code <= mask(width):
        hint = ""
        if code is None and (isinstance(value, (float, Fraction)) or type(value).__name__ == "Decimal"):
            hint = "; a value's code is fmt.encode(value)"
        elif code is not None and code < 0:
            hint = "; codes are unsigned bit patterns (fmt.encode(value) gives a value's)"
        raise DatapathError(f"{dp.name}: {where} = {shown(value)}: expected a code, a whole number from 0 to "
                            f"{_top(width)} ({width} bits){hint}")
    return code


def _step(dp, layout, order, inputs, state, operands) -> int:
    values = dict(operands)
    for name, (direction, width) in dp.ports.items():
        if direction == "in":
            if name not in values:
                raise DatapathError(f"{dp.name}: no value for input {name}")
            values[name] = values[name] & mask(width)
    for name, at, width in layout:
        values[name] = (state >> at) & mask(width)
    for name in order:
        comp = dp.components[name]
        try:
            values[name] = KINDS[comp.primitive].behaviour(comp.params, _ports(inputs[name], values), comp.attrs)
        except KeyError as exc:  # an input port no signal drives
            raise DatapathError(f"{dp.name}: not executable: component {name} ({comp.primitive}) has "
                                f"nothing on its input port {exc}") from None
    out = 0
    for i, (name, at, width) in enumerate(layout):
        comp = dp.components[name]
        ins = _ports(inputs[name], values)
        nxt = (KINDS["register"].behaviour(comp.params, ins, {}) if i == 0 else
               KINDS[comp.primitive].next_state(comp.params, ins, values[name]))
        out |= (nxt & mask(width)) << at
    return out


def _ports(signals, values) -> dict:
    """Each input port's value: its signals side by side (``Signal.at``); a sign-extended
    one brings its sign into every bit above it."""
    ins: dict = {}
    for sig in signals:
        ins[sig.port] = ins.get(sig.port, 0) + (_value(sig, values) << sig.at)
    return ins


