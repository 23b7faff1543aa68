"""Numba kernels of the clock-driven engine (arrays and scalars only).

`run_partition` advances one partition of the network (a contiguous range of neurons, the
synapses onto them and their plasticity; `spikemem.backends.numba.storage`) over a range of
steps; the simulator runs one call per thread, all at once, and they meet once per step at
a barrier (`spikemem.backends.numba.sync`). See `spikemem.neurons` for the update order of a
neuron and `spikemem.synapses` for the STDP and consolidating-STDP rules.

Determinism (the reduction order). Results are bit-identical for any number of threads
because every floating-point value has exactly one writer and sees its terms in one fixed
order:

* a neuron's state (V, synaptic currents, refractory counter, postsynaptic trace history)
  is updated only by the thread that owns the neuron;
* the input ring row of a neuron is summed only by its owner, in the order: time step of
  the presynaptic spike, then the global spike order of that step (neurons in increasing
  index, then source nodes in increasing index), then, within one presynaptic node, static
  synapses before plastic ones, each in storage-row order (network projection order, then
  the projection's own synapse order), then the Poisson drives' ``count * weight`` of that
  step in network order (`spikemem.PoissonInput`; added by the owner at the start of the
  step, `_poisson_drive`). This is the order of a single thread; a thread simply skips the
  rows that belong to other partitions;
* a plastic synapse (weight, slow weight, tag) is updated only by the owner of its
  postsynaptic neuron: potentiation at step ``t`` first, then depression by a presynaptic
  spike of step ``t``, as with one thread;
* presynaptic traces are kept per thread (one copy each), updated by the same operations
  in the same order, so every copy holds the same values.

Between the neuron update of step ``t`` (which produces each thread's spikes) and the
delivery of another thread's spikes, every thread waits at the barrier; the spike lists
and their counts are double buffered by step parity, so no other barrier is needed. What
needs no other thread's spikes of step ``t`` is done before the barrier: potentiation
(driven by the thread's own postsynaptic spikes) and, in thread 0, the delivery of its own
spikes, which come first in the global order.

Plastic synapses keep a fast weight ``pl_w`` and a slow weight ``pl_ws`` (0 for `STDP`)
and deliver their sum; a consolidating synapse's fast weight and tag
``pl_tag`` relax lazily, from the step ``pl_last`` of their last update to the current step,
whenever the synapse is touched (`relax_synapses`, `relaxed_values` do the same from outside).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ...lowering import DRIVE_INT_COLUMNS, DRIVE_REAL_COLUMNS, HASH_CONSTANTS
from .sync import (SYNC_STRIDE, SYNC_HEAD as _HEAD, SYNC_IDS as _IDS,
                   SYNC_IDS_PER_STEP as _IDS_PER_STEP, barrier_arrive, barrier_wait)

__all__ = ["run_partition", "merge_records", "relax_synapses", "relaxed_values",
           "poisson_count"]

# columns of pl_params (spikemem.backends.compiled.PL_COLUMNS)
_DECAY, _WBASE, _TAGRATE, _TAGTH, _KAPPA, _WSMAX, _CONS = 7, 8, 9, 10, 11, 12, 13


@njit(cache=True)
def _potentiate(w, A, wmax, mult, trace):
    if mult > 0.5:
        return w + A * (wmax - w) * trace
    return w + A * trace


@njit(cache=True)
def _depress(w, A, wmin, mult, trace):
    if mult > 0.5:
        return w - A * (w - wmin) * trace
    return w - A * trace


@njit(cache=True)
def _relaxed(w, c, n_steps, dt, p, pl_params):
    """Fast weight and tag of a consolidating synapse after `n_steps` steps without events."""
    if n_steps > 0:
        if pl_params[p, _DECAY] > 0.0:
            wb = pl_params[p, _WBASE]
            w = wb + (w - wb) * np.exp(-n_steps * dt * pl_params[p, _DECAY])
        if pl_params[p, _TAGRATE] > 0.0:
            c = c * np.exp(-n_steps * dt * pl_params[p, _TAGRATE])
    return w, c


@njit(cache=True)
def _relax(s, p, t, dt, pl_w, pl_tag, pl_last, pl_params):
    w, c = _relaxed(pl_w[s], pl_tag[s], t - pl_last[s], dt, p, pl_params)
    pl_w[s] = w
    pl_tag[s] = c
    pl_last[s] = t


@njit(cache=True)
def _tag_and_transfer(s, p, y, pl_w, pl_ws, pl_tag, pl_params):
    """Add `y` to the tag; at threshold move part of the fast weight to the slow weight."""
    pl_tag[s] += y
    if pl_tag[s] >= pl_params[p, _TAGTH]:
        excess = pl_w[s] - pl_params[p, _WBASE]
        if excess > 0.0:
            ws = min(pl_ws[s] + pl_params[p, _KAPPA] * excess, pl_params[p, _WSMAX])
            pl_w[s] -= ws - pl_ws[s]
            pl_ws[s] = ws
        pl_tag[s] = 0.0


@njit(cache=True)
def relax_synapses(pos, t, dt, pl_w, pl_tag, pl_last, pl_proj, pl_params):
    """Bring plastic synapses `pos` to step `t` in place (no-op for plain STDP synapses)."""
    for k in range(pos.shape[0]):
        s = pos[k]
        p = pl_proj[s]
        if pl_params[p, _CONS] > 0.5:
            _relax(s, p, t, dt, pl_w, pl_tag, pl_last, pl_params)


@njit(cache=True)
def relaxed_values(pos, t, dt, pl_w, pl_tag, pl_last, pl_proj, pl_params, w_out, tag_out):
    """Fast weights and tags of synapses `pos` at step `t`, without changing the state."""
    for k in range(pos.shape[0]):
        s = pos[k]
        p = pl_proj[s]
        w, c = pl_w[s], pl_tag[s]
        if pl_params[p, _CONS] > 0.5:
            w, c = _relaxed(w, c, t - pl_last[s], dt, p, pl_params)
        w_out[k] = w
        tag_out[k] = c


# -- Poisson drives (spikemem.PoissonInput): the scalar twin of lowering.poisson_counts ------
_GOLDEN, _MIX1, _MIX2, _STEPMUL = (np.uint64(HASH_CONSTANTS[k])
                                   for k in ("golden", "m1", "m2", "step"))
_D_START, _D_STOP, _D_POP0, _D_ROW, _D_FIRST, _D_LAST, _D_TABLE = (
    DRIVE_INT_COLUMNS.index(c) for c in ("start", "stop", "population_offset",
                                         "receptor_index", "first_step", "last_step",
                                         "table_size"))
_D_W = DRIVE_REAL_COLUMNS.index("weight")


@njit(nogil=True, cache=True)
def _mix64(z):
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(nogil=True, cache=True)
def poisson_count(seed, j, t, cdf):
    """Count of a drive for neuron `j` at step `t`, given its `spikemem.lowering.poisson_cdf`
    table `cdf`: `spikemem.lowering.poisson_counts`'s hash and comparisons."""
    return _keyed_count(_mix64(seed + _GOLDEN), j, np.uint64(t) * _STEPMUL, cdf, cdf.shape[0])


