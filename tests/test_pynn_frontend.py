"""spikemem.pynn against hand-computed expectations and against spikemem's own IR."""
import numpy as np
import pytest
from pyNN.errors import NonExistentParameterError

import spikemem as sm
import spikemem.pynn as sim
from spikemem.errors import UnsupportedFeature, ValidationError

SLOW = dict(cm=0.27, tau_m=3.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0,
            v_reset=-60.0, v_thresh=-57.0, i_offset=0.0)


def spikes_of(pop, segment=-1):
    trains = pop.get_data("spikes").segments[segment].spiketrains
    return sorted((float(t), int(st.annotations["source_index"]))
                  for st in trains for t in st.magnitude)


def relay(n_in=3, n_out=3, times=None, **setup):
    sim.setup(timestep=1.0, **setup)
    times = times or [[1.0, 9.0], [3.0], [5.0, 12.0]][:n_in]
    src = sim.Population(n_in, sim.SpikeSourceArray(spike_times=times), label="src")
    out = sim.Population(n_out, sim.IF_curr_exp(**SLOW), label="out")
    return src, out


def test_one_to_one_between_different_sizes_connects_the_first_pairs():
    src, out = relay(3, 2)
    prj = sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0))
    assert sorted((int(i), int(j)) for i, j, _ in prj.get("weight", format="list")) == \
        [(0, 0), (1, 1)]


def test_a_relay_fires_one_step_after_each_input_arrives():
    # 6 nA through delay 1 ms: a slow cell fires in the step the spike arrives (hand-computed
    # in reference/ca3_cam.md's update order)
    src, out = relay()
    sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0, delay=1.0))
    out.record("spikes")
    sim.run(20.0)
    assert spikes_of(out) == [(2.0, 0), (4.0, 1), (6.0, 2), (10.0, 0), (13.0, 2)]


def test_runs_continue_state_and_match_one_long_run():
    def go(chunks):
        src, out = relay()
        sim.Projection(src, out, sim.AllToAllConnector(), sim.StaticSynapse(weight=2.5))
        out.record(["spikes", "v"])
        for c in chunks:
            sim.run(c)
        data = out.get_data().segments[0]
        return spikes_of(out), np.asarray(data.analogsignals[0])
    s1, v1 = go([20.0])
    s2, v2 = go([3.0, 7.0, 10.0])
    assert s1 == s2 and len(s1) > 0
    np.testing.assert_array_equal(v1, v2)
    assert v1.shape == (20, 3)


def test_reset_starts_a_new_identical_segment():
    src, out = relay()
    sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0))
    out.record("spikes")
    sim.run(15.0)
    sim.reset()
    sim.run(15.0)
    block = out.get_data()
    assert len(block.segments) == 2
    assert spikes_of(out, 0) == spikes_of(out, 1) != []
    assert sim.get_current_time() == 15.0


def test_structural_change_between_runs_carries_the_simulation_on():
    src, out = relay(times=[[1.0, 11.0], [3.0], [5.0, 12.0]])
    out.record("spikes")
    sim.run(8.0)
    sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0))
    sim.run(12.0)
    assert spikes_of(out) == [(12.0, 0), (13.0, 2)]


def test_spike_times_changed_between_runs_take_effect():
    src, out = relay()
    sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0))
    out.record("spikes")
    sim.run(8.0)
    src.set(spike_times=[[9.0], [10.0], [11.0]])
    sim.run(8.0)
    assert spikes_of(out) == [(2.0, 0), (4.0, 1), (6.0, 2), (10.0, 0), (11.0, 1), (12.0, 2)]


def test_projection_get_list_and_array_and_set_weight_mid_run():
    src, out = relay()
    prj = sim.Projection(src, out, sim.FromListConnector([(0, 1, 6.0, 1.0), (2, 0, 3.0, 2.0)]))
    arr = prj.get("weight", format="array")
    assert arr[0, 1] == 6.0 and arr[2, 0] == 3.0 and np.isnan(arr[0, 0])
    assert sorted(prj.get(["weight", "delay"], format="list")) == [(0, 1, 6.0, 1.0),
                                                                   (2, 0, 3.0, 2.0)]
    out.record("spikes")
    sim.run(8.0)
    prj.set(weight=0.0)
    sim.run(8.0)
    assert spikes_of(out) == [(2.0, 1)]
    assert np.all(prj.get("weight", format="array")[[0, 2], [1, 0]] == 0.0)


