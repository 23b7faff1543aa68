"""The Numba engine's `Simulator`: state, run loop, recording and weight access."""
from __future__ import annotations

import sys
import time

import numpy as np

from ...errors import ValidationError
from ...network import Network
from ...synapses import ConsolidatingSTDP
from ..base import BaseSimulator
from ..compiled import compile_network
from .kernels import relax_synapses, relaxed_values, run_steps

__all__ = ["NumbaSimulator"]

_PROGRESS_AFTER_S = 2.0


class NumbaSimulator(BaseSimulator):
    """Clock-driven simulator of a `Network` in Numba-compiled kernels.

    Parameters
    ----------
    network : Network
    seed : int
        Unused by the deterministic engine itself (all randomness lives in the network's
        seeded connectors and sources); kept for the common backend interface.
    progress : bool or None
        Show a tqdm progress bar for long runs; None = only when stderr is a terminal.
    """

    backend_name = "numba"
    _interrupt_chunk_steps = None       # _advance runs in chunks and calls _safe_point itself

    def __init__(self, network: Network, seed: int = 0, progress=None):
        super().__init__(network, seed)
        self.progress = progress
        self._c = compile_network(network)
        self.reset()

    def reset(self) -> None:
        """Return to t = 0 with initial state, initial weights and an empty recording."""
        c = self._c
        N, S = c.n_neurons, c.n_sources
        self._step = 0
        self._v = c.v0.copy()
        self._IE = np.zeros(N)
        self._II = np.zeros(N)
        self._refrac = np.full(N, -1, np.int64)      # last refractory step; none yet
        self._ring = np.zeros((c.max_delay + 1, 2 * N))
        self._st_w = c.st_w.copy()
        self._pl_w = c.pl_w.copy()
        self._pl_ws = c.pl_slow.copy()
        self._pl_tag = np.zeros(c.pl_w.size)
        self._pl_last = np.zeros(c.pl_w.size, np.int64)
        P = c.pl_params.shape[0]
        pl_d = int(c.pl_dly.max()) if c.pl_dly.size else 1
        Lh = pl_d + 2
        self._pre_tr = np.zeros((P, N + S))
        self._pre_last = np.full((P, N + S), -1, np.int64)
        self._xh = np.zeros((P, Lh, N if P else 0))
        self._spk_hist = np.zeros((Lh, N if P else 0), np.int64)
        self._spk_cnt = np.zeros(Lh, np.int64)
        self._rec_mask = np.zeros(N + S, np.bool_)
        for pop, a, b in zip(self.network.populations, c.pop_start[:-1], c.pop_start[1:]):
            self._rec_mask[a:b] = "spikes" in pop.record
        self._rec_mask[N:] = True
        self._vrec = {}
        idx = []
        for pop, a, b in zip(self.network.populations, c.pop_start[:-1], c.pop_start[1:]):
            if "v" in pop.record:
                self._vrec[pop.label] = (len(idx), len(idx) + pop.size)
                idx.extend(range(a, b))
        self._vrec_idx = np.array(idx, np.int64)
        cap = max(1 << 20, 8 * (N + S))
        self._rec_step = np.empty(cap, np.int64)
        self._rec_node = np.empty(cap, np.int64)
        self._injected = {}
        self._new_recording()

    # -- running ---------------------------------------------------------------------------
    def _source_spikes(self, s0: int, s1: int):
        c = self._c
        steps, nodes = [], []
        for src, off in zip(self.network.sources, c.src_start[:-1]):
            st, ids = src.spikes_between(c.dt, s0, s1)
            steps.append(st)
            nodes.append(ids + c.n_neurons + off)
            pending = self._injected.get(src.label, [])
            for inj_st, inj_ids in pending:
                sel = (inj_st >= s0) & (inj_st < s1)
                steps.append(inj_st[sel])
                nodes.append(inj_ids[sel] + c.n_neurons + off)
            # forget injected spikes once delivered, so long sessions stay O(operations)
            if pending:
                self._injected[src.label] = [(st, i) for st, i in pending if st.max() >= s1]
        if not steps:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        st = np.concatenate(steps)
        nd = np.concatenate(nodes)
        order = np.lexsort((nd, st))
        return st[order].astype(np.int64), nd[order].astype(np.int64)

    def _advance(self, n_steps: int) -> None:
        c = self._c
        # compile_network gives every neuron of a population its population's parameters
        p = {k: np.ascontiguousarray(a[c.pop_start[:-1]]) for k, a in c.params.items()}
        s_end = self._step + n_steps
        bar = self._progress_bar(n_steps)
        t_wall = time.perf_counter()
        while self._step < s_end:
            chunk_end = min(s_end, self._step + max(1, min(n_steps, 10_000)))
            src_step, src_node = self._source_spikes(self._step, chunk_end)
            v_out = np.empty((chunk_end - self._step, self._vrec_idx.size))
            start = self._step
            t_reached, n_rec = run_steps(
                self._step, chunk_end, c.dt, c.n_neurons, c.pop_start,
                p["exp_m"], p["R"], p["decay_E"], p["init_E"], p["decay_I"], p["init_I"],
                p["v_rest"], p["v_reset"], p["v_thresh"], p["i_offset"], p["refrac_steps"],
                self._v, self._IE, self._II, self._refrac, self._ring,
                src_step, src_node,
                c.st_indptr, c.st_tgt, self._st_w, c.st_dly,
                c.pl_indptr, c.pl_post, c.pl_tgt, self._pl_w, c.pl_dly, c.pl_proj, c.pl_pre,
                c.pl_post_indptr, c.pl_post_order, c.pl_params, c.pl_post_range,
                self._pre_tr, self._pre_last, self._xh, self._spk_hist, self._spk_cnt,
                self._pl_ws, self._pl_tag, self._pl_last,
                self._rec_mask, self._rec_step, self._rec_node, 0,
                self._vrec_idx, v_out)
            self._store(start, t_reached, n_rec, v_out)
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

    def _store(self, start: int, stop: int, n_rec: int, v_out: np.ndarray) -> None:
        c = self._c
        steps = self._rec_step[:n_rec]
        nodes = self._rec_node[:n_rec]
        bounds = [(lab, a, b) for lab, a, b in zip(c.pop_labels, c.pop_start[:-1],
                                                   c.pop_start[1:])]
        bounds += [(lab, c.n_neurons + a, c.n_neurons + b)
                   for lab, a, b in zip(c.src_labels, c.src_start[:-1], c.src_start[1:])]
        for lab, a, b in bounds:
            sel = (nodes >= a) & (nodes < b)
            if np.any(sel):
                self._recording.add_spikes(lab, steps[sel] * c.dt, nodes[sel] - a)
        if self._vrec_idx.size and stop > start:
            times = np.arange(start, stop) * c.dt
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
        kind, pos = self._c.proj_index[label]
        if not self._check_component(label, component):
            return (self._st_w if kind == "static" else self._pl_w)[pos].copy()
        if component == "slow":
            return self._pl_ws[pos].copy()
        fast, tag = np.empty(pos.size), np.empty(pos.size)
        relaxed_values(pos, self._step, self._c.dt, self._pl_w, self._pl_tag, self._pl_last,
                       self._c.pl_proj, self._c.pl_params, fast, tag)
        return {"total": fast + self._pl_ws[pos], "fast": fast, "tag": tag}[component]

    def set_weights(self, projection, weights, component: str = "total") -> None:
        """Overwrite the current weights (nA) of a projection (e.g. learned elsewhere).

        For a `ConsolidatingSTDP` projection `component` selects what is set ("total" sets the
        fast weight to ``weights - slow``; see `weights`); values must respect the synapse's
        bounds (fast in ``[w_min, w_max - slow]``, slow in ``[0, w_slow_max]``, tag >= 0).
        """
        label = self._projection_label(projection)
        kind, pos = self._c.proj_index[label]
        if not self._check_component(label, component):
            w = self._validated_weights(label, weights, pos.size)
            (self._st_w if kind == "static" else self._pl_w)[pos] = w
            return
        w = np.asarray(weights, float)
        if w.shape != pos.shape or np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ValidationError(
                f"set_weights({label!r}): weights must be finite, >= 0 and of shape {pos.shape}")
        syn = self.network[label].synapse
        relax_synapses(pos, self._step, self._c.dt, self._pl_w, self._pl_tag, self._pl_last,
                       self._c.pl_proj, self._c.pl_params)
        if component == "tag":
            self._pl_tag[pos] = w
            return
        fast, slow = self._pl_w[pos], self._pl_ws[pos]
        if component == "slow":
            slow = w
        else:
            fast = w - slow if component == "total" else w
        tol = 1e-12 * max(1.0, syn.w_max)
        if component == "slow" and np.any(slow > syn.w_slow_max + tol):
            raise ValidationError(f"set_weights({label!r}, component='slow'): slow weights must "
                                  f"be <= w_slow_max = {syn.w_slow_max} nA")
        if np.any(fast < syn.w_min - tol) or np.any(fast + slow > syn.w_max + tol):
            raise ValidationError(
                f"set_weights({label!r}, component={component!r}): fast weights must lie in "
                f"[w_min, w_max - slow] with w_min = {syn.w_min} nA, w_max = {syn.w_max} nA")
        self._pl_w[pos] = np.clip(fast, syn.w_min, syn.w_max - slow)
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
    _STATE = ("_v", "_IE", "_II", "_refrac", "_ring", "_st_w", "_pl_w", "_pl_ws", "_pl_tag",
              "_pl_last", "_pre_tr", "_pre_last", "_xh", "_spk_hist", "_spk_cnt")

    def _get_state(self) -> dict:
        """Every state array of the engine (copies), by attribute name."""
        return {name.lstrip("_"): getattr(self, name).copy() for name in self._STATE}

    def _set_state(self, state: dict) -> None:
        """Inverse of `_get_state`; each array must match this network's shape and dtype."""
        for name in self._STATE:
            cur = getattr(self, name)
            new = np.asarray(state[name.lstrip("_")])
            if new.shape != cur.shape or new.dtype != cur.dtype:
                raise ValueError(f"{name.lstrip('_')}: shape {new.shape} {new.dtype}, "
                                 f"expected {cur.shape} {cur.dtype}")
            cur[...] = new
