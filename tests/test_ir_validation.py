"""Every IR object rejects bad input with a ValueError that names the field."""
import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import ValidationError

CELL = sm.IF_curr_exp()


@pytest.mark.parametrize("field,value", [
    ("tau_m", 0.0), ("tau_m", -3.0), ("tau_syn_E", 0.0), ("tau_syn_I", -1.0), ("cm", 0.0),
    ("tau_refrac", -1.0), ("v_thresh", float("nan")), ("i_offset", float("inf")),
])
def test_cell_rejects_nonpositive_or_nonfinite_parameters(field, value):
    with pytest.raises(ValidationError, match=field):
        sm.IF_curr_exp(**{field: value})


def test_cell_rejects_reset_at_or_above_threshold():
    with pytest.raises(ValidationError, match="v_reset"):
        sm.IF_curr_exp(v_reset=-50.0, v_thresh=-50.0)


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_population_rejects_empty_or_non_integer_size(size):
    with pytest.raises(ValidationError, match="size"):
        sm.Population(size, CELL)


def test_population_rejects_unknown_record_variable():
    with pytest.raises(ValidationError, match="record"):
        sm.Population(3, CELL, record=("gsyn",))


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), -1.0])
def test_static_synapse_rejects_nan_infinite_or_negative_weight(weight):
    with pytest.raises(ValidationError, match="weight"):
        sm.StaticSynapse(weight=weight)


def test_fromlist_rejects_nan_weight():
    with pytest.raises(ValidationError, match="weight"):
        sm.FromList([0], [0], weight=[float("nan")])


@pytest.mark.parametrize("kwargs,field", [
    ({"tau_plus": 0.0}, "tau_plus"), ({"tau_minus": -1.0}, "tau_minus"),
    ({"A_plus": -0.1}, "A_plus"), ({"w_min": 2.0, "w_max": 1.0}, "w_max"),
    ({"weight": 5.0, "w_max": 1.0}, "weight"), ({"weight_dependence": "log"}, "weight_dependence"),
])
def test_stdp_rejects_out_of_range_parameters(kwargs, field):
    with pytest.raises(ValidationError, match=field):
        sm.STDP(**kwargs)


def _two_pops(dt=1.0):
    net = sm.Network(dt=dt)
    a = net.add(sm.Population(3, CELL, label="a"))
    b = net.add(sm.Population(3, CELL, label="b"))
    return net, a, b


@pytest.mark.parametrize("delay", [0.5, 0.0, -1.0])
def test_delay_below_one_step_is_rejected(delay):
    net, a, b = _two_pops(dt=1.0)
    with pytest.raises(ValidationError, match="delay"):
        net.add(sm.Projection(a, b, sm.OneToOne(), sm.StaticSynapse(1.0, delay=delay)))


def test_delay_not_a_multiple_of_dt_is_rejected():
    net, a, b = _two_pops(dt=0.5)
    with pytest.raises(ValidationError, match="multiple of dt"):
        net.add(sm.Projection(a, b, sm.OneToOne(), sm.StaticSynapse(1.0, delay=1.2)))


def test_default_delay_is_one_time_step():
    net, a, b = _two_pops(dt=0.25)
    p = net.add(sm.Projection(a, b, sm.OneToOne(), sm.StaticSynapse(1.0)))
    assert np.all(p.delay == 0.25)


def test_fromlist_index_out_of_range_is_rejected_with_the_allowed_range():
    net, a, b = _two_pops()
    with pytest.raises(ValidationError, match=r"post index 3 .* 0\.\.2"):
        sm.Projection(a, b, sm.FromList([0, 1], [1, 3]), sm.StaticSynapse(1.0))


def test_fromlist_negative_index_is_rejected():
    with pytest.raises(ValidationError, match="pre"):
        sm.FromList([-1], [0])


