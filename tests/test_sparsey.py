"""Specification of spikemem.models.sparsey.SparseyMac (the Code Selection Algorithm)."""

import time

import numpy as np
import pytest
from scipy.stats import mannwhitneyu, spearmanr

from spikemem.errors import ValidationError
from spikemem.models.sparsey import SparseyMac
from spikemem.sdr import SDR

N_IN, ACTIVE, Q, K = 400, 20, 20, 20


def random_inputs(rng, m, n=N_IN, a=ACTIVE):
    X = np.zeros((m, n), dtype=bool)
    for row in X:
        row[rng.choice(n, a, replace=False)] = True
    return X


def variant(rng, x, keep):
    """Copy of x with round(keep * a) of its active bits kept and the others moved elsewhere."""
    on, off = np.flatnonzero(x), np.flatnonzero(~x)
    moved = int(round((1 - keep) * on.size))
    y = x.copy()
    y[rng.choice(on, moved, replace=False)] = False
    y[rng.choice(off, moved, replace=False)] = True
    return y


def code_overlaps(a, b):
    """Overlap (in CMs) between every code in a (m, Q) and every code in b (p, Q)."""
    return (a[:, None, :] == b[None, :, :]).sum(axis=-1)


@pytest.fixture(scope="module")
def stored():
    """A mac with 50 random items learned (well below its capacity) and those items."""
    rng = np.random.default_rng(0)
    X = random_inputs(rng, 50)
    mac = SparseyMac(N_IN, Q, K, seed=1)
    mac.learn_batch(X)
    return mac, X


def test_every_code_has_exactly_one_active_cell_in_each_cm(stored):
    mac, X = stored
    codes = np.vstack([mac.codes, mac.encode_batch(random_inputs(np.random.default_rng(1), 30))
                      .code])
    assert codes.shape[1] == Q
    cm_of_cell = codes // K
    assert np.array_equal(cm_of_cell, np.broadcast_to(np.arange(Q), codes.shape))
    assert codes.min() >= 0 and codes.max() < Q * K


def test_first_item_is_novel_and_gets_familiarity_zero():
    mac = SparseyMac(N_IN, Q, K, seed=0)
    assert mac.learn(random_inputs(np.random.default_rng(0), 1)[0]).familiarity == 0.0


def test_representing_a_stored_input_gives_familiarity_one_and_its_identical_code(stored):
    mac, X = stored
    again = mac.encode_batch(X)
    assert np.all(again.familiarity == 1.0)
    assert np.array_equal(again.code, mac.codes)


def test_familiarity_is_the_fraction_of_the_input_matched_by_the_stored_code():
    mac = SparseyMac(10, Q=4, K=5, seed=0)
    mac.learn(np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]))
    assert mac.encode(np.array([1, 1, 0, 0, 1, 1, 0, 0, 0, 0])).familiarity == 0.5
    assert mac.encode(np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1])).familiarity == 0.0


@pytest.mark.parametrize("cue, g", [([1, 1, 0, 0], 1.0), ([1, 0, 1, 0], 0.5)])
def test_winner_probabilities_follow_the_familiarity_scaled_sigmoid(cue, g):
    height, steepness, inflection = 3.0, 10.0, 0.5
    mac = SparseyMac(4, Q=4000, K=2, sigmoid_height=height, sigmoid_steepness=steepness,
                     sigmoid_inflection=inflection, seed=0)
    stored_code = mac.learn(np.array([1, 1, 0, 0])).code
    result = mac.encode(np.array(cue))
    assert result.familiarity == g

    def psi(v):
        return 1 + (height - 1) * g / (1 + np.exp(-steepness * (v - inflection)))

    p_stored = psi(g) / (psi(g) + psi(0.0))  # the stored cell has V = g, the other V = 0
    frequency = np.mean(result.code == stored_code)
    assert abs(frequency - p_stored) < 4 * np.sqrt(p_stored * (1 - p_stored) / 4000)


def test_novel_random_inputs_get_codes_overlapping_stored_ones_at_chance_level(stored):
    mac, _ = stored
    novel = mac.encode_batch(random_inputs(np.random.default_rng(2), 200)).code
    mean_overlap = code_overlaps(novel, mac.codes).mean()
    assert abs(mean_overlap - Q / K) < 0.2 * Q / K


def test_similar_inputs_get_significantly_larger_code_overlap_than_novel_ones(stored):
    mac, X = stored
    rng = np.random.default_rng(3)
    similar = np.array([variant(rng, x, keep=0.85) for x in X])
    sim_overlap = (mac.encode_batch(similar).code == mac.codes).sum(axis=1)
    novel = mac.encode_batch(random_inputs(rng, 50)).code
    novel_overlap = (novel == mac.codes).sum(axis=1)
    assert sim_overlap.mean() > 0.5 * Q
    assert mannwhitneyu(sim_overlap, novel_overlap, alternative="greater").pvalue < 1e-6