def stdp_pair(conventions, dependence, pre_times=(1.0,)):
    """Pre spikes at `pre_times`, a post spike forced at 4 ms; returns the final weight."""
    sim.setup(timestep=1.0, conventions=conventions)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[list(pre_times)]))
    kick = sim.Population(1, sim.SpikeSourceArray(spike_times=[[3.0]]))
    post = sim.Population(1, sim.IF_curr_exp(**SLOW))
    wd = dependence(w_min=0.0, w_max=4.0)
    stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(tau_plus=5.0, tau_minus=5.0,
                                                                 A_plus=0.5, A_minus=0.5),
                             weight_dependence=wd, weight=1.0, delay=1.0)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    sim.Projection(kick, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=6.0))
    sim.run(10.0)
    return prj.get("weight", format="array")[0, 0]


def test_additive_A_is_in_nA_under_spinnaker_and_scaled_by_w_max_under_pynn():
    # pre spike at step 1 (paired at step 1, dendritic), post fires at step 4 and reaches the
    # synapse at step 5 (delay 1): dt = 4 ms
    trace = np.exp(-4.0 / 5.0)
    assert stdp_pair("spinnaker", sim.AdditiveWeightDependence) == pytest.approx(1 + 0.5 * trace)
    assert stdp_pair("pynn", sim.AdditiveWeightDependence) == \
        pytest.approx(min(4.0, 1 + 0.5 * 4.0 * trace))
    assert stdp_pair("pynn", sim.MultiplicativeWeightDependence) == \
        pytest.approx(1 + 0.5 * (4.0 - 1.0) * trace)


def test_stdp_is_dendritic_and_a_coincident_post_event_depresses():
    # post fires at step 4 and reaches the synapse at step 5 (dendritic delay 1 ms), the step
    # of the second pre spike: potentiation counts only the pre spike at 1 (trace e^(-4/5)),
    # the pre spike at 5 is depressed by the full A_minus (sPyNNaker's timing_pair_impl.h).
    # Axonal timing (pyNN.brian2) would pair pre at 2 and 6 with post at 4 instead.
    w = stdp_pair("spinnaker", sim.AdditiveWeightDependence, pre_times=(1.0, 5.0))
    assert w == pytest.approx(1.0 + 0.5 * np.exp(-4.0 / 5.0) - 0.5)


def test_inhibitory_weight_signs_follow_the_conventions():
    src, out = relay()
    prj = sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=2.0),
                         receptor_type="inhibitory")
    assert prj.get("weight", format="list")[0][2] == 2.0
    prj = sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=-2.0),
                         receptor_type="inhibitory")
    assert prj.get("weight", format="list")[0][2] == -2.0
    src, out = relay(conventions="pynn")
    with pytest.raises(Exception, match="negative|<= 0"):
        sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=2.0),
                       receptor_type="inhibitory")


def test_set_v_is_the_initial_potential_under_spinnaker_only():
    src, out = relay()
    out.set(v=-58.0)
    out[range(2, 3)].set(v=-59.0)                    # a view, selected as sPyNNaker does
    out.record("v")
    sim.run(2.0)
    v = np.asarray(out.get_data().segments[0].analogsignals[0])
    assert v[0, 0] == pytest.approx(-60.0 - (-60.0 + 58.0) * np.exp(-1.0 / 3.0))
    assert v[0, 2] == pytest.approx(-60.0 - (-60.0 + 59.0) * np.exp(-1.0 / 3.0))
    src, out = relay(conventions="pynn")
    with pytest.raises(NonExistentParameterError):
        out.set(v=-58.0)


