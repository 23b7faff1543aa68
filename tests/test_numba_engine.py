"""The Numba engine implements the IR's sPyNNaker-order IF_curr_exp and STDP exactly.

Expected values are computed here by hand from the published update equations
(reference: sPyNNaker's neuron_model_lif_impl.h and synapse_types_exponential_impl.h),
not taken from the engine.
"""
import math

import numpy as np
import pytest

import spikemem as sm

CA3_SLOW = dict(cm=0.27, tau_m=3.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3,
                v_rest=-60.0, v_reset=-60.0, v_thresh=-57.0)


def _single(cell, dt=1.0, record=("spikes", "v")):
    net = sm.Network(dt=dt)
    pop = net.add(sm.Population(1, cell, label="n", record=record))
    return net, pop


def test_constant_current_spikes_at_the_analytic_times():
    cell = sm.IF_curr_exp(cm=1.0, tau_m=20.0, tau_refrac=2.0, v_rest=-65.0, v_reset=-70.0,
                          v_thresh=-50.0, i_offset=1.0)
    dt = 0.1
    net, _ = _single(cell, dt)
    sim = sm.build(net)
    sim.run(200.0)
    t, _ = sim.recording.spikes("n")
    v_inf = -65.0 + 20.0 * 1.0
    a = math.exp(-dt / 20.0)
    # integrations needed from v to reach threshold: smallest n with V_n >= v_thresh
    first = math.ceil(math.log((v_inf - (-50.0)) / (v_inf - (-65.0))) / math.log(a))
    later = math.ceil(math.log((v_inf - (-50.0)) / (v_inf - (-70.0))) / math.log(a))
    refrac = round(2.0 / dt)
    expected = [first - 1]
    while expected[-1] + refrac + later < 2000:
        expected.append(expected[-1] + refrac + later)
    assert np.array_equal(np.round(t / dt).astype(int), expected)


def test_single_input_spike_gives_the_spynnaker_current_and_voltage_sequence():
    cell = sm.IF_curr_exp(**CA3_SLOW)
    net, pop = _single(cell)
    src = net.add(sm.SpikeSourceArray([[1.0]], label="in"))
    w = 0.5
    net.add(sm.Projection(src, pop, sm.OneToOne(), sm.StaticSynapse(weight=w, delay=2.0)))
    sim = sm.build(net)
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


@pytest.mark.parametrize("dt,delay", [(1.0, 1.0), (1.0, 5.0), (0.5, 1.5), (0.1, 0.7)])
def test_a_delayed_spike_lands_on_the_exact_step(dt, delay):
    cell = sm.IF_curr_exp(**{**CA3_SLOW, "tau_syn_E": 0.3 * dt})
    net, pop = _single(cell, dt, record=("spikes",))
    src = net.add(sm.SpikeSourceArray([[2.0]], label="in"))
    net.add(sm.Projection(src, pop, sm.OneToOne(), sm.StaticSynapse(weight=50.0, delay=delay)))
    sim = sm.build(net)
    sim.run(10.0)
    t, _ = sim.recording.spikes("n")
    assert t.size == 1
    assert round(t[0] / dt) == round(2.0 / dt) + round(delay / dt)


@pytest.mark.parametrize("tau_refrac,period", [(0.0, 1), (1.0, 2), (3.0, 4)])
def test_refractory_steps_are_honoured(tau_refrac, period):
    cell = sm.IF_curr_exp(**{**CA3_SLOW, "tau_refrac": tau_refrac, "i_offset": 100.0})
    net, _ = _single(cell, record=("spikes",))
    sim = sm.build(net)
    sim.run(20.0)
    t, _ = sim.recording.spikes("n")
    assert np.all(np.diff(t) == period)


def test_inhibitory_input_lowers_the_membrane_by_the_same_amount_excitation_raises_it():
    cell = sm.IF_curr_exp(**CA3_SLOW)
    net = sm.Network()
    pop = net.add(sm.Population(2, cell, label="n", record=("v",)))
    src = net.add(sm.SpikeSourceArray([[0.0]], label="in"))
    net.add(sm.Projection(src, pop[0:1], sm.OneToOne(), sm.StaticSynapse(0.4), receptor="excitatory"))
    net.add(sm.Projection(src, pop[1:2], sm.OneToOne(), sm.StaticSynapse(0.4), receptor="inhibitory"))
    sim = sm.build(net)
    sim.run(5.0)
    _, v = sim.recording.v("n")
    np.testing.assert_allclose(v[:, 0] + 60.0, -(v[:, 1] + 60.0), atol=1e-12)
    assert v[1, 0] > -60.0


