"""Specification of spikemem.sdr: the SDR type, its operations and the encoders."""

import numpy as np
import pytest

from spikemem.errors import ValidationError
from spikemem.sdr import (SDR, CategoryEncoder, RandomProjectionEncoder, ScalarEncoder,
                          check_sparsity, dropout, flip_bits, intersection, overlap,
                          overlap_matrix, union)


# --- the SDR type ---------------------------------------------------------------------------

def test_sdr_from_indices_and_from_bits_agree_and_sort_indices():
    a = SDR([5, 0, 2], n=8)
    b = SDR.from_bits([1, 0, 1, 0, 0, 1, 0, 0])
    assert a == b
    assert a.indices.tolist() == [0, 2, 5]
    assert a.bits.tolist() == [True, False, True, False, False, True, False, False]
    assert a.n_active == 3 and a.sparsity == 3 / 8


def test_sdr_accepts_bool_and_float_bit_arrays_and_an_empty_index_list():
    assert SDR.from_bits(np.array([True, False, True])) == SDR([0, 2], 3)
    assert SDR.from_bits(np.array([0.0, 1.0])) == SDR([1], 2)
    assert SDR([], 4).n_active == 0


def test_sdr_indices_are_read_only():
    a = SDR([1, 2], 4)
    with pytest.raises(ValueError):
        a.indices[0] = 3


@pytest.mark.parametrize("indices, n, fragment", [
    ([0, 8], 8, "must be in [0, 8) (found 8)"),
    ([-1, 2], 8, "found -1"),
    ([1, 1], 8, "must be unique (1 repeats)"),
    ([1.0, 2.0], 8, "must be integers"),
    ([[1, 2]], 8, "1-D"),
    ([True], 8, "must be integers"),
    ([1], 0, "n must be an integer >= 1"),
    ([1], 2.0, "n must be an integer"),
])
def test_sdr_rejects_bad_indices_naming_object_field_and_value(indices, n, fragment):
    with pytest.raises(ValidationError) as err:
        SDR(indices, n)
    assert str(err.value).startswith("SDR: ")
    assert fragment in str(err.value)


@pytest.mark.parametrize("bits, fragment", [
    ([0, 2, 1], "must hold only 0s and 1s (found 2)"),
    ([0.5, 1.0], "found 0.5"),
    ([0.0, np.nan], "found nan"),
    ([[0, 1]], "1-D"),
    ([], "at least one bit"),
    (["a", "b"], "numeric"),
])
def test_sdr_from_bits_rejects_non_binary_arrays(bits, fragment):
    with pytest.raises(ValidationError, match="SDR.from_bits: bits") as err:
        SDR.from_bits(bits)
    assert fragment in str(err.value)


# --- operations -----------------------------------------------------------------------------

def test_overlap_union_intersection_match_hand_computed_values():
    a = SDR([0, 3, 4, 9], n=10)
    b = SDR([3, 4, 5], n=10)
    assert overlap(a, b) == 2
    assert union(a, b) == SDR([0, 3, 4, 5, 9], n=10)
    assert intersection(a, b) == SDR([3, 4], n=10)
    assert overlap(a, SDR([], 10)) == 0


def test_operations_reject_sdrs_of_different_sizes_and_non_sdrs():
    with pytest.raises(ValidationError, match=r"overlap: b.n must be the same size as a \(n=10\)"):
        overlap(SDR([1], 10), SDR([1], 11))
    with pytest.raises(ValidationError, match="union: a must be an SDR"):
        union([1, 2], SDR([1], 10))


def test_overlap_matrix_counts_shared_ones_per_pair_of_rows():
    A = np.array([[1, 1, 0, 0], [0, 1, 1, 1]])
    B = np.array([[1, 1, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]], dtype=bool)
    assert overlap_matrix(A, B).tolist() == [[2, 0, 0], [3, 1, 0]]
    with pytest.raises(ValidationError, match="overlap_matrix: B must have a last axis of "
                                              "length 4"):
        overlap_matrix(A, B[:, :3])