def test_membrane_starts_at_minus_65_or_at_the_cell_types_v_under_spinnaker():
    # sPyNNaker 7's IF_curr_exp(..., v=-65.0) takes the initial potential; PyNN's does not
    for conventions, kwargs, v0 in (("spinnaker", {}, -65.0), ("pynn", {}, -65.0),
                                    ("spinnaker", {"v": -59.0}, -59.0)):
        sim.setup(timestep=1.0, conventions=conventions)
        out = sim.Population(1, sim.IF_curr_exp(**SLOW, **kwargs))
        out.record("v")
        sim.run(1.0)
        v = float(np.asarray(out.get_data().segments[0].analogsignals[0])[0, 0])
        assert v == pytest.approx(-60.0 - (-60.0 - v0) * np.exp(-1.0 / 3.0))
    sim.setup(timestep=1.0, conventions="pynn")
    with pytest.raises(NonExistentParameterError):
        sim.IF_curr_exp(v=-59.0)


def test_heterogeneous_parameters_and_views_and_assemblies():
    sim.setup(timestep=1.0)
    src = sim.Population(4, sim.SpikeSourceArray(spike_times=[[1.0]] * 4))
    out = sim.Population(4, sim.IF_curr_exp(**SLOW))
    out.set(v_thresh=[-57.0, -57.0, -10.0, -57.0])     # neuron 2 cannot fire
    both = src[0:2] + src[2:4]
    sim.Projection(both, out[range(0, 4)], sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=6.0))
    out.record("spikes")
    sim.run(5.0)
    assert spikes_of(out) == [(2.0, 0), (2.0, 1), (2.0, 3)]
    assert len(sim.network().populations) == 2


def test_poisson_source_is_seeded():
    def go(seed):
        sim.setup(timestep=1.0, seed=seed)
        p = sim.Population(5, sim.SpikeSourcePoisson(rate=100.0))
        p.record("spikes")
        sim.run(200.0)
        return spikes_of(p)
    a = go(1)
    assert a == go(1) != go(2)
    assert 50 < len(a) < 150


def test_get_data_and_recording_to_neo_give_the_same_spikes():
    src, out = relay()
    sim.Projection(src, out, sim.AllToAllConnector(), sim.StaticSynapse(weight=6.0))
    out.record("spikes")
    sim.run(20.0)
    from spikemem.pynn import simulator
    rec_block = simulator.state.engine.recording.to_neo(["out"])
    a = [np.asarray(st) for st in out.get_data().segments[0].spiketrains]
    b = [np.asarray(st) for st in rec_block.segments[0].spiketrains]
    assert len(a) == len(b) == 3
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("make", [
    lambda: sim.IF_cond_exp(), lambda: sim.Izhikevich(), lambda: sim.DCSource(amplitude=1.0),
    lambda: sim.TsodyksMarkramSynapse(), lambda: sim.GutigWeightDependence(),
    lambda: sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                              weight_dependence=sim.AdditiveWeightDependence(),
                              dendritic_delay_fraction=0.0),
])
def test_unsupported_models_are_refused_naming_what_to_use(make):
    sim.setup(timestep=1.0)
    with pytest.raises(UnsupportedFeature, match="spikemem"):
        make()


def test_unsupported_recordings_and_names_are_refused():
    src, out = relay()
    from pyNN.errors import RecordingError
    with pytest.raises(RecordingError, match="gsyn_exc"):
        out.record("gsyn_exc")
    with pytest.raises(UnsupportedFeature, match="IF_curr_exp"):
        sim.IF_curr_alpha()
    with pytest.raises(AttributeError):
        sim.no_such_thing


@pytest.mark.parametrize("kwargs, field", [
    ({"backend": "neuron"}, "backend"), ({"conventions": "nest"}, "conventions"),
    ({"timestep": -1.0}, "timestep"), ({"seed": -3}, "seed"),
])
def test_setup_rejects_bad_input(kwargs, field):
    with pytest.raises(ValidationError, match=field):
        sim.setup(**kwargs)


