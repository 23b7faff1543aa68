"""Loading weights into a running simulation is validated the same way on every backend."""
import numpy as np
import pytest

import spikemem as sm


def _net():
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(3, sm.IF_curr_exp(), label="a"))
    b = net.add(sm.Population(3, sm.IF_curr_exp(), label="b"))
    net.add(sm.Projection(a, b, sm.OneToOne(), sm.StaticSynapse(1.0), label="static"))
    net.add(sm.Projection(a, b, sm.AllToAll(), sm.STDP(w_min=0.5, w_max=2.0, weight=1.0),
                          label="plastic"))
    return net


def test_set_weights_round_trips_and_rejects_bad_values_naming_the_projection(backend):
    sim = sm.build(_net(), backend=backend)
    sim.set_weights("plastic", np.linspace(0.5, 2.0, 9))
    np.testing.assert_array_equal(sim.weights("plastic"), np.linspace(0.5, 2.0, 9))
    sim.set_weights("static", [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(sim.weights("static"), [3.0, 4.0, 5.0])
    with pytest.raises(sm.ValidationError, match=r"'plastic'.*\[w_min, w_max\]"):
        sim.set_weights("plastic", np.full(9, 2.5))
    with pytest.raises(sm.ValidationError, match=r"'static'.*shape \(3,\)"):
        sim.set_weights("static", [1.0, 2.0])
    with pytest.raises(sm.ValidationError, match="finite"):
        sim.set_weights("static", [1.0, np.nan, 2.0])
    with pytest.raises(sm.ValidationError, match="component"):
        sim.set_weights("static", [1.0, 1.0, 1.0], component="slow")
