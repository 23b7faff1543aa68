"""Engram capacity against Hopfield and Willshaw/Amari theory, over the coding level.

For each engram size ``k`` (coding level ``f = k / n``) random engrams are stored one by one in a
fresh engram network (plain STDP, no decay); at loads on a geometric grid a random sample of
the stored engrams is recalled from half of its cells without learning. The capacity is the
last load whose mean F1 is at least ``--criterion`` before the first load below it. The
figure puts the measured capacities on the same axes as Hopfield's ``0.138 n`` (dense +-1
patterns), Willshaw's clipped-synapse capacity (full and half cues), the sparse covariance
capacity ``n / (2 f |ln f|)`` (Tsodyks-Feigel'man, Amari) and this network's own
relative-threshold theory (`models.engram_theory`). Each engram size is one point of a
`spikemem.sweep` (`point`; serially by default, ``--workers N`` for a local Dask cluster,
``--scheduler ADDRESS`` for a cluster). Writes ``results.h5``, ``summary.json``,
``capacity.png`` and the sweep's ``results.parquet`` to ``--out``.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter

from spikemem.experiments._common import (check_engram_point, conclude, engram_size_arguments,
                                           experiment_parser, write_summary)
from spikemem.io import save_tree
from spikemem.models.engram import EngramMemory, random_patterns
from spikemem.models.engram_network import EngramParams
from spikemem.models.engram_theory import (hopfield_capacity, relative_threshold_capacity,
                                           sparse_covariance_capacity, willshaw_capacity)
from spikemem.plotting import save_figure
from spikemem.sweep import add_sweep_arguments, client_from_args, sweep

__all__ = ["run", "main", "load_grid", "point", "warm", "check_params", "POINT_DEFAULTS"]

NAME = "engram_capacity"
#: Parameters of one capacity point (`point`): cells, engram size, largest load, engrams
#: recalled per load, F1 criterion and backend.
POINT_DEFAULTS = {"n": 400, "k": 20, "max_patterns": 1500, "n_tests": 20, "criterion": 0.9,
                  "backend": "numba"}


def load_grid(max_patterns: int, ratio: float = 1.2) -> list:
    """Loads 1, 2, 3, ... growing geometrically by `ratio`, up to `max_patterns`."""
    grid, m = [], 1.0
    while round(m) <= max_patterns:
        if not grid or round(m) > grid[-1]:
            grid.append(int(round(m)))
        m *= ratio
    return grid


def measure(n: int, k: int, *, seed: int, backend: str, max_patterns: int, n_tests: int,
            criterion: float) -> dict:
    """Mean F1 of recalls from half cues against the load, for one engram size."""
    net = EngramMemory(n=n, k=k, backend=backend, seed=seed, stm_tau=math.inf,
                       consolidate_after=None)
    patterns = random_patterns(n, k, max_patterns, seed=seed + 1000 * k)
    rng = np.random.default_rng(seed + k)
    loads, f1, exact = [], [], []
    capacity = 0
    for load in load_grid(max_patterns):
        while len(net.engrams) < load:
            net.store(patterns[len(net.engrams)])
        sample = rng.choice(load, min(n_tests, load), replace=False)
        scores = net.evaluate(sample, fraction=0.5)
        loads.append(load)
        f1.append(float(np.mean([s["f1"] for s in scores])))
        exact.append(float(np.mean([s["exact"] for s in scores])))
        if f1[-1] < criterion:
            break
        capacity = load
    return {"k": k, "f": k / n, "loads": loads, "f1": f1, "exact": exact,
            "capacity": capacity, "reached_max": capacity == loads[-1],
            "simulated_ms": net.t}


def theory(n: int, k: int, params: EngramParams) -> dict:
    """Capacities (patterns) predicted for `k`-of-`n` engrams recalled from half cues."""
    f = k / n
    return {"willshaw_full_cue": willshaw_capacity(n, k),
            "willshaw_half_cue": willshaw_capacity(n, k, cue=k // 2),
            "sparse_covariance": sparse_covariance_capacity(n, f),
            "this_network": relative_threshold_capacity(n, k, k // 2, params.inhibition,
                                                        params.threshold)}


def point(params: dict, seed: int, out=None) -> dict:
    """One capacity point: `measure` at engram size ``params["k"]`` (see `POINT_DEFAULTS`).

    Parameters
    ----------
    params : dict
        ``n``, ``k``, ``max_patterns``, ``n_tests`` (int), ``criterion`` (float in (0, 1]),
        ``backend`` (str).
    seed : int
        Seed of the patterns, the tested samples and the partial cues.
    out : Path, optional
        If given, the F1 curve (loads, f1, exact) is written there as ``curve.json``.

    Returns
    -------
    dict
        ``capacity`` (engrams), ``reached_max``, coding level ``f``, ``simulated_ms``, the
        last tested load and its F1, and the theories' capacities (``theory_<name>``).
    """
    n, k = params["n"], params["k"]
    row = measure(n, k, seed=seed, backend=params["backend"],
                  max_patterns=params["max_patterns"], n_tests=params["n_tests"],
                  criterion=params["criterion"])
    if out is not None:
        (Path(out) / "curve.json").write_text(json.dumps(
            {key: row[key] for key in ("loads", "f1", "exact")}))
    return {"capacity": row["capacity"], "reached_max": row["reached_max"], "f": row["f"],
            "simulated_ms": row["simulated_ms"], "last_load": row["loads"][-1],
            "last_f1": row["f1"][-1],
            **{f"theory_{name}": value
               for name, value in theory(n, k, EngramParams(n=n, k=k)).items()}}


def warm() -> None:
    """Load (or compile) the engine's kernels: a tiny network stores and recalls once."""
    point({**POINT_DEFAULTS, "n": 20, "k": 5, "max_patterns": 1, "n_tests": 1}, 0)