def test_bad_spike_times_and_excitatory_negative_weights_are_refused():
    from pyNN.errors import ConnectionError, InvalidParameterValueError
    sim.setup(timestep=1.0)
    with pytest.raises(InvalidParameterValueError):
        sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0], [3.0, 1.0]]))
    with pytest.raises(InvalidParameterValueError):
        sim.Population(1, sim.SpikeSourceArray(spike_times=[[3.0, 1.0]]))
    src, out = relay()
    with pytest.raises(ConnectionError):
        sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=-1.0),
                       receptor_type="excitatory")


def test_network_matches_the_ir_built_by_hand():
    src, out = relay()
    sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0))
    net = sim.network()
    (proj,) = net.projections
    np.testing.assert_array_equal(proj.pre_idx, [0, 1, 2])
    np.testing.assert_array_equal(proj.weight, [6.0] * 3)
    assert net["out"].celltype == sm.IF_curr_exp(**SLOW)


def test_spinnaker_mapping_hint_is_accepted_and_validated():
    sim.setup(timestep=1.0)
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 100)
    with pytest.raises(ValidationError, match="max_permitted"):
        sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 0)
    with pytest.raises(ValidationError, match="neuron_type"):
        sim.set_number_of_neurons_per_core("IF_curr_exp", 10)


def test_spike_counts_write_data_and_assembly_targets(tmp_path):
    src, out = relay()
    extra = sim.Population(2, sim.IF_curr_exp(**SLOW), label="extra")
    sim.Projection(src[0:1], out + extra, sim.AllToAllConnector(), sim.StaticSynapse(weight=6.0))
    (out + extra).record("spikes")
    sim.run(12.0)
    assert dict(out.get_spike_counts()) == {out[0]: 2, out[1]: 2, out[2]: 2}
    assert dict(extra.get_spike_counts()) == {extra[0]: 2, extra[1]: 2}
    out.write_data(str(tmp_path / "out.pkl"))
    from neo.io import PickleIO
    block = PickleIO(str(tmp_path / "out.pkl")).read_block()
    assert sum(len(st) for st in block.segments[0].spiketrains) == 6


def test_changing_a_delay_between_runs_rebuilds_and_keeps_weights():
    sim.setup(timestep=1.0)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[[1.0, 11.0]]))
    post = sim.Population(1, sim.IF_curr_exp(**SLOW))
    prj = sim.Projection(pre, post, sim.OneToOneConnector(),
                         sim.StaticSynapse(weight=6.0, delay=1.0))
    post.record("spikes")
    sim.run(8.0)
    prj.set(delay=3.0)
    sim.run(12.0)
    assert spikes_of(post) == [(2.0, 0), (14.0, 0)]
    assert prj.get(["weight", "delay"], format="list") == [(0, 0, 6.0, 3.0)]


def test_delays_are_rounded_to_steps_with_a_warning():
    sim.setup(timestep=1.0)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[[1.0]]))
    post = sim.Population(1, sim.IF_curr_exp(**SLOW))
    sim.Projection(pre, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0, delay=2.4))
    with pytest.warns(UserWarning, match="2.4 ms -> 2.0 ms"):
        net = sim.network()
    assert net.projections[0].delay.tolist() == [2.0]
    assert sim.simulator.state.engine is None       # network() alone builds no engine


def test_v_recorded_from_a_later_run_keeps_its_time_axis():
    src, out = relay()
    sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0))
    out.record("spikes")
    sim.run(5.0)
    out.record("v")
    sim.run(5.0)
    (sig,) = out.get_data().segments[0].analogsignals
    v = np.asarray(sig)
    assert v.shape == (10, 3) and float(sig.t_start) == 0.0
    assert np.all(np.isnan(v[:5])) and np.all(np.isfinite(v[5:]))
    assert spikes_of(out) == [(2.0, 0), (4.0, 1), (6.0, 2)]


