"""Hebbian engram networks: working, short- and long-term memory, consolidation and forgetting.

After the engram architecture of Memoria (Park & Bak, 2023-2024) and the classic cell-assembly
literature (Hebb 1949; Hopfield 1982; Willshaw 1969), made of spikes: an engram is a cell
assembly in a recurrent `IF_curr_exp` population, learned in one presentation by STDP and
recalled by pattern completion from a partial cue (recurrent excitation + global inhibition).

* working memory: a recalled engram keeps firing by recurrent excitation for ``wm_ms``, then a
  slow gate cell silences it (bounded persistent activity);
* short-term memory: the engram's synapses hold it in fast weights that decay to 0 with
  ``stm_tau``; every reactivation re-potentiates them (extends the engram's life);
* long-term memory: after ``consolidate_after`` reactivations within about one ``tag_tau``
  the synapses move their fast weight into a slow weight that does not decay (consolidation by
  replay; `spikemem.synapses.ConsolidatingSTDP`);
* associations: engrams presented one right after the other are linked by STDP (pre before
  post), so recalling one brings up the next (sequence recall).

The network is built by `models.engram_network.build_network`; `EngramMemory` (a session
with the shared interface of `models.session.MemorySession`) drives it::

    mem = EngramMemory(seed=0)                 # n = 400 cells, engrams of about k = 20
    a = mem.store(pattern)                     # one-shot learning; a.index is the engram
    r = mem.recall(engram=a.index, fraction=0.5)   # pattern completion from half its cells
    r.cells, r.score(pattern)                  # recalled cells; {'hit': 1.0, ...}
    mem.raster("engrams.png"); mem.save("engrams.h5"); mem.export("nir", "engrams.nir")

By default the engram synapses do not decay: stored engrams stay recallable for as long as
the session runs (tens of engrams, minutes of network time). Forgetting and consolidation are
explicit: ``EngramMemory(stm_tau=2000.0, consolidate_after=3)`` gives short-term weights that
fade (an unrehearsed engram completes from half its cells for about ``0.22 * stm_tau``; see
`EngramMemory.stm_lifetime` and docs/engram.md) and consolidate after three reactivations
(``rehearse``).

`EngramNetwork` is the deprecated former name (its ``store`` returns the index).
"""
from __future__ import annotations

import math
import warnings
from typing import Optional, Sequence

import numpy as np

import spikemem as sm
from spikemem.errors import ValidationError, check_int
from spikemem.plotting import describe_raster

from .engram_decode import RecallResult, as_pattern, decode_recall, random_patterns, score
from .engram_network import CYCLE_MS, EngramLayout, EngramParams, build_network
from .session import (MemoryResult, MemorySession, register_session, rng_from_tree,
                      rng_to_tree)

__all__ = ["EngramMemory", "EngramNetwork", "EngramParams", "EngramLayout", "RecallResult",
           "build_network", "random_patterns", "score", "DEFAULT_N", "DEFAULT_K"]

#: Default number of excitatory cells and nominal engram size of `EngramMemory`.
DEFAULT_N = 400
DEFAULT_K = 20

#: Cycles an input is held when an engram is stored: with the default STDP amplitudes the
#: weight delivered on the fifth cycle (about 0.88 w_max) lets the engram hold itself after.
STORE_HOLD = 5
#: Rest after every operation, ms: STDP traces (tau <= 10 ms) and the gate fall back to rest.
REST_MS = 50.0
#: Pause between the end of one engram's activity and the next item of a sequence, ms.
LINK_GAP_MS = 2.0
#: Longest hold of a cue, cycles (2 000 s at 2 ms per cycle): a longer one would ask for
#: gigabytes of input spikes before any simulation.
MAX_HOLD_CYCLES = 1_000_000


