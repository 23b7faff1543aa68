"""Brian2 backend: its devices and code generation targets, and what it rejects.

The hand-computed neuron and STDP behaviour every backend shares is in test_backend_spec.py.
"""
from __future__ import annotations

import numpy as np
import pytest

import spikemem as sm
from spikemem.backends import available
from spikemem.errors import UnsupportedFeature, ValidationError
from test_backend_spec import STDP_RULE, _stdp_pair_net

pytestmark = [pytest.mark.brian2,
              pytest.mark.skipif("brian2" not in available(), reason="Brian2 is not installed")]


def _build(net, **options):
    return sm.build(net, backend="brian2", progress=False, **options)


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


@pytest.mark.slow
def test_cpp_standalone_adds_poisson_drives_as_the_numba_engine_does(tmp_path):
    net = _small_plastic_net()
    pop = net["other"]
    net.add(sm.PoissonInput(pop, n_inputs=300, rate=20.0, weight=0.2, seed=3))
    net.add(sm.PoissonInput(pop[1:], n_inputs=100, rate=20.0, weight=0.3, seed=4,
                            receptor="inhibitory", start=5.0, duration=10.0))
    sim = _build(net, device="cpp_standalone", build_dir=str(tmp_path / "standalone"))
    sim.run(25.0)
    _assert_same_as_numba(sim, net, 25.0)


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




def test_cpp_standalone_refuses_drive_tables_beyond_memory_before_compiling(tmp_path):
    from spikemem.resources import ResourceError
    net = sm.Network(dt=0.1)
    pop = net.add(sm.Population(1000, sm.IF_curr_exp(), label="p"))
    net.add(sm.PoissonInput(pop, n_inputs=100, rate=8.0, weight=0.1, seed=0, label="bg"))
    sim = sm.build(net, backend="brian2", device="cpp_standalone", progress=False,
                   build_dir=str(tmp_path / "sa"), max_memory=40 * 2 ** 20)
    with pytest.raises(ResourceError, match="drive input tables 76.3 MiB"):
        sim.run(1000.0)                           # 10 000 steps x 1000 neurons x 8 B
    assert not (tmp_path / "sa").exists()
