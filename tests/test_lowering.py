"""spikemem.lowering: the node index space, delays in steps, checked weights, spike windows."""
import numpy as np
import pytest

import spikemem as sm
from spikemem.lowering import MAX_DELAY_STEPS, check_weights, delay_steps, lower


def _net():
    net = sm.Network(dt=0.5)
    a = net.add(sm.Population(3, sm.IF_curr_exp(), label="a"))
    b = net.add(sm.Population(2, sm.IF_curr_exp(), label="b"))
    s = net.add(sm.SpikeSourceArray([[1.0, 3.0], [2.0]], label="s"))
    net.add(sm.Projection(s, a, sm.AllToAll(), sm.StaticSynapse(weight=1.0, delay=1.5),
                          receptor="inhibitory", label="sa"))
    net.add(sm.Projection(a, b[1:], sm.AllToAll(), sm.STDP(weight=0.5, w_max=1.0), label="ab"))
    return net


def test_node_space_puts_populations_in_add_order_then_sources():
    low = lower(_net())
    assert (low.n_neurons, low.n_sources, low.n_nodes) == (5, 2, 7)
    assert low.offset == {"a": 0, "b": 3, "s": 5}
    assert low.pop_start.tolist() == [0, 3, 5] and low.src_start.tolist() == [0, 2]
    assert low.node_range("b") == (3, 5)


def test_projection_indices_targets_and_delays_are_global_and_compact():
    low = lower(_net())
    sa, ab = low["sa"], low["ab"]
    assert sa.pre.tolist() == [5, 5, 5, 6, 6, 6]
    assert sa.target().tolist() == [5 + 0, 5 + 1, 5 + 2] * 2      # inhibitory rows start at N=5
    assert sa.delay.tolist() == [3] * 6 and sa.delay.dtype == np.int16
    assert sa.pre.dtype == np.int32 and ab.post.tolist() == [4, 4, 4]
    assert ab.target().tolist() == [4, 4, 4]
    assert low.max_delay == 3 and low.n_synapses == 9
    assert ab.weight is low.network["ab"].weight      # no copy without an override


def test_weight_override_is_checked_once_with_bounds_of_plastic_synapses():
    net = _net()
    assert lower(net, {"ab": [0.2, 0.3, 0.4]})["ab"].weight.tolist() == [0.2, 0.3, 0.4]
    with pytest.raises(sm.ValidationError, match=r"weights\['ab'\].*\[w_min, w_max\]"):
        lower(net, {"ab": [0.2, 0.3, 1.5]})
    with pytest.raises(sm.ValidationError, match=r"shape \(6,\)"):
        lower(net, {"sa": [1.0]})
    with pytest.raises(sm.ValidationError, match="finite"):
        lower(net, {"sa": [1.0, np.nan, 1, 1, 1, 1]})
    with pytest.raises(sm.ValidationError, match=">= 0"):
        check_weights(net["sa"], -np.ones(6), "x")
    with pytest.raises(sm.ValidationError, match="weights names projection 'nope'"):
        lower(net, {"nope": [1.0]})
    with pytest.raises(sm.ValidationError, match="dict"):
        lower(net, [1.0])
    with pytest.raises(sm.ValidationError, match="array of numbers"):
        lower(net, {"sa": ["a"] * 6})
    with pytest.raises(sm.ValidationError, match="Network"):
        lower("net")


def test_delay_conversion_refuses_fractions_of_a_step_and_huge_delays():
    assert delay_steps([0.5, 1.0], 0.5, "p").tolist() == [1, 2]
    with pytest.raises(sm.ValidationError, match="whole number of steps of dt"):
        delay_steps([0.75], 0.5, "p")
    with pytest.raises(sm.ValidationError, match="between 1 and"):
        delay_steps([0.0], 0.5, "p")
    with pytest.raises(sm.ValidationError, match="between 1 and"):
        delay_steps([(MAX_DELAY_STEPS + 1) * 0.5], 0.5, "p")
    with pytest.raises(sm.ValidationError, match="dt"):
        delay_steps([1.0], 0.0, "p")
    assert delay_steps([0.0, 1.5], 0.5, "p", minimum=0).tolist() == [0, 3]


