"""The Numba engine's threads change no result: same spikes, voltages and weights, bit for bit.

Networks mix static, STDP and ConsolidatingSTDP projections, Poisson and array sources, Poisson
drives (`PoissonInput`), delays of several steps and both receptors, and run in several calls
(so that state carries across windows); each is run with 1, 2 and 3 threads (3 threads on 2
cores also exercises the barrier when threads outnumber cores) and compared exactly.
"""
import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import ValidationError
from spikemem.synapses import ConsolidatingSTDP

CELL = sm.IF_curr_exp(cm=0.25, tau_m=10.0, tau_refrac=2.0, tau_syn_E=2.0, tau_syn_I=4.0,
                      v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, i_offset=0.2)


def _network(seed: int) -> sm.Network:
    rng = np.random.default_rng(seed)
    net = sm.Network(dt=0.5, label=f"threads{seed}")
    exc = net.add(sm.Population(180, CELL, label="exc", record=("spikes", "v"),
                                initial_v=rng.uniform(-65, -52, 180)))
    inh = net.add(sm.Population(45, CELL, label="inh", record=("spikes", "v")))
    noise = net.add(sm.SpikeSourcePoisson(60, rate=80.0, seed=seed + 1, label="noise"))
    cue = net.add(sm.SpikeSourceArray([sorted(rng.uniform(0, 150, 6)) for _ in range(20)],
                                      label="cue"))
    delays = rng.integers(1, 7, size=None)
    net.add(sm.Projection(noise, exc, sm.FixedProbability(0.3, seed=seed + 2),
                          sm.StaticSynapse(weight=0.25, delay=1.0), label="noise_exc"))
    net.add(sm.Projection(noise, inh, sm.FixedProbability(0.3, seed=seed + 3),
                          sm.StaticSynapse(weight=0.25, delay=0.5), label="noise_inh"))
    pre, post = np.nonzero(rng.random((180, 180)) < 0.08)
    net.add(sm.Projection(exc, exc, sm.FromList(pre, post, delay=0.5 * rng.integers(1, 9, pre.size)),
                          sm.STDP(tau_plus=15.0, tau_minus=20.0, A_plus=0.01, A_minus=0.012,
                                  w_max=0.3, weight=0.1), label="exc_exc"))
    net.add(sm.Projection(exc, inh, sm.FixedProbability(0.2, seed=seed + 4),
                          sm.StaticSynapse(weight=0.2, delay=0.5 * delays), label="exc_inh"))
    net.add(sm.Projection(inh, exc, sm.FixedProbability(0.3, seed=seed + 5),
                          sm.StaticSynapse(weight=0.4, delay=1.5), receptor="inhibitory",
                          label="inh_exc"))
    net.add(sm.Projection(cue, exc[:60], sm.FixedProbability(0.5, seed=seed + 6),
                          ConsolidatingSTDP(tau_plus=10.0, tau_minus=10.0, A_plus=0.05,
                                            A_minus=0.02, w_max=1.0, weight=0.3, delay=1.0,
                                            tau_decay=80.0, w_base=0.2, tau_tag=200.0,
                                            tag_threshold=0.5),
                          label="cue_exc"))
    net.add(sm.Projection(exc[100:], exc[:50], sm.FixedProbability(0.1, seed=seed + 7),
                          sm.STDP(A_plus=0.02, A_minus=0.01, w_max=0.5, weight=0.2,
                                  weight_dependence="multiplicative", delay=2.0),
                          label="exc_exc_mult"))
    # Poisson drives: several spikes per step, on a view crossing the partition boundaries,
    # inhibitory with a window, and two drives summed onto the same neurons
    net.add(sm.PoissonInput(exc[30:170], n_inputs=300, rate=8.0, weight=0.05, seed=seed + 8,
                            label="bg_exc"))
    net.add(sm.PoissonInput(exc, n_inputs=200, rate=10.0, weight=0.03, seed=seed + 9,
                            receptor="inhibitory", start=20.0, duration=60.0, label="bg_inh"))
    net.add(sm.PoissonInput(inh, n_inputs=400, rate=8.0, weight=0.04, seed=seed + 10,
                            label="bg_i"))
    return net


