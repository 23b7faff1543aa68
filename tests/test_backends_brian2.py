"""Brian2 backend: hand-computed neuron and STDP behaviour, devices, and what it rejects.

Expected values are derived here from the IR's definitions (`spikemem.neurons`,
`spikemem.synapses`) in closed form, not taken from any backend.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import spikemem as sm
from spikemem.backends import available
from spikemem.errors import UnsupportedFeature, ValidationError

pytestmark = [pytest.mark.brian2,
              pytest.mark.skipif("brian2" not in available(), reason="Brian2 is not installed")]


def _build(net, **options):
    return sm.build(net, backend="brian2", progress=False, **options)


# -- single neuron, hand-computed -----------------------------------------------------------
def test_constant_current_fires_at_the_analytic_steps():
    # R = tau_m / cm = 20 MOhm, V_inf = v_rest + R * i_offset = -45 mV.
    cell = sm.IF_curr_exp(tau_m=10.0, cm=0.5, i_offset=1.0, v_rest=-65.0, v_reset=-70.0,
                          v_thresh=-50.0, tau_refrac=3.0)
    net = sm.Network(dt=1.0)
    net.add(sm.Population(1, cell, label="n"))
    sim = _build(net)
    sim.run(100.0)
    v_inf = -45.0
    k_first = math.log((v_inf + 65.0) / (v_inf + 50.0)) * 10.0    # 13.86 steps from rest
    k_next = math.log((v_inf + 70.0) / (v_inf + 50.0)) * 10.0     # 16.09 steps from reset
    first = math.ceil(k_first) - 1                               # the k-th update is step k-1
    period = 3 + math.ceil(k_next)                               # refractory, then climb
    expected = np.arange(first, 100, period) * 1.0
    np.testing.assert_array_equal(sim.recording.spikes("n")[0], expected)   # 13, 33, 53, ...


@pytest.mark.parametrize("receptor,tau_syn,sign", [("excitatory", 4.0, 1.0),
                                                   ("inhibitory", 2.5, -1.0)])
def test_one_input_spike_gives_the_closed_form_current_and_voltage(receptor, tau_syn, sign):
    # Spike at 2 ms, delay 3 ms: it arrives in step 5, where I = init * W, then decays by b
    # per step; V - v_rest = R * init * W * (1 - a) * (a^(n+1) - b^(n+1)) / (a - b), n = k - 5.
    cell = sm.IF_curr_exp(tau_m=10.0, cm=0.5, tau_syn_E=tau_syn, tau_syn_I=tau_syn,
                          v_thresh=-40.0)
    net = sm.Network(dt=1.0)
    net.add(sm.Population(1, cell, label="n", record=("spikes", "v")))
    src = net.add(sm.SpikeSourceArray([[2.0]], label="in"))
    net.add(sm.Projection(src, net["n"], sm.OneToOne(), sm.StaticSynapse(weight=1.5, delay=3.0),
                          receptor=receptor))
    sim = _build(net)
    sim.run(30.0)
    times, v = sim.recording.v("n")
    np.testing.assert_array_equal(times, np.arange(30.0))
    a, b = math.exp(-1 / 10.0), math.exp(-1 / tau_syn)
    init = tau_syn * (1 - b)
    n = np.arange(30) - 5
    dv = 20.0 * init * 1.5 * (1 - a) * (a ** (n + 1) - b ** (n + 1)) / (a - b)
    expected = -65.0 + sign * np.where(n >= 0, dv, 0.0)
    assert np.all(v[:5, 0] == -65.0)                      # nothing before the arrival step
    np.testing.assert_allclose(v[:, 0], expected, rtol=0, atol=1e-12)


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
    (16.0, "additive", 0.5 - 0.2 * math.exp(-3 / 4)),      # pre after arrival: depression
    (16.0, "multiplicative", 0.5 - 0.2 * (0.5 - 0.0) * math.exp(-3 / 4)),
])
def test_stdp_pair_changes_the_weight_by_the_hand_computed_amount(t_pre, dependence, expected):
    net = _stdp_pair_net(t_pre, sm.STDP(weight_dependence=dependence, **STDP_RULE))
    sim = _build(net)
    sim.run(25.0)
    np.testing.assert_array_equal(sim.recording.spikes("post")[0], [10.0])
    np.testing.assert_allclose(sim.weights("plastic"), [expected], rtol=1e-12)
    times, w = sim.recording.weights("plastic")
    np.testing.assert_array_equal(times, [25.0])


def test_stdp_weight_is_clipped_to_w_max():
    net = _stdp_pair_net(12.0, sm.STDP(**dict(STDP_RULE, A_plus=5.0)))
    sim = _build(net)
    sim.run(20.0)
    assert sim.weights("plastic")[0] == 2.0


# -- running, injecting, weights ------------------------------------------------------------
def test_spikes_added_between_runs_arrive_after_their_delay():
    net = sm.Network(dt=1.0)
    n = net.add(sm.Population(2, sm.IF_curr_exp(tau_m=2.0, cm=0.1, tau_syn_E=0.5), label="n"))
    src = net.add(sm.SpikeSourceArray(size=2, label="in"))
    net.add(sm.Projection(src, n, sm.OneToOne(), sm.StaticSynapse(weight=10.0, delay=2.0)))
    sim = _build(net)
    sim.run(10.0)
    assert sim.recording.n_spikes() == 0
    sim.add_spikes("in", [12.0, 15.0], [1, 0])
    sim.run(10.0)
    t, i = sim.recording.spikes("n")
    np.testing.assert_array_equal(t, [14.0, 17.0])
    np.testing.assert_array_equal(i, [1, 0])


def test_set_weights_changes_what_the_next_spikes_deliver():
    net = sm.Network(dt=1.0)
    n = net.add(sm.Population(1, sm.IF_curr_exp(v_thresh=-40.0), label="n",
                              record=("spikes", "v")))
    src = net.add(sm.SpikeSourceArray([[1.0, 20.0]], label="in"))
    net.add(sm.Projection(src, n, sm.OneToOne(), sm.StaticSynapse(weight=1.0), label="p"))
    sim = _build(net)
    sim.run(10.0)
    sim.set_weights("p", [0.0])
    np.testing.assert_array_equal(sim.weights("p"), [0.0])
    sim.run(20.0)
    _, v = sim.recording.v("n")
    assert v[2, 0] > -65.0                                  # the first spike arrived
    before = v[20, 0]
    assert v[21, 0] < before                                # the second delivered nothing
    with pytest.raises(ValidationError, match="set_weights"):
        sim.set_weights("p", [-1.0])


# -- devices --------------------------------------------------------------------------------
def _small_plastic_net():
    net = _stdp_pair_net(12.0, sm.STDP(**STDP_RULE))
    other = net.add(sm.Population(3, sm.IF_curr_exp(tau_m=3.0, cm=0.2), label="other",
                                  record=("spikes", "v")))
    net.add(sm.Projection(net["drive"], other, sm.AllToAll(),
                          sm.StaticSynapse(weight=4.0, delay=2.0)))
    net.add(sm.Projection(net["post"], other, sm.AllToAll(),
                          sm.StaticSynapse(weight=3.0, delay=1.0), receptor="inhibitory"))
    return net


def _assert_same_as_numba(sim, net, duration):
    ref = sm.build(net, backend="numba", progress=False)
    ref.run(duration)
    for label in ref.recording.populations:
        for a, b in zip(sim.recording.spikes(label), ref.recording.spikes(label)):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sim.recording.v("other")[1], ref.recording.v("other")[1])
    for proj in net.projections:
        np.testing.assert_array_equal(sim.weights(proj), ref.weights(proj))


@pytest.mark.slow
def test_cython_target_gives_the_numba_engine_results():
    net = _small_plastic_net()
    sim = _build(net, target="cython")
    sim.run(15.0)
    sim.run(10.0)
    _assert_same_as_numba(sim, net, 25.0)


@pytest.mark.slow
def test_cpp_standalone_builds_and_runs_once_with_the_numba_engine_results(tmp_path):
    net = _small_plastic_net()
    sim = _build(net, device="cpp_standalone", build_dir=str(tmp_path / "standalone"))
    sim.run(25.0)
    _assert_same_as_numba(sim, net, 25.0)
    with pytest.raises(UnsupportedFeature, match="cpp_standalone"):
        sim.run(5.0)
    rt = _build(net)                           # the runtime device is active again
    rt.run(25.0)
    _assert_same_as_numba(rt, net, 25.0)


# -- what it rejects ------------------------------------------------------------------------
def test_a_source_firing_twice_in_one_step_is_reported_before_running():
    net = sm.Network(dt=1.0)
    n = net.add(sm.Population(1, sm.IF_curr_exp(), label="n"))
    src = net.add(sm.SpikeSourceArray([[3.0, 3.2]], label="in"))     # both in step 3
    net.add(sm.Projection(src, n, sm.OneToOne(), sm.StaticSynapse(weight=1.0)))
    with pytest.raises(UnsupportedFeature, match="more than once in step 3"):
        _build(net)


def test_adding_a_spike_where_the_source_already_fires_is_unsupported():
    net = sm.Network(dt=1.0)
    n = net.add(sm.Population(1, sm.IF_curr_exp(), label="n"))
    src = net.add(sm.SpikeSourceArray([[3.0]], label="in"))
    net.add(sm.Projection(src, n, sm.OneToOne(), sm.StaticSynapse(weight=1.0)))
    sim = _build(net)
    with pytest.raises(UnsupportedFeature, match="in step 3"):
        sim.add_spikes("in", [3.0], [0])
    sim.add_spikes("in", [4.0], [0])                     # another step is fine


@pytest.mark.parametrize("option", [{"device": "gpu"}, {"target": "cpp"}])
def test_unknown_device_or_target_is_rejected(option):
    net = sm.Network(dt=1.0)
    net.add(sm.Population(1, sm.IF_curr_exp()))
    with pytest.raises(ValidationError, match=next(iter(option))):
        _build(net, **option)


def test_weight_components_other_than_total_are_rejected():
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(2, sm.IF_curr_exp(), label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(), sm.STDP(), label="p"))
    sim = _build(net)
    np.testing.assert_array_equal(sim.weights("p", component="total"), np.zeros(4))
    with pytest.raises(ValidationError, match="component"):
        sim.weights("p", component="slow")
