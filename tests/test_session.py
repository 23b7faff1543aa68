"""The shared session interface of the memory models (models/session.py) on CA3 and engrams.

Same verbs and result type, time in ms, history and raster markers, save/load that continues
bit for bit on every backend, and exports that carry the learned weights (read back with the
peers: the ``nir`` package, nengo-loihi's emulator, PyNN's pyNN.brian2).
"""
from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

from spikemem.errors import FileFormatError, UnsupportedFeature, ValidationError
from spikemem.models.ca3_cam import CUE_TO_CONTENT, CA3Memory, CA3Recall
from spikemem.models.engram import EngramMemory, EngramNetwork, random_patterns
from spikemem.models.session import MemoryResult, MemorySession, SessionEvent

MEMORIES = {0: [0, 1, 2, 7], 1: [3, 4, 5], 2: [2, 6]}


def _ca3(backend="numba", **kw):
    return CA3Memory(cues=4, bits=8, backend=backend, progress=False, **kw)


def _engram(backend="numba", **kw):
    params = dict(n=24, k=6, seed=3, stm_tau=300.0, consolidate_after=2)
    params.update(kw)
    return EngramMemory(backend=backend, **params)


# -- verbs, results, time ---------------------------------------------------------------------
def test_ca3_store_and_recall_return_memory_results_with_content_cells_and_raw_spikes():
    mem = _ca3()
    stored = mem.store(0, MEMORIES[0])
    assert isinstance(stored, MemoryResult) and stored.operation == "store"
    assert stored.content == {0: MEMORIES[0]} and stored.index == 0
    assert stored.bits == tuple(MEMORIES[0]) and stored.latency == 5     # the OpResult's
    assert mem.learn(1, MEMORIES[1]).content == {1: MEMORIES[1]}       # learn is store
    r = mem.recall(cue=0)
    assert isinstance(r, CA3Recall) and r == {0: MEMORIES[0]} and r[0] == MEMORIES[0]
    # cells: the OUT neurons that answered (cue, then cues + bit); spikes: the raw window
    assert list(r.cells) == [0] + [4 + b for b in MEMORIES[0]]
    t, i = r.spikes["OUT"]
    all_t, all_i = mem.recording.spikes("OUT")
    sel = (all_t >= r.t_start) & (all_t < r.t_stop)
    np.testing.assert_array_equal(t, all_t[sel])
    np.testing.assert_array_equal(i, all_i[sel])
    assert set(np.unique(i)) == set(r.cells)


def test_engram_results_expose_the_recall_details_and_time_is_in_ms():
    mem = _engram(stm_tau=math.inf, consolidate_after=None)
    patterns = random_patterns(24, 6, 2, seed=1)
    s = mem.store(patterns[0])
    assert s.index == 0 and list(s.cells) == list(patterns[0]) and s.t_start == 0.0
    assert s.t_stop == mem.t > 0
    mem.store(patterns[1])
    r = mem.recall(engram=1, fraction=0.5)
    assert r.index == 1 and list(r.cells) == list(patterns[1])
    assert r.score(patterns[1])["exact"] and r.best == 1 and len(r.cue) == 3   # details
    assert set(r.spikes) == {"input", "exc", "inh", "wm_gate"}
    assert [e.kind for e in mem.history] == ["store", "store", "recall"]
    # history windows are contiguous and in ms
    assert all(a.t_stop == b.t_start for a, b in zip(mem.history, mem.history[1:]))
    assert mem.history[-1].t_stop == mem.t


def test_weights_share_one_name_and_give_dense_matrices_in_na():
    mem = _ca3()
    mem.store(0, MEMORIES[0])
    w = mem.weights()
    np.testing.assert_array_equal(w, mem.sim.weights(CUE_TO_CONTENT).reshape(4, 8))
    assert w[0, MEMORIES[0]].min() > 5.0 and mem.weights("content_to_cue").shape == (8, 4)
    e = _engram()
    e.store(np.arange(6))
    assert e.weights().shape == (24, 24)
    assert e.weights(component="fast")[0, 1] > 0 and e.weights("engram", "slow").max() == 0
    with pytest.raises(ValidationError, match="which"):
        e.weights("speed")
    with pytest.raises(ValidationError, match="which"):
        mem.weights("speed")


def test_forget_on_request_is_reported_as_unsupported_by_these_models():
    with pytest.raises(UnsupportedFeature, match="cannot forget.*store\\(cue, new_bits\\)"):
        _ca3().forget(0)
    with pytest.raises(UnsupportedFeature, match="cannot forget.*stm_tau"):
        _engram().forget(0)


def test_old_names_warn_and_keep_their_old_return_values():
    with pytest.warns(DeprecationWarning, match="EngramMemory"):
        old = EngramNetwork(n=24, k=6, seed=0)
    assert isinstance(old, EngramMemory)
    assert old.store(np.arange(6)) == 0                    # an int, as before
    assert old.store_sequence([np.arange(6, 12)]) == [1]
    with pytest.warns(DeprecationWarning, match="weights"):
        old.weight_matrix()


