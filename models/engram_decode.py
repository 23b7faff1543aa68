"""Reading engrams out of spikes: activity per cycle, recall results and their scores.

All excitatory activity of the engram network happens once per cycle (every 2 ms, see
`models.engram_network`), so a recording is read as a sequence of active cell sets.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from spikemem._repr import short_repr
from spikemem.errors import ValidationError, check_int

__all__ = ["cycle_activity", "RecallResult", "decode_recall", "score", "random_patterns",
           "as_pattern", "ONSET_FRACTION"]

#: Fraction of an engram's cells that must fire in one cycle for the engram to count as up.
ONSET_FRACTION = 0.75


def as_pattern(cells, n: int, owner: str, name: str = "pattern") -> np.ndarray:
    """Validate a set of cells: indices (or a boolean mask of length `n`) -> sorted unique int64.

    Raises `ValidationError` for an empty set, a non-integer, an index outside ``0..n-1``, a
    repeated index or a mask of the wrong length.
    """
    try:
        arr = np.asarray(cells)
    except (ValueError, TypeError):     # ragged nested lists
        arr = np.asarray(None, dtype=object)
    if arr.dtype.kind not in "iufb":
        raise ValidationError(f"{owner}: {name} must be a list of cell indices or a boolean "
                              f"mask, got {type(cells).__name__}")
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise ValidationError(f"{owner}: {name} given as a mask must have shape ({n},), "
                                  f"got {arr.shape}")
        arr = np.flatnonzero(arr)
    if arr.ndim != 1:
        raise ValidationError(f"{owner}: {name} must be a 1-D list of cell indices, "
                              f"got shape {arr.shape}")
    if arr.size == 0:
        raise ValidationError(f"{owner}: {name} must hold at least one cell")
    if not np.issubdtype(arr.dtype, np.integer):
        if not (np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0)):
            raise ValidationError(f"{owner}: {name} must hold integer cell indices, "
                                  f"got {arr.dtype} values")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= n:
        bad = arr[(arr < 0) | (arr >= n)][0]
        raise ValidationError(f"{owner}: {name} index {int(bad)} is out of range 0..{n - 1}")
    if np.unique(arr).size != arr.size:
        raise ValidationError(f"{owner}: {name} lists a cell more than once")
    return np.sort(arr)


def cycle_activity(times: np.ndarray, ids: np.ndarray, n: int, t_start: float,
                   t_stop: float, cycle: float):
    """Active cells per cycle in ``[t_start, t_stop)``.

    Parameters
    ----------
    times, ids : ndarray, shape (s,)
        Spike times (ms) and cell ids of one population.
    n : int
        Population size.
    t_start, t_stop : float
        Window, ms; `t_start` is the first cycle's time.
    cycle : float
        Cycle length, ms.

    Returns
    -------
    cycle_times : ndarray, shape (c,)
        Start of each cycle, ms.
    active : ndarray of bool, shape (c, n)
        ``active[j, i]``: cell i fired in cycle j.
    """
    n_cycles = max(0, int(np.ceil((t_stop - t_start) / cycle - 1e-9)))
    active = np.zeros((n_cycles, n), bool)
    sel = (times >= t_start) & (times < t_start + n_cycles * cycle)
    rows = np.floor((times[sel] - t_start) / cycle + 1e-9).astype(np.int64)
    active[rows, ids[sel]] = True
    return t_start + cycle * np.arange(n_cycles), active


@dataclass
class RecallResult:
    """What a cue recalled.

    Attributes
    ----------
    t_cue : float
        Time the cue reached the excitatory cells, ms.
    cue : ndarray of int64
        The cued cells.
    cells : ndarray of int64
        The recalled pattern: cells active in at least half of the active cycles after the cue.
    cycle_times : ndarray, shape (c,)
        Start of each cycle of the window, ms (the first is the cue's cycle).
    active : ndarray of bool, shape (c, n)
        Active cells per cycle.
    overlaps : ndarray, shape (m,)
        For every stored engram, the fraction of its cells in `cells`.
    best : int or None
        The stored engram with the highest `score` F1 against `cells` (None if nothing fired).
    order : list of int
        Stored engrams in the order they came up: by the first cycle with at least
        `ONSET_FRACTION` of their cells active, ties broken by the first cycle with at least
        half of them active (a half cue) and then by index; each listed once.
    onsets : dict
        ``{engram: time of that first cycle, ms}`` for the engrams in `order`.
    duration : float
        Time from the cue to the last active cycle, ms (the working-memory persistence).
    """

    t_cue: float
    cue: np.ndarray
    cells: np.ndarray
    cycle_times: np.ndarray
    active: np.ndarray
    overlaps: np.ndarray
    best: Optional[int]
    order: list = field(default_factory=list)
    onsets: dict = field(default_factory=dict)
    duration: float = 0.0

    __repr__ = short_repr

    def score(self, target: Sequence[int]) -> dict:
        """Precision, hit rate, F1 and exactness of `cells` against a target engram."""
        return score(self.cells, target)


def score(recalled: Sequence[int], target: Sequence[int]) -> dict:
    """Compare a recalled cell set with a target engram.

    Returns
    -------
    dict
        ``hit`` (fraction of the target recalled), ``precision`` (fraction of the recalled
        cells in the target; 0 if nothing was recalled), ``f1`` and ``exact`` (the sets are
        equal).
    """
    r = np.unique(np.asarray(recalled, np.int64))
    t = np.unique(np.asarray(target, np.int64))
    common = np.intersect1d(r, t).size
    hit = common / t.size if t.size else 1.0
    precision = common / r.size if r.size else 0.0
    f1 = 0.0 if hit + precision == 0 else 2 * hit * precision / (hit + precision)
    return {"hit": float(hit), "precision": float(precision), "f1": float(f1),
            "exact": bool(r.size == t.size and common == t.size)}


def decode_recall(times, ids, n: int, t_cue: float, t_stop: float, cycle: float,
                  cue: np.ndarray, engrams: Sequence[np.ndarray]) -> RecallResult:
    """Decode the excitatory spikes after a cue into a `RecallResult`.

    Parameters
    ----------
    times, ids : ndarray
        Excitatory spikes (ms, cell ids).
    n : int
    t_cue, t_stop : float
        Cue arrival time and end of the window, ms.
    cycle : float
        Cycle length, ms.
    cue : ndarray of int64
    engrams : sequence of ndarray
        The stored engrams, in storage order.
    """
    cycle_times, active = cycle_activity(times, ids, n, t_cue, t_stop, cycle)
    later = active[1:]
    live = later[later.any(axis=1)]
    if live.shape[0]:
        cells = np.flatnonzero(live.sum(axis=0) * 2 >= live.shape[0])
    else:
        cells = np.zeros(0, np.int64)
    overlaps = np.array([np.intersect1d(cells, e).size / e.size for e in engrams])
    best = None
    if cells.size and len(engrams):
        best = int(np.argmax([score(cells, e)["f1"] for e in engrams]))
    onsets, partial = {}, {}
    for j, e in enumerate(engrams):
        frac = active[:, e].mean(axis=1) if active.shape[0] else np.zeros(0)
        up = np.flatnonzero(frac >= ONSET_FRACTION)
        if up.size:
            onsets[j] = float(cycle_times[up[0]])
            partial[j] = float(cycle_times[np.flatnonzero(frac >= 0.5)[0]])
    order = sorted(onsets, key=lambda j: (onsets[j], partial[j], j))
    any_active = np.flatnonzero(active.any(axis=1))
    duration = float(cycle_times[any_active[-1]] - t_cue + cycle) if any_active.size else 0.0
    return RecallResult(t_cue=float(t_cue), cue=np.asarray(cue, np.int64), cells=cells,
                        cycle_times=cycle_times, active=active, overlaps=overlaps, best=best,
                        order=order, onsets=onsets, duration=duration)


def random_patterns(n: int, k: int, count: int, seed: int) -> list:
    """`count` random engrams of `k` distinct cells among `n`, seeded.

    Returns
    -------
    list of ndarray of int64
        Sorted cell indices, one array per engram.
    """
    n = check_int("random_patterns", "n", n, minimum=1)
    k = check_int("random_patterns", "k", k, minimum=1)
    count = check_int("random_patterns", "count", count, minimum=0)
    seed = check_int("random_patterns", "seed", seed, minimum=0)
    if k > n:
        raise ValidationError(f"random_patterns: k must be <= n = {n}, got {k}")
    rng = np.random.default_rng(seed)
    return [np.sort(rng.choice(n, k, replace=False)).astype(np.int64) for _ in range(count)]
