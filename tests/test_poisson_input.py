"""`PoissonInput`: the IR element, its counter-based counts, and what consumes it.

The counts are checked against Poisson statistics (seeded; tolerances from the sample
size) and between their two implementations (numpy in the lowering, the Numba engine's
scalar kernel); how backends add them is specified in tests/test_backend_spec.py and
compared across backends in tests/test_backend_equivalence.py.
"""
import math

import numpy as np
import pytest

import spikemem as sm
from spikemem.backends.numba.kernels import poisson_count
from spikemem.errors import ValidationError
from spikemem.lowering import lower, poisson_cdf, poisson_counts, poisson_uniforms
from spikemem.poisson_input import MAX_LAMBDA


def _net(dt=0.1):
    net = sm.Network(dt=dt, label="drv")
    pop = net.add(sm.Population(5, sm.IF_curr_exp(), label="p"))
    return net, pop


# -- the IR element ---------------------------------------------------------------------------
def test_fields_are_validated_and_numpy_scalars_accepted():
    _, pop = _net()
    d = sm.PoissonInput(pop, n_inputs=np.int64(100), rate=np.float32(8.0),
                        weight=np.float64(0.1), seed=np.uint32(3), receptor="inhibitory",
                        start=np.int32(2), duration=5.0, label="bg")
    assert (d.n_inputs, d.rate, d.weight, d.seed, d.start) == (100, 8.0, 0.1, 3, 2.0)
    assert type(d.n_inputs) is int and type(d.rate) is float and type(d.seed) is int
    assert d.size == 5 and d.offset == 0 and d.population is pop
    view = sm.PoissonInput(pop[1:4], n_inputs=1, rate=1.0, weight=0.0, seed=0)
    assert view.size == 3 and view.offset == 1 and view.population is pop


@pytest.mark.parametrize("field,value,match", [
    ("n_inputs", 0, "n_inputs must be an integer in 1"),
    ("n_inputs", 2.5, "n_inputs"), ("n_inputs", True, "n_inputs"), ("n_inputs", "10", "n_inputs"),
    ("rate", -1.0, r"rate must be a number in \[0, 1e\+06\] Hz"), ("rate", float("nan"), "rate"),
    ("rate", "8", "rate"), ("rate", False, "rate"),
    ("weight", -0.1, "weight must be a number in"), ("weight", float("inf"), "weight"),
    ("weight", None, "weight"),
    ("seed", -1, "seed"), ("seed", 2 ** 63, "seed"), ("seed", True, "seed"),
    ("receptor", "excit", "receptor must be one of"),
    ("start", -1.0, "start"), ("duration", 0.0, "duration"), ("duration", -5.0, "duration"),
    ("label", "", "label"), ("label", 3, "label"),
])
def test_bad_fields_are_refused_naming_object_field_and_value(field, value, match):
    _, pop = _net()
    kwargs = dict(target=pop, n_inputs=10, rate=8.0, weight=0.1, seed=1, label="bg")
    kwargs[field] = value
    with pytest.raises(ValidationError, match=match) as err:
        sm.PoissonInput(**kwargs)
    assert "PoissonInput" in str(err.value)


@pytest.mark.parametrize("target", ["spike source", "string", "view of a source"])
def test_a_target_that_is_not_a_population_is_refused(target):
    src = sm.SpikeSourceArray([[1.0]], label="s")
    value = {"spike source": src, "string": "p", "view of a source": src[0:1]}[target]
    with pytest.raises(ValidationError, match="target must be a Population or a view"):
        sm.PoissonInput(value, n_inputs=1, rate=1.0, weight=0.1, seed=0)


def test_network_refuses_an_unadded_target_a_duplicate_label_and_too_many_spikes_per_step():
    net, pop = _net(dt=1.0)
    other = sm.Population(3, sm.IF_curr_exp(), label="q")
    with pytest.raises(ValidationError, match="target group 'q' has not been added"):
        net.add(sm.PoissonInput(other, n_inputs=1, rate=1.0, weight=0.1, seed=0))
    with pytest.raises(ValidationError, match="label 'p' is already used"):
        net.add(sm.PoissonInput(pop, n_inputs=1, rate=1.0, weight=0.1, seed=0, label="p"))
    # 2900 inputs at 8 Hz: 23.2 per 1 ms step is fine, 50.001 is not
    assert net.add(sm.PoissonInput(pop, 2900, 8.0, 0.1, 0)).label == "drive0"
    with pytest.raises(ValidationError, match=r"must be at most 50.*6251 \* 8 Hz \* 1 ms"):
        net.add(sm.PoissonInput(pop, 6251, 8.0, 0.1, 0))
    assert len(net.drives) == 1 and "1 Poisson drives" in repr(net)


