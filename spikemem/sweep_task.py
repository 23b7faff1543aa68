"""The task a sweep sends to a Dask worker: run one point, return its flat record.

Runs on the worker (or in-process for a serial sweep). It never raises for a failing point:
the error and traceback go into the record, so one bad point does not stop the sweep.
"""
from __future__ import annotations

import math
import os
import shutil
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .sweep_grid import RESERVED_COLUMNS

__all__ = ["PointTask", "run_point", "failed_record", "warm_worker"]


@dataclass(frozen=True)
class PointTask:
    """Everything a worker needs to run one point (pickled to the worker)."""

    experiment: str
    point: Callable
    takes_out: bool
    params: dict
    seed: int
    key: str
    version: str
    points_dir: Optional[str]


def _metric(name: str, value):
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"metric {name!r} = {value!r} ({type(value).__name__}) is not a scalar "
                    f"(bool, int, float, str or None); put arrays in the point's artefacts")


def _check_metrics(metrics, params) -> dict:
    if not isinstance(metrics, dict):
        raise TypeError(f"a point function must return a dict of metrics, got "
                        f"{type(metrics).__name__}")
    checked = {}
    for name, value in metrics.items():
        if not isinstance(name, str):
            raise TypeError(f"metric name {name!r} must be a str")
        if name != "backend" and (name in params or name in RESERVED_COLUMNS):
            raise ValueError(f"metric {name!r} clashes with a parameter or a reserved column "
                             f"({', '.join(RESERVED_COLUMNS)})")
        checked[name] = _metric(name, value)
    return checked


def _publish(tmp: Path, final: Path) -> None:
    """Move the artefacts written in `tmp` into `final`, replacing a previous attempt's."""
    final.mkdir(parents=True, exist_ok=True)
    for child in tmp.iterdir():
        dest = final / child.name
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        os.replace(child, dest)
    tmp.rmdir()


def run_point(task: PointTask) -> dict:
    """Run ``task.point(params, seed[, out])`` and return the point's flat record.

    Returns
    -------
    dict
        ``key, experiment, <params>, seed, status ("ok" or "error"), <metrics>, backend,
        wall_s (s), cpu_s (CPU time of the thread that ran the point, s),
        spikemem_version, error, traceback``. Artefacts written to ``out`` are
        moved to ``<points_dir>/<key>/`` only if the point succeeds.
    """
    tmp = None
    if task.takes_out and task.points_dir is not None:
        tmp = Path(task.points_dir) / f".{task.key}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir(parents=True)
    t0, c0 = time.perf_counter(), time.thread_time()
    metrics, error, tb = {}, None, None
    try:
        kwargs = {"out": tmp} if task.takes_out else {}
        metrics = _check_metrics(task.point(dict(task.params), task.seed, **kwargs),
                                 task.params)
        if tmp is not None:
            _publish(tmp, Path(task.points_dir) / task.key)
    except Exception as exc:  # a failing point is data, not a reason to stop the sweep
        error, tb, metrics = f"{type(exc).__name__}: {exc}", traceback.format_exc(), {}
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
    backend = metrics.pop("backend", task.params.get("backend", ""))
    return {"key": task.key, "experiment": task.experiment, **task.params,
            "seed": task.seed, "status": "ok" if error is None else "error", **metrics,
            "backend": "" if backend is None else str(backend), "wall_s": wall,
            "cpu_s": cpu, "spikemem_version": task.version, "error": error, "traceback": tb}


def failed_record(task: PointTask, error: str, tb: Optional[str]) -> dict:
    """The record of a point whose task failed outside the point function (e.g. its worker
    died more often than Dask allows)."""
    return {"key": task.key, "experiment": task.experiment, **task.params, "seed": task.seed,
            "status": "error", "backend": str(task.params.get("backend", "")),
            "wall_s": math.nan, "cpu_s": math.nan, "spikemem_version": task.version, "error": error,
            "traceback": tb}


def warm_worker(warm: Callable) -> float:
    """Run an experiment's ``warm()`` on a worker (via ``client.run``); returns seconds."""
    t0 = time.perf_counter()
    warm()
    return time.perf_counter() - t0
