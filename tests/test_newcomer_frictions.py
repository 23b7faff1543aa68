"""What a newcomer meets first: help texts, progress, install hints, warnings, CSV files,
spike-source input, plot windows, reprs, exports (issue 17)."""
import csv
import importlib
import io
import json
import sys

import numpy as np
import pytest

import spikemem as sm
from spikemem.cli import _package_status, experiment_names, main
from spikemem.errors import UnsupportedFeature, ValidationError
from spikemem.plotting import check_t_range, describe_raster, plot_raster
from spikemem.progress import Progress, format_seconds, progress_bar, stages
from spikemem.tables import tidy_rows, write_csv


# -- per-experiment --help -----------------------------------------------------------------
def test_run_stress_help_lists_its_own_options_with_defaults(capsys):
    assert main(["run", "stress", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--max-size", "--gap", "--keep", "--density", "--seed", "--out", "--backend"):
        assert option in text
    assert "usage: spikemem run stress" in text
    assert "(default: results/stress)" in " ".join(text.split())
    assert "seed of every random choice" in text


@pytest.mark.parametrize("name", experiment_names())
def test_every_experiment_help_documents_seed_and_out_default(name, capsys):
    assert main(["run", name, "-h"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--seed SEED seed of every random choice" in text
    assert f"(default: results/{name})" in text


def test_stress_keeps_the_recordings_asked_for(tmp_path):
    from spikemem.experiments import stress
    stress.main(["--out", str(tmp_path / "all"), "--max-size", "20", "--keep", "all",
                 "--no-report"])
    assert len(list((tmp_path / "all" / "points").glob("*/recording.h5"))) == 2
    stress.main(["--out", str(tmp_path / "none"), "--max-size", "10", "--keep", "none",
                 "--no-report"])
    assert not list((tmp_path / "none").rglob("*.h5"))
    with pytest.raises(ValidationError, match="recordings"):
        stress.run(out=tmp_path / "x", sizes=[10], recordings="some")


def test_options_may_come_before_the_experiment_name(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["run", "--no-report", "--out", str(out), "sdr_recall", "--items", "20"]) == 0
    assert (out / "summary.json").exists() and not (out / "report.html").exists()


def test_run_with_an_unknown_experiment_or_option_fails_clearly(capsys):
    assert main(["run", "nonexistent"]) == 2
    assert "unknown experiment 'nonexistent'" in capsys.readouterr().err
    assert main(["run", "--seed", "3", "nonexistent"]) == 2
    assert "unknown experiment 'nonexistent'" in capsys.readouterr().err
    assert main(["run", "stress", "--bogus", "1"]) == 2
    assert "unrecognized arguments: --bogus 1" in capsys.readouterr().err


# -- progress --------------------------------------------------------------------------------
def test_stages_print_one_line_per_stage_with_an_eta_when_not_a_terminal():
    stream = io.StringIO()
    assert list(stages([10, 20, 50], "demo", describe=lambda n: f"n={n}", stream=stream)) == \
        [10, 20, 50]
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("demo: stage 1/3 n=10 (")
    assert "ETA" not in lines[0] and "ETA" in lines[1] and "ETA" in lines[2]
    assert lines[3].startswith("demo: 3 stages done in ")
    assert len(lines) == 4


def test_stages_draw_a_bar_with_eta_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    stream = Terminal()
    assert list(stages(range(3), "demo", stream=stream)) == [0, 1, 2]
    text = stream.getvalue()
    assert "demo" in text and "3/3" in text and "<" in text   # tqdm's elapsed<remaining


def test_progress_reports_named_phases_and_refuses_a_bad_total():
    stream = io.StringIO()
    with Progress("cuba", total=2, stream=stream) as progress:
        progress.start("build")
        progress.start("simulate")
    lines = stream.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines[:2]] == ["cuba: stage 1/2 build",
                                                           "cuba: stage 2/2 simulate"]
    assert lines[2].startswith("cuba: 2 stages done in ") and len(lines) == 3
    for bad in (-1, 2.5, True, "3"):
        with pytest.raises(ValidationError, match="total must be an int"):
            Progress("x", total=bad)


def test_stages_and_format_seconds_refuse_bad_input():
    with pytest.raises(ValidationError, match="describe must be callable"):
        list(stages([1], "x", describe="n"))
    with pytest.raises(ValidationError, match="total"):
        list(stages(iter([1]), "x", total=-1))
    with pytest.raises(ValidationError, match="seconds"):
        format_seconds(float("nan"))
    assert format_seconds(185) == "3 min 05 s" and format_seconds(3720) == "1 h 02 min"


def test_a_many_run_experiment_reports_each_stage(tmp_path, capsys):
    from spikemem.experiments import engram_sequence
    engram_sequence.main(["--out", str(tmp_path), "--n", "60", "--k", "6", "--chains", "1",
                          "--no-report"])
    err = capsys.readouterr().err
    assert "engram_sequence: stage 1/" in err and "engram_sequence: stage 2/" in err
    assert "ETA" in err


def test_a_swept_experiment_reports_each_finished_point(tmp_path, capsys):
    from spikemem.experiments import engram_completion
    engram_completion.main(["--out", str(tmp_path), "--n", "60", "--k", "6", "--loads", "2",
                            "4", "--tests", "2", "--no-report"])
    err = capsys.readouterr().err
    assert "sweep engram_completion: 1/" in err and "points done" in err and "ETA" in err


def test_progress_bar_counts_finished_items_off_a_terminal():
    stream = io.StringIO()
    bar = progress_bar(3, "sweep x", stream=stream)
    for _ in range(3):
        bar.update(1)
        bar.set_postfix(failed=0)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "sweep x: 1/3 points done", "sweep x: 2/3 points done", "sweep x: 3/3 points done"]
    assert "failed 0" in lines[1]
    silent = io.StringIO()
    progress_bar(3, "x", enabled=False, stream=silent).update(1)
    assert silent.getvalue() == ""
    with pytest.raises(ValidationError, match="total"):
        progress_bar(-1, "x")


# -- hardware extra and third-party warnings ----------------------------------------------
def test_nir_export_without_nir_names_the_extra_to_install(monkeypatch):
    from spikemem.hardware import to_nir
    monkeypatch.setitem(sys.modules, "nir", None)
    net = sm.Network(dt=1.0)
    net.add(sm.Population(2, sm.IF_curr_exp(), label="a"))
    with pytest.raises(UnsupportedFeature, match=r"pip install 'spikemem\[hardware\]'"):
        to_nir(net)


def test_an_import_warning_of_an_optional_package_becomes_one_line(tmp_path, monkeypatch,
                                                                  capsys):
    (tmp_path / "noisy_pkg.py").write_text(
        "import warnings\n__version__ = '9.9'\nwarnings.warn('This version of noisy_pkg has "
        "not been tested with your nengo version (4.1.0). The latest fully supported version "
        "is 3.2.0')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    status = _package_status("noisy_pkg")
    assert status.startswith("9.9 (import warning")
    assert "not been tested with your nengo version (4.1.0)" in status
    assert "\n" not in status and "latest fully supported" not in status
    assert capsys.readouterr().err == ""
    assert _package_status("surely_not_installed_pkg").startswith("not installed")


def test_info_in_a_fresh_process_folds_nengo_loihis_warning_into_its_line():
    import subprocess
    proc = subprocess.run([sys.executable, "-m", "spikemem.cli", "info"], capture_output=True,
                          text=True, check=True)
    assert proc.stderr == ""
    assert "UserWarning" not in proc.stdout and "warnings.warn(" not in proc.stdout
    lines = [line for line in proc.stdout.splitlines() if "nengo_loihi" in line]
    assert len(lines) == 1
    assert "backend numba" in proc.stdout


# -- CSV beside JSON -------------------------------------------------------------------------
def test_tidy_rows_flatten_tables_groups_and_curves():
    summary = {"experiment": "x", "seed": 1,
               "rows": [{"n": 10, "ok": True}, {"n": 20, "ok": False, "extra": {"a": 1}}],
               "settings": {"steep": {"acc": 0.9}, "flat": {"acc": 0.5}},
               "loads": [5, 10], "f1": [1.0, 0.8], "matrix": [[1, 2], [3, 4]]}
    rows = tidy_rows(summary)
    assert {"experiment": "x", "seed": 1, "table": "rows", "n": 20, "ok": False,
            "extra.a": 1} in rows
    assert {"experiment": "x", "seed": 1, "table": "settings", "name": "flat", "acc": 0.5} in rows
    assert {"experiment": "x", "seed": 1, "table": "loads+f1", "index": 1, "loads": 10,
            "f1": 0.8} in rows
    assert {"experiment": "x", "seed": 1, "table": "matrix", "value": "[[1, 2], [3, 4]]"} in rows
    assert tidy_rows({"a": 1}) == [{"a": 1}]
    with pytest.raises(ValidationError, match="must be a dict"):
        tidy_rows([1, 2])


def test_write_csv_reads_back_with_the_standard_csv_module(tmp_path):
    write_csv(tmp_path / "s.csv", {"seed": 0, "rows": [{"n": 1}, {"n": 2, "m": 3}]})
    with open(tmp_path / "s.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows == [{"seed": "0", "table": "rows", "n": "1", "m": ""},
                    {"seed": "0", "table": "rows", "n": "2", "m": "3"}]


def _gallery_options() -> dict:
    """Each experiment's small options, from the documentation gallery's table."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "docs" / "_ext" / "gallery.py"
    spec = importlib.util.spec_from_file_location("spikemem_docs_gallery", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.GALLERY


@pytest.mark.parametrize("name", experiment_names())
def test_every_experiment_reports_stages_and_writes_csv_provenance_and_report(
        name, tmp_path, capsys):
    gallery = _gallery_options()
    assert name in gallery, f"experiment {name!r} has no small options in docs/_ext/gallery.py"
    module = importlib.import_module(f"spikemem.experiments.{name}")
    status = module.main(["--out", str(tmp_path), *gallery[name]])
    assert status in (None, 0) or isinstance(status, dict)
    err = capsys.readouterr().err
    assert f"{name}: stage 1/" in err or f"sweep {name}: 1/" in err
    summary = json.loads((tmp_path / "summary.json").read_text())
    with open(tmp_path / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows
    if "experiment" in rows[0]:
        assert all(r["experiment"] == summary["experiment"] for r in rows)
    provenance = json.loads((tmp_path / "provenance.json").read_text())
    assert provenance["seed"] == 0 and provenance["command"].startswith(f"spikemem run {name}")
    assert provenance["versions"]["numpy"] == np.__version__
    assert "<img src=\"data:image/png;base64," in (tmp_path / "report.html").read_text()


# -- SpikeSourceArray and PyNN's reading of a flat list ------------------------------------
def test_flat_spike_times_with_a_size_give_every_neuron_those_times_as_in_pynn():
    import pyNN.mock as pynn
    pynn.setup(timestep=1.0)
    theirs = pynn.Population(3, pynn.SpikeSourceArray(spike_times=[1.0, 2.0, 4.0]))
    their_trains = [list(s.value) for s in theirs.get("spike_times", simplify=False)]
    ours = sm.SpikeSourceArray([1.0, 2.0, 4.0], size=3)
    our_trains = [ours.times[ours.ids == i].tolist() for i in range(3)]
    assert our_trains == their_trains == [[1.0, 2.0, 4.0]] * 3


def test_a_flat_list_without_size_is_refused_showing_both_forms():
    with pytest.raises(ValidationError) as err:
        sm.SpikeSourceArray([1, 2, 3])
    text = str(err.value)
    assert "SpikeSourceArray([1, 2, 3], size=n)" in text
    assert "SpikeSourceArray([[1, 2, 3], ...])" in text
    with pytest.raises(ValidationError, match="size"):
        sm.SpikeSourceArray([1.0], size=0)
    with pytest.raises(ValidationError, match="spike time must hold numbers"):
        sm.SpikeSourceArray(["a", "b"], size=2)
    with pytest.raises(ValidationError, match="spike time"):
        sm.SpikeSourceArray([-1.0], size=2)
    nested = sm.SpikeSourceArray([[1.0], [2.0, 3.0]])
    assert nested.size == 2 and nested.ids.tolist() == [0, 1, 1]
    assert sm.SpikeSourceArray([], size=4).times.size == 0


# -- plots ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ca3_saved(tmp_path_factory):
    from spikemem.models import CA3Memory
    from spikemem.models.ca3_cam import RASTER_ORDER
    mem = CA3Memory(3, 6, seed=0)
    mem.learn(0, [1, 2])
    mem.recall(cue=0)
    mem.raster(title="three cues, six bits")
    path = tmp_path_factory.mktemp("ca3") / "rec.h5"
    mem.recording.save(path)
    return path, RASTER_ORDER


@pytest.mark.parametrize("window, word", [((40.0, 10.0), "reversed"), ((10.0, 10.0), "empty")])
def test_plot_refuses_a_reversed_or_empty_window(ca3_saved, window, word, capsys):
    path, _ = ca3_saved
    assert main(["plot", str(path), "--t-range", *map(str, window)]) == 1
    err = capsys.readouterr().err
    assert "--t-range" in err and word in err
    with pytest.raises(ValidationError, match=word):
        check_t_range("t_range", window)
    for bad in ((0.0, float("nan")), (1.0,), "ab"):
        with pytest.raises(ValidationError):
            check_t_range("t_range", bad)


def test_plot_of_a_saved_ca3_recording_keeps_title_order_and_cue_content_split(ca3_saved,
                                                                              tmp_path):
    import matplotlib.pyplot as plt
    path, order = ca3_saved
    assert main(["plot", str(path), "--out", str(tmp_path / "r.png")]) == 0
    rec = sm.Recording.load(path)
    fig = plot_raster(rec)
    ax = fig.axes[0]
    assert ax.get_title() == "three cues, six bits"
    labels = [t.get_text() for t in ax.get_yticklabels()][::-1]   # top to bottom
    expected = ["IN cue (3)", "IN content (6)"] + \
        [f"{p} ({rec.sizes[p]})" for p in order[1:-1]] + ["OUT cue (3)", "OUT content (6)"]
    assert labels == expected
    plt.close(fig)


def test_one_neuron_population_gets_its_own_rows_and_neurons_are_ticked():
    import matplotlib.pyplot as plt
    rec = sm.Recording(1.0, {"big": 40, "one": 1})
    rec.add_spikes("one", np.array([5.0]), np.array([0]))
    rec.t_stop = 10.0
    fig = plot_raster(rec)
    ax, right = fig.axes
    one_row = ax.collections[0].get_offsets()[0][1]   # "one" is drawn first (bottom)
    assert one_row >= 1.0   # centred in a band of >= 3 rows, not squeezed against "big"
    assert {"0", "39"} <= {t.get_text() for t in right.get_yticklabels()}
    assert right.get_ylabel() == "neuron"
    plt.close(fig)


def test_describe_raster_refuses_unknown_populations_and_bad_splits():
    rec = sm.Recording(1.0, {"IN": 5})
    with pytest.raises(ValidationError, match="unknown populations"):
        describe_raster(rec, order=["OUT"])
    with pytest.raises(ValidationError, match="cover 0..3"):
        describe_raster(rec, splits={"IN": [("cue", 0, 3)]})
    with pytest.raises(ValidationError, match="consecutive"):
        describe_raster(rec, splits={"IN": [("cue", 1, 5)]})


# -- reprs and exports ----------------------------------------------------------------------
def test_every_ir_object_of_a_large_network_has_a_short_repr():
    from spikemem.models import CA3Memory
    mem = CA3Memory(100, 100, seed=0)
    net = mem.network
    objects = [net, mem, mem.recording, *net.populations, *net.sources, *net.projections,
               net.populations[0][3:9], sm.FromList(np.arange(1000), np.arange(1000)),
               sm.SpikeSourceArray(times=np.arange(5000.0), ids=np.zeros(5000, int), size=1)]
    for obj in objects:
        text = repr(obj)
        assert len(text) <= 400, (type(obj).__name__, len(text))
        assert type(obj).__name__ in text
    proj = max(net.projections, key=lambda p: p.size)
    assert f"pre={proj.pre.label!r}" in repr(proj) and f"<{proj.size}" in repr(proj)


def test_an_engram_recall_result_has_a_short_repr():
    from spikemem.models import EngramMemory
    mem = EngramMemory(n=400, k=200, seed=0)
    mem.store(np.arange(200))
    result = mem.recall(np.arange(100))
    assert result.content.size >= 100
    assert len(repr(result)) <= 400 and repr(result).startswith("MemoryResult(recall")
    assert len(repr(result.details)) <= 400 and repr(result.details).startswith("RecallResult(")


def test_plot_helpers_and_model_classes_are_exported_where_users_look():
    from spikemem import plot_raster as top_raster, plot_traces, plot_weights
    from spikemem import plotting
    assert (top_raster, plot_traces, plot_weights) == \
        (plotting.plot_raster, plotting.plot_traces, plotting.plot_weights)
    import spikemem.models as models
    for name in ("CA3Memory", "SparseyMac", "EngramNetwork", "build_cuba"):
        assert name in models.__all__
    assert all(hasattr(models, name) for name in models.__all__)
