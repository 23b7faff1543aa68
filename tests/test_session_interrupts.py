"""Ctrl-C in the middle of a memory session's operation: the operation is left pending, the
session refuses anything else until ``resume()``, which completes it; the session then equals
an uninterrupted one bit for bit (history, results, spikes, weights)."""
import signal
import threading

import numpy as np
import pytest

from spikemem.backends.numba.simulator import NumbaSimulator
from spikemem.errors import PendingOperation
from spikemem.interrupts import SimulationInterrupted
from spikemem.models.ca3_cam import CA3Memory
from spikemem.models.engram import EngramMemory
from spikemem.models.hippocampus import DGCA3CA1Memory
from spikemem.models.sparsey import SparseyMemory


def _sigint_after(monkeypatch, sim_class, calls: int, chunk: int):
    """Run `sim_class` in chunks of `chunk` steps and, after the `calls`-th chunk, send SIGINT
    to the main thread from another thread (the simulator sees it at its next safe point)."""
    monkeypatch.setattr(sim_class, "_interrupt_chunk_steps", chunk, raising=False)
    monkeypatch.setattr(sim_class, "_adaptive_chunks", False, raising=False)
    advance = sim_class._advance
    count = [0]
    main = threading.main_thread().ident

    def counted(self, n):
        advance(self, n)
        count[0] += 1
        if count[0] == calls:
            th = threading.Thread(target=signal.pthread_kill, args=(main, signal.SIGINT))
            th.start()
            th.join()

    monkeypatch.setattr(sim_class, "_advance", counted)
    return count


def _same_spikes(a, b, labels):
    for label in labels:
        ta, ia = a.recording.spikes(label)
        tb, ib = b.recording.spikes(label)
        assert np.array_equal(ta, tb) and np.array_equal(ia, ib), label
    assert a.recording.t_stop == b.recording.t_stop


def _same_result(r1, r2):
    assert (r1.operation, r1.argument, r1.t_start, r1.t_stop, r1.index) == \
        (r2.operation, r2.argument, r2.t_start, r2.t_stop, r2.index)
    assert repr(r1.content) == repr(r2.content) and np.array_equal(r1.cells, r2.cells)
    assert r1.spikes.keys() == r2.spikes.keys()
    for k in r1.spikes:
        assert all(np.array_equal(x, y) for x, y in zip(r1.spikes[k], r2.spikes[k]))


def _interrupt(session, operation, *args, **kwargs):
    """Call ``session.operation(*args, **kwargs)``, expect Ctrl-C and the operation left
    pending; return the `SimulationInterrupted`."""
    with pytest.raises(SimulationInterrupted) as info:
        getattr(session, operation)(*args, **kwargs)
    assert "resume()" in "".join(getattr(info.value, "__notes__", []))
    assert session.pending == operation and session.sim.t == info.value.t
    return info.value


def _check_refusals(session, tmp_path, other):
    with pytest.raises(PendingOperation, match="resume"):
        other()
    with pytest.raises(PendingOperation, match="resume"):
        session.save(tmp_path / "pending.h5")
    assert not (tmp_path / "pending.h5").exists()


@pytest.mark.parametrize("backend", ["numba", "brian2", "nengo"])
def test_ca3_recall_interrupted_and_resumed_equals_uninterrupted(backend, monkeypatch,
                                                                  tmp_path):
    def session():
        mem = CA3Memory(cues=3, bits=4, backend=backend, progress=False)
        mem.store(0, [1, 2])
        mem.store(1, [2, 3])
        return mem

    ref = session()
    expected = ref.recall(fragment=[2])
    ref_after = ref.store(2, [0])

    mem = session()
    _sigint_after(monkeypatch, type(mem.sim), calls=3, chunk=3)
    exc = _interrupt(mem, "recall", fragment=[2])
    history = list(mem.history)
    _check_refusals(mem, tmp_path, lambda: mem.store(2, [0]))
    assert mem.history == history and len(history) == 2       # nothing recorded yet
    monkeypatch.undo()
    assert exc.t < ref.history[-2].t_stop
    got = mem.resume()
    assert mem.pending is None
    _same_result(expected, got)
    assert got == expected.content
    _same_result(ref_after, mem.store(2, [0]))
    assert mem.history == ref.history
    _same_spikes(ref, mem, mem._raster_populations())
    assert np.array_equal(ref.weights(), mem.weights())
    assert np.array_equal(ref.weights("content_to_cue"), mem.weights("content_to_cue"))


