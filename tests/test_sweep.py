"""spikemem.sweep on real Dask clusters on 127.0.0.1: a LocalCluster of 2 worker processes,
and a scheduler and a worker started as separate processes (`dask scheduler`, `dask worker`)."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import cloudpickle
import dask
import numpy as np
import pandas as pd
import pytest

import spikemem
import sweep_points
from spikemem.cli import main as cli_main
from spikemem.errors import ValidationError
from spikemem.sweep import SchedulerUnreachable, load_table
from spikemem.sweep_grid import parse_seeds, point_key, resolve_target
from spikemem.sweep_plots import seed_interval

distributed = pytest.importorskip("distributed")
HERE = Path(__file__).parent


def _same_values(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal tables apart from timing columns (wall clock, CPU time), value for value."""
    cols = [c for c in a.columns if not c.startswith(("wall", "cpu_s"))]
    assert list(cols) == [c for c in b.columns if not c.startswith(("wall", "cpu_s"))]
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True),
                                  b[cols].reset_index(drop=True), check_exact=True)


@pytest.fixture(scope="module")
def cluster_client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    client = distributed.Client(cluster, set_as_default=False)
    yield client
    client.close()
    cluster.close()


def test_stress_on_a_two_process_local_cluster_equals_the_serial_run(cluster_client, tmp_path):
    grid = {"size": [3, 6], "gap": [0, 6]}
    par = spikemem.sweep("stress", grid, "0-1", client=cluster_client, out=tmp_path / "par")
    ser = spikemem.sweep("stress", grid, [0, 1], client="serial", out=tmp_path / "ser",
                         plots=False)
    assert len(par.table) == 8 and set(par.table["status"]) == {"ok"}
    assert par.table["key"].is_unique
    _same_values(par.table, ser.table)
    _same_values(load_table(tmp_path / "par"), ser.table)
    # the table is tidy: parameters, seed, metrics, version and backend per row
    row = par.table.iloc[0]
    assert (row["size"], row["gap"], row["seed"], row["backend"]) == (3, 0, 0, "numba")
    assert row["spikemem_version"] == spikemem.__version__ and row["wall_s"] > 0
    assert row["cues"] == 3 and 0.0 <= row["cue_exact"] <= 1.0
    for key in par.table["key"]:
        assert (tmp_path / "par" / "points" / key / "recording.h5").stat().st_size > 0
    assert (tmp_path / "par" / "plots" / "size.png").stat().st_size > 0
    assert (tmp_path / "par" / "plots" / "gap.png").stat().st_size > 0


def test_a_raising_point_is_recorded_with_its_traceback_and_the_others_complete(
        cluster_client, tmp_path):
    cloudpickle.register_pickle_by_value(sweep_points)
    result = spikemem.sweep(sweep_points.fails_at_two, {"x": [1, 2, 3]}, [0, 1],
                            client=cluster_client, out=tmp_path)
    t = result.table
    assert list(t["status"]) == ["ok", "ok", "error", "error", "ok", "ok"]
    bad = t[t["status"] == "error"]
    assert set(bad["x"]) == {2} and bad["y"].isna().all()
    assert bad["error"].str.contains("RuntimeError: point x=2 is broken on purpose").all()
    assert bad["traceback"].str.contains("fails_at_two").all()
    assert result.failed == 2 and list(t.loc[t["status"] == "ok", "y"]) == [1, 1, 3, 3]


def test_a_worker_killed_with_sigkill_has_its_point_rerun_and_recorded_once(
        cluster_client, tmp_path):
    cloudpickle.register_pickle_by_value(sweep_points)
    marker = tmp_path / "killed"
    result = spikemem.sweep(sweep_points.kill_worker_once,
                            {"x": list(range(6)), "marker": str(marker)}, [0, 1],
                            client=cluster_client, out=tmp_path / "out")
    assert marker.exists()  # a worker really died mid-sweep
    t = load_table(tmp_path / "out")
    assert result.failed == 0 and list(result.table["key"]) == list(t["key"])
    assert len(t) == 12 and t["key"].is_unique and set(t["status"]) == {"ok"}
    assert sorted(zip(t["x"], t["seed"])) == [(x, s) for x in range(6) for s in (0, 1)]
    assert list(t["y"]) == [x * 10 + s for x in range(6) for s in (0, 1)]
    killed_pid = int(marker.read_text())
    assert killed_pid not in set(t["pid"])
    assert len(list((tmp_path / "out" / "points").iterdir())) == 12