@njit(nogil=True, cache=True)
def _keyed_count(key, j, t_mixed, cdf, m):
    """`poisson_count` with the seed's key and the step's product computed by the caller
    (once per drive and step): the number of the `m` table entries ``<= u``, counted without
    branches (a data-dependent loop exit mispredicts and costs more than the comparisons)."""
    h = _mix64(key ^ (np.uint64(j) * _GOLDEN))
    h = _mix64(h ^ t_mixed)
    u = np.float64(h >> np.uint64(11)) * (1.0 / 9007199254740992.0)
    k = 0
    for q in range(m):
        k += u >= cdf[q]
    return k


@njit(nogil=True, cache=True)
def _poisson_drive(t, slot, lo, hi, N, ring, drv_int, drv_seed, drv_real, drv_cdf):
    """Add every drive's ``count * weight`` of step `t` to the ring row `slot` of the own
    neurons ``lo .. hi-1``, drive after drive (after the spikes arriving at `t`). A count of 0
    adds ``0.0``, which leaves the (never negative-zero) row value unchanged, so the add needs
    no branch."""
    for d in range(drv_int.shape[0]):
        if t < drv_int[d, _D_FIRST] or t >= drv_int[d, _D_LAST]:
            continue
        col = drv_int[d, _D_ROW] * N
        pop0 = drv_int[d, _D_POP0]
        m = drv_int[d, _D_TABLE]
        w = drv_real[d, _D_W]
        cdf = drv_cdf[d]
        key = _mix64(drv_seed[d] + _GOLDEN)
        t_mixed = np.uint64(t) * _STEPMUL
        for j in range(max(drv_int[d, _D_START], lo), min(drv_int[d, _D_STOP], hi)):
            ring[slot, col + j] += _keyed_count(key, j - pop0, t_mixed, cdf, m) * w