def test_ca3_interrupted_twice_and_saved_after_resume(monkeypatch, tmp_path):
    ref = CA3Memory(cues=3, bits=4, progress=False)
    expected = ref.learn_many({0: [1], 1: [2, 3], 2: [0, 3]})
    mem = CA3Memory(cues=3, bits=4, progress=False)
    _sigint_after(monkeypatch, type(mem.sim), calls=2, chunk=2)
    _interrupt(mem, "learn_many", {0: [1], 1: [2, 3], 2: [0, 3]})
    with pytest.raises(SimulationInterrupted):      # the 2nd chunk of resume: again
        _sigint_after(monkeypatch, type(mem.sim), calls=2, chunk=2)
        mem.resume()
    assert mem.pending == "learn_many"
    monkeypatch.undo()
    got = mem.resume()
    for r1, r2 in zip(expected, got, strict=True):
        _same_result(r1, r2)
    mem.save(tmp_path / "s.h5")
    loaded = CA3Memory.load(tmp_path / "s.h5", progress=False)
    assert loaded.history == ref.history
    _same_spikes(ref, loaded, loaded._raster_populations())


def test_resume_without_a_pending_operation_is_refused():
    mem = CA3Memory(cues=2, bits=2, progress=False)
    with pytest.raises(PendingOperation, match="no interrupted operation"):
        mem.resume()


def test_engram_recall_without_learning_interrupted_and_resumed(monkeypatch, tmp_path):
    """The interrupted recall restores its weights (learn=False) and draws its cue from the
    session's generator exactly once."""
    def session():
        mem = EngramMemory(n=60, k=8, seed=3)
        mem.store(np.arange(8))
        mem.store(np.arange(20, 28))
        return mem

    ref = session()
    expected = ref.recall(engram=1, fraction=0.5, learn=False)
    after = ref.recall(engram=0)

    mem = session()
    _sigint_after(monkeypatch, type(mem.sim), calls=4, chunk=5)
    _interrupt(mem, "recall", engram=1, fraction=0.5, learn=False)
    _check_refusals(mem, tmp_path, lambda: mem.advance(5.0))
    with pytest.raises(PendingOperation):
        mem.cue([1, 2])
    monkeypatch.undo()
    got = mem.resume()
    _same_result(expected, got)
    assert np.array_equal(expected.details.order, got.details.order)
    _same_result(after, mem.recall(engram=0))
    assert mem.history == ref.history
    assert [e.tolist() for e in mem.engrams] == [e.tolist() for e in ref.engrams]
    _same_spikes(ref, mem, mem._raster_populations())
    assert np.array_equal(ref.weights(), mem.weights())


def test_engram_store_sequence_interrupted_and_resumed(monkeypatch):
    patterns = [np.arange(8), np.arange(10, 18)]
    ref = EngramMemory(n=60, k=8, seed=1)
    expected = ref.store_sequence(patterns)
    mem = EngramMemory(n=60, k=8, seed=1)
    _sigint_after(monkeypatch, type(mem.sim), calls=6, chunk=4)
    _interrupt(mem, "store_sequence", patterns)
    assert mem.engrams == []                  # its bookkeeping waits for resume
    monkeypatch.undo()
    for r1, r2 in zip(expected, mem.resume(), strict=True):
        _same_result(r1, r2)
    assert mem.history == ref.history and len(mem.engrams) == 2
    _same_spikes(ref, mem, mem._raster_populations())


def test_hippocampus_store_interrupted_and_resumed(monkeypatch):
    ref = DGCA3CA1Memory(cues=3, bits=4, progress=False)
    ref.store(0, [1, 2])
    expected = ref.recall(cue=0)
    mem = DGCA3CA1Memory(cues=3, bits=4, progress=False)
    _sigint_after(monkeypatch, type(mem.sim), calls=2, chunk=2)
    _interrupt(mem, "store", 0, [1, 2])
    monkeypatch.undo()
    mem.resume()
    got = mem.recall(cue=0)
    _same_result(expected, got)
    assert got == {0: [1, 2]} and mem.history == ref.history
    _same_spikes(ref, mem, mem._raster_populations())
    assert np.array_equal(ref.weights(), mem.weights())


def test_sparsey_store_interrupted_and_resumed(monkeypatch):
    x = np.zeros(12, bool)
    x[[1, 4, 7]] = True
    kwargs = dict(n_inputs=12, Q=3, K=4, seed=2, dt=0.5, interval=40.0)
    ref = SparseyMemory(**kwargs)
    expected = ref.store(x)
    mem = SparseyMemory(**kwargs)
    # the session builds its spiking mac's simulator inside the operation
    _sigint_after(monkeypatch, NumbaSimulator, calls=3, chunk=10)
    _interrupt(mem, "store", x)
    with pytest.raises(PendingOperation):
        mem.recall(x)
    monkeypatch.undo()
    _same_result(expected, mem.resume())
    assert mem.history == ref.history and mem.t == ref.t
    assert np.array_equal(mem.weights(), ref.weights())
    _same_spikes(ref, mem, mem._raster_populations())

