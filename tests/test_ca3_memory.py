"""Behaviour of the CA3 content-addressable memory: the published timing, learning, recall by
cue and by fragment, forgetting by relearning, and the session's input checks."""
import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import ValidationError
from spikemem.models.ca3_cam import CA3Memory, Operation, build_network
from spikemem.models.ca3_metrics import expected_from_fragment


def _out_spikes(rec, cue_size):
    t, i = rec.spikes("OUT")
    return [(int(a), int(b)) for a, b in zip(t, i)]


def _reference_run(hold_ops, duration=30.0):
    """5-cue x 10-bit memory fed `hold_ops` = [(start, [IN ids], hold)]; returns OUT spikes."""
    net, _ = build_network(5, 10)
    sim = sm.build(net, backend="numba", progress=False)
    for start, ids, hold in hold_ops:
        for h in range(hold):
            sim.add_spikes("IN", [start + h] * len(ids), ids)
    sim.run(duration)
    return _out_spikes(sim.recording, 5)


def test_learn_echoes_at_5_and_7_and_recall_by_cue_returns_cue_at_15_and_content_at_16():
    # reference/ca3_cam.md: learn cue 0 + bits {0,1,2,9} at t=0..2 -> echo at t=5 and 7;
    # recall cue 0 at t=10 -> cue out at 15, all four bits out at 16 (OUT bit b = neuron 5+b).
    out = _reference_run([(0, [0, 5, 6, 7, 14], 3), (10, [0], 1)])
    pattern = [0, 5, 6, 7, 14]
    assert out == ([(5, n) for n in pattern] + [(7, n) for n in pattern]
                   + [(15, 0)] + [(16, n) for n in (5, 6, 7, 14)])


def test_recall_by_content_returns_the_cue_six_steps_after_a_single_bit():
    out = _reference_run([(0, [0, 5, 6, 7, 14], 3), (10, [5 + 9], 1)])
    after = [(t, n) for t, n in out if t >= 10]
    assert after == [(15, 14), (16, 0)]      # echo of the fragment bit, then the cue


def test_relearning_a_cue_with_new_bits_makes_the_old_bits_stop_coming_back():
    # learn cue 0 + bits {0,1,2,9}, recall, relearn cue 0 + bits {3,4}, recall: the old bits
    # still echo while the new content is learned (t = 26) but never in the recall after it.
    out = _reference_run([(0, [0, 5, 6, 7, 14], 3), (10, [0], 1), (20, [0, 8, 9], 3),
                          (30, [0], 1)], duration=40.0)
    assert [(t, n) for t, n in out if 30 <= t < 40] == [(35, 0), (36, 8), (36, 9)]
    mem = CA3Memory(5, 10, progress=False)
    mem.learn(0, [0, 1, 2, 9])
    mem.learn(0, [3, 4])
    assert mem.recall(cue=0) == {0: [3, 4]}
    assert mem.recall(fragment=[0]) == {}


def _random_memories(rng, cues, bits, overlapping):
    n_mem = cues
    if overlapping:
        return {c: sorted(rng.choice(bits, size=rng.integers(2, 5), replace=False).tolist())
                for c in range(n_mem)}
    perm = rng.permutation(bits)
    k = bits // n_mem
    return {c: sorted(perm[c * k:(c + 1) * k].tolist()) for c in range(n_mem)}