@njit(cache=True)
def merge_records(rec_step, rec_node, counts):
    """The partitions' recorded spikes as one list in (step, node) order.

    Partition ``k`` recorded ``counts[k]`` spikes in ``rec_step[k]`` / ``rec_node[k]``, in
    step order and, within a step, its neurons in increasing order (partition 0 then its
    sources). Partitions own increasing neuron ranges, so taking each step's spikes
    partition by partition orders every population's (and every source's) spikes by step,
    then node."""
    total = counts.sum()
    steps = np.empty(total, np.int64)
    nodes = np.empty(total, np.int64)
    pos = np.zeros(counts.shape[0], np.int64)
    out = 0
    while out < total:
        t = -1                              # the earliest step not yet taken
        for k in range(counts.shape[0]):
            if pos[k] < counts[k] and (t < 0 or rec_step[k, pos[k]] < t):
                t = rec_step[k, pos[k]]
        for k in range(counts.shape[0]):
            q = pos[k]
            while q < counts[k] and rec_step[k, q] == t:
                steps[out] = t
                nodes[out] = rec_node[k, q]
                out += 1
                q += 1
            pos[k] = q
    return steps, nodes


@njit(nogil=True, cache=True, inline="always")
def _id_slot(j, par, q):
    """Index in the int32 view of the barrier array of partition `j`'s `q`-th spike
    (``q < SYNC_IDS_PER_STEP``) of the step of parity `par` (`spikemem.backends.numba.sync`)."""
    return 2 * SYNC_STRIDE * j + _IDS + _IDS_PER_STEP * par + q


@njit(nogil=True, cache=True, inline="always")
def _spike_id(sync32, fired, j, par, q):
    """Partition `j`'s `q`-th spike of the step of parity `par`: from its barrier line if it
    is among the first ones there, else from ``fired``."""
    if q < _IDS_PER_STEP:
        return np.int64(sync32[_id_slot(j, par, q)])
    return fired[j, par, q]


#: Neurons per block of the neuron update (vectorised arithmetic, then a spike scan).
_BLOCK = 256


