"""The Loihi fixed-point mode against nengo-loihi 1.1's bit-accurate emulator, spike for spike.

The quantised network is built as nengo-loihi LoihiBlocks (integer compartments, synapses,
axons, spike inputs) and stepped by ``nengo_loihi.emulator.EmulatorInterface``; delays the
emulator lacks are built from relay compartments (hardware/loihi_emulator.py).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import spikemem as sm
from spikemem.backends.numba.fixed_point import LoihiFixedPointSimulator
from spikemem.hardware import run_nengo_loihi_emulator, to_loihi
from spikemem.hardware.loihi import LoihiNetwork, LoihiPopulation, LoihiProjection

pytest.importorskip("nengo_loihi")


def _random_net(seed: int, max_delay: int) -> sm.Network:
    rng = np.random.default_rng(seed)
    net = sm.Network(dt=1.0, label=f"random{seed}")
    pops = []
    for k in range(3):
        tau_syn = float(rng.uniform(0.3, 6.0))
        v_rest = -65.0
        cell = sm.IF_curr_exp(cm=float(rng.uniform(0.2, 1.0)), tau_m=float(rng.uniform(2.0, 20.0)),
                              tau_refrac=float(rng.integers(0, 4)), tau_syn_E=tau_syn,
                              tau_syn_I=tau_syn, v_rest=v_rest,
                              v_reset=float(v_rest - rng.uniform(0.0, 8.0)),
                              v_thresh=float(v_rest + rng.uniform(3.0, 15.0)),
                              i_offset=float(rng.uniform(-0.1, 0.3)))
        size = int(rng.integers(5, 12))
        pops.append(net.add(sm.Population(
            size, cell, label=f"p{k}", record=("spikes", "v"),
            initial_v=rng.uniform(cell.v_reset, cell.v_thresh, size))))
    src = net.add(sm.SpikeSourcePoisson(12, rate=150.0, seed=seed + 10, label="in"))
    arr = net.add(sm.SpikeSourceArray(times=[5.0, 5.0, 17.0], ids=[0, 0, 1], size=2, label="arr"))

    def proj(pre, post, receptor, w, p):
        delays = rng.integers(1, max_delay + 1, pre.size * post.size).astype(float)
        pre_i, post_i = np.divmod(np.arange(pre.size * post.size), post.size)
        keep = rng.random(pre_i.size) < p
        net.add(sm.Projection(pre, post, sm.FromList(pre_i[keep], post_i[keep],
                                                     rng.uniform(0.2, w, keep.sum()),
                                                     delays[keep]),
                              receptor=receptor))

    proj(src, pops[0], "excitatory", 3.0, 0.5)
    proj(arr, pops[1], "excitatory", 6.0, 1.0)
    proj(pops[0], pops[1], "excitatory", 2.5, 0.6)
    proj(pops[1], pops[2], "excitatory", 2.5, 0.6)
    proj(pops[2], pops[0], "inhibitory", 2.0, 0.5)
    proj(pops[1], pops[1], "inhibitory", 1.0, 0.3)
    proj(src[6:], pops[2], "excitatory", 2.0, 0.4)
    return net


def _assert_same(rec_a, rec_b, labels):
    for label in labels:
        t_a, i_a = rec_a.spikes(label)
        t_b, i_b = rec_b.spikes(label)
        assert np.array_equal(t_a, t_b) and np.array_equal(i_a, i_b), label


def _run_both(loihi: LoihiNetwork, duration: float):
    sim = LoihiFixedPointSimulator(loihi)
    sim.run(duration)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # nengo-loihi's version / dtype warnings
        emu = run_nengo_loihi_emulator(loihi, duration)
    return sim, emu


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fixed_point_mode_reproduces_nengo_loihi_emulator_spike_for_spike(seed):
    net = _random_net(seed, max_delay=1)
    sim, emu = _run_both(to_loihi(net), 300.0)
    labels = ["p0", "p1", "p2", "in", "arr"]
    _assert_same(sim.recording, emu, labels)
    for label in ("p0", "p1", "p2"):
        assert sim.recording.spike_counts(label).sum() > 20, label
        assert np.array_equal(sim.recording.v(label)[1], emu.v(label)[1])


@pytest.mark.parametrize("seed", [3, 4])
def test_fixed_point_delays_match_the_emulator_with_relay_compartments(seed):
    net = _random_net(seed, max_delay=4)
    sim, emu = _run_both(to_loihi(net), 200.0)
    _assert_same(sim.recording, emu, ["p0", "p1", "p2"])
    assert min(sim.recording.spike_counts(p).sum() for p in ("p0", "p1", "p2")) > 10


def test_wrap_around_of_the_synaptic_input_matches_the_emulator():
    # a hand-made quantised network whose summed input exceeds 21 bits + sign: both the
    # fixed-point mode and the emulator wrap it the same way
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(2, sm.IF_curr_exp(), label="a", record=("spikes", "v")))
    src = net.add(sm.SpikeSourceArray([list(np.arange(1.0, 40.0, 3.0))] * 10, label="in"))
    net.add(sm.Projection(src, a, sm.AllToAll(), label="big"))
    pop = LoihiPopulation(label="a", size=2, du=4000, dv=3000, vth_mant=2 ** 17 - 1,
                          bias_mant=0, bias_exp=0, refract_delay=1,
                          v_init=np.zeros(2, np.int64), v_scale=1000.0, v_offset=-65.0)
    proj = net["big"]
    big = LoihiProjection(label="big", pre="in", post="a", pre_idx=proj.pre_idx,
                          post_idx=proj.post_idx, weight_mant=np.full(20, 255, np.int64),
                          weight_exp=7, sign=1, delay=np.ones(20, np.int64), unit_nA=1.0)
    lo = LoihiNetwork(net, [pop], [big], report=None)
    with pytest.warns(RuntimeWarning, match="overflow"):
        sim, emu = _run_both(lo, 40.0)
    assert sim.overflows["q"] > 0
    assert np.array_equal(sim.recording.v("a")[1], emu.v("a")[1])
    _assert_same(sim.recording, emu, ["a"])