def test_round_trip_through_dict_and_hdf5_keeps_every_field(tmp_path):
    net, pop = _net()
    net.add(sm.PoissonInput(pop[1:4], n_inputs=7, rate=12.5, weight=0.3, seed=2 ** 62 + 5,
                            receptor="inhibitory", start=1.5, duration=20.0, label="a"))
    net.add(sm.PoissonInput(pop, n_inputs=1000, rate=8.0, weight=0.0878, seed=0))
    for again in (sm.Network.from_dict(net.to_dict()), None):
        if again is None:
            net.save(tmp_path / "n.h5")
            again = sm.Network.load(tmp_path / "n.h5")
        assert [d.to_dict() for d in again.drives] == [d.to_dict() for d in net.drives]
        assert again.drives[0].target.parent is again["p"]
        assert again.drives[0].target.start == 1 and again.drives[0].target.stop == 4


def test_a_file_with_drives_has_format_version_3_so_older_readers_refuse_it(tmp_path):
    import h5py
    from spikemem.io import DRIVES_FORMAT_VERSION, FORMAT_VERSION, READABLE_VERSIONS
    net, pop = _net()
    net.save(tmp_path / "plain.h5")
    net.add(sm.PoissonInput(pop, n_inputs=3, rate=8.0, weight=0.1, seed=0))
    net.save(tmp_path / "driven.h5")
    for name, version in (("plain", FORMAT_VERSION), ("driven", DRIVES_FORMAT_VERSION)):
        with h5py.File(tmp_path / f"{name}.h5", "r") as f:
            assert f.attrs["spikemem_format_version"] == version
    assert DRIVES_FORMAT_VERSION == 3 and 3 in READABLE_VERSIONS and FORMAT_VERSION == 2
    assert len(sm.Network.load(tmp_path / "driven.h5").drives) == 1
    from spikemem.io import save_tree
    with pytest.raises(ValidationError, match="version must be one of"):
        save_tree(tmp_path / "x.h5", "network", net.to_dict(), version=1)
    assert not (tmp_path / "x.h5").exists()


def test_descriptions_without_drives_still_load_and_bad_drive_entries_are_refused():
    net, pop = _net()
    d = net.to_dict()
    del d["drives"]                                  # files written before drives existed
    assert sm.Network.from_dict(d).drives == []
    net.add(sm.PoissonInput(pop, n_inputs=3, rate=8.0, weight=0.1, seed=0, label="bg"))
    d = net.to_dict()
    d["drives"][0]["lam"] = 3.0
    with pytest.raises(ValidationError, match="unknown field"):
        sm.Network.from_dict(d)
    d = net.to_dict()
    d["drives"][0]["type"] = "SpikeSourcePoisson"
    with pytest.raises(ValidationError, match="type must be 'PoissonInput'"):
        sm.Network.from_dict(d)
    with pytest.raises(ValidationError, match="dt must be a number"):
        net.drives[0].expected_count(0.0)
    d = net.to_dict()
    d["drives"][0]["target"] = {"label": "nowhere"}
    with pytest.raises(ValidationError, match="nowhere"):
        sm.Network.from_dict(d)