@njit(nogil=True, cache=True)
def _update_range(v, I_E, I_I, refrac_end, ring, slot, N, a0, b0, flags, counts, t, em, r, io,
                  vr, ie0, ii0, de, di, th):
    """Steps 1-4 of neurons ``a0 .. b0-1`` (one population): add and clear their input of
    ring row `slot`, update. Sets ``flags[k]`` for neuron ``a0 + k`` at or above threshold,
    ``counts[s]`` to the number flagged in block ``s`` (`_BLOCK` neurons) and returns the
    total.

    Indices are unsigned so that Numba emits no negative-index wraparound and LLVM
    vectorises the loop over the whole arrays (slices would cost reference counting, and a
    call per block its argument passing)."""
    total = 0
    ua0 = np.uint64(a0)
    ue = np.uint64(N)
    row = np.uint64(slot)
    for s in range((b0 - a0 + _BLOCK - 1) // _BLOCK):
        n_above = 0
        for k in range(ua0 + np.uint64(s * _BLOCK), np.uint64(min(a0 + (s + 1) * _BLOCK, b0))):
            ie = I_E[k] + ie0 * ring[row, k]
            ii = I_I[k] + ii0 * ring[row, ue + k]
            ring[row, k] = 0.0
            ring[row, ue + k] = 0.0
            v_inf = vr + r * (ie - ii + io)
            v_new = v_inf - (v_inf - v[k]) * em
            active = refrac_end[k] < t
            v_k = v_new if active else v[k]
            v[k] = v_k
            f = active & (v_k >= th)
            flags[k - ua0] = f
            n_above += f
            I_E[k] = ie * de
            I_I[k] = ii * di
        counts[s] = n_above
        total += n_above
    return total


@njit(nogil=True, cache=True, inline="always")
def _deliver(i, part, t, slot, L, dt, shift, mask, N, st_indptr, st_code, st_w, pl_indptr,
             pl_code, pl_w, pl_proj, pl_params, xh, hist_row, pl_ws, pl_tag, pl_last, ring):
    """Deliver node `i`'s spike of step `t` through partition `part`'s synapses: static
    ones, then plastic ones (`_deliver_plastic`). Inlined: a call would pass every field of
    every array."""
    for k in range(st_indptr[part, i], st_indptr[part, i + 1]):
        c = np.int64(st_code[k])
        row = slot + (c >> shift)           # (t + delay) % L, as 1 <= delay < L
        if row >= L:
            row -= L
        ring[row, c & mask] += st_w[k]
    if pl_indptr[part, i] < pl_indptr[part, i + 1]:
        _deliver_plastic(i, part, t, slot, L, dt, shift, mask, N, pl_indptr, pl_code, pl_w,
                         pl_proj, pl_params, xh, hist_row, pl_ws, pl_tag, pl_last, ring)


@njit(nogil=True, cache=True)
def _deliver_plastic(i, part, t, slot, L, dt, shift, mask, N, pl_indptr, pl_code, pl_w,
                     pl_proj, pl_params, xh, hist_row, pl_ws, pl_tag, pl_last, ring):
    """Deliver node `i`'s spike of step `t` through partition `part`'s plastic synapses
    (each is depressed first). ``hist_row[d]`` is the row ``(t - d) % Lh`` of the trace
    history `xh` that a synapse of delay ``d`` reads, -1 before step ``d`` (a table per
    step saves an integer division per synapse)."""
    for s in range(pl_indptr[part, i], pl_indptr[part, i + 1]):
        p = pl_proj[s]
        c = np.int64(pl_code[s])
        d = c >> shift
        tgt = c & mask
        cons = pl_params[p, _CONS] > 0.5
        ws = 0.0
        if cons:
            _relax(s, p, t, dt, pl_w, pl_tag, pl_last, pl_params)
            ws = pl_ws[s]
        hr = hist_row[d]
        if hr >= 0:
            post = tgt - N if tgt >= N else tgt
            x = xh[p, hr, post]
            w = _depress(pl_w[s], pl_params[p, 3], pl_params[p, 4], pl_params[p, 6], x)
            pl_w[s] = min(max(w, pl_params[p, 4]), pl_params[p, 5] - ws)
        row = slot + d
        if row >= L:
            row -= L
        ring[row, tgt] += pl_w[s] + ws


@njit(nogil=True, cache=True)
def _pre_traces(i, part, t, dt, pl_indptr, pl_proj, pl_params, pre_tr, pre_last):
    """Add node `i`'s spike of step `t` to this partition's copies of its pre traces."""
    for s in range(pl_indptr[part, i], pl_indptr[part, i + 1]):
        p = pl_proj[s]
        if pre_last[part, p, i] != t:
            if pre_last[part, p, i] >= 0:
                pre_tr[part, p, i] = pre_tr[part, p, i] * np.exp(
                    -(t - pre_last[part, p, i]) * dt / pl_params[p, 0]) + 1.0
            else:
                pre_tr[part, p, i] = 1.0
            pre_last[part, p, i] = t


@njit(nogil=True, cache=True)
def run_partition(part, n_parts, t0, t1, dt, N, bounds,
                  # neuron parameters, one value per population (shape (P,)), and state
                  pop_start, exp_m, R, decay_E, init_E, decay_I, init_I, v_rest, v_reset,
                  v_thresh, i_offset, refrac_steps, v, I_E, I_I, refrac_end,
                  # input ring buffer (L, 2N) of summed arriving weights, nA
                  ring,
                  # source spikes of this window: steps (sorted) and node ids
                  src_step, src_node,
                  # Poisson drives (lowering.LoweredNetwork.drive_arrays)
                  drv_int, drv_seed, drv_real, drv_cdf,
                  # synapses (storage.SynapseStore): codes target | delay << shift
                  shift, mask, st_indptr, st_code, st_w,
                  pl_indptr, pl_code, pl_w, pl_proj, pl_post_indptr, pl_post_order,
                  pl_post_info, pl_post_delays, pre_bits, delay_bits, pl_params,
                  pl_post_range,
                  # plasticity state: per-partition pre traces (T, P, nodes) and their
                  # values at the current step (y_val, y_step: computed once per step and
                  # presynaptic node), post trace history (P, Lh, N), own spike history
                  # (Lh, N) + counts (T, Lh)
                  pre_tr, pre_last, y_val, y_step, xh, spk_hist, spk_cnt,
                  # slow weights, tags and last-update steps (consolidating synapses only)
                  pl_ws, pl_tag, pl_last,
                  # spikes of the step, double buffered: fired (T, 2, max part size); barrier
                  # slots (T * SYNC_STRIDE, with each partition's spike counts: sync.py)
                  fired, sync,
                  # recording: this partition's spike buffer, and membrane traces
                  rec_mask, rec_step, rec_node, vrec_idx, v_out):
    """Advance partition `part` of `n_parts` over steps ``t0 .. t1-1``.

    Returns ``(t_reached, n_rec)``: the step reached and the number of spikes written to
    ``rec_step``/``rec_node`` (this partition's neurons; partition 0 also records source
    spikes). All partitions stop at the same step: early, at a step boundary, when one of
    their spike buffers might overflow; the caller empties the buffers and calls again from
    ``t_reached``.

    Neurons ``pop_start[p] .. pop_start[p+1]-1`` form population ``p`` and share its
    parameters ``exp_m[p]``, ``R[p]``, ... (see `spikemem.lowering.NEURON_PARAMS`).
    ``refrac_end[j]`` is the last step of neuron ``j``'s refractory period (-1 if it has
    not fired): a neuron that fires at step ``t`` is refractory in steps
    ``t + 1 .. t + refrac_steps``. See the module docstring for the order of operations that
    makes the result independent of `n_parts`.
    """
    L = ring.shape[0]
    Lh = spk_hist.shape[0]
    cap = rec_step.shape[0]
    n_plastic_proj = pl_params.shape[0]
    lo = bounds[part]
    hi = bounds[part + 1]
    n_src_total = src_step.shape[0]
    src_per_step = 0                    # most source spikes in one step of the window
    q0 = 0
    for q in range(1, n_src_total + 1):
        if q == n_src_total or src_step[q] != src_step[q0]:
            src_per_step = max(src_per_step, q - q0)
            q0 = q
    own_max = (hi - lo) + (src_per_step if part == 0 else 0)
    pre_mask = (np.int64(1) << pre_bits) - 1
    d_mask = (np.int64(1) << delay_bits) - 1
    v_lo = np.searchsorted(vrec_idx, lo)
    v_hi = np.searchsorted(vrec_idx, hi)
    flags = np.zeros(((hi - lo) // _BLOCK + 1) * _BLOCK, np.uint8)
    flag_words = flags.view(np.uint64)
    counts = np.zeros((hi - lo) // _BLOCK + 1, np.int64)
    sync32 = sync.view(np.int32)
    hist_row = np.empty(Lh, np.int64)
    n_rec = 0
    src_ptr = 0
    while src_ptr < n_src_total and src_step[src_ptr] < t0:
        src_ptr += 1
    for t in range(t0, t1):
        slot = t % L
        par = t & 1
        if n_plastic_proj > 0:
            for d in range(Lh):
                hist_row[d] = (t - d) % Lh if t >= d else -1
        nf = 0
        _poisson_drive(t, slot, lo, hi, N, ring, drv_int, drv_seed, drv_real, drv_cdf)
        # 1-4: neuron update (sPyNNaker order) of the own neurons, population by population:
        # vectorised arithmetic (`_update_range`; a refractory neuron keeps its V) that flags
        # the neurons at or above threshold and counts them per block of _BLOCK neurons;
        # only a block with such neurons is scanned for its spikes (eight flags at a time),
        # in increasing neuron order.
        for pop in range(pop_start.shape[0] - 1):
            a0 = max(pop_start[pop], lo)
            b0 = min(pop_start[pop + 1], hi)
            if a0 >= b0:
                continue
            em, r, io, vr = exp_m[pop], R[pop], i_offset[pop], v_rest[pop]
            ie0, ii0, de, di = init_E[pop], init_I[pop], decay_E[pop], decay_I[pop]
            th, vres, rs = v_thresh[pop], v_reset[pop], refrac_steps[pop]
            if _update_range(v, I_E, I_I, refrac_end, ring, slot, N, a0, b0, flags, counts, t,
                             em, r, io, vr, ie0, ii0, de, di, th) == 0:
                continue
            for blk in range((b0 - a0 + _BLOCK - 1) // _BLOCK):
                if counts[blk] == 0:
                    continue
                k1 = min((blk + 1) * _BLOCK, b0 - a0)
                for w8 in range(blk * (_BLOCK // 8), (k1 + 7) >> 3):
                    if flag_words[w8] == 0:
                        continue
                    for k in range(w8 * 8, min(w8 * 8 + 8, k1)):
                        if flags[k]:
                            j = a0 + k
                            v[j] = vres
                            refrac_end[j] = t + rs
                            fired[part, par, nf] = j
                            if nf < _IDS_PER_STEP:
                                sync32[_id_slot(part, par, nf)] = j
                            nf += 1
                            if rec_mask[j]:
                                rec_step[n_rec] = t
                                rec_node[n_rec] = j
                                n_rec += 1
        src0 = src_ptr
        while src_ptr < n_src_total and src_step[src_ptr] == t:
            src_ptr += 1
        if part == 0:
            for q in range(src0, src_ptr):
                rec_step[n_rec] = t
                rec_node[n_rec] = src_node[q]
                n_rec += 1
        for k in range(v_lo, v_hi):
            v_out[t - t0, k] = v[vrec_idx[k]]
        if n_plastic_proj > 0:
            # potentiation: own postsynaptic spikes that reach their synapses at step t
            for lag in range(1, Lh):
                if t - lag < 0:
                    break
                hs = (t - lag) % Lh
                lag_bit = np.uint64(min(lag, 63))
                for q in range(spk_cnt[part, hs]):
                    j = spk_hist[hs, lo + q]
                    if (pl_post_delays[j] >> lag_bit) & np.uint64(1) == 0:
                        continue                # no synapse onto j has this delay
                    for kk in range(pl_post_indptr[j], pl_post_indptr[j + 1]):
                        info = np.int64(pl_post_info[kk])
                        if ((info >> pre_bits) & d_mask) != lag:
                            continue
                        i = info & pre_mask
                        p = info >> (pre_bits + delay_bits)
                        if pre_last[part, p, i] < 0:
                            continue
                        if y_step[part, p, i] != t:
                            y_val[part, p, i] = pre_tr[part, p, i] * np.exp(
                                -(t - pre_last[part, p, i]) * dt / pl_params[p, 0])
                            y_step[part, p, i] = t
                        y = y_val[part, p, i]
                        cons = pl_params[p, _CONS] > 0.5
                        if y == 0.0 and not cons:
                            # the trace has underflowed: w + A * 0.0 is w, which already
                            # lies in [w_min, w_max] and is never -0.0
                            # (spikemem.validation.without_negative_zeros), so the update
                            # would leave it unchanged, bit for bit; skip its random access
                            continue
                        s = pl_post_order[kk]
                        ws = 0.0
                        if cons:
                            _relax(s, p, t, dt, pl_w, pl_tag, pl_last, pl_params)
                            ws = pl_ws[s]
                        hi_w = pl_params[p, 5] - ws
                        w = _potentiate(pl_w[s], pl_params[p, 2], hi_w, pl_params[p, 6], y)
                        pl_w[s] = min(max(w, pl_params[p, 4]), hi_w)
                        if cons:
                            _tag_and_transfer(s, p, y, pl_w, pl_ws, pl_tag, pl_params)
        # propagation onto the own neurons (plastic synapses are depressed, then deliver),
        # in the global spike order: partitions' neurons in order, then sources. Partition
        # 0's spikes come first, so its thread delivers them before the barrier.
        first = 0
        if part == 0:
            for q in range(nf):
                _deliver(fired[0, par, q], part, t, slot, L, dt, shift, mask, N,
                         st_indptr, st_code, st_w, pl_indptr, pl_code, pl_w, pl_proj,
                         pl_params, xh, hist_row, pl_ws, pl_tag, pl_last, ring)
            first = 1
        # barrier: every partition's spikes of step t are known; each also says whether its
        # buffer can take one more step
        stop = False
        sync[part * SYNC_STRIDE + _HEAD + par] = 2 * nf + (1 if n_rec + own_max <= cap else 0)
        if n_parts > 1:
            barrier_arrive(sync, part, t + 1)
            barrier_wait(sync, n_parts, t + 1)
        for j in range(n_parts):
            if sync[j * SYNC_STRIDE + _HEAD + par] & 1 == 0:
                stop = True
        for j in range(first, n_parts):
            for q in range(sync[j * SYNC_STRIDE + _HEAD + par] >> 1):
                _deliver(_spike_id(sync32, fired, j, par, q), part, t, slot, L, dt, shift,
                         mask, N, st_indptr, st_code, st_w, pl_indptr, pl_code, pl_w, pl_proj,
                         pl_params, xh, hist_row, pl_ws, pl_tag, pl_last, ring)
        for q in range(src0, src_ptr):
            _deliver(src_node[q], part, t, slot, L, dt, shift, mask, N,
                     st_indptr, st_code, st_w, pl_indptr, pl_code, pl_w, pl_proj,
                     pl_params, xh, hist_row, pl_ws, pl_tag, pl_last, ring)
        if n_plastic_proj > 0:
            # presynaptic traces include the spikes of step t from now on
            for j in range(n_parts):
                for q in range(sync[j * SYNC_STRIDE + _HEAD + par] >> 1):
                    _pre_traces(_spike_id(sync32, fired, j, par, q), part, t, dt, pl_indptr,
                                pl_proj, pl_params, pre_tr, pre_last)
            for q in range(src0, src_ptr):
                _pre_traces(src_node[q], part, t, dt, pl_indptr, pl_proj, pl_params, pre_tr,
                            pre_last)
            # postsynaptic trace history: xh[p, s, j] = sum over spikes f <= s of decay^(s-f).
            # A presynaptic spike at t reads xh[t - d]: postsynaptic events that reach the
            # synapse at or before t depress it (sPyNNaker's rule: coincident events depress).
            hs = t % Lh
            spk_cnt[part, hs] = nf
            for q in range(nf):
                spk_hist[hs, lo + q] = fired[part, par, q]
            prv = (t - 1) % Lh
            for p in range(n_plastic_proj):
                dec = np.exp(-dt / pl_params[p, 1])
                j0 = max(pl_post_range[p, 0], lo)
                j1 = min(pl_post_range[p, 1], hi)
                for j in range(j0, j1):
                    xh[p, hs, j] = xh[p, prv, j] * dec
                for q in range(nf):
                    j = fired[part, par, q]
                    if j0 <= j < j1:
                        xh[p, hs, j] += 1.0
        if stop:
            return t + 1, n_rec
    return t1, n_rec
