"""ConsolidatingSTDP in the IR and on every backend: decay to baseline, tags, transfer.

Expected values are computed here by hand from the rule in `spikemem.synapses` (event by event,
with explicit sums over spike pairs), never taken from the engine.
"""
import math

import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import ValidationError
from spikemem.synapses import ConsolidatingSTDP, synapse_from_dict

CELL = dict(cm=0.27, tau_m=3.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3,
            v_rest=-60.0, v_reset=-60.0, v_thresh=-57.0)


def _pair_net(pre_times, drive_times, synapse, record=("spikes",)):
    """A source 'pre' -> one neuron through `synapse`; 'drive' makes the neuron fire 1 ms later."""
    net = sm.Network()
    post = net.add(sm.Population(1, sm.IF_curr_exp(**CELL), label="post", record=record))
    pre = net.add(sm.SpikeSourceArray([pre_times], label="pre"))
    drive = net.add(sm.SpikeSourceArray([drive_times], label="drive"))
    net.add(sm.Projection(drive, post, sm.OneToOne(), sm.StaticSynapse(weight=6.0, delay=1.0)))
    net.add(sm.Projection(pre, post, sm.OneToOne(), synapse, label="plastic"))
    return net


def _state(sim):
    return {c: float(sim.weights("plastic", component=c)[0])
            for c in ("fast", "slow", "tag", "total")}


def test_fast_weight_relaxes_exponentially_to_its_baseline_between_events(backend):
    syn = ConsolidatingSTDP(w_max=2.0, weight=1.0, w_base=0.25, tau_decay=20.0, delay=1.0)
    sim = sm.build(_pair_net([], [], syn), backend=backend)
    sim.run(10.0)
    assert _state(sim)["fast"] == pytest.approx(0.25 + 0.75 * math.exp(-10 / 20), rel=1e-12)
    sim.run(30.0)
    s = _state(sim)
    assert s["fast"] == pytest.approx(0.25 + 0.75 * math.exp(-40 / 20), rel=1e-12)
    assert s["slow"] == 0.0 and s["total"] == s["fast"]


def test_a_weight_below_its_baseline_relaxes_up_to_it(backend):
    syn = ConsolidatingSTDP(w_max=2.0, weight=0.0, w_base=0.5, tau_decay=10.0, delay=1.0)
    sim = sm.build(_pair_net([], [], syn), backend=backend)
    sim.run(7.0)
    assert _state(sim)["fast"] == pytest.approx(0.5 - 0.5 * math.exp(-7 / 10), rel=1e-12)


def test_scripted_pair_follows_the_hand_computed_fast_weight_and_tag_without_transfer(backend):
    # pre at 5, 12, 30; post fires at 7 and 20 (reaches the synapse at 8 and 21)
    p = dict(tau_plus=4.0, tau_minus=5.0, A_plus=1.0, A_minus=0.3, w_max=4.0, weight=1.0,
             delay=1.0, tau_decay=50.0, w_base=0.5, tau_tag=100.0, tag_threshold=5.0)
    sim = sm.build(_pair_net([5.0, 12.0, 30.0], [6.0, 19.0], ConsolidatingSTDP(**p)),
                   backend=backend)
    sim.run(40.0)
    assert list(sim.recording.spikes("post")[0]) == [7.0, 20.0]

    def relax(w, dt):
        return 0.5 + (w - 0.5) * math.exp(-dt / 50.0)

    w = relax(1.0, 5)                                        # pre 5: no post event yet
    w = relax(w, 3) + 1.0 * math.exp(-3 / 4)                 # post 8: pre 5
    c = math.exp(-3 / 4)
    w = relax(w, 4) - 0.3 * math.exp(-4 / 5)                 # pre 12: post 8
    c *= math.exp(-4 / 100)
    y = math.exp(-16 / 4) + math.exp(-9 / 4)                 # post 21: pre 5, 12
    w = relax(w, 9) + y
    c = c * math.exp(-9 / 100) + y
    w = relax(w, 9) - 0.3 * (math.exp(-22 / 5) + math.exp(-9 / 5))   # pre 30: post 8, 21
    c *= math.exp(-9 / 100)
    w, c = relax(w, 10), c * math.exp(-10 / 100)             # read at 40
    s = _state(sim)
    assert s["fast"] == pytest.approx(w, rel=1e-12)
    assert s["tag"] == pytest.approx(c, rel=1e-12)
    assert s["slow"] == 0.0