def test_a_point_that_kills_every_worker_is_recorded_as_failed_once(tmp_path):
    cloudpickle.register_pickle_by_value(sweep_points)
    # no retry: the task that was running (and any other the dead worker held) fails
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.scheduler.worker-saturation": 1.0}):
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=None)
    with cluster, distributed.Client(cluster, set_as_default=False) as client:
        result = spikemem.sweep(sweep_points.kill_worker_always, {"x": list(range(6))}, [0],
                                client=client, out=tmp_path)
    t = result.table
    assert list(t["x"]) == list(range(6)) and t["key"].is_unique
    assert t["status"][1] == "error" and t["error"][1].startswith("KilledWorker")
    failed = t[t["status"] == "error"]
    assert failed["error"].str.startswith("KilledWorker").all()
    assert result.failed == len(failed) < 6  # the sweep went on after the worker died
    assert list(load_table(tmp_path)["key"]) == list(t["key"])


def test_an_interrupted_sweep_run_again_runs_only_the_missing_points(tmp_path):
    calls = tmp_path / "calls"
    grid = {"x": list(range(6)), "calls": str(calls), "sleep": 0.0, "interrupt_at": 2}
    with pytest.raises(KeyboardInterrupt):
        spikemem.sweep(sweep_points.counted, grid, [0], client="serial", out=tmp_path / "o")
    assert list(load_table(tmp_path / "o")["x"]) == [0, 1]  # kept what it had
    again = spikemem.sweep(sweep_points.counted, grid, [0], client="serial",
                           out=tmp_path / "o")
    assert (again.ran, again.skipped) == (4, 2)
    runs = sorted(int(p.name.split("-")[0]) for p in calls.iterdir() if p.name[0].isdigit())
    assert runs == [0, 1, 2, 2, 3, 4, 5]  # x=2 was interrupted, then rerun
    assert list(again.table["x"]) == list(range(6)) and again.table["key"].is_unique


def test_damaged_records_are_rerun_and_intact_ones_kept(tmp_path):
    grid = {"x": [1, 2, 3, 4]}
    first = spikemem.sweep(sweep_points.affine, grid, [0], client="serial", out=tmp_path,
                           plots=False)
    keys = list(first.table["key"])
    (tmp_path / "points" / keys[0] / "record.json").write_text("{not json")
    (tmp_path / "points" / keys[1] / "record.json").write_text("[1, 2]")
    (tmp_path / "points" / keys[2] / "record.json").unlink()
    (tmp_path / "sweep.json").write_text("garbage")
    again = spikemem.sweep(sweep_points.affine, grid, [0], client="serial", out=tmp_path,
                           plots=False)
    assert (again.ran, again.skipped) == (3, 1)
    _same_values(again.table, first.table)