def test_unknown_receptor_is_rejected():
    net, a, b = _two_pops()
    with pytest.raises(ValidationError, match="receptor"):
        sm.Projection(a, b, sm.OneToOne(), sm.StaticSynapse(1.0), receptor="modulatory")


def test_one_to_one_needs_equal_sizes():
    net = sm.Network()
    a = net.add(sm.Population(3, CELL))
    b = net.add(sm.Population(4, CELL))
    with pytest.raises(ValidationError, match="sizes"):
        sm.Projection(a, b, sm.OneToOne())


def test_projection_to_a_spike_source_is_rejected():
    net = sm.Network()
    a = net.add(sm.Population(2, CELL))
    s = net.add(sm.SpikeSourceArray([[1.0], [2.0]]))
    with pytest.raises(ValidationError, match="post"):
        sm.Projection(a, s, sm.OneToOne())


def test_projection_between_groups_not_in_the_network_is_rejected():
    net = sm.Network()
    a = net.add(sm.Population(2, CELL))
    stray = sm.Population(2, CELL, label="stray")
    with pytest.raises(ValidationError, match="has not been added"):
        net.add(sm.Projection(a, stray, sm.OneToOne()))


def test_duplicate_labels_are_rejected():
    net = sm.Network()
    net.add(sm.Population(2, CELL, label="x"))
    with pytest.raises(ValidationError, match="already used"):
        net.add(sm.Population(2, CELL, label="x"))


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_fixed_probability_rejects_probability_outside_unit_interval(p):
    with pytest.raises(ValidationError, match="p_connect"):
        sm.FixedProbability(p, seed=0)


def test_spike_source_rejects_negative_times_and_bad_ids():
    with pytest.raises(ValidationError, match="spike time"):
        sm.SpikeSourceArray([[-1.0]])
    with pytest.raises(ValidationError, match="out of range"):
        sm.SpikeSourceArray(size=2, times=[1.0], ids=[2])


def test_network_rejects_nonpositive_dt():
    with pytest.raises(ValidationError, match="dt"):
        sm.Network(dt=0.0)


def test_population_view_must_be_a_nonempty_slice_within_the_population():
    net = sm.Network()
    a = net.add(sm.Population(4, CELL, label="a"))
    assert a[1:3].size == 2
    with pytest.raises(ValidationError, match="slice"):
        a[3:3]
    with pytest.raises(ValidationError, match="step 1"):
        a[::2]


def test_all_to_all_without_self_drops_equal_indices_between_distinct_populations():
    net, a, b = _two_pops()
    p = net.add(sm.Projection(a, b, sm.AllToAll(allow_self_connections=False), sm.StaticSynapse(1.0)))
    assert p.size == 6
    assert not np.any(p.pre_idx == p.post_idx)


def test_fixed_probability_is_reproducible_from_its_seed():
    net, a, b = _two_pops()
    c1 = sm.FixedProbability(0.5, seed=3).connect(50, 60)
    c2 = sm.FixedProbability(0.5, seed=3).connect(50, 60)
    c3 = sm.FixedProbability(0.5, seed=4).connect(50, 60)
    assert np.array_equal(c1[0], c2[0]) and np.array_equal(c1[1], c2[1])
    assert not (c1[0].size == c3[0].size and np.array_equal(c1[1], c3[1]))
    # about p * n_pre * n_post connections
    assert abs(c1[0].size - 1500) < 5 * np.sqrt(1500 * 0.5)


@pytest.mark.parametrize("p", [5e-324, 1e-300, 1e-12])
def test_fixed_probability_with_a_vanishing_probability_connects_almost_nothing(p):
    pre, post, _, _ = sm.FixedProbability(p, seed=1).connect(300, 400)
    assert pre.size == post.size and pre.size <= 1


def test_fixed_probability_one_connects_every_pair():
    pre, post, _, _ = sm.FixedProbability(1.0, seed=1).connect(7, 5)
    assert pre.size == 35 and np.array_equal(np.bincount(pre), np.full(7, 5))
