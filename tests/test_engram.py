"""The engram network: completion, working memory, forgetting, consolidation, sequences.

Expectations come from the network's design (mean-field thresholds in the docstrings of
`models.engram_network`), stated per test; nothing is compared with an earlier run of the code.
"""
import math

import numpy as np
import pytest

from spikemem.errors import ValidationError
from spikemem.models.engram import EngramNetwork, random_patterns
from spikemem.models.engram_network import EngramParams, episode_tag

N, K = 120, 12


@pytest.fixture(scope="module")
def stored():
    """A network holding 6 random engrams (no decay, no consolidation) and the patterns."""
    net = EngramNetwork(n=N, k=K, seed=0, stm_tau=math.inf, consolidate_after=None)
    patterns = random_patterns(N, K, 6, seed=11)
    for p in patterns:
        net.store(p)
    return net, patterns


def test_a_stored_engram_completes_from_half_of_its_cells(stored):
    net, patterns = stored
    for i, p in enumerate(patterns):
        r = net.recall(engram=i, fraction=0.5, learn=False)
        assert r.cue.size == K // 2 and set(r.cue) <= set(p)
        assert r.score(p)["exact"], (i, r.cells, p)
        assert r.best == i


def test_a_cue_of_a_few_cells_below_the_completion_threshold_recalls_nothing(stored):
    # completion needs c * (1 - inhibition) * w_max >= threshold * k * w_max, c >= 3 cells
    net, patterns = stored
    r = net.recall(patterns[0][:2], learn=False)
    assert r.cells.size == 0 and r.best is None


def test_recall_without_learning_leaves_the_engram_weights_unchanged(stored):
    net, patterns = stored
    before = net.weight_matrix()
    net.recall(engram=2, fraction=0.5, learn=False)
    np.testing.assert_array_equal(net.weight_matrix(), before)


def test_a_recalled_engram_stays_active_for_the_working_memory_time_then_falls_silent():
    net = EngramNetwork(n=60, k=10, seed=1, stm_tau=math.inf, consolidate_after=None,
                        wm_ms=30.0)
    p = random_patterns(60, 10, 1, seed=2)[0]
    net.store(p)
    r = net.recall(engram=0, fraction=0.5, window=80.0)
    live = r.cycle_times[r.active.any(axis=1)]
    # the gate counts 15 cycles of activity and its inhibition arrives one cycle later
    assert live[0] == r.t_cue and live[-1] == r.t_cue + 2.0 * 15
    assert np.all(np.diff(live) == 2.0)               # persistent: every cycle in between
    assert np.all(r.active[1:16][:, p])                # the whole engram, every cycle


def test_an_engram_never_rehearsed_is_forgotten_after_the_stm_decay_but_a_rehearsed_one_is_not():
    net = EngramNetwork(n=80, k=10, seed=3, stm_tau=1000.0, consolidate_after=3)
    a, b = random_patterns(80, 10, 2, seed=4)
    ia, ib = net.store(a), net.store(b)
    net.rehearse(ia)
    net.rehearse(ia)                                  # storage + 2 replays = 3 reactivations
    assert net.engram_weight(ia, "slow") == pytest.approx(net.layout.w_max, rel=1e-9)
    assert net.engram_weight(ib, "slow") == 0.0
    net.advance(2.0 * net.stm_lifetime)
    assert net.recall(engram=ia, learn=False).score(a)["exact"]
    assert net.recall(engram=ib, learn=False).cells.size == 0


def test_without_consolidation_rehearsal_only_delays_forgetting():
    net = EngramNetwork(n=80, k=10, seed=3, stm_tau=1000.0, consolidate_after=None)
    a = random_patterns(80, 10, 1, seed=4)[0]
    net.store(a)
    net.rehearse(0)
    net.rehearse(0)
    assert net.engram_weight(0, "slow") == 0.0
    net.advance(2.0 * net.stm_lifetime)
    assert net.recall(engram=0, learn=False).cells.size == 0