@pytest.mark.slow  # two interpreters and a LocalCluster start: ~15 s
def test_an_interrupted_cli_sweep_on_a_local_cluster_resumes_with_the_missing_points(
        tmp_path):
    calls, out = tmp_path / "calls", tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get(
        "PYTHONPATH", "")]), "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "spikemem.cli", "sweep", "sweep_points:counted", "--grid",
           "x=0,1,2,3,4,5,6,7,8,9", f"calls={calls}", "sleep=0.25", "--seeds", "0",
           "--workers", "1", "--out", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(list((out / "points").glob("*/record.json"))) < 3:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    done = {json.loads(p.read_text())["x"] for p in (out / "points").glob("*/record.json")}
    assert 3 <= len(done) < 10
    assert sorted(load_table(out)["x"]) == sorted(done)
    before = len(list(calls.iterdir()))
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"({10 - len(done)} run, {len(done)} already done, 0 failed)" in rerun.stdout
    assert len(list(calls.iterdir())) - before == 10 - len(done)
    assert list(load_table(out)["x"]) == list(range(10))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def loopback_scheduler(tmp_path_factory):
    """`dask scheduler --port 0` and one `dask worker`, separate processes on 127.0.0.1."""
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    folder = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get(
        "PYTHONPATH", "")])}
    scheduler_file = folder / "scheduler.json"
    sched = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                              "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                             env=env, cwd=folder, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    procs = [sched]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            assert sched.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(subprocess.Popen(
            [dask, "worker", address, "--host", "127.0.0.1", "--nworkers", "1",
             "--nthreads", "1", "--no-dashboard", "--local-directory", str(folder)],
            env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_cli_sweep_reaches_a_separately_started_scheduler_and_worker(loopback_scheduler,
                                                                      tmp_path, capsys):
    out = tmp_path / "remote"
    argv = ["sweep", "sdr_capacity", "--grid", "Q=4", "K=4", "items=5,10",
            "setting=default,steep", "--seeds", "0-1", "--scheduler", loopback_scheduler]
    code = cli_main(argv + ["--timeout", "30", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert f"table: {out / 'results.parquet'}" in printed and str(out / "plots") in printed
    remote = load_table(out)
    ser = spikemem.sweep("sdr_capacity", {"Q": 4, "K": 4, "items": [5, 10],
                                          "setting": ["default", "steep"]}, "0-1",
                         client="serial", out=tmp_path / "ser", plots=False)
    _same_values(remote, ser.table)
    assert len(remote) == 8 and set(remote["backend"]) == {"numba"}
    assert cli_main(argv + ["--out", str(out)]) == 0
    assert "(0 run, 8 already done, 0 failed)" in capsys.readouterr().out


def test_cli_sweep_of_a_plain_function_on_the_separate_worker(loopback_scheduler, tmp_path,
                                                              capsys):
    code = cli_main(["sweep", "sweep_points:affine", "--grid", "x=1,2,3", "a=0.5",
                     "--seeds", "0,4", "--scheduler", loopback_scheduler, "--out",
                     str(tmp_path)])
    assert code == 0
    t = load_table(tmp_path)
    assert list(t["y"]) == [0.5, 4.5, 1.0, 5.0, 1.5, 5.5]
    assert list(t["label"]) == ["x1", "x1", "x2", "x2", "x3", "x3"]
    for key, x, seed in zip(t["key"], t["x"], t["seed"]):
        assert (tmp_path / "points" / key / "note.txt").read_text() == f"{x} {seed}"


def test_an_experiments_own_grid_moves_to_the_cluster_with_one_flag(loopback_scheduler,
                                                                     tmp_path):
    from spikemem.experiments import sdr_capacity
    argv = ["--Q", "4", "--K", "4", "--max-items", "30", "--step", "10", "--seed", "3"]
    assert sdr_capacity.main(argv + ["--out", str(tmp_path / "c"), "--scheduler",
                                     loopback_scheduler]) == 0
    assert sdr_capacity.main(argv + ["--out", str(tmp_path / "s")]) == 0
    remote, local = (json.loads((tmp_path / d / "summary.json").read_text()) for d in "cs")
    assert remote == local and len(remote["settings"]["steep"]["accuracy"]) == 3
    assert len(load_table(tmp_path / "c")) == 6


def test_stress_experiment_sweeps_sizes_and_seeds(tmp_path):
    from spikemem.experiments import stress
    s = stress.main(["--out", str(tmp_path), "--max-size", "4", "--seeds", "0-1"])
    assert [(r["cues"], r["seed"]) for r in s["rows"]] == [(4, 0), (4, 1)]
    assert json.loads((tmp_path / "summary.json").read_text()) == s
    assert (tmp_path / "stress.png").stat().st_size > 0
    assert len(list((tmp_path / "points").glob("*/recording.h5"))) == 2


# --- bad input: a clear error before anything runs --------------------------------------

def test_unknown_experiment_is_refused_naming_the_sweepable_ones(tmp_path):
    with pytest.raises(ValidationError, match=r"unknown experiment 'strss'.*stress"):
        spikemem.sweep("strss", {"size": [10]}, [0], client="serial", out=tmp_path / "o")
    with pytest.raises(ValidationError, match="no per-point function"):
        spikemem.sweep("cuba", {"n": [10]}, [0], client="serial", out=tmp_path / "o")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("grid, message", [
    ({}, "the grid is empty"),
    ({"size": []}, "'size' has no values"),
    ({"sizes": [10]}, r"unknown grid parameter 'sizes'; parameters: size \(int"),
    ({"size": ["ten"]}, r"'size': value 'ten' \(str\) must be int"),
    ({"size": [10.5]}, r"'size': value 10.5 \(float\) must be int"),
    ({"size": [True]}, "must be int"),
    ({"density": ["x"]}, "must be float"),
    ({"density": [float("nan")]}, "NaN"),
    ({"size": [10, 10]}, "lists 10 twice"),
    ({"seed": [1]}, "reserved"),
    ("size=10", "must be a mapping"),
])
def test_bad_grids_are_refused_before_anything_runs(grid, message, tmp_path):
    with pytest.raises(ValidationError, match=message):
        spikemem.sweep("stress", grid, [0], client="serial", out=tmp_path / "o")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("experiment, grid, message", [
    ("stress", {"size": [10, 1]}, r"grid point \{'size': 1\}.*size"),
    ("stress", {"density": [0.0]}, "density must lie in"),
    ("stress", {"backend": ["loihi"]}, "backend"),
    ("sdr_capacity", {"setting": ["bogus"]}, "setting"),
    ("engram_capacity", {"k": [500]}, "k must be <= n"),
    ("engram_completion", {"fraction": [0.5, 1.5]}, "fraction must lie in"),
])
def test_out_of_range_grid_points_are_refused_before_anything_runs(experiment, grid, message,
                                                                   tmp_path):
    with pytest.raises(ValidationError, match=message):
        spikemem.sweep(experiment, grid, [0], client="serial", out=tmp_path / "o")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("seeds, message", [
    ([], "no seeds"), ([-1], "non-negative"), ([0, 0], "twice"), ("3-1", "M >= N"),
    ("a", "cannot read seeds"), ([1.5], "non-negative int"), (None, "list of ints"),
])
def test_bad_seeds_are_refused(seeds, message, tmp_path):
    with pytest.raises(ValidationError, match=message):
        spikemem.sweep("stress", {"size": [3]}, seeds, client="serial", out=tmp_path)


def test_cli_reports_bad_grid_values_and_names(tmp_path, capsys):
    for argv, message in [
        (["sweep", "stress", "--grid", "size=10,ten"], "value 'ten' must be int"),
        (["sweep", "stress", "--grid", "size="], "'size' has no values"),
        (["sweep", "stress", "--grid", "size"], "must read NAME=V1,V2"),
        (["sweep", "stress"], "the grid is empty"),
        (["sweep", "stress", "--grid", "gap=0", "gap=6"], "given twice"),
        (["sweep", "nope", "--grid", "size=1"], "unknown experiment 'nope'"),
        (["sweep", "stress", "--grid", "size=3", "--seeds", "x"], "cannot read seeds"),
        (["sweep", "stress", "--grid", "size=3", "--scheduler", "tcp://127.0.0.1:1",
          "--workers", "2"], "exclude each other"),
        (["sweep", "no_such_module:f", "--grid", "x=1"], "cannot load the point function"),
    ]:
        assert cli_main(argv + ["--out", str(tmp_path / "o")]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_an_unreachable_scheduler_fails_within_the_timeout(tmp_path, capsys):
    address = f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.monotonic()
    with pytest.raises(SchedulerUnreachable, match=re.escape(address)):
        spikemem.sweep("stress", {"size": [3]}, [0], client=address, timeout=1.0,
                       out=tmp_path / "o")
    assert time.monotonic() - t0 < 30  # bounded by the timeout, not hanging
    assert cli_main(["sweep", "stress", "--grid", "size=3", "--scheduler", address,
                     "--timeout", "1", "--out", str(tmp_path / "o")]) == 2
    assert "no Dask scheduler answered" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"client": "localhost"}, "must read tcp://HOST:PORT"),
    ({"client": "http://x:1"}, "must read tcp://HOST:PORT"),
    ({"client": None, "workers": 0}, "workers=0 must be an int >= 1"),
    ({"client": "tcp://127.0.0.1:1", "workers": 2}, "brings its own workers"),
    ({"client": "tcp://127.0.0.1:1", "timeout": 0}, "positive number"),
    ({"client": "serial", "workers": 2}, "serial"),
])
def test_bad_cluster_arguments_are_refused(kwargs, message, tmp_path):
    with pytest.raises(ValidationError, match=message):
        spikemem.sweep("stress", {"size": [3]}, [0], out=tmp_path / "o", **kwargs)
    assert not (tmp_path / "o").exists()


