"""What is specific to the Numba engine: determinism of long seeded runs and continuation.

The hand-computed neuron and STDP behaviour every backend shares is in test_backend_spec.py.
"""
import numpy as np
import pytest

import spikemem as sm

CA3_SLOW = dict(cm=0.27, tau_m=3.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3,
                v_rest=-60.0, v_reset=-60.0, v_thresh=-57.0)


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


def test_unknown_backend_name_is_rejected():
    with pytest.raises(sm.ValidationError, match="backend"):
        sm.build(_poisson_net(0), backend="neuron")
