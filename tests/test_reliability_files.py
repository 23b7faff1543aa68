"""Issue 12, case 6 and issue 17's HDF5 points: verified, validated, readable files."""
from pathlib import Path

import h5py
import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import FileFormatError, ValidationError
from spikemem.io import save_tree

DATA = Path(__file__).parent / "data"


def _network():
    net = sm.Network(dt=0.5, label="v1")
    a = net.add(sm.Population(4, sm.IF_curr_exp(i_offset=1.0), label="a", record=("spikes", "v")))
    s = net.add(sm.SpikeSourceArray([[1.0, 2.0], [3.0], [], [4.5]], label="in"))
    net.add(sm.Projection(s, a, sm.OneToOne(), sm.StaticSynapse(2.0, delay=1.0)))
    net.add(sm.Projection(a, a, sm.AllToAll(False), sm.STDP(weight=0.5, w_max=1.0), label="rec"))
    return net


def _recording():
    sim = sm.build(_network(), backend="numba")
    sim.run(20.0)
    return sim.recording


def _equal_trees(x, y):
    if isinstance(x, dict):
        assert isinstance(y, dict) and sorted(x) == sorted(y)
        for k in x:
            _equal_trees(x[k], y[k])
    elif isinstance(x, (list, tuple)) and not isinstance(y, np.ndarray):
        assert len(x) == len(y)
        for a, b in zip(x, y):
            _equal_trees(a, b)
    elif isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        assert np.array_equal(np.asarray(x), np.asarray(y), equal_nan=True)
    else:
        assert x == y or (x != x and y != y)


def test_format_1_files_are_still_read():
    net = sm.Network.load(DATA / "network_v1.h5")
    _equal_trees(net.to_dict(), _network().to_dict())
    rec = sm.Recording.load(DATA / "recording_v1.h5")
    assert rec.spikes("a")[0].tolist() == [6.0, 10.0, 10.5, 14.5, 15.0]
    assert rec.spikes("in")[0].tolist() == [1.0, 2.0, 3.0, 4.5]
    assert rec.weights("rec")[1].shape == (1, 12)


def test_format_2_has_units_readable_order_and_weight_indices(tmp_path):
    rec = _recording()
    rec.save(tmp_path / "r.h5")
    with h5py.File(tmp_path / "r.h5", "r") as f:
        assert f.attrs["spikemem_format_version"] == 2
        assert [s.decode() for s in f["order"][()]] == ["a", "in"]
        assert f["spikes/a/times"].attrs["units"] == "ms"
        assert f["v/a/v"].attrs["units"] == "mV"
        assert f["weights/rec/weights"].attrs["units"] == "nA"
        pre, post = f["weights/rec/pre"][()], f["weights/rec/post"][()]
    net = _network()
    proj = net["rec"]
    assert np.array_equal(pre, proj.pre_idx) and np.array_equal(post, proj.post_idx)
    back = sm.Recording.load(tmp_path / "r.h5")
    _equal_trees(back.to_dict(), rec.to_dict())
    assert np.array_equal(back.weight_indices("rec")[0], proj.pre_idx)


def _flip_sweep(path, load, reference, positions):
    data = bytearray(path.read_bytes())
    damaged = path.with_name("flipped.h5")
    for pos, bit in positions:
        flipped = bytearray(data)
        flipped[pos] ^= 1 << bit
        damaged.write_bytes(bytes(flipped))
        try:
            obj = load(damaged)
        except FileFormatError:
            continue
        _equal_trees(obj.to_dict(), reference)


def _positions(size, n, seed):
    rng = np.random.default_rng(seed)
    return list(zip(rng.integers(0, size, n), rng.integers(0, 8, n)))


def test_bit_flips_in_a_network_file_give_the_original_or_file_format_error(tmp_path):
    _network().save(tmp_path / "n.h5")
    size = (tmp_path / "n.h5").stat().st_size
    _flip_sweep(tmp_path / "n.h5", sm.Network.load, _network().to_dict(),
                _positions(size, 150, 0) + [(p, 0) for p in range(0, 600, 7)])


def test_bit_flips_in_a_recording_give_the_original_or_file_format_error(tmp_path):
    rec = _recording()
    rec.save(tmp_path / "r.h5")
    size = (tmp_path / "r.h5").stat().st_size
    _flip_sweep(tmp_path / "r.h5", sm.Recording.load, rec.to_dict(), _positions(size, 150, 1))