# -- STDP -------------------------------------------------------------------------------------
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


def _final_weight(net, ms=40.0):
    sim = sm.build(net)
    sim.run(ms)
    return sim.weights("plastic")[0], sim.recording.spikes("post")[0]


def test_stdp_pair_rule_matches_the_formula_for_scripted_pre_post_pairs():
    syn = sm.STDP(tau_plus=4.0, tau_minus=5.0, A_plus=0.5, A_minus=0.3, w_min=0.0, w_max=6.0,
                  weight=1.0, delay=1.0)
    # post fires at 7 (drive at 6) and 20 (drive at 19); its events reach the synapse at 8, 21.
    w, post_t = _final_weight(_stdp_net([5.0, 12.0, 30.0], [6.0, 19.0], syn))
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


def test_stdp_clips_at_w_max_and_w_min():
    up = sm.STDP(tau_plus=3, tau_minus=3, A_plus=6, A_minus=0, w_max=6, weight=5.0, delay=1.0)
    w, _ = _final_weight(_stdp_net([5.0], [6.0], up))
    assert w == 6.0
    down = sm.STDP(tau_plus=3, tau_minus=3, A_plus=0, A_minus=6, w_max=6, weight=1.0, delay=1.0)
    w, _ = _final_weight(_stdp_net([9.0], [6.0], down))
    assert w == 0.0


def test_stdp_multiplicative_weight_dependence_scales_with_distance_to_bounds():
    syn = sm.STDP(tau_plus=3, tau_minus=3, A_plus=0.5, A_minus=0.5, w_min=0.0, w_max=4.0,
                  weight=1.0, delay=1.0, weight_dependence="multiplicative")
    w, _ = _final_weight(_stdp_net([5.0], [6.0], syn))          # post reaches synapse at 8
    assert w == pytest.approx(1.0 + 0.5 * (4.0 - 1.0) * math.exp(-3 / 3), rel=1e-12)


def test_plastic_delay_is_dendritic_so_a_post_spike_before_the_pre_spike_can_potentiate():
    # post fires at 9, pre at 10, delay 2: the post event reaches the synapse at 11 > 10, so the
    # dendritic convention potentiates by A+ exp(-1/tau+). (Axonal: pre arrives at 12 after the
    # post spike at 9 -> depression.)
    syn = sm.STDP(tau_plus=3, tau_minus=3, A_plus=1.0, A_minus=1.0, w_max=6, weight=2.0, delay=2.0)
    w, post_t = _final_weight(_stdp_net([10.0], [8.0], syn))
    assert list(post_t) == [9.0]
    assert w == pytest.approx(2.0 + math.exp(-1 / 3), rel=1e-12)


def test_a_post_event_coinciding_with_a_pre_spike_depresses_and_does_not_potentiate():
    # sPyNNaker's pair rule: the post event (fired at 7, at the synapse at 8) coincides with the
    # pre spike at 8 -> full depression A-; no potentiation from that pre spike. A later post
    # event (fired at 11, at the synapse at 12) potentiates from the pre spike at 8.
    syn = sm.STDP(tau_plus=3, tau_minus=3, A_plus=1.0, A_minus=1.5, w_max=6, weight=2.0, delay=1.0)
    w, post_t = _final_weight(_stdp_net([8.0], [6.0, 10.0], syn))
    assert list(post_t) == [7.0, 11.0]
    assert w == pytest.approx(2.0 - 1.5 + math.exp(-4 / 3), rel=1e-12)


