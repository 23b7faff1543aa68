"""Point functions for the sweep tests, importable on Dask workers (``tests`` is on their
sys.path: LocalCluster's spawned workers inherit it, `dask worker` gets it by PYTHONPATH)."""
import os
import signal
import time
from pathlib import Path


def affine(params, seed, out=None):
    """y = a * x + seed, plus an artefact file when given a folder."""
    if out is not None:
        (Path(out) / "note.txt").write_text(f"{params['x']} {seed}")
    return {"y": params["a"] * params["x"] + seed, "label": f"x{params['x']}"}


affine.POINT_DEFAULTS = {"x": 0, "a": 1.0}


def fails_at_two(params, seed):
    if params["x"] == 2:
        raise RuntimeError("point x=2 is broken on purpose")
    return {"y": params["x"]}


def kill_worker_once(params, seed):
    """SIGKILL the worker process running point x=1 the first time (marker file absent)."""
    marker = Path(params["marker"])
    if params["x"] == 1 and not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.2)
    return {"y": params["x"] * 10 + seed, "pid": os.getpid()}


def counted(params, seed):
    """Leave a file per call in params['calls'], sleep params['sleep'] s."""
    calls = Path(params["calls"])
    calls.mkdir(exist_ok=True)
    (calls / f"{params['x']}-{seed}-{time.monotonic_ns()}").touch()
    time.sleep(params["sleep"])
    if params.get("interrupt_at") == params["x"] and not (calls / "interrupted").exists():
        (calls / "interrupted").touch()
        raise KeyboardInterrupt
    return {"y": params["x"]}


def kill_worker_always(params, seed):
    """SIGKILL the worker process running point x=1, every time."""
    if params["x"] == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"y": params["x"]}