@register_session("engram")
class EngramMemory(MemorySession):
    """A Hebbian engram memory running on a spikemem backend (a session).

    The network is built once; every operation adds input spikes to the same simulation and
    runs it, so weights (and their decay) carry over from one operation to the next.

    Parameters
    ----------
    n : int
        Number of excitatory cells (default `DEFAULT_N` = 400).
    k : int, optional
        Nominal engram size (default `DEFAULT_K` = 20; None: see `EngramParams`).
    backend : str
        Backend name for `spikemem.build` ("numba", "brian2" or "nengo"). With the defaults
        (``stm_tau=inf, consolidate_after=None``) the engram synapses are plain `STDP`;
        forgetting or consolidation makes them `ConsolidatingSTDP`.
    seed : int
        Seed of the backend and of the random partial cues (``recall(engram=...)``).
    build_options : dict, optional
        Passed on to `spikemem.build` (default ``{"progress": False}``).
    **params
        Any other field of `EngramParams` (inhibition, threshold, wm_ms, stm_tau,
        consolidate_after, tag_tau, transfer_fraction, tau_plus, tau_minus, a_plus, a_minus).
        ``stm_tau`` (ms, default inf = no forgetting) sets how fast unrehearsed engrams fade;
        ``consolidate_after`` (default None = never) how many reactivations consolidate one.

    Attributes
    ----------
    params : EngramParams
    network : spikemem.Network
    layout : EngramLayout
    sim : the simulator returned by `spikemem.build`
    engrams : list of ndarray
        The stored engrams (sorted cell indices), by index.
    history : list of SessionEvent
        Every operation so far (kind, argument, window in ms).
    """

    forgets_by = ("unrehearsed engrams fade with the short-term memory time constant: "
                  "EngramMemory(stm_tau=...)")

    def __init__(self, n: int = DEFAULT_N, k: Optional[int] = DEFAULT_K,
                 backend: str = "numba", seed: int = 0, build_options: Optional[dict] = None,
                 **params):
        self.seed = check_int(type(self).__name__, "seed", seed, minimum=0)
        self.params = EngramParams(n=n, k=k, **params)
        self.network, self.layout = build_network(self.params)
        options = {"progress": False} if build_options is None else dict(build_options)
        self.sim = sm.build(self.network, backend=backend, seed=self.seed, **options)
        describe_raster(self.recording, order=self._raster_populations())
        self.engrams: list = []
        self.history: list = []
        self._rng = np.random.default_rng(self.seed)

    # -- properties --------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self.params.n

    @property
    def k(self) -> int:
        return self.params.k

    @property
    def episode_ms(self) -> float:
        """Time from a cue's arrival to the first silent cycle after its recall, ms."""
        return CYCLE_MS * (self.layout.wm_cycles + 2)

    @property
    def stm_lifetime(self) -> float:
        """Predicted lifetime (ms) of an unrehearsed engram (`EngramParams.stm_lifetime`)."""
        return self.params.stm_lifetime

    # -- operations --------------------------------------------------------------------------
    def store(self, pattern) -> MemoryResult:
        """Learn a pattern (cell indices or a boolean mask) as a new engram in one shot
        (alias `learn`).

        The cells are driven for five cycles; the new engram then holds itself in working
        memory for ``wm_ms`` (which also counts as its first reactivation for consolidation).

        Returns
        -------
        MemoryResult
            ``index``: the new engram's index; ``content`` and ``cells``: its cells;
            ``spikes``: the raw spikes of the operation.
        """
        return self._operate("store", self._store(pattern))

    def _store(self, pattern):
        cells = as_pattern(pattern, self.n, f"{type(self).__name__}.store")
        t0 = self.t
        t_arrival = self._present(cells, STORE_HOLD)
        yield from self._run_until(t_arrival + self.episode_ms + REST_MS)
        self.engrams.append(cells)
        i = len(self.engrams) - 1
        return self._result("store", f"#{i} ({cells.size} cells)", t0, self.t, cells, cells,
                            index=i)

    def store_sequence(self, patterns: Sequence) -> list:
        """Learn patterns as engrams presented one right after the other (A, B, C, ...).

        Each item is presented as the previous one's working-memory activity ends, so STDP
        links every engram to the next one (A -> B -> C); recalling A then brings up B and C.

        Returns
        -------
        list of MemoryResult
            One per new engram (``index``, ``cells``); all share the sequence's window.
        """
        return self._operate("store_sequence", self._store_sequence(patterns))

    def _store_sequence(self, patterns: Sequence):
        owner = f"{type(self).__name__}.store_sequence"
        if len(patterns) < 1:
            raise ValidationError(f"{owner}: give at least one pattern")
        cells = [as_pattern(p, self.n, owner, f"patterns[{i}]")
                 for i, p in enumerate(patterns)]
        t0 = self.t
        yield from self._present_chain(cells, [STORE_HOLD] * len(cells))
        first = len(self.engrams)
        self.engrams.extend(cells)
        return [self._result("store", f"#{first + j} (sequence {j + 1}/{len(cells)})", t0,
                             self.t, c, c, index=first + j) for j, c in enumerate(cells)]

    def associate(self, first: int, second: int) -> None:
        """Link engram `first` to engram `second` (reactivate them in that order)."""
        self._operate("associate", self._associate(first, second))

    def _associate(self, first: int, second: int):
        a, b = self._engram(first, "first"), self._engram(second, "second")
        t0 = self.t
        yield from self._present_chain([a, b], [1, STORE_HOLD])
        self._record("associate", f"#{first} -> #{second}", t0)

    def cue(self, partial, hold: int = 1) -> float:
        """Present a partial pattern at the next cycle, without running.

        Parameters
        ----------
        partial : cell indices or boolean mask
        hold : int
            Cycles the cue is held (1 .. `MAX_HOLD_CYCLES`).

        Returns
        -------
        float
            Time the cue reaches the excitatory cells, ms (run the network with `advance`).
        """
        owner = f"{type(self).__name__}.cue"
        self._refuse_if_pending("cue")
        cells = as_pattern(partial, self.n, owner, "partial")
        hold = check_int(owner, "hold", hold, minimum=1, maximum=MAX_HOLD_CYCLES)
        return self._present(cells, hold)

    def advance(self, ms: float) -> None:
        """Let `ms` milliseconds (> 0, rounded up to whole time steps) of network time pass."""
        if not (isinstance(ms, (int, float)) and math.isfinite(ms) and ms > 0):
            raise ValidationError(f"{type(self).__name__}.advance: ms must be a finite number > 0, "
                                  f"got {ms!r}")
        dt = self.layout.dt
        self._operate("advance", self._steps(dt * math.ceil(ms / dt - 1e-9)))

    @staticmethod
    def _steps(ms: float):
        """The operation that only runs `ms` milliseconds (see `MemorySession._operate`)."""
        yield ms

    def rehearse(self, engram: int, fraction: float = 1.0) -> MemoryResult:
        """Replay a stored engram: cue `fraction` of its cells and let it run its course.

        A successful replay re-potentiates the engram's fast weights and adds to its
        consolidation tags. Returns the recall's `MemoryResult` (operation "rehearse").
        """
        return self._operate("rehearse", self._recall(None, engram, fraction, True, None,
                                                      "rehearse"))

    def recall(self, partial=None, *, engram: Optional[int] = None, fraction: float = 0.5,
               learn: bool = True, window: Optional[float] = None) -> MemoryResult:
        """Cue the network and read out what it recalls.

        Parameters
        ----------
        partial : cell indices or boolean mask, optional
            The cue. Alternatively give `engram`.
        engram : int, optional
            Cue a random subset (``round(fraction * size)`` cells, at least one; drawn from the
            session's seeded generator) of this stored engram.
        fraction : float
            Fraction of the engram's cells in the cue, in (0, 1].
        learn : bool
            If False the engram synapses (weights and tags) are restored after the recall, so
            that testing a memory does not rehearse it.
        window : float, optional
            Read-out window after the cue's arrival, ms (default `episode_ms`).

        Returns
        -------
        MemoryResult
            ``cells`` (and ``content``): the recalled cells; ``index``: the stored engram the
            recall matches best (None if nothing fired); ``spikes``: the raw spikes;
            ``details``: the `RecallResult` (``cue``, ``order``, ``onsets``, ``score()``, ...,
            also readable on the result itself).
        """
        return self._operate("recall", self._recall(partial, engram, fraction, learn, window,
                                                    "recall"))

    def _recall(self, partial, engram, fraction, learn, window, kind) -> MemoryResult:
        owner = f"{type(self).__name__}.{kind}"
        if (partial is None) == (engram is None):
            raise ValidationError(f"{owner}: give exactly one of partial= or engram=")
        if partial is None:
            cells = self._engram(engram, "engram")
            if not (isinstance(fraction, (int, float)) and 0.0 < fraction <= 1.0):
                raise ValidationError(f"{owner}: fraction must lie in (0, 1], got {fraction!r}")
            m = max(1, int(round(fraction * cells.size)))
            cue = np.sort(self._rng.choice(cells, m, replace=False))
        else:
            cue = as_pattern(partial, self.n, owner, "partial")
        window = self.episode_ms if window is None else window
        if not (isinstance(window, (int, float)) and math.isfinite(window) and window > 0):
            raise ValidationError(f"{owner}: window must be a finite number > 0 ms, "
                                  f"got {window!r}")
        snapshot = None if learn else self._snapshot()
        t0 = self.t
        t_arrival = self._present(cue, 1)
        yield from self._run_until(t_arrival + window)
        result = self.decode(t_arrival, t_arrival + window, cue)
        if snapshot is not None:
            self._restore(snapshot)
        yield from self._run_until(max(self.t, t_arrival + self.episode_ms) + REST_MS)
        argument = (f"#{engram} ({cue.size} cells)" if engram is not None
                    else f"{cue.size} cells")
        return self._result(kind, argument, t0, self.t, result.cells, result.cells,
                            index=result.best, details=result)

    def evaluate(self, engrams: Optional[Sequence[int]] = None, fraction: float = 0.5) -> list:
        """Recall stored engrams from partial cues without learning and score each.

        Parameters
        ----------
        engrams : sequence of int, optional
            Which engrams (default: all stored).
        fraction : float
            Fraction of each engram's cells in its cue, in (0, 1].

        Returns
        -------
        list of dict
            For each engram, `score` of the recalled cells against it plus ``"best"`` (the
            index of the stored engram the recall matches best, or None).
        """
        which = range(len(self.engrams)) if engrams is None else engrams
        out = []
        for i in which:
            r = self.recall(engram=i, fraction=fraction, learn=False)
            out.append({**r.score(self.engrams[i]), "best": r.best})
        return out

    def decode(self, t_cue: float, t_stop: float, cue=()) -> RecallResult:
        """Read the excitatory activity between `t_cue` and `t_stop` (ms) as a `RecallResult`."""
        times, ids = self.recording.spikes(self.layout.exc_label)
        return decode_recall(times, ids, self.n, t_cue, t_stop, CYCLE_MS,
                             np.asarray(cue, np.int64), self.engrams)

    # -- weights -----------------------------------------------------------------------------
    def weights(self, which: Optional[str] = None, component: str = "total") -> np.ndarray:
        """Engram weights as a dense ``(n, n)`` matrix ``W[pre, post]``, nA.

        Parameters
        ----------
        which : {"engram"} or None
            The learned projection (the engram synapses; the only one).
        component : {"total", "fast", "slow", "tag"}
            The delivered weight, the short-term (fast) or long-term (slow) weight, or the
            dimensionless consolidation tag; all but "total" need consolidating synapses (not
            ``stm_tau=inf, consolidate_after=None``).
        """
        owner = f"{type(self).__name__}.weights"
        if which not in (None, "engram"):
            raise ValidationError(f"{owner}: which must be 'engram' (or None), got {which!r}")
        label = self.layout.engram_projection
        proj = self.network[label]
        if component == "total":
            w = self.sim.weights(label)
        elif self.params.plastic_only:
            raise ValidationError(f"{owner}: component {component!r} needs consolidating "
                                  "synapses; this network has plain STDP (give stm_tau or "
                                  "consolidate_after)")
        else:
            w = self.sim.weights(label, component=component)
        out = np.zeros((self.n, self.n))
        out[proj.pre_idx, proj.post_idx] = w
        return out

    def weight_matrix(self, component: str = "total") -> np.ndarray:
        """Deprecated: use ``weights(component=...)``."""
        warnings.warn("weight_matrix is deprecated and will be removed in the next release; "
                      "use weights(component=...)", DeprecationWarning, stacklevel=2)
        return self.weights(component=component)

    def engram_weight(self, engram: int, component: str = "total") -> float:
        """Mean weight (nA; dimensionless for "tag") of the synapses between the cells of one
        engram, `component` as in `weight_matrix`."""
        cells = self._engram(engram, "engram")
        w = self.weights(component=component)[np.ix_(cells, cells)]
        return float(w.sum() / max(1, cells.size * (cells.size - 1)))

    # -- output ------------------------------------------------------------------------------
    def raster(self, path=None, t_range=None, title=None, markers: bool = True):
        """Raster of the input, excitatory, inhibitory and gate cells with a marker per
        operation (see `MemorySession.raster`); saved to `path` if given."""
        return super().raster(path, t_range, title or f"engram memory n={self.n}, k={self.k}, "
                              f"{len(self.engrams)} engrams ({self.backend})", markers)

    def _raster_populations(self) -> list:
        return [self.layout.input_label, self.layout.exc_label, self.layout.inh_label,
                self.layout.gate_label]

    def _config(self) -> dict:
        params = self.params.to_dict()
        return {**params, "seed": self.seed}

    @classmethod
    def _from_config(cls, config: dict, build_options: dict) -> "EngramMemory":
        return cls(**config, build_options={"progress": False, **build_options})

    def _extra_state(self) -> dict:
        return {"engrams": [np.asarray(e, np.int64) for e in self.engrams],
                "rng": rng_to_tree(self._rng)}

    def _set_extra_state(self, state: dict) -> None:
        self.engrams = [np.asarray(e, np.int64) for e in state.get("engrams", [])]
        rng_from_tree(self._rng, state["rng"])

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n={self.n}, k={self.k}, {len(self.engrams)} engrams, "
                f"backend={self.backend!r}, t={self.t} ms)")

    # -- internals ---------------------------------------------------------------------------
    def _engram(self, index, name: str) -> np.ndarray:
        owner = type(self).__name__
        i = check_int(owner, name, index, minimum=0)
        if i >= len(self.engrams):
            raise ValidationError(f"{owner}: {name} {i} is not a stored engram (stored: "
                                  f"0..{len(self.engrams) - 1})" if self.engrams else
                                  f"{owner}: {name} {i} is not a stored engram (none stored)")
        return self.engrams[i]

    def _present(self, cells: np.ndarray, hold: int, not_before: Optional[float] = None) -> float:
        """Drive `cells` for `hold` cycles, arriving at the first cycle not before `not_before`
        (default: as soon as possible); return the arrival time, ms."""
        earliest = self.t if not_before is None else max(self.t, not_before - CYCLE_MS)
        t_emit = CYCLE_MS * math.ceil(earliest / CYCLE_MS - 1e-9)
        times = np.repeat(t_emit + CYCLE_MS * np.arange(hold), cells.size)
        self.sim.add_spikes(self.layout.input_label, times, np.tile(cells, hold))
        return t_emit + CYCLE_MS     # the input -> exc delay is one cycle

    def _present_chain(self, chain: list, holds: list) -> None:
        """Present engrams one after the other: each arrives `LINK_GAP_MS` after the previous
        one's working-memory activity has been silenced (at ``wm_cycles + 1`` cycles)."""
        silent_after = CYCLE_MS * (self.layout.wm_cycles + 1)
        t_arrival = None
        for cells, hold in zip(chain, holds):
            t_arrival = self._present(cells, hold, None if t_arrival is None else
                                      t_arrival + silent_after + LINK_GAP_MS)
        yield from self._run_until(t_arrival + self.episode_ms + REST_MS)

    def _run_until(self, t: float):
        """Run up to time `t`, ms (a generator for `MemorySession._operate`)."""
        if t > self.t:
            yield float(t - self.t)

    def _snapshot(self) -> dict:
        label = self.layout.engram_projection
        if self.params.plastic_only:
            return {"total": self.sim.weights(label)}
        return {c: self.sim.weights(label, component=c) for c in ("fast", "slow", "tag")}

    def _restore(self, snapshot: dict) -> None:
        label = self.layout.engram_projection
        if "total" in snapshot:
            self.sim.set_weights(label, snapshot["total"])
            return
        # lower the fast weights first so that every intermediate state respects the bounds
        self.sim.set_weights(label, np.zeros_like(snapshot["fast"]), component="fast")
        for c in ("slow", "fast", "tag"):
            self.sim.set_weights(label, snapshot[c], component=c)


class EngramNetwork(EngramMemory):
    """Deprecated former name of `EngramMemory` (removed in the next release).

    Behaves as `EngramMemory` except that `store` returns the new engram's index and
    `store_sequence` the list of indices, as before.
    """

    def __init__(self, n: int = DEFAULT_N, k: Optional[int] = DEFAULT_K, *args, **kwargs):
        warnings.warn("EngramNetwork is deprecated and will be removed in the next release; "
                      "use EngramMemory (store returns a MemoryResult; the index is .index)",
                      DeprecationWarning, stacklevel=2)
        super().__init__(n, k, *args, **kwargs)

    def store(self, pattern) -> int:
        """Learn a pattern as a new engram; returns its index (see `EngramMemory.store`)."""
        return super().store(pattern).index

    def store_sequence(self, patterns: Sequence) -> list:
        """Learn patterns as a sequence; returns their indices."""
        return [r.index for r in super().store_sequence(patterns)]