def test_consolidation_happens_at_the_reactivation_the_tag_threshold_names():
    net = EngramNetwork(n=60, k=10, seed=5, stm_tau=2000.0, consolidate_after=2)
    p = random_patterns(60, 10, 1, seed=6)[0]
    net.store(p)
    tag = net.engram_weight(0, "tag")
    # one episode adds about episode_tag; the threshold is 1.5 episodes
    assert 0.8 * episode_tag(net.params) < tag < net.layout.tag_threshold
    assert net.engram_weight(0, "slow") == 0.0
    net.rehearse(0)
    assert net.engram_weight(0, "slow") == pytest.approx(net.layout.w_max, rel=1e-9)


def test_a_stored_chain_is_recalled_in_order_from_its_first_engram():
    net = EngramNetwork(n=150, k=15, seed=7, stm_tau=math.inf, consolidate_after=None)
    background = random_patterns(150, 15, 4, seed=8)
    for p in background:
        net.store(p)
    chain = random_patterns(150, 15, 4, seed=9)
    ids = net.store_sequence(chain)
    r = net.recall(engram=ids[0], fraction=0.5, learn=False, window=40.0)
    assert r.order == ids
    # the cued engram completes in the same cycle as its successor (A + B), then each item
    # comes up alone after the previous one
    assert r.onsets[ids[0]] == r.onsets[ids[1]] == r.t_cue + 2.0
    assert r.onsets[ids[1]] < r.onsets[ids[2]] < r.onsets[ids[3]]
    last_cycle = r.active[r.active.any(axis=1)][-1]    # the last item holds working memory
    np.testing.assert_array_equal(np.flatnonzero(last_cycle), chain[-1])


def test_associate_links_two_stored_engrams():
    net = EngramNetwork(n=100, k=10, seed=10, stm_tau=math.inf, consolidate_after=None)
    a, b = random_patterns(100, 10, 2, seed=12)
    net.store(a), net.store(b)
    assert net.recall(engram=0, learn=False).order == [0]
    net.associate(0, 1)
    assert net.recall(engram=0, learn=False).order == [0, 1]


@pytest.mark.parametrize("overlap, merged", [(4, False), (8, True)])
def test_overlapping_engrams_merge_only_above_the_inhibition_threshold(overlap, merged):
    # B's own cells join A when overlap * w_max - inhibition * k * w_max >= threshold * k * w_max,
    # i.e. overlap >= (0.6 + 0.1) * 10 = 7 shared cells
    net = EngramNetwork(n=60, k=10, seed=13, stm_tau=math.inf, consolidate_after=None)
    a = np.arange(10)
    b = np.arange(10 - overlap, 20 - overlap)
    net.store(a), net.store(b)
    r = net.recall(a[:6], learn=False)
    assert r.score(a)["hit"] == 1.0
    assert r.score(np.union1d(a, b))["exact"] is merged


def test_the_same_seed_gives_the_same_spikes_and_recall():
    def session(seed):
        net = EngramNetwork(n=60, k=8, seed=seed)
        for p in random_patterns(60, 8, 3, seed=1):
            net.store(p)
        r = net.recall(engram=1, fraction=0.5)
        return net.recording.spikes("exc"), r.cue

    (t1, i1), c1 = session(4)
    (t2, i2), c2 = session(4)
    (_, _), c3 = session(5)
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(c1, c2)
    assert not np.array_equal(c1, c3)                  # the seed draws the partial cue


@pytest.mark.parametrize("call, match", [
    (lambda net: net.store([0, 1, 200]), "out of range"),
    (lambda net: net.store([3, 3, 4]), "more than once"),
    (lambda net: net.store([]), "at least one cell"),
    (lambda net: net.store([0.5, 1]), "integer"),
    (lambda net: net.store(np.ones(7, bool)), "shape"),
    (lambda net: net.recall(engram=5), "not a stored engram"),
    (lambda net: net.recall(), "exactly one"),
    (lambda net: net.recall([1, 2], engram=0), "exactly one"),
    (lambda net: net.recall(engram=0, fraction=0.0), "fraction"),
    (lambda net: net.recall([1, 2], window=-1.0), "window"),
    (lambda net: net.advance(-5.0), "ms must be"),
    (lambda net: net.cue([1], hold=0), "hold"),
    (lambda net: net.cue([1, 2], hold=2 ** 31), "hold must be an integer >= 1 and <= 1000000"),
    (lambda net: net.store_sequence([]), "at least one"),
    (lambda net: net.weight_matrix("speed"), "component"),
])
def test_bad_input_raises_a_validation_error_naming_the_problem(call, match):
    net = EngramNetwork(n=40, k=8, seed=0)
    net.store(np.arange(8))
    with pytest.raises(ValidationError, match=match):
        call(net)


