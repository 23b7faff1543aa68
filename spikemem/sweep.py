"""Parameter sweeps on Dask: grid points x seeds as tasks, one tidy results table.

    import spikemem
    result = spikemem.sweep("stress", {"size": [10, 100], "gap": [0, 6]}, seeds=range(10),
                            out="results/stress_sweep")              # LocalCluster, all cores
    result = spikemem.sweep(..., client="tcp://scheduler:8786")      # an existing cluster
    result.table                                                     # pandas.DataFrame

Each grid point and seed is one Dask task with a deterministic key (a hash of experiment,
parameters, seed and spikemem version). Its record (parameters, seed, metrics, wall time,
version, backend, and the error and traceback if it raised) is written as it arrives to
``DIR/points/<key>/record.json`` and the table ``DIR/results.parquet`` is rewritten
atomically, so an interrupted sweep keeps what it had and a rerun runs only the missing
points. Dask reruns the task of a worker that dies (``distributed.scheduler.allowed-failures``
times); records are keyed, so none is lost or duplicated. Plots of every metric against every
swept parameter (mean and 95 % interval over seeds) go to ``DIR/plots/``.

Artefacts a point writes (raster, recording) go to ``DIR/points/<key>/``: on a cluster, DIR
must be on a file system the workers share; records and the table are written by the client.
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .errors import SpikememError, ValidationError
from .io import atomic_path
from .sweep_grid import (RESERVED_COLUMNS, SweepTarget, check_grid, check_seeds, expand_grid,
                         resolve_target)
from .sweep_task import PointTask, failed_record, run_point, warm_worker

__all__ = ["sweep", "SweepResult", "SchedulerUnreachable", "connect", "load_table",
           "add_sweep_arguments", "client_from_args"]

_ADDRESS = re.compile(r"^(tcp|tls|ucx|ws|wss|inproc)://\S+$|^[^\s/:]+:\d+$")
_TABLE_INTERVAL_S = 1.0


class SchedulerUnreachable(SpikememError, ConnectionError):
    """The Dask scheduler named by an address did not answer (or has no workers) in time."""


@dataclass
class SweepResult:
    """What `sweep` did.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per point of this sweep (grid order, then seed): ``key, experiment,
        <parameters>, seed, status, <metrics>, backend, wall_s, cpu_s, spikemem_version,
        error, traceback`` (times in s).
    table_path : Path
        ``DIR/results.parquet``.
    plots : list of Path
        PNG files, one per swept parameter.
    ran, skipped, failed : int
        Points run now, found already done in DIR, and rows of `table` with an error.
    """

    table: object
    table_path: Path
    plots: list = field(default_factory=list)
    ran: int = 0
    skipped: int = 0
    failed: int = 0


def _version() -> str:
    from . import __version__
    return __version__


def connect(client=None, workers: Optional[int] = None, timeout: float = 10.0):
    """A `distributed.Client` and whether the caller owns (must close) it.

    Parameters
    ----------
    client : distributed.Client, str or None
        A client (used as is), a scheduler address (``tcp://host:port``), or None for a new
        `distributed.LocalCluster` on 127.0.0.1.
    workers : int, optional
        Worker processes of the LocalCluster (one thread each); default: one per core.
    timeout : float
        Seconds to wait for the scheduler and for its first worker.

    Returns
    -------
    (distributed.Client, bool)

    Raises
    ------
    ValidationError
        A malformed address, `workers` < 1, or `workers` given with a scheduler.
    SchedulerUnreachable
        No answer from the scheduler, or no worker, within `timeout` s.
    """
    import distributed
    if isinstance(client, distributed.Client):
        return client, False
    if not (isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
            and math.isfinite(timeout) and timeout > 0):
        raise ValidationError(f"sweep: timeout={timeout!r} must be a positive number of s")
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool)
                                or workers < 1):
        raise ValidationError(f"sweep: workers={workers!r} must be an int >= 1")
    if client is None:
        n = workers or os.cpu_count() or 1
        cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=None)
        return distributed.Client(cluster, set_as_default=False), True
    if not isinstance(client, str) or not _ADDRESS.match(client):
        raise ValidationError(f"sweep: scheduler address {client!r} must read "
                              f"tcp://HOST:PORT (or tls://, ucx://, HOST:PORT)")
    if workers is not None:
        raise ValidationError("sweep: workers= sets the size of a LocalCluster; an existing "
                              "scheduler brings its own workers")
    try:
        cl = distributed.Client(client, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnreachable(f"sweep: no Dask scheduler answered at {client!r} within "
                                   f"{timeout:g} s ({type(exc).__name__}: {exc})") from None
    try:
        cl.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError):
        cl.close()
        raise SchedulerUnreachable(f"sweep: the Dask scheduler at {client!r} has no worker "
                                   f"after {timeout:g} s; start one with `dask worker "
                                   f"{client}`") from None
    return cl, True


def _read_record(path: Path) -> Optional[dict]:
    """The JSON object in `path`, or None if it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_record(points_dir: Path, record: dict) -> None:
    with atomic_path(points_dir / record["key"] / "record.json") as tmp:
        tmp.write_text(json.dumps(record, allow_nan=True))


def _frame(records: list):
    import pandas as pd
    table = pd.DataFrame.from_records(records)
    tail = [c for c in RESERVED_COLUMNS[3:] if c in table.columns and c != "status"]
    table = table[[c for c in table.columns if c not in tail] + tail]
    for name in table.columns:
        col = table[name]
        if col.dtype == object:
            kinds = {type(v) for v in col if v is not None and not (isinstance(v, float)
                                                                     and math.isnan(v))}
            if len(kinds) > 1:  # Parquet needs one type per column
                table[name] = [None if v is None else str(v) for v in col]
    return table


def _write_table(path: Path, records: list):
    table = _frame(records)
    with atomic_path(path, ".parquet") as tmp:
        table.to_parquet(tmp, index=False)
    return table


def load_table(out):
    """The results table a sweep wrote to folder `out` (``out/results.parquet``)."""
    import pandas as pd
    path = Path(out) / "results.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"no sweep results table at {path}")
    return pd.read_parquet(path)


def _check_out(out: Path, target: SweepTarget) -> None:
    """Refuse an output path that is a file, or a folder holding another experiment's sweep."""
    if out.exists() and not out.is_dir():
        raise ValidationError(f"sweep: output folder {out} exists and is not a folder")
    if (out / "points").exists() and not (out / "points").is_dir():
        raise ValidationError(f"sweep: {out / 'points'} exists and is not a folder")
    previous = _read_record(out / "sweep.json") or {}
    if previous.get("experiment") not in (None, target.name):
        raise ValidationError(f"sweep: {out} holds a sweep of {previous['experiment']!r}, "
                              f"not {target.name!r}; choose another output folder")


def _write_manifest(out: Path, target: SweepTarget, grid: dict, seeds: list) -> None:
    with atomic_path(out / "sweep.json") as tmp:
        tmp.write_text(json.dumps({"experiment": target.name, "grid": grid, "seeds": seeds,
                                   "spikemem_version": _version()}, indent=2))


def _drop_stale_partials(points_dir: Path) -> None:
    for tmp in points_dir.glob(".*.tmp-*"):
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)