def test_raster_marks_every_operation_with_its_kind_and_argument(tmp_path):
    mem = _ca3()
    mem.store(0, MEMORIES[0])
    mem.recall(cue=0)
    mem.recall(fragment=[7])
    fig = mem.raster(tmp_path / "raster.png")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["store cue=0 content=[0, 1, 2, 7]", "recall cue=0", "recall fragment=[7]"]
    lines = [ln.get_xdata()[0] for ln in fig.axes[0].lines if ln.get_gid() == "operation"]
    assert lines == [e.t_start for e in mem.history]
    assert (tmp_path / "raster.png").stat().st_size > 1000


@pytest.mark.parametrize("bad, match", [
    (lambda m: m.export("spinnaker3"), "target"),
    (lambda m: m.export("spinnaker"), "path"),
    (lambda m: m.spikes_between(5.0, 1.0), "t_start <= t_stop"),
    (lambda m: m.spikes_between(0.0, float("nan")), "finite"),
])
def test_bad_session_input_raises_a_validation_error_naming_it(bad, match):
    with pytest.raises(ValidationError, match=match):
        bad(_ca3())


# -- save / load ------------------------------------------------------------------------------
def _ca3_script(mem):
    mem.store(1, MEMORIES[1])
    a = mem.recall(fragment=[2])
    b = mem.recall(cue=0)
    return [dict(a), dict(b)]


PATTERNS = random_patterns(24, 6, 3, seed=1)


def _engram_script(mem):
    mem.store(PATTERNS[2])
    mem.advance(50.0)
    r = mem.recall(engram=0)             # draws its cue from the session's generator
    mem.recall(engram=2, learn=False)
    return [list(r.cue), list(r.cells)]


@pytest.mark.parametrize("model", ["ca3", "engram"])
def test_a_loaded_session_continues_bit_for_bit_as_if_never_stopped(backend, model, tmp_path):
    if model == "ca3":
        mem, script = _ca3(backend), _ca3_script
        mem.store(0, MEMORIES[0])
        mem.store(2, MEMORIES[2])
    else:
        mem, script = _engram(backend), _engram_script
        mem.store(PATTERNS[0])
        mem.store(PATTERNS[1])
        mem.rehearse(0)
    mem.save(tmp_path / "session.h5")
    expected = script(mem)
    loaded = MemorySession.load(tmp_path / "session.h5")
    assert type(loaded) is type(mem) and loaded.backend == backend
    assert loaded.t == mem.history[len(loaded.history) - 1].t_stop
    assert script(loaded) == expected
    for label in mem.recording.populations:
        for a, b in zip(mem.recording.spikes(label), loaded.recording.spikes(label)):
            np.testing.assert_array_equal(a, b, err_msg=label)
    components = ("total",) if model == "ca3" else ("total", "fast", "slow", "tag")
    for c in components:
        np.testing.assert_array_equal(loaded.weights(component=c), mem.weights(component=c))
    assert loaded.history == mem.history
    if model == "engram":
        assert loaded.weights(component="slow").max() > 0      # consolidation happened
        assert [list(e) for e in loaded.engrams] == [list(e) for e in mem.engrams]


