"""Spike sources (stimuli as data) and protocol helpers that build them.

A source emits spikes at whole time steps: a spike time ``T`` ms is emitted at step
``round(T / dt)`` and, through a synapse of delay ``d``, arrives at step ``round(T/dt) + d/dt``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import numpy as np

from ._repr import short_repr
from .errors import ValidationError
from .validation import (MAX_SIZE, MAX_TIME_MS, as_dict, check_index_array,
                         check_integer, check_label, check_number, check_real_array,
                         construct)
from .views import Sliceable

__all__ = ["SpikeSourceArray", "SpikeSourcePoisson", "present", "source_from_dict",
           "active_steps"]


@dataclass(frozen=True, eq=False)
class SpikeSourceArray(Sliceable):
    """Neurons that fire at given times.

    Parameters
    ----------
    spike_times : sequence of sequences of float, or sequence of float, optional
        ``spike_times[i]`` lists the spike times (ms, >= 0) of source neuron ``i``. A flat
        list of times together with `size` gives every neuron those times (PyNN's reading);
        a flat list without `size` is refused as ambiguous. Alternatively give `size`,
        `times` and `ids` (flat arrays).
    label : str, optional
    size : int, optional
        Number of source neurons (needed when `spike_times` is not given).
    times, ids : array_like, optional
        Flat spike times (ms) and neuron ids.
    """

    spike_times: Optional[Sequence[Sequence[float]]] = None
    label: Optional[str] = None
    size: Optional[int] = None
    times: Optional[np.ndarray] = None
    ids: Optional[np.ndarray] = None

    __repr__ = short_repr

    def __post_init__(self):
        owner = f"SpikeSourceArray {self.label!r}"
        check_label(owner, self.label)
        if self.spike_times is not None:
            if self.times is not None or self.ids is not None:
                raise ValidationError(f"{owner}: give spike_times or times/ids, not both")
            trains = _trains(owner, self.spike_times, self.size)
            size = len(trains) if self.size is None else \
                check_integer(owner, "size", self.size, 1, MAX_SIZE)
            if len(trains) != size:
                raise ValidationError(
                    f"{owner}: size is {size} but spike_times lists {len(trains)} neurons")
            times = np.concatenate(trains) if trains else np.zeros(0)
            ids = np.concatenate([np.full(len(t), i, np.int64) for i, t in enumerate(trains)]) \
                if trains else np.zeros(0, np.int64)
        else:
            size = self.size
            if size is None:
                raise ValidationError(f"{owner}: size is required when spike_times is not given")
            size = check_integer(owner, "size", size, 1, MAX_SIZE)
            times = check_real_array(owner, "spike time", [] if self.times is None else self.times,
                                     0.0, MAX_TIME_MS, unit="ms")
            ids = check_index_array(owner, "ids", [] if self.ids is None else self.ids, size,
                                    length=times.size)
        size = check_integer(owner, "size", size, 1, MAX_SIZE)
        order = np.lexsort((ids, times))
        object.__setattr__(self, "times", times[order])
        object.__setattr__(self, "ids", ids.astype(np.int64)[order])
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "spike_times", None)

    def spikes_between(self, dt: float, step_start: int, step_stop: int):
        """Spikes emitted in steps ``[step_start, step_stop)``: (steps int64, ids int64), sorted."""
        steps = np.floor(self.times / dt + 0.5).astype(np.int64)
        sel = (steps >= step_start) & (steps < step_stop)
        return steps[sel], self.ids[sel]

    def to_dict(self) -> dict:
        return {"type": "SpikeSourceArray", "label": self.label, "size": self.size,
                "times": self.times, "ids": self.ids}


def _trains(owner: str, spike_times, size) -> list:
    """Per-neuron spike-time arrays (ms); a flat list of times is PyNN's "same times for all"."""
    if isinstance(spike_times, (str, bytes)) or not hasattr(spike_times, "__len__"):
        raise ValidationError(f"{owner}: spike_times must be a list of per-neuron spike-time "
                              f"lists, got {spike_times!r}")
    items = list(spike_times)
    if all(np.ndim(t) == 0 for t in items) and (items or size is not None):
        times = check_real_array(owner, "spike time", items, 0.0, MAX_TIME_MS, unit="ms") \
            if items else np.zeros(0)
        if size is None:
            example = ", ".join(f"{t:g}" for t in times[:3])
            more = ", ..." if len(items) > 3 else ""
            raise ValidationError(
                f"{owner}: spike_times is a flat list [{example}{more}]"
                f"; give size=n for n neurons that all fire at these times "
                f"(SpikeSourceArray([{example}], size=n), PyNN's reading), or one list per "
                f"neuron (SpikeSourceArray([[{example}], ...]))")
        return [times] * check_integer(owner, "size", size, 1, MAX_SIZE)
    return [check_real_array(owner, f"spike time of neuron {i}", t, 0.0, MAX_TIME_MS, unit="ms")
            for i, t in enumerate(items)]


@dataclass(frozen=True)
class SpikeSourcePoisson(Sliceable):
    """Independent Poisson (Bernoulli per time step) spike trains.

    In each step of ``dt`` ms within ``[start, start + duration)`` every neuron fires with
    probability ``rate * dt / 1000``. The draw is a pure function of (`seed`, step), so the
    spikes do not depend on how a run is split into calls, nor on the backend.

    Parameters
    ----------
    size : int
        Number of neurons (>= 1).
    rate : float
        Firing rate, Hz, in [0, 1e6] (and ``rate * dt / 1000 <= 1``).
    seed : int
        Seed of the spike trains (>= 0).
    start : float
        Onset, ms, in [0, 1e12].
    duration : float
        Length of the active window, ms, in (0, 1e12] or ``inf`` (PyNN's default is 1e10).
    label : str, optional
    """

    size: int
    rate: float
    seed: int
    start: float = 0.0
    duration: float = float("inf")
    label: Optional[str] = None

    BLOCK_STEPS = 1024
    #: Most uniform numbers drawn at once (bounds the memory of a window: 8 bytes each).
    MAX_DRAW = 1 << 22

    def __post_init__(self):
        owner = f"SpikeSourcePoisson {self.label!r}"
        check_label(owner, self.label)
        object.__setattr__(self, "size", check_integer(owner, "size", self.size, 1, MAX_SIZE))
        object.__setattr__(self, "seed", check_integer(owner, "seed", self.seed, 0,
                                                       2 ** 63 - 1))
        object.__setattr__(self, "rate", check_number(owner, "rate", self.rate, 0.0, 1e6,
                                                      unit="Hz"))
        object.__setattr__(self, "start", check_number(owner, "start", self.start, 0.0,
                                                       MAX_TIME_MS, unit="ms"))
        object.__setattr__(self, "duration", check_number(
            owner, "duration", self.duration, 0.0, MAX_TIME_MS, lo_open=True,
            allow_inf=True, unit="ms"))

    def spikes_between(self, dt: float, step_start: int, step_stop: int):
        """Spikes emitted in steps ``[step_start, step_stop)``: (steps int64, ids int64), sorted.

        Step ``s`` draws row ``s % BLOCK_STEPS`` of block ``s // BLOCK_STEPS``'s uniform
        numbers (``default_rng([seed, block])``, row-major). Only the rows of the window are
        drawn (earlier rows are skipped by advancing the generator), at most `MAX_DRAW`
        numbers at a time, so memory stays bounded for any size and any window.
        """
        p = self.rate * dt / 1000.0
        if p > 1.0:
            raise ValidationError(
                f"SpikeSourcePoisson {self.label!r}: rate {self.rate} Hz is above one spike per "
                f"step of {dt} ms (max {1000.0 / dt} Hz)")
        on, off = active_steps(self.start, self.duration, dt)
        first, last = max(step_start, on), min(step_stop, off)
        steps_out, ids_out = [], []
        block = self.BLOCK_STEPS
        rows_per_draw = max(1, self.MAX_DRAW // self.size)
        for b in range(first // block, (last - 1) // block + 1 if last > first else 0):
            row0, row1 = max(first - b * block, 0), min(last - b * block, block)
            bitgen = np.random.PCG64(np.random.SeedSequence([self.seed, b]))
            bitgen.advance(row0 * self.size)
            rng = np.random.Generator(bitgen)
            for r in range(row0, row1, rows_per_draw):
                n_rows = min(rows_per_draw, row1 - r)
                s, i = np.nonzero(rng.random((n_rows, self.size)) < p)
                steps_out.append((s + b * block + r).astype(np.int64))
                ids_out.append(i.astype(np.int64))
        if not steps_out:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(steps_out), np.concatenate(ids_out)

    def to_dict(self) -> dict:
        return {"type": "SpikeSourcePoisson", "size": self.size, "rate": self.rate,
                "seed": self.seed, "start": self.start, "duration": self.duration,
                "label": self.label}


def active_steps(start: float, duration: float, dt: float) -> tuple:
    """Steps ``[first, last)`` of a window of `duration` ms from `start` ms (the rule of
    `SpikeSourcePoisson` and `spikemem.PoissonInput`): step ``s`` is active when
    ``start <= s * dt < start + duration``; ``last`` is ``2**62`` for an endless window."""
    first = int(np.ceil(start / dt - 1e-9))
    if np.isinf(duration):
        return first, ENDLESS_STEP
    return first, int(np.ceil((start + duration) / dt - 1e-9))


#: ``last`` step of an endless window (`active_steps`), beyond any run.
ENDLESS_STEP = 1 << 62


def present(pattern: Iterable[int], at: float, hold: int = 1, dt: float = 1.0):
    """Spike times that present a binary pattern.

    Parameters
    ----------
    pattern : iterable of int
        Indices of the source neurons that fire.
    at : float
        Time of the first spike, ms.
    hold : int
        Number of consecutive steps each neuron fires (>= 1).
    dt : float
        Time step, ms.

    Returns
    -------
    times, ids : ndarray
        Flat spike times (ms) and neuron ids, ready for ``SpikeSourceArray(times=, ids=)`` or
        ``Simulator.add_spikes``.
    """
    idx = np.unique(check_index_array("present", "pattern", list(pattern)))
    hold = check_integer("present", "hold", hold, 1, 1 << 20)
    at = check_number("present", "at", at, 0.0, MAX_TIME_MS, unit="ms")
    dt = check_number("present", "dt", dt, 0.0, 1e4, lo_open=True, unit="ms")
    ts = at + dt * np.arange(hold)
    times = np.repeat(ts, idx.size)
    ids = np.tile(idx, hold)
    return times, ids


def source_from_dict(d: dict):
    """Inverse of ``source.to_dict()``."""
    d = as_dict("spike source", d)
    kind = d.pop("type", None)
    kind = kind if isinstance(kind, str) else repr(kind)
    if kind == "SpikeSourceArray":
        return construct(SpikeSourceArray, d)
    if kind == "SpikeSourcePoisson":
        return construct(SpikeSourcePoisson, d)
    raise ValidationError(
        f"spike source: type must be SpikeSourceArray or SpikeSourcePoisson, got {kind!r}")