@pytest.mark.parametrize("params, match", [
    (dict(n=2), "n must be an integer >= 4"),
    (dict(n=20, k=30), "k must be <= n"),
    (dict(n=20, inhibition=1.2), "inhibition"),
    (dict(n=20, threshold=0.0), "threshold"),
    (dict(n=20, wm_ms=1.0), "wm_ms"),
    (dict(n=20, stm_tau=-1.0), "stm_tau"),
    (dict(n=20, consolidate_after=0), "consolidate_after"),
    (dict(n=20, transfer_fraction=2.0), "transfer_fraction"),
    (dict(n=20, a_plus=float("nan")), "a_plus"),
])
def test_bad_parameters_are_rejected_by_name(params, match):
    with pytest.raises(ValidationError, match=match):
        EngramParams(**params)


def test_plain_stdp_engram_network_needs_no_consolidating_synapses():
    net = EngramNetwork(n=40, k=8, seed=0, stm_tau=math.inf, consolidate_after=None)
    assert type(net.network["exc_exc"].synapse).__name__ == "STDP"
    with pytest.raises(ValidationError, match="plain STDP"):
        net.weight_matrix("slow")


def test_raster_writes_a_png(tmp_path, stored):
    net, _ = stored
    net.raster(tmp_path / "raster.png", t_range=(0.0, 60.0))
    assert (tmp_path / "raster.png").stat().st_size > 1000


def _small_session(backend):
    net = EngramNetwork(n=24, k=6, backend=backend, seed=0, stm_tau=math.inf,
                        consolidate_after=None)
    patterns = random_patterns(24, 6, 2, seed=1)
    for p in patterns:
        net.store(p)
    return net, patterns, net.recall(engram=0, fraction=0.5)


def test_the_plain_stdp_engram_network_stores_and_recalls_the_same_on_every_backend(backend):
    net, patterns, r = _small_session(backend)
    assert r.score(patterns[0])["exact"]
    if backend != "numba":
        ref, _, _ = _small_session("numba")
        for label in ("exc", "inh", "wm_gate"):
            np.testing.assert_array_equal(np.stack(net.recording.spikes(label)),
                                          np.stack(ref.recording.spikes(label)))
        np.testing.assert_allclose(net.weight_matrix(), ref.weight_matrix(), rtol=1e-9,
                                   atol=1e-12)


@pytest.mark.parametrize("seed", [1, 7])
def test_the_default_memory_recalls_tens_of_engrams_from_half_cues_seconds_later(seed):
    from spikemem.models.engram import EngramMemory
    mem = EngramMemory(seed=seed)                         # the defaults: no forgetting
    patterns = random_patterns(mem.n, mem.k, 25, seed=seed + 100)
    for p in patterns:
        mem.store(p)
    mem.advance(10_000.0)
    scores = mem.evaluate(fraction=0.5)
    assert len(scores) == 25 and all(s["exact"] for s in scores)
    assert mem.t > 10_000.0


def test_forgetting_is_explicit_an_unrehearsed_engram_fades_with_stm_tau():
    from spikemem.models.engram import EngramMemory
    mem = EngramMemory(n=100, k=10, seed=2, stm_tau=1000.0)
    pattern = random_patterns(100, 10, 1, seed=3)[0]
    mem.store(pattern)
    assert mem.recall(engram=0, learn=False).score(pattern)["exact"]
    mem.advance(2 * mem.stm_lifetime)
    assert mem.recall(engram=0, learn=False).score(pattern)["f1"] < 0.5
