"""Lifetime of an unrehearsed engram against the short-term memory time constant ``stm_tau``.

For each ``stm_tau`` and seed, a fresh engram network (no consolidation) stores ``--background``
random engrams and then the probed engram; after a delay it is recalled from half of its cells
without learning. The lifetime is the longest delay after the probed engram's storage at which
that recall still succeeds (F1 >= ``--criterion``), found by bisection to ``tau / 2**steps``
(each probe is a fresh network with the same seed, so every probe sees the same engram and the
same half cue). The measured lifetimes are compared with the mean-field prediction
``stm_tau * ln(1 / (inhibition + 2 * threshold))`` (`EngramMemory.stm_lifetime`). With the
default ``stm_tau = inf`` nothing decays; the experiment also recalls the probed engram after
the longest delay of the grid with the default constructor. Writes ``results.h5``,
``summary.json``, ``summary.csv``, ``lifetime.png``, ``provenance.json`` and ``report.html``
to ``--out``.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from spikemem.errors import ValidationError
from spikemem.experiments._common import experiment_parser, finish, write_summary
from spikemem.io import save_tree
from spikemem.models.engram import EngramMemory, random_patterns
from spikemem.models.engram_network import EngramParams
from spikemem.plotting import save_figure
from spikemem.progress import stages

__all__ = ["run", "main", "recalls_after", "lifetime"]

NAME = "engram_lifetime"
TAUS = (250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)


def recalls_after(delay: float, *, stm_tau: float, n: int, k: int, background: int, seed: int,
                  backend: str) -> float:
    """F1 of the recall from half cues of an engram `delay` ms (>= 0) after its storage.

    A fresh network (seed `seed`) stores `background` engrams, then the probed one, waits
    `delay` ms and recalls the probed engram from half of its cells without learning.
    """
    mem = EngramMemory(n=n, k=k, backend=backend, seed=seed, stm_tau=stm_tau,
                       consolidate_after=None)
    patterns = random_patterns(n, k, background + 1, seed=seed)
    for p in patterns:
        mem.store(p)
    if delay > 0:
        mem.advance(delay)
    r = mem.recall(engram=background, fraction=0.5, learn=False)
    return r.score(patterns[-1])["f1"]


def lifetime(stm_tau: float, *, steps: int, criterion: float, **kwargs) -> float:
    """Longest delay (ms) after storage at which the recall from half cues still succeeds,
    by bisection over ``[0, stm_tau]`` to ``stm_tau / 2**steps`` (0 if it fails at once,
    `stm_tau` if it still succeeds after one time constant)."""
    if recalls_after(0.0, stm_tau=stm_tau, **kwargs) < criterion:
        return 0.0
    lo, hi = 0.0, float(stm_tau)
    if recalls_after(hi, stm_tau=stm_tau, **kwargs) >= criterion:
        return hi
    for _ in range(steps):
        mid = 2.0 * math.floor((lo + hi) / 4.0)       # whole cycles of 2 ms
        if mid <= lo or mid >= hi:
            break
        if recalls_after(mid, stm_tau=stm_tau, **kwargs) >= criterion:
            lo = mid
        else:
            hi = mid
    return lo


def run(*, seed: int = 0, out=f"results/{NAME}", backend: str = "numba", n: int = 200,
        k: int = 20, taus=TAUS, seeds: int = 3, background: int = 4, steps: int = 7,
        criterion: float = 0.9, check_default: bool = True) -> dict:
    """Measure engram lifetimes against ``stm_tau`` (see the module docstring).

    Parameters
    ----------
    seed : int
        First seed; seeds ``seed .. seed + seeds - 1`` are used.
    out : str or Path
        Output folder.
    backend : str
        Backend name.
    n, k : int
        Cells and engram size.
    taus : sequence of float
        ``stm_tau`` values, ms (each > 0 and finite).
    seeds : int
        Repetitions per ``stm_tau`` (>= 1).
    background : int
        Engrams stored before the probed one (>= 0).
    steps : int
        Bisection steps (>= 1).
    criterion : float
        F1 a recall must reach to count as successful, in (0, 1].
    check_default : bool
        Also recall with the default constructor after ``max(taus)`` ms.

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    taus = [float(t) for t in taus]
    if not taus or any(not (math.isfinite(t) and t > 0) for t in taus):
        raise ValidationError(f"{NAME}: taus must be finite numbers > 0 ms, got {taus!r}")
    for name, value, low in (("seeds", seeds, 1), ("background", background, 0),
                             ("steps", steps, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValidationError(f"{NAME}: {name} must be an integer >= {low}, got {value!r}")
    if not 0.0 < criterion <= 1.0:
        raise ValidationError(f"{NAME}: criterion must lie in (0, 1], got {criterion!r}")
    out = Path(out)
    t0 = time.perf_counter()
    common = dict(n=n, k=k, background=background, backend=backend)
    measured = np.zeros((len(taus), seeds))
    for a, tau in enumerate(stages(taus, NAME, describe=lambda t: f"stm_tau {t:g} ms")):
        for b in range(seeds):
            measured[a, b] = lifetime(tau, steps=steps, criterion=criterion, seed=seed + b,
                                      **common)
    predicted_fraction = EngramParams(n=n, k=k, stm_tau=1.0).stm_lifetime
    default_f1 = None
    if check_default:
        default_f1 = [recalls_after(max(taus), stm_tau=math.inf, seed=s, **common)
                      for s in range(seed, seed + seeds)]
    summary = {"experiment": NAME, "seed": seed, "backend": backend, "n": n, "k": k,
               "background": background, "criterion": criterion, "steps": steps,
               "stm_tau_ms": taus, "lifetime_ms": measured.round(3).tolist(),
               "lifetime_mean_ms": measured.mean(axis=1).round(3).tolist(),
               "lifetime_over_tau": (measured.mean(axis=1) / np.array(taus)).round(4).tolist(),
               "predicted_lifetime_over_tau": round(predicted_fraction, 4),
               "default_stm_tau": "inf",
               "default_recall_f1_after_ms": None if default_f1 is None else max(taus),
               "default_recall_f1": default_f1,
               "wall_s": round(time.perf_counter() - t0, 2)}
    out.mkdir(parents=True, exist_ok=True)
    write_summary(out, summary)
    save_tree(out / "results.h5", "results", {"stm_tau_ms": np.array(taus),
                                              "lifetime_ms": measured})
    _plot(summary, out / "lifetime.png")
    return summary


def _plot(summary: dict, path) -> None:
    taus = np.array(summary["stm_tau_ms"])
    life = np.array(summary["lifetime_ms"])
    fig = Figure(figsize=(6.5, 4.5))
    ax = fig.subplots()
    for b in range(life.shape[1]):
        ax.plot(taus / 1000, life[:, b] / 1000, "o", color="C3", alpha=0.5, ms=4,
                label="measured (each seed)" if b == 0 else None)
    ax.plot(taus / 1000, life.mean(axis=1) / 1000, "-", color="C3", label="measured (mean)")
    ax.plot(taus / 1000, summary["predicted_lifetime_over_tau"] * taus / 1000, "--",
            color="0.3", label=f"mean field: {summary['predicted_lifetime_over_tau']:.3f} "
                               "x stm_tau")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("stm_tau (s)")
    ax.set_ylabel("lifetime of an unrehearsed engram (s)")
    ax.set_title(f"Recall from half cues fails after (n = {summary['n']}, k = {summary['k']})")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    save_figure(fig, path)


def main(argv=None) -> int:
    parser = experiment_parser(NAME, __doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--taus", type=float, nargs="+", default=list(TAUS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--background", type=int, default=4)
    parser.add_argument("--steps", type=int, default=7)
    parser.add_argument("--criterion", type=float, default=0.9)
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, backend=args.backend, n=args.n, k=args.k,
            taus=args.taus, seeds=args.seeds, background=args.background, steps=args.steps,
            criterion=args.criterion)
    for tau, life in zip(s["stm_tau_ms"], s["lifetime_mean_ms"]):
        print(f"stm_tau {tau:8.0f} ms: lifetime {life:8.1f} ms = {life / tau:.3f} tau "
              f"(mean field {s['predicted_lifetime_over_tau']:.3f})")
    print(f"default (stm_tau = inf): recall F1 after {s['default_recall_f1_after_ms']:.0f} ms "
          f"= {s['default_recall_f1']}")
    print(f"results in {args.out}")
    finish(args, s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
