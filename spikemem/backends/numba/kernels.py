"""Numba kernels of the clock-driven engine (arrays and scalars only).

One call of `run_steps` advances the whole network over a range of steps; see
`spikemem.neurons` for the update order of a neuron and `spikemem.synapses` for the STDP and
consolidating-STDP rules. Plastic synapses keep a fast weight ``pl_w`` and a slow weight
``pl_ws`` (0 for `STDP`) and deliver their sum; a consolidating synapse's fast weight and tag
``pl_tag`` relax lazily, from the step ``pl_last`` of their last update to the current step,
whenever the synapse is touched (`relax_synapses`, `relaxed_values` do the same from outside).
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["run_steps", "relax_synapses", "relaxed_values"]

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


#: Neurons per block of the neuron update (vectorised arithmetic, then a spike scan).
_BLOCK = 256


@njit(cache=True)
def run_steps(t0, t1, dt, N,
              # neuron parameters, one value per population (shape (P,)), and state
              pop_start, exp_m, R, decay_E, init_E, decay_I, init_I, v_rest, v_reset,
              v_thresh, i_offset, refrac_steps, v, I_E, I_I, refrac_end,
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
              # slow weights, tags and last-update steps of plastic synapses
              pl_ws, pl_tag, pl_last,
              # recording
              rec_mask, rec_step, rec_node, n_rec,
              vrec_idx, v_out):
    """Advance steps ``t0 .. t1-1``; return ``(t_reached, n_rec)``.

    Neurons ``pop_start[p] .. pop_start[p+1]-1`` form population ``p`` and share its
    parameters ``exp_m[p]``, ``R[p]``, ... (see `spikemem.neurons.lif_step_constants`).
    ``refrac_end[j]`` is the last step of neuron ``j``'s refractory period (-1 if it has not
    fired): a neuron that fires at step ``t`` is refractory in steps
    ``t + 1 .. t + refrac_steps``.

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
        # 1-4: neuron update (sPyNNaker order), population by population, in blocks of
        # _BLOCK neurons. The arithmetic runs over slices indexed from 0, so that LLVM
        # vectorises it (a refractory neuron keeps its V), and counts the neurons at or above
        # threshold; only a block with such neurons is scanned again for its spikes, in
        # increasing neuron order.
        for pop in range(pop_start.shape[0] - 1):
            em, r, io, vr = exp_m[pop], R[pop], i_offset[pop], v_rest[pop]
            ie0, ii0, de, di = init_E[pop], init_I[pop], decay_E[pop], decay_I[pop]
            th, vres, rs = v_thresh[pop], v_reset[pop], refrac_steps[pop]
            for a in range(pop_start[pop], pop_start[pop + 1], _BLOCK):
                b = min(a + _BLOCK, pop_start[pop + 1])
                vp = v[a:b]
                iep = I_E[a:b]
                iip = I_I[a:b]
                rfp = refrac_end[a:b]
                in_e = ring[slot, a:b]
                in_i = ring[slot, N + a:N + b]
                n_above = 0
                for k in range(b - a):
                    ie = iep[k] + ie0 * in_e[k]
                    ii = iip[k] + ii0 * in_i[k]
                    in_e[k] = 0.0
                    in_i[k] = 0.0
                    v_inf = vr + r * (ie - ii + io)
                    v_new = v_inf - (v_inf - vp[k]) * em
                    active = rfp[k] < t
                    v_k = v_new if active else vp[k]
                    vp[k] = v_k
                    n_above += active & (v_k >= th)
                    iep[k] = ie * de
                    iip[k] = ii * di
                if n_above > 0:
                    for k in range(b - a):
                        if rfp[k] < t and vp[k] >= th:
                            vp[k] = vres
                            rfp[k] = t + rs
                            fired[n_fired] = a + k
                            n_fired += 1
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
                        cons = pl_params[p, _CONS] > 0.5
                        if cons:
                            _relax(s, p, t, dt, pl_w, pl_tag, pl_last, pl_params)
                        hi = pl_params[p, 5] - pl_ws[s]
                        w = _potentiate(pl_w[s], pl_params[p, 2], hi, pl_params[p, 6], y)
                        pl_w[s] = min(max(w, pl_params[p, 4]), hi)
                        if cons:
                            _tag_and_transfer(s, p, y, pl_w, pl_ws, pl_tag, pl_params)
        # propagation (plastic synapses are depressed first, then deliver)
        for q in range(n_fired):
            i = fired[q]
            for k in range(st_indptr[i], st_indptr[i + 1]):
                row = slot + st_dly[k]          # (t + delay) % L, as 1 <= delay < L
                if row >= L:
                    row -= L
                ring[row, st_tgt[k]] += st_w[k]
            for s in range(pl_indptr[i], pl_indptr[i + 1]):
                p = pl_proj[s]
                d = pl_dly[s]
                if pl_params[p, _CONS] > 0.5:
                    _relax(s, p, t, dt, pl_w, pl_tag, pl_last, pl_params)
                if t - d >= 0:
                    x = xh[p, (t - d) % Lh, pl_post[s]]
                    w = _depress(pl_w[s], pl_params[p, 3], pl_params[p, 4], pl_params[p, 6], x)
                    pl_w[s] = min(max(w, pl_params[p, 4]), pl_params[p, 5] - pl_ws[s])
                ring[(t + d) % L, pl_tgt[s]] += pl_w[s] + pl_ws[s]
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
            # postsynaptic trace history: xh[p, s, j] = sum over spikes f <= s of decay^(s - f).
            # A presynaptic spike at t reads xh[t - d]: postsynaptic events that reach the
            # synapse at or before t depress it (sPyNNaker's rule: coincident events depress).
            hs = t % Lh
            spk_cnt[hs] = n_neuron_spikes
            for q in range(n_neuron_spikes):
                spk_hist[hs, q] = fired[q]
            prv = (t - 1) % Lh
            for p in range(n_plastic_proj):
                dec = np.exp(-dt / pl_params[p, 1])
                for j in range(pl_post_range[p, 0], pl_post_range[p, 1]):
                    xh[p, hs, j] = xh[p, prv, j] * dec
                for q in range(n_neuron_spikes):
                    j = fired[q]
                    if pl_post_range[p, 0] <= j < pl_post_range[p, 1]:
                        xh[p, hs, j] += 1.0
    return t1, n_rec
