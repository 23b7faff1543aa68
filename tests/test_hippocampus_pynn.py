"""Spike-exactness of the native hippocampus models against sPyMem's own code.

sPyMem 0.0.9's ``ca3``, ``hippocampus_with_forgetting`` (with sPyBlocks 0.0.1) and
``hippocampus_bioinspired_dg_ca1`` run unmodified on the PyNN front end `spikemem.pynn`; the
native models of `spikemem.models.hippocampus` run the same IN spikes. Every population (each
sPyBlocks gate mapped to its neuron in the native gate population) must fire at the same steps,
and the learned CA3cue -> CA3cont weights must be equal.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("sPyMem")
pytest.importorskip("sPyBlocks")
sim = pytest.importorskip("spikemem.pynn")

import spikemem as sm  # noqa: E402
from spikemem.models.hippocampus import SESSIONS, Operation, build_network  # noqa: E402

# PyNN 0.13's own connector code, not ours
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pyNN.connectors")

OUT_CELL = dict(cm=0.27, i_offset=0.0, tau_m=3.0, tau_refrac=1.0, tau_syn_E=0.3,
                tau_syn_I=0.3, v_reset=-60.0, v_rest=-60.0, v_thresh=-57.5)


def _spymem_groups(kind, cues, bits, inp, out):
    """Build sPyMem's model `kind` on `sim`; return {native label: [PyNN populations]} (one
    population per native neuron for sPyBlocks gates, else one population) and the
    plastic projection."""
    if kind == "ca3":
        from sPyMem.ca3 import CA3
        mem = CA3.Memory(cues, bits, sim)
        mem.connect_in(inp)
        mem.connect_out(out)
        groups = {"CA3cue": [mem.CA3cueLayer], "CA3cont": [mem.CA3contLayer]}
    elif kind == "bioinspired":
        from sPyMem.hippocampus_bioinspired_dg_ca1 import hippocampus_bioinspired_dg_ca1 as m
        mem = m.Memory(cues, bits, sim)
        mem.connect_in(inp)
        mem.connect_out(out)
        groups = {"DG": [mem.DG.DGLayer], "CA3cue": [mem.CA3cueLayer],
                  "CA3cont": [mem.CA3contLayer], "CA1": [mem.CA1.CA1Layer]}
    else:
        from sPyMem.hippocampus_with_forgetting import hippocampus_with_forgetting as m
        mem = m.Memory(cues, bits, sim, inp, out)
        dg, css = mem.DGLayer, mem.constant_spike_source
        groups = {
            "CSS_set": [css.set_source], "CSS_latch": [css.latch.output_neuron],
            "DG_NOT": [g.output_neuron for g in dg.not_gates.not_array],
            "DG_OR": [g.or_gate.output_neuron for g in dg.and_gates.and_array],
            "DG_AND": [g.output_neuron for g in dg.and_gates.and_array],
            "CA3cue": [mem.CA3cueLayer], "CA3cont": [mem.CA3contLayer],
            "CA1_OR": [g.output_neuron for g in mem.CA1Layer.or_gates.or_array]}
    groups["OUT"] = [out]
    return groups, mem.CA3cueL_CA3contL_conn


def _steps_of(pops):
    """Sorted (step, native index) of a list of PyNN populations laid end to end."""
    events, base = [], 0
    for pop in pops:
        for st in pop.get_data("spikes").segments[-1].spiketrains:
            idx = base + int(st.annotations["source_index"])
            events += [(int(round(float(t))), idx) for t in st.magnitude]
        base += pop.size
    return sorted(events)


def run_spymem(kind, cues, bits, in_times, in_ids, duration):
    """sPyMem's model on spikemem.pynn, fed IN spikes; ({label: events}, weights)."""
    width = cues if kind == "ca3" else math.ceil(math.log2(cues + 1))
    n_in = width + bits
    sim.setup(timestep=1.0)
    trains = [sorted(float(t) for t, i in zip(in_times, in_ids) if i == k) for k in range(n_in)]
    inp = sim.Population(n_in, sim.SpikeSourceArray(spike_times=trains), label="ILayer")
    out = sim.Population(n_in, sim.IF_curr_exp(**OUT_CELL), label="OLayer")
    out.set(v=-60)
    groups, plastic = _spymem_groups(kind, cues, bits, inp, out)
    for pops in groups.values():
        for p in pops:
            p.record("spikes")
    sim.run(duration)
    spikes = {label: _steps_of(pops) for label, pops in groups.items()}
    weights = np.asarray(plastic.get("weight", format="array"), float)
    sim.end()
    return spikes, weights


def run_native(kind, cues, bits, ops):
    mem = SESSIONS[kind](cues, bits, progress=False)
    mem.run(ops, gap=0)
    rec = mem.recording
    spikes = {}
    for label in mem.layout.populations:
        t, i = rec.spikes(label)
        spikes[label] = sorted(zip((t / mem.dt).round().astype(int).tolist(), i.tolist()))
    in_t, in_i = rec.spikes("IN")
    return mem, spikes, in_t, in_i


