"""The run-time code of exported PyNN scripts and the sPyNNaker driver, as real modules.

Both run outside spikemem (inside an exported script, or in sPyNNaker's own environment);
here they are imported and driven with stand-ins for the PyNN simulator.
"""
from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest

import spikemem as sm
from spikemem.hardware import pynn_runtime, spinnaker_driver
from spikemem.hardware.spinnaker_plan import plan_network
from spikemem.hardware.spinnaker_script import render_script


def test_spike_trains_are_split_per_neuron_in_time_order_of_the_flat_arrays():
    trains = pynn_runtime.spike_trains_lists(np.array([3.0, 1.0, 2.0]), np.array([1, 0, 1]), 3)
    assert trains == [[1.0], [3.0, 2.0], []]
    assert pynn_runtime.spike_trains_lists(np.zeros(0), np.zeros(0, np.int64), 4) == []


def test_pynn_sequences_for_one_neuron_are_a_single_sequence():
    pytest.importorskip("pyNN")
    from pyNN.parameters import Sequence
    one = pynn_runtime.spike_trains_sequences(np.array([1.0, 4.0]), np.array([0, 0]), 1)
    assert isinstance(one, Sequence) and list(one.value) == [1.0, 4.0]
    two = pynn_runtime.spike_trains_sequences(np.array([1.0, 4.0]), np.array([1, 0]), 2)
    assert [list(s.value) for s in two] == [[4.0], [1.0]]


def test_save_writes_the_results_atomically(tmp_path):
    path = str(tmp_path / "r.npz")
    pynn_runtime.save(path, {"x": np.arange(3)})
    with np.load(path) as r:
        assert r["x"].tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["r.npz"]


class _FakeSim(types.SimpleNamespace):
    """Stands in for a PyNN backend module: records setup/run/end calls."""

    def __init__(self):
        super().__init__(calls=[])

    def setup(self, **kwargs):
        self.calls.append(("setup", kwargs))

    def run(self, ms):
        self.calls.append(("run", ms))

    def end(self):
        self.calls.append(("end",))


def _settings(tmp_path, **changes):
    data = tmp_path / "d.npz"
    np.savez(data, a=np.arange(2))
    settings = {"dt": 0.5, "run_ms": 10.0, "data": str(data), "recorded": {}, "cells": [],
                "plastic": [], "cell_parameters": [], "simulator": "fake", "setup": {},
                "dump_connections_after_run": False, "codegen_option": False}
    settings.update(changes)
    return settings


def test_main_sets_up_builds_runs_and_saves_with_the_target_settings(tmp_path):
    sim, seen = _FakeSim(), []
    settings = _settings(tmp_path, setup={"min_delay": "dt"})
    out = tmp_path / "out.npz"
    pynn_runtime.main(sim, lambda data: seen.append(data["a"].tolist()) or ({}, {}), settings,
                      "test script", ["--output", str(out), "--run-ms", "4"])
    assert sim.calls == [("setup", {"timestep": 0.5, "min_delay": 0.5}), ("run", 4.0), ("end",)]
    assert seen == [[0, 1]]
    with np.load(out) as r:
        assert str(r["simulator"]) == "fake" and float(r["run_ms"]) == 4.0


def test_main_refuses_a_codegen_option_the_target_does_not_offer(tmp_path, capsys):
    with pytest.raises(SystemExit):
        pynn_runtime.main(_FakeSim(), lambda data: ({}, {}), _settings(tmp_path), "x",
                          ["--output", str(tmp_path / "o.npz"), "--codegen", "numpy"])
    assert "--codegen" in capsys.readouterr().err


def test_the_embedded_source_is_self_contained_and_compiles():
    src = pynn_runtime.embedded_source()
    assert src.startswith("import argparse") and "spikemem" not in src
    compile(src, "runtime", "exec")


def test_rendering_a_plan_its_target_cannot_express_is_refused():
    net = sm.Network()
    a = net.add(sm.Population(2, sm.IF_curr_exp(), label="a"))
    net.add(sm.Projection(a, a, sm.AllToAll(), sm.STDP(weight_dependence="multiplicative")))
    plan = plan_network(net, simulator="brian2")
    assert plan.unexpressible and "multiplicative" in plan.unexpressible[0]
    with pytest.raises(sm.UnsupportedFeature, match="multiplicative"):
        render_script(plan, "d.npz")
    assert "import pyNN.spiNNaker as sim" in render_script(plan_network(net), "d.npz")


@pytest.fixture
def fake_spinnaker(monkeypatch):
    """pyNN.spiNNaker and sPyNNaker's data view with one placement."""
    vertex = types.SimpleNamespace(label="pop0:0:9", app_vertex=types.SimpleNamespace(label="pop0"),
                                   get_ring_buffer_shifts=lambda: [3, 4])
    view = types.SimpleNamespace(
        iterate_placemements=lambda: [types.SimpleNamespace(x=0, y=0, p=1, vertex=vertex)],
        get_machine=lambda: types.SimpleNamespace(n_chips=48),
        iterate_vertices=lambda: [vertex])
    sim = types.ModuleType("pyNN.spiNNaker")
    sim.end = lambda: None
    pynn = types.ModuleType("pyNN")
    pynn.spiNNaker = sim
    data = types.ModuleType("spinn_front_end_common.data")
    data.FecDataView = view
    monkeypatch.setitem(sys.modules, "pyNN", pynn)
    monkeypatch.setitem(sys.modules, "pyNN.spiNNaker", sim)
    monkeypatch.setitem(sys.modules, "spinn_front_end_common", types.ModuleType("sfec"))
    monkeypatch.setitem(sys.modules, "spinn_front_end_common.data", data)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    return sim


def test_driver_records_placements_when_the_script_ends(tmp_path, fake_spinnaker):
    script = tmp_path / "s.py"
    script.write_text("import sys\nimport pyNN.spiNNaker as sim\nassert sys.argv[1:] == ['--x']\n"
                      "sim.end()\n")
    out = tmp_path / "r.json"
    assert spinnaker_driver.main([str(out), str(script), "--x"]) == 0
    r = json.loads(out.read_text())
    assert r["ok"] and r["exception"] is None and r["machine_chips"] == 48
    assert r["placements"] == [[0, 0, 1, "pop0:0:9", "SimpleNamespace", "pop0"]]
    assert r["ring_buffer_shifts"] == {"pop0:0:9": [3, 4]}


def test_driver_reports_the_exception_of_a_failing_script(tmp_path, fake_spinnaker):
    script = tmp_path / "s.py"
    script.write_text("raise KeyError('no such population')\n")
    out = tmp_path / "r.json"
    spinnaker_driver.main([str(out), str(script)])
    r = json.loads(out.read_text())
    assert not r["ok"] and r["exception"] == "KeyError"
    assert "no such population" in r["message"] and "Traceback" in r["traceback"]
    assert r["collected"] and r["machine_chips"] == 48