def test_a_pre_spike_delivers_its_weight_after_its_own_depression():
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
        sim = sm.build(net)
        sim.run(14.0)
        return sim.recording.v("post")[1][:, 0]

    plastic = trace(sm.STDP(tau_plus=3, tau_minus=3, A_plus=0.0, A_minus=1.0, w_max=6,
                            weight=2.0, delay=1.0))
    depressed = trace(sm.StaticSynapse(2.0 - math.exp(-1 / 3), delay=1.0))
    undepressed = trace(sm.StaticSynapse(2.0, delay=1.0))
    np.testing.assert_allclose(plastic, depressed, rtol=0, atol=1e-12)
    assert abs(plastic[10] - undepressed[10]) > 1e-3


# -- determinism and continuation ---------------------------------------------------------
def _poisson_net(seed):
    net = sm.Network(dt=1.0)
    pop = net.add(sm.Population(20, sm.IF_curr_exp(**CA3_SLOW), label="pop"))
    src = net.add(sm.SpikeSourcePoisson(20, rate=80.0, seed=seed, label="noise"))
    net.add(sm.Projection(src, pop, sm.FixedProbability(0.3, seed=seed), sm.StaticSynapse(6.0)))
    net.add(sm.Projection(pop, pop, sm.FixedProbability(0.1, seed=seed + 1), sm.StaticSynapse(2.0),
                          receptor="inhibitory"))
    return net


def test_same_seed_gives_identical_spikes_and_different_seed_different_input():
    a = sm.build(_poisson_net(1)).run(300.0)
    b = sm.build(_poisson_net(1)).run(300.0)
    c = sm.build(_poisson_net(2)).run(300.0)
    for lab in ("pop", "noise"):
        assert np.array_equal(a.spikes(lab)[0], b.spikes(lab)[0])
        assert np.array_equal(a.spikes(lab)[1], b.spikes(lab)[1])
    assert a.spikes("pop")[0].size > 0
    assert not np.array_equal(a.spikes("noise")[1], c.spikes("noise")[1])


def test_a_run_split_into_pieces_gives_the_same_spikes_as_one_run():
    whole = sm.build(_poisson_net(5)).run(2500.0)
    sim = sm.build(_poisson_net(5))
    for _ in range(5):
        sim.run(500.0)
    pieces = sim.recording
    assert np.array_equal(whole.spikes("pop")[0], pieces.spikes("pop")[0])
    assert np.array_equal(whole.spikes("pop")[1], pieces.spikes("pop")[1])


def test_reset_restores_initial_state_weights_and_recording():
    syn = sm.STDP(tau_plus=3, tau_minus=3, A_plus=1.0, A_minus=0.0, w_max=6, weight=2.0, delay=1.0)
    sim = sm.build(_stdp_net([5.0], [6.0], syn))
    first = sim.run(20.0).spikes("post")
    assert sim.weights("plastic")[0] > 2.0
    sim.reset()
    assert sim.t == 0.0 and sim.weights("plastic")[0] == 2.0
    assert sim.recording.spikes("post")[0].size == 0
    again = sim.run(20.0).spikes("post")
    assert np.array_equal(first[0], again[0])


def test_add_spikes_drives_a_running_simulation_and_rejects_past_times():
    net = sm.Network()
    pop = net.add(sm.Population(3, sm.IF_curr_exp(**CA3_SLOW), label="pop"))
    src = net.add(sm.SpikeSourceArray(size=3, label="in"))
    net.add(sm.Projection(src, pop, sm.OneToOne(), sm.StaticSynapse(6.0)))
    sim = sm.build(net)
    sim.run(10.0)
    sim.add_spikes("in", [12.0, 12.0], [0, 2])
    sim.run(10.0)
    t, i = sim.recording.spikes("pop")
    assert list(t) == [13.0, 13.0] and list(i) == [0, 2]
    with pytest.raises(sm.ValidationError, match="current time"):
        sim.add_spikes("in", [5.0], [1])
    with pytest.raises(sm.ValidationError, match="ids"):
        sim.add_spikes("in", [25.0], [3])


def test_run_rejects_durations_that_are_not_whole_steps():
    sim = sm.build(_poisson_net(0))
    with pytest.raises(sm.ValidationError, match="multiple of dt"):
        sim.run(1.5)
    with pytest.raises(sm.ValidationError, match="duration"):
        sim.run(-1.0)


def test_unknown_backend_name_is_rejected():
    with pytest.raises(sm.ValidationError, match="backend"):
        sm.build(_poisson_net(0), backend="neuron")
