"""Flattening of a Network into the plain arrays every clock-driven backend runs.

Neurons of all populations share one index space ``0..N-1`` (in the order populations were
added); spike sources follow as nodes ``N..N+S-1``. Synapses are split into a static and a
plastic set, each sorted by presynaptic node (CSR). A synapse's target is
``post + N * receptor`` (receptor 0 = excitatory, 1 = inhibitory), an index into the
two-row-per-neuron input ring buffer.

Plastic projections share one parameter table ``pl_params`` (one row per projection; columns
`PL_COLUMNS`). Plain `STDP` rows have ``consolidating = 0`` and no decay; `ConsolidatingSTDP`
rows carry the rates ``1 / tau_decay`` and ``1 / tau_tag`` (0 for an infinite time constant).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..neurons import lif_step_constants
from ..network import Network
from ..synapses import ConsolidatingSTDP

__all__ = ["CompiledNetwork", "compile_network", "PL_COLUMNS"]

#: Columns of `CompiledNetwork.pl_params`.
PL_COLUMNS = ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max", "multiplicative",
              "decay_rate", "w_base", "tag_rate", "tag_threshold", "transfer_fraction",
              "w_slow_max", "consolidating")


@dataclass
class CompiledNetwork:
    """Arrays of a network at a given dt (see module docstring). Times are in steps."""

    dt: float
    n_neurons: int
    n_sources: int
    pop_labels: list
    pop_start: np.ndarray          # (P+1,) neuron offsets of populations
    src_labels: list
    src_start: np.ndarray          # (S_groups+1,) node offsets (relative to N) of sources
    params: dict                   # per-neuron float arrays + int refrac_steps
    v0: np.ndarray                 # initial membrane potentials, mV
    # static synapses (CSR over nodes)
    st_indptr: np.ndarray
    st_tgt: np.ndarray
    st_w: np.ndarray
    st_dly: np.ndarray
    # plastic synapses (CSR over nodes, CSC over neurons)
    pl_indptr: np.ndarray
    pl_pre: np.ndarray
    pl_post: np.ndarray
    pl_tgt: np.ndarray
    pl_w: np.ndarray
    pl_dly: np.ndarray
    pl_proj: np.ndarray
    pl_post_indptr: np.ndarray
    pl_post_order: np.ndarray
    pl_params: np.ndarray          # (P_plastic, len(PL_COLUMNS)), see PL_COLUMNS
    pl_post_range: np.ndarray      # (P_plastic, 2) neuron index range of each post population
    proj_index: dict               # label -> ("static"|"plastic", positions in sorted arrays)
    max_delay: int
    pl_slow: np.ndarray            # initial slow weights of plastic synapses (0 for STDP), nA

    @property
    def n_nodes(self) -> int:
        return self.n_neurons + self.n_sources


def _node_offsets(net: Network):
    offset = {}
    n = 0
    for p in net.populations:
        offset[p.label] = n
        n += p.size
    N = n
    for s in net.sources:
        offset[s.label] = n
        n += s.size
    return offset, N, n - N


def compile_network(net: Network) -> CompiledNetwork:
    """Flatten `net` into arrays for a clock-driven engine at ``net.dt``."""
    dt = net.dt
    offset, N, S = _node_offsets(net)
    names = ("exp_m", "R", "decay_E", "init_E", "decay_I", "init_I")
    params = {k: np.empty(N) for k in names + ("v_rest", "v_reset", "v_thresh", "i_offset")}
    params["refrac_steps"] = np.empty(N, np.int64)
    v0 = np.empty(N)
    pop_start = [0]
    for p in net.populations:
        sl = slice(offset[p.label], offset[p.label] + p.size)
        c = lif_step_constants(p.celltype, dt)
        for k in names:
            params[k][sl] = c[k]
        params["refrac_steps"][sl] = c["refrac_steps"]
        for k in ("v_rest", "v_reset", "v_thresh", "i_offset"):
            params[k][sl] = getattr(p.celltype, k)
        v0[sl] = p.initial_v_array()
        pop_start.append(sl.stop)
    src_start = [0]
    for s in net.sources:
        src_start.append(src_start[-1] + s.size)

    static = [p for p in net.projections if not p.plastic]
    plastic = [p for p in net.projections if p.plastic]

    def gather(projs):
        pre, post, tgt, w, d, pid = [], [], [], [], [], []
        for k, pr in enumerate(projs):
            pre.append(pr.pre_idx + offset[pr.pre_population.label])
            po = pr.post_idx + offset[pr.post_population.label]
            post.append(po)
            tgt.append(po + (N if pr.receptor == "inhibitory" else 0))
            w.append(pr.weight)
            d.append(np.round(pr.delay / dt).astype(np.int64))
            pid.append(np.full(pr.size, k, np.int64))
        cat = (lambda xs, dt_: np.concatenate(xs).astype(dt_) if xs else np.zeros(0, dt_))
        pre, post, tgt = cat(pre, np.int64), cat(post, np.int64), cat(tgt, np.int64)
        w, d, pid = cat(w, np.float64), cat(d, np.int64), cat(pid, np.int64)
        order = np.argsort(pre, kind="stable")
        indptr = np.zeros(N + S + 1, np.int64)
        np.cumsum(np.bincount(pre, minlength=N + S), out=indptr[1:])
        return pre[order], post[order], tgt[order], w[order], d[order], pid[order], order, indptr

    proj_index = {}
    _, _, st_tgt, st_w, st_dly, st_pid, st_order, st_indptr = gather(static)
    inv = np.empty_like(st_order)
    inv[st_order] = np.arange(st_order.size)
    start = 0
    for pr in static:
        proj_index[pr.label] = ("static", inv[start:start + pr.size])
        start += pr.size
    pl_pre, pl_post, pl_tgt, pl_w, pl_dly, pl_proj, pl_order, pl_indptr = gather(plastic)
    inv = np.empty_like(pl_order)
    inv[pl_order] = np.arange(pl_order.size)
    start = 0
    for pr in plastic:
        proj_index[pr.label] = ("plastic", inv[start:start + pr.size])
        start += pr.size
    post_order = np.argsort(pl_post, kind="stable").astype(np.int64)
    post_indptr = np.zeros(N + 1, np.int64)
    np.cumsum(np.bincount(pl_post, minlength=N), out=post_indptr[1:])
    pl_params = np.zeros((len(plastic), len(PL_COLUMNS)))
    pl_range = np.zeros((len(plastic), 2), np.int64)
    slow = np.zeros(len(plastic))
    for k, pr in enumerate(plastic):
        s = pr.synapse
        pl_params[k, :7] = (s.tau_plus, s.tau_minus, s.A_plus, s.A_minus, s.w_min, s.w_max,
                            1.0 if s.multiplicative else 0.0)
        pl_params[k, 10] = np.inf
        if isinstance(s, ConsolidatingSTDP):
            pl_params[k, 7:] = (1.0 / s.tau_decay, s.w_base, 1.0 / s.tau_tag, s.tag_threshold,
                                s.transfer_fraction, s.w_slow_max, 1.0)
            slow[k] = s.slow_weight
        o = offset[pr.post_population.label]
        pl_range[k] = (o, o + pr.post_population.size)
    all_d = np.concatenate([st_dly, pl_dly]) if st_dly.size + pl_dly.size else np.ones(1, np.int64)
    return CompiledNetwork(
        dt=dt, n_neurons=N, n_sources=S,
        pop_labels=[p.label for p in net.populations], pop_start=np.array(pop_start, np.int64),
        src_labels=[s.label for s in net.sources], src_start=np.array(src_start, np.int64),
        params=params, v0=v0,
        st_indptr=st_indptr, st_tgt=st_tgt, st_w=st_w, st_dly=st_dly,
        pl_indptr=pl_indptr, pl_pre=pl_pre, pl_post=pl_post, pl_tgt=pl_tgt, pl_w=pl_w,
        pl_dly=pl_dly, pl_proj=pl_proj, pl_post_indptr=post_indptr, pl_post_order=post_order,
        pl_params=pl_params, pl_post_range=pl_range, proj_index=proj_index,
        max_delay=int(all_d.max()), pl_slow=slow[pl_proj])