def test_code_overlap_grows_with_input_overlap(stored):
    mac, X = stored
    rng = np.random.default_rng(4)
    keep = rng.uniform(0.0, 1.0, size=X.shape[0])
    Y = np.array([variant(rng, x, k) for x, k in zip(X, keep)])
    input_overlap = (X & Y).sum(axis=1)
    code_overlap = (mac.encode_batch(Y).code == mac.codes).sum(axis=1)
    assert spearmanr(input_overlap, code_overlap).correlation > 0.7


def test_height_one_makes_the_choice_uniform_even_for_stored_inputs():
    rng = np.random.default_rng(5)
    X = random_inputs(rng, 30)
    mac = SparseyMac(N_IN, Q, K, sigmoid_height=1.0, seed=0)
    mac.learn_batch(X)
    again = mac.encode_batch(X)
    assert np.all(again.familiarity == 1.0)
    assert (again.code == mac.codes).sum(axis=1).mean() < 2.5 * Q / K


def test_recall_from_a_partial_cue_returns_the_stored_item_and_its_code(stored):
    mac, X = stored
    rng = np.random.default_rng(6)
    for i in (0, 17, 49):
        cue = X[i] & (rng.random(N_IN) < 0.5)
        result = mac.recall(cue)
        assert result.index == i and result.overlap == Q and result.familiarity == 1.0
        assert np.array_equal(result.code, mac.codes[i])
    batch = mac.recall_batch(X)
    assert np.array_equal(batch.index, np.arange(X.shape[0]))


def test_recall_breaks_ties_towards_the_earliest_stored_item():
    mac = SparseyMac(8, Q=4, K=4, seed=0)
    x = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    first, second = mac.learn(x), mac.learn(x)
    assert np.array_equal(first.code, second.code)
    assert mac.recall(x).index == 0


def test_weights_are_the_or_of_input_code_outer_products():
    rng = np.random.default_rng(7)
    X = random_inputs(rng, 10, n=30, a=4)
    mac = SparseyMac(30, Q=3, K=4, seed=2)
    codes = mac.learn_batch(X).code
    expected = np.zeros((30, 12), dtype=bool)
    for x, code in zip(X, codes):
        expected[np.ix_(np.flatnonzero(x), code)] = True
    assert mac.weights.dtype == bool and np.array_equal(mac.weights, expected)


def test_learn_batch_equals_repeated_learn_and_encode_does_not_learn():
    X = random_inputs(np.random.default_rng(8), 20)
    one = SparseyMac(N_IN, Q, K, seed=3)
    codes = np.array([one.learn(SDR.from_bits(x)).code for x in X])
    batch = SparseyMac(N_IN, Q, K, seed=3)
    assert np.array_equal(batch.learn_batch(X).code, codes)
    weights = batch.weights
    batch.encode_batch(random_inputs(np.random.default_rng(9), 5))
    assert np.array_equal(batch.weights, weights) and batch.n_stored == 20


def test_same_seed_gives_same_codes_and_different_seed_different_codes():
    X = random_inputs(np.random.default_rng(10), 20)
    a = SparseyMac(N_IN, Q, K, seed=4).learn_batch(X).code
    b = SparseyMac(N_IN, Q, K, seed=4).learn_batch(X).code
    c = SparseyMac(N_IN, Q, K, seed=5).learn_batch(X).code
    assert np.array_equal(a, b)
    assert (a == c).mean() < 0.2


def test_learning_all_sklearn_digits_takes_well_under_a_second():
    from sklearn.datasets import load_digits

    from spikemem.sdr import RandomProjectionEncoder

    images = load_digits().data
    X = RandomProjectionEncoder(64, 4096, k=32, seed=0).fit(images).encode_batch(images)
    SparseyMac(4096, Q=32, K=64, seed=0).learn_batch(X[:2])  # compile outside the timing
    mac = SparseyMac(4096, Q=32, K=64, seed=0)
    start = time.perf_counter()
    mac.learn_batch(X)
    assert time.perf_counter() - start < 0.5
    assert mac.n_stored == 1797


@pytest.mark.parametrize("method", ["learn", "encode", "recall"])
def test_single_input_methods_reject_bad_inputs_with_clear_errors(stored, method):
    mac, X = stored
    call = getattr(mac, method)
    with pytest.raises(ValidationError, match=rf"SparseyMac.{method}: x must have a last axis "
                                              rf"of length {N_IN}"):
        call(np.ones(N_IN - 1, dtype=bool))
    with pytest.raises(ValidationError, match=rf"SparseyMac.{method}: x must be a 1-D binary"):
        call(X[:2])
    with pytest.raises(ValidationError, match=r"must hold only 0s and 1s \(found 2\)"):
        call(2 * X[0].astype(int))
    with pytest.raises(ValidationError, match=r"x must have at least one active input \(it has "
                                              r"none\)"):
        call(np.zeros(N_IN))
    with pytest.raises(ValidationError, match=rf"x.n must be an SDR of size n_inputs={N_IN}"):
        call(SDR([1], N_IN + 1))


