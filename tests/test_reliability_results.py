"""Issue 12, cases 8 and 11: result folders are one unit; --out is checked first; no litter."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import spikemem as sm
from spikemem.cli import main
from spikemem.errors import ValidationError
from spikemem.results import result_folder


def _partials(folder):
    return [p.name for p in folder.iterdir() if ".spikemem-partial-" in p.name
            or ".spikemem-old-" in p.name]


def test_result_folder_replaces_the_previous_run_as_a_whole(tmp_path):
    out = tmp_path / "res"
    with result_folder(out) as tmp:
        (tmp / "recording_seed7.h5").write_text("7")
        (tmp / "summary.json").write_text("{\"seed\": 7}")
    with result_folder(out) as tmp:
        (tmp / "summary.json").write_text("{\"seed\": 0}")
    assert sorted(p.name for p in out.iterdir()) == [".spikemem-result", "summary.json"]
    assert (out / "summary.json").read_text() == "{\"seed\": 0}"
    assert _partials(tmp_path) == []


def test_a_failing_run_leaves_the_previous_results_untouched(tmp_path):
    out = tmp_path / "res"
    with result_folder(out) as tmp:
        (tmp / "summary.json").write_text("old")
    with pytest.raises(RuntimeError):
        with result_folder(out) as tmp:
            (tmp / "summary.json").write_text("new")
            raise RuntimeError("simulation failed")
    assert (out / "summary.json").read_text() == "old"
    assert _partials(tmp_path) == []


def test_out_that_is_a_file_or_a_folder_with_other_content_is_refused_before_running(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValidationError, match="is a file"):
        with result_folder(tmp_path / "f"):
            pytest.fail("the block must not run")
    (tmp_path / "proj" / "src").mkdir(parents=True)
    with pytest.raises(ValidationError, match="other content"):
        with result_folder(tmp_path / "proj"):
            pytest.fail("the block must not run")
    assert (tmp_path / "proj" / "src").is_dir()


_WRITER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from spikemem.results import result_folder
    from spikemem.io import atomic_path
    out = Path(sys.argv[1])
    if sys.argv[2] == "folder":
        with result_folder(out) as tmp:
            (tmp / "a.json").write_text("1")
            print("ready", flush=True)
            time.sleep(60)
    else:
        with atomic_path(out / "big.h5") as tmp:
            tmp.write_bytes(b"0" * 1000)
            print("ready", flush=True)
            time.sleep(60)
""")


@pytest.mark.parametrize("kind", ["folder", "file"])
def test_sigterm_removes_temporary_files_and_sigkill_leftovers_are_removed_next_time(tmp_path,
                                                                                  kind):
    out = tmp_path / "res"
    out.mkdir()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(out), kind],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(sig)
        proc.wait(timeout=30)
        left = _partials(tmp_path) + _partials(out)
        if sig == signal.SIGTERM:
            assert proc.returncode == 128 + signal.SIGTERM and left == []
        else:
            assert left, "SIGKILL cannot be cleaned up at once"
    if kind == "folder":
        with result_folder(out) as tmp:
            (tmp / "b.json").write_text("2")
    else:
        sm.Network().save(out / "big.h5")
    assert _partials(tmp_path) + _partials(out) == []


def test_cli_reports_bad_out_without_traceback(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["run", "sdr_similarity", "--out", str(tmp_path / "file")]) == 1
    err = capsys.readouterr().err
    assert "is a file" in err and "Traceback" not in err
    assert main(["run", "sdr_similarity", "--out", "/proc/1/spikemem"]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err


def test_cli_plot_into_a_folder_writes_the_png_inside_it(tmp_path, capsys):
    net = sm.Network()
    net.add(sm.SpikeSourceArray([[1.0], [2.0]], label="in"))
    sim = sm.build(net)
    sim.run(5.0)
    sim.recording.save(tmp_path / "rec.h5")
    (tmp_path / "figs").mkdir()
    assert main(["plot", str(tmp_path / "rec.h5"), "--out", str(tmp_path / "figs")]) == 0
    assert (tmp_path / "figs" / "rec_raster.png").is_file()


def test_cli_plot_of_a_damaged_file_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "bad.h5").write_bytes(os.urandom(2000))
    assert main(["plot", str(tmp_path / "bad.h5")]) == 1
    assert "Traceback" not in capsys.readouterr().err
