"""The backend specification: hand-computed behaviour every backend must reproduce exactly.

Every test runs on each backend of `spikemem.backends.GENERAL_BACKENDS` through the `backend`
fixture (tests/conftest.py), as Nengo runs its whole test suite against any simulator.
Expected values are computed here by hand from the published update equations (the IR's
`spikemem.neurons` and `spikemem.synapses`; reference: sPyNNaker's neuron_model_lif_impl.h,
synapse_types_exponential_impl.h and timing_pair_impl.h), never taken from a backend.
What only one backend has (devices, its own objects, what only it rejects) stays in that
backend's test file.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import spikemem as sm
from spikemem.lowering import poisson_counts

CA3_SLOW = dict(cm=0.27, tau_m=3.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3,
                v_rest=-60.0, v_reset=-60.0, v_thresh=-57.0)


def _build(net, backend):
    return sm.build(net, backend=backend, progress=False)


def _single(cell, dt=1.0, record=("spikes", "v")):
    net = sm.Network(dt=dt)
    pop = net.add(sm.Population(1, cell, label="n", record=record))
    return net, pop


# -- a single neuron --------------------------------------------------------------------------
def _regular_spike_steps(cell, dt, n_steps):
    """Steps at which a neuron under constant current fires: first from rest, then periodically.

    ``V`` climbs to ``V_inf = v_rest + R i_offset`` by ``a = exp(-dt / tau_m)`` per step; the
    k-th update is step k - 1; after a spike it is held for ``round(tau_refrac / dt)`` steps.
    """
    v_inf = cell.v_rest + cell.R * cell.i_offset
    a = math.exp(-dt / cell.tau_m)
    first = math.ceil(math.log((v_inf - cell.v_thresh) / (v_inf - cell.v_rest)) / math.log(a))
    later = math.ceil(math.log((v_inf - cell.v_thresh) / (v_inf - cell.v_reset)) / math.log(a))
    return np.arange(first - 1, n_steps, round(cell.tau_refrac / dt) + later)


@pytest.mark.parametrize("cell,dt,duration", [
    (sm.IF_curr_exp(cm=1.0, tau_m=20.0, tau_refrac=2.0, v_rest=-65.0, v_reset=-70.0,
                    v_thresh=-50.0, i_offset=1.0), 0.1, 200.0),
    # R = 20 MOhm, V_inf = -45 mV: 13.86 steps from rest, 16.09 from reset -> 13, 33, 53, ...
    (sm.IF_curr_exp(tau_m=10.0, cm=0.5, i_offset=1.0, v_rest=-65.0, v_reset=-70.0,
                    v_thresh=-50.0, tau_refrac=3.0), 1.0, 100.0),
    (sm.IF_curr_exp(tau_m=8.0, cm=0.4, i_offset=1.1, v_rest=-60.0, v_reset=-66.0,
                    v_thresh=-45.0, tau_refrac=2.0), 1.0, 120.0),          # V_inf = -38 mV
])
def test_constant_current_fires_at_the_analytic_steps(backend, cell, dt, duration):
    net, _ = _single(cell, dt, record=("spikes",))
    sim = _build(net, backend)
    sim.run(duration)
    t, _ = sim.recording.spikes("n")
    expected = _regular_spike_steps(cell, dt, round(duration / dt))
    assert expected.size > 3
    assert np.array_equal(np.round(t / dt).astype(int), expected)
    np.testing.assert_array_equal(t, expected * dt)


def test_single_input_spike_gives_the_spynnaker_current_and_voltage_sequence(backend):
    cell = sm.IF_curr_exp(**CA3_SLOW)
    net, pop = _single(cell)
    src = net.add(sm.SpikeSourceArray([[1.0]], label="in"))
    w = 0.5
    net.add(sm.Projection(src, pop, sm.OneToOne(), sm.StaticSynapse(weight=w, delay=2.0)))
    sim = _build(net, backend)
    sim.run(8.0)
    _, v = sim.recording.v("n")
    decay = math.exp(-1 / 0.3)
    init = 0.3 * (1 - decay) / 1.0
    R = 3.0 / 0.27
    a = math.exp(-1 / 3.0)
    expected = []
    V, I = -60.0, 0.0
    for step in range(8):
        if step == 3:                 # spike at t = 1 ms, delay 2 ms -> arrives at step 3
            I += init * w
        v_inf = -60.0 + R * I
        V = v_inf - (v_inf - V) * a
        expected.append(V)
        I *= decay
    np.testing.assert_allclose(v[:, 0], expected, rtol=0, atol=1e-12)
    assert v[2, 0] == -60.0 and v[3, 0] > -60.0


@pytest.mark.parametrize("dt,tau_m,cm,tau_syn,v_rest,v_thresh,receptor,weight,t_in,delay,n", [
    (1.0, 10.0, 0.5, 4.0, -65.0, -40.0, "excitatory", 1.5, 2.0, 3.0, 30),
    (1.0, 10.0, 0.5, 2.5, -65.0, -40.0, "inhibitory", 1.5, 2.0, 3.0, 30),
    (0.5, 6.0, 0.25, 3.0, -60.0, -50.0, "inhibitory", 2.0, 2.0, 1.0, 30),
])
def test_one_input_spike_gives_the_closed_form_current_and_voltage(
        backend, dt, tau_m, cm, tau_syn, v_rest, v_thresh, receptor, weight, t_in, delay, n):
    # The spike arrives in step k0 = (t_in + delay) / dt, where I = init * W, then decays by b
    # per step; V - v_rest = +-R init W (1 - a) (a^(m+1) - b^(m+1)) / (a - b), m = k - k0,
    # a = exp(-dt / tau_m), b = exp(-dt / tau_syn), init = tau_syn (1 - b) / dt.
    cell = sm.IF_curr_exp(tau_m=tau_m, cm=cm, tau_syn_E=tau_syn, tau_syn_I=tau_syn,
                          v_rest=v_rest, v_thresh=v_thresh)
    net = sm.Network(dt=dt)
    net.add(sm.Population(1, cell, label="n", record=("spikes", "v")))
    src = net.add(sm.SpikeSourceArray([[t_in]], label="in"))
    net.add(sm.Projection(src, net["n"], sm.OneToOne(),
                          sm.StaticSynapse(weight=weight, delay=delay), receptor=receptor))
    sim = _build(net, backend)
    sim.run(n * dt)
    times, v = sim.recording.v("n")
    np.testing.assert_array_equal(times, np.arange(n) * dt)
    a, b = math.exp(-dt / tau_m), math.exp(-dt / tau_syn)
    init = tau_syn * (1 - b) / dt
    k0 = round((t_in + delay) / dt)
    m = np.arange(n) - k0
    dv = (tau_m / cm) * init * weight * (1 - a) * (a ** (m + 1) - b ** (m + 1)) / (a - b)
    sign = 1.0 if receptor == "excitatory" else -1.0
    expected = v_rest + sign * np.where(m >= 0, dv, 0.0)
    assert np.all(v[:k0, 0] == v_rest)                     # nothing before the arrival step
    np.testing.assert_allclose(v[:, 0], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dt,delay", [(1.0, 1.0), (1.0, 5.0), (0.5, 1.5), (0.1, 0.7)])
def test_a_delayed_spike_lands_on_the_exact_step(backend, dt, delay):
    cell = sm.IF_curr_exp(**{**CA3_SLOW, "tau_syn_E": 0.3 * dt})
    net, pop = _single(cell, dt, record=("spikes",))
    src = net.add(sm.SpikeSourceArray([[2.0]], label="in"))
    net.add(sm.Projection(src, pop, sm.OneToOne(), sm.StaticSynapse(weight=50.0, delay=delay)))
    sim = _build(net, backend)
    sim.run(10.0)
    t, _ = sim.recording.spikes("n")
    assert t.size == 1
    assert round(t[0] / dt) == round(2.0 / dt) + round(delay / dt)


@pytest.mark.parametrize("tau_refrac,period", [(0.0, 1), (1.0, 2), (3.0, 4)])
def test_refractory_steps_are_honoured(backend, tau_refrac, period):
    cell = sm.IF_curr_exp(**{**CA3_SLOW, "tau_refrac": tau_refrac, "i_offset": 100.0})
    net, _ = _single(cell, record=("spikes",))
    sim = _build(net, backend)
    sim.run(20.0)
    t, _ = sim.recording.spikes("n")
    assert np.all(np.diff(t) == period)


def test_inhibitory_input_lowers_the_membrane_by_the_same_amount_excitation_raises_it(backend):
    cell = sm.IF_curr_exp(**CA3_SLOW)
    net = sm.Network()
    pop = net.add(sm.Population(2, cell, label="n", record=("v",)))
    src = net.add(sm.SpikeSourceArray([[0.0]], label="in"))
    for k, receptor in enumerate(("excitatory", "inhibitory")):
        net.add(sm.Projection(src, pop[k:k + 1], sm.OneToOne(), sm.StaticSynapse(0.4),
                              receptor=receptor))
    sim = _build(net, backend)
    sim.run(5.0)
    _, v = sim.recording.v("n")
    np.testing.assert_allclose(v[:, 0] + 60.0, -(v[:, 1] + 60.0), atol=1e-12)
    assert v[1, 0] > -60.0


# -- STDP: pairs and coincidences -------------------------------------------------------------
def _stdp_net(pre_times, drive_times, synapse, delay=1.0):
    """A source 'pre' -> one neuron through a plastic synapse; 'drive' makes the neuron fire."""
    cell = sm.IF_curr_exp(**CA3_SLOW)
    net = sm.Network()
    post = net.add(sm.Population(1, cell, label="post"))
    pre = net.add(sm.SpikeSourceArray([pre_times], label="pre"))
    drive = net.add(sm.SpikeSourceArray([drive_times], label="drive"))
    net.add(sm.Projection(drive, post, sm.OneToOne(), sm.StaticSynapse(weight=6.0, delay=1.0)))
    net.add(sm.Projection(pre, post, sm.OneToOne(), synapse, label="plastic"))
    return net


def _final_weight(net, backend, ms=40.0):
    sim = _build(net, backend)
    sim.run(ms)
    return sim.weights("plastic")[0], sim.recording.spikes("post")[0]


def test_stdp_pair_rule_matches_the_formula_for_scripted_pre_post_pairs(backend):
    syn = sm.STDP(tau_plus=4.0, tau_minus=5.0, A_plus=0.5, A_minus=0.3, w_min=0.0, w_max=6.0,
                  weight=1.0, delay=1.0)
    # post fires at 7 (drive at 6) and 20 (drive at 19); its events reach the synapse at 8, 21.
    w, post_t = _final_weight(_stdp_net([5.0, 12.0, 30.0], [6.0, 19.0], syn), backend)
    assert list(post_t) == [7.0, 20.0]
    pre, post = [5, 12, 30], [8, 21]
    expected = 1.0
    events = sorted([(t, "pre") for t in pre] + [(t, "post") for t in post])
    for t, kind in events:
        if kind == "post":
            expected += 0.5 * sum(math.exp(-(t - s) / 4.0) for s in pre if s < t)
        else:
            expected -= 0.3 * sum(math.exp(-(t - s) / 5.0) for s in post if s <= t)
        expected = min(max(expected, 0.0), 6.0)
    assert w == pytest.approx(expected, rel=1e-12)


def test_stdp_clips_at_w_max_and_w_min(backend):
    up = sm.STDP(tau_plus=3, tau_minus=3, A_plus=6, A_minus=0, w_max=6, weight=5.0, delay=1.0)
    w, _ = _final_weight(_stdp_net([5.0], [6.0], up), backend)
    assert w == 6.0
    down = sm.STDP(tau_plus=3, tau_minus=3, A_plus=0, A_minus=6, w_max=6, weight=1.0, delay=1.0)
    w, _ = _final_weight(_stdp_net([9.0], [6.0], down), backend)
    assert w == 0.0


def test_stdp_multiplicative_weight_dependence_scales_with_distance_to_bounds(backend):
    syn = sm.STDP(tau_plus=3, tau_minus=3, A_plus=0.5, A_minus=0.5, w_min=0.0, w_max=4.0,
                  weight=1.0, delay=1.0, weight_dependence="multiplicative")
    w, _ = _final_weight(_stdp_net([5.0], [6.0], syn), backend)   # post reaches synapse at 8
    assert w == pytest.approx(1.0 + 0.5 * (4.0 - 1.0) * math.exp(-3 / 3), rel=1e-12)


def test_plastic_delay_is_dendritic_so_a_post_spike_before_the_pre_spike_can_potentiate(backend):
    # post fires at 9, pre at 10, delay 2: the post event reaches the synapse at 11 > 10, so the
    # dendritic convention potentiates by A+ exp(-1/tau+). (Axonal: pre arrives at 12 after the
    # post spike at 9 -> depression.)
    syn = sm.STDP(tau_plus=3, tau_minus=3, A_plus=1.0, A_minus=1.0, w_max=6, weight=2.0, delay=2.0)
    w, post_t = _final_weight(_stdp_net([10.0], [8.0], syn), backend)
    assert list(post_t) == [9.0]
    assert w == pytest.approx(2.0 + math.exp(-1 / 3), rel=1e-12)


def test_a_post_event_coinciding_with_a_pre_spike_depresses_and_does_not_potentiate(backend):
    # sPyNNaker's pair rule: the post event (fired at 7, at the synapse at 8) coincides with the
    # pre spike at 8 -> full depression A-; no potentiation from that pre spike. A later post
    # event (fired at 11, at the synapse at 12) potentiates from the pre spike at 8.
    syn = sm.STDP(tau_plus=3, tau_minus=3, A_plus=1.0, A_minus=1.5, w_max=6, weight=2.0, delay=1.0)
    w, post_t = _final_weight(_stdp_net([8.0], [6.0, 10.0], syn), backend)
    assert list(post_t) == [7.0, 11.0]
    assert w == pytest.approx(2.0 - 1.5 + math.exp(-4 / 3), rel=1e-12)


def test_a_pre_spike_delivers_its_weight_after_its_own_depression(backend):
    # post fires at 7 and reaches the synapse at 8; the pre spike at 9 is first depressed by
    # A- exp(-1/3) and then delivers that weight: the membrane must equal the one driven by a
    # static synapse of that weight (static synapses are checked by hand above).
    def trace(synapse):
        net = sm.Network()
        post = net.add(sm.Population(1, sm.IF_curr_exp(**CA3_SLOW), label="post", record=("v",)))
        pre = net.add(sm.SpikeSourceArray([[9.0]], label="pre"))
        drive = net.add(sm.SpikeSourceArray([[6.0]], label="drive"))
        net.add(sm.Projection(drive, post, sm.OneToOne(), sm.StaticSynapse(6.0, delay=1.0)))
        net.add(sm.Projection(pre, post, sm.OneToOne(), synapse, label="syn"))
        sim = _build(net, backend)
        sim.run(14.0)
        return sim.recording.v("post")[1][:, 0]

    plastic = trace(sm.STDP(tau_plus=3, tau_minus=3, A_plus=0.0, A_minus=1.0, w_max=6,
                            weight=2.0, delay=1.0))
    depressed = trace(sm.StaticSynapse(2.0 - math.exp(-1 / 3), delay=1.0))
    undepressed = trace(sm.StaticSynapse(2.0, delay=1.0))
    np.testing.assert_allclose(plastic, depressed, rtol=0, atol=1e-12)
    assert abs(plastic[10] - undepressed[10]) > 1e-3


def _stdp_pair_net(t_pre: float, stdp: sm.STDP):
    """Post neuron forced to fire at 10 ms; plastic synapse (delay 3 ms) from a source at t_pre."""
    net = sm.Network(dt=1.0)
    post = net.add(sm.Population(1, sm.IF_curr_exp(tau_m=1.0, cm=0.05, tau_syn_E=0.3),
                                 label="post"))
    drive = net.add(sm.SpikeSourceArray([[9.0]], label="drive"))
    pre = net.add(sm.SpikeSourceArray([[t_pre]], label="pre"))
    net.add(sm.Projection(drive, post, sm.OneToOne(), sm.StaticSynapse(weight=10.0, delay=1.0)))
    net.add(sm.Projection(pre, post, sm.OneToOne(), stdp, label="plastic"))
    return net


STDP_RULE = dict(tau_plus=5.0, tau_minus=4.0, A_plus=0.3, A_minus=0.2, w_max=2.0, weight=0.5,
                 delay=3.0)


@pytest.mark.parametrize("t_pre,dependence,expected", [
    # post fires at 10 and reaches the synapse at 13 (dendritic delay 3):
    (12.0, "additive", 0.5 + 0.3 * math.exp(-1 / 5)),      # pre before arrival: potentiation
    (12.0, "multiplicative", 0.5 + 0.3 * (2.0 - 0.5) * math.exp(-1 / 5)),
    (13.0, "additive", 0.5 - 0.2),                         # coincident: full depression
    (15.0, "additive", 0.5 - 0.2 * math.exp(-2 / 4)),      # pre after arrival: depression
    (16.0, "additive", 0.5 - 0.2 * math.exp(-3 / 4)),
    (16.0, "multiplicative", 0.5 - 0.2 * (0.5 - 0.0) * math.exp(-3 / 4)),
])
def test_stdp_pair_with_dendritic_delay_changes_the_weight_by_the_hand_computed_amount(
        backend, t_pre, dependence, expected):
    net = _stdp_pair_net(t_pre, sm.STDP(weight_dependence=dependence, **STDP_RULE))
    sim = _build(net, backend)
    sim.run(25.0)
    np.testing.assert_array_equal(sim.recording.spikes("post")[0], [10.0])
    np.testing.assert_allclose(sim.weights("plastic"), [expected], rtol=1e-12)
    times, w = sim.recording.weights("plastic")
    np.testing.assert_array_equal(times, [25.0])


def test_stdp_weight_is_clipped_to_w_max(backend):
    net = _stdp_pair_net(12.0, sm.STDP(**dict(STDP_RULE, A_plus=5.0)))
    sim = _build(net, backend)
    sim.run(20.0)
    assert sim.weights("plastic")[0] == 2.0


# -- running, injecting, weights, reset -------------------------------------------------------
def test_add_spikes_drives_a_running_simulation_and_rejects_past_times(backend):
    net = sm.Network()
    pop = net.add(sm.Population(3, sm.IF_curr_exp(**CA3_SLOW), label="pop"))
    src = net.add(sm.SpikeSourceArray(size=3, label="in"))
    net.add(sm.Projection(src, pop, sm.OneToOne(), sm.StaticSynapse(6.0)))
    sim = _build(net, backend)
    sim.run(10.0)
    sim.add_spikes("in", [12.0, 12.0], [0, 2])
    sim.run(10.0)
    t, i = sim.recording.spikes("pop")
    assert list(t) == [13.0, 13.0] and list(i) == [0, 2]
    with pytest.raises(sm.ValidationError, match="current time"):
        sim.add_spikes("in", [5.0], [1])
    with pytest.raises(sm.ValidationError, match="ids"):
        sim.add_spikes("in", [25.0], [3])


def test_spikes_added_between_runs_arrive_after_their_delay(backend):
    net = sm.Network(dt=1.0)
    n = net.add(sm.Population(2, sm.IF_curr_exp(tau_m=2.0, cm=0.1, tau_syn_E=0.5), label="n"))
    src = net.add(sm.SpikeSourceArray(size=2, label="in"))
    net.add(sm.Projection(src, n, sm.OneToOne(), sm.StaticSynapse(weight=10.0, delay=2.0)))
    sim = _build(net, backend)
    sim.run(10.0)
    assert sim.recording.n_spikes() == 0
    sim.add_spikes("in", [12.0, 15.0], [1, 0])
    sim.run(10.0)
    t, i = sim.recording.spikes("n")
    np.testing.assert_array_equal(t, [14.0, 17.0])
    np.testing.assert_array_equal(i, [1, 0])


def test_set_weights_changes_what_the_next_spikes_deliver(backend):
    net = sm.Network(dt=1.0)
    n = net.add(sm.Population(1, sm.IF_curr_exp(v_thresh=-40.0), label="n",
                              record=("spikes", "v")))
    src = net.add(sm.SpikeSourceArray([[1.0, 20.0]], label="in"))
    net.add(sm.Projection(src, n, sm.OneToOne(), sm.StaticSynapse(weight=1.0), label="p"))
    sim = _build(net, backend)
    sim.run(10.0)
    sim.set_weights("p", [0.0])
    np.testing.assert_array_equal(sim.weights("p"), [0.0])
    sim.run(20.0)
    _, v = sim.recording.v("n")
    assert v[2, 0] > -65.0                                  # the first spike arrived
    before = v[20, 0]
    assert v[21, 0] < before                                # the second delivered nothing
    with pytest.raises(sm.ValidationError, match="set_weights"):
        sim.set_weights("p", [-1.0])


def test_weight_components_other_than_total_are_rejected_for_stdp(backend):
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(2, sm.IF_curr_exp(), label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(), sm.STDP(), label="p"))
    sim = _build(net, backend)
    np.testing.assert_array_equal(sim.weights("p", component="total"), np.zeros(4))
    with pytest.raises(sm.ValidationError, match="component"):
        sim.weights("p", component="slow")


def test_reset_restores_initial_state_weights_and_recording(backend):
    syn = sm.STDP(tau_plus=3, tau_minus=3, A_plus=1.0, A_minus=0.0, w_max=6, weight=2.0, delay=1.0)
    sim = _build(_stdp_net([5.0], [6.0], syn), backend)
    first = sim.run(20.0).spikes("post")
    assert sim.weights("plastic")[0] > 2.0
    sim.reset()
    assert sim.t == 0.0 and sim.weights("plastic")[0] == 2.0
    assert sim.recording.spikes("post")[0].size == 0
    again = sim.run(20.0).spikes("post")
    assert np.array_equal(first[0], again[0])


def test_run_rejects_durations_that_are_not_whole_steps(backend):
    net, _ = _single(sm.IF_curr_exp(**CA3_SLOW))
    sim = _build(net, backend)
    with pytest.raises(sm.ValidationError, match="multiple of dt"):
        sim.run(1.5)
    with pytest.raises(sm.ValidationError, match="duration"):
        sim.run(-1.0)


def test_a_synapse_type_a_backend_lacks_is_refused_before_running_naming_projection_and_type(
        backend):
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(2, sm.IF_curr_exp(i_offset=2.0), label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(), sm.ConsolidatingSTDP(tau_decay=100.0),
                          label="slow"))
    try:
        sim = _build(net, backend)
    except sm.UnsupportedFeature as exc:
        assert "'slow'" in str(exc) and "ConsolidatingSTDP" in str(exc)
        return
    sim.run(5.0)
    assert sim.t == 5.0 and sim.weights("slow").shape == (4,)


# -- Poisson drives ---------------------------------------------------------------------------
def test_poisson_drive_counts_enter_the_input_of_their_own_step_after_arriving_spikes(backend):
    # Neuron 0 gets only the inhibitory drive; neurons 1-2 also the excitatory one, active in
    # steps 3..12 (0.3 ms for 1 ms); a source spike at 0.5 ms with delay 0.5 ms arrives at
    # step 10 on neurons 0 and 1, in the same update as that step's counts.
    dt, tau_m, cm, tau_e, tau_i = 0.1, 10.0, 0.25, 0.5, 1.0
    cell = sm.IF_curr_exp(cm=cm, tau_m=tau_m, tau_syn_E=tau_e, tau_syn_I=tau_i,
                          v_rest=-65.0, v_thresh=0.0)
    net = sm.Network(dt=dt)
    pop = net.add(sm.Population(3, cell, label="n", record=("spikes", "v")))
    src = net.add(sm.SpikeSourceArray([[0.5]], label="in"))
    net.add(sm.Projection(src, pop[0:2], sm.AllToAll(), sm.StaticSynapse(weight=0.3, delay=0.5)))
    net.add(sm.PoissonInput(pop[1:3], n_inputs=2000, rate=8.0, weight=0.05, seed=12,
                            start=0.3, duration=1.0))
    net.add(sm.PoissonInput(pop, n_inputs=500, rate=20.0, weight=0.02, seed=13,
                            receptor="inhibitory"))
    sim = _build(net, backend)
    sim.run(1.7)
    sim.run(1.3)
    _, v = sim.recording.v("n")
    n_steps = 30
    steps = np.arange(n_steps)
    c_e = poisson_counts(12, np.arange(3)[None, :], steps[:, None], 2000 * 8.0 * dt / 1000)
    c_i = poisson_counts(13, np.arange(3)[None, :], steps[:, None], 500 * 20.0 * dt / 1000)
    assert c_e[3:13, 1:].max() >= 3 and c_i.sum() > 10        # several spikes per step
    in_e = np.zeros((n_steps, 3))
    in_e[10, :2] = 0.3
    in_e[3:13, 1:] = in_e[3:13, 1:] + c_e[3:13, 1:] * 0.05
    in_i = c_i * 0.02
    a, be, bi = math.exp(-dt / tau_m), math.exp(-dt / tau_e), math.exp(-dt / tau_i)
    init_e, init_i, R = tau_e * (1 - be) / dt, tau_i * (1 - bi) / dt, tau_m / cm
    V, ie, ii = np.full(3, -65.0), np.zeros(3), np.zeros(3)
    expected = []
    for t in range(n_steps):
        ie = ie + init_e * in_e[t]
        ii = ii + init_i * in_i[t]
        v_inf = -65.0 + R * (ie - ii)
        V = v_inf - (v_inf - V) * a
        expected.append(V)
        ie, ii = ie * be, ii * bi
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-12)