def test_check_sparsity_returns_the_fraction_or_raises_outside_bounds():
    x = SDR([1, 2], 10)
    assert check_sparsity(x, max_fraction=0.2) == 0.2
    with pytest.raises(ValidationError, match=r"x.sparsity must be a fraction of active bits in "
                                              r"\[0.0, 0.1\] \(2 of 10 bits are active\), got 0.2"):
        check_sparsity(x, max_fraction=0.1)
    with pytest.raises(ValidationError, match="min_fraction"):
        check_sparsity(x, max_fraction=0.1, min_fraction=0.5)


def test_flip_bits_toggles_exactly_k_bits_reproducibly():
    x = SDR([0, 1, 2, 3], 20)
    y = flip_bits(x, 5, seed=3)
    assert np.sum(x.bits != y.bits) == 5
    assert flip_bits(x, 5, seed=3) == y
    assert flip_bits(x, 5, seed=4) != y


def test_flip_bits_preserving_sparsity_moves_k_active_bits():
    x = SDR([0, 1, 2, 3], 20)
    y = flip_bits(x, 3, seed=0, preserve_sparsity=True)
    assert y.n_active == 4 and overlap(x, y) == 1
    with pytest.raises(ValidationError, match="flip_bits: k must be an integer >= 0 and <= 4"):
        flip_bits(x, 5, seed=0, preserve_sparsity=True)


def test_dropout_keeps_a_rounded_fraction_of_the_active_bits():
    x = SDR(np.arange(0, 40, 2), 40)
    y = dropout(x, 0.25, seed=1)
    assert y.n_active == 5 and overlap(x, y) == 5
    assert dropout(x, 0.25, seed=1) == y
    assert dropout(x, 1.0, seed=1) == x and dropout(x, 0.0, seed=1).n_active == 0
    with pytest.raises(ValidationError, match=r"dropout: keep must be a finite number in "
                                              r"\[0.0, 1.0\]"):
        dropout(x, 1.5, seed=1)


# --- encoders -------------------------------------------------------------------------------

def test_scalar_encoder_gives_w_contiguous_bits_at_the_scaled_position():
    enc = ScalarEncoder(n=100, w=10, minval=0.0, maxval=9.0)
    assert enc.encode(0.0) == SDR(np.arange(0, 10), 100)
    assert enc.encode(9.0) == SDR(np.arange(90, 100), 100)
    assert enc.encode(4.5) == SDR(np.arange(45, 55), 100)
    assert enc.encode(-3.0) == enc.encode(0.0)  # clipped


def test_scalar_encoder_nearby_values_share_bits_and_far_values_share_none():
    enc = ScalarEncoder(n=110, w=10, minval=0.0, maxval=100.0)
    assert overlap(enc.encode(50.0), enc.encode(52.0)) == 8
    assert overlap(enc.encode(50.0), enc.encode(61.0)) == 0
    shared = [overlap(enc.encode(50.0), enc.encode(50.0 + d)) for d in range(12)]
    assert shared == sorted(shared, reverse=True)


def test_scalar_encoder_batch_matches_single_encodes():
    enc = ScalarEncoder(n=50, w=5, minval=-1.0, maxval=1.0)
    values = np.linspace(-1.0, 1.0, 7)
    batch = enc.encode_batch(values)
    assert batch.shape == (7, 50)
    assert all(SDR.from_bits(row) == enc.encode(v) for row, v in zip(batch, values))


