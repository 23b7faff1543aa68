"""CSR storage of a lowered network: the plain arrays the Numba engine runs.

The node index space, delays in steps and weights come from `spikemem.lowering` (neurons of
all populations ``0..N-1``, then spike sources ``N..N+S-1``). Synapses are split into a static and a
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

from ..lowering import LoweredNetwork, csr_order, lower
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


def compile_network(net: Network, lowered: LoweredNetwork | None = None) -> CompiledNetwork:
    """Flatten `net` into arrays for a clock-driven engine at ``net.dt``.

    Offsets, delays (steps) and weights come from ``lowered`` (``lower(net)`` if omitted).
    """
    low = lower(net) if lowered is None else lowered
    dt = net.dt
    N, S = low.n_neurons, low.n_sources
    params = low.neuron_params()
    v0 = low.initial_v()

    static = [lp for lp in low.projections if not lp.plastic]
    plastic = [lp for lp in low.projections if lp.plastic]

    def gather(projs):
        cat = (lambda xs, dt_: np.concatenate(xs).astype(dt_) if xs else np.zeros(0, dt_))
        pre = cat([lp.pre for lp in projs], np.int64)
        post = cat([lp.post for lp in projs], np.int64)
        tgt = cat([lp.target() for lp in projs], np.int64)
        w = cat([lp.weight for lp in projs], np.float64)
        d = cat([lp.delay for lp in projs], np.int64)
        pid = cat([np.full(lp.size, k, np.int64) for k, lp in enumerate(projs)], np.int64)
        order, indptr = csr_order(pre, N + S)
        return pre[order], post[order], tgt[order], w[order], d[order], pid[order], order, indptr

    proj_index = {}
    _, _, st_tgt, st_w, st_dly, st_pid, st_order, st_indptr = gather(static)
    inv = np.empty_like(st_order)
    inv[st_order] = np.arange(st_order.size)
    start = 0
    for lp in static:
        proj_index[lp.label] = ("static", inv[start:start + lp.size])
        start += lp.size
    pl_pre, pl_post, pl_tgt, pl_w, pl_dly, pl_proj, pl_order, pl_indptr = gather(plastic)
    inv = np.empty_like(pl_order)
    inv[pl_order] = np.arange(pl_order.size)
    start = 0
    for lp in plastic:
        proj_index[lp.label] = ("plastic", inv[start:start + lp.size])
        start += lp.size
    post_order = np.argsort(pl_post, kind="stable").astype(np.int64)
    post_indptr = np.zeros(N + 1, np.int64)
    np.cumsum(np.bincount(pl_post, minlength=N), out=post_indptr[1:])
    pl_params = np.zeros((len(plastic), len(PL_COLUMNS)))
    pl_range = np.zeros((len(plastic), 2), np.int64)
    slow = np.zeros(len(plastic))
    col = {name: k for k, name in enumerate(PL_COLUMNS)}
    for k, lp in enumerate(plastic):
        s = lp.synapse
        for name in ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max"):
            pl_params[k, col[name]] = getattr(s, name)
        pl_params[k, col["multiplicative"]] = 1.0 if s.multiplicative else 0.0
        pl_params[k, col["tag_threshold"]] = np.inf
        if isinstance(s, ConsolidatingSTDP):
            for name in ("w_base", "tag_threshold", "transfer_fraction", "w_slow_max"):
                pl_params[k, col[name]] = getattr(s, name)
            pl_params[k, col["decay_rate"]] = 1.0 / s.tau_decay
            pl_params[k, col["tag_rate"]] = 1.0 / s.tau_tag
            pl_params[k, col["consolidating"]] = 1.0
            slow[k] = s.slow_weight
        o = low.offset[lp.projection.post_population.label]
        pl_range[k] = (o, o + lp.projection.post_population.size)
    return CompiledNetwork(
        dt=dt, n_neurons=N, n_sources=S,
        pop_labels=[p.label for p in net.populations], pop_start=low.pop_start.copy(),
        src_labels=[s.label for s in net.sources], src_start=low.src_start.copy(),
        params=params, v0=v0,
        st_indptr=st_indptr, st_tgt=st_tgt, st_w=st_w, st_dly=st_dly,
        pl_indptr=pl_indptr, pl_pre=pl_pre, pl_post=pl_post, pl_tgt=pl_tgt, pl_w=pl_w,
        pl_dly=pl_dly, pl_proj=pl_proj, pl_post_indptr=post_indptr, pl_post_order=post_order,
        pl_params=pl_params, pl_post_range=pl_range, proj_index=proj_index,
        max_delay=low.max_delay, pl_slow=slow[pl_proj])