def test_a_folder_holding_another_experiments_sweep_is_refused(tmp_path):
    spikemem.sweep(sweep_points.affine, {"x": [1]}, [0], client="serial", out=tmp_path,
                   plots=False)
    with pytest.raises(ValidationError, match="holds a sweep of 'sweep_points:affine'"):
        spikemem.sweep("stress", {"size": [3]}, [0], client="serial", out=tmp_path)


def test_an_output_path_that_is_a_file_is_refused_before_a_cluster_starts(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValidationError, match="is not a folder"):
        spikemem.sweep("stress", {"size": [3]}, [0], out=tmp_path / "file")


def test_grid_values_may_be_any_iterable_and_a_scalar_is_one_value(tmp_path):
    result = spikemem.sweep(sweep_points.affine, {"x": pd.Series([1, 2]), "a": 2},
                            np.arange(2), client="serial", out=tmp_path, plots=False)
    assert list(result.table["y"]) == [2.0, 3.0, 4.0, 5.0]
    assert result.table["a"].tolist() == [2.0] * 4  # int 2 coerced to the default's float


def test_a_point_returning_a_non_scalar_metric_is_an_error_record(tmp_path):
    def arrays(params, seed):
        return {"v": np.arange(3)}
    result = spikemem.sweep(arrays, {"x": [1]}, [0], client="serial", out=tmp_path)
    assert result.table["error"][0].startswith("TypeError: metric 'v'")


