"""The Potjans & Diesmann (2014) microcircuit: structure and statistics at small scale.

Rates are validated by the experiment and benchmark at scale 0.1 and 1.0, not here.
"""
import math

import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import ValidationError
from spikemem.models import microcircuit as mc


@pytest.fixture(scope="module")
def net():
    return mc.build_microcircuit(scale=0.02, seed=3)


def test_psp_of_0_15_mV_is_the_published_87_8_pA_current():
    assert mc.psc_from_psp(0.15) == pytest.approx(0.0878, abs=1e-4)


def test_full_scale_has_77169_neurons_and_about_3e8_synapses():
    assert mc.N_FULL.sum() == 77169
    assert mc.synapse_numbers(1.0).sum() == pytest.approx(2.99e8, rel=0.01)
    # in-degree of L2/3e at full scale: sum over sources of K / N_target (paper: ~5000)
    assert mc.synapse_numbers(1.0)[0].sum() / mc.N_FULL[0] == pytest.approx(4995, rel=0.01)


def test_populations_and_synapse_counts_follow_scale(net):
    sizes = np.round(mc.N_FULL * 0.02).astype(int)
    assert [p.label for p in net.populations] == list(mc.POPULATIONS)
    assert [p.size for p in net.populations] == list(sizes)
    expected = mc.synapse_numbers(0.02)
    for proj in net.projections:
        src, tgt = proj.label.split("->")
        i, j = mc.POPULATIONS.index(tgt), mc.POPULATIONS.index(src)
        assert proj.size == expected[i, j]
        assert proj.pre_idx.dtype == np.int32 and proj.post_idx.max() < sizes[i]
    # pairs with probability 0 have no projection
    assert "L5I->L23E" not in net and "L6I->L4I" not in net
    assert net.n_synapses == expected.sum()


def test_weights_have_the_published_means_ratio_and_spread(net):
    w = mc.psc_from_psp(0.15) / np.sqrt(0.02)
    e = net["L23E->L5E"]
    assert e.receptor == "excitatory"
    assert e.weight.mean() == pytest.approx(w, rel=0.01)
    assert e.weight.std() == pytest.approx(0.1 * w, rel=0.05)
    assert net["L4E->L23E"].weight.mean() == pytest.approx(2 * w, rel=0.01)
    i = net["L4I->L4E"]
    assert i.receptor == "inhibitory" and i.weight.mean() == pytest.approx(4 * w, rel=0.01)
    assert all(np.all(p.weight > 0) for p in net.projections)


def test_delays_are_whole_steps_with_the_published_means(net):
    exc = np.concatenate([p.delay for p in net.projections if p.receptor == "excitatory"])
    inh = np.concatenate([p.delay for p in net.projections if p.receptor == "inhibitory"])
    for d in (exc, inh):
        assert d.min() >= 0.1 - 1e-12
        np.testing.assert_allclose(d / 0.1, np.round(d / 0.1), atol=1e-9)
    # normal(1.5, 0.75) redrawn below 0.1 ms: mean slightly above 1.5
    assert 1.5 <= exc.mean() <= 1.56
    assert 0.75 <= inh.mean() <= 0.82


def test_downscaled_in_degree_is_compensated_by_dc(net):
    full = mc.build_microcircuit(scale=0.02, k_scale=1.0, seed=3)
    for a, b in zip(net.populations, full.populations):
        # k_scale < 1 adds DC (recurrent mean lost); L2/3e receives net excitation
        assert a.celltype.i_offset != b.celltype.i_offset
    # with k_scale 1 the DC is the background alone: 8 Hz * K_ext * 87.8 pA * 0.5 ms
    dc = [p.celltype.i_offset for p in full.populations]
    np.testing.assert_allclose(dc, 1e-3 * 0.5 * 8.0 * mc.K_EXT * mc.psc_from_psp(0.15),
                               rtol=1e-12)


def test_same_seed_same_network_other_seed_other_network(net):
    again = mc.build_microcircuit(scale=0.02, seed=3)
    other = mc.build_microcircuit(scale=0.02, seed=4)
    for a, b, c in zip(net.projections, again.projections, other.projections):
        np.testing.assert_array_equal(a.pre_idx, b.pre_idx)
        np.testing.assert_array_equal(a.weight, b.weight)
        np.testing.assert_array_equal(a.delay, b.delay)
        assert not np.array_equal(a.weight, c.weight)
    np.testing.assert_array_equal(net["L4E"].initial_v, again["L4E"].initial_v)


def test_a_short_run_is_active_in_every_population_and_rates_are_checked():
    # (below scale ~0.1 the DC-driven network falls silent after its initial transient:
    # without background noise the silent state is stable once in-degrees are small)
    net = mc.build_microcircuit(scale=0.1, seed=0)
    sim = sm.build(net, progress=False)
    sim.run(300.0)
    rates = mc.population_rates(sim.recording, t_start=100.0)
    assert all(r > 0 for r in rates.values())
    checked = mc.rates_within_published(rates)
    assert set(checked) == set(mc.POPULATIONS)
    assert all(len(v) == 4 for v in checked.values())


