"""Spike sources (stimuli as data) and protocol helpers that build them.

A source emits spikes at whole time steps: a spike time ``T`` ms is emitted at step
``round(T / dt)`` and, through a synapse of delay ``d``, arrives at step ``round(T/dt) + d/dt``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import numpy as np

from ._repr import short_repr
from .errors import ValidationError, check_int, check_nonnegative
from .views import Sliceable

__all__ = ["SpikeSourceArray", "SpikeSourcePoisson", "present", "source_from_dict"]


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
        if self.spike_times is not None:
            if self.times is not None or self.ids is not None:
                raise ValidationError(f"{owner}: give spike_times or times/ids, not both")
            trains = _trains(owner, self.spike_times, self.size)
            size = len(trains) if self.size is None else self.size
            if len(trains) != size:
                raise ValidationError(
                    f"{owner}: size is {size} but spike_times lists {len(trains)} neurons")
            times = np.concatenate(trains) if trains else np.zeros(0)
            ids = np.concatenate([np.full(len(t), i, np.int64) for i, t in enumerate(trains)]) \
                if trains else np.zeros(0, np.int64)
        else:
            times = np.zeros(0) if self.times is None else np.asarray(self.times, dtype=float)
            ids = np.zeros(0, np.int64) if self.ids is None else np.asarray(self.ids)
            size = self.size
            if size is None:
                raise ValidationError(f"{owner}: size is required when spike_times is not given")
        size = check_int(owner, "size", size, minimum=1)
        if times.shape != ids.shape or times.ndim != 1:
            raise ValidationError(
                f"{owner}: times and ids must be 1-D of equal length, got {times.shape} "
                f"and {ids.shape}")
        check_nonnegative(owner, "spike time", times)
        if ids.size and (ids.min() < 0 or ids.max() >= size):
            raise ValidationError(
                f"{owner}: neuron id {int(ids.max() if ids.max() >= size else ids.min())} is out "
                f"of range 0..{size - 1}")
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
    """Per-neuron spike-time arrays; a flat list of times is PyNN's "same times for all"."""
    items = list(spike_times)
    if all(np.ndim(t) == 0 for t in items) and (items or size is not None):
        try:
            times = np.asarray(items, dtype=float)
        except (TypeError, ValueError):
            raise ValidationError(f"{owner}: spike times must be numbers (ms), got "
                                  f"{items[:3]!r}") from None
        if size is None:
            example = ", ".join(f"{t:g}" for t in times[:3])
            more = ", ..." if len(items) > 3 else ""
            raise ValidationError(
                f"{owner}: spike_times is a flat list [{example}{more}]"
                f"; give size=n for n neurons that all fire at these times "
                f"(SpikeSourceArray([{example}], size=n), PyNN's reading), or one list per "
                f"neuron (SpikeSourceArray([[{example}], ...]))")
        return [times] * check_int(owner, "size", size, minimum=1)
    return [np.atleast_1d(np.asarray(t, dtype=float)) for t in items]


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
        Firing rate, Hz (>= 0, and ``rate * dt / 1000 <= 1``).
    seed : int
        Seed of the spike trains (>= 0).
    start : float
        Onset, ms (>= 0).
    duration : float
        Length of the active window, ms (> 0; may be ``inf``).
    label : str, optional
    """

    size: int
    rate: float
    seed: int
    start: float = 0.0
    duration: float = float("inf")
    label: Optional[str] = None

    BLOCK_STEPS = 1024

    def __post_init__(self):
        owner = f"SpikeSourcePoisson {self.label!r}"
        object.__setattr__(self, "size", check_int(owner, "size", self.size, minimum=1))
        object.__setattr__(self, "seed", check_int(owner, "seed", self.seed, minimum=0))
        check_nonnegative(owner, "rate", self.rate)
        check_nonnegative(owner, "start", self.start)
        if not (self.duration > 0):
            raise ValidationError(f"{owner}: duration must be > 0 ms, got {self.duration!r}")
        object.__setattr__(self, "rate", float(self.rate))

    def spikes_between(self, dt: float, step_start: int, step_stop: int):
        """Spikes emitted in steps ``[step_start, step_stop)``: (steps int64, ids int64), sorted."""
        p = self.rate * dt / 1000.0
        if p > 1.0:
            raise ValidationError(
                f"SpikeSourcePoisson {self.label!r}: rate {self.rate} Hz is above one spike per "
                f"step of {dt} ms (max {1000.0 / dt} Hz)")
        first = max(step_start, int(np.ceil(self.start / dt - 1e-9)))
        last = step_stop if np.isinf(self.duration) else \
            min(step_stop, int(np.ceil((self.start + self.duration) / dt - 1e-9)))
        steps_out, ids_out = [], []
        block = self.BLOCK_STEPS
        for b in range(first // block, (max(first, last) - 1) // block + 1 if last > first else 0):
            rng = np.random.default_rng([self.seed, b])
            fire = rng.random((block, self.size)) < p
            s, i = np.nonzero(fire)
            s = s + b * block
            keep = (s >= first) & (s < last)
            steps_out.append(s[keep].astype(np.int64))
            ids_out.append(i[keep].astype(np.int64))
        if not steps_out:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(steps_out), np.concatenate(ids_out)

    def to_dict(self) -> dict:
        return {"type": "SpikeSourcePoisson", "size": self.size, "rate": self.rate,
                "seed": self.seed, "start": self.start, "duration": self.duration,
                "label": self.label}


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
    idx = np.unique(np.asarray(list(pattern), dtype=np.int64))
    hold = check_int("present", "hold", hold, minimum=1)
    check_nonnegative("present", "at", at)
    ts = at + dt * np.arange(hold)
    times = np.repeat(ts, idx.size)
    ids = np.tile(idx, hold)
    return times, ids


def source_from_dict(d: dict):
    """Inverse of ``source.to_dict()``."""
    d = dict(d)
    kind = d.pop("type", None)
    if kind == "SpikeSourceArray":
        return SpikeSourceArray(**d)
    if kind == "SpikeSourcePoisson":
        return SpikeSourcePoisson(**d)
    raise ValidationError(
        f"spike source: type must be SpikeSourceArray or SpikeSourcePoisson, got {kind!r}")
