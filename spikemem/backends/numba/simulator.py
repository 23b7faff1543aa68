"""The Numba engine's `Simulator`: state, run loop, recording and weight access."""
from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ...errors import ValidationError
from ...lowering import LoweredNetwork
from ...network import Network
from ...synapses import ConsolidatingSTDP
from ..base import BaseSimulator
from ..compiled import PL_COLUMNS, plastic_param_rows
from ..consolidating import bounded_fast
from .cachelines import aligned_full, aligned_zeros
from .kernels import merge_records, relax_synapses, relaxed_values, run_partition
from .storage import WEIGHT_DTYPES, build_store, positions, write_initial_weights
from .sync import new_sync

__all__ = ["NumbaSimulator"]

_PROGRESS_AFTER_S = 2.0


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _check_threads(threads) -> int:
    if threads is None:
        return available_cores()
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValidationError(f"NumbaSimulator: threads must be an integer >= 1 (or None for "
                              f"every core), got {threads!r}")
    return int(threads)


def _plastic_params(lowered: LoweredNetwork) -> np.ndarray:
    """Rows of `PL_COLUMNS` for the plastic projections, in their storage numbering."""
    return plastic_param_rows([lp.synapse for lp in lowered.projections if lp.plastic])


class NumbaSimulator(BaseSimulator):
    """Clock-driven simulator of a `Network` in Numba-compiled kernels, on every core.

    The neurons are split into ``threads`` partitions; each thread updates its neurons and
    delivers every spike to them (storage: `spikemem.backends.numba.storage`; kernel and
    the order of floating-point operations: `spikemem.backends.numba.kernels`). Spikes,
    membrane potentials and weights are bit-identical for any number of threads.

    Parameters
    ----------
    network : Network
    seed : int
        Unused by the deterministic engine itself (all randomness lives in the network's
        seeded connectors and sources); kept for the common backend interface.
    progress : bool or None
        Show a tqdm progress bar for long runs; None = only when stderr is a terminal.
    threads : int or None
        Number of threads (>= 1); None = every core this process may use.
    weight_dtype : {"float64", "float32"}
        Precision of stored synaptic weights. float32 halves their memory (8 instead of
        12 B per static synapse); every weight is then rounded to float32 (relative error
        <= 6e-8) and a plastic weight after every update, while inputs are still summed in
        float64 (see docs/engine.md for the measured effect).
    """

    backend_name = "numba"
    _interrupt_chunk_steps = None       # _advance runs in chunks and calls _safe_point itself

    def __init__(self, network: Network, seed: int = 0, progress=None, threads=None,
                 weight_dtype="float64"):
        super().__init__(network, seed)
        self.progress = progress
        self.threads = _check_threads(threads)
        if weight_dtype not in WEIGHT_DTYPES:
            raise ValidationError(f"NumbaSimulator: weight_dtype must be one of "
                                  f"{sorted(WEIGHT_DTYPES)}, got {weight_dtype!r}")
        self.weight_dtype = weight_dtype
        lowered = self.lowered
        self._params = {k: np.ascontiguousarray(a) for k, a in lowered.population_params.items()}
        self._pop_start = lowered.pop_start
        self._v0 = lowered.initial_v()
        self._n_neurons, self._n_nodes = lowered.n_neurons, lowered.n_nodes
        self._drives = lowered.drive_arrays()
        self._store = build_store(lowered, self.threads, weight_dtype)
        self._pl_params = _plastic_params(lowered)
        self._pl_post_range = np.array(
            [lowered.node_range(lp.projection.post_population.label)
             for lp in lowered.projections if lp.plastic], np.int64).reshape(-1, 2)
        self._pl_slow = np.array([getattr(lp.synapse, "slow_weight", 0.0)
                                  for lp in lowered.projections if lp.plastic])
        self._consolidating = bool(np.any(self._pl_params[:, PL_COLUMNS.index("consolidating")]
                                          > 0.5)) if self._pl_params.size else False
        # the engine holds the synapses now: the lowering keeps offsets and spike windows
        lowered.forget_projections()
        self._pool = None
        self._fresh = True                  # the store holds the initial weights
        self.reset()

    def reset(self) -> None:
        """Return to t = 0 with initial state, initial weights and an empty recording."""
        st = self._store
        N, n_nodes, T = self._n_neurons, self._n_nodes, self.threads
        self._step = 0
        self._v = aligned_zeros(N)
        self._v[:] = self._v0
        self._IE = aligned_zeros(N)
        self._II = aligned_zeros(N)
        self._refrac = aligned_full(N, -1, np.int64)     # last refractory step; none yet
        self._ring = aligned_zeros((st.max_delay + 1, 2 * N))
        if not self._fresh:
            write_initial_weights(self.network, st)
        self._fresh = False
        n_cons = st.pl_w.size if self._consolidating else 0
        self._pl_ws = (self._pl_slow[st.pl_proj] if n_cons else np.zeros(0))
        self._pl_tag = np.zeros(n_cons)
        self._pl_last = np.zeros(n_cons, np.int64)
        P = self._pl_params.shape[0]
        Lh = st.max_plastic_delay + 2
        self._pre_tr = np.zeros((T, P, n_nodes if P else 0))
        self._pre_last = np.full((T, P, n_nodes if P else 0), -1, np.int64)
        self._y_val = np.zeros((T, P, n_nodes if P else 0))
        self._y_step = np.full((T, P, n_nodes if P else 0), -1, np.int64)
        self._xh = aligned_zeros((P, Lh, N if P else 0))
        self._spk_hist = np.zeros((Lh, N if P else 0), np.int64)
        self._spk_cnt = np.zeros((T, Lh), np.int64)
        part_size = int(np.diff(st.bounds).max()) if N else 0
        self._fired = np.zeros((T, 2, max(part_size, 1)), np.int64)
        self._rec_mask = np.zeros(n_nodes, np.bool_)
        for pop, a, b in zip(self.network.populations, self._pop_start[:-1],
                             self._pop_start[1:]):
            self._rec_mask[a:b] = "spikes" in pop.record
        self._rec_mask[N:] = True
        self._vrec = {}
        idx = []
        for pop, a, b in zip(self.network.populations, self._pop_start[:-1],
                             self._pop_start[1:]):
            if "v" in pop.record:
                self._vrec[pop.label] = (len(idx), len(idx) + pop.size)
                idx.extend(range(a, b))
        self._vrec_idx = np.array(idx, np.int64)
        cap = max(1 << 18, 8 * (part_size + n_nodes - N))
        self._rec_step = np.empty((T, cap), np.int64)
        self._rec_node = np.empty((T, cap), np.int64)
        self._injected = {}
        self._new_recording()

    # -- running ---------------------------------------------------------------------------
    def _partition_args(self, part, t0, t1, src_step, src_node, v_out, sync):
        st, p = self._store, self._params
        return (part, self.threads, t0, t1, self.network.dt, self._n_neurons, st.bounds,
                self._pop_start, p["exp_m"], p["R"], p["decay_E"], p["init_E"], p["decay_I"],
                p["init_I"], p["v_rest"], p["v_reset"], p["v_thresh"], p["i_offset"],
                p["refrac_steps"], self._v, self._IE, self._II, self._refrac, self._ring,
                src_step, src_node, *self._drives,
                st.shift, st.mask, st.st_indptr, st.st_code, st.st_w,
                st.pl_indptr, st.pl_code, st.pl_w, st.pl_proj, st.pl_post_indptr,
                st.pl_post_order, st.pl_post_info, st.pl_post_delays, st.pre_bits,
                st.delay_bits,
                self._pl_params, self._pl_post_range,
                self._pre_tr, self._pre_last, self._y_val, self._y_step, self._xh,
                self._spk_hist, self._spk_cnt,
                self._pl_ws, self._pl_tag, self._pl_last, self._fired, sync,
                self._rec_mask, self._rec_step[part], self._rec_node[part], self._vrec_idx,
                v_out)

    def _run_window(self, t0: int, t1: int, src_step, src_node, v_out):
        """Run every partition over steps t0..t1-1 (one thread each); returns the step
        reached and the recorded (steps, nodes) in (step, node) order."""
        sync = new_sync(self.threads)
        args = [self._partition_args(k, t0, t1, src_step, src_node, v_out, sync)
                for k in range(self.threads)]
        if self.threads == 1:
            results = [run_partition(*args[0])]
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads - 1,
                                                thread_name_prefix="spikemem-numba")
            futures = [self._pool.submit(run_partition, *a) for a in args[1:]]
            results = [run_partition(*args[0])] + [f.result() for f in futures]
        counts = np.array([n for _, n in results], np.int64)
        steps, nodes = merge_records(self._rec_step, self._rec_node, counts)
        return results[0][0], steps, nodes

    def _advance(self, n_steps: int) -> None:
        s_end = self._step + n_steps
        bar = self._progress_bar(n_steps)
        t_wall = time.perf_counter()
        while self._step < s_end:
            chunk_end = min(s_end, self._step + max(1, min(n_steps, 10_000)))
            src_step, src_node = self._source_spikes(self._step, chunk_end)
            v_out = np.empty((chunk_end - self._step, self._vrec_idx.size))
            start = self._step
            t_reached, steps, nodes = self._run_window(self._step, chunk_end, src_step,
                                                       src_node, v_out)
            self._store_records(start, t_reached, steps, nodes, v_out)
            self._step = t_reached
            self._safe_point()
            if bar is not None:
                bar.update(t_reached - start)
            elif (self.progress is None and time.perf_counter() - t_wall > _PROGRESS_AFTER_S
                  and sys.stderr.isatty()):
                bar = self._progress_bar(n_steps, force=True)
                bar.update(self._step - (s_end - n_steps))
        if bar is not None:
            bar.close()

    def _progress_bar(self, n_steps: int, force: bool = False):
        if self.progress is False or (self.progress is None and not force):
            return None
        from tqdm.auto import tqdm
        return tqdm(total=n_steps, unit="step", desc=f"numba {self.network.label}",
                    leave=False, file=sys.stderr)

    def _store_records(self, start: int, stop: int, steps, nodes, v_out: np.ndarray) -> None:
        dt = self.network.dt
        groups = list(self.network.populations) + list(self.network.sources)
        for group in groups:
            a, b = self.lowered.node_range(group.label)
            sel = (nodes >= a) & (nodes < b)
            if np.any(sel):
                self._recording.add_spikes(group.label, steps[sel] * dt, nodes[sel] - a)
        if self._vrec_idx.size and stop > start:
            times = np.arange(start, stop) * dt
            for lab, (a, b) in self._vrec.items():
                self._recording.add_v(lab, times, v_out[:stop - start, a:b])

    # -- state access ----------------------------------------------------------------------
    def weights(self, projection, component: str = "total") -> np.ndarray:
        """Current weights (nA) of a projection, in the projection's synapse order.

        Parameters
        ----------
        projection : Projection or str
        component : {"total", "fast", "slow", "tag"}
            For a `ConsolidatingSTDP` projection: the delivered weight (fast + slow), the fast
            (short-term) or the slow (long-term) weight, nA, or the dimensionless consolidation
            tag, at the current time. Other projections have only "total".
        """
        label = self._projection_label(projection)
        pos = positions(self.network, self._store, label)
        w_all = self._store.pl_w if self.network[label].plastic else self._store.st_w
        if not self._check_component(label, component):
            return w_all[pos].astype(np.float64)
        if component == "slow":
            return self._pl_ws[pos].copy()
        fast, tag = np.empty(pos.size), np.empty(pos.size)
        relaxed_values(pos, self._step, self.network.dt, w_all, self._pl_tag, self._pl_last,
                       self._store.pl_proj, self._pl_params, fast, tag)
        return {"total": fast + self._pl_ws[pos], "fast": fast, "tag": tag}[component]

    def set_weights(self, projection, weights, component: str = "total") -> None:
        """Overwrite the current weights (nA) of a projection (e.g. learned elsewhere).

        For a `ConsolidatingSTDP` projection `component` selects what is set ("total" sets the
        fast weight to ``weights - slow``; see `weights`); values must respect the synapse's
        bounds (fast in ``[w_min, w_max - slow]``, slow in ``[0, w_slow_max]``, tag >= 0).
        """
        label = self._projection_label(projection)
        pos = positions(self.network, self._store, label)
        w_all = self._store.pl_w if self.network[label].plastic else self._store.st_w
        if not self._check_component(label, component):
            w_all[pos] = self._validated_weights(label, weights, pos.size)
            return
        w = np.asarray(weights, float)
        if w.shape != pos.shape or np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ValidationError(
                f"set_weights({label!r}): weights must be finite, >= 0 and of shape {pos.shape}")
        syn = self.network[label].synapse
        relax_synapses(pos, self._step, self.network.dt, w_all, self._pl_tag, self._pl_last,
                       self._store.pl_proj, self._pl_params)
        if component == "tag":
            self._pl_tag[pos] = w
            return
        fast, slow = w_all[pos].astype(np.float64), self._pl_ws[pos]
        if component == "slow":
            slow = w
        else:
            fast = w - slow if component == "total" else w
        w_all[pos] = bounded_fast(label, syn, component, fast, slow)
        self._pl_ws[pos] = slow

    def _check_component(self, label: str, component: str) -> bool:
        """True for a consolidating projection; raise for a component it does not have."""
        consolidating = isinstance(self.network[label].synapse, ConsolidatingSTDP)
        allowed = ("total", "fast", "slow", "tag") if consolidating else ("total",)
        if component not in allowed:
            raise ValidationError(f"projection {label!r}: component must be one of {allowed} "
                                  f"for its {type(self.network[label].synapse).__name__} "
                                  f"synapses, got {component!r}")
        return consolidating

    def _inject(self, label: str, steps: np.ndarray, ids: np.ndarray) -> None:
        self._injected.setdefault(label, []).append((steps, ids))

    @property
    def v(self) -> np.ndarray:
        """Current membrane potentials of all neurons (mV), in population order."""
        return self._v.copy()

    # -- checkpoints (spikemem.checkpoint) -------------------------------------------------
    _STATE = ("_v", "_IE", "_II", "_refrac", "_ring", "_pl_ws", "_pl_tag", "_pl_last",
              "_pre_tr", "_pre_last", "_xh", "_spk_hist", "_spk_cnt")

    def _get_state(self) -> dict:
        """Every state array of the engine (copies), by attribute name, with the weights in
        storage order and the partition bounds that order depends on."""
        state = {name.lstrip("_"): getattr(self, name).copy() for name in self._STATE}
        state.update(st_w=self._store.st_w.copy(), pl_w=self._store.pl_w.copy(),
                     bounds=self._store.bounds.copy())
        return state

    def _set_state(self, state: dict) -> None:
        """Inverse of `_get_state`; each array must match this network's shape and dtype, and
        the checkpoint must come from the same number of threads (same storage order)."""
        bounds = np.asarray(state["bounds"])
        if not np.array_equal(bounds, self._store.bounds):
            raise ValueError(f"bounds: the checkpoint was written by an engine with "
                             f"{bounds.size - 1} threads (partitions {bounds.tolist()}); this "
                             f"one has {self.threads} ({self._store.bounds.tolist()}): build "
                             f"with threads={bounds.size - 1} to load it")
        targets = [(name, getattr(self, name)) for name in self._STATE]
        targets += [("st_w", self._store.st_w), ("pl_w", self._store.pl_w)]
        for name, cur in targets:
            new = np.asarray(state[name.lstrip("_")])
            if new.shape != cur.shape or new.dtype != cur.dtype:
                raise ValueError(f"{name.lstrip('_')}: shape {new.shape} {new.dtype}, "
                                 f"expected {cur.shape} {cur.dtype}")
            cur[...] = new
        self._y_step[...] = -1              # per-step cache of presynaptic trace values
        self._fresh = False