def test_load_refuses_files_that_are_not_sessions_of_the_model(tmp_path):
    mem = _ca3()
    mem.store(0, MEMORIES[0])
    mem.network.save(tmp_path / "net.h5")
    with pytest.raises(FileFormatError, match="session"):
        MemorySession.load(tmp_path / "net.h5")
    mem.save(tmp_path / "ca3.h5")
    with pytest.raises(FileFormatError, match="not a EngramMemory"):
        EngramMemory.load(tmp_path / "ca3.h5")
    (tmp_path / "junk.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(FileFormatError):
        MemorySession.load(tmp_path / "junk.h5")
    assert CA3Memory.load(tmp_path / "ca3.h5").history == mem.history


# -- export -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained_ca3():
    mem = _ca3()
    for cue, bits in MEMORIES.items():
        mem.store(cue, bits)
    return mem


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def test_nir_export_carries_the_learned_weights(trained_ca3, tmp_path):
    nir = pytest.importorskip("nir")
    mem = trained_ca3
    with pytest.warns(UserWarning, match="weights given to the export"):
        mem.export("nir", tmp_path / "ca3.nir")
    graph = nir.read(str(tmp_path / "ca3.nir"))              # the peer reads the file
    w = np.asarray(graph.nodes[CUE_TO_CONTENT].weight)        # (post, pre), one delay
    assert (mem.network[CUE_TO_CONTENT].pre_population.label, CUE_TO_CONTENT) in graph.edges
    np.testing.assert_allclose(w.T, mem.weights(), rtol=1e-12)
    assert mem.weights().max() > 5.0


def test_loihi_export_carries_the_learned_weights_and_recalls_on_nengo_loihi(trained_ca3,
                                                                             tmp_path):
    pytest.importorskip("nengo_loihi")
    from spikemem.hardware import load_lava_description, run_nengo_loihi_emulator
    mem = trained_ca3
    with pytest.warns(UserWarning, match="weights given to the export"):
        loihi = mem.export("loihi", tmp_path / "ca3_loihi.json")
    back = load_lava_description(tmp_path / "ca3_loihi.json", mem.network)
    w = back.projection(CUE_TO_CONTENT).weight_nA.reshape(4, 8)
    err = loihi.report.projections[CUE_TO_CONTENT]["weight"]["max_abs_error_nA"]
    np.testing.assert_allclose(w, mem.weights(), atol=err + 1e-12)
    # the peer: nengo-loihi's emulator recalls cue 1 from the exported (fresh) network
    rec = _quiet(run_nengo_loihi_emulator, loihi, 20.0,
                 extra_spikes={"IN": (np.array([1.0]), np.array([1]))})
    t, ids = rec.spikes("OUT")
    assert sorted(set(ids.tolist())) == [1] + [4 + b for b in MEMORIES[1]]


def test_spinnaker_export_carries_the_learned_weights_read_back_by_pynn(trained_ca3, tmp_path):
    pytest.importorskip("pyNN.brian2")
    mem = trained_ca3
    with pytest.warns(UserWarning, match="weights given to the export"):
        export = mem.export("spinnaker", tmp_path / "ca3.py", simulator="brian2", run_ms=1.0)
    out = tmp_path / "dump.npz"
    proc = subprocess.run([sys.executable, str(export.script), "--output", str(out),
                           "--codegen", "numpy", "--dump"], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = np.load(out)
    labels = [str(x) for x in res["dump_projections"]]
    got = res[f"proj_{labels.index(CUE_TO_CONTENT)}"]
    w = np.zeros((4, 8))
    w[got[:, 0].astype(int), got[:, 1].astype(int)] = got[:, 2]
    np.testing.assert_allclose(w, mem.weights(), rtol=1e-9, atol=1e-12)


def test_cli_exports_a_saved_session_with_its_learned_weights_and_warns_on_a_network(
        trained_ca3, tmp_path):
    nir = pytest.importorskip("nir")
    mem = trained_ca3
    mem.save(tmp_path / "session.h5")
    mem.network.save(tmp_path / "net.h5")
    run = lambda *a: subprocess.run([sys.executable, "-m", "spikemem.cli", "export", *a],  # noqa
                                    capture_output=True, text=True, timeout=300)
    p = run(str(tmp_path / "session.h5"), "--target", "nir", "--out", str(tmp_path / "s.nir"))
    assert p.returncode == 0, p.stderr
    assert "INITIAL" not in p.stderr
    q = run(str(tmp_path / "net.h5"), "--target", "nir", "--out", str(tmp_path / "n.nir"))
    assert q.returncode == 0 and "WARNING" in q.stderr and "INITIAL weights" in q.stderr

    def learned_max(path):
        return float(np.max(nir.read(str(path)).nodes[CUE_TO_CONTENT].weight))

    assert learned_max(tmp_path / "s.nir") > 5.0           # learned weights
    assert learned_max(tmp_path / "n.nir") == 0.0           # initial weights


def test_session_events_round_trip_through_dicts():
    e = SessionEvent("recall", "cue=3", 10.0, 22.0)
    assert SessionEvent.from_dict(e.to_dict()) == e and e.label == "recall cue=3"


# -- Sparsey ----------------------------------------------------------------------------------
def test_sparsey_session_stores_and_recalls_with_spikes_and_continues_after_load(tmp_path):
    from spikemem.models.sparsey import SparseyMac, SparseyMemory
    rng = np.random.default_rng(0)
    X = rng.random((5, 40)) < 0.2
    mem = SparseyMemory(40, Q=5, K=6, seed=1)
    twin = SparseyMac(40, Q=5, K=6, seed=1)                  # the algorithm alone
    for x in X[:4]:
        r = mem.store(x)
        assert list(r.cells) == list(twin.learn(x).code)
        assert list(r.spiking_code) == list(r.code)          # the spiking mac agrees
    assert mem.t == 4 * 750.0 and r.spikes["mac"][0].min() >= r.t_start
    cue = X[2].copy()
    cue[np.flatnonzero(cue)[:1]] = False
    q = mem.recall(cue)
    assert q.content == 2 and q.index == 2 and q.overlap == 5
    assert mem.weights().shape == (40, 30) and set(np.unique(mem.weights())) == {0.0, 1.0}
    mem.save(tmp_path / "sparsey.h5")
    expected = [mem.store(X[4]).content.tolist(), mem.recall(X[4]).content]
    loaded = MemorySession.load(tmp_path / "sparsey.h5")
    assert [loaded.store(X[4]).content.tolist(), loaded.recall(X[4]).content] == expected
    np.testing.assert_array_equal(loaded.recording.spikes("mac")[1],
                                  mem.recording.spikes("mac")[1])
    with pytest.raises(ValueError, match="which"):
        mem.weights("speed")
    with pytest.raises(ValueError, match="backend"):
        SparseyMemory(40, Q=5, K=6, backend="loihi")