def test_scalar_encoder_rejects_bad_parameters_and_values():
    with pytest.raises(ValidationError, match="ScalarEncoder: n must be an integer >= 11"):
        ScalarEncoder(n=10, w=10, minval=0.0, maxval=1.0)
    with pytest.raises(ValidationError, match="ScalarEncoder: maxval"):
        ScalarEncoder(n=20, w=10, minval=1.0, maxval=1.0)
    enc = ScalarEncoder(n=20, w=5, minval=0.0, maxval=1.0, clip=False)
    with pytest.raises(ValidationError, match=r"value must be in \[0.0, 1.0\] \(clip=False\), "
                                              r"got 2.0"):
        enc.encode(2.0)
    with pytest.raises(ValidationError, match="finite"):
        enc.encode_batch([0.5, np.inf])


def test_category_encoder_gives_disjoint_blocks_and_rejects_unknown_categories():
    enc = CategoryEncoder(["cat", "dog", "owl"], w=4)
    assert enc.n == 12
    assert enc.encode("dog") == SDR([4, 5, 6, 7], 12)
    assert overlap(enc.encode("cat"), enc.encode("owl")) == 0
    assert enc.encode_batch(["owl", "cat"]).sum(axis=1).tolist() == [4, 4]
    with pytest.raises(ValidationError, match="CategoryEncoder.encode: category must be one of"):
        enc.encode("emu")
    with pytest.raises(ValidationError, match=r"must be distinct \('cat' repeats\)"):
        CategoryEncoder(["cat", "cat"], w=2)


def test_random_projection_top_k_gives_k_bits_and_preserves_similarity():
    rng = np.random.default_rng(0)
    enc = RandomProjectionEncoder(64, 1024, k=40, seed=1)
    x = rng.normal(size=64)
    near = x + 0.2 * rng.normal(size=64)
    far = rng.normal(size=64)
    cx, cn, cf = enc.encode(x), enc.encode(near), enc.encode(far)
    assert cx.n_active == cn.n_active == cf.n_active == 40
    assert overlap(cx, cn) > 20 > 5 > overlap(cx, cf)


def test_random_projection_is_seeded_and_accepts_images():
    images = np.random.default_rng(2).random((5, 8, 8))
    a = RandomProjectionEncoder(64, 256, k=10, seed=7).encode_batch(images)
    b = RandomProjectionEncoder(64, 256, k=10, seed=7).encode_batch(images.reshape(5, 64))
    c = RandomProjectionEncoder(64, 256, k=10, seed=8).encode_batch(images)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert SDR.from_bits(a[0]) == RandomProjectionEncoder(64, 256, k=10, seed=7).encode(images[0])


def test_random_projection_threshold_after_fit_is_in_standard_deviations():
    data = np.random.default_rng(3).random((2000, 16)) * 10.0 + 5.0
    enc = RandomProjectionEncoder(16, 200, threshold=1.0, seed=0).fit(data)
    active = enc.encode_batch(data).mean()
    assert 0.13 < active < 0.19  # P(z > 1) = 0.159 for a normal z


def test_random_projection_fit_balances_bit_usage_under_top_k():
    data = np.abs(np.random.default_rng(4).normal(size=(3000, 16))) + 3.0
    raw = RandomProjectionEncoder(16, 100, k=5, seed=0)
    usage_raw = raw.encode_batch(data).sum(axis=0)
    usage_fit = raw.fit(data).encode_batch(data).sum(axis=0)
    assert usage_fit.max() / usage_fit.mean() < usage_raw.max() / usage_raw.mean()


def test_random_projection_rejects_bad_parameters_and_inputs():
    with pytest.raises(ValidationError, match="k must be given if and only if threshold is not"):
        RandomProjectionEncoder(4, 8, seed=0)
    with pytest.raises(ValidationError, match="RandomProjectionEncoder: k must be an integer >= 1 "
                                              "and <= 8"):
        RandomProjectionEncoder(4, 8, k=9, seed=0)
    enc = RandomProjectionEncoder(4, 8, k=2, seed=0)
    with pytest.raises(ValidationError, match="encode: x must have 4 elements"):
        enc.encode(np.ones(5))
    with pytest.raises(ValidationError, match="encode_batch: X must hold finite real numbers"):
        enc.encode_batch(np.full((2, 4), np.nan))
