"""``spikemem export --target {loihi,nir}``: files written from a saved network."""
from __future__ import annotations

import json

import numpy as np
import pytest

import spikemem as sm
from spikemem.cli import main
from spikemem.hardware import from_nir, read_nir


def _saved_net(tmp_path, tau_syn_I=2.0):
    net = sm.Network(dt=1.0, label="cli")
    a = net.add(sm.Population(3, sm.IF_curr_exp(tau_syn_E=2.0, tau_syn_I=tau_syn_I), label="a"))
    s = net.add(sm.SpikeSourceArray([[1.0], [2.0], [3.0]], label="s"))
    net.add(sm.Projection(s, a, sm.OneToOne(), sm.STDP(weight=1.0, w_max=5.0), label="sa"))
    net.add(sm.Projection(a, a, sm.AllToAll(False), sm.StaticSynapse(weight=0.5, delay=2.0),
                          receptor="inhibitory", label="aa"))
    path = tmp_path / "net.h5"
    net.save(path)
    return net, path


def test_export_nir_writes_a_graph_that_imports_back(tmp_path, capsys):
    net, path = _saved_net(tmp_path)
    out = tmp_path / "net.nir"
    with pytest.warns(UserWarning, match="plastic"):
        assert main(["export", str(path), "--target", "nir", "--out", str(out)]) == 0
    assert str(out) in capsys.readouterr().out
    back = from_nir(read_nir(out), dt=1.0)
    assert np.array_equal(back["aa"].weight, net["aa"].weight)


def test_export_loihi_uses_learned_weights_from_a_recording(tmp_path):
    net, path = _saved_net(tmp_path)
    rec = sm.Recording(1.0, {"a": 3, "s": 3})
    rec.add_weights("sa", 10.0, np.array([2.0, 3.0, 4.0]))
    rec.save(tmp_path / "run.h5")
    assert main(["export", str(path), "--target", "loihi", "--weights",
                 str(tmp_path / "run.h5")]) == 0
    doc = json.loads((tmp_path / "net_loihi.json").read_text())
    sa = next(p for p in doc["processes"] if p["name"] == "sa")
    with np.load(tmp_path / "net_loihi.npz") as arrays:
        w_nA = arrays["sa/weights"] * sa["unit_nA"] * 2 ** (6 + sa["weight_exp"])
    assert np.allclose(w_nA, [2.0, 3.0, 4.0], rtol=2 ** -8)


def test_export_of_a_feature_the_target_lacks_fails_with_its_name(tmp_path, capsys):
    _, path = _saved_net(tmp_path, tau_syn_I=5.0)
    assert main(["export", str(path), "--target", "loihi", "--out",
                 str(tmp_path / "x.json")]) == 1
    assert "Loihi 1: population 'a'" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
