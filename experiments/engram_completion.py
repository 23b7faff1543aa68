"""Engram completion: recall accuracy against the fraction of an engram given as the cue.

Each (load, cue fraction) is one point of a `spikemem.sweep` (`point`): random engrams
(``k`` of ``n`` cells) are stored one by one in a fresh engram network (plain STDP, no decay);
a sample of them is cued with a random fraction of its cells, without learning, and the
recalled pattern is scored (hit rate, precision, F1, exact recalls). Points run serially by
default, on a local Dask cluster with ``--workers N``, on a cluster with ``--scheduler
ADDRESS``. Writes ``results.h5``, ``summary.json``, ``completion.png``, ``raster.png`` (one
recall from half an engram at the first load), that session's ``recording.h5`` and the
sweep's ``results.parquet`` to ``--out``.
"""
from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from spikemem.experiments._common import (check_engram_point, conclude, engram_size_arguments,
                                           experiment_parser, write_summary)
from spikemem.io import save_tree
from spikemem.models.engram import EngramMemory, random_patterns
from spikemem.plotting import save_figure
from spikemem.sweep import add_sweep_arguments, client_from_args, sweep

__all__ = ["run", "main", "point", "warm", "check_params", "POINT_DEFAULTS"]

NAME = "engram_completion"
FRACTIONS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)
METRICS = ("hit", "precision", "f1", "exact")
#: Parameters of one completion point (`point`): cells, cells per engram, engrams stored,
#: cue fraction, engrams tested and backend.
POINT_DEFAULTS = {"n": 400, "k": 20, "load": 20, "fraction": 0.5, "n_tests": 20,
                  "backend": "numba"}


def point(params: dict, seed: int, out=None) -> dict:
    """One completion point: store ``load`` engrams, recall a sample from ``fraction`` cues.

    Parameters
    ----------
    params : dict
        ``n``, ``k``, ``load``, ``n_tests`` (int), ``fraction`` (float in (0, 1]),
        ``backend`` (str).
    seed : int
        Seed of the patterns (the same engrams at every load), the tested sample (the same
        at every fraction of a load) and the partial cues.
    out : Path, optional
        If given, ``raster.png`` (the recall of the first tested engram) and the session's
        ``recording.h5`` are written there.

    Returns
    -------
    dict
        Mean ``hit``, ``precision``, ``f1`` and ``exact`` over the tested engrams, and
        ``simulated_ms``.
    """
    n, k, load = params["n"], params["k"], params["load"]
    net = EngramMemory(n=n, k=k, backend=params["backend"], seed=seed, stm_tau=math.inf,
                       consolidate_after=None)
    for pattern in random_patterns(n, k, load, seed=seed):
        net.store(pattern)
    rng = np.random.default_rng((seed, load))
    sample = np.sort(rng.choice(load, min(params["n_tests"], load), replace=False))
    scores = net.evaluate(sample, fraction=params["fraction"])
    metrics = {m: float(np.mean([s[m] for s in scores])) for m in METRICS}
    if out is not None:
        r = net.recall(engram=int(sample[0]), fraction=params["fraction"], learn=False)
        net.raster(Path(out) / "raster.png",
                   t_range=(r.t_cue - 6.0, r.t_cue + net.episode_ms + 4.0),
                   title=f"recall from {params['fraction']:.0%} of an engram (n={n}, k={k}, "
                         f"{load} stored)")
        net.recording.save(Path(out) / "recording.h5")
    return {**metrics, "simulated_ms": net.t}


def warm() -> None:
    """Load (or compile) the engine's kernels: a tiny network stores and recalls once."""
    point({**POINT_DEFAULTS, "n": 20, "k": 5, "load": 1, "n_tests": 1}, 0)


def check_params(params: dict) -> None:
    """Raise ValidationError if a completion point's parameters are out of range."""
    check_engram_point(NAME, params, ("load", "n_tests"), "fraction")


