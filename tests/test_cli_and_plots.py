"""The command line and the figures work on real recordings."""
import subprocess
import sys

import numpy as np
import pytest

import spikemem as sm
from spikemem.cli import main
from spikemem.plotting import plot_raster, plot_traces, plot_weights


@pytest.fixture(scope="module")
def recording():
    net = sm.Network(dt=1.0, label="cli")
    pop = net.add(sm.Population(8, sm.IF_curr_exp(tau_m=3.0, cm=0.27, v_rest=-60, v_reset=-60,
                                                  v_thresh=-57, tau_syn_E=0.3),
                                label="pop", record=("spikes", "v")))
    src = net.add(sm.SpikeSourcePoisson(8, rate=100.0, seed=3, label="in"))
    net.add(sm.Projection(src, pop, sm.OneToOne(), sm.StaticSynapse(6.0)))
    return sm.build(net).run(100.0)


def _png_ok(path):
    data = path.read_bytes()
    return data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000


def test_raster_has_one_labelled_band_per_population(recording, tmp_path):
    fig = plot_raster(recording, tmp_path / "r.png")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["in (8)", "pop (8)"]
    assert fig.axes[0].get_xlabel() == "time (ms)"
    assert _png_ok(tmp_path / "r.png")


def test_raster_rejects_unknown_population(recording):
    with pytest.raises(sm.ValidationError, match="unknown populations"):
        plot_raster(recording, populations=["nope"])


def test_traces_and_weights_figures_are_written(recording, tmp_path):
    plot_traces(recording, "pop", tmp_path / "v.png")
    plot_weights(np.eye(4), tmp_path / "w.png")
    assert _png_ok(tmp_path / "v.png") and _png_ok(tmp_path / "w.png")
    with pytest.raises(sm.ValidationError, match="2-D"):
        plot_weights(np.ones(3))


def test_cli_plot_writes_a_raster_of_a_saved_recording(recording, tmp_path, capsys):
    recording.save(tmp_path / "rec.h5")
    assert main(["plot", str(tmp_path / "rec.h5"), "--out", str(tmp_path / "fig.png")]) == 0
    assert _png_ok(tmp_path / "fig.png")
    assert "fig.png" in capsys.readouterr().out


def test_cli_plot_of_a_missing_file_fails_with_a_message(tmp_path, capsys):
    assert main(["plot", str(tmp_path / "missing.h5")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_cli_run_of_an_unknown_experiment_lists_the_available_ones(capsys):
    assert main(["run", "no_such_experiment"]) == 2
    assert "available" in capsys.readouterr().err


def test_cli_info_lists_the_numba_backend_as_installed():
    out = subprocess.run([sys.executable, "-m", "spikemem.cli", "info"], capture_output=True,
                         text=True, check=True).stdout
    assert "backend numba" in out and "available" in out.split("backend numba")[1].splitlines()[0]