def test_source_spikes_merge_own_and_injected_spikes_in_step_then_node_order():
    low = lower(_net())
    steps, nodes = low.source_spikes(0, 10)
    assert steps.tolist() == [2, 4, 6] and nodes.tolist() == [5, 6, 5]
    inj = {"s": [(np.array([4, 12]), np.array([0, 1]))]}
    steps, nodes = low.source_spikes(3, 10, inj)
    assert steps.tolist() == [4, 4, 6] and nodes.tolist() == [5, 6, 5]
    st, ids = low.source_window("s", 10, 20, inj)
    assert st.tolist() == [12] and ids.tolist() == [1]
    with pytest.raises(sm.ValidationError, match="step1"):
        low.source_spikes(5, 2)
    with pytest.raises(sm.ValidationError, match="step0"):
        low.source_spikes(-1, 2)
    with pytest.raises(sm.ValidationError, match="not a spike source"):
        low.source_window("a", 0, 2)
    with pytest.raises(sm.ValidationError, match="not a spike source"):
        low.source_window("nope", 0, 2)


def test_spikes_by_group_splits_global_nodes_into_populations_and_sources():
    low = lower(_net())
    steps, nodes = np.array([1, 2, 3, 4, 5]), np.array([0, 4, 6, 2, 5])
    out = {label: (st.tolist(), ids.tolist()) for label, st, ids in
           low.spikes_by_group(steps, nodes)}
    assert out == {"a": ([1, 4], [0, 2]), "b": ([2], [1]), "s": ([3, 5], [1, 0])}


def test_population_params_are_the_step_constants_of_each_cell_type():
    net = _net()
    low = lower(net)
    p = low.population_params
    assert p["refrac_steps"].dtype == np.int64 and p["exp_m"].shape == (2,)
    c = sm.neurons.lif_step_constants(net["a"].celltype, 0.5)
    assert p["exp_m"][0] == c["exp_m"] and p["v_thresh"][1] == net["b"].celltype.v_thresh
    assert low.neuron_params()["init_E"].shape == (5,)
    assert low.initial_v().tolist() == [-65.0] * 5


def test_projections_are_lowered_on_first_use_and_can_be_forgotten():
    net = _net()
    low = lower(net)
    assert low.source_spikes(0, 3)[0].tolist() == [2]         # needs no projection arrays
    first = low.projections
    assert low.projections is first and low["ab"] is first[1]
    low.forget_projections()
    again = low.projections
    assert again is not first and again[0].delay.tolist() == first[0].delay.tolist()
    with pytest.raises(sm.ValidationError, match="no projection labelled 'zz'"):
        low["zz"]


def test_a_backend_may_check_weights_against_the_number_of_synapses_it_holds():
    net = _net()
    assert check_weights(net["sa"], np.ones(6), "w", size=6).shape == (6,)
    with pytest.raises(sm.ValidationError, match=r"shape \(5,\)"):
        check_weights(net["sa"], np.ones(6), "w", size=5)


@pytest.mark.parametrize("module", ["lowering", "loihi_formats"])
def test_the_layers_below_backends_and_hardware_import_only_the_ir_and_numpy(module):
    import ast
    import pathlib
    src = (pathlib.Path(sm.__file__).parent / f"{module}.py").read_text()
    allowed_local = {"errors", "network", "neurons", "synapses", "connectors", "stimulus",
                     "views", "poisson_input", "validation"}
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ImportFrom) and node.level:
            assert node.module in allowed_local, node.module
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for name in names:
                assert name.split(".")[0] in {"numpy", "dataclasses", "functools", "typing",
                                              "__future__", "pathlib", "math"}, name
