"""Operations of the CA3 memory and their input spikes, with the published timing.

An operation is one of

* ``learn``: cue + content spikes held for `LEARN_HOLD` = 3 steps;
* ``recall_cue``: the cue neuron fires once;
* ``recall_content``: the fragment's content neurons fire once.

At the fastest legal rate (sPyMem's reference script, dt = 1 ms) the next operation starts
`LEARN_PERIOD` = 7 steps after a learn starts and `RECALL_PERIOD` = 6 steps after a recall
starts. `schedule` queues operations at that rate and returns the spikes to feed IN.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from spikemem.errors import ValidationError
from spikemem.validation import check_integer

__all__ = ["LEARN", "RECALL_CUE", "RECALL_CONTENT", "KINDS", "LEARN_HOLD", "LEARN_PERIOD",
           "RECALL_PERIOD", "OUTPUT_DELAY", "Operation", "Schedule", "schedule",
           "validate_cue", "validate_bits"]

LEARN, RECALL_CUE, RECALL_CONTENT = "learn", "recall_cue", "recall_content"
KINDS = (LEARN, RECALL_CUE, RECALL_CONTENT)
#: Steps the input of a learn operation is held.
LEARN_HOLD = 3
#: Steps from the start of a learn (a recall) to the earliest start of the next operation.
LEARN_PERIOD = 7
RECALL_PERIOD = 6
#: Steps from the start of an operation to its first OUT spike (the cue, or the echo).
OUTPUT_DELAY = 5
#: Longest idle gap between two operations, steps (a session's run length stays bounded).
MAX_GAP_STEPS = 100_000


def validate_cue(cue, cue_size: int, owner: str = "CA3 memory") -> int:
    """Return `cue` as an int; `ValidationError` unless it is an integer in ``0..cue_size-1``."""
    if isinstance(cue, bool) or not isinstance(cue, (int, np.integer)):
        raise ValidationError(f"{owner}: cue must be an integer, got {cue!r}")
    if not 0 <= cue < cue_size:
        raise ValidationError(
            f"{owner}: cue {int(cue)} is out of range; allowed 0..{cue_size - 1}")
    return int(cue)


def validate_bits(bits, content_size: int, owner: str = "CA3 memory",
                  field: str = "content") -> tuple:
    """Return `bits` as a sorted tuple of ints.

    Raises `ValidationError` if `bits` is empty, holds a non-integer, a duplicate or an index
    outside ``0..content_size-1``.
    """
    if isinstance(bits, (str, bytes)) or not hasattr(bits, "__iter__"):
        raise ValidationError(f"{owner}: {field} must be a sequence of bit indices, got {bits!r}")
    bits = list(bits)
    if not bits:
        raise ValidationError(f"{owner}: {field} must hold at least one bit, got []")
    for b in bits:
        if isinstance(b, bool) or not isinstance(b, (int, np.integer)):
            raise ValidationError(f"{owner}: {field} bits must be integers, got {b!r}")
        if not 0 <= b < content_size:
            raise ValidationError(
                f"{owner}: {field} bit {int(b)} is out of range; allowed 0..{content_size - 1}")
    if len(set(int(b) for b in bits)) != len(bits):
        dup = sorted({int(b) for b in bits if bits.count(b) > 1})
        raise ValidationError(f"{owner}: {field} has duplicate bits {dup}")
    return tuple(sorted(int(b) for b in bits))


@dataclass(frozen=True)
class Operation:
    """One memory operation.

    Parameters
    ----------
    kind : {"learn", "recall_cue", "recall_content"}
    cue : int, optional
        The cue (required for learn and recall_cue, absent for recall_content).
    bits : sequence of int
        The content (learn) or the fragment (recall_content); empty for recall_cue.
        `validate` checks both and returns a copy with sorted tuple bits.
    """

    kind: str
    cue: Optional[int] = None
    bits: tuple = ()

    @classmethod
    def learn(cls, cue: int, bits) -> "Operation":
        return cls(LEARN, cue, bits)

    @classmethod
    def recall_cue(cls, cue: int) -> "Operation":
        return cls(RECALL_CUE, cue)

    @classmethod
    def recall_content(cls, bits) -> "Operation":
        return cls(RECALL_CONTENT, None, bits)

    @property
    def period(self) -> int:
        """Steps from this operation's start to the earliest start of the next one."""
        return LEARN_PERIOD if self.kind == LEARN else RECALL_PERIOD

    def validate(self, cue_size: int, content_size: int) -> "Operation":
        """Return a normalised copy (sorted bits); `ValidationError` if the operation is invalid."""
        owner = f"CA3 {self.kind} operation"
        if self.kind not in KINDS:
            raise ValidationError(f"CA3 operation: kind must be one of {list(KINDS)}, "
                                  f"got {self.kind!r}")
        if self.kind == RECALL_CONTENT:
            if self.cue is not None:
                raise ValidationError(f"{owner}: takes no cue, got {self.cue!r}")
            return Operation(self.kind, None,
                             validate_bits(self.bits, content_size, owner, "fragment"))
        cue = validate_cue(self.cue, cue_size, owner)
        if self.kind == RECALL_CUE:
            if self.bits:
                raise ValidationError(f"{owner}: takes no bits, got {self.bits!r}")
            return Operation(self.kind, cue)
        return Operation(self.kind, cue, validate_bits(self.bits, content_size, owner))

    def input_ids(self, cue_size: int) -> np.ndarray:
        """IN neuron indices this operation drives (cue first, then ``cue_size + bit``)."""
        ids = ([] if self.cue is None else [self.cue]) + [cue_size + b for b in self.bits]
        return np.asarray(ids, np.int64)

    @property
    def hold(self) -> int:
        """Consecutive steps the input fires."""
        return LEARN_HOLD if self.kind == LEARN else 1