def _run(net, threads, durations=(40.0, 0.5, 79.5, 30.0)):
    sim = sm.build(net, backend="numba", threads=threads, progress=False)
    out = {}
    for k, d in enumerate(durations):
        sim.run(d)
        if k == 1:
            sim.add_spikes("cue", [sim.t + 3.0, sim.t + 3.5], [2, 5])
    rec = sim.recording
    for label in ("exc", "inh", "noise", "cue"):
        out[f"spikes_{label}"] = rec.spikes(label)
    for label in ("exc", "inh"):
        out[f"v_{label}"] = rec.v(label)[1]
    for p in net.projections:
        out[f"w_{p.label}"] = sim.weights(p)
    for c in ("fast", "slow", "tag"):
        out[f"cue_exc_{c}"] = sim.weights("cue_exc", component=c)
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_one_two_and_three_threads_give_bit_identical_spikes_voltages_and_weights(seed):
    net = _network(seed)
    ref = _run(net, 1)
    assert ref["spikes_exc"][0].size > 100          # the network is active
    assert not np.array_equal(ref["w_exc_exc"], net["exc_exc"].weight)   # and learns
    assert np.any(ref["cue_exc_slow"] > 0) or np.any(ref["cue_exc_tag"] > 0)
    for threads in (2, 3):
        got = _run(net, threads)
        for key, value in ref.items():
            if isinstance(value, tuple):
                for a, b in zip(value, got[key]):
                    np.testing.assert_array_equal(a, b, err_msg=f"{key}, {threads} threads")
            else:
                np.testing.assert_array_equal(value, got[key], err_msg=f"{key}, {threads} threads")


def test_more_threads_than_neurons_still_gives_the_same_result():
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(3, sm.IF_curr_exp(tau_m=3.0), label="a", record=("spikes", "v")))
    s = net.add(sm.SpikeSourceArray([[1.0, 4.0], [2.0], [3.0, 9.0]], label="s"))
    net.add(sm.Projection(s, a, sm.AllToAll(), sm.StaticSynapse(weight=3.0, delay=2.0)))
    net.add(sm.Projection(a, a, sm.AllToAll(False), sm.STDP(w_max=2.0, weight=1.0, delay=1.0)))
    runs = [sm.build(net, threads=t, progress=False) for t in (1, 5)]
    for sim in runs:
        sim.run(30.0)
    np.testing.assert_array_equal(runs[0].recording.v("a")[1], runs[1].recording.v("a")[1])
    np.testing.assert_array_equal(runs[0].weights(net.projections[1]),
                                  runs[1].weights(net.projections[1]))


def test_reset_and_rerun_with_threads_repeats_the_run_exactly():
    net = _network(3)
    sim = sm.build(net, threads=2, progress=False)
    sim.run(60.0)
    first = sim.recording.spikes("exc")
    w = sim.weights("exc_exc")
    sim.reset()
    sim.run(60.0)
    np.testing.assert_array_equal(first[0], sim.recording.spikes("exc")[0])
    np.testing.assert_array_equal(w, sim.weights("exc_exc"))


@pytest.mark.parametrize("bad", [0, -1, 1.5, "two", True])
def test_bad_thread_counts_are_refused_naming_the_option(bad):
    with pytest.raises(ValidationError, match="threads"):
        sm.build(_network(0), threads=bad)


@pytest.mark.parametrize("bad", ["float16", "double", 32])
def test_bad_weight_dtypes_are_refused_naming_the_option(bad):
    with pytest.raises(ValidationError, match="weight_dtype"):
        sm.build(_network(0), weight_dtype=bad)


@pytest.mark.parametrize("threads", [1, 2])
def test_injected_spikes_survive_a_window_that_stops_early_on_a_full_spike_buffer(threads):
    # 100 sources firing every step fill the spike buffer (2^18) within one 10 000-step
    # window, which then stops early and resumes; spikes injected late in the window must
    # still be delivered, exactly as when the same time is run in short calls
    def build():
        net = sm.Network(dt=1.0)
        a = net.add(sm.Population(2, sm.IF_curr_exp(tau_m=3.0), label="a"))
        net.add(sm.SpikeSourcePoisson(100, rate=1000.0, seed=0, label="busy"))
        s = net.add(sm.SpikeSourceArray(size=2, label="s"))
        net.add(sm.Projection(s, a, sm.OneToOne(), sm.StaticSynapse(weight=30.0, delay=1.0)))
        return sm.build(net, threads=threads, progress=False)

    late = [4000.0, 9000.0]
    long_run, short_runs = build(), build()
    for sim in (long_run, short_runs):
        sim.add_spikes("s", late, [0, 1])
    long_run.run(10_000.0)
    for _ in range(10):
        short_runs.run(1000.0)
    assert long_run.recording.spikes("busy")[0].size == 1_000_000
    for label in ("a", "s"):
        for x, y in zip(long_run.recording.spikes(label), short_runs.recording.spikes(label)):
            np.testing.assert_array_equal(x, y)
    assert list(long_run.recording.spikes("s")[0]) == late
    assert {4001.0, 9001.0} <= set(long_run.recording.spikes("a")[0])


