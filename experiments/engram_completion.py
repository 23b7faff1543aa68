"""Engram completion: recall accuracy against the fraction of an engram given as the cue.

Random engrams (``k`` of ``n`` cells) are stored one by one in one engram network (plain STDP,
no decay); at each load a sample of them is cued with a random fraction of its cells, without
learning, and the recalled pattern is scored (hit rate, precision, F1, exact recalls). Writes
``results.h5``, ``summary.json``, ``completion.png``, ``raster.png`` (one recall from half an
engram) and the session's ``recording.h5`` to ``--out``.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from spikemem.experiments._common import experiment_parser, finish, write_summary
from spikemem.io import save_tree
from spikemem.models.engram import EngramNetwork, random_patterns
from spikemem.plotting import save_figure
from spikemem.progress import stages

__all__ = ["run", "main"]

NAME = "engram_completion"
FRACTIONS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)


def run(*, seed: int = 0, out=f"results/{NAME}", backend: str = "numba", n: int = 400,
        k: int = 20, loads=(20, 80, 140), fractions=FRACTIONS, n_tests: int = 20) -> dict:
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

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    out = Path(out)
    loads = sorted(int(x) for x in loads)
    t0 = time.perf_counter()
    net = EngramNetwork(n=n, k=k, backend=backend, seed=seed, stm_tau=math.inf,
                        consolidate_after=None)
    patterns = random_patterns(n, k, loads[-1], seed=seed)
    rng = np.random.default_rng(seed + 1)
    metrics = ("hit", "precision", "f1", "exact")
    curves = {m: np.zeros((len(loads), len(fractions))) for m in metrics}
    raster_window = None
    for a, load in enumerate(stages(loads, NAME, describe=lambda m: f"load {m}")):
        while len(net.engrams) < load:
            net.store(patterns[len(net.engrams)])
        sample = np.sort(rng.choice(load, min(n_tests, load), replace=False))
        for b, frac in enumerate(fractions):
            scores = net.evaluate(sample, fraction=frac)
            for m in metrics:
                curves[m][a, b] = np.mean([s[m] for s in scores])
        if raster_window is None:
            r = net.recall(engram=int(sample[0]), fraction=0.5, learn=False)
            raster_window = (r.t_cue - 6.0, r.t_cue + net.episode_ms + 4.0)
    wall = time.perf_counter() - t0

    out.mkdir(parents=True, exist_ok=True)
    net.recording.save(out / "recording.h5")
    save_tree(out / "results.h5", "results", {
        "loads": np.array(loads), "fractions": np.array(fractions, float),
        **{m: v for m, v in curves.items()}, "n": n, "k": k, "seed": seed})
    summary = {"experiment": NAME, "seed": seed, "backend": backend, "n": n, "k": k,
               "loads": loads, "fractions": list(fractions), "n_tests": n_tests,
               **{m: np.round(v, 4).tolist() for m, v in curves.items()},
               "simulated_ms": net.t, "wall_s": round(wall, 2)}
    write_summary(out, summary)
    _plot(loads, fractions, curves, n, k, out / "completion.png")
    net.raster(out / "raster.png", t_range=raster_window,
               title=f"recall from half of an engram (n={n}, k={k}, {loads[0]} stored)")
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
    parser.add_argument("--n", type=int, default=400, help="cells (default 400)")
    parser.add_argument("--k", type=int, default=20, help="cells per engram (default 20)")
    parser.add_argument("--loads", type=int, nargs="+", default=[20, 80, 140],
                        help="stored engrams at which to measure (default 20 80 140)")
    parser.add_argument("--tests", type=int, default=20, help="engrams tested per load")
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, backend=args.backend, n=args.n, k=args.k,
            loads=args.loads, n_tests=args.tests)
    half = s["fractions"].index(0.5)
    curve = ", ".join(f"{load}: F1 {s['f1'][a][half]:.3f} exact {s['exact'][a][half]:.2f}"
                      for a, load in enumerate(s["loads"]))
    print(f"{NAME}: recall from half an engram (n={s['n']}, k={s['k']}) by load -> {curve}; "
          f"{s['wall_s']} s; files in {args.out}")
    finish(args, s)
    return s


if __name__ == "__main__":
    main()