@pytest.mark.parametrize("method", ["learn_batch", "encode_batch", "recall_batch"])
def test_batch_methods_name_the_empty_row(stored, method):
    mac, X = stored
    bad = X[:4].copy()
    bad[2] = False
    with pytest.raises(ValidationError, match=rf"SparseyMac.{method}: X must have at least one "
                                              r"active input \(row 2 has none\)"):
        getattr(mac, method)(bad)
    with pytest.raises(ValidationError, match="X must be a 2-D binary array"):
        getattr(mac, method)(X[0])


def test_recall_before_learning_is_an_error():
    with pytest.raises(ValidationError, match="SparseyMac.recall: n_stored must have"):
        SparseyMac(8, Q=2, K=2).recall(np.ones(8))


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(n_inputs=0), "SparseyMac: n_inputs must be an integer >= 1, got 0"),
    (dict(Q=2.5), "SparseyMac: Q must be an integer, got 2.5"),
    (dict(sigmoid_height=0.5), "sigmoid_height must be a finite number in [1.0, inf], got 0.5"),
    (dict(sigmoid_steepness=0.0), "sigmoid_steepness must be a finite number in (0.0, inf]"),
    (dict(sigmoid_inflection=1.5), "sigmoid_inflection must be a finite number in [0.0, 1.0]"),
    (dict(seed=-1), "seed must be an integer >= 0"),
])
def test_constructor_rejects_out_of_range_parameters(kwargs, fragment):
    args = dict(n_inputs=8, Q=2, K=2) | kwargs
    with pytest.raises(ValidationError) as err:
        SparseyMac(**args)
    assert fragment in str(err.value)


# --- spiking realisation --------------------------------------------------------------------

def test_to_network_wires_learned_weights_and_inhibition_inside_each_cm_only(stored):
    mac, X = stored
    net = mac.to_network(X[:3])
    assert net["mac"].size == Q * K and net["inputs"].size == N_IN
    learned = net["learned_weights"]
    dense = np.zeros((N_IN, Q * K), dtype=bool)
    dense[learned.pre_idx, learned.post_idx] = True
    assert learned.receptor == "excitatory" and np.array_equal(dense, mac.weights)
    inhibition = net["cm_inhibition"]
    assert inhibition.receptor == "inhibitory"
    assert inhibition.size == Q * K * (K - 1)
    assert np.all(inhibition.pre_idx // K == inhibition.post_idx // K)
    assert np.all(inhibition.pre_idx != inhibition.post_idx)
    with pytest.raises(ValidationError, match="SparseyMac.to_network: t_first"):
        mac.to_network(X[:3], t_first=100.0)


def test_spiking_mac_on_numba_reactivates_the_csa_codes_of_stored_inputs(stored):
    import spikemem as sm

    mac, X = stored
    cues = X[:20]
    csa = mac.encode_batch(cues).code
    assert np.array_equal(csa, mac.codes[:20])
    sim = sm.build(mac.to_network(cues), backend="numba", seed=0)
    sim.run(20 * 750.0)
    assert np.array_equal(mac.spiking_codes(sim.recording, 20), csa)
    times, ids = sim.recording.spikes("mac")
    for i in range(20):  # winner-take-all: one cell per CM fires for each cue
        cells = np.unique(ids[(times >= 750.0 * i) & (times < 750.0 * (i + 1))])
        assert np.array_equal(cells // K, np.arange(Q))


def test_spiking_mac_picks_the_best_matching_cell_of_each_cm_for_noisy_cues(stored):
    import spikemem as sm

    mac, X = stored
    rng = np.random.default_rng(11)
    cues = np.array([variant(rng, x, keep=0.4) for x in X[:20]])
    u = (cues.astype(int) @ mac.weights.astype(int)).reshape(20, Q, K)
    tied = u == u.max(axis=-1, keepdims=True)
    unique = tied.sum(axis=-1) == 1
    best = u.argmax(axis=-1) + K * np.arange(Q)  # the CSA's deterministic limit
    assert unique.mean() > 0.8 and np.any((best != mac.codes[:20]) & unique)
    sim = sm.build(mac.to_network(cues), backend="numba", seed=0)
    sim.run(20 * 750.0)
    spiking = mac.spiking_codes(sim.recording, 20)
    assert np.array_equal(spiking[unique], best[unique])
    for i, q in np.argwhere(~unique):  # equal inputs fire together: no single winner
        assert spiking[i, q] == -1 or tied[i, q, spiking[i, q] - q * K]