def check_params(params: dict) -> None:
    """Raise ValidationError if a capacity point's parameters are out of range."""
    check_engram_point(NAME, params, ("max_patterns", "n_tests"), "criterion")


def run(*, seed: int = 0, out=f"results/{NAME}", backend: str = "numba", n: int = 400,
        ks=(8, 12, 20, 40, 80, 200), max_patterns: int = 1500, n_tests: int = 20,
        criterion: float = 0.9, client="serial", workers=None) -> dict:
    """Measure the capacity at each engram size and compare with theory.

    Parameters
    ----------
    seed : int
        Seed of the patterns, the tested samples and the partial cues.
    out : str or path
        Output folder.
    backend : str
        Backend (plain STDP network).
    n : int
        Cells.
    ks : sequence of int
        Engram sizes (each in 4..n-1).
    max_patterns : int
        Largest load tried.
    n_tests : int
        Engrams recalled per load.
    criterion : float
        Mean F1 a load must reach to count as stored, in (0, 1].
    client, workers
        Where the points (one per engram size) run (see `spikemem.sweep`; default serially
        in this process).

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    out = Path(out)
    t0 = time.perf_counter()
    table = sweep(NAME, {"n": n, "k": list(ks), "max_patterns": max_patterns,
                         "n_tests": n_tests, "criterion": float(criterion),
                         "backend": backend}, [seed], client=client, out=out,
                  workers=workers, plots=False).table
    failed = table[table["status"] != "ok"]
    if len(failed):
        raise RuntimeError(f"{NAME}: {len(failed)} points failed; first: "
                           f"{failed['error'].iloc[0]}")
    rows = []
    for r in table.to_dict("records"):
        curve = json.loads((out / "points" / r["key"] / "curve.json").read_text())
        rows.append({"k": int(r["k"]), "f": r["f"], **curve, "capacity": int(r["capacity"]),
                     "reached_max": bool(r["reached_max"]), "simulated_ms": r["simulated_ms"],
                     "theory": {name[len("theory_"):]: r[name] for name in r
                                if name.startswith("theory_")},
                     "wall_s": round(r["wall_s"], 2)})
    summary = {"experiment": NAME, "seed": seed, "backend": backend, "n": n,
               "criterion": criterion, "n_tests": n_tests, "max_patterns": max_patterns,
               "hopfield": hopfield_capacity(n), "rows": rows,
               "wall_s": round(time.perf_counter() - t0, 2)}
    out.mkdir(parents=True, exist_ok=True)
    write_summary(out, summary)
    save_tree(out / "results.h5", "results", {
        "n": n, "ks": np.array(list(ks)), "capacity": np.array([r["capacity"] for r in rows]),
        "theory_this_network": np.array([r["theory"]["this_network"] for r in rows]),
        "curves": {str(r["k"]): {"loads": np.array(r["loads"]), "f1": np.array(r["f1"]),
                                 "exact": np.array(r["exact"])} for r in rows}})
    _plot(summary, out / "capacity.png")
    return summary


def _plot(summary: dict, path) -> None:
    n, rows = summary["n"], summary["rows"]
    fig = Figure(figsize=(11, 4.5))
    ax, ax2 = fig.subplots(1, 2)
    f = np.geomspace(min(r["f"] for r in rows) * 0.8, 0.5, 60)
    ks = np.maximum(2, np.round(f * n)).astype(int)
    ax.plot(f, [willshaw_capacity(n, int(k)) for k in ks], "-", color="C0",
            label="Willshaw, full cue")
    ax.plot(f, [willshaw_capacity(n, int(k), cue=max(1, int(k) // 2)) for k in ks], "--",
            color="C0", label="Willshaw, half cue")
    ax.plot(f, [sparse_covariance_capacity(n, x) for x in f], ":", color="C2",
            label="sparse covariance n/(2f|ln f|)")
    params = EngramParams(n=n)
    ax.plot(f, [relative_threshold_capacity(n, int(k), max(1, int(k) // 2), params.inhibition,
                                            params.threshold) for k in ks],
            "-", color="C3", alpha=0.6, label="this network (relative threshold)")
    ax.plot([0.5], [summary["hopfield"]], "s", color="C4", ms=8,
            label="Hopfield 0.138 n (dense +-1)")
    ax.axhline(summary["hopfield"], color="C4", lw=0.6, ls=":")
    ax.plot([r["f"] for r in rows], [max(r["capacity"], 0.5) for r in rows], "o", color="C3",
            ms=8, label="measured (spiking)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ticks = [x for x in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5) if f[0] <= x <= f[-1]]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FixedFormatter([f"{x:g}" for x in ticks]))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("coding level f = k / n")
    ax.set_ylabel("engrams stored (mean F1 >= %.2f)" % summary["criterion"])
    ax.set_title(f"Capacity, n = {n}, recall from half cues")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    for r in rows:
        ax2.plot(r["loads"], r["f1"], "o-", ms=3, label=f"k = {r['k']}")
    ax2.axhline(summary["criterion"], color="0.5", lw=0.8, ls="--")
    ax2.set_xscale("log")
    ax2.set_xlabel("stored engrams")
    ax2.set_ylabel("mean F1 of recalls from half cues")
    ax2.set_ylim(-0.03, 1.03)
    ax2.grid(alpha=0.3)
    ax2.legend(fontsize=7)
    save_figure(fig, path)


def main(argv=None) -> dict:
    parser = experiment_parser(NAME, __doc__)
    engram_size_arguments(parser, n=400)
    parser.add_argument("--ks", type=int, nargs="+", default=[8, 12, 20, 40, 80, 200],
                        help="engram sizes (default 8 12 20 40 80 200)")
    parser.add_argument("--max-patterns", type=int, default=1500)
    parser.add_argument("--tests", type=int, default=20, help="engrams recalled per load")
    parser.add_argument("--criterion", type=float, default=0.9)
    add_sweep_arguments(parser, seeds=False)
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, backend=args.backend, n=args.n, ks=args.ks,
            max_patterns=args.max_patterns, n_tests=args.tests, criterion=args.criterion,
            client=client_from_args(args), workers=args.workers)
    parts = ", ".join(f"k={r['k']}: {r['capacity']}{'+' if r['reached_max'] else ''} "
                      f"(theory {r['theory']['this_network']:.0f})" for r in s["rows"])
    return conclude(args, s, f"capacity at n={s['n']} -> {parts}; Hopfield {s['hopfield']:.0f}")


if __name__ == "__main__":
    main()