@pytest.mark.slow
def test_every_byte_of_both_files_flipped(tmp_path):
    _network().save(tmp_path / "n.h5")
    rec = _recording()
    rec.save(tmp_path / "r.h5")
    for name, load, ref in (("n.h5", sm.Network.load, _network().to_dict()),
                            ("r.h5", sm.Recording.load, rec.to_dict())):
        size = (tmp_path / name).stat().st_size
        _flip_sweep(tmp_path / name, load, ref, [(p, p % 8) for p in range(size)])


def test_a_flipped_dataset_is_named_in_the_error(tmp_path):
    rec = _recording()
    rec.save(tmp_path / "r.h5")
    with h5py.File(tmp_path / "r.h5", "r") as f:
        offset = f["spikes/a/times"].id.get_offset()
    data = bytearray((tmp_path / "r.h5").read_bytes())
    data[offset + 3] ^= 0x10                # inside the first spike time
    (tmp_path / "r.h5").write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match="/spikes/a/times"):
        sm.Recording.load(tmp_path / "r.h5")


def _tampered(rec, change):
    d = rec.to_dict()
    change(d)
    return d


@pytest.mark.parametrize("change", [
    lambda d: d["spikes"]["a"].update(ids=np.array([4] * d["spikes"]["a"]["ids"].size)),
    lambda d: d.update(dt=0.0),
    lambda d: d.update(dt=float("nan")),
    lambda d: d["spikes"]["a"].update(times=d["spikes"]["a"]["times"][::-1].copy()),
    lambda d: d["spikes"]["a"].update(times=np.full(d["spikes"]["a"]["times"].size, np.nan)),
    lambda d: d["spikes"]["a"].update(times=d["spikes"]["a"]["times"] - 1e3),
    lambda d: d["v"]["a"].update(v=d["v"]["a"]["v"][:, :2]),
    lambda d: d.update(order=["a"]),
    lambda d: d["spikes"].pop("in"),
    lambda d: d["weights"]["rec"].update(weights=d["weights"]["rec"]["weights"][:, :3]),
    lambda d: d["spikes"]["a"].update(size=-1),
    lambda d: d.pop("t_stop"),
], ids=["id>=size", "dt=0", "dt=nan", "unsorted", "nan-times", "negative-times", "trace-shape",
        "short-order", "missing-group", "weight-shape", "size<0", "missing-t_stop"])
def test_tampered_recordings_are_rejected_on_load(change, tmp_path):
    rec = _recording()
    d = _tampered(rec, change)
    with pytest.raises(ValidationError):
        sm.Recording.from_dict(d)
    save_tree(tmp_path / "t.h5", "recording", d)           # intact checksum, bad content
    with pytest.raises(FileFormatError):
        sm.Recording.load(tmp_path / "t.h5")


def test_network_file_with_an_out_of_range_index_is_refused(tmp_path):
    d = _network().to_dict()
    d["projections"][0]["post_idx"] = np.array([10 ** 12, 1, 2, 3])
    save_tree(tmp_path / "n.h5", "network", d)
    with pytest.raises(FileFormatError, match="post_idx"):
        sm.Network.load(tmp_path / "n.h5")


def test_spikes_appended_out_of_order_are_sorted_once_and_windows_match_a_filter():
    rec = sm.Recording(1.0, {"a": 5})
    rng = np.random.default_rng(0)
    chunks = [(np.sort(rng.integers(0, 100, 30)).astype(float), rng.integers(0, 5, 30))
              for _ in range(4)]
    for t, i in chunks[::-1]:              # later chunks first: out of order
        rec.add_spikes("a", t, i)
    t_all = np.concatenate([c[0] for c in chunks])
    i_all = np.concatenate([c[1] for c in chunks])
    order = np.lexsort((i_all, t_all))
    t, i = rec.spikes("a")
    assert np.array_equal(t, t_all[order]) and np.array_equal(i, i_all[order])
    for t0, t1 in ((0, 100), (10.5, 40), (50, 50), (99, 1e9)):
        tw, iw = rec.spikes_between("a", t0, t1)
        sel = (t >= t0) & (t < t1)
        assert np.array_equal(tw, t[sel]) and np.array_equal(iw, i[sel])
    with pytest.raises(ValueError):
        t[0] = -1.0                         # read-only views: the record cannot be altered
