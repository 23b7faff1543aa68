"""HDF5 files round-trip exactly, are written atomically and refuse foreign files."""
import os

import h5py
import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import FileFormatError


def _network():
    net = sm.Network(dt=0.5, label="roundtrip")
    cell = sm.IF_curr_exp(cm=0.27, tau_m=3.0, tau_syn_E=0.3, v_rest=-60, v_reset=-61, v_thresh=-57)
    a = net.add(sm.Population(6, cell, label="a", initial_v=np.linspace(-61, -58, 6),
                              record=("spikes", "v")))
    b = net.add(sm.Population(4, sm.IF_curr_exp(), label="b"))
    s = net.add(sm.SpikeSourceArray([[1.0, 2.5], [], [4.0]], label="s"))
    p = net.add(sm.SpikeSourcePoisson(5, rate=20.0, seed=9, start=2.0, duration=30.0, label="p"))
    net.add(sm.Projection(s, a[0:3], sm.OneToOne(), sm.StaticSynapse(2.0, delay=1.5)))
    net.add(sm.Projection(p, b, sm.FixedProbability(0.5, seed=2), sm.StaticSynapse(1.0),
                          receptor="inhibitory", label="pb"))
    net.add(sm.Projection(a, b, sm.AllToAll(False),
                          sm.STDP(tau_plus=3, tau_minus=4, A_plus=0.1, A_minus=0.2, w_max=2.0,
                                  weight=0.5, weight_dependence="multiplicative"), label="ab"))
    net.add(sm.Projection(b, a[2:6], sm.FromList([0, 3], [1, 2], weight=[0.1, 0.2],
                                                 delay=[0.5, 2.0]), label="ba"))
    return net


def test_network_hdf5_round_trip_is_exact(tmp_path):
    net = _network()
    path = tmp_path / "net.h5"
    net.save(path)
    back = sm.Network.load(path)
    assert back.dt == net.dt and back.label == net.label
    assert [p.to_dict()["celltype"] for p in back.populations] == \
           [p.to_dict()["celltype"] for p in net.populations]
    np.testing.assert_array_equal(back["a"].initial_v, net["a"].initial_v)
    assert back["a"].record == ("spikes", "v")
    for p, q in zip(net.projections, back.projections):
        assert (p.label, p.receptor, p.synapse, p.connector.to_dict()["type"]) == \
               (q.label, q.receptor, q.synapse, q.connector.to_dict()["type"])
        for attr in ("pre_idx", "post_idx", "weight", "delay"):
            np.testing.assert_array_equal(getattr(p, attr), getattr(q, attr))
    np.testing.assert_array_equal(back["s"].times, net["s"].times)
    assert back["p"] == net["p"]


def test_loaded_network_simulates_identically(tmp_path):
    net = _network()
    net.save(tmp_path / "n.h5")
    r1 = sm.build(net).run(60.0)
    r2 = sm.build(sm.Network.load(tmp_path / "n.h5")).run(60.0)
    for lab in r1.populations:
        np.testing.assert_array_equal(r1.spikes(lab)[0], r2.spikes(lab)[0])
        np.testing.assert_array_equal(r1.spikes(lab)[1], r2.spikes(lab)[1])


def test_recording_hdf5_round_trip_is_exact(tmp_path):
    sim = sm.build(_network())
    rec = sim.run(60.0)
    rec.save(tmp_path / "rec.h5")
    back = sm.Recording.load(tmp_path / "rec.h5")
    assert back.populations == rec.populations and back.t_stop == rec.t_stop
    assert back.metadata == rec.metadata
    for lab in rec.populations:
        np.testing.assert_array_equal(back.spikes(lab)[0], rec.spikes(lab)[0])
        np.testing.assert_array_equal(back.spikes(lab)[1], rec.spikes(lab)[1])
    np.testing.assert_array_equal(back.v("a")[1], rec.v("a")[1])
    np.testing.assert_array_equal(back.weights("ab")[1], rec.weights("ab")[1])


def test_loading_a_network_file_as_a_recording_is_a_clear_error(tmp_path):
    _network().save(tmp_path / "net.h5")
    with pytest.raises(FileFormatError, match="expected a spikemem recording"):
        sm.Recording.load(tmp_path / "net.h5")


def test_loading_a_foreign_hdf5_or_non_hdf5_file_is_a_clear_error(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(FileFormatError, match="spikemem_kind"):
        sm.Network.load(tmp_path / "other.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(FileFormatError, match="not an HDF5 file"):
        sm.Recording.load(tmp_path / "text.h5")


def test_a_newer_format_version_is_refused(tmp_path):
    _network().save(tmp_path / "net.h5")
    with h5py.File(tmp_path / "net.h5", "r+") as f:
        f.attrs["spikemem_format_version"] = 99
    with pytest.raises(FileFormatError, match="version 99"):
        sm.Network.load(tmp_path / "net.h5")


def test_a_failed_save_leaves_no_file_behind(tmp_path):
    rec = sm.build(_network()).run(10.0)
    rec.metadata["bad"] = object()            # not storable in HDF5
    with pytest.raises(TypeError):
        rec.save(tmp_path / "rec.h5")
    assert os.listdir(tmp_path) == []


def test_a_failed_save_keeps_the_previous_file_intact(tmp_path):
    rec = sm.build(_network()).run(10.0)
    rec.save(tmp_path / "rec.h5")
    before = (tmp_path / "rec.h5").read_bytes()
    rec.metadata["bad"] = object()
    with pytest.raises(TypeError):
        rec.save(tmp_path / "rec.h5")
    assert (tmp_path / "rec.h5").read_bytes() == before
    assert os.listdir(tmp_path) == ["rec.h5"]


def test_saved_files_get_the_usual_permissions_not_private_temp_ones(tmp_path):
    rec = sm.build(_network()).run(10.0)
    rec.save(tmp_path / "rec.h5")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "rec.h5").stat().st_mode & 0o777 == 0o666 & ~umask
