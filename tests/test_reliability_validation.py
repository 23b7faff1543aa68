"""Issue 12, cases 1-4, 7-9: hostile numbers and arrays never reach a kernel.

Each rejected input raises `ValidationError` naming the object and the field; nothing is
silently coerced (0.5 -> 0, True -> 1, '3' -> 3.0) and nothing wraps in an int64 cast.
"""
import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import ValidationError
from spikemem.resources import ResourceError

CELL = sm.IF_curr_exp()
HOSTILE_INDICES = [2 ** 63, 1e20, np.uint64(2 ** 64 - 1), float("nan"), float("inf"), 0.5,
                   True, "1", -1]


def _net():
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(3, CELL, label="a"))
    b = net.add(sm.Population(3, CELL, label="b"))
    return net, a, b


@pytest.mark.parametrize("bad", HOSTILE_INDICES, ids=repr)
def test_fromlist_rejects_indices_that_are_not_exact_int64_values(bad):
    with pytest.raises(ValidationError, match="FromList: pre"):
        sm.FromList(np.array([bad], dtype=object) if isinstance(bad, str) else [bad], [0])


def test_fromlist_rejects_uint64_max_array_and_bool_array():
    with pytest.raises(ValidationError, match="pre"):
        sm.FromList(np.array([2 ** 64 - 1], np.uint64), [0])
    with pytest.raises(ValidationError, match="bools"):
        sm.FromList(np.array([True]), [0])


def test_fromlist_rejects_mismatched_lengths():
    with pytest.raises(ValidationError, match="length"):
        sm.FromList([0, 1], [0])


@pytest.mark.parametrize("field", ["pre_idx", "post_idx"])
@pytest.mark.parametrize("bad", [10 ** 12, 3, -1, 0.5, 2 ** 63, float("nan")], ids=repr)
def test_explicit_projection_indices_are_range_checked(field, bad):
    net, a, b = _net()
    arrays = {"pre_idx": [0, 1], "post_idx": [0, 1], "weight": [1.0, 1.0],
              "delay": [1.0, 1.0]}
    arrays[field] = [0, bad]
    with pytest.raises(ValidationError, match=field):
        sm.Projection(a, b, sm.OneToOne(), **arrays)


def test_explicit_projection_arrays_of_unequal_length_are_rejected():
    net, a, b = _net()
    with pytest.raises(ValidationError, match="length"):
        sm.Projection(a, b, sm.OneToOne(), pre_idx=[0, 1], post_idx=[0], weight=[1.0, 1.0],
                      delay=[1.0, 1.0])
    with pytest.raises(ValidationError, match="missing"):
        sm.Projection(a, b, sm.OneToOne(), pre_idx=[0], post_idx=[0])


def test_explicit_indices_on_a_view_stay_inside_the_view():
    net, a, b = _net()
    with pytest.raises(ValidationError, match="post_idx"):
        sm.Projection(a, b[1:2], sm.OneToOne(), pre_idx=[0], post_idx=[0], weight=[1.0],
                      delay=[1.0])


def test_network_file_with_huge_post_index_is_rejected_on_load(tmp_path):
    net, a, b = _net()
    net.add(sm.Projection(a, b, sm.OneToOne(), sm.StaticSynapse(1.0)))
    d = net.to_dict()
    d["projections"][0]["post_idx"] = np.array([10 ** 12, 1, 2])
    with pytest.raises(ValidationError, match="post_idx"):
        sm.Network.from_dict(d)


@pytest.mark.parametrize("ids", [[float("nan")], [0.5], [True], [3], ["0"]], ids=repr)
def test_spike_source_rejects_nan_fractional_bool_and_out_of_range_ids(ids):
    with pytest.raises(ValidationError, match="ids"):
        sm.SpikeSourceArray(size=3, times=[1.0], ids=ids)


@pytest.mark.parametrize("delay", [1e10, 1e30, float("inf")])
def test_absurd_delays_are_rejected_before_any_allocation(delay):
    net, a, b = _net()
    with pytest.raises(ValidationError, match="delay"):
        net.add(sm.Projection(a, b, sm.OneToOne(), sm.StaticSynapse(1.0, delay=delay)))


@pytest.mark.parametrize("field,value", [("cm", "3"), ("cm", True), ("cm", 1e-300),
                                         ("i_offset", 1e308), ("tau_m", None),
                                         ("v_thresh", [1.0])])
