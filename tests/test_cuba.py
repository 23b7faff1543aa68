"""The CUBA builder, its weight mapping and its dynamics against the standard Brian2 CUBA model.

The Brian2 peer is the benchmark's `brian2_cuba` (Brian2's own CUBA equations with ``ge``
and ``gi`` in mV), run on Brian2's runtime device with the numpy target so that nothing is
compiled; expected PSP values are also computed by hand from the continuous equations.
"""
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import ValidationError
from spikemem.models.cuba import CUBA_CELL, W_EXC_NA, W_INH_NA, build_cuba

_BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "cuba.py"


def _bench_module():
    spec = importlib.util.spec_from_file_location("cuba_benchmark", _BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cuba_builder_has_brian2s_sizes_weights_delays_and_initial_potentials():
    net = build_cuba(4000, seed=1)
    pop, exc, inh = net["cuba"], net["exc"], net["inh"]
    assert pop.size == 4000 and exc.pre.size == 3200 and inh.pre.size == 800
    assert (exc.receptor, inh.receptor) == ("excitatory", "inhibitory")
    # Brian2: we = 60 * 0.27 / 10 mV, wi = 20 * 4.5 / 10 mV; R = 20 ms / 1 nF = 20 MΩ
    assert np.allclose(exc.weight, 1.62 / 20.0) and np.allclose(inh.weight, 9.0 / 20.0)
    assert np.all(exc.delay == 0.1) and np.all(inh.delay == 0.1)
    assert exc.pre_idx.min() >= 0 and exc.pre_idx.max() < 3200
    assert inh.pre_idx.min() >= 3200 and inh.pre_idx.max() < 4000
    # each of 3200 * 4000 (resp. 800 * 4000) pairs connected with p = 0.02: binomial counts
    for proj, pairs in ((exc, 3200 * 4000), (inh, 800 * 4000)):
        mean, sd = 0.02 * pairs, math.sqrt(pairs * 0.02 * 0.98)
        assert abs(proj.size - mean) < 5 * sd
    v0 = pop.initial_v_array()
    assert v0.min() >= -60.0 and v0.max() < -50.0 and v0.std() > 2.5   # uniform: sd 2.89 mV
    assert CUBA_CELL.v_rest == -49.0 and CUBA_CELL.tau_refrac == 5.0


def test_cuba_builder_scales_at_constant_in_degree_and_is_reproducible():
    net = build_cuba(2000, synapses_per_neuron=80, seed=3)
    in_degree = np.bincount(np.concatenate([p.post_idx for p in net.projections]),
                            minlength=2000)
    # in-degree of a neuron: Binomial(2000, 0.04), mean 80, sd 8.8; mean of 2000 of them
    assert abs(in_degree.mean() - 80) < 5 * math.sqrt(80 * 0.96 / 2000)
    assert 0.7 < in_degree.std() / math.sqrt(80 * 0.96) < 1.3
    again = build_cuba(2000, synapses_per_neuron=80, seed=3)
    other = build_cuba(2000, synapses_per_neuron=80, seed=4)
    assert np.array_equal(net["exc"].post_idx, again["exc"].post_idx)
    assert np.array_equal(net["cuba"].initial_v_array(), again["cuba"].initial_v_array())
    assert not np.array_equal(net["cuba"].initial_v_array(), other["cuba"].initial_v_array())


@pytest.mark.parametrize("kwargs, field", [
    (dict(n_neurons=4), "n_neurons"),
    (dict(p_connect=0.0), "p_connect"),
    (dict(p_connect=1.5), "p_connect"),
    (dict(p_connect=0.1, synapses_per_neuron=80), "not both"),
    (dict(n_neurons=50, synapses_per_neuron=80), "synapses_per_neuron"),
    (dict(seed=-1), "seed"),
])
def test_cuba_builder_rejects_bad_arguments_naming_them(kwargs, field):
    with pytest.raises(ValidationError, match=field):
        build_cuba(**{"n_neurons": 100, **kwargs})


def test_fixed_probability_connects_pairs_independently_with_probability_p():
    n_pre, n_post, p = 2000, 3000, 0.01
    pre, post, _, _ = sm.FixedProbability(p, seed=7).connect(n_pre, n_post)
    pairs = n_pre * n_post
    assert abs(pre.size - p * pairs) < 5 * math.sqrt(pairs * p * (1 - p))
    assert np.unique(pre * n_post + post).size == pre.size            # no repeated pair
    rows = np.bincount(pre, minlength=n_pre)                           # Binomial(3000, p)
    assert 0.85 < rows.var() / (n_post * p * (1 - p)) < 1.15
    cols = np.bincount(post, minlength=n_post)                         # uniform over targets
    chi2 = np.sum((cols - cols.mean()) ** 2 / cols.mean())
    assert chi2 < n_post - 1 + 5 * math.sqrt(2 * (n_post - 1))


def _psp_peaks_ir(dt=0.1):
    net = sm.Network(dt=dt)
    cell = CUBA_CELL.replace(v_thresh=0.0)              # no spikes: pure PSPs from rest
    pops = [net.add(sm.Population(1, cell, label=lab, record=("v",))) for lab in ("e", "i")]
    src = net.add(sm.SpikeSourceArray([[1.0]], label="in"))
    for pop, w, rec in ((pops[0], W_EXC_NA, "excitatory"), (pops[1], W_INH_NA, "inhibitory")):
        net.add(sm.Projection(src, pop, sm.OneToOne(), sm.StaticSynapse(weight=w), receptor=rec))
    sim = sm.build(net, backend="numba")
    sim.run(60.0)
    return [sim.recording.v(lab)[1][:, 0] - (-49.0) for lab in ("e", "i")]


def _psp_peaks_brian2(dt=0.1):
    import brian2 as b2
    from brian2 import mV, ms
    b2.start_scope()
    b2.prefs.codegen.target = "numpy"
    b2.defaultclock.dt = dt * ms
    ns = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "El": -49 * mV,
          "we": (60 * 0.27 / 10) * mV, "wi": (-20 * 4.5 / 10) * mV}
    eqs = """dv/dt = (ge + gi - (v - El)) / taum : volt
             dge/dt = -ge / taue : volt
             dgi/dt = -gi / taui : volt"""
    g = b2.NeuronGroup(2, eqs, method="exact", namespace=ns)
    g.v = -49 * mV
    src = b2.SpikeGeneratorGroup(1, [0], [1.0] * ms)
    se = b2.Synapses(src, g, on_pre="ge += we", namespace=ns)
    se.connect(i=0, j=0)
    si = b2.Synapses(src, g, on_pre="gi += wi", namespace=ns)
    si.connect(i=0, j=1)
    mon = b2.StateMonitor(g, "v", record=True, when="end")   # after the step, as spikemem
    b2.run(60.0 * ms)
    return [mon.v[k] / mV - (-49.0) for k in (0, 1)]


