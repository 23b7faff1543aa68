"""Neo conversion of recordings, NWB through Neo, and the Elephant experiment."""
import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import ValidationError
from spikemem.neo_io import to_neo, write_nwb


def small_recording():
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(4, sm.IF_curr_exp(tau_m=3.0, i_offset=0.5), label="a",
                              record=("spikes", "v")))
    s = net.add(sm.SpikeSourcePoisson(4, 200.0, seed=2, label="in"))
    net.add(sm.Projection(s, a, sm.OneToOne(), sm.STDP(A_plus=0.1, weight=0.5, w_max=1.0)))
    return sm.build(net).run(100.0)


def test_to_neo_holds_the_spikes_traces_and_weights_with_units():
    rec = small_recording()
    block = rec.to_neo()
    seg = block.segments[0]
    times, ids = rec.spikes("a")
    trains = [st for st in seg.spiketrains if st.annotations["source_population"] == "a"]
    for n, st in enumerate(trains):
        np.testing.assert_array_equal(st.magnitude, times[ids == n])
        assert str(st.units.dimensionality) == "ms" and float(st.t_stop) == 100.0
    (v,) = seg.analogsignals
    np.testing.assert_array_equal(v.magnitude, rec.v("a")[1])
    assert str(v.units.dimensionality) == "mV"
    (w,) = seg.irregularlysampledsignals
    assert str(w.units.dimensionality) == "nA"


def test_to_neo_rejects_bad_input():
    with pytest.raises(ValidationError, match="Recording"):
        to_neo("not a recording")
    with pytest.raises(ValidationError, match="nope"):
        to_neo(small_recording(), ["nope"])


def test_nwb_round_trip_through_neo(tmp_path):
    pytest.importorskip("pynwb")
    from neo.io import NWBIO
    rec = small_recording()
    path = write_nwb(rec, tmp_path / "run.nwb")
    (block,) = NWBIO(str(path), mode="r").read_all_blocks()
    got = sorted(len(st) for st in block.segments[0].spiketrains)
    want = sorted(len(st) for st in rec.to_neo().segments[0].spiketrains)
    assert got == want and sum(got) > 0
    assert [p.name for p in tmp_path.iterdir()] == ["run.nwb"]
    with pytest.raises(ValidationError, match="does not exist"):
        write_nwb(rec, tmp_path / "missing" / "x.nwb")


def test_elephant_statistics_agree_with_counts_and_the_cuba_isi_cv(tmp_path):
    pytest.importorskip("elephant")
    from spikemem.experiments.cuba import _mean_isi_cv
    from spikemem.experiments.elephant_stats import run
    s = run(out=tmp_path, n_neurons=200, duration=500.0, nwb=False)
    rec = sm.build(__import__("spikemem.models.cuba", fromlist=["x"]).build_cuba(
        200, seed=0, dt=0.1)).run(500.0)
    times, ids = rec.spikes("cuba")
    assert s["mean_rate_hz"] == pytest.approx(times.size / 200 / 0.5)
    assert s["mean_isi_cv"] == pytest.approx(_mean_isi_cv(times, ids, 200), rel=1e-6)
    assert (tmp_path / "summary.json").exists() and (tmp_path / "stats.png").exists()


def test_pynn_write_data_to_nwb_round_trips(tmp_path):
    pytest.importorskip("pynwb")
    from neo.io import NWBIO

    import spikemem.pynn as sim
    sim.setup(timestep=1.0)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0, 4.0], [2.0]]), label="src")
    src.record("spikes")
    sim.run(6.0)
    src.write_data(str(tmp_path / "src.nwb"))
    (block,) = NWBIO(str(tmp_path / "src.nwb"), mode="r").read_all_blocks()
    assert sorted(st.rescale("ms").magnitude.tolist() for st in block.segments[0].spiketrains) == \
        [[1.0, 4.0], [2.0]]