@pytest.mark.parametrize("overlapping", [False, True], ids=["orthogonal", "overlapping"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_memory_learned_at_max_rate_is_recalled_exactly_by_its_cue(seed, overlapping):
    rng = np.random.default_rng(seed)
    memories = _random_memories(rng, 6, 18, overlapping)
    mem = CA3Memory(6, 18, progress=False, gap=0)
    res = mem.learn_many(memories)
    assert [r.start for r in res] == [7 * k for k in range(6)]
    order = rng.permutation(6).tolist()
    results = mem.run([Operation.recall_cue(c) for c in order])     # max rate
    assert np.all(np.diff([r.start for r in results]) == 6)
    for c, r in zip(order, results):
        assert list(r.bits) == memories[c]
        assert r.cues == (c,)
        assert r.latency == 6


@pytest.mark.parametrize("overlapping", [False, True], ids=["orthogonal", "overlapping"])
@pytest.mark.parametrize("seed", [3, 4])
def test_recall_from_any_fragment_returns_exactly_the_memories_holding_a_presented_bit(
        seed, overlapping):
    rng = np.random.default_rng(seed)
    memories = _random_memories(rng, 5, 15, overlapping)
    mem = CA3Memory(5, 15, progress=False)
    mem.learn_many(memories)
    for _ in range(6):
        size = int(rng.integers(1, 4))
        fragment = sorted(rng.choice(15, size=size, replace=False).tolist())
        assert mem.recall(fragment=fragment) == expected_from_fragment(memories, fragment)


def test_recall_from_a_single_bit_returns_all_overlapping_memories():
    mem = CA3Memory(cues=8, bits=16, progress=False)
    mem.learn(0, [1, 4, 9])
    mem.learn(1, [2, 4, 11])
    mem.learn(5, [4, 15])
    mem.learn(2, [5, 6])
    assert mem.recall(fragment=[4]) == {0: [1, 4, 9], 1: [2, 4, 11], 5: [4, 15]}
    assert mem.recall(fragment=[9]) == {0: [1, 4, 9]}
    assert mem.recall(fragment=[3]) == {}
    assert mem.recall(cue=7) == {}


def test_recall_by_content_at_max_rate_returns_the_cues_six_steps_after_each_fragment():
    mem = CA3Memory(4, 8, progress=False)
    mem.learn_many({0: [0, 1], 1: [2, 3], 2: [1, 4]})
    res = mem.run([Operation.recall_content([1]), Operation.recall_content([3]),
                   Operation.recall_content([7])])
    assert [r.cues for r in res] == [(0, 2), (1,), ()]
    assert [r.latency for r in res] == [6, 6, None]


@pytest.mark.parametrize("call, match", [
    (lambda m: m.learn(5, [1]), "cue 5 is out of range"),
    (lambda m: m.learn(-1, [1]), "cue -1 is out of range"),
    (lambda m: m.learn(1.0, [1]), "cue must be an integer"),
    (lambda m: m.learn(0, []), "at least one bit"),
    (lambda m: m.learn(0, [1, 10]), "bit 10 is out of range"),
    (lambda m: m.learn(0, [2, 2]), "duplicate bits \\[2\\]"),
    (lambda m: m.learn(0, "01"), "sequence of bit indices"),
    (lambda m: m.recall(), "exactly one of"),
    (lambda m: m.recall(cue=0, fragment=[1]), "exactly one of"),
    (lambda m: m.recall(cue=9), "out of range"),
    (lambda m: m.recall(fragment=[]), "at least one bit"),
    (lambda m: m.recall(fragment=[11]), "out of range"),
    (lambda m: m.weights("nope"), "which must be"),
])
def test_invalid_operations_raise_validation_errors_and_run_nothing(call, match):
    mem = CA3Memory(5, 10, progress=False)
    with pytest.raises(sm.ValidationError, match=match):
        call(mem)
    assert mem.sim.t == 0.0 and mem.history == []


def test_learn_and_recall_by_cue_on_every_backend(backend):
    mem = CA3Memory(3, 6, backend=backend)
    mem.learn(1, [0, 5])
    mem.learn(2, [3])
    assert mem.recall(cue=1) == {1: [0, 5]}
    assert mem.recall(fragment=[3]) == {2: [3]}


def test_overlapping_recall_and_forgetting_give_the_same_answers_on_every_backend(backend):
    mem = CA3Memory(3, 6, backend=backend)
    mem.learn(0, [0, 1, 2])
    mem.learn(1, [2, 3])
    assert mem.recall(fragment=[2]) == {0: [0, 1, 2], 1: [2, 3]}
    mem.learn(0, [4, 5])                       # relearning cue 0 forgets {0, 1, 2}
    assert mem.recall(cue=0) == {0: [4, 5]}
    assert mem.recall(fragment=[0]) == {}
    assert mem.recall(fragment=[2]) == {1: [2, 3]}


def test_learn_many_refuses_anything_but_a_cue_to_content_dict_before_running():
    mem = CA3Memory(4, 8)
    with pytest.raises(ValidationError, match="learn_many: memories must be a dict"):
        mem.learn_many([(0, [1, 2])])
    assert mem.t == 0 and mem.history == []