def test_cell_rejects_strings_bools_and_absurd_magnitudes(field, value):
    with pytest.raises(ValidationError, match=field):
        sm.IF_curr_exp(**{field: value})


def test_numpy_scalars_are_accepted():
    cell = sm.IF_curr_exp(cm=np.float32(0.5), tau_m=np.int64(10))
    assert cell.cm == 0.5 and cell.tau_m == 10.0
    pop = sm.Population(np.int32(4), cell)
    assert pop.size == 4


@pytest.mark.parametrize("make", [
    lambda: sm.Population(3, CELL, record=5),
    lambda: sm.Population(3, "IF_curr_exp"),
    lambda: sm.Population(3, CELL, label=7),
    lambda: sm.Projection(sm.Population(2, CELL), sm.Population(2, CELL), "all"),
    lambda: sm.FixedProbability("0.5", seed=1),
    lambda: sm.FixedProbability(0.5, seed=None),
    lambda: sm.AllToAll(allow_self_connections="no"),
    lambda: sm.SpikeSourceArray(5),
    lambda: sm.SpikeSourcePoisson(size=3, rate="10", seed=0),
    lambda: sm.Network(dt="1"),
    lambda: sm.Network.from_dict({"dt": 1.0}),
    lambda: sm.Network.from_dict([]),
    lambda: sm.Network.from_dict({"dt": 1.0, "populations": [{"size": 2}], "sources": [],
                                  "projections": []}),
    lambda: sm.Network.from_dict({"dt": 1.0, "populations": [], "sources": [
        {"type": "SpikeSourcePoisson", "size": 2, "rate": 1.0, "seed": 0, "bogus": 1}],
        "projections": []}),
 ])
def test_wrong_types_raise_validation_error_not_type_or_attribute_error(make):
    with pytest.raises(ValidationError):
        make()


def test_durations_have_upper_bounds():
    with pytest.raises(ValidationError, match="duration"):
        sm.SpikeSourcePoisson(size=1, rate=1.0, seed=0, duration=1e30)
    sm.SpikeSourcePoisson(size=1, rate=1.0, seed=0, duration=1e10)     # PyNN's default
    net, a, b = _net()
    sim = sm.build(net, backend="numba")
    with pytest.raises(ValidationError, match="duration"):
        sim.run(1e30)


def test_all_to_all_beyond_memory_is_refused_with_an_estimate():
    big = sm.Population(10 ** 5, CELL)
    with pytest.raises(ResourceError, match="GiB"):
        sm.Projection(big, big, sm.AllToAll())


def test_population_of_a_billion_neurons_is_refused_at_build():
    net = sm.Network()
    net.add(sm.Population(10 ** 9, CELL))
    with pytest.raises(ResourceError, match="neurons"):
        sm.build(net, backend="numba")


def test_max_memory_overrides_the_limit_both_ways():
    net, a, b = _net()
    with pytest.raises(ResourceError, match="max_memory"):
        sm.build(net, backend="numba", max_memory=1000)
    sm.build(net, backend="numba", max_memory=float("inf")).run(2.0)


def test_poisson_source_of_a_million_neurons_runs_one_ms_in_bounded_memory():
    src = sm.SpikeSourcePoisson(size=10 ** 6, rate=10.0, seed=0)
    steps, ids = src.spikes_between(1.0, 500, 501)
    assert steps.size == ids.size and np.all(steps == 500)


def test_poisson_window_equals_the_same_steps_drawn_from_a_longer_window():
    src = sm.SpikeSourcePoisson(size=50, rate=200.0, seed=3)
    s_all, i_all = src.spikes_between(1.0, 0, 3000)
    s_win, i_win = src.spikes_between(1.0, 1500, 2100)
    sel = (s_all >= 1500) & (s_all < 2100)
    assert np.array_equal(s_all[sel], s_win) and np.array_equal(i_all[sel], i_win)


def test_session_gap_has_an_upper_bound():
    from spikemem.models.ca3_cam import CA3Memory, Operation
    with pytest.raises(ValidationError, match="gap"):
        CA3Memory(cues=2, bits=4, gap=10 ** 9)
    mem = CA3Memory(cues=2, bits=4, progress=False)
    with pytest.raises(ValidationError, match="gap"):
        mem.run([Operation.learn(0, [1])], gap=10 ** 9)
    assert mem.sim.t == 0.0