def test_cuba_weights_give_brian2s_postsynaptic_potentials():
    epsp, ipsp = _psp_peaks_ir()
    b_epsp, b_ipsp = _psp_peaks_brian2()
    # by hand: u(t) = w tau_s / (tau_m - tau_s) (exp(-t/tau_m) - exp(-t/tau_s)); peaks
    # 1.62 * (1/3) * (4^-1/3 - 4^-4/3) = 0.2551 mV and -9 * (2^-1 - 2^-2) = -2.25 mV
    peak_e = 1.62 / 3 * (4 ** (-1 / 3) - 4 ** (-4 / 3))
    peak_i = -9.0 * (0.5 - 0.25)
    assert epsp.max() == pytest.approx(peak_e, rel=0.01)
    assert ipsp.min() == pytest.approx(peak_i, rel=0.01)
    assert b_epsp.max() == pytest.approx(peak_e, rel=0.01)
    # The whole traces agree with Brian2's, step by step, to 0.1 % of the peak: the IR's
    # one-step delay is Brian2's on_pre applied after the state update, and the IR's input
    # scaling gives each step the same synaptic charge as the continuous exponential current
    # (what is left is the current's shape within a step, O(dt / tau_m) of that step's rise).
    assert epsp.shape == b_epsp.shape == (600,)
    assert np.max(np.abs(epsp - b_epsp)) < 1e-3 * peak_e
    assert np.max(np.abs(ipsp - b_ipsp)) < 1e-3 * abs(peak_i)


@pytest.mark.parametrize("kwargs", [{}, {"synapses_per_neuron": 80}],
                         ids=["p=0.02", "80-synapses-per-neuron"])
def test_short_cuba_run_fires_like_the_standard_brian2_cuba_model(kwargs):
    """Mean rates of the same network (connectivity, initial v) on Numba and on Brian2.

    The two runs start from the same state but integrate the synaptic current differently
    (piecewise constant vs exact exponential), so the chaotic network's trajectories drift
    apart and their spike counts differ at random. Were the counts two independent Poisson
    draws with the same mean, ``|n1 - n2| > 4 sqrt(n1 + n2)`` would happen with probability
    6e-5; the shared initial state only correlates them positively (across seeds 0-11 the
    relative difference had a standard deviation of 1 % at p = 0.02 and 6 % at 80 synapses
    per neuron, about the independent-Poisson value 4.5 % / 6 %).
    """
    net = build_cuba(1000, seed=0, **kwargs)
    sim = sm.build(net, backend="numba")
    sim.run(100.0)
    n_numba = sim.recording.n_spikes()
    rate = n_numba / 1000 / 0.1
    assert 2.0 < rate < 30.0, f"{rate} Hz is not a CUBA rate (Brian2: a few Hz to ~20 Hz)"

    import brian2 as b2
    b2.start_scope()
    bench = _bench_module()
    network, monitor = bench.brian2_cuba(bench.cuba_arrays(net), target="numpy")
    network.run(100.0 * b2.ms)
    n_brian2 = int(monitor.num_spikes)
    assert abs(n_numba - n_brian2) < 4 * math.sqrt(n_numba + n_brian2), (n_numba, n_brian2)


def test_cuba_experiment_writes_recording_summary_and_raster(tmp_path):
    from spikemem.experiments import cuba as experiment
    summary = experiment.run(out=tmp_path, n_neurons=300, duration=50.0, seed=2)
    rec = sm.Recording.load(tmp_path / "recording.h5")
    assert (tmp_path / "raster.png").stat().st_size > 0
    assert json.loads((tmp_path / "summary.json").read_text()) == pytest.approx(summary)
    assert summary["spikes"] == rec.n_spikes() > 0
    assert summary["rate_hz"] == pytest.approx(rec.n_spikes() / 300 / 0.05)
    net = build_cuba(300, synapses_per_neuron=80, seed=2)
    assert summary["n_synapses"] == net.n_synapses


def test_isi_cv_is_the_mean_over_neurons_with_three_or_more_spikes():
    from spikemem.experiments.cuba import _mean_isi_cv
    times = np.array([0.0, 10.0, 20.0, 40.0, 5.0, 7.0, 1.0, 3.0, 5.0])
    ids = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2])
    # neuron 0: ISIs 10, 10, 20 -> sd sqrt(200/9), mean 40/3; neuron 1 has one ISI (left
    # out); neuron 2: ISIs 2, 2 -> CV 0
    cv0 = math.sqrt(200 / 9) / (40 / 3)
    assert _mean_isi_cv(times, ids, 3) == pytest.approx((cv0 + 0.0) / 2)
