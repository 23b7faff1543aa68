"""NIR export and import: nir's own reader and type checks, and the round trip to the IR.

NIR stores the arrays we give it with their dtype (float64 here), so weights, voltages,
resistances, spike times and delays come back bit for bit. Time constants are written in
seconds and read back in ms; where that conversion is not exact in binary floating point,
`from_nir` takes the exact value kept in the node's metadata (it must agree with the NIR
data to 1e-9, else the NIR data wins, which a test below checks).
"""
from __future__ import annotations

import numpy as np
import pytest

import spikemem as sm
from spikemem.hardware import from_nir, read_nir, to_nir, write_nir
from spikemem.models import ca3_cam as ca3

nir = pytest.importorskip("nir")


def _mixed_net() -> sm.Network:
    net = sm.Network(dt=1.0, label="mixed")
    a = net.add(sm.Population(5, sm.IF_curr_exp(tau_m=10.0, tau_syn_E=0.3, tau_syn_I=0.3,
                                                 v_thresh=-55.0, tau_refrac=2.0),
                              label="a", record=("spikes", "v"),
                              initial_v=np.linspace(-66.0, -60.0, 5)))
    b = net.add(sm.Population(4, sm.IF_curr_exp(cm=0.3, tau_m=3.0, tau_syn_E=2.0, tau_syn_I=0.7,
                                                 i_offset=0.3, v_reset=-70.0), label="b",
                              initial_v=-61.0))
    c = net.add(sm.Population(3, sm.IF_curr_exp(tau_syn_E=4.0, tau_syn_I=1.1), label="c",
                              record=()))
    poisson = net.add(sm.SpikeSourcePoisson(6, rate=200.0, seed=1, start=5.0, duration=50.0,
                                            label="noise"))
    arr = net.add(sm.SpikeSourceArray([[1.0, 3.0], [2.0]], label="arr"))
    net.add(sm.Projection(poisson, a, sm.FixedProbability(0.6, seed=2),
                          sm.StaticSynapse(weight=12.0, delay=1.0)))
    net.add(sm.Projection(arr, a[1:3], sm.OneToOne(), sm.StaticSynapse(weight=2.5, delay=3.0),
                          label="arr-a"))
    net.add(sm.Projection(a, b, sm.AllToAll(), sm.STDP(weight=0.0, w_max=2.0, delay=2.0),
                          label="plastic", record_weights=False))
    net.add(sm.Projection(b, a, sm.FromList([0, 1, 2, 1], [0, 0, 4, 3], weight=[0.1, 0.2, 0.3, 0.4],
                                            delay=[1.0, 2.0, 2.0, 5.0]), receptor="inhibitory",
                          label="fb"))
    net.add(sm.Projection(b[2:4], c, sm.AllToAll(), sm.StaticSynapse(weight=0.9),
                          receptor="inhibitory", label="bc"))
    return net


def _assert_networks_equal(x: sm.Network, y: sm.Network, rtol_tau: float = 0.0):
    assert x.dt == y.dt and x.label == y.label
    assert [p.label for p in x.populations] == [p.label for p in y.populations]
    for p, q in zip(x.populations, y.populations):
        assert p.size == q.size and p.record == q.record
        assert p.celltype == q.celltype
        assert np.array_equal(p.initial_v_array(), q.initial_v_array())
    assert [s.to_dict()["type"] for s in x.sources] == [s.to_dict()["type"] for s in y.sources]
    for s, t in zip(x.sources, y.sources):
        for key, val in s.to_dict().items():
            if isinstance(val, np.ndarray):
                assert np.array_equal(val, t.to_dict()[key]), (s.label, key)
            else:
                assert val == t.to_dict()[key], (s.label, key)
    assert [p.label for p in x.projections] == [p.label for p in y.projections]
    for p, q in zip(x.projections, y.projections):
        assert p.synapse == q.synapse and p.receptor == q.receptor, p.label
        assert p.record_weights == q.record_weights, p.label
        assert p.pre_population.label == q.pre_population.label
        assert p.post_population.label == q.post_population.label
        for field in ("pre_idx", "post_idx", "weight", "delay"):
            assert np.array_equal(getattr(p, field), getattr(q, field)), (p.label, field)
        assert type(p.pre) is type(q.pre) and type(p.post) is type(q.post)