def random_ops(rng, cues, bits, n):
    """Learns (random content, relearning = forgetting) and recalls by cue, in random order."""
    ops = []
    for _ in range(n):
        cue = int(rng.integers(cues))
        if rng.random() < 0.5:
            k = int(rng.integers(1, bits + 1))
            ops.append(Operation.learn(cue, sorted(rng.choice(bits, k, replace=False).tolist())))
        else:
            ops.append(Operation.recall_cue(cue))
    return ops


def _assert_same(kind, cues, bits, ops):
    mem, native, in_t, in_i = run_native(kind, cues, bits, ops)
    ref, w = run_spymem(kind, cues, bits, in_t, in_i, mem.t)
    assert set(ref) <= set(native)
    for label, events in ref.items():
        assert native[label] == events, f"{kind} {label}"
    assert len(ref["CA3cont"]) > 0 and len(ref["OUT"]) > 0
    np.testing.assert_array_equal(mem.weights(), np.nan_to_num(w))
    return mem


SPYMEM_TEST_SCRIPT = [   # sPyMem's tests/test_*.py experiment 3 (cue codes 5, 4, 3 = cues 4..2)
    Operation.learn(4, [7, 8, 9]), Operation.learn(3, [6, 7, 8]), Operation.learn(2, [5, 6, 7]),
    Operation.recall_cue(4), Operation.recall_cue(3), Operation.learn(3, [0, 1, 5, 6, 7]),
    Operation.learn(2, [0, 1, 8, 9]), Operation.recall_cue(3), Operation.recall_cue(2)]


@pytest.mark.parametrize("kind", tuple(SESSIONS))
def test_native_model_fires_exactly_like_spymem_on_its_test_script(kind):
    mem = _assert_same(kind, 5, 10, SPYMEM_TEST_SCRIPT)
    assert mem.recall(cue=2) == {2: [0, 1, 8, 9]}


@pytest.mark.parametrize("kind", tuple(SESSIONS))
@pytest.mark.parametrize("seed, cues, bits", [
    (1, 3, 4),      # every 2-bit code in use
    (2, 7, 6),      # every 3-bit code in use
    (3, 1, 3),      # one cue: a 1-bit decoder, the OR -> AND inhibition weighs 0
    (4, 9, 5),      # 4-bit codes, 6 of 15 unused
    (5, 63, 50)])   # 6-bit codes, 64 AND gates
def test_native_model_fires_exactly_like_spymem_on_random_operations(kind, seed, cues, bits):
    rng = np.random.default_rng(seed)
    _assert_same(kind, cues, bits, random_ops(rng, cues, bits, 12))


# sPyMem's test scripts' input spikes verbatim (cue part, then 10 content neurons; 5 cues):
# tests/test_CA3.py and tests/test_hippocampus_bioinspired_dg_ca1.py experiments 1 and 2,
# tests/test_hippocampus_with_forgetting.py (the forgetting model's only script).
_CONT_1 = [[0, 1, 2]] * 3 + [[]] * 6 + [[0, 1, 2]]
_CONT_2 = [[0, 1, 2], [0, 1, 2], [0, 1, 2, 20, 21, 22], [20, 21, 22], [], [], [], [],
           [20, 21, 22], [0, 1, 2]]
SCRIPTS = [
    ("ca3", [[0, 1, 2, 10], [], [], [], []] + _CONT_1, 20),
    ("ca3", [[0, 1, 2, 10, 20, 21, 22, 30], [], [], [], []] + _CONT_2, 40),
    ("bioinspired", [[0, 1, 2, 10], [], []] + _CONT_1, 20),
    ("bioinspired", [[0, 1, 2, 10, 20, 21, 22, 30], [], []] + _CONT_2, 40),
    ("forgetting", [[1, 2, 3, 12], [], []] + [[t + 1 for t in n] for n in _CONT_1], 25),
]


@pytest.mark.parametrize("kind, trains, duration", SCRIPTS)
def test_native_network_fires_like_spymem_on_spymem_test_script_inputs(kind, trains, duration):
    net, lay = build_network(kind, 5, 10)
    native = sm.build(net, seed=0, progress=False)
    times = [float(t) for train in trains for t in train]
    ids = [i for i, train in enumerate(trains) for _ in train]
    native.add_spikes("IN", times, ids)
    native.run(float(duration))
    ref, w = run_spymem(kind, 5, 10, times, ids, float(duration))
    for label, events in ref.items():
        t, i = native.recording.spikes(label)
        assert sorted(zip(t.round().astype(int).tolist(), i.tolist())) == events, label
    np.testing.assert_array_equal(native.weights("CA3cue-CA3cont").reshape(5, 10),
                                  np.nan_to_num(w))
    # the stored memory (cue 0 = code 1 / one-hot 0) comes back on OUT
    assert len(ref["OUT"]) > 0 and w.max() == 6.0
