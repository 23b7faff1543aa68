"""Numba kernels of the clock-driven engine (arrays and scalars only).

One call of `run_steps` advances the whole network over a range of steps; see
`spikemem.neurons` for the update order of a neuron and `spikemem.synapses` for the STDP rule.
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["run_steps"]


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
def run_steps(t0, t1, dt, N,
              # neuron parameters and state
              exp_m, R, decay_E, init_E, decay_I, init_I, v_rest, v_reset, v_thresh, i_offset,
              refrac_steps, v, I_E, I_I, refrac,
              # input ring buffer (L, 2N) of summed arriving weights, nA
              ring,
              # source spikes of this window: steps (sorted) and node ids
              src_step, src_node,
              # static synapses, CSR over nodes
              st_indptr, st_tgt, st_w, st_dly,
              # plastic synapses
              pl_indptr, pl_post, pl_tgt, pl_w, pl_dly, pl_proj, pl_pre,
              pl_post_indptr, pl_post_order, pl_params, pl_post_range,
              pre_tr, pre_last, xh, spk_hist, spk_cnt,
              # recording
              rec_mask, rec_step, rec_node, n_rec,
              vrec_idx, v_out):
    """Advance steps ``t0 .. t1-1``; return ``(t_reached, n_rec)``.

    Stops early (at a step boundary) when the spike record buffer might overflow; the caller
    empties the buffer and calls again from ``t_reached``.
    """
    L = ring.shape[0]
    Lh = spk_hist.shape[0]
    n_nodes = st_indptr.shape[0] - 1
    cap = rec_step.shape[0]
    n_plastic_proj = pl_params.shape[0]
    fired = np.empty(n_nodes, np.int64)
    src_ptr = 0
    while src_ptr < src_step.shape[0] and src_step[src_ptr] < t0:
        src_ptr += 1
    for t in range(t0, t1):
        if n_rec + n_nodes > cap:
            return t, n_rec
        slot = t % L
        n_fired = 0
        # 1-4: neuron update (sPyNNaker order)
        for j in range(N):
            I_E[j] += init_E[j] * ring[slot, j]
            I_I[j] += init_I[j] * ring[slot, N + j]
            ring[slot, j] = 0.0
            ring[slot, N + j] = 0.0
            if refrac[j] > 0:
                refrac[j] -= 1
            else:
                v_inf = v_rest[j] + R[j] * (I_E[j] - I_I[j] + i_offset[j])
                v[j] = v_inf - (v_inf - v[j]) * exp_m[j]
                if v[j] >= v_thresh[j]:
                    v[j] = v_reset[j]
                    refrac[j] = refrac_steps[j]
                    fired[n_fired] = j
                    n_fired += 1
            I_E[j] *= decay_E[j]
            I_I[j] *= decay_I[j]
        n_neuron_spikes = n_fired
        while src_ptr < src_step.shape[0] and src_step[src_ptr] == t:
            fired[n_fired] = src_node[src_ptr]
            n_fired += 1
            src_ptr += 1
        if vrec_idx.shape[0] > 0:
            for k in range(vrec_idx.shape[0]):
                v_out[t - t0, k] = v[vrec_idx[k]]
        if n_plastic_proj > 0:
            # potentiation: postsynaptic spikes that reach their synapses at step t
            for lag in range(1, Lh):
                hs = (t - lag) % Lh
                if t - lag < 0:
                    break
                for q in range(spk_cnt[hs]):
                    j = spk_hist[hs, q]
                    for k in range(pl_post_indptr[j], pl_post_indptr[j + 1]):
                        s = pl_post_order[k]
                        if pl_dly[s] != lag:
                            continue
                        p = pl_proj[s]
                        i = pl_pre[s]
                        if pre_last[p, i] < 0:
                            continue
                        y = pre_tr[p, i] * np.exp(-(t - pre_last[p, i]) * dt / pl_params[p, 0])
                        w = _potentiate(pl_w[s], pl_params[p, 2], pl_params[p, 5],
                                        pl_params[p, 6], y)
                        pl_w[s] = min(max(w, pl_params[p, 4]), pl_params[p, 5])
        # propagation (plastic synapses are depressed first, then deliver)
        for q in range(n_fired):
            i = fired[q]
            for k in range(st_indptr[i], st_indptr[i + 1]):
                ring[(t + st_dly[k]) % L, st_tgt[k]] += st_w[k]
            for s in range(pl_indptr[i], pl_indptr[i + 1]):
                p = pl_proj[s]
                d = pl_dly[s]
                if t - d >= 0:
                    x = xh[p, (t - d) % Lh, pl_post[s]]
                    w = _depress(pl_w[s], pl_params[p, 3], pl_params[p, 4], pl_params[p, 6], x)
                    pl_w[s] = min(max(w, pl_params[p, 4]), pl_params[p, 5])
                ring[(t + d) % L, pl_tgt[s]] += pl_w[s]
            if rec_mask[i]:
                rec_step[n_rec] = t
                rec_node[n_rec] = i
                n_rec += 1
        if n_plastic_proj > 0:
            # presynaptic traces include the spikes of step t from now on
            for q in range(n_fired):
                i = fired[q]
                for s in range(pl_indptr[i], pl_indptr[i + 1]):
                    p = pl_proj[s]
                    if pre_last[p, i] != t:
                        if pre_last[p, i] >= 0:
                            pre_tr[p, i] = pre_tr[p, i] * np.exp(
                                -(t - pre_last[p, i]) * dt / pl_params[p, 0]) + 1.0
                        else:
                            pre_tr[p, i] = 1.0
                        pre_last[p, i] = t
            # postsynaptic trace history: xh[p, s, j] = sum over spikes f < s of decay^(s - f)
            hs = t % Lh
            spk_cnt[hs] = n_neuron_spikes
            for q in range(n_neuron_spikes):
                spk_hist[hs, q] = fired[q]
            nxt = (t + 1) % Lh
            for p in range(n_plastic_proj):
                dec = np.exp(-dt / pl_params[p, 1])
                for j in range(pl_post_range[p, 0], pl_post_range[p, 1]):
                    xh[p, nxt, j] = xh[p, hs, j] * dec
                for q in range(n_neuron_spikes):
                    j = fired[q]
                    if pl_post_range[p, 0] <= j < pl_post_range[p, 1]:
                        xh[p, nxt, j] += dec
    return t1, n_rec