def test_tag_at_threshold_moves_the_fast_excess_to_the_slow_weight_and_keeps_the_total(backend):
    # pre at 5, post fires at 7 -> post event at 8 with y = exp(-3/4) > threshold: transfer
    p = dict(tau_plus=4.0, tau_minus=5.0, A_plus=1.5, A_minus=0.0, w_max=4.0, weight=1.0,
             delay=1.0, tau_decay=50.0, w_base=0.5, tau_tag=100.0, tag_threshold=0.4,
             transfer_fraction=0.6)
    sim = sm.build(_pair_net([5.0], [6.0], ConsolidatingSTDP(**p)), backend=backend)
    sim.run(8.0)
    before = 0.5 + 0.5 * math.exp(-8 / 50) + 1.5 * math.exp(-3 / 4)
    sim.run(1.0)                                             # step 8: potentiation + transfer
    moved = 0.6 * (before - 0.5)
    s = _state(sim)
    assert s["slow"] == pytest.approx(moved, rel=1e-12)
    assert s["fast"] == pytest.approx(0.5 + (before - moved - 0.5) * math.exp(-1 / 50),
                                      rel=1e-12)
    assert s["tag"] == 0.0
    sim.run(200.0)                                           # the slow part does not decay
    s = _state(sim)
    assert s["slow"] == pytest.approx(moved, rel=1e-12)
    assert s["fast"] == pytest.approx(0.5 + (before - moved - 0.5) * math.exp(-201 / 50),
                                      rel=1e-12)


def test_slow_weight_is_capped_and_the_fast_weight_keeps_the_rest(backend):
    p = dict(tau_plus=4.0, tau_minus=5.0, A_plus=2.0, A_minus=0.0, w_max=4.0, weight=1.0,
             delay=1.0, tag_threshold=0.1, w_slow_max=0.5)
    sim = sm.build(_pair_net([5.0], [6.0], ConsolidatingSTDP(**p)), backend=backend)
    sim.run(10.0)
    s = _state(sim)
    total = 1.0 + 2.0 * math.exp(-3 / 4)
    assert s["slow"] == 0.5
    assert s["fast"] == pytest.approx(total - 0.5, rel=1e-12)


def test_potentiation_stops_at_w_max_minus_the_slow_weight(backend):
    p = dict(tau_plus=4.0, tau_minus=5.0, A_plus=10.0, A_minus=0.0, w_max=4.0, weight=0.5,
             delay=1.0, slow_weight=1.5)
    sim = sm.build(_pair_net([5.0], [6.0], ConsolidatingSTDP(**p)), backend=backend)
    sim.run(10.0)
    s = _state(sim)
    assert s["fast"] == 2.5 and s["slow"] == 1.5 and s["total"] == 4.0


def test_a_pre_spike_delivers_the_fast_plus_slow_weight(backend):
    def trace(synapse):
        net = _pair_net([9.0], [], synapse, record=("v",))
        sim = sm.build(net, backend=backend)
        sim.run(14.0)
        return sim.recording.v("post")[1][:, 0]

    plastic = trace(ConsolidatingSTDP(w_max=4.0, weight=1.0, slow_weight=0.75, w_base=0.0,
                                      tau_decay=30.0, delay=1.0, A_plus=0.0, A_minus=0.0))
    expected = trace(sm.StaticSynapse(0.75 + math.exp(-9 / 30), delay=1.0))
    np.testing.assert_allclose(plastic, expected, rtol=0, atol=1e-12)


def test_with_infinite_time_constants_it_runs_exactly_like_stdp(backend):
    def run(synapse):
        net = sm.Network()
        pop = net.add(sm.Population(12, sm.IF_curr_exp(**CELL), label="pop"))
        src = net.add(sm.SpikeSourcePoisson(12, rate=120.0, seed=3, label="noise"))
        net.add(sm.Projection(src, pop, sm.FixedProbability(0.4, seed=1),
                              sm.StaticSynapse(3.5)))
        net.add(sm.Projection(pop, pop, sm.FixedProbability(0.5, seed=2), synapse,
                              label="plastic"))
        sim = sm.build(net, backend=backend)
        sim.run(300.0)
        return sim.recording.spikes("pop"), sim.weights("plastic")

    stdp = dict(tau_plus=4.0, tau_minus=6.0, A_plus=0.4, A_minus=0.3, w_max=3.0, weight=1.0,
                delay=2.0)
    (t1, i1), w1 = run(sm.STDP(**stdp))
    (t2, i2), w2 = run(ConsolidatingSTDP(**stdp))
    assert t1.size > 50
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(w1, w2)


