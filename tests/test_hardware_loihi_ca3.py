"""The CA3 memory on Loihi: learned weights exported, recall run in fixed point and on the emulator.

Learning runs on the float engine (Loihi's learning engine does not follow the IR's STDP
timing, see hardware/loihi_learning.py); the learned network is quantised with `to_loihi`
and recall by cue and by fragment must still return the stored memories. The synaptic
current with tau_syn = 0.3 ms at dt = 1 ms is representable: Loihi's u decays by
146/4096 per step (du = 3949) where the IR's decays by exp(-1/0.3) = 0.0357.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import spikemem as sm
from spikemem.hardware import run_nengo_loihi_emulator, to_loihi
from spikemem.models import ca3_cam as ca3


MEMORIES = {0: [0, 1, 2, 9], 1: [3, 4, 5], 2: [6, 7, 8], 3: [1, 5, 7]}


def _expected_by_fragment(bit):
    return {c: bits for c, bits in MEMORIES.items() if bit in bits}


@pytest.fixture(scope="module")
def loihi_memory():
    mem = ca3.CA3Memory(cues=5, bits=10, backend="numba", progress=False)
    for cue, bits in MEMORIES.items():
        mem.learn(cue, bits)
    learned = {label: mem.sim.weights(label)
               for label in (ca3.CUE_TO_CONTENT, ca3.CONTENT_TO_CUE)}
    loihi = to_loihi(mem.network, weights=learned)
    mem.sim = sm.build(mem.network, backend="loihi-fixed", loihi=loihi)
    return mem, loihi


def test_ca3_synaptic_decay_is_representable_on_loihi(loihi_memory):
    _, loihi = loihi_memory
    for pop in loihi.populations:
        assert pop.du == 3949
        rep = loihi.report.populations[pop.label]
        assert rep["decay_u"]["abs_error"] < 0.5 / 4096


def test_quantised_ca3_memory_recalls_every_memory_by_cue(loihi_memory):
    mem, _ = loihi_memory
    for cue, bits in MEMORIES.items():
        assert mem.recall(cue=cue) == {cue: bits}
    assert mem.recall(cue=4) == {}                     # never learned


@pytest.mark.parametrize("bit", [4, 7, 9])
def test_quantised_ca3_memory_recalls_every_memory_holding_a_fragment_bit(loihi_memory, bit):
    mem, _ = loihi_memory
    assert mem.recall(fragment=[bit]) == _expected_by_fragment(bit)


def test_quantised_ca3_recall_session_is_spike_for_spike_the_emulators(loihi_memory):
    mem, loihi = loihi_memory
    mem.recall(cue=2)
    mem.recall(fragment=[1])
    rec = mem.recording
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        emu = run_nengo_loihi_emulator(loihi, mem.sim.t, extra_spikes={"IN": rec.spikes("IN")})
    for pop in loihi.populations:
        t_x, i_x = rec.spikes(pop.label)
        t_e, i_e = emu.spikes(pop.label)
        assert np.array_equal(t_x, t_e) and np.array_equal(i_x, i_e), pop.label
    assert rec.spike_counts("OUT").sum() > 10
    assert mem.sim.overflows == {"q": 0, "u": 0, "u+bias": 0}
