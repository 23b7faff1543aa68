"""Checkpoints and Ctrl-C: a run that is saved and resumed, or interrupted and continued,
gives exactly what one uninterrupted run gives, on every backend."""
import signal
import threading
import time

import numpy as np
import pytest

import spikemem as sm
from spikemem.checkpoint import restore
from spikemem.errors import FileFormatError, UnsupportedFeature
from spikemem.interrupts import SimulationInterrupted


def _network(n=12, consolidating=False):
    """Sources (array + Poisson) driving a recurrent population through static and STDP
    synapses with delays of 1-3 steps; membranes recorded."""
    net = sm.Network(dt=1.0, label="ckpt")
    cell = sm.IF_curr_exp(tau_m=5.0, tau_syn_E=2.0, tau_syn_I=2.0, tau_refrac=2.0)
    a = net.add(sm.Population(n, cell, label="a", record=("spikes", "v")))
    b = net.add(sm.Population(n, cell, label="b"))
    rng = np.random.default_rng(1)
    trains = [np.unique(rng.integers(0, 80, 5)).astype(float) for _ in range(n)]
    s = net.add(sm.SpikeSourceArray(trains, label="arr"))
    p = net.add(sm.SpikeSourcePoisson(size=n, rate=80.0, seed=4, label="poi"))
    net.add(sm.Projection(s, a, sm.OneToOne(), sm.StaticSynapse(4.0, delay=2.0)))
    net.add(sm.Projection(p, a, sm.FixedProbability(0.5, seed=2), sm.StaticSynapse(2.5)))
    syn = (sm.ConsolidatingSTDP(A_plus=0.5, A_minus=0.05, w_max=10.0, weight=5.0,
                                tau_decay=30.0, tag_threshold=0.3, delay=3.0) if consolidating else
           sm.STDP(A_plus=0.3, A_minus=0.2, w_max=4.0, weight=1.5, delay=3.0))
    net.add(sm.Projection(a, b, sm.FixedProbability(0.6, seed=3), syn, label="plastic"))
    net.add(sm.Projection(b, a, sm.AllToAll(False), sm.StaticSynapse(0.5),
                          receptor="inhibitory"))
    return net


def _same(r1, r2):
    assert r1.t_stop == r2.t_stop
    for k in r1.populations:
        t1, i1 = r1.spikes(k)
        t2, i2 = r2.spikes(k)
        assert np.array_equal(t1, t2) and np.array_equal(i1, i2), k
    for k in r1.traced:
        assert np.array_equal(r1.v(k)[1], r2.v(k)[1])
    for k in r1.weight_labels:
        assert np.array_equal(r1.weights(k)[1], r2.weights(k)[1])


def test_save_and_load_state_continue_bit_for_bit(backend, tmp_path):
    net = _network()
    ref = sm.build(net, backend=backend, seed=0, progress=False)
    ref.run(40.0)
    ref.add_spikes("arr", [45.0, 47.0], [1, 2])
    ref.save_state(tmp_path / "state.h5")
    ref.run(45.0)
    again = sm.build(_network(), backend=backend, seed=0, progress=False)
    again.load_state(tmp_path / "state.h5")
    assert again.t == 40.0
    again.run(45.0)
    _same(ref.recording, again.recording)
    assert np.array_equal(ref.weights("plastic"), again.weights("plastic"))
    assert ref.recording.n_spikes() > 50


def test_state_before_the_first_run_round_trips(backend, tmp_path):
    sim = sm.build(_network(), backend=backend, progress=False)
    sim.save_state(tmp_path / "s.h5")
    fresh = restore(tmp_path / "s.h5", progress=False)
    assert fresh.backend_name == backend and fresh.t == 0.0
    sim.run(20.0)
    fresh.run(20.0)
    _same(sim.recording, fresh.recording)


def test_consolidating_state_includes_slow_weights_and_tags(tmp_path):
    net = _network(consolidating=True)
    ref = sm.build(net, backend="numba")
    ref.run(50.0)
    ref.save_state(tmp_path / "s.h5")
    ref.run(50.0)
    again = sm.build(_network(consolidating=True), backend="numba").load_state(tmp_path / "s.h5")
    again.run(50.0)
    for comp in ("fast", "slow", "tag"):
        assert np.array_equal(ref.weights("plastic", comp), again.weights("plastic", comp))
    assert ref.weights("plastic", "slow").max() > 0
    _same(ref.recording, again.recording)


def test_checkpoint_of_another_network_or_backend_is_refused(tmp_path):
    sim = sm.build(_network(), backend="numba")
    sim.run(5.0)
    sim.save_state(tmp_path / "s.h5")
    with pytest.raises(FileFormatError, match="another network"):
        sm.build(_network(n=13), backend="numba").load_state(tmp_path / "s.h5")
    with pytest.raises(FileFormatError, match="numba"):
        sm.build(_network(), backend="nengo", progress=False).load_state(tmp_path / "s.h5")


