"""The Numba engine against an independent step-by-step simulator of the CA3 memory.

`_reference_simulate` re-implements, in plain Python, sPyNNaker's IF_curr_exp update and its
*deferred* pair-STDP (synapse_dynamics_stdp_mad_impl.c + timing_pair_impl.h +
weight_additive_one_term_impl.h): a plastic synapse is only updated when its presynaptic
neuron fires; the postsynaptic events that reached the synapse since the last presynaptic
spike (fired at t_post, arriving at t_post + d) potentiate it, then the presynaptic spike is
depressed by the last arrived post trace, then the weight is delivered at t + d. Two switches
select the convention:

* ``depress_coincident``: a presynaptic spike depresses even when the last post event reached
  the synapse in the same step (dt = 0). sPyNNaker 7's timing_apply_pre_spike has no dt > 0
  guard (decay(0) = 1), and the IR (spikemem.synapses) follows it; switched off, it gives the
  rule in which coincident pairs contribute nothing.
* ``clamp_once``: sPyNNaker sums all potentiation and depression of one deferred update and
  clamps once; the IR clamps after every event.
"""
import numpy as np
import pytest

import spikemem as sm
from spikemem.backends.compiled import compile_network
from spikemem.models.ca3_cam import CUE_TO_CONTENT, CONTENT_TO_CUE, build_network


def _reference_simulate(net, inputs, n_steps, depress_coincident, clamp_once):
    c = compile_network(net)
    N, p = c.n_neurons, c.params
    v, IE, II = c.v0.copy(), np.zeros(N), np.zeros(N)
    refrac = np.zeros(N, int)
    L = c.max_delay + 1
    ring = np.zeros((L, 2 * N))
    w = c.pl_w.copy()
    last_pre = np.full(w.size, -1)
    pre_trace = np.zeros(w.size)
    post_events = [[] for _ in range(N)]            # (step fired, trace including the spike)
    spikes = []
    for t in range(n_steps):
        fired = []
        for j in range(N):
            IE[j] += p["init_E"][j] * ring[t % L, j]
            II[j] += p["init_I"][j] * ring[t % L, N + j]
            ring[t % L, j] = ring[t % L, N + j] = 0.0
            if refrac[j] > 0:
                refrac[j] -= 1
            else:
                v_inf = p["v_rest"][j] + p["R"][j] * (IE[j] - II[j] + p["i_offset"][j])
                v[j] = v_inf - (v_inf - v[j]) * p["exp_m"][j]
                if v[j] >= p["v_thresh"][j]:
                    v[j], refrac[j] = p["v_reset"][j], p["refrac_steps"][j]
                    fired.append(j)
            IE[j] *= p["decay_E"][j]
            II[j] *= p["decay_I"][j]
        for j in fired:
            prev = post_events[j][-1] if post_events[j] else None
            tr = 1.0 + (prev[1] * np.exp(-(t - prev[0]) / 3.0) if prev else 0.0)
            post_events[j].append((t, tr))
        nodes = fired + [N + k for k in inputs.get(t, [])]
        spikes += [(t, n) for n in nodes]
        for i in nodes:
            for k in range(c.st_indptr[i], c.st_indptr[i + 1]):
                ring[(t + c.st_dly[k]) % L, c.st_tgt[k]] += c.st_w[k]
            for s in range(c.pl_indptr[i], c.pl_indptr[i + 1]):
                tau_p, tau_m, a_p, a_m, w_lo, w_hi = c.pl_params[c.pl_proj[s], :6]
                d, j = c.pl_dly[s], c.pl_post[s]
                arrived = [(tf + d, tr) for tf, tr in post_events[j] if tf + d <= t]
                new = [e for e in arrived if e[0] > last_pre[s] >= 0] if last_pre[s] >= 0 else []
                pot = [a_p * pre_trace[s] * np.exp(-(ta - last_pre[s]) / tau_p)
                       for ta, _ in new if ta > last_pre[s]]
                dep = []
                if arrived:
                    ta, tr = arrived[-1]
                    if t > ta or depress_coincident:
                        dep = [a_m * tr * np.exp(-(t - ta) / tau_m)]
                if clamp_once:
                    w[s] = min(w_hi, max(w_lo, w[s] + sum(pot) - sum(dep)))
                else:
                    for dw in pot:
                        w[s] = min(w_hi, w[s] + dw)
                    for dw in dep:
                        w[s] = max(w_lo, w[s] - dw)
                decayed = pre_trace[s] * np.exp(-(t - last_pre[s]) / tau_p) if last_pre[s] >= 0 \
                    else 0.0
                pre_trace[s], last_pre[s] = decayed + 1.0, t
                ring[(t + d) % L, c.pl_tgt[s]] += w[s]
    # weights as they stand at the end: apply the post events still pending (deferred)
    for s in range(w.size):
        if last_pre[s] < 0:
            continue
        tau_p, a_p, w_hi = c.pl_params[c.pl_proj[s], [0, 2, 5]]
        d, j = c.pl_dly[s], c.pl_post[s]
        for tf, _ in post_events[j]:
            if last_pre[s] < tf + d < n_steps:
                w[s] = min(w_hi, w[s] + a_p * pre_trace[s] * np.exp(-(tf + d - last_pre[s]) / tau_p))
    return spikes, c, w