def test_partition_records_merge_into_step_then_node_order():
    from spikemem.backends.numba.kernels import merge_records
    # partition 0: neurons 0-9 and sources 30-31; partition 1: 10-19; partition 2: 20-29
    parts = [[(0, 3), (0, 31), (2, 1), (5, 30)], [(0, 12), (1, 10), (5, 11)], [(2, 25)]]
    cap = 8
    rec_step = np.full((3, cap), -7, np.int64)
    rec_node = np.full((3, cap), -7, np.int64)
    for k, recs in enumerate(parts):
        for q, (t, i) in enumerate(recs):
            rec_step[k, q], rec_node[k, q] = t, i
    steps, nodes = merge_records(rec_step, rec_node, np.array([4, 3, 1]))
    assert steps.tolist() == [0, 0, 0, 1, 2, 2, 5, 5]
    assert nodes.tolist() == [3, 31, 12, 10, 1, 25, 30, 11]
    # every group (neurons 0-29, sources 30-31) is in (step, node) order
    for grp in (nodes < 30, nodes >= 30):
        order = np.lexsort((nodes[grp], steps[grp]))
        assert np.array_equal(order, np.arange(grp.sum()))


def test_steps_with_more_spikes_than_the_barrier_line_carries_stay_thread_independent():
    # The first SYNC_IDS_PER_STEP spikes of a partition travel in its barrier line, the rest
    # only in the `fired` array: synchronous volleys of the whole population use both paths.
    from spikemem.backends.numba.sync import SYNC_IDS_PER_STEP
    net = sm.Network(dt=0.5)
    cell = sm.IF_curr_exp(tau_m=10.0, tau_refrac=1.0, v_thresh=-50.0, v_reset=-65.0,
                          i_offset=1.5)
    a = net.add(sm.Population(96, cell, label="a", record=("spikes", "v"),
                              initial_v=np.full(96, -45.0)))
    pre, post = np.nonzero(np.random.default_rng(4).random((96, 96)) < 0.2)
    net.add(sm.Projection(a, a, sm.FromList(pre, post), sm.STDP(w_max=0.4, weight=0.1,
                                                              delay=0.5), label="rec"))
    runs = {}
    for threads in (1, 2, 3):
        sim = sm.build(net, threads=threads, progress=False)
        sim.run(50.0)
        runs[threads] = (sim.recording.spikes("a"), sim.recording.v("a")[1], sim.weights("rec"))
    steps, ids = runs[1][0]
    # some step has more spikes in each half of the population than the line carries
    per_step = np.array([[np.sum((steps == s) & (ids < 48)), np.sum((steps == s) & (ids >= 48))]
                         for s in np.unique(steps)])
    assert per_step.min(axis=1).max() > SYNC_IDS_PER_STEP
    for threads in (2, 3):
        for x, y in zip(runs[1][0] + runs[1][1:], runs[threads][0] + runs[threads][1:]):
            np.testing.assert_array_equal(x, y, err_msg=f"{threads} threads")


def test_partition_bounds_fall_on_cache_line_multiples_unless_a_partition_would_be_empty():
    from spikemem.backends.numba.cachelines import NEURON_QUANTUM, aligned_zeros
    from spikemem.backends.numba.storage import partition_bounds
    from spikemem.lowering import lower

    def bounds(n, threads):
        net = sm.Network(dt=0.1)
        net.add(sm.Population(n, CELL, label="p"))
        return partition_bounds(lower(net), threads)

    for n, threads in ((4000, 2), (4000, 3), (1001, 3)):
        b = bounds(n, threads)
        assert b[0] == 0 and b[-1] == n and np.all(np.diff(b) > 0)
        assert np.all(b[1:-1] % NEURON_QUANTUM == 0), b
        assert np.all(np.abs(np.diff(b) - n / threads) <= NEURON_QUANTUM), b
    assert bounds(20, 3).tolist() == [0, 6, 13, 20]          # rounding would empty one
    for shape, dtype in ((7,), np.float64), ((3, 5), np.int64), ((1,), np.int32):
        x = aligned_zeros(shape, dtype)
        assert x.shape == shape and x.dtype == dtype and not x.any()
        assert x.ctypes.data % 128 == 0


@pytest.mark.parametrize("threads", [1, 2])
def test_a_plastic_projection_without_synapses_runs_like_one_that_is_absent(threads):
    # potentiation walks the plastic synapses of every neuron that fired: with a plastic
    # projection of no synapses at all there is nothing to walk (and nothing to read)
    def run(with_empty):
        net = sm.Network(dt=1.0)
        a = net.add(sm.Population(40, sm.IF_curr_exp(i_offset=2.0), label="a",
                                  record=("spikes",)))
        if with_empty:
            net.add(sm.Projection(a, a, sm.FixedProbability(0.0, seed=1), sm.STDP(),
                                  label="none"))
        sim = sm.build(net, threads=threads, progress=False)
        sim.run(100.0)
        return sim.recording.spikes("a")

    ref, got = run(False), run(True)
    assert ref[0].size > 100
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(40, sm.IF_curr_exp(), label="a"))
    net.add(sm.Projection(a, a, sm.FixedProbability(0.0, seed=1), sm.STDP()))
    store = sm.build(net, threads=threads, progress=False)._store
    assert store.pl_post_delays.shape == (40,) and store.pl_post_indptr.shape == (41,)
    for x, y in zip(ref, got):
        np.testing.assert_array_equal(x, y)
