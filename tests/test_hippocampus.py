"""sPyMem's three hippocampus memories built natively: structure from sPyMem's / sPyBlocks'
code, spike times derived by hand from the published delays, and sPyMem's documented timing.

The spike-exact comparison with sPyMem's own code on the PyNN front end lives in
tests/test_hippocampus_pynn.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from spikemem.errors import UnsupportedFeature, ValidationError
from spikemem.models.hippocampus import (SESSIONS, TIMING, BioDGCA3CA1Memory,
                                         CA3OneHotMemory, DGCA3CA1Memory, Operation,
                                         build_network, cue_width, default_params)
from spikemem.models.hippocampus_blocks import code_bits, encoder_inputs
from spikemem.models.session import MemorySession

KINDS = tuple(SESSIONS)


def _steps(mem, label):
    t, i = mem.recording.spikes(label)
    return sorted(zip((t / mem.dt).round().astype(int).tolist(), i.tolist()))


# -- structure ------------------------------------------------------------------------------
@pytest.mark.parametrize("cues, width", [(1, 1), (3, 2), (4, 3), (5, 3), (7, 3), (8, 4)])
def test_binary_cue_width_is_ceil_log2_of_cues_plus_one_as_in_spymem(cues, width):
    assert cue_width("forgetting", cues) == width == cue_width("bioinspired", cues)
    assert cue_width("ca3", cues) == cues


def test_forgetting_model_has_sPyBlocks_gate_counts():
    # 5 cues: 3 input bits -> 3 NOT, 8 AND (each an OR + an output neuron), 3 CA1 ORs,
    # one latch and one set source (constant_spike_source.py).
    net, lay = build_network("forgetting", 5, 10)
    sizes = {g.label: g.size for g in net.populations}
    assert {k: sizes[k] for k in ("DG_NOT", "DG_OR", "DG_AND", "CA1_OR", "CSS_latch",
                                  "CA3cue", "CA3cont", "OUT")} == {
        "DG_NOT": 3, "DG_OR": 8, "DG_AND": 8, "CA1_OR": 3, "CSS_latch": 1, "CA3cue": 5,
        "CA3cont": 10, "OUT": 13}
    proj = {p.label: p for p in net.projections}
    # AND j's inputs: NOT i for every 0 bit of j (n * 2**n / 2 wires), IN i for every 1 bit.
    assert proj["DG_NOT-AND"].size == proj["DG_IN-AND"].size == 12
    assert set(proj["DG_IN-AND"].delay) == {3.0} and set(proj["DG_NOT-AND"].delay) == {2.0}
    assert set(proj["DG_OR-AND"].weight) == {2.0}          # n - 1 inhibition
    # AND k -> CA3cue k - 1 (code 0 is "no cue")
    assert proj["DGL-CA3cueL"].pre_idx.tolist() == [1, 2, 3, 4, 5]
    # CA1: CA3cue m -> OR of every 1 bit of m + 1
    assert proj["CA3cueL-CA1L"].size == sum(len(code_bits(m + 1, 3)) for m in range(5)) == 7


def test_bioinspired_dg_weights_split_the_drive_over_the_code_bits():
    net, _ = build_network("bioinspired", 5, 4)
    proj = {p.label: p for p in net.projections}
    exc, inh = proj["IL-DGL-exc"], proj["IL-DGL-inh"]
    drive = -57.5 - (-60.0) + 0.5                          # dg.py: v_thresh - v_reset + 0.5
    # DG neuron 2 (code 3 = bits 0, 1): 1.5 nA from IN 0 and IN 1, vetoed by IN 2
    sel = exc.post_idx == 2
    assert exc.pre_idx[sel].tolist() == [0, 1] and np.allclose(exc.weight[sel], drive / 2)
    assert inh.pre_idx[inh.post_idx == 2].tolist() == [2]
    assert np.allclose(inh.weight, drive)
    # sPyNNaker's OneToOne of CA1 (3) onto OUT (3 + 4): the first 3 pairs only
    assert proj["CA1L-OL"].post_idx.tolist() == [0, 1, 2]


def test_encoder_wiring_sends_each_line_to_the_or_gates_of_its_code():
    assert encoder_inputs(3, 2) == ([0, 1, 2, 2], [0, 1, 0, 1])
    assert code_bits(6, 3) == [1, 2] and code_bits(6, 2) == [1]


@pytest.mark.parametrize("call, match", [
    (lambda: encoder_inputs(4, 2), "do not fit in 2 bits"),
    (lambda: encoder_inputs(0, 2), "n_lines"),
    (lambda: encoder_inputs(2, 2, first_code=-1), "first_code"),
    (lambda: code_bits(-1, 3), "code"),
    (lambda: code_bits(3, 1.5), "width"),
    (lambda: _decoder_on(2, 3), "n_inputs = 2 neurons"),
    (lambda: _decoder_on(0, 3), "n_inputs"),
])
def test_logic_blocks_refuse_bad_sizes(call, match):
    with pytest.raises(ValidationError, match=match):
        call()


def _decoder_on(n_inputs, n_sources):
    import spikemem as sm
    from spikemem.models.hippocampus_blocks import constant_source, decoder
    net = sm.Network()
    cell = sm.IF_curr_exp(**default_params("forgetting")["cells"]["DGL"])
    src = net.add(sm.SpikeSourceArray(size=n_sources, label="in"))
    return decoder(net, n_inputs, cell, -65.0, 1.0, 1.0, src,
                   constant_source(net, cell, -65.0, 1.0, 1.0))


def test_spymem_module_names_select_the_same_models():
    from spikemem.models.hippocampus import memory
    assert type(memory("hippocampus_with_forgetting", 2, 2, progress=False)) is DGCA3CA1Memory
    assert type(memory("hippocampus_bioinspired_dg_ca1", 2, 2)) is BioDGCA3CA1Memory
    assert type(memory("ca3", 2, 2)) is CA3OneHotMemory
    net, lay = build_network("hippocampus_with_forgetting", 2, 2)
    assert lay.model == "forgetting"


def test_published_parameters_are_those_of_spymem_configs():
    p = default_params("forgetting")
    assert p["synapses"]["IL-CA3contL"] == {"weight": 6.0, "delay": 4.0}
    assert p["cells"]["DGL"]["v_thresh"] == -64.91 and p["cells"]["DGL"]["tau_refrac"] == 0.0
    assert default_params("bioinspired")["synapses"]["IL-CA3contL"]["delay"] == 2.0
    assert default_params("ca3")["stdp"]["A_plus"] == 6.0


# -- hand-derived spike times -----------------------------------------------------------------
def test_sPyBlocks_decoder_fires_exactly_the_and_gate_of_the_presented_code():
    # Presenting code k at step t: NOT gates of k's 1 bits are silenced at t+1, so at t+3 only
    # AND k receives all 3 inputs; AND 0 fires every step (all NOTs), the others never.
    mem = DGCA3CA1Memory(7, 2, progress=False)
    mem.run([Operation.recall_cue(c) for c in range(7)])
    starts = [1 + 6 * c for c in range(7)]
    fired = [(s, j) for s, j in _steps(mem, "DG_AND") if j != 0]
    assert fired == [(s + 3, c + 1) for c, s in enumerate(starts)]
    assert [s for s, j in _steps(mem, "CA3cue")] == [s + 4 for s in starts]
    assert [j for s, j in _steps(mem, "CA3cue")] == list(range(7))
    latch = [s for s, _ in _steps(mem, "CSS_latch")]
    assert latch == list(range(2, int(mem.t)))             # set at 1 ms, then every step


def test_bioinspired_dg_neuron_of_the_code_alone_fires_one_step_after_the_cue():
    mem = BioDGCA3CA1Memory(7, 2, progress=False)
    mem.run([Operation.recall_cue(c) for c in range(7)])
    assert _steps(mem, "DG") == [(5 * c + 1, c) for c in range(7)]


@pytest.mark.parametrize("kind, start, cue_out, echo", [
    # sPyMem's test scripts: learn cue code 1 + bits {0,1,2,9} held 3 steps, recall later.
    ("ca3", 0, [2, 4], 2), ("forgetting", 1, [7, 9], 6), ("bioinspired", 0, [4, 6], 4)])
def test_learning_in_one_shot_sets_the_stored_bits_to_w_max_and_echoes_them(
        kind, start, cue_out, echo):
    mem = SESSIONS[kind](5, 10, progress=False)
    r = mem.store(0, [0, 1, 2, 9])
    w = mem.weights()
    assert w.shape == (5, 10)
    expected = np.zeros((5, 10))
    expected[0, [0, 1, 2, 9]] = 6.0                         # A+ = 6 nA clipped at w_max = 6
    assert np.array_equal(w, expected)
    assert r.details.start == start and r.details.latency == echo
    out = _steps(mem, "OUT")
    cue_neuron = mem.layout.cue_neurons(0)[0]
    assert [s for s, i in out if i == cue_neuron] == cue_out  # refractory: every other step
    assert r.content == {0: [0, 1, 2, 9]}


# -- documented timing ---------------------------------------------------------------------
@pytest.mark.parametrize("kind, cue_at, content_at", [
    ("forgetting", 6, 7),        # hippocampus_with_forgetting.rst: cue after 6, rest 1 later
    ("bioinspired", 4, 5),       # one step less than the forgetting model
    ("ca3", 2, 3)])              # IN -> CA3cue -> OUT: two 1 ms synapses (ca3.rst says 3/4)
def test_recall_by_cue_returns_the_cue_and_then_the_content_at_the_documented_steps(
        kind, cue_at, content_at):
    mem = SESSIONS[kind](5, 10, progress=False)
    mem.store(3, [1, 4, 8])
    t0 = mem.step
    r = mem.recall(cue=3)
    assert r == {3: [1, 4, 8]}
    out = _steps(mem, "OUT")
    cue = [s - t0 for s, i in out if s >= t0 and i < mem.layout.cue_width]
    bits = [s - t0 for s, i in out if s >= t0 and i >= mem.layout.cue_width]
    assert set(cue) == {cue_at} and set(bits) == {content_at}
    assert r.details.latency == content_at
    assert sorted(r.cells) == sorted(mem.layout.cue_neurons(3)
                                     + [mem.layout.bit_neuron(b) for b in (1, 4, 8)])


@pytest.mark.parametrize("kind", KINDS)
def test_documented_periods_learn_7_recall_5_or_6_are_the_session_timing(kind):
    t = TIMING[kind]
    assert (t.learn_period, t.learn_hold) == (7, 3)
    assert t.recall_period == {"ca3": 5, "forgetting": 6, "bioinspired": 5}[kind]
    mem = SESSIONS[kind](5, 10, progress=False)
    res = mem.run([Operation.learn(0, [1]), Operation.recall_cue(0), Operation.learn(1, [2])])
    first = t.first_start
    assert [r.start for r in res] == [first, first + 7, first + 7 + t.recall_period]


@pytest.mark.parametrize("kind", KINDS)
def test_memories_learned_and_recalled_at_the_documented_maximum_rate_come_back_exactly(kind):
    memories = {4: [7, 8, 9], 3: [6, 7, 8], 2: [5, 6, 7], 0: [0, 9]}
    mem = SESSIONS[kind](5, 10, progress=False)
    mem.learn_many(memories)
    res = mem.run([Operation.recall_cue(c) for c in memories])
    assert {r.operation.cue: list(r.bits) for r in res} == memories
    assert all(r.cues == (r.operation.cue,) for r in res)


@pytest.mark.parametrize("kind", KINDS)
def test_relearning_a_cue_forgets_its_old_content(kind):
    mem = SESSIONS[kind](5, 10, progress=False)
    mem.store(1, [0, 1, 2, 9])
    assert mem.recall(cue=1) == {1: [0, 1, 2, 9]}
    mem.store(1, [2, 3, 8])
    assert mem.recall(cue=1) == {1: [2, 3, 8]}
    w = mem.weights()[1]
    assert np.all(w[[0, 1, 9]] < 1.0) and np.all(w[[2, 3, 8]] == 6.0)


def test_forgetting_model_starts_after_its_constant_spike_source_is_running():
    # The DG's NOT gates fire from step 2; an operation at step 0 would lose its first step.
    mem = DGCA3CA1Memory(2, 2, progress=False)
    assert mem.store(0, [1]).details.start == 1


# -- session interface ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_session_results_carry_content_cells_raw_spikes_and_history_in_ms(kind, tmp_path):
    mem = SESSIONS[kind](3, 4, progress=False)
    assert isinstance(mem, MemorySession)
    s = mem.store(2, [0, 3])
    r = mem.recall(cue=2)
    assert r.content == {2: [0, 3]} and r.index == 2
    assert s.t_start == mem.timing.first_start * mem.dt and r.t_start == s.t_stop
    assert r.t_stop == r.t_start + (mem.timing.output_delay + mem.timing.recall_period) * mem.dt
    times, ids = r.spikes["OUT"]
    assert np.all((times >= r.t_start) & (times < r.t_stop)) and set(ids) == set(r.cells)
    assert [e.kind for e in mem.history] == ["store", "recall"]
    assert mem.history[1].argument == "cue=2"
    fig = mem.raster(tmp_path / "r.png")
    assert (tmp_path / "r.png").stat().st_size > 0
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "store cue=2 content=[0, 3]" in labels and "recall cue=2" in labels


@pytest.mark.filterwarnings("ignore:.*exported:UserWarning")
def test_export_to_nir_carries_the_learned_weights():
    mem = DGCA3CA1Memory(3, 4, progress=False)
    mem.store(2, [0, 3])
    graph = mem.export("nir")
    w = np.asarray(graph.nodes["CA3cue-CA3cont"].weight)      # NIR Linear: (post, pre)
    assert np.array_equal(w.T, mem.weights()) and w.T[2, [0, 3]].tolist() == [6.0, 6.0]


@pytest.mark.parametrize("kind", KINDS)
def test_a_saved_and_loaded_session_continues_bit_for_bit(kind, tmp_path, backend):
    first = SESSIONS[kind](3, 4, backend=backend, progress=False)
    if not hasattr(first.sim, "_get_state"):
        pytest.skip(f"the {backend} backend has no simulator checkpoint (_get_state) here")
    first.store(1, [0, 2])
    first.save(tmp_path / "s.h5")
    loaded = MemorySession.load(tmp_path / "s.h5", progress=False)
    assert type(loaded) is SESSIONS[kind] and loaded.t == first.t
    for mem in (first, loaded):
        mem.store(2, [3])
        mem.recall(cue=1)
    assert loaded.recall(cue=2) == first.recall(cue=2) == {2: [3]}
    for label in first.layout.populations:
        assert _steps(loaded, label) == _steps(first, label), label
    assert np.array_equal(loaded.weights(), first.weights())
    assert [e.label for e in loaded.history] == [e.label for e in first.history]


def test_recall_of_an_empty_cue_returns_nothing():
    mem = BioDGCA3CA1Memory(3, 4, progress=False)
    mem.store(0, [1])
    assert mem.recall(cue=1) == {}


def test_initial_weights_act_as_stored_memories():
    w = np.zeros((3, 4))
    w[2, [1, 3]] = 6.0
    mem = CA3OneHotMemory(3, 4, initial_weights=w, progress=False)
    assert mem.recall(cue=2) == {2: [1, 3]}


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("call, exc, match", [
    (lambda: build_network("dentate", 3, 4), ValidationError, "must be one of"),
    (lambda: build_network(None, 3, 4), ValidationError, "must be one of"),
    (lambda: cue_width("forgetting", 0), ValidationError, "cues"),
    (lambda: build_network("ca3", 0, 4), ValidationError, "cues"),
    (lambda: build_network("forgetting", 3, -1), ValidationError, "bits"),
    (lambda: build_network("bioinspired", 3, 4, params={"cells": {"XL": {}}}),
     ValidationError, "unknown key"),
    (lambda: build_network("bioinspired", 3, 4, params=[1]), ValidationError, "dict"),
    (lambda: build_network("ca3", 3, 4, initial_weights=np.zeros((4, 3))), ValidationError,
     "shape"),
    (lambda: build_network("ca3", 3, 4, initial_weights=np.full((3, 4), 7.0)),
     ValidationError, "w_max|upper"),
    (lambda: build_network("ca3", 3, 4, params={"synapses": {"IL-CA3cueL": {"weight": -1.0}}}),
     ValidationError, "weight"),
    (lambda: build_network("ca3", 3, 4, params={"synapses": {"IL-CA3cueL": {"w": 1.0}}}),
     ValidationError, "unknown key"),
    (lambda: DGCA3CA1Memory(3, 4, gap=-1), ValidationError, "gap"),
    (lambda: BioDGCA3CA1Memory(3, 4, params={"dt": 0.5}), ValidationError, "dt"),
    (lambda: CA3OneHotMemory(3, 4, initial_weights=np.full((3, 4), np.nan)), ValidationError,
     "finite"),
    (lambda: DGCA3CA1Memory(3, 4, seed=-2), ValidationError, "seed"),
])
def test_bad_construction_raises_a_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("call, exc, match", [
    (lambda m: m.recall(fragment=[1]), UnsupportedFeature, "recall by content"),
    (lambda m: m.recall(), ValidationError, "cue="),
    (lambda m: m.recall(cue=3), ValidationError, "out of range"),
    (lambda m: m.store(0, []), ValidationError, "at least one bit"),
    (lambda m: m.store(0, [4]), ValidationError, "out of range"),
    (lambda m: m.store(True, [1]), ValidationError, "integer"),
    (lambda m: m.learn_many([(0, [1])]), ValidationError, "dict"),
    (lambda m: m.run([Operation.recall_content([1])]), UnsupportedFeature, "recall by content"),
    (lambda m: m.weights("content_to_cue"), ValidationError, "which"),
    (lambda m: m.forget(0), UnsupportedFeature, "forget"),
    (lambda m: m.run([("learn", 0, [1])]), ValidationError, "Operation"),
    (lambda m: m.run([Operation.recall_cue(0)], gap=-1), ValidationError, "gap"),
])
def test_bad_operations_raise_and_run_nothing(call, exc, match):
    mem = DGCA3CA1Memory(3, 4, progress=False)
    with pytest.raises(exc, match=match):
        call(mem)
    assert mem.t == 0.0 and mem.history == []


def test_the_base_class_is_not_a_model():
    from spikemem.models.hippocampus import HippocampusMemory
    with pytest.raises(ValidationError, match="use CA3OneHotMemory"):
        HippocampusMemory(3, 4)


# -- backends ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_every_backend_gives_the_numba_spikes(kind, backend):
    ops = [Operation.learn(1, [0, 2]), Operation.recall_cue(1), Operation.learn(1, [1]),
           Operation.recall_cue(1)]
    ref = SESSIONS[kind](2, 3, progress=False)
    ref.run(ops)
    mem = SESSIONS[kind](2, 3, backend=backend, progress=False)
    mem.run(ops)
    for label in mem.layout.populations:
        assert _steps(mem, label) == _steps(ref, label), label
    assert np.array_equal(mem.weights(), ref.weights())


# -- experiments ---------------------------------------------------------------------------------
def test_forgetting_experiment_reproduces_the_documented_timing(tmp_path):
    from spikemem.experiments import hippocampus_forgetting
    assert hippocampus_forgetting.main(["--out", str(tmp_path)]) == 0
    import json
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["passed"] and summary["timing_verdict"] == "PASS"
    assert all(r["ok"] for r in summary["timing"])
    assert [v["verdict"] for v in summary["scenarios"].values()] == ["PASS"] * 3
    assert summary["wrong_answers_one_step_faster"]["learn"] > 0
    for name in ("learn_recall", "forget", "max_rate_mix"):
        assert (tmp_path / f"{name}.png").stat().st_size > 0
        assert (tmp_path / f"{name}.h5").exists()
    assert (tmp_path / "summary.csv").read_text().count("\n") == 1 + 2 + 4 + 10


def test_ca3_timing_differences_from_its_docs_are_a_limit_and_any_other_is_a_failure():
    from spikemem.experiments._hippocampus import TIMING_LIMITS, compare_timing
    from spikemem.experiments._verdicts import verdict
    measured = {"learn_period": 7, "recall_period": 5, "learn_echo": [2],
                "learn_echo_last": [4], "recall_cue": [2], "recall_content": [3]}
    rows = compare_timing("ca3", measured)
    assert verdict(rows, TIMING_LIMITS["ca3"]) == "LIMIT"
    assert "two 1 ms synapses" in [r for r in rows if not r["ok"]][0]["note"]
    rows = compare_timing("ca3", dict(measured, recall_period=6))
    assert verdict(rows, TIMING_LIMITS["ca3"]) == "FAIL"
    assert "forgetting" not in TIMING_LIMITS
