"""Loihi export: quantisation to Loihi 1's formats, the fixed-point mode, the Lava-style file.

The fixed-point mode is checked spike for spike against nengo-loihi's emulator in
test_hardware_loihi_emulator.py; here the mapping is checked against the float engine
(the IR's own semantics) and against hand-computed register values.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

import spikemem as sm
from spikemem.backends.numba.fixed_point import LoihiFixedPointSimulator
from spikemem.hardware import load_lava_description, to_loihi, write_lava_description
from spikemem.loihi_formats import (
    decay_from_du, decay_from_dv, du_from_decay, dv_from_decay, split_bias, split_weights,
)


def _two_population_net(tau_refrac=1.0, v_reset=-70.0, i_offset=0.2, delay=2.0):
    net = sm.Network(dt=1.0, label="pair")
    a = net.add(sm.Population(4, sm.IF_curr_exp(tau_m=8.0, tau_syn_E=2.0, tau_syn_I=2.0,
                                                 v_thresh=-55.0, tau_refrac=tau_refrac,
                                                 v_reset=v_reset, i_offset=i_offset),
                              label="a", record=("spikes", "v")))
    b = net.add(sm.Population(3, sm.IF_curr_exp(tau_m=4.0, tau_syn_E=1.5, tau_syn_I=1.5),
                              label="b", record=("spikes", "v")))
    rng = np.random.default_rng(0)
    src = net.add(sm.SpikeSourceArray(
        [np.sort(rng.choice(np.arange(1.0, 60.0), 12, replace=False)) for _ in range(4)],
        label="in"))
    net.add(sm.Projection(src, a, sm.OneToOne(), sm.StaticSynapse(weight=8.0, delay=1.0)))
    net.add(sm.Projection(a, b, sm.AllToAll(), sm.StaticSynapse(weight=6.0, delay=delay)))
    net.add(sm.Projection(b, a, sm.AllToAll(), sm.StaticSynapse(weight=2.0, delay=1.0),
                          receptor="inhibitory"))
    return net


# -- register formats ---------------------------------------------------------------------
@pytest.mark.parametrize("tau", [0.3, 1.0, 3.0, 20.0, 200.0])
def test_decay_registers_realise_exp_minus_dt_over_tau_to_half_a_4096th(tau):
    decay = math.exp(-1.0 / tau)
    du, dv = int(du_from_decay(decay)), int(dv_from_decay(decay))
    assert 0 <= du <= 4095 and 0 <= dv <= 4095
    # Loihi: u decays by (4096 - du - 1)/4096, v by (4096 - dv)/4096 (Lava PyLifModelBitAcc)
    assert decay_from_du(du) == (4095 - du) / 4096
    assert decay_from_dv(dv) == (4096 - dv) / 4096
    assert abs(decay_from_du(du) - decay) <= 0.5 / 4096
    assert abs(decay_from_dv(dv) - decay) <= 0.5 / 4096


def test_ca3_synaptic_decay_of_tau_0_3_ms_is_register_3949():
    # exp(-1/0.3) * 4096 = 146.1 -> 146/4096 -> du = 4095 - 146
    assert int(du_from_decay(math.exp(-1 / 0.3))) == 3949


def test_weights_are_8_bit_magnitudes_with_one_exponent_and_half_unit_rounding():
    w = np.array([0.0, 10.0, 1000.0, 123456.0, 2_000_000.0])
    mant, exp = split_weights(w)
    assert mant.max() <= 255 and mant.min() >= 0 and 0 <= exp <= 7
    unit = 2 ** (6 + exp)
    assert np.all(np.abs(mant * unit - w) <= unit / 2)
    # the exponent is the smallest that fits the largest weight
    assert round(w.max() / 2 ** (6 + exp - 1)) > 255


def test_bias_uses_13_bit_mantissa_and_finest_exponent():
    mant, exp = split_bias(np.array([100.0, -5000.0, 400000.0]))
    assert np.all(np.abs(mant) <= 4095)
    assert list(exp) == [0, 1, 7]
    assert list(mant[:2]) == [100, -2500]


# -- the mapping --------------------------------------------------------------------------
def test_threshold_is_a_mantissa_times_64_equal_to_the_scaled_ir_threshold():
    lo = to_loihi(_two_population_net())
    for p in lo.populations:
        cell = lo.network[p.label].celltype
        assert p.vth == p.vth_mant * 64 and 1 <= p.vth_mant <= 2 ** 17 - 1
        assert p.vth == pytest.approx(p.v_scale * (cell.v_thresh - cell.v_reset), rel=1e-12)
        assert p.v_offset == cell.v_reset


def test_integer_weights_fold_input_scaling_and_membrane_step_into_the_weight():
    net = _two_population_net()
    lo = to_loihi(net)
    proj = lo.projection("proj1")                      # a -> b, 6 nA
    b = lo.population("b")
    c = net["b"].celltype
    decay = math.exp(-1 / c.tau_syn_E)
    init = c.tau_syn_E * (1 - decay)
    r_u, r_v = (4095 - b.du) / 4096, (4096 - b.dv) / 4096
    # integer u units per spike: s (1 - r_v) R init, with the charge kept for the realised r_u
    ideal = b.v_scale * (1 - r_v) * c.R * init * (1 - r_u) / (1 - decay) * 6.0
    unit = 2 ** (6 + proj.weight_exp)
    assert np.all(np.abs(proj.weight - ideal) <= unit / 2)
    assert np.all(proj.weight_mant <= 255)
    inh = lo.projection("proj2")
    assert inh.sign == -1 and np.all(inh.weight < 0)


def test_reset_below_rest_becomes_a_bias_that_relaxes_v_to_the_ir_resting_potential():
    # no input: V relaxes from v_reset to v_rest + R i_offset; on Loihi v relaxes to
    # bias / (1 - r_v), which must stand for the same potential
    net = _two_population_net()
    lo = to_loihi(net)
    a = lo.population("a")
    c = net["a"].celltype
    r_v = (4096 - a.dv) / 4096
    v_inf = a.v_to_mV(a.bias / (1 - r_v))
    # exact up to the rounding of the 13-bit bias mantissa (half a unit of 2**bias_exp)
    tol = 0.5 * 2 ** a.bias_exp / (1 - r_v) / a.v_scale
    assert tol < 2e-3
    assert v_inf == pytest.approx(c.v_rest + c.R * c.i_offset, abs=tol)


def test_refractory_hold_of_n_steps_is_loihi_refractory_delay_n_plus_1():
    lo = to_loihi(_two_population_net(tau_refrac=3.0))
    assert lo.population("a").refract_delay == 4
    assert lo.population("b").refract_delay == 1       # tau_refrac 0.1 ms -> 0 steps


def test_fixed_point_mode_follows_the_float_engine_on_a_small_network():
    net = _two_population_net()
    fl = sm.build(net, backend="numba", progress=False)
    fl.run(70.0)
    fx = sm.build(net, backend="loihi-fixed", loihi=to_loihi(net))
    assert isinstance(fx, LoihiFixedPointSimulator)
    fx.run(70.0)
    for label in ("a", "b", "in"):
        t_f, i_f = fl.recording.spikes(label)
        t_x, i_x = fx.recording.spikes(label)
        assert np.array_equal(t_f, t_x) and np.array_equal(i_f, i_x), label
        assert t_f.size > 10, label
    for label in ("a", "b"):
        # the integer membrane tracks the float one to a few hundredths of a mV
        _, v_f = fl.recording.v(label)
        _, v_x = fx.recording.v(label)
        assert np.max(np.abs(v_f - v_x)) < 0.05


def test_no_wrap_around_even_when_every_input_fires_every_step():
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(3, sm.IF_curr_exp(tau_m=20.0, tau_syn_E=5.0, tau_syn_I=5.0,
                                                 v_thresh=-64.0), label="a"))
    src = net.add(sm.SpikeSourceArray([list(np.arange(0.0, 100.0))] * 50, label="in"))
    net.add(sm.Projection(src[:25], a, sm.AllToAll(), sm.StaticSynapse(weight=30.0)))
    net.add(sm.Projection(src[25:], a, sm.AllToAll(), sm.StaticSynapse(weight=40.0),
                          receptor="inhibitory"))
    sim = LoihiFixedPointSimulator(to_loihi(net))
    sim.run(100.0)
    assert sim.overflows == {"q": 0, "u": 0, "u+bias": 0}
    assert sim.v_int.min() > -(2 ** 23 - 1)


def test_report_lists_per_quantity_errors_and_learned_weights_override_ir_weights():
    net = _two_population_net()
    learned = {"proj1": np.linspace(0.5, 3.0, net["proj1"].size)}
    lo = to_loihi(net, weights=learned)
    rep = lo.report.to_dict()
    assert set(rep["populations"]) == {"a", "b"} and set(rep["projections"]) == {
        "proj0", "proj1", "proj2"}
    assert rep["populations"]["a"]["decay_u"]["rel_error"] < 1e-3
    w = rep["projections"]["proj1"]["weight"]
    real = lo.projection("proj1").weight_nA
    assert w["max_abs_error_nA"] == pytest.approx(np.abs(real - learned["proj1"]).max())
    proj = lo.projection("proj1")
    half_lsb_nA = 0.5 * proj.unit_nA * 2 ** (6 + proj.weight_exp)
    assert w["max_abs_error_nA"] <= half_lsb_nA
    # the largest weight has a mantissa of at least 128: relative error below 2**-8 there
    assert abs(real[-1] - 3.0) / 3.0 < 2 ** -8
    assert "proj1" in lo.report.summary()


def test_plastic_projection_is_exported_static_with_its_stdp_rule_in_loihi_notation():
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(2, sm.IF_curr_exp(), label="a"))
    b = net.add(sm.Population(2, sm.IF_curr_exp(), label="b"))
    net.add(sm.Projection(a, b, sm.AllToAll(), sm.STDP(tau_plus=3.0, tau_minus=4.0, A_plus=0.5,
                                                        A_minus=0.25, w_max=6.0, weight=2.0),
                          label="ab"))
    lo = to_loihi(net)
    proj = lo.projection("ab")
    rule = proj.learning_rule
    mant_nA = proj.unit_nA * 2 ** (6 + proj.weight_exp)
    # the exponent holds w_max (the range the rule learns in) in 8 bits, at full precision
    assert 127.5 <= 6.0 / mant_nA <= 255.5
    a_plus, a_minus = 0.5 / mant_nA, 0.25 / mant_nA
    assert rule["dw"] == f"dw = {a_plus:.6g} * x1 * y0 - {a_minus:.6g} * y1 * x0"
    assert rule["x1_tau"] == 3.0 and rule["y1_tau"] == 4.0 and rule["exact"] is False
    assert any("dendritic" in d for d in rule["differences"])
    assert any("'ab' is plastic (STDP)" in w for w in lo.report.warnings)
    assert np.allclose(proj.weight_nA, 2.0, rtol=2 ** -8)


# -- bad input and missing features -------------------------------------------------------
def test_unequal_synaptic_time_constants_with_both_receptors_name_the_feature_and_loihi():
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(2, sm.IF_curr_exp(tau_syn_E=2.0, tau_syn_I=5.0), label="a"))
    s = net.add(sm.SpikeSourceArray([[1.0]] * 2, label="s"))
    net.add(sm.Projection(s, a, sm.OneToOne(), sm.StaticSynapse(weight=1.0)))
    to_loihi(net)                      # one receptor in use: fine
    net.add(sm.Projection(s, a, sm.OneToOne(), sm.StaticSynapse(weight=1.0),
                          receptor="inhibitory"))
    with pytest.raises(sm.UnsupportedFeature, match=r"Loihi 1.*tau_syn_E = 2.0 ms != tau_syn_I"):
        to_loihi(net)


def test_delay_beyond_63_steps_is_unsupported_on_loihi_1():
    net = _two_population_net(delay=64.0)
    with pytest.raises(sm.UnsupportedFeature, match=r"Loihi 1.*delay of 64 steps"):
        to_loihi(net)
    to_loihi(_two_population_net(delay=63.0))


def test_refractory_period_beyond_62_steps_is_unsupported_on_loihi_1():
    with pytest.raises(sm.UnsupportedFeature, match=r"Loihi 1.*refractory period of 63 steps"):
        to_loihi(_two_population_net(tau_refrac=63.0))


def test_bad_weights_argument_names_the_projection():
    net = _two_population_net()
    with pytest.raises(sm.ValidationError, match="proj1"):
        to_loihi(net, weights={"proj1": np.ones(3)})
    with pytest.raises(sm.ValidationError, match="nope"):
        to_loihi(net, weights={"nope": np.ones(3)})
    with pytest.raises(sm.ValidationError, match="proj0"):
        to_loihi(net, weights={"proj0": -np.ones(net["proj0"].size)})


def test_fixed_point_build_needs_the_quantised_network_of_the_same_network():
    net = _two_population_net()
    with pytest.raises(sm.ValidationError, match="to_loihi"):
        sm.build(net, backend="loihi-fixed", loihi="loihi")
    with pytest.raises(sm.ValidationError, match="to_loihi"):
        sm.build(net, backend="loihi-fixed", loihi=to_loihi(_two_population_net()))
    with pytest.raises(sm.ValidationError, match="to_loihi"):
        sm.build(net, backend="loihi-fixed")


def test_fixed_point_through_numba_is_a_deprecated_route_to_the_loihi_fixed_backend():
    net = _two_population_net()
    with pytest.warns(DeprecationWarning, match="loihi-fixed"):
        sim = sm.build(net, backend="numba", fixed_point=to_loihi(net))
    assert isinstance(sim, LoihiFixedPointSimulator)


def test_fixed_point_weights_cannot_be_overwritten():
    net = _two_population_net()
    sim = sm.build(net, backend="loihi-fixed", loihi=to_loihi(net))
    with pytest.raises(sm.UnsupportedFeature, match="set_weights"):
        sim.set_weights("proj0", np.ones(4))


# -- the Lava-style description -----------------------------------------------------------
def test_lava_description_lists_lif_sparse_and_ringbuffer_processes(tmp_path):
    net = _two_population_net()
    lo = to_loihi(net)
    json_path, npz_path = write_lava_description(lo, tmp_path / "pair.json")
    assert npz_path.exists()
    doc = json.loads(json_path.read_text())
    procs = {p["name"]: p for p in doc["processes"]}
    assert procs["a"]["lava_process"] == "lava.proc.lif.process.LIFRefractory"
    assert procs["a"]["refractory_period"] == 1
    assert procs["a"]["du"] == lo.population("a").du and procs["a"]["vth"] == lo.population(
        "a").vth_mant
    assert procs["in"]["lava_process"] == "lava.proc.io.source.RingBuffer"
    assert procs["proj1"]["lava_process"] == "lava.proc.sparse.process.DelaySparse"
    assert procs["proj2"]["sign_mode"] == 3 and procs["proj0"]["sign_mode"] == 2
    assert ["a.s_out", "proj1.s_in"] in doc["connections"]
    with np.load(npz_path) as arrays:
        assert np.array_equal(arrays["proj1/delays"], np.ones(12))       # delay 2 -> register 1
        assert np.all(arrays["proj2/weights"] < 0)


def test_written_description_runs_to_the_same_spikes(tmp_path):
    net = _two_population_net()
    lo = to_loihi(net)
    path, _ = write_lava_description(lo, tmp_path / "pair.json")
    again = load_lava_description(path, net)
    sims = [LoihiFixedPointSimulator(x) for x in (lo, again)]
    for sim in sims:
        sim.run(60.0)
    for label in ("a", "b"):
        assert np.array_equal(sims[0].recording.spikes(label)[0],
                              sims[1].recording.spikes(label)[0])
    assert sims[0].recording.n_spikes() > 5


def test_poisson_source_needs_a_duration_to_be_written_for_lava(tmp_path):
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(2, sm.IF_curr_exp(), label="a"))
    s = net.add(sm.SpikeSourcePoisson(2, rate=50.0, seed=3, label="p"))
    net.add(sm.Projection(s, a, sm.OneToOne(), sm.StaticSynapse(weight=1.0)))
    lo = to_loihi(net)
    with pytest.raises(sm.UnsupportedFeature, match="SpikeSourcePoisson 'p' needs a duration"):
        write_lava_description(lo, tmp_path / "p.json")
    path, npz = write_lava_description(lo, tmp_path / "p.json", duration=100.0)
    steps, ids = s.spikes_between(1.0, 0, 100)
    with np.load(npz) as arrays:
        assert np.array_equal(arrays["p/steps"], steps) and np.array_equal(arrays["p/ids"], ids)


def test_consolidating_stdp_has_no_loihi_rule_and_is_exported_static_with_a_warning():
    from spikemem.hardware.loihi_learning import stdp_learning_rule
    from spikemem.synapses import ConsolidatingSTDP

    syn = ConsolidatingSTDP(weight=0.5, w_max=2.0)
    with pytest.raises(sm.UnsupportedFeature, match="ConsolidatingSTDP has no learning-rule"):
        stdp_learning_rule(syn, 1.0, 0.01)
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(2, sm.IF_curr_exp(), label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(False), syn, label="aa"))
    lo = to_loihi(net)
    assert lo.projection("aa").learning_rule is None
    assert any("'aa' is plastic (ConsolidatingSTDP)" in w and "no learning rule" in w
               for w in lo.report.warnings)