@pytest.mark.parametrize("source,times,ids", [
    ("in", [1.0], ["0"]), ("in", [1.0], [float("nan")]), ("in", [float("nan")], [0]),
    ("in", [1.0], [0.5]), ("in", [1.0, 2.0], [0]), ("nope", [1.0], [0]), (7, [1.0], [0]),
    ("in", "1", [0]), ("in", [1e30], [0]),
])
def test_add_spikes_rejects_hostile_input(source, times, ids):
    net = sm.Network()
    net.add(sm.SpikeSourceArray(size=2, label="in"))
    sim = sm.build(net)
    with pytest.raises(ValidationError):
        sim.add_spikes(source, times, ids)


def test_population_view_bounds_are_integers_in_range():
    from spikemem.views import PopulationView
    pop = sm.Population(4, CELL, label="a")
    for start, stop in (("a", 3), (0.5, 2), (1, 9), (None, 2)):
        with pytest.raises(ValidationError, match="PopulationView"):
            PopulationView(pop, start, stop)


def test_a_run_whose_membrane_traces_would_not_fit_is_refused_before_running():
    net = sm.Network()
    net.add(sm.Population(100_000, CELL, label="big", record=("spikes", "v")))
    sim = sm.build(net)
    with pytest.raises(ResourceError, match="membrane traces"):
        sim.run(1e6)
    assert sim.t == 0.0


# -- ragged arrays (nested lists of unequal lengths) -----------------------------------------
RAGGED = [[0.0, []], [[0.5], []], [[0.5, 0.2], [0.1]], [np.zeros(2), np.zeros(3)]]


def _recording_with_weights():
    rec = sm.Recording(1.0, {"a": 2})
    rec.add_weights("w", 1.0, np.array([0.5, 0.2]))
    rec.t_stop = 2.0
    return rec


@pytest.mark.parametrize("ragged", RAGGED, ids=repr)
def test_ragged_weight_snapshots_are_a_validation_error_naming_object_and_field(ragged):
    d = _recording_with_weights().to_dict()
    d["weights"]["w"]["weights"] = ragged
    with pytest.raises(ValidationError, match=r"Recording: weight snapshots of 'w' must be a "
                                              r"regular array of numbers, not ragged"):
        sm.Recording.from_dict(d)


def test_a_recording_file_with_ragged_weights_is_invalid_content(tmp_path):
    from spikemem.io import InvalidFileContent, save_tree
    d = _recording_with_weights().to_dict()
    d["weights"]["w"]["weights"] = [0.0, []]
    save_tree(tmp_path / "r.h5", "recording", d)      # a well-formed file, ragged content
    with pytest.raises(InvalidFileContent, match="weight snapshots of 'w'.*ragged"):
        sm.Recording.load(tmp_path / "r.h5")


@pytest.mark.parametrize("field", ["times", "ids"])
def test_ragged_spike_arrays_are_a_validation_error(field):
    d = _recording_with_weights().to_dict()
    d["spikes"]["a"][field] = [[1.0], [2.0, 3.0]]
    with pytest.raises(ValidationError, match=rf"Recording: spike {field} of 'a'.*ragged"):
        sm.Recording.from_dict(d)


@pytest.mark.parametrize("field", ["pre", "post", "weight", "delay"])
def test_ragged_connection_arrays_are_a_validation_error_naming_the_field(field):
    arrays = {"pre": [0, 1], "post": [1, 0], "weight": [0.1, 0.2], "delay": [1.0, 1.0]}
    arrays[field] = [[0, 1], [1]]
    with pytest.raises(ValidationError, match=rf"FromList: {field} must be a regular array.*"
                                              "ragged"):
        sm.FromList(**arrays)


def test_build_estimate_counts_the_numba_engines_compact_synapses_and_others_generously():
    from spikemem.resources import (BYTES_PER_BUILT_SYNAPSE, NUMBA_BYTES_PER_PLASTIC,
                                    NUMBA_BYTES_PER_STATIC, estimate_build)
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(20, CELL, label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(), sm.StaticSynapse(weight=0.1), label="s"))
    net.add(sm.Projection(a, a, sm.OneToOne(), sm.STDP(weight=0.1), label="p"))
    assert estimate_build(net)["synapses"] == 400 * NUMBA_BYTES_PER_STATIC + \
        20 * NUMBA_BYTES_PER_PLASTIC
    assert estimate_build(net, "brian2")["synapses"] == 420 * BYTES_PER_BUILT_SYNAPSE