def _progress(total: int, name: str, progress: Optional[bool]):
    from .progress import progress_bar
    return progress_bar(total, f"sweep {name}", progress)


def _run_serial(tasks: list, on_record) -> None:
    for task in tasks:
        on_record(run_point(task))


def _run_dask(client, tasks: list, target: SweepTarget, on_record) -> None:
    from distributed import as_completed
    if target.warm is not None:
        client.run(warm_worker, target.warm)
    by_key = {f"spikemem-sweep-{t.key}": t for t in tasks}
    futures = [client.submit(run_point, t, key=k, pure=False) for k, t in by_key.items()]
    try:
        for fut in as_completed(futures, loop=client.loop):
            task = by_key[fut.key]
            if fut.status == "finished":
                record = fut.result()
            elif fut.status == "error":  # e.g. KilledWorker: its workers died too often
                exc, tb = fut.exception(), fut.traceback()
                record = failed_record(task, f"{type(exc).__name__}: {exc}",
                                       "".join(traceback.format_tb(tb)) if tb else None)
            else:
                record = failed_record(task, f"task {fut.status} by the Dask scheduler", None)
            fut.release()
            on_record(record)
    finally:
        client.cancel([f for f in futures if not f.done()])


def sweep(experiment, grid, seeds, client=None, out=None, *, workers: Optional[int] = None,
          timeout: float = 10.0, artefacts: bool = True, plots: bool = True,
          progress: Optional[bool] = None, rerun_errors: bool = True) -> SweepResult:
    """Run an experiment at every grid point and seed, as Dask tasks; collect one table.

    Parameters
    ----------
    experiment : str or callable
        An experiment name with a per-point function (``"stress"``, ``"sdr_capacity"``,
        ``"engram_capacity"``, ``"engram_completion"``), ``"module:function"``, or a function
        ``point(params: dict, seed: int[, out: Path]) -> dict`` of scalar metrics. A function
        must be importable on the workers (defined in a module, not in ``__main__``).
    grid : dict
        Parameter name -> list of values (a scalar is one value). Unswept parameters keep
        the experiment's defaults (``POINT_DEFAULTS``); values must have their types.
    seeds : iterable of int or str
        Distinct non-negative seeds, or a string such as ``"0-9"``.
    client : distributed.Client, str or None
        None: a new `distributed.LocalCluster` (`workers` single-threaded worker processes,
        default one per core), closed at the end. A scheduler address (``tcp://host:port``)
        or a Client: an existing cluster. ``"serial"``: run in this process, one point after
        the other (for debugging and as the reference of a parallel run).
    out : str or Path, optional
        Output folder (default ``results/sweep_<experiment>``).
    workers : int, optional
        Worker processes of the embedded LocalCluster.
    timeout : float
        Seconds to wait for a scheduler address to answer and to have a worker.
    artefacts : bool
        Give the point function a folder (``out=``) whose files end up in
        ``DIR/points/<key>/``; needs a file system shared with the workers.
    plots : bool
        Write ``DIR/plots/<parameter>.png`` for every parameter with more than one value
        (each numeric metric against it, mean and 95 % t-interval over seeds).
    progress : bool, optional
        Progress with ETA (default: a bar on a terminal, one line per finished point otherwise).
    rerun_errors : bool
        Rerun points recorded with an error by a previous run (points recorded as done are
        always skipped).

    Returns
    -------
    SweepResult

    Raises
    ------
    ValidationError
        Unknown experiment, unknown or badly typed grid parameter, an empty grid, bad seeds,
        bad `workers`/`timeout`/address, or an output folder holding another experiment's
        sweep; raised before anything runs.
    SchedulerUnreachable
        The scheduler did not answer, or had no worker, within `timeout` s.
    """
    target = resolve_target(experiment)
    grid = check_grid(target, grid)
    seeds = check_seeds(seeds)
    serial = isinstance(client, str) and client == "serial"
    if serial and workers is not None:
        raise ValidationError("sweep: workers= has no meaning for a serial sweep")
    version = _version()
    points = expand_grid(target, grid, seeds, version)
    if out is None:
        out = Path("results") / ("sweep_" + re.sub(r"[^A-Za-z0-9_.-]+", "_", target.name))
    out = Path(out)
    _check_out(out, target)
    cl, owned = (None, False) if serial else connect(client, workers, timeout)
    try:
        return _sweep(target, grid, seeds, points, cl, out, version, artefacts, plots,
                      progress, rerun_errors)
    finally:
        if owned:
            cluster = cl.cluster
            cl.close()
            if cluster is not None:
                cluster.close()


