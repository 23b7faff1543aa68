"""Nengo backend: hand-computed neuron and STDP behaviour, the Nengo objects it builds, and
what it rejects.

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

pytestmark = [pytest.mark.nengo,
              pytest.mark.skipif("nengo" not in available(), reason="Nengo is not installed")]

nengo = pytest.importorskip("nengo")


def _build(net):
    return sm.build(net, backend="nengo", progress=False)


def _regular_spike_steps(tau_m, v_rest, v_reset, v_thresh, v_inf, refrac_steps, n_steps):
    """Steps at which a neuron under constant drive fires: first from rest, then periodically."""
    first = math.ceil(tau_m * math.log((v_inf - v_rest) / (v_inf - v_thresh))) - 1
    period = refrac_steps + math.ceil(tau_m * math.log((v_inf - v_reset) / (v_inf - v_thresh)))
    return np.arange(first, n_steps, period)


# -- single neuron, hand-computed -----------------------------------------------------------
def test_constant_current_fires_at_the_analytic_steps():
    cell = sm.IF_curr_exp(tau_m=8.0, cm=0.4, i_offset=1.1, v_rest=-60.0, v_reset=-66.0,
                          v_thresh=-45.0, tau_refrac=2.0)          # V_inf = -38 mV
    net = sm.Network(dt=1.0)
    net.add(sm.Population(1, cell, label="n"))
    sim = _build(net)
    sim.run(120.0)
    expected = _regular_spike_steps(8.0, -60.0, -66.0, -45.0, -38.0, 2, 120) * 1.0
    assert expected.size > 3
    np.testing.assert_array_equal(sim.recording.spikes("n")[0], expected)


def test_if_curr_exp_is_a_nengo_neuron_type_usable_in_a_plain_nengo_model():
    from spikemem.backends.nengo import IFCurrExp
    with nengo.Network() as model:
        ens = nengo.Ensemble(1, 1, neuron_type=IFCurrExp(tau_m=8.0, cm=0.4, v_rest=-60.0,
                                                         v_reset=-66.0, v_thresh=-45.0,
                                                         tau_refrac=2.0),
                             gain=[1.0], bias=[1.1], encoders=[[1.0]])
        spikes = nengo.Probe(ens.neurons, "output")
        voltage = nengo.Probe(ens.neurons, "voltage")
    with nengo.Simulator(model, dt=0.001, progress_bar=False) as sim:
        sim.run_steps(120)
    steps = np.nonzero(sim.data[spikes][:, 0])[0]
    expected = _regular_spike_steps(8.0, -60.0, -66.0, -45.0, -38.0, 2, 120)
    np.testing.assert_array_equal(steps, expected)
    np.testing.assert_allclose(sim.data[spikes][steps, 0], 1000.0)   # Nengo spikes: 1/dt
    a = math.exp(-1 / 8.0)
    np.testing.assert_allclose(sim.data[voltage][:3, 0],
                               -38.0 - 22.0 * a ** np.arange(1, 4), rtol=0, atol=1e-12)


def test_one_inhibitory_input_spike_gives_the_closed_form_voltage():
    # Spike at 4 ms, delay 2 ms: arrives in step 6; V - v_rest = -R init W (1 - a)
    # (a^(n+1) - b^(n+1)) / (a - b) with n = k - 6, a = exp(-dt/tau_m), b = exp(-dt/tau_syn_I).
    cell = sm.IF_curr_exp(tau_m=6.0, cm=0.25, tau_syn_I=3.0, v_rest=-60.0)
    net = sm.Network(dt=0.5)
    net.add(sm.Population(1, cell, label="n", record=("spikes", "v")))
    src = net.add(sm.SpikeSourceArray([[2.0]], label="in"))
    net.add(sm.Projection(src, net["n"], sm.OneToOne(), sm.StaticSynapse(weight=2.0, delay=1.0),
                          receptor="inhibitory"))
    sim = _build(net)
    sim.run(15.0)
    _, v = sim.recording.v("n")
    a, b = math.exp(-0.5 / 6.0), math.exp(-0.5 / 3.0)
    init = 3.0 * (1 - b) / 0.5
    n = np.arange(30) - 6
    dv = 24.0 * init * 2.0 * (1 - a) * (a ** (n + 1) - b ** (n + 1)) / (a - b)
    expected = -60.0 - np.where(n >= 0, dv, 0.0)
    assert np.all(v[:6, 0] == -60.0)
    np.testing.assert_allclose(v[:, 0], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("t_pre,expected", [
    # post fires at 10 and reaches the synapse at 13 (dendritic delay 3):
    (12.0, 0.5 + 0.3 * math.exp(-1 / 5)),     # pre before arrival: potentiation
    (13.0, 0.5 - 0.2),                        # coincident: full depression, no potentiation
    (15.0, 0.5 - 0.2 * math.exp(-2 / 4)),     # pre after arrival: depression
])
def test_stdp_pair_with_dendritic_delay_changes_the_weight_by_the_hand_computed_amount(
        t_pre, expected):
    net = sm.Network(dt=1.0)
    post = net.add(sm.Population(1, sm.IF_curr_exp(tau_m=1.0, cm=0.05, tau_syn_E=0.3),
                                 label="post"))
    drive = net.add(sm.SpikeSourceArray([[9.0]], label="drive"))
    pre = net.add(sm.SpikeSourceArray([[t_pre]], label="pre"))
    net.add(sm.Projection(drive, post, sm.OneToOne(), sm.StaticSynapse(weight=10.0)))
    net.add(sm.Projection(pre, post, sm.OneToOne(),
                          sm.STDP(tau_plus=5.0, tau_minus=4.0, A_plus=0.3, A_minus=0.2,
                                  w_max=2.0, weight=0.5, delay=3.0), label="plastic"))
    sim = _build(net)
    sim.run(25.0)
    np.testing.assert_array_equal(sim.recording.spikes("post")[0], [10.0])
    np.testing.assert_allclose(sim.weights("plastic"), [expected], rtol=1e-12)


# -- the Nengo model ------------------------------------------------------------------------
def test_the_network_becomes_ensembles_and_ir_connections_with_a_stdp_rule():
    from spikemem.backends.nengo import IFCurrExp, IRConnection, PairSTDP, ScheduledSpikes
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(3, sm.IF_curr_exp(i_offset=0.2), label="a"))
    s = net.add(sm.SpikeSourceArray([[1.0]] * 2, label="s"))
    net.add(sm.Projection(s, a, sm.AllToAll(), sm.StaticSynapse(weight=1.0, delay=2.0),
                          label="in"))
    net.add(sm.Projection(a, a, sm.AllToAll(allow_self_connections=False),
                          sm.STDP(A_plus=0.1), label="rec"))
    sim = _build(net)
    ens = sim.ensembles
    assert isinstance(ens["a"].neuron_type, IFCurrExp)
    assert isinstance(ens["s"].neuron_type, ScheduledSpikes)
    np.testing.assert_array_equal(sim.sim.data[ens["a"]].bias, [0.2] * 3)
    conn_in, conn_rec = sim.connections["in"], sim.connections["rec"]
    assert isinstance(conn_in, IRConnection) and conn_in.learning_rule_type is None
    assert isinstance(conn_rec.learning_rule_type, PairSTDP)
    assert conn_rec.transform.init.indices.shape == (6, 2)
    np.testing.assert_array_equal(conn_in.delays, [2] * 6)
    assert conn_in.receptor == "excitatory"
    assert sim.sim.dt == pytest.approx(1e-3)


def test_a_source_firing_twice_in_a_step_delivers_twice_like_the_numba_engine():
    net = sm.Network(dt=1.0)
    n = net.add(sm.Population(1, sm.IF_curr_exp(v_thresh=-40.0), label="n",
                              record=("spikes", "v")))
    src = net.add(sm.SpikeSourceArray([[3.0, 3.2, 7.0]], label="in"))   # twice in step 3
    net.add(sm.Projection(src, n, sm.OneToOne(), sm.StaticSynapse(weight=1.3)))
    sims = [sm.build(net, backend=b, progress=False) for b in ("numba", "nengo")]
    for sim in sims:
        sim.run(15.0)
    for a, b in zip(sims[0].recording.spikes("in"), sims[1].recording.spikes("in")):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sims[1].recording.spikes("in")[0], [3.0, 3.0, 7.0])
    np.testing.assert_array_equal(sims[1].recording.v("n")[1], sims[0].recording.v("n")[1])


def test_a_source_firing_twice_in_a_step_into_stdp_synapses_is_unsupported():
    net = sm.Network(dt=1.0)
    n = net.add(sm.Population(1, sm.IF_curr_exp(), label="n"))
    src = net.add(sm.SpikeSourceArray([[3.0]], label="in"))
    net.add(sm.Projection(src, n, sm.OneToOne(), sm.STDP()))
    sim = _build(net)
    with pytest.raises(UnsupportedFeature, match="plastic projection"):
        sim.add_spikes("in", [3.0], [0])


def test_weight_components_other_than_total_are_rejected():
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(2, sm.IF_curr_exp(), label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(), sm.STDP(), label="p"))
    sim = _build(net)
    np.testing.assert_array_equal(sim.weights("p", component="total"), np.zeros(4))
    with pytest.raises(ValidationError, match="component"):
        sim.weights("p", component="slow")


def test_a_source_firing_twice_in_one_step_into_stdp_is_unsupported_but_static_is_fine():
    def net(synapse):
        n = sm.Network(dt=1.0)
        post = n.add(sm.Population(1, sm.IF_curr_exp(), label="n"))
        src = n.add(sm.SpikeSourceArray([[3.0, 3.2]], label="in"))   # both in step 3
        n.add(sm.Projection(src, post, sm.OneToOne(), synapse))
        return n

    _build(net(sm.StaticSynapse(weight=1.0)))
    with pytest.raises(UnsupportedFeature, match="neuron 0 more than once in step 3"):
        _build(net(sm.STDP(weight=0.5)))


def test_injecting_a_spike_where_a_stdp_source_already_fires_is_unsupported():
    net = sm.Network(dt=1.0)
    post = net.add(sm.Population(1, sm.IF_curr_exp(), label="n"))
    src = net.add(sm.SpikeSourceArray([[3.0]], label="in"))
    net.add(sm.Projection(src, post, sm.OneToOne(), sm.STDP(weight=0.5)))
    sim = _build(net)
    sim.add_spikes("in", [5.0], [0])
    with pytest.raises(UnsupportedFeature, match="neuron 0 more than once in step 5"):
        sim.add_spikes("in", [5.0], [0])