# --- keys, seeds, intervals ---------------------------------------------------------------

def test_point_keys_depend_on_experiment_parameters_seed_and_version():
    base = point_key("stress", {"size": 10, "gap": 0}, 0, "0.1.0")
    assert base == point_key("stress", {"gap": 0, "size": 10}, 0, "0.1.0")
    others = {point_key("stress", {"size": 10, "gap": 6}, 0, "0.1.0"),
              point_key("stress", {"size": 10, "gap": 0}, 1, "0.1.0"),
              point_key("stress", {"size": 10, "gap": 0}, 0, "0.2.0"),
              point_key("sdr_capacity", {"size": 10, "gap": 0}, 0, "0.1.0")}
    assert base not in others and len(others) == 4


def test_seed_ranges_parse_inclusively():
    assert parse_seeds("0-3,7,9-10") == [0, 1, 2, 3, 7, 9, 10]


def test_seed_interval_is_the_student_t_95_percent_interval():
    mean, half = seed_interval([1.0, 2.0, 3.0, np.nan])
    # sd 1, n 3: t(0.975, 2) = 4.302653 -> 4.302653 / sqrt(3)
    assert mean == 2.0 and half == pytest.approx(2.484138, abs=1e-6)
    assert seed_interval([5.0]) == (5.0, 0.0)


def test_sweepable_experiments_declare_their_parameters():
    for name in ("stress", "sdr_capacity", "engram_capacity", "engram_completion"):
        target = resolve_target(name)
        assert target.defaults and callable(target.point), name
