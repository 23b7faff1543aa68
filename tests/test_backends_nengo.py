"""Nengo backend: its neuron type in plain Nengo models, the Nengo objects it builds, and what
it rejects.

The hand-computed neuron and STDP behaviour every backend shares is in test_backend_spec.py.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import spikemem as sm
from spikemem.backends import available
from spikemem.errors import UnsupportedFeature

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


# -- the neuron type in plain Nengo ---------------------------------------------------------
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


def test_consolidating_stdp_is_reported_as_unsupported():
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(2, sm.IF_curr_exp(), label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(), sm.ConsolidatingSTDP(tau_decay=100.0)))
    with pytest.raises(UnsupportedFeature, match="ConsolidatingSTDP"):
        _build(net)


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
