"""Running a datapath bit by bit, from the same component graph that is costed.

:func:`step` evaluates the graph once: input ports take the operand codes, the
accumulator register (the register whose output is the ``feedback`` signal) gives its
state, every other component's behaviour (:mod:`macgates.behaviour`) runs in dependency
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

from .behaviour import BEHAVIOURS, NEXT_STATE, STATE_BITS, mask
from .errors import DatapathError


LANE_PORTS = ("w", "a")  # inputs that take one code per lane (the others: one per unit)


def _plan(dp):
    """(accumulator register, components in evaluation order, input signals per component)."""
    state = {s.src for s in dp.signals if s.name == "feedback"}
    if len(state) != 1:
        raise DatapathError(f"{dp.name}: not executable: it needs one accumulator register (the source "
                            f"of a 'feedback' signal), found {len(state)}")
    acc = state.pop()
    for comp in dp.components.values():
        if comp.primitive not in BEHAVIOURS:
            raise DatapathError(f"{dp.name}: not executable: component {comp.name} uses primitive "
                                f"{comp.primitive}, which has no behaviour")
        if comp.count != 1 and comp.primitive in NEXT_STATE:
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
            inputs[sig.dst].append(sig)
    stateful = sorted(n for n, c in dp.components.items() if c.primitive in NEXT_STATE)
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
        width = comp.params["n"] if name == acc else STATE_BITS[comp.primitive](comp.params)
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
    """A datapath made ready to run: the evaluation order is worked out once."""

    def __init__(self, dp):
        self.dp = dp
        self.layout, self.order, self.inputs = _plan(dp)
        self.dtype = _dtype(dp, self.layout)

    @property
    def acc_bits(self) -> int:
        """Width of the accumulator register (the low bits of the state)."""
        return self.layout[0][2]

    def step(self, acc: int, operands: dict) -> int:
        """The state (accumulator register bits, flags above) after one operation with
        ``operands`` (input port name -> code, or for a k-term unit a sequence of k codes:
        each lane's components then run on its own code) from state ``acc``."""
        k = self.dp.macs
        if k > 1:
            import numpy as np

            lanes = {}
            for port, codes in operands.items():
                if port not in LANE_PORTS:  # a block scale: one code per unit
                    lanes[port] = codes
                    continue
                codes = list(codes) if hasattr(codes, "__iter__") else [codes]
                if len(codes) != k:
                    raise DatapathError(f"{self.dp.name}: input {port} takes {k} codes (one per lane), "
                                        f"got {len(codes)}")
                lanes[port] = np.array([int(c) for c in codes], dtype=object)
            operands = lanes
        return _step(self.dp, self.layout, self.order, self.inputs, acc, operands)

    def step_batch(self, acc, w, a, scales=None):
        """Many independent steps at once: ``acc``, ``w`` and ``a`` are equal-length
        sequences (or numpy arrays) of states and codes, for a k-term unit ``w`` and ``a``
        of k-code vectors (shape (steps, k)); returns a numpy array of the next states.
        The same behaviours run element by element on arrays (a k-lane component's on
        arrays of shape (k, steps)). ``scales``: input port name (``w_scale``,
        ``a_scale``) -> a scale code per step, for block formats."""
        import numpy as np

        def arr(values, lanes=False):
            if lanes:
                return np.array([[int(v) for v in vec] for vec in values], dtype=self.dtype).reshape(-1, k).T
            return np.array([int(v) for v in values], dtype=self.dtype)

        k = self.dp.macs
        acc, w, a = arr(acc), arr(w, k > 1), arr(a, k > 1)
        if not len(acc) == w.shape[-1] == a.shape[-1]:
            raise DatapathError(f"{self.dp.name}: step_batch needs equal lengths, got {len(acc)}, "
                                f"{w.shape[-1]}, {a.shape[-1]}")
        operands = {"w": w, "a": a, **{port: arr(codes) for port, codes in (scales or {}).items()}}
        return _step(self.dp, self.layout, self.order, self.inputs, acc, operands)

    def run(self, pairs, acc: int = 0) -> list[int]:
        """The accumulator after each (weight code, activation code) pair, from ``acc``."""
        out = []
        for w, a in pairs:
            acc = self.step(acc, {"w": w, "a": a})
            out.append(acc)
        return out


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
            values[name] = BEHAVIOURS[comp.primitive](comp.params, _ports(inputs[name], values), comp.attrs)
        except KeyError as exc:  # an input port no signal drives
            raise DatapathError(f"{dp.name}: not executable: component {name} ({comp.primitive}) has "
                                f"nothing on its input port {exc}") from None
    out = 0
    for i, (name, at, width) in enumerate(layout):
        comp = dp.components[name]
        ins = _ports(inputs[name], values)
        nxt = (BEHAVIOURS["register"](comp.params, ins, {}) if i == 0 else
               NEXT_STATE[comp.primitive](comp.params, ins, values[name]))
        out |= (nxt & mask(width)) << at
    return out


def _ports(signals, values) -> dict:
    """Each input port's value: its signals side by side (``Signal.at``); a sign-extended
    one brings its sign into every bit above it."""
    ins: dict = {}
    for sig in signals:
        ins[sig.port] = ins.get(sig.port, 0) + (_value(sig, values) << sig.at)
    return ins