# learn cue 0 {0,1,2,9}; recall cue 0; learn cue 1 {2,5}; recall content {2}; relearn cue 0
# with {3,4}; recall cue 0; recall content {1}; recall content {5,9} (IN: cue c -> c, bit b -> 5+b)
PROTOCOL = [(0, [0, 5, 6, 7, 14], 3), (10, [0], 1), (17, [1, 7, 10], 3), (27, [7], 1),
            (34, [0, 8, 9], 3), (44, [0], 1), (51, [6], 1), (58, [10, 14], 1)]
STEPS = 70


def _inputs():
    inp = {}
    for start, ids, hold in PROTOCOL:
        for h in range(hold):
            inp.setdefault(start + h, []).extend(ids)
    return inp


def test_engine_reproduces_the_independent_simulator_spike_for_spike_and_weight_for_weight():
    net, _ = build_network(5, 10)
    ref_spikes, c, ref_w = _reference_simulate(net, _inputs(), STEPS, depress_coincident=True,
                                               clamp_once=False)
    sim = sm.build(net, backend="numba", progress=False)
    for t, ids in sorted(_inputs().items()):
        sim.add_spikes("IN", [float(t)] * len(ids), ids)
    sim.run(float(STEPS))
    engine = []
    offsets = dict(zip(c.pop_labels, c.pop_start[:-1]))
    for lab, off in offsets.items():
        t, i = sim.recording.spikes(lab)
        engine += [(int(a), int(b) + int(off)) for a, b in zip(t, i)]
    t, i = sim.recording.spikes("IN")
    engine += [(int(a), int(b) + c.n_neurons) for a, b in zip(t, i)]
    assert sorted(engine) == sorted(ref_spikes)
    for label in (CUE_TO_CONTENT, CONTENT_TO_CUE):
        kind, pos = c.proj_index[label]
        np.testing.assert_allclose(sim.weights(label), ref_w[pos], rtol=0, atol=1e-9)


def _recall_cue0_bits(depress_coincident, clamp_once):
    net, _ = build_network(5, 10)
    spikes, c, _ = _reference_simulate(net, _inputs(), STEPS, depress_coincident, clamp_once)
    out0 = c.pop_start[c.pop_labels.index("OUT")]
    return sorted(n - out0 - 5 for t, n in spikes if t == 44 + 6 and out0 + 5 <= n < out0 + 15)


def test_if_coincident_pairs_were_ignored_relearning_would_keep_the_old_bits():
    assert _recall_cue0_bits(depress_coincident=False, clamp_once=False) == [0, 1, 2, 3, 4, 9]


@pytest.mark.parametrize("clamp_once", [False, True])
def test_with_spynnakers_coincident_depression_relearning_forgets_the_old_bits(clamp_once):
    assert _recall_cue0_bits(depress_coincident=True, clamp_once=clamp_once) == [3, 4]