def test_brian2_standalone_refuses_checkpoints(tmp_path):
    sim = sm.build(_network(), backend="brian2", device="cpp_standalone", progress=False)
    with pytest.raises(UnsupportedFeature, match="checkpoint"):
        sim.save_state(tmp_path / "s.h5")
    assert not (tmp_path / "s.h5").exists()


def _interrupt_when_running(sim, t_min, how="pthread_kill"):
    """From a thread: send SIGINT to the main thread once the simulation passed `t_min`
    (with ``signal.pthread_kill`` or ``_thread.interrupt_main``)."""
    import _thread
    main = threading.main_thread().ident

    def fire():
        deadline = time.monotonic() + 60
        while sim.t < t_min and time.monotonic() < deadline:
            time.sleep(0.0005)
        if how == "pthread_kill":
            signal.pthread_kill(main, signal.SIGINT)
        else:
            _thread.interrupt_main(signal.SIGINT)

    th = threading.Thread(target=fire, daemon=True)
    th.start()
    return th


def test_ctrl_c_stops_at_a_step_boundary_and_continuing_equals_one_run(backend, monkeypatch):
    total = 600.0 if backend == "numba" else 120.0      # Brian2 runs cost ~0.2 s per call
    ref = sm.build(_network(), backend=backend, progress=False)
    ref.run(total)
    sim = sm.build(_network(), backend=backend, progress=False)
    # Chunks of 7 steps, so that the signal lands inside the run.
    monkeypatch.setattr(type(sim), "_interrupt_chunk_steps", 7, raising=False)
    monkeypatch.setattr(type(sim), "_adaptive_chunks", False, raising=False)
    th = _interrupt_when_running(sim, 20.0)
    with pytest.raises(SimulationInterrupted) as info:
        sim.run(total)
    th.join()
    stopped = info.value.t
    assert 0 < stopped < total and sim.t == stopped and stopped % 7 == 0
    assert sim.recording.t_stop == stopped
    assert info.value.remaining_ms == total - stopped
    t, _ = sim.recording.spikes("a")
    assert t.size and t.max() < stopped
    sim.run(info.value.remaining_ms)
    _same(ref.recording, sim.recording)


@pytest.mark.parametrize("how", ["pthread_kill", "interrupt_main"])
def test_ctrl_c_inside_a_long_numba_run_lands_between_kernel_chunks(how):
    net = sm.Network(dt=0.1, label="long")
    cell = sm.IF_curr_exp(i_offset=2.0)
    net.add(sm.Population(200, cell, label="a"))
    total = 60_000 * 0.1
    ref = sm.build(net, backend="numba", progress=False)
    ref.run(total)
    sim = sm.build(net, backend="numba", progress=False)
    th = _interrupt_when_running(sim, 0.05, how)
    with pytest.raises(SimulationInterrupted) as info:
        sim.run(total)
    th.join()
    assert 0 < sim.t < total and sim.recording.t_stop == sim.t
    sim.run(info.value.remaining_ms)
    _same(ref.recording, sim.recording)


def test_extra_session_data_is_stored_beside_the_state(tmp_path):
    from spikemem.checkpoint import read_extra
    sim = sm.build(_network(), backend="numba")
    sim.save_state(tmp_path / "s.h5", extra={"history": [1, 2, 3], "name": "session"})
    extra = read_extra(tmp_path / "s.h5")
    assert list(extra["history"]) == [1, 2, 3] and extra["name"] == "session"


def test_damaged_or_tampered_checkpoints_are_refused_and_leave_the_simulator_usable(tmp_path):
    from spikemem.io import read_file, save_tree
    sim = sm.build(_network(), backend="numba")
    sim.run(10.0)
    sim.save_state(tmp_path / "s.h5")
    data = bytearray((tmp_path / "s.h5").read_bytes())
    data[len(data) // 2] ^= 4
    (tmp_path / "bad.h5").write_bytes(bytes(data))
    other = sm.build(_network(), backend="numba")
    with pytest.raises(FileFormatError):
        other.load_state(tmp_path / "bad.h5")
    tree = read_file(tmp_path / "s.h5", "checkpoint")
    tree["backend_state"]["v"] = tree["backend_state"]["v"][:3]
    save_tree(tmp_path / "tampered.h5", "checkpoint", tree)
    with pytest.raises(FileFormatError, match="does not fit"):
        other.load_state(tmp_path / "tampered.h5")
    assert other.t == 0.0
    other.run(10.0)
    _same(sim.recording, other.recording)