@pytest.mark.parametrize("kwargs, match", [
    ({"scale": 0.0}, "scale"), ({"scale": 1.5}, "scale"), ({"k_scale": -1.0}, "k_scale"),
    ({"background": "noise"}, "background"), ({"seed": -1}, "seed"), ({"dt": 0.0}, "dt"),
    ({"record_v": "yes"}, "record_v")])
def test_bad_arguments_are_refused_naming_the_argument(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        mc.build_microcircuit(**kwargs)


def test_microcircuit_poisson_background_has_the_published_drive_per_population():
    net = mc.build_microcircuit(scale=0.01, k_scale=0.25, background="poisson", seed=2)
    dc = mc.build_microcircuit(scale=0.01, k_scale=0.25, background="dc", seed=2)
    assert [d.label for d in net.drives] == [f"bg_{p}" for p in mc.POPULATIONS]
    w_ext = mc.psc_from_psp(0.15) / math.sqrt(0.25)
    for k, d in enumerate(net.drives):
        assert d.population is net.populations[k] and d.size == net.populations[k].size
        assert d.n_inputs == round(mc.K_EXT[k] * 0.25) and d.rate == 8.0
        assert d.weight == pytest.approx(w_ext) and d.receptor == "excitatory"
        # mean drive current (rate * w * tau_syn) + the remaining DC = the DC background
        mean = 1e-3 * d.n_inputs * d.rate * d.weight * mc.CELL.tau_syn_E
        i_p = net.populations[k].celltype.i_offset
        assert mean + i_p == pytest.approx(dc.populations[k].celltype.i_offset, rel=2e-3)
    assert len({d.seed for d in net.drives}) == 8
    assert [d.seed for d in mc.build_microcircuit(scale=0.01, background="poisson",
                                                  seed=3).drives] != [d.seed for d in net.drives]


def test_poisson_background_at_a_dt_beyond_the_drive_limit_is_refused():
    with pytest.raises(ValidationError, match="at most 50"):
        mc.build_microcircuit(scale=0.01, k_scale=1.0, background="poisson", dt=2.5)


def test_rate_checks_refuse_missing_populations_and_bad_windows():
    with pytest.raises(ValidationError, match="missing"):
        mc.rates_within_published({"L23E": 1.0})
    net = mc.build_microcircuit(scale=0.01, seed=0)
    sim = sm.build(net, progress=False)
    sim.run(10.0)
    with pytest.raises(ValidationError, match="t_start"):
        mc.population_rates(sim.recording, t_start=20.0)


def test_experiment_writes_rates_summary_raster_and_recording(tmp_path):
    import json

    from spikemem.experiments import microcircuit as exp
    s = exp.run(scale=0.1, duration=250.0, t_rates=100.0, out=tmp_path, threads=2)
    for name in ("rates.csv", "summary.json", "raster.png", "recording.h5"):
        assert (tmp_path / name).stat().st_size > 0
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["n_synapses"] == mc.synapse_numbers(0.1).sum()
    assert set(saved["rates_hz"]) == set(mc.POPULATIONS)
    assert saved["engine_bytes_per_synapse"] <= 12.5
    rows = (tmp_path / "rates.csv").read_text().splitlines()
    assert rows[0].startswith("population,rate_hz") and len(rows) == 9
    assert s["threads"] == 2


def test_experiment_refuses_a_rate_window_beyond_the_run(tmp_path):
    from spikemem.experiments import microcircuit as exp
    with pytest.raises(ValidationError, match="t_rates"):
        exp.run(scale=0.01, duration=100.0, t_rates=150.0, out=tmp_path)


def test_experiment_runs_the_poisson_background_from_the_command_line(tmp_path, capsys):
    import json

    from spikemem.experiments import microcircuit as exp
    assert exp.main(["--scale", "0.02", "--background", "poisson", "--duration", "150",
                     "--t-rates", "50", "--threads", "1", "--no-recording",
                     "--out", str(tmp_path)]) == 0
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["background"] == "poisson" and saved["spikes"] > 0
    out = capsys.readouterr().out
    assert "poisson background" in out and all(p in out for p in mc.POPULATIONS)
    assert "published" in out


def test_external_indegrees_and_weight_scale_like_nest_and_refuse_bad_scales():
    np.testing.assert_array_equal(mc.external_indegrees(1.0), mc.K_EXT)
    assert mc.external_indegrees(0.1).tolist() == np.round(np.array(mc.K_EXT) * 0.1).tolist()
    w = mc.psc_from_psp(mc.PSP_MEAN_MV)
    assert mc.external_weight(1.0) == pytest.approx(w) and 0.05 < w < 0.15      # ~87.8 pA
    assert mc.external_weight(0.25) == pytest.approx(2.0 * w)
    net = mc.build_microcircuit(scale=0.02, background="poisson")
    assert {d.weight for d in net.drives} == {mc.external_weight(0.02)}
    for bad in (0.0, -1.0, float("nan"), "1"):
        for fn in (mc.external_indegrees, mc.external_weight):
            with pytest.raises(ValidationError, match="k_scale"):
                fn(bad)
