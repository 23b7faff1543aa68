"""spikemem.pynn against pyNN.brian2, the peer PyNN backend: the same script creates the same
connections (every connector, seeded) and the same parameters. (Nothing is run: Brian2's
continuous-time integration is not the chip's, see reference/ca3_cam.md.)"""
import warnings

import numpy as np
import pytest

import spikemem.pynn


def script(sim):
    sim.setup(timestep=1.0)
    src = sim.Population(6, sim.SpikeSourceArray(
        spike_times=[[1.0, 4.0], [2.0], [], [5.0], [3.0, 7.0], [9.0]]), label="src")
    cells = sim.Population(5, sim.IF_curr_exp(tau_m=3.0, cm=0.5), label="cells")
    rng = sim.NumpyRNG(seed=4)
    out = {}
    connectors = {
        "fixed_probability": sim.FixedProbabilityConnector(0.4, rng=rng),
        "fixed_number_pre": sim.FixedNumberPreConnector(2, rng=rng),
        "fixed_number_post": sim.FixedNumberPostConnector(3, rng=rng),
        "all_to_all_no_self": sim.AllToAllConnector(allow_self_connections=False),
        "array": sim.ArrayConnector(np.eye(6, 5, dtype=bool)),
        "from_list": sim.FromListConnector([(0, 4, 0.1, 3.0), (5, 0, 0.2, 1.0)]),
        "one_to_one_view": sim.OneToOneConnector(),
        "distance_dependent": sim.DistanceDependentProbabilityConnector("exp(-d)", rng=rng),
        "fixed_total": sim.FixedTotalNumberConnector(7, rng=rng),
    }
    for name, conn in connectors.items():
        pre = src[1:6] if name == "one_to_one_view" else src
        prj = sim.Projection(pre, cells, conn, sim.StaticSynapse(weight=0.5, delay=2.0),
                             receptor_type="excitatory")
        out[name] = sorted(prj.get(["weight", "delay"], format="list"))
    out["parameters"] = [float(np.mean(x)) for x in cells.get(["tau_m", "cm", "v_thresh"])]
    sim.end()
    return out


@pytest.mark.brian2
def test_same_connections_and_parameters_as_pynn_brian2():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyNN.brian2
        peer = script(pyNN.brian2)
    ours = script(spikemem.pynn)
    assert set(ours) == set(peer)
    for key in ours:
        assert ours[key] == peer[key], key
    assert len(ours["fixed_probability"]) > 0