def test_export_write_read_import_round_trip_equals_the_original_network(tmp_path):
    net = _mixed_net()
    with pytest.warns(UserWarning, match="'plastic' is plastic"):
        graph = to_nir(net)
    write_nir(graph, tmp_path / "mixed.nir")
    back = from_nir(read_nir(tmp_path / "mixed.nir"), dt=1.0)
    _assert_networks_equal(net, back)


def test_exported_graph_holds_cubalif_linear_delay_input_and_output_nodes():
    net = _mixed_net()
    with pytest.warns(UserWarning):
        g = to_nir(net)
    assert isinstance(g.nodes["a"], nir.CubaLIF) and isinstance(g.nodes["noise"], nir.Input)
    assert isinstance(g.nodes["a.output"], nir.Output) and "c.output" not in g.nodes
    a = g.nodes["a"]
    assert np.allclose(a.tau_syn, 0.3e-3) and np.allclose(a.tau_mem, 10e-3)
    assert np.allclose(a.r, 10.0) and np.allclose(a.v_threshold, -55.0)
    b = g.nodes["b"]
    # v_leak = v_rest + R i_offset; b receives only excitatory input: tau_syn = tau_syn_E
    assert np.allclose(b.v_leak, -65.0 + 10.0 * 0.3) and np.allclose(b.tau_syn, 2e-3)
    assert np.allclose(b.w_in, b.tau_syn)
    # per-delay weight nodes, signed weights, (d - 1) dt in the Delay node
    assert set(k for k in g.nodes if k.startswith("fb")) == {
        "fb@1", "fb@2", "fb@2.delay", "fb@5", "fb@5.delay"}
    assert np.allclose(g.nodes["fb@5.delay"].delay, 4e-3)
    assert g.nodes["fb@2"].weight.shape == (5, 4)
    assert g.nodes["fb@2"].weight[0, 1] == -0.2 and g.nodes["fb@2"].weight[4, 2] == -0.3
    assert ("b", "fb@5.delay") in g.edges and ("fb@5", "a") in g.edges


def test_nir_data_not_metadata_decides_the_imported_parameters():
    net = _mixed_net()
    with pytest.warns(UserWarning):
        g = to_nir(net)
    g.nodes["a"].v_threshold = np.full(5, -52.0)
    g.nodes["a"].tau_mem = np.full(5, 12e-3)
    g.nodes["proj0"].weight = g.nodes["proj0"].weight * 2.0
    back = from_nir(g, dt=1.0)
    assert back["a"].celltype.v_thresh == -52.0
    assert back["a"].celltype.tau_m == pytest.approx(12.0, rel=1e-12)
    assert np.array_equal(back["proj0"].weight, 2.0 * net["proj0"].weight)


def test_ca3_memory_exports_a_valid_nir_graph(tmp_path):
    net, _ = ca3.build_network(5, 10)
    with pytest.warns(UserWarning, match="plastic"):
        g = to_nir(net)
    write_nir(g, tmp_path / "ca3.nir")
    g2 = nir.read(tmp_path / "ca3.nir")                 # nir's reader runs its type checks
    assert g2.check_types()
    names = set(g2.nodes)
    for pre, post in g2.edges:
        assert pre in names and post in names
    for name, node in g2.nodes.items():
        if isinstance(node, nir.Linear):
            (post,) = [b for a, b in g2.edges if a == name]
            (pre,) = [a for a, b in g2.edges if b == name]
            if isinstance(g2.nodes[pre], nir.Delay):
                (pre,) = [a for a, b in g2.edges if b == pre]
            assert node.weight.shape == (g2.nodes[post].v_threshold.size,
                                         net[pre].size), name
    assert sum(isinstance(n, nir.CubaLIF) for n in g2.nodes.values()) == len(net.populations)
    _assert_networks_equal(net, from_nir(g2, dt=net.dt))


def test_imported_network_runs_to_the_same_spikes(tmp_path):
    net = _mixed_net()
    with pytest.warns(UserWarning):
        write_nir(to_nir(net), tmp_path / "m.nir")
    back = from_nir(read_nir(tmp_path / "m.nir"), dt=1.0)
    recs = []
    for n in (net, back):
        sim = sm.build(n, backend="numba", progress=False)
        sim.run(80.0)
        recs.append(sim.recording)
    for label in ("a", "b"):
        assert np.array_equal(recs[0].spikes(label)[0], recs[1].spikes(label)[0])
    assert recs[0].spike_counts("a").sum() > 5