@dataclass(frozen=True)
class Schedule:
    """Operations queued at the fastest legal rate.

    Attributes
    ----------
    operations : tuple of Operation
    starts : ndarray of int64, shape (n_ops,)
        Start step of each operation.
    times : ndarray of float, shape (n_spikes,)
        IN spike times, ms.
    ids : ndarray of int64, shape (n_spikes,)
        IN neuron indices.
    end : int
        First step after the last operation's period.
    """

    operations: tuple
    starts: np.ndarray
    times: np.ndarray
    ids: np.ndarray
    end: int


def schedule(operations: Sequence[Operation], cue_size: int, content_size: int,
             start: int = 0, dt: float = 1.0, gap: int = 0) -> Schedule:
    """Queue `operations` from step `start`, each at the earliest legal step.

    Parameters
    ----------
    operations : sequence of Operation
    cue_size, content_size : int
        Size of the memory (for validation and IN indices).
    start : int
        Step at which the first operation starts (>= 0).
    dt : float
        Time step, ms.
    gap : int
        Extra idle steps after every operation, 0 (fastest rate) .. `MAX_GAP_STEPS`.

    Returns
    -------
    Schedule

    Raises
    ------
    ValidationError
        Any invalid operation (the message names it), or `start` / `gap` out of range.
    """
    start = check_integer("CA3 schedule", "start", start, 0, 2 ** 53)
    gap = check_integer("CA3 schedule", "gap", gap, 0, MAX_GAP_STEPS)
    ops = tuple(op.validate(cue_size, content_size) for op in operations)
    starts = np.zeros(len(ops), np.int64)
    times, ids = [], []
    t = int(start)
    for k, op in enumerate(ops):
        starts[k] = t
        inp = op.input_ids(cue_size)
        for h in range(op.hold):
            times.append(np.full(inp.size, (t + h) * dt))
            ids.append(inp)
        t += op.period + gap
    cat = (lambda xs, dtype: np.concatenate(xs).astype(dtype) if xs else np.zeros(0, dtype))
    return Schedule(ops, starts, cat(times, float), cat(ids, np.int64), t)