def _sweep(target, grid, seeds, points, client, out, version, artefacts, plots, progress,
           rerun_errors) -> SweepResult:
    points_dir = out / "points"
    points_dir.mkdir(parents=True, exist_ok=True)
    _write_manifest(out, target, grid, seeds)
    _drop_stale_partials(points_dir)
    records, todo = {}, []
    for p in points:
        old = _read_record(points_dir / p.key / "record.json")
        if old is not None and old.get("key") == p.key \
                and (old.get("status") == "ok" or not rerun_errors):
            records[p.key] = old
        else:
            todo.append(p)
    skipped = len(records)
    order = [p.key for p in points]
    table_path = out / "results.parquet"
    last_write = [0.0]

    def snapshot():
        return [records[k] for k in order if k in records]

    bar = _progress(len(todo), target.name, progress)
    failed = [0]

    def on_record(record: dict) -> None:
        if record["key"] not in pending:
            return  # already recorded: a task delivered twice is written once
        pending.discard(record["key"])
        records[record["key"]] = record
        _write_record(points_dir, record)
        failed[0] += record["status"] != "ok"
        bar.update(1)
        bar.set_postfix(failed=failed[0], refresh=False)
        if time.monotonic() - last_write[0] >= _TABLE_INTERVAL_S:
            _write_table(table_path, snapshot())
            last_write[0] = time.monotonic()

    pending = {p.key for p in todo}
    tasks = [PointTask(target.name, target.point, target.takes_out, p.params, p.seed, p.key,
                       version, str(points_dir.resolve()) if artefacts else None)
             for p in todo]
    table = _frame(snapshot())
    try:
        if client is None:
            _run_serial(tasks, on_record)
        elif tasks:
            _run_dask(client, tasks, target, on_record)
    finally:
        bar.close()
        if records:
            table = _write_table(table_path, snapshot())
    plot_paths = []
    if plots:
        from .sweep_plots import plot_sweep
        swept = [name for name, values in grid.items() if len(values) > 1] or list(grid)[:1]
        plot_paths = plot_sweep(table, swept, out / "plots", title=target.name,
                                parameters=list(points[0].params))
    ran = len(todo)
    failed_total = int((table["status"] != "ok").sum()) if len(table) else 0
    print(f"sweep {target.name}: {len(points)} points ({ran} run, {skipped} already done, "
          f"{failed_total} failed); table: {table_path}"
          + (f"; plots: {out / 'plots'} ({len(plot_paths)} PNG)" if plot_paths else ""))
    return SweepResult(table, table_path, plot_paths, ran, skipped, failed_total)


def add_sweep_arguments(parser, seeds: bool = True) -> None:
    """Add ``--scheduler``, ``--workers`` and (if `seeds`) ``--seeds`` to an experiment's
    argument parser."""
    if seeds:
        parser.add_argument("--seeds", default=None,
                            help="seeds to sweep, e.g. 0-9 or 0,3,5 (default: --seed)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run the grid on the Dask cluster at tcp://HOST:PORT")
    parser.add_argument("--workers", type=int, default=None,
                        help="run the grid on a local Dask cluster of N worker processes "
                             "(default without --scheduler: serially in this process)")


def client_from_args(args):
    """The ``client`` argument of `sweep` for an experiment's parsed arguments."""
    if args.scheduler is not None and args.workers is not None:
        raise ValidationError("--scheduler and --workers exclude each other (a scheduler "
                              "brings its own workers)")
    if args.scheduler is not None:
        return args.scheduler
    return None if args.workers is not None else "serial"
