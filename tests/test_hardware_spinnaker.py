"""SpiNNaker export: script and JSON writers, constraint checker, resource estimate, CLI.

These tests run without sPyNNaker or pyNN.brian2 (see test_hardware_spinnaker_brian2.py and
test_hardware_spinnaker_virtual.py for the runs in those peers). Expected values are worked
out by hand from sPyNNaker 7.4.1's rules, as written next to each assertion.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import UnsupportedFeature, ValidationError
from spikemem.hardware import (check_spinnaker, estimate_spinnaker_resources, to_pynn_script,
                               to_spinnaker_json)
from spikemem.hardware.spinnaker_limits import max_row_synapses, row_words, weight_power
from spikemem.hardware.spinnaker_plan import plan_network

CELL = sm.IF_curr_exp(cm=0.27, tau_m=3.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3,
                      v_rest=-60.0, v_reset=-60.0, v_thresh=-57.0)
RULE = sm.STDP(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0, w_min=0.0, w_max=6.0,
               weight=0.0, delay=1.0)


def small_network():
    net = sm.Network(dt=1.0, label="small")
    a = net.add(sm.Population(10, CELL, label="a"))
    b = net.add(sm.Population(10, CELL, label="b", initial_v=np.linspace(-70, -61, 10)))
    s = net.add(sm.SpikeSourceArray([[1.0, 2.0]] * 10, label="in"))
    net.add(sm.Projection(s, a, sm.OneToOne(), sm.StaticSynapse(weight=6.0, delay=1.0),
                          label="in-a"))
    net.add(sm.Projection(a, a, sm.AllToAll(allow_self_connections=False),
                          sm.StaticSynapse(weight=0.5, delay=2.0), receptor="inhibitory",
                          label="a-a"))
    net.add(sm.Projection(a, b, sm.AllToAll(allow_self_connections=False),
                          sm.StaticSynapse(weight=1.0, delay=2.0), receptor="inhibitory",
                          label="a-b"))
    net.add(sm.Projection(a[0:5], b[5:10], sm.AllToAll(), RULE, label="stdp"))
    net.add(sm.Projection(b, a, sm.FixedProbability(0.3, seed=4),
                          sm.StaticSynapse(weight=0.2, delay=3.0), label="b-a"))
    return net


def by_label(plan):
    return {pr.label: pr for pr in plan.projections}


# -- translation ----------------------------------------------------------------------------
def test_native_pynn_connectors_are_used_only_where_they_build_the_irs_connections():
    plan = by_label(plan_network(small_network(), simulator="brian2"))
    assert plan["in-a"].connector == "OneToOne"
    # same population, no self: PyNN's rule (same cell) equals the IR's (equal index)
    assert (plan["a-a"].connector, plan["a-a"].allow_self_connections) == ("AllToAll", False)
    # different populations: PyNN would keep i -> i, the IR does not -> explicit list
    assert plan["a-b"].connector == "FromList"
    assert not np.any(plan["a-b"].pre_local == plan["a-b"].post_local)
    assert plan["a-b"].size == 90
    assert plan["stdp"].connector == "AllToAll" and plan["stdp"].pre.is_view
    assert plan["b-a"].connector == "FromList"


def test_fixed_probability_is_exported_as_the_irs_own_connection_arrays():
    net = small_network()
    proj = net["b-a"]
    pr = by_label(plan_network(net))["b-a"]
    assert np.array_equal(pr.pre_local, proj.pre_idx)
    assert np.array_equal(pr.post_local, proj.post_idx)
    assert not pr.weight_column and not pr.delay_column      # one weight, one delay


def test_views_become_lists_on_whole_populations_for_spinnaker():
    pr = by_label(plan_network(small_network(), simulator="spiNNaker"))["stdp"]
    assert pr.connector == "FromList" and not pr.pre.is_view and not pr.post.is_view
    # a[0:5] -> b[5:10] all-to-all, in parent numbering
    assert set(zip(pr.pre_local.tolist(), pr.post_local.tolist())) == \
        {(i, j) for i in range(5) for j in range(5, 10)}


def test_no_self_all_to_all_spanning_several_cores_is_a_list_for_spinnaker():
    net = sm.Network(dt=1.0, label="big")
    a = net.add(sm.Population(300, CELL, label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(allow_self_connections=False),
                          sm.StaticSynapse(weight=1.0, delay=1.0), label="a-a"))
    assert by_label(plan_network(net))["a-a"].connector == "FromList"
    assert by_label(plan_network(net, neurons_per_core=100))["a-a"].connector == "FromList"
    assert by_label(plan_network(net, simulator="brian2"))["a-a"].connector == "AllToAll"


def test_learned_weights_replace_initial_weights_and_force_a_weight_column():
    net = small_network()
    learned = np.linspace(0.0, 6.0, net["stdp"].size)
    pr = by_label(plan_network(net, weights={"stdp": learned}))["stdp"]
    assert pr.connector == "FromList" and pr.weight_column
    assert np.array_equal(pr.weight, learned)


def test_poisson_sources_are_native_with_a_note_or_the_irs_spikes_as_arrays():
    net = sm.Network(dt=1.0, label="p")
    a = net.add(sm.Population(4, CELL, label="a"))
    p = net.add(sm.SpikeSourcePoisson(4, rate=100.0, seed=7, label="noise"))
    net.add(sm.Projection(p, a, sm.OneToOne(), sm.StaticSynapse(weight=1.0), label="p-a"))
    native = plan_network(net, run_ms=50.0)
    assert native.group("noise").kind == "SpikeSourcePoisson"
    assert any("draws its own" in n for n in native.notes)
    assert [(w.code, w.subject) for w in check_spinnaker(net).warnings] == \
        [("poisson_native", "noise")]
    assert check_spinnaker(net, poisson="array", run_ms=50.0).warnings == []
    arrays = plan_network(net, run_ms=50.0, poisson="array").group("noise")
    steps, ids = p.spikes_between(1.0, 0, 50)
    assert arrays.kind == "SpikeSourceArray"
    assert np.array_equal(arrays.spike_times, steps * 1.0) and np.array_equal(arrays.spike_ids,
                                                                              ids)


# -- script text ----------------------------------------------------------------------------
def test_inhibitory_weights_are_positive_for_spinnaker_and_negative_for_pynn_brian2(tmp_path):
    net = small_network()
    spin = to_pynn_script(net, tmp_path / "s" / "net.py", simulator="spiNNaker")
    brian = to_pynn_script(net, tmp_path / "b" / "net.py", simulator="brian2")
    s_text, b_text = spin.script.read_text(), brian.script.read_text()
    assert "import pyNN.spiNNaker as sim" in s_text and "import pyNN.brian2 as sim" in b_text
    assert "sim.StaticSynapse(weight=0.5, delay=2.0)" in s_text
    assert "sim.StaticSynapse(weight=-0.5, delay=2.0)" in b_text
    assert "receptor_type='inhibitory'" in s_text
    k = [pr.label for pr in spin.plan.projections].index("a-b")
    with np.load(brian.data) as d:
        assert d[f"proj{k}_conn"].shape[1] == 2          # weight -1.0 in the synapse type
    assert "sim.StaticSynapse(weight=-1.0, delay=2.0)" in b_text
    assert "initialize(v=data['pop1_v'])" in s_text


def test_stdp_amplitudes_are_in_na_for_spinnaker_and_divided_by_w_max_for_brian2(tmp_path):
    net = small_network()
    s_text = to_pynn_script(net, tmp_path / "s.py").script.read_text()
    b_text = to_pynn_script(net, tmp_path / "b.py", simulator="brian2").script.read_text()
    assert "SpikePairRule(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0)" in s_text
    assert "SpikePairRule(tau_plus=3.0, tau_minus=3.0, A_plus=1.0, A_minus=1.0)" in b_text
    assert "dendritic_delay_fraction=0" in b_text and "dendritic_delay_fraction" not in s_text
    assert "AdditiveWeightDependence(w_min=0.0, w_max=6.0)" in s_text


def test_neurons_per_core_is_written_for_spinnaker_only(tmp_path):
    net = small_network()
    s_text = to_pynn_script(net, tmp_path / "s.py", neurons_per_core={"a": 5}).script.read_text()
    b_text = to_pynn_script(net, tmp_path / "b.py", simulator="brian2",
                            neurons_per_core={"a": 5}).script.read_text()
    assert "additional_parameters={'neurons_per_core': 5}" in s_text
    assert "neurons_per_core" not in b_text.split("def build")[1]


def test_the_script_and_its_arrays_are_written_beside_each_other(tmp_path):
    out = to_pynn_script(small_network(), tmp_path / "x" / "net.py", run_ms=20.0)
    assert out.script.is_file() and out.data == tmp_path / "x" / "net_data.npz"
    compile(out.script.read_text(), str(out.script), "exec")
    assert "RUN_MS = 20.0" in out.script.read_text()
    assert not list((tmp_path / "x").glob(".*"))          # no temporary files left


# -- features a target lacks, and bad input -------------------------------------------------
def test_two_stdp_rules_onto_one_population_cannot_be_exported_to_spinnaker(tmp_path):
    net = small_network()
    other = sm.STDP(tau_plus=10.0, tau_minus=10.0, A_plus=1.0, A_minus=1.0, w_min=0.0,
                    w_max=6.0)
    net.add(sm.Projection(net["a"], net["b"], sm.OneToOne(), other, label="stdp2"))
    with pytest.raises(UnsupportedFeature, match=r"SpiNNaker.*'stdp'.*'stdp2'.*'b'"):
        to_pynn_script(net, tmp_path / "net.py")
    assert not (tmp_path / "net.py").exists()
    report = check_spinnaker(net)
    assert not report.ok
    assert [(e.code, e.spynnaker) for e in report.errors] == \
        [("stdp_mismatch", "SynapticConfigurationException")]


@pytest.mark.parametrize("dependence,receptor,feature", [
    ("multiplicative", "excitatory", "multiplicative weight dependence"),
    ("additive", "inhibitory", "STDP on the inhibitory receptor")])
def test_pynn_brian2_lacks_multiplicative_and_inhibitory_stdp(tmp_path, dependence, receptor,
                                                               feature):
    net = sm.Network(dt=1.0, label="n")
    a = net.add(sm.Population(3, CELL, label="a"))
    rule = sm.STDP(A_plus=0.1, A_minus=0.1, w_max=1.0, weight_dependence=dependence)
    net.add(sm.Projection(a, a, sm.AllToAll(), rule, receptor=receptor, label="p"))
    with pytest.raises(UnsupportedFeature, match=rf"pyNN.brian2.*{feature}.*'p'"):
        to_pynn_script(net, tmp_path / "n.py", simulator="brian2")
    to_pynn_script(net, tmp_path / "s.py", simulator="spiNNaker")       # sPyNNaker has both


def test_pynn_brian2_lacks_repeated_pairs_with_different_weights(tmp_path):
    net = sm.Network(dt=1.0, label="m")
    a = net.add(sm.Population(2, CELL, label="a"))
    net.add(sm.Projection(a, a, sm.FromList([0, 0, 1], [1, 1, 0], weight=[1.0, 2.0, 1.0]),
                          label="multapse"))
    with pytest.raises(UnsupportedFeature, match=r"pyNN.brian2.*repeated.*'multapse'"):
        to_pynn_script(net, tmp_path / "m.py", simulator="brian2")
    to_pynn_script(net, tmp_path / "s.py")                  # sPyNNaker keeps both synapses
    assert check_spinnaker(net).ok


@pytest.mark.parametrize("kwargs,match", [
    ({"simulator": "nest"}, "simulator must be one of"),
    ({"run_ms": 10.5}, "run_ms must be a positive multiple of dt"),
    ({"poisson": "exact"}, "poisson must be one of"),
    ({"weights": {"nope": [1.0]}}, "weights names projection 'nope'"),
    ({"weights": {"in-a": [1.0, 2.0]}}, r"weights\['in-a'\] must have shape \(10,\)"),
    ({"weights": {"stdp": np.full(25, 7.0)}}, r"must lie in \[w_min, w_max\]"),
    ({"neurons_per_core": 0}, "neurons_per_core must be an integer >= 1"),
    ({"neurons_per_core": {"zz": 3}}, "neurons_per_core names 'zz'"),
])
def test_bad_export_arguments_raise_validation_errors_naming_the_field(tmp_path, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        to_pynn_script(small_network(), tmp_path / "n.py", **kwargs)


def test_a_projection_without_synapses_is_left_out_with_a_warning(tmp_path):
    net = small_network()
    net.add(sm.Projection(net["a"], net["b"], sm.FixedProbability(0.0, seed=1), label="none"))
    export = to_pynn_script(net, tmp_path / "n.py")
    assert "none" not in [pr.label for pr in export.plan.projections]
    assert "'none'" not in export.script.read_text().split("def build")[1]
    assert ("empty_projection", "none") in [(w.code, w.subject)
                                            for w in check_spinnaker(net).warnings]


def test_unknown_board_is_rejected():
    with pytest.raises(ValidationError, match="board must be one of"):
        check_spinnaker(small_network(), board="spinn9")


# -- checker rules, worked by hand ----------------------------------------------------------
def test_row_limits_are_256_static_and_254_plastic_synapses():
    # plastic row of n synapses: ceil(n/2) fixed-plastic words + ceil((8 + 2n)/4) plastic words
    assert row_words(254, plastic=True) == 127 + 129
    assert row_words(255, plastic=True) == 128 + 130
    assert max_row_synapses(plastic=True) == 254
    assert max_row_synapses(plastic=False) == 256


def stdp_onto_itself(n):
    net = sm.Network(dt=1.0, label=f"stdp{n}")
    a = net.add(sm.Population(n, CELL, label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(), RULE, label="a-a"))
    return net


def test_checker_rejects_more_than_254_plastic_synapses_per_row_and_says_how_to_fit():
    assert check_spinnaker(stdp_onto_itself(254)).ok
    report = check_spinnaker(stdp_onto_itself(300))
    assert [(e.code, e.subject, e.spynnaker) for e in report.errors] == \
        [("row_too_long", "a-a", "SynapseRowTooBigException")]
    assert "256 plastic synapses onto one core" in report.errors[0].message
    assert "at most 254" in report.errors[0].message
    fitted = check_spinnaker(stdp_onto_itself(300), neurons_per_core=150)
    assert fitted.ok and fitted.cores == 2


def test_cores_follow_256_neurons_per_core_one_core_per_array_source_500_per_poisson():
    net = sm.Network(dt=1.0, label="c")
    net.add(sm.Population(1000, CELL, label="a"))             # ceil(1000/256) = 4
    net.add(sm.Population(257, CELL, label="b"))              # 2
    net.add(sm.SpikeSourceArray(size=5000, label="s"))        # 1
    net.add(sm.SpikeSourcePoisson(1000, rate=5.0, seed=0, label="p"))   # 2
    report = check_spinnaker(net)
    assert {p["label"]: p["cores"] for p in report.populations} == \
        {"a": 4, "b": 2, "s": 1, "p": 2}
    assert report.cores == 9 and report.chips == 1


def delayed(n_post, delay):
    net = sm.Network(dt=1.0, label="d")
    a = net.add(sm.Population(300, CELL, label="a"))
    b = net.add(sm.Population(n_post, CELL, label="b"))
    net.add(sm.Projection(a, b, sm.AllToAll(), sm.StaticSynapse(weight=0.1, delay=delay),
                          label="a-b"))
    return net


def test_delays_beyond_a_cores_range_use_delay_extensions_up_to_nine_times_it():
    # a post core of 100 neurons: 14 - (7 + 1) = 6 ring-buffer delay bits = 64 steps natively
    assert check_spinnaker(delayed(100, 64.0)).delay_extensions == []
    report = check_spinnaker(delayed(100, 200.0))
    assert report.ok
    # one delay extension core per core of the presynaptic population (2), 3 stages of 64
    assert report.delay_extensions == [{"pre": "a", "cores": 2, "stages": 3}]
    assert report.cores == 2 + 1 + 2
    assert check_spinnaker(delayed(100, 576.0)).ok                      # 9 x 64
    bad = check_spinnaker(delayed(100, 577.0))
    assert [(e.code, e.spynnaker) for e in bad.errors] == \
        [("delay_too_long", "DelayExtensionException")]
    assert "576.0 ms" in bad.errors[0].message


def test_weights_are_scaled_by_a_power_of_two_per_receptor_and_the_rounding_is_reported():
    net = sm.Network(dt=1.0, label="w")
    a = net.add(sm.Population(10, CELL, label="a"))
    b = net.add(sm.Population(10, CELL, label="b"))
    net.add(sm.Projection(a, b, sm.OneToOne(), sm.StaticSynapse(weight=6.0), label="big"))
    net.add(sm.Projection(a, b, sm.AllToAll(), sm.StaticSynapse(weight=0.1),
                          receptor="inhibitory", label="small"))
    rows = {r["label"]: r for r in check_spinnaker(net).projections}
    # excitatory: largest summed input 6 x 1 -> 2**3 > 6 -> 2**(15-3) = 4096 per nA, exact
    assert rows["big"]["weight_scale_power"] == 3 == weight_power(6.0)
    assert rows["big"]["max_abs_weight_error"] == 0.0
    # inhibitory: 0.1 x 10 inputs = 1.0 = 2**0 -> power 1 -> 16384 per nA; 1638.4 -> 1638
    assert rows["small"]["weight_scale_power"] == 1
    assert rows["small"]["max_abs_weight_error"] == pytest.approx(0.4 / 16384, rel=1e-9)
    assert rows["small"]["weight_lsb"] == 1 / 16384


def test_too_many_cores_for_the_board_is_an_error_with_spynnakers_exception():
    net = sm.Network(dt=1.0, label="full")
    net.add(sm.Population(256 * 63, CELL, label="a", record=()))
    assert check_spinnaker(net, board="spinn3").ok                     # 63 cores
    net.add(sm.Population(1, CELL, label="b", record=()))
    report = check_spinnaker(net, board="spinn3")
    assert [(e.code, e.spynnaker) for e in report.errors] == \
        [("board_capacity", "PacmanPlaceException")]
    assert "more than the 63" in report.errors[0].message


def test_report_prints_and_serialises_every_finding():
    report = check_spinnaker(stdp_onto_itself(300))
    text = str(report)
    assert "does NOT map" in text and "SynapseRowTooBigException" in text
    d = json.loads(json.dumps(report.to_dict()))
    assert d["ok"] is False and d["errors"][0]["code"] == "row_too_long"
    assert d["cores"] == 2
    assert d["limits"]["neurons_per_core_plastic"] == 256
    assert d["limits"]["row_synapses_plastic"] == 254
    assert d["limits"]["application_cores"] == 759


# -- JSON, resources, CLI -------------------------------------------------------------------
def test_json_description_lists_every_group_projection_and_the_check(tmp_path):
    net = small_network()
    path = to_spinnaker_json(net, tmp_path / "net.json", run_ms=30.0)
    doc = json.loads(path.read_text())
    assert doc["format"] == "spikemem-spinnaker" and doc["run_ms"] == 30.0
    assert [p["label"] for p in doc["populations"]] == ["a", "b", "in"]
    projs = {p["label"]: p for p in doc["projections"]}
    assert projs["in-a"]["connector"] == {"type": "OneToOneConnector"}
    assert projs["stdp"]["synapse"]["timing_dependence"]["A_plus"] == 6.0
    assert len(projs["a-b"]["connector"]["pre"]) == 90
    assert doc["populations"][1]["initial_v"] == np.linspace(-70, -61, 10).tolist()
    assert doc["check"]["ok"] is True


def test_resource_estimate_counts_events_and_energy_from_a_recording():
    net = sm.Network(dt=1.0, label="e")
    a = net.add(sm.Population(4, CELL, label="a"))
    s = net.add(sm.SpikeSourceArray([[1.0, 5.0], [2.0], [], []], label="in"))
    net.add(sm.Projection(s, a, sm.AllToAll(), sm.StaticSynapse(weight=0.01), label="s-a"))
    rec = sm.build(net, backend="numba").run(100.0)
    res = estimate_spinnaker_resources(net, rec)
    assert res.spikes == {"a": 0.0, "in": 3.0}
    assert res.synaptic_events == {"s-a": 12.0}                # 3 spikes x 4 targets
    wall = 0.1                                                  # 100 ms at time scale 1
    assert res.energy_j["idle"] == pytest.approx(26.84 * wall)
    assert res.energy_j["active_cores"] == pytest.approx(2 * 0.034 * wall)
    assert res.energy_j["spike_packets"] == pytest.approx(3 * 1e-9)
    assert res.energy_j["synaptic_processing"] == pytest.approx(12 / 13e6 * 0.034)
    # the busiest core processed 12 events in 0.1 s of a 13 M events/s core
    assert res.peak_core_load == pytest.approx(12 / 13e6 / wall)


def test_cli_export_writes_script_arrays_and_json(tmp_path, capsys):
    from spikemem.cli import main
    net = small_network()
    net.save(tmp_path / "net.h5")
    out = tmp_path / "exported"
    assert main(["export", str(tmp_path / "net.h5"), "--target", "spinnaker", "--out",
                 str(out), "--duration", "50"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["small.json", "small.py",
                                                     "small_data.npz"]
    assert "SpiNNaker check of 'small' on spinn5" in capsys.readouterr().out


def test_exporting_a_consolidating_stdp_projection_names_the_feature_and_target(tmp_path):
    import spikemem as sm
    from spikemem.hardware import to_pynn_script
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(3, sm.IF_curr_exp(), label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(False), sm.ConsolidatingSTDP(), label="stm"))
    with pytest.raises(sm.UnsupportedFeature, match="SpiNNaker.*ConsolidatingSTDP"):
        to_pynn_script(net, tmp_path / "net.py")
    assert not list(tmp_path.iterdir())


def test_the_energy_estimate_covers_spinnaker_too():
    import spikemem as sm
    from spikemem.hardware.energy import estimate
    net = sm.Network(dt=1.0)
    net.add(sm.Population(10, sm.IF_curr_exp(), label="a"))
    out = estimate(net, "spinnaker")
    assert out["cores"] >= 1