def test_foreign_graph_without_spikemem_metadata_imports_by_weight_sign():
    w = np.array([[1.0, -2.0, 0.0], [0.0, 0.5, -0.25]])
    g = nir.NIRGraph(
        nodes={"in": nir.Input(input_type={"input": np.array([3])}),
               "d": nir.Delay(delay=np.full(3, 2e-3)),
               "lin": nir.Linear(weight=w),
               "lif": nir.CubaLIF(tau_syn=np.full(2, 5e-3), tau_mem=np.full(2, 20e-3),
                                  r=np.full(2, 10.0), v_leak=np.full(2, -65.0),
                                  v_threshold=np.full(2, -50.0), v_reset=np.full(2, -70.0),
                                  w_in=np.full(2, 5e-3)),
               "out": nir.Output(output_type={"output": np.array([2])})},
        edges=[("in", "d"), ("d", "lin"), ("lin", "lif"), ("lif", "out")])
    net = from_nir(g, dt=1.0)
    cell = net["lif"].celltype
    assert (cell.tau_syn_E, cell.tau_m, cell.cm, cell.v_rest) == pytest.approx(
        (5.0, 20.0, 2.0, -65.0))
    assert net["in"].size == 3
    exc, inh = net["lin"], net["lin.inh"]
    assert exc.receptor == "excitatory" and inh.receptor == "inhibitory"
    assert sorted(zip(exc.pre_idx, exc.post_idx, exc.weight)) == [(0, 0, 1.0), (1, 1, 0.5)]
    assert sorted(zip(inh.pre_idx, inh.post_idx, inh.weight)) == [(1, 0, 2.0), (2, 1, 0.25)]
    assert np.all(exc.delay == 3.0)                   # one step of latency + 2 ms of Delay


# -- what NIR cannot express -------------------------------------------------------------
def test_unequal_synaptic_time_constants_with_both_receptors_name_the_feature_and_nir():
    net = _mixed_net()
    s = net["arr"]
    net.add(sm.Projection(s, net["b"][0:2], sm.OneToOne(), sm.StaticSynapse(weight=1.0),
                          receptor="inhibitory", label="extra"))
    with pytest.raises(sm.UnsupportedFeature, match=r"NIR: population 'b'.*tau_syn_E = 2.0 ms"):
        to_nir(net)


def test_two_synapses_between_one_pair_with_one_delay_are_unsupported():
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(2, sm.IF_curr_exp(), label="a"))
    net.add(sm.Projection(a, a, sm.FromList([0, 0], [1, 1], weight=[1.0, 2.0])))
    with pytest.raises(sm.UnsupportedFeature, match="NIR: projection 'proj0'.*same pre/post"):
        to_nir(net)


def test_import_of_node_types_without_ir_counterpart_names_the_node():
    g = nir.NIRGraph(nodes={"in": nir.Input(input_type={"input": np.array([2])}),
                            "lin": nir.Linear(weight=np.eye(2)),
                            "lif": nir.LIF(tau=np.full(2, 0.01), r=np.ones(2),
                                           v_leak=np.zeros(2), v_threshold=np.ones(2)),
                            "out": nir.Output(output_type={"output": np.array([2])})},
                     edges=[("in", "lin"), ("lin", "lif"), ("lif", "out")])
    with pytest.raises(sm.UnsupportedFeature, match="node 'lif' of type LIF"):
        from_nir(g, dt=1.0)


def test_import_rejects_delays_that_are_not_whole_steps():
    g = nir.NIRGraph(nodes={"in": nir.Input(input_type={"input": np.array([1])}),
                            "d": nir.Delay(delay=np.array([1.5e-3])),
                            "lin": nir.Linear(weight=np.ones((1, 1))),
                            "lif": nir.CubaLIF(tau_syn=np.full(1, 5e-3), tau_mem=np.full(1, 0.02),
                                               r=np.ones(1), v_leak=np.zeros(1),
                                               v_threshold=np.ones(1), w_in=np.full(1, 5e-3))},
                     edges=[("in", "d"), ("d", "lin"), ("lin", "lif")])
    with pytest.raises(sm.ValidationError, match="whole number of steps"):
        from_nir(g, dt=1.0)