def test_an_empty_plastic_projection_builds_and_runs():
    sim.setup(timestep=1.0)
    pre = sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0], [2.0]]))
    post = sim.Population(2, sim.IF_curr_exp(**SLOW))
    stdp = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                             weight_dependence=sim.AdditiveWeightDependence(), weight=0.5)
    prj = sim.Projection(pre, post, sim.FromListConnector([]), stdp)
    sim.run(5.0)
    assert len(prj) == 0 and prj.get("weight", format="list") == []


@pytest.mark.parametrize("make, field", [
    (lambda: sim.Population(2, sim.IF_curr_exp(tau_m=-1.0)), "tau_m"),
    (lambda: sim.Population(2, sim.IF_curr_exp(v_reset=-40.0, v_thresh=-50.0)), "v_reset"),
    (lambda: sim.Population(2, sim.SpikeSourcePoisson(rate=5000.0)), "rate"),
])
def test_bad_cell_parameters_are_refused_when_set_naming_the_population(make, field):
    sim.setup(timestep=1.0)
    with pytest.raises(ValidationError, match=f"population.*{field}"):
        make()
    ok = sim.Population(2, sim.IF_curr_exp(), label="ok")
    with pytest.raises(ValidationError, match="'ok'.*cm"):
        ok.set(cm=0.0)


def test_receptor_guess_onto_an_assembly_follows_the_weight_sign():
    # PyNN guesses from the order of an Assembly's receptor types, a set in random order
    src, out = relay()
    extra = sim.Population(2, sim.IF_curr_exp(**SLOW))
    for w, receptor in ((6.0, "excitatory"), (-6.0, "inhibitory")):
        prj = sim.Projection(src, out + extra, sim.AllToAllConnector(),
                             sim.StaticSynapse(weight=w))
        assert prj.receptor_type == receptor


def test_cli_info_shows_the_pynn_front_end_and_its_version():
    import subprocess
    import sys

    import pyNN
    out = subprocess.run([sys.executable, "-m", "spikemem.cli", "info"], capture_output=True,
                         text=True, check=True).stdout
    assert f"front end spikemem.pynn (PyNN {pyNN.__version__})" in out


def test_two_spikes_of_one_source_neuron_in_one_step_are_refused():
    from pyNN.errors import InvalidParameterValueError
    sim.setup(timestep=1.0)
    with pytest.raises(InvalidParameterValueError, match="1.0 and 1.3 ms"):
        sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0, 1.3], [2.0]]))
    sim.setup(timestep=0.1)
    sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0, 1.3], [2.0]]))


def test_data_stay_readable_after_end_and_record_to_file_is_written(tmp_path):
    src, out = relay()
    sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0))
    sim.record("spikes", out, str(tmp_path / "spikes.pkl"))
    sim.run(10.0)
    sim.end()
    assert spikes_of(out) == [(2.0, 0), (4.0, 1), (6.0, 2)]
    from neo.io import PickleIO
    block = PickleIO(str(tmp_path / "spikes.pkl")).read_block()
    assert sum(len(st) for st in block.segments[0].spiketrains) == 3


def test_run_until_run_for_and_initialize():
    src, out = relay()
    sim.Projection(src, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0))
    sim.initialize(out, v=-58.0)
    out[1:2].initialize(v=sim.RandomDistribution("uniform", (-59.0, -59.0),
                                                 rng=sim.NumpyRNG(seed=1)))
    out.record(["spikes", "v"])
    assert sim.run_until(4.0) == 4.0
    assert sim.run_for(3.0) == 7.0
    sim.run_until(20.0)
    assert sim.get_current_time() == 20.0
    v = np.asarray(out.get_data().segments[0].analogsignals[0])
    decay = np.exp(-1.0 / 3.0)
    np.testing.assert_allclose(v[0], [-60.0 + 2.0 * decay, -60.0 + 1.0 * decay,
                                      -60.0 + 2.0 * decay])
    assert spikes_of(out) == [(2.0, 0), (4.0, 1), (6.0, 2), (10.0, 0), (13.0, 2)]
    with pytest.raises(ValueError, match="past"):
        sim.run_until(10.0)