# -- the counts -------------------------------------------------------------------------------
@pytest.mark.parametrize("lam", [0.0, 1e-4, 0.08, 1.0, 2.32, 7.5, 23.2, MAX_LAMBDA])
def test_numpy_and_numba_samplers_give_identical_counts(lam):
    rng = np.random.default_rng(int(lam * 1000))
    seeds = np.concatenate([[0, 1, 2 ** 63 - 1], rng.integers(0, 2 ** 63 - 1, 7)])
    for seed in seeds:
        j = np.concatenate([[0, 1, 2 ** 31 - 1], rng.integers(0, 10 ** 6, 300)])
        t = np.concatenate([[0, 10 ** 12, 1], rng.integers(0, 10 ** 7, 300)])
        expected = poisson_counts(int(seed), j, t, lam)
        got = [poisson_count(np.uint64(seed), jj, tt, poisson_cdf(lam))
               for jj, tt in zip(j, t)]
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("lam", [0.05, 1.0, 2.32, 23.2])
def test_counts_have_the_poisson_mean_variance_and_zero_probability(lam):
    n = 200_000
    c = poisson_counts(11, np.arange(n) % 500, np.arange(n) // 500 + 1000, lam)
    # 6 standard errors: var(mean) = lam / n, var(sample variance) ~ (lam + 2 lam^2) / n
    assert abs(c.mean() - lam) < 6 * math.sqrt(lam / n)
    assert abs(c.var() - lam) < 6 * math.sqrt((lam + 2 * lam ** 2) / n)
    p0 = math.exp(-lam)
    assert abs(np.mean(c == 0) - p0) < 6 * math.sqrt(p0 * (1 - p0) / n)


@pytest.mark.parametrize("lam", [0.05, 2.32, 23.2])
def test_counts_follow_the_poisson_distribution_by_a_chi_square_test(lam):
    from scipy import stats
    n = 200_000
    c = poisson_counts(17, np.arange(n) % 1000, np.arange(n) // 1000 + 7, lam)
    top = int(lam + 6 * math.sqrt(lam) + 3)
    observed = np.bincount(np.minimum(c, top), minlength=top + 1)
    p = stats.poisson.pmf(np.arange(top), lam)
    expected = n * np.append(p, 1.0 - p.sum())
    rare = expected < 5                                    # pooled into one bin
    o = np.append(observed[~rare], observed[rare].sum())
    e = np.append(expected[~rare], expected[rare].sum())
    chi2 = float(((o - e) ** 2 / e).sum())
    assert chi2 < stats.chi2.ppf(1 - 1e-6, o.size - 1)     # fails at p < 1e-6 only


def test_counts_of_neighbouring_neurons_steps_and_seeds_are_uncorrelated():
    n = 100_000
    j, t = np.arange(n) % 1000, np.arange(n) // 1000
    c = poisson_counts(5, j, t, 2.0).astype(float)
    for other in (poisson_counts(5, j + 1, t, 2.0), poisson_counts(5, j, t + 1, 2.0),
                  poisson_counts(6, j, t, 2.0)):
        r = np.corrcoef(c, other)[0, 1]
        assert abs(r) < 6 / math.sqrt(n)
    u = poisson_uniforms(5, j, t)
    assert 0.0 <= u.min() and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 6 * math.sqrt(1 / 12 / n)


def test_counts_are_a_pure_function_of_seed_neuron_and_step():
    a = poisson_counts(9, np.arange(20)[:, None], np.arange(30)[None, :], 3.0)
    b = np.stack([poisson_counts(9, jj, np.arange(30), 3.0) for jj in range(20)])
    assert a.shape == (20, 30) and np.array_equal(a, b)
    assert poisson_counts(9, 4, 7, 3.0) == a[4, 7]
    assert not np.array_equal(a, poisson_counts(10, np.arange(20)[:, None],
                                                np.arange(30)[None, :], 3.0))


@pytest.mark.parametrize("lam", [0.0, 0.3, 2.32, 50.0])
def test_the_table_holds_the_running_sums_and_counts_invert_it_as_a_sequential_search(lam):
    table = poisson_cdf(lam)
    assert table[0] == math.exp(-lam) and np.all(np.diff(table) > 0)
    assert table[-1] == pytest.approx(1.0, abs=1e-12)
    u = poisson_uniforms(8, np.arange(2000), 3)
    expected = []
    for x in u:                     # k = 0, p = s = exp(-lam); while u >= s: next term
        k, p, s = 0, math.exp(-lam), math.exp(-lam)
        while x >= s:
            k += 1
            p = p * lam / k
            if s + p == s:
                break
            s = s + p
        expected.append(k)
    np.testing.assert_array_equal(poisson_counts(8, np.arange(2000), 3, lam), expected)


@pytest.mark.parametrize("kwargs,match", [
    ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"), ({"seed": "1"}, "seed"),
    ({"j": -1}, "j"), ({"j": [0.5]}, "j"), ({"t": [-3]}, "t"), ({"t": "2"}, "t"),
    ({"j": [0, 1, 2], "t": [1, 2]}, "broadcast"),
    ({"lam": -0.1}, "lam"), ({"lam": MAX_LAMBDA * 1.01}, "lam"), ({"lam": float("nan")}, "lam"),
])
def test_the_sampler_refuses_bad_input(kwargs, match):
    args = {"seed": 1, "j": [0, 1], "t": 3, "lam": 1.0, **kwargs}
    with pytest.raises(ValidationError, match=match):
        poisson_counts(**args)
    if "lam" in kwargs:
        with pytest.raises(ValidationError, match="poisson_cdf: lam"):
            poisson_cdf(kwargs["lam"])


# -- the lowering -----------------------------------------------------------------------------
def test_lowering_gives_each_drive_its_rows_window_and_constants():
    net = sm.Network(dt=0.5)
    net.add(sm.Population(3, sm.IF_curr_exp(), label="a"))
    b = net.add(sm.Population(6, sm.IF_curr_exp(), label="b"))
    net.add(sm.PoissonInput(b[2:5], n_inputs=40, rate=10.0, weight=0.2, seed=4,
                            receptor="inhibitory", start=1.2, duration=2.0))
    low = lower(net)
    (d,) = low.drives
    assert (d.start, d.stop, d.population_offset, d.receptor_index) == (5, 8, 3, 1)
    assert (d.first_step, d.last_step) == (3, 7)        # 1.5 .. 3.0 ms: steps 3, 4, 5, 6
    assert d.lam == 40 * 10.0 * 0.5 / 1000 and d.cdf[0] == math.exp(-d.lam)
    ints, seeds, reals, tables = low.drive_arrays()
    assert ints.tolist() == [[5, 8, 3, 1, 3, 7, d.table_size]] and seeds.dtype == np.uint64
    assert reals.tolist() == [[0.2]] and tables.tolist() == [d.cdf.tolist()]
    assert [t for t in range(10) if list(low.drive_input(t))] == [3, 4, 5, 6]
    np.testing.assert_array_equal(d.input_at(4),
                                  poisson_counts(4, [2, 3, 4], 4, d.lam) * 0.2)
    assert not d.input_at(7).any()
    np.testing.assert_array_equal(d.inputs([2, 4, 7]), [np.zeros(3), d.input_at(4), np.zeros(3)])


# -- exports ----------------------------------------------------------------------------------
def _driven(dt=0.1, n_inputs=2000, size=10):
    net = sm.Network(dt=dt, label="driven")
    p = net.add(sm.Population(size, sm.IF_curr_exp(), label="p", record=("spikes", "v")))
    net.add(sm.PoissonInput(p[2:6], n_inputs=n_inputs, rate=8.0, weight=0.0878, seed=3,
                            label="bg"))
    net.add(sm.PoissonInput(p, n_inputs=20, rate=8.0, weight=0.05, seed=4,
                            receptor="inhibitory", start=10.0, duration=50.0, label="bg_i"))
    return net


@pytest.mark.parametrize("export", ["to_loihi", "to_nir", "loihi_resources"])
def test_loihi_and_nir_exports_refuse_a_drive_naming_it_and_what_to_use(export):
    from spikemem.errors import UnsupportedFeature
    from spikemem.hardware import to_loihi, to_nir
    from spikemem.hardware.energy import loihi_resources
    fn = {"to_loihi": to_loihi, "to_nir": to_nir, "loihi_resources": loihi_resources}[export]
    with pytest.raises(UnsupportedFeature, match=rf"{export}: cannot express Poisson drive "
                                                 r"'bg'.*i_offset \+= n_inputs \* rate"):
        fn(_driven())


def test_spinnaker_export_writes_a_poisson_source_of_the_summed_rate_per_driven_neuron(tmp_path):
    import json
    from spikemem.hardware import check_spinnaker, to_pynn_script, to_spinnaker_json
    net = _driven()
    export = to_pynn_script(net, tmp_path / "s.py")
    text = export.script.read_text()
    assert ("pops['bg'] = sim.Population(4, sim.SpikeSourcePoisson(rate=16000.0, start=0.0)"
            in text)
    assert "sim.SpikeSourcePoisson(rate=160.0, start=10.0, duration=50.0)" in text
    assert "receptor_type='inhibitory', label='bg_i'" in text
    bg_i = next(pr for pr in export.plan.projections if pr.label == "bg_i")
    assert bg_i.connector == "FromList" and bg_i.post_local.tolist() == list(range(10))
    assert to_pynn_script(_driven(n_inputs=50), tmp_path / "b.py", simulator="brian2") \
        .plan.projections[-1].connector == "OneToOne"
    bg = next(pr for pr in export.plan.projections if pr.label == "bg")
    # onto the view p[2:6], as a FromListConnector on the whole population for sPyNNaker
    assert bg.connector == "FromList" and bg.post_local.tolist() == [2, 3, 4, 5]
    assert bg.uniform_weight == 0.0878 and bg.delay_steps.tolist() == [1] * 4
    assert any("seed 3 is not used" in n for n in export.plan.notes)
    data = json.loads(to_spinnaker_json(net, tmp_path / "n.json").read_text())
    sources = {p["label"]: p for p in data["populations"]}
    assert sources["bg"]["parameters"]["rate"] == 16000.0 and sources["bg"]["size"] == 4
    report = check_spinnaker(net)
    assert report.ok
    assert ("poisson_drive", "bg") in [(w.code, w.subject) for w in report.warnings]


def test_pynn_brian2_export_refuses_a_drive_of_several_spikes_per_step(tmp_path):
    from spikemem.errors import UnsupportedFeature
    from spikemem.hardware import to_pynn_script
    with pytest.raises(UnsupportedFeature, match="pyNN.brian2.*Poisson drive 'bg'.*1.6 expected"):
        to_pynn_script(_driven(), tmp_path / "s.py", simulator="brian2")


@pytest.mark.parametrize("backend", ["numba", pytest.param("nengo", marks=pytest.mark.nengo),
                                     pytest.param("brian2", marks=pytest.mark.brian2)])
def test_a_run_resumed_from_a_checkpoint_draws_the_same_counts(tmp_path, backend):
    pytest.importorskip(backend)
    net = sm.Network(dt=0.1, label="ck")
    p = net.add(sm.Population(8, sm.IF_curr_exp(cm=0.25, tau_m=10.0, tau_syn_E=0.5),
                              label="p", record=("spikes", "v")))
    net.add(sm.PoissonInput(p, n_inputs=3000, rate=8.0, weight=0.1, seed=21))
    whole = sm.build(net, backend=backend, progress=False)
    whole.run(20.0)
    first = sm.build(net, backend=backend, progress=False)
    first.run(7.3)
    first.save_state(tmp_path / "ck.h5")
    resumed = sm.build(net, backend=backend, progress=False).load_state(tmp_path / "ck.h5")
    resumed.run(12.7)
    assert whole.recording.n_spikes() > 10
    for a, b in zip(whole.recording.spikes("p"), resumed.recording.spikes("p")):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(whole.recording.v("p")[1], resumed.recording.v("p")[1])


def test_spinnaker_energy_counts_a_drives_expected_events_and_packets():
    from spikemem.hardware import estimate_spinnaker_resources
    net = _driven()                               # dt 0.1 ms; bg: 4 neurons x 16 kHz
    sim = sm.build(net, progress=False)
    sim.run(100.0)
    res = estimate_spinnaker_resources(net, sim.recording)
    assert res.synaptic_events["bg"] == pytest.approx(4 * 16000.0 * 0.1)
    # bg_i: 10 neurons x 160 Hz over its 50 ms window
    assert res.synaptic_events["bg_i"] == pytest.approx(10 * 160.0 * 0.05)
    lam = 1.6
    packets = 4 * 1000 * -math.expm1(-lam) + 10 * 500 * -math.expm1(-0.016)
    assert res.energy_j["spike_packets"] >= packets * 1e-9 * 0.999


def test_export_command_writes_spinnaker_and_refuses_nir_for_a_driven_network(tmp_path, capsys):
    from spikemem.cli import main
    net = _driven()
    net.save(tmp_path / "driven.h5")
    assert main(["export", str(tmp_path / "driven.h5"), "--target", "spinnaker",
                 "--out", str(tmp_path / "spinn")]) == 0
    assert "SpikeSourcePoisson(rate=16000.0" in (tmp_path / "spinn" / "driven.py").read_text()
    assert main(["export", str(tmp_path / "driven.h5"), "--target", "nir",
                 "--out", str(tmp_path / "d.nir")]) == 1
    assert "cannot express Poisson drive 'bg'" in capsys.readouterr().err
    assert not (tmp_path / "d.nir").exists()
