"""Operations of sPyMem's hippocampus memories, their input spikes and their read-out.

The operations are the CA3 memory's (`models.ca3_protocol.Operation`): ``learn`` (cue and
content held for 3 steps) and ``recall_cue`` (the cue for one step). What differs per model is
the cue's encoding on IN (`HippocampusLayout.cue_neurons`) and the timing, measured on the
IR and checked against sPyMem's documentation (docs/source/*.rst of sPyMem):

=============  ======  ======  ========================  ===================================
model          learn   recall  output (steps after the   sPyMem's docs
               period  period  start: cue, content)
=============  ======  ======  ========================  ===================================
ca3            7       5       learn +2 and +4;          7 / 5; learn "3 (and 5)", recall
                               recall cue +2, bits +3    cue 3, bits 4 (one step later)
forgetting     7       6       learn +6 and +8;          7 / 6; learn 8, recall cue 6,
                               recall cue +6, bits +7    bits 6 + 1
bioinspired    7       5       learn +4 and +6;          7 / 5 (one step less than
                               recall cue +4, bits +5    forgetting)
=============  ======  ======  ========================  ===================================
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from spikemem.errors import UnsupportedFeature, ValidationError

from .ca3_decoder import OpResult, answer_latency
from .ca3_protocol import LEARN, LEARN_HOLD, RECALL_CONTENT, Operation, Schedule

__all__ = ["Timing", "TIMING", "schedule", "decode"]


@dataclass(frozen=True)
class Timing:
    """Timing of one model's operations, in steps.

    Attributes
    ----------
    learn_period, recall_period : int
        Steps from the start of a learn (a recall) to the earliest start of the next operation.
    output_delay : int
        Steps from an operation's start to its first OUT spike (the cue; a learn's first echo).
    first_start : int
        Earliest step of the first operation: the forgetting model's DG needs its constant
        spike source running (it fires from step 2, so an operation may start at step 1, as in
        sPyMem's test script); the others can start at step 0.
    learn_hold : int
        Steps a learn's input is held.
    """

    learn_period: int
    recall_period: int
    output_delay: int
    first_start: int = 0
    learn_hold: int = LEARN_HOLD

    def period(self, kind: str) -> int:
        return self.learn_period if kind == LEARN else self.recall_period


#: Timing of each model at dt = 1 ms (see the module docstring).
TIMING = {"ca3": Timing(7, 5, 2), "forgetting": Timing(7, 6, 6, first_start=1),
          "bioinspired": Timing(7, 5, 4)}


def schedule(operations: Sequence[Operation], layout, timing: Timing, start: int = 0,
             gap: int = 0) -> Schedule:
    """Queue `operations` from step `start`, each at the earliest legal step plus `gap`.

    Parameters
    ----------
    operations : sequence of Operation
        Learns and recalls by cue.
    layout : HippocampusLayout
    timing : Timing
    start, gap : int
        First step (>= 0; moved to ``timing.first_start`` if earlier) and extra idle steps
        after every operation (>= 0).

    Returns
    -------
    Schedule
        IN spike times (ms) and ids, start step of each operation.

    Raises
    ------
    ValidationError
        An invalid operation, or negative `start` / `gap`.
    UnsupportedFeature
        A recall by content: these models have no content -> cue pathway.
    """
    if start < 0 or gap < 0:
        raise ValidationError(f"hippocampus schedule: start and gap must be >= 0, got "
                              f"{start}, {gap}")
    for op in operations:
        if not isinstance(op, Operation):
            raise ValidationError(f"hippocampus schedule: operations must be Operation objects "
                                  f"(Operation.learn / Operation.recall_cue), got {op!r}")
    ops = tuple(op.validate(layout.cue_size, layout.content_size) for op in operations)
    for op in ops:
        if op.kind == RECALL_CONTENT:
            raise UnsupportedFeature(
                f"hippocampus {layout.model} memory: recall by content is not a feature of "
                "this model (its only plastic pathway is CA3cue -> CA3cont); use recall by cue, "
                "or the CA3 content-addressable memory (spikemem.models.ca3_cam)")
    starts = np.zeros(len(ops), np.int64)
    times, ids = [], []
    t = max(int(start), timing.first_start)
    dt = layout.dt
    for k, op in enumerate(ops):
        starts[k] = t
        inp = np.asarray(layout.cue_neurons(op.cue)
                         + [layout.bit_neuron(b) for b in op.bits], np.int64)
        hold = timing.learn_hold if op.kind == LEARN else 1
        for h in range(hold):
            times.append(np.full(inp.size, (t + h) * dt))
            ids.append(inp)
        t += timing.period(op.kind) + gap
    times = np.concatenate(times) if times else np.zeros(0)
    ids = np.concatenate(ids).astype(np.int64) if ids else np.zeros(0, np.int64)
    return Schedule(ops, starts, times, ids, t)


def decode(recording, layout, sched: Schedule, timing: Timing) -> list:
    """Per-operation answers of a schedule, read from OUT.

    Operation ``k``'s answer is what OUT emits in ``[start_k + d, start_{k+1} + d)`` with
    ``d = timing.output_delay`` (the last operation: ``d + its period``). The cue part of OUT
    is decoded with `HippocampusLayout.decode_cue` (binary code -> cue).

    Returns
    -------
    list of OpResult
        ``cues`` are decoded cues, ``bits`` content bits, ``latency`` in steps.
    """
    times, ids = recording.spikes(layout.output_label)
    steps = np.floor(times / layout.dt + 0.5).astype(np.int64)
    out = []
    n = len(sched.operations)
    d = timing.output_delay
    for k, op in enumerate(sched.operations):
        start = int(sched.starts[k])
        hi = int(sched.starts[k + 1]) if k + 1 < n else start + timing.period(op.kind)
        sel = (steps >= start + d) & (steps < hi + d)
        s, i = steps[sel], ids[sel]
        is_cue = i < layout.cue_width
        cues = layout.decode_cue(i[is_cue])
        bits = tuple(int(b) - layout.cue_width for b in np.unique(i[~is_cue]))
        out.append(OpResult(op, start, cues, bits,
                            answer_latency(op.kind, start, s[is_cue], s[~is_cue])))
    return out