def test_set_weights_sets_each_component_and_respects_the_bounds(backend):
    syn = ConsolidatingSTDP(w_max=4.0, weight=1.0, tau_decay=100.0, delay=1.0)
    sim = sm.build(_pair_net([], [], syn), backend=backend)
    sim.set_weights("plastic", [1.5], component="slow")
    sim.set_weights("plastic", [2.0], component="fast")
    sim.set_weights("plastic", [3.0], component="tag")
    assert _state(sim) == {"fast": 2.0, "slow": 1.5, "tag": 3.0, "total": 3.5}
    sim.set_weights("plastic", [3.0], component="total")      # fast = total - slow
    assert _state(sim)["fast"] == 1.5
    with pytest.raises(ValidationError, match="w_max - slow"):
        sim.set_weights("plastic", [3.0], component="fast")
    with pytest.raises(ValidationError, match="component"):
        sim.weights("plastic", component="speed")


def test_components_exist_only_for_consolidating_projections(backend):
    sim = sm.build(_pair_net([], [], sm.STDP(w_max=1.0, weight=0.5, delay=1.0)),
                   backend=backend)
    assert sim.weights("plastic")[0] == 0.5
    with pytest.raises(ValidationError, match="component must be one of"):
        sim.weights("plastic", component="slow")


@pytest.mark.parametrize("bad, match", [
    (dict(tau_decay=0.0), "tau_decay"),
    (dict(tau_decay=float("nan")), "tau_decay"),
    (dict(tau_tag=-5.0), "tau_tag"),
    (dict(tag_threshold=0.0), "tag_threshold"),
    (dict(transfer_fraction=0.0), "transfer_fraction"),
    (dict(transfer_fraction=1.5), "transfer_fraction"),
    (dict(w_base=2.0, w_max=1.0), "w_base"),
    (dict(w_slow_max=1.5, w_max=1.0), "w_slow_max"),
    (dict(w_slow_max=-0.1), "w_slow_max"),
    (dict(slow_weight=0.8, w_slow_max=0.5), "slow_weight"),
    (dict(slow_weight=0.8, weight=0.5, w_max=1.0), "initial fast weight"),
    (dict(A_plus=-1.0), "A_plus"),
])
def test_consolidating_stdp_rejects_bad_parameters_naming_the_field(bad, match):
    with pytest.raises(ValidationError, match=match) as err:
        ConsolidatingSTDP(**bad)
    assert "ConsolidatingSTDP" in str(err.value)


def test_projection_rejects_initial_weights_above_w_max_minus_slow_weight():
    net = sm.Network()
    a = net.add(sm.Population(2, sm.IF_curr_exp(), label="a"))
    syn = ConsolidatingSTDP(w_max=1.0, slow_weight=0.6, weight=0.2)
    with pytest.raises(ValidationError, match="initial weights"):
        sm.Projection(a, a, sm.FromList([0], [1], weight=[0.5]), syn)


def test_network_with_consolidating_synapses_round_trips_through_hdf5(tmp_path):
    syn = ConsolidatingSTDP(tau_decay=250.0, w_base=0.1, tau_tag=float("inf"),
                            tag_threshold=7.0, transfer_fraction=0.5, w_max=2.0, weight=0.3)
    assert synapse_from_dict(syn.to_dict()) == syn
    net = sm.Network()
    a = net.add(sm.Population(3, sm.IF_curr_exp(), label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(), syn, label="c", record_weights=False))
    net.save(tmp_path / "net.h5")
    back = sm.Network.load(tmp_path / "net.h5")
    assert back["c"].synapse == syn and back["c"].record_weights is False


def test_record_weights_false_keeps_plastic_weights_out_of_the_recording():
    syn = sm.STDP(w_max=1.0, weight=0.5, delay=1.0)
    net = sm.Network()
    a = net.add(sm.Population(2, sm.IF_curr_exp(), label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(), syn, label="kept"))
    net.add(sm.Projection(a, a, sm.AllToAll(), syn, label="dropped", record_weights=False))
    sim = sm.build(net)
    sim.run(5.0)
    sim.run(5.0)
    assert sim.recording.weight_labels == ["kept"]
    assert sim.recording.weights("kept")[1].shape == (2, 4)