def run(*, seed: int = 0, out=f"results/{NAME}", backend: str = "numba", n: int = 400,
        k: int = 20, loads=(20, 80, 140), fractions=FRACTIONS, n_tests: int = 20,
        client="serial", workers=None) -> dict:
    """Measure completion curves at several loads.

    Parameters
    ----------
    seed : int
        Seed of the patterns, the tested sample and the partial cues.
    out : str or path
        Output folder.
    backend : str
        Backend (the network uses plain STDP, so any backend that runs STDP can be used).
    n, k : int
        Cells and cells per engram.
    loads : sequence of int
        Numbers of stored engrams at which the curve is measured (increasing).
    fractions : sequence of float
        Cue fractions, each in (0, 1].
    n_tests : int
        Engrams tested per load (a random sample, the same for every fraction).
    client, workers
        Where the (load, fraction) points run (see `spikemem.sweep`; default serially in
        this process).

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    out = Path(out)
    loads = sorted(int(x) for x in loads)
    fractions = [float(f) for f in fractions]
    t0 = time.perf_counter()
    table = sweep(NAME, {"n": n, "k": k, "load": loads, "fraction": fractions,
                         "n_tests": n_tests, "backend": backend}, [seed], client=client,
                  out=out, workers=workers, plots=False).table
    failed = table[table["status"] != "ok"]
    if len(failed):
        raise RuntimeError(f"{NAME}: {len(failed)} points failed; first: "
                           f"{failed['error'].iloc[0]}")
    wall = time.perf_counter() - t0
    curves = {m: table[m].to_numpy().reshape(len(loads), len(fractions)) for m in METRICS}
    half = min(range(len(fractions)), key=lambda b: abs(fractions[b] - 0.5))
    shown = table.iloc[half]["key"]  # first load, the fraction closest to a half
    for name in ("raster.png", "recording.h5"):
        shutil.copyfile(out / "points" / shown / name, out / name)
    save_tree(out / "results.h5", "results", {
        "loads": np.array(loads), "fractions": np.array(fractions, float),
        **{m: v for m, v in curves.items()}, "n": n, "k": k, "seed": seed})
    summary = {"experiment": NAME, "seed": seed, "backend": backend, "n": n, "k": k,
               "loads": loads, "fractions": list(fractions), "n_tests": n_tests,
               **{m: np.round(v, 4).tolist() for m, v in curves.items()},
               "simulated_ms": float(table["simulated_ms"].sum()), "wall_s": round(wall, 2)}
    write_summary(out, summary)
    _plot(loads, fractions, curves, n, k, out / "completion.png")
    return summary


def _plot(loads, fractions, curves, n, k, path) -> None:
    fig = Figure(figsize=(10, 4))
    axes = fig.subplots(1, 2)
    for a, load in enumerate(loads):
        axes[0].plot(fractions, curves["f1"][a], "o-", label=f"{load} engrams")
        axes[1].plot(fractions, curves["exact"][a], "o-", label=f"{load} engrams")
    for ax, name in zip(axes, ("mean F1 of the recalled pattern", "fraction of exact recalls")):
        ax.set_xlabel("cue: fraction of the engram's cells")
        ax.set_ylabel(name)
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(f"Engram completion (n = {n}, k = {k})")
    save_figure(fig, path)


def main(argv=None) -> dict:
    parser = experiment_parser(NAME, __doc__)
    engram_size_arguments(parser, n=400, k=20)
    parser.add_argument("--loads", type=int, nargs="+", default=[20, 80, 140],
                        help="stored engrams at which to measure (default 20 80 140)")
    parser.add_argument("--tests", type=int, default=20, help="engrams tested per load")
    add_sweep_arguments(parser, seeds=False)
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, backend=args.backend, n=args.n, k=args.k,
            loads=args.loads, n_tests=args.tests, client=client_from_args(args),
            workers=args.workers)
    half = s["fractions"].index(0.5)
    curve = ", ".join(f"{load}: F1 {s['f1'][a][half]:.3f} exact {s['exact'][a][half]:.2f}"
                      for a, load in enumerate(s["loads"]))
    return conclude(args, s, f"recall from half an engram (n={s['n']}, k={s['k']}) by load "
                             f"-> {curve}")


if __name__ == "__main__":
    main()
