"""Loihi resource and energy estimates against hand-computed values."""
from __future__ import annotations

import math

import numpy as np
import pytest

import spikemem as sm
from spikemem.hardware import estimate, synaptic_events
from spikemem.hardware.energy import loihi_resources


def _net():
    net = sm.Network(dt=1.0)
    big = net.add(sm.Population(2500, sm.IF_curr_exp(), label="big"))
    small = net.add(sm.Population(100, sm.IF_curr_exp(), label="small"))
    src = net.add(sm.SpikeSourceArray(size=100, label="in"))
    net.add(sm.Projection(src, small, sm.AllToAll(), sm.StaticSynapse(weight=1.0), label="dense"))
    net.add(sm.Projection(small, small, sm.FromList([0, 0, 1], [1, 2, 2]),
                          sm.StaticSynapse(weight=1.0, delay=3.0), label="sparse"))
    net.add(sm.Projection(small, big, sm.FromList([5], [7]),
                          sm.StaticSynapse(weight=1.0), label="one"))
    return net


def test_cores_follow_1024_compartments_per_core_and_synapse_memory():
    res = loihi_resources(_net())
    assert res["populations"]["big"]["cores"] == 3               # ceil(2500 / 1024)
    small = res["populations"]["small"]
    # dense: 100 rows of 100 synapses, 8 weight + 0 delay + 7 index bits (100 compartments):
    # ceil((100 * 15 + 10) / 64) = 24 words per row; sparse: delay 3 -> 2 delay bits,
    # rows of 2 and 1 synapses: ceil((2 * 17 + 10) / 64) = ceil((17 + 10) / 64) = 1 word each
    assert small["synapse_bits"] == 100 * 24 * 64 + 2 * 64
    assert small["in_axons"] == 102 and small["cores"] == 1
    assert res["cores"] == 4 and res["chips"] == 1
    assert res["synapses"] == 100 * 100 + 3 + 1


def test_synapse_memory_beyond_one_core_takes_more_cores():
    net = sm.Network(dt=1.0)
    p = net.add(sm.Population(1000, sm.IF_curr_exp(), label="p"))
    net.add(sm.Projection(p, p, sm.AllToAll(), sm.StaticSynapse(weight=1.0)))
    res = loihi_resources(net)
    bits = 1000 * math.ceil((1000 * (8 + 10) + 10) / 64) * 64
    assert res["populations"]["p"]["synapse_bits"] == bits
    # 1000 x 1000 x 18 bits = 18 Mbit over 1 Mbit per core
    assert res["populations"]["p"]["cores"] == math.ceil(bits / (16384 * 64)) == 18


def test_energy_is_23_6_pJ_per_synaptic_event_plus_52_pJ_per_neuron_update():
    net = _net()
    rec = sm.Recording(1.0, {"big": 2500, "small": 100, "in": 100})
    rec.add_spikes("in", np.array([1.0, 2.0, 2.0]), np.array([3, 3, 4]))
    rec.add_spikes("small", np.array([4.0, 5.0, 6.0]), np.array([0, 5, 9]))
    rec.t_stop = 10.0
    events = synaptic_events(net, rec)
    # 3 input spikes x 100 targets; small neuron 0 has 2 sparse synapses, 5 has 1 to big
    assert events == {"dense": 300, "sparse": 2, "one": 1}
    est = estimate(net, "loihi", rec)
    assert est["neuron_updates"] == 2600 * 10
    assert est["energy_J"] == pytest.approx(303 * 23.6e-12 + 26000 * 52e-12)


def test_unknown_platform_and_missing_spikes_are_reported():
    net = _net()
    with pytest.raises(sm.ValidationError, match="platform"):
        estimate(net, "truenorth")
    rec = sm.Recording(1.0, {"big": 2500})
    with pytest.raises(sm.ValidationError, match="no spikes of 'in'"):
        synaptic_events(net, rec)
