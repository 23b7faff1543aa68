"""The same PyNN script gives the same spikes on the numba, brian2 and nengo backends."""
import numpy as np
import pytest

import spikemem.pynn as sim

SLOW = dict(cm=0.27, tau_m=3.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3, v_rest=-60.0,
            v_reset=-60.0, v_thresh=-57.0, i_offset=0.0)


def script(backend):
    """Poisson drive, random connectivity, inhibition and STDP, run in two chunks with a
    parameter change (and so a rebuild) between them."""
    sim.setup(timestep=1.0, backend=backend, seed=3)
    noise = sim.Population(6, sim.SpikeSourcePoisson(rate=80.0), label="noise")
    cue = sim.Population(2, sim.SpikeSourceArray(spike_times=[[2.0, 30.0], [7.0]]), label="cue")
    exc = sim.Population(8, sim.IF_curr_exp(**SLOW), label="exc")
    inh = sim.Population(3, sim.IF_curr_exp(**dict(SLOW, cm=0.14, tau_m=0.5)), label="inh")
    rng = sim.NumpyRNG(seed=11)
    sim.Projection(noise, exc, sim.FixedProbabilityConnector(0.5, rng=rng),
                   sim.StaticSynapse(weight=3.5, delay=1.0))
    sim.Projection(cue, exc, sim.AllToAllConnector(), sim.StaticSynapse(weight=6.0, delay=2.0))
    sim.Projection(exc, inh, sim.FixedNumberPreConnector(3, rng=rng),
                   sim.StaticSynapse(weight=4.0, delay=1.0))
    sim.Projection(inh, exc, sim.AllToAllConnector(), sim.StaticSynapse(weight=2.0, delay=1.0),
                   receptor_type="inhibitory")
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=3.0, tau_minus=3.0, A_plus=1.0,
                                            A_minus=1.0),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=6.0),
        weight=1.0, delay=1.0)
    plastic = sim.Projection(exc, exc, sim.AllToAllConnector(allow_self_connections=False),
                             stdp)
    exc.record("spikes")
    sim.run(25.0)
    inh.set(tau_m=0.6)              # a structural change: rebuilt, state carried over
    sim.run(25.0)
    trains = exc.get_data().segments[0].spiketrains
    spikes = sorted((float(t), int(st.annotations["source_index"]))
                    for st in trains for t in st.magnitude)
    weights = plastic.get("weight", format="array")
    sim.end()
    return spikes, weights


@pytest.mark.brian2
def test_same_script_same_spikes_and_weights_on_every_backend():
    reference = script("numba")
    assert len(reference[0]) > 20
    for backend in ("brian2", "nengo"):
        spikes, weights = script(backend)
        assert spikes == reference[0], backend
        np.testing.assert_allclose(weights, reference[1], rtol=1e-9, err_msg=backend)
