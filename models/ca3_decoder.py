"""Read the CA3 memory's OUT layer back into per-operation answers.

Every operation's output starts `OUTPUT_DELAY` (5) steps after it starts: a learn echoes cue
and content at +5 and +7; a recall by cue returns the cue at +5 and its content at +6; a
recall by content echoes the fragment at +5 and returns the matching cues at +6. Operation k's
answer is what OUT emits in ``[start_k + 5, start_{k+1} + 5)`` (the last one: up to
``start + 5 + WINDOW``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from spikemem.lowering import spike_steps

from .ca3_protocol import OUTPUT_DELAY, RECALL_CONTENT, RECALL_CUE, Operation, Schedule

__all__ = ["WINDOW", "OpResult", "decode", "answer_latency"]

#: Length (steps) of the output window of the last operation of a schedule.
WINDOW = 7


@dataclass(frozen=True)
class OpResult:
    """What OUT returned for one operation.

    Attributes
    ----------
    operation : Operation
    start : int
        Start step of the operation.
    cues : tuple of int
        Cue neurons of OUT that fired in the operation's window.
    bits : tuple of int
        Content bits of OUT that fired in the window (for a recall by content: the echo of
        the fragment).
    latency : int or None
        Steps from the start to the answer: the first content bit (recall by cue), the first
        cue (recall by content) or the first OUT spike (learn); None if there is none.
    """

    operation: Operation
    start: int
    cues: tuple
    bits: tuple
    latency: Optional[int]


def answer_latency(kind: str, start: int, cue_steps: np.ndarray, bit_steps: np.ndarray):
    """Latency (steps) of an operation's answer given the OUT spike steps in its window."""
    if kind == RECALL_CUE:
        steps = bit_steps
    elif kind == RECALL_CONTENT:
        steps = cue_steps
    else:
        steps = np.concatenate([cue_steps, bit_steps])
    return int(steps.min()) - start if steps.size else None


def decode(recording, layout, sched: Schedule, window: int = WINDOW) -> list:
    """Per-operation answers of a schedule, read from ``recording``'s OUT spikes.

    Parameters
    ----------
    recording : spikemem.Recording
        Recording of a run that fed ``sched`` to IN.
    layout : Layout
        Layout of the network (`build_network`'s second return value).
    sched : Schedule
    window : int
        Output window (steps) of the last operation.

    Returns
    -------
    list of OpResult, one per operation, in order.
    """
    n = len(sched.operations)
    first = int(sched.starts[0]) + OUTPUT_DELAY
    last = int(sched.starts[-1]) + OUTPUT_DELAY + window
    # Only the schedule's own window is read, so a long session's cost does not grow.
    times, ids = recording.spikes_between(layout.output_label, (first - 0.5) * layout.dt,
                                          (last - 0.5) * layout.dt)
    steps = spike_steps(times, layout.dt)
    out = []
    for k, op in enumerate(sched.operations):
        start = int(sched.starts[k])
        lo = start + OUTPUT_DELAY
        hi = int(sched.starts[k + 1]) + OUTPUT_DELAY if k + 1 < n else lo + window
        sel = (steps >= lo) & (steps < hi)
        s, i = steps[sel], ids[sel]
        is_cue = i < layout.cue_size
        cues = tuple(int(c) for c in np.unique(i[is_cue]))
        bits = tuple(int(b) - layout.cue_size for b in np.unique(i[~is_cue]))
        out.append(OpResult(op, start, cues, bits,
                            answer_latency(op.kind, start, s[is_cue], s[~is_cue])))
    return out
