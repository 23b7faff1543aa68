"""Engram consolidation and forgetting over time: rehearsed engrams survive, others fade.

Engrams are stored in a network whose engram synapses decay (short-term memory, ``stm_tau``)
and consolidate into stable long-term weights after ``consolidate_after`` reactivations
(storage counts as one). Engram by engram: it is stored, replayed a number of times right
after storage (one group of engrams per number), and recalled from half cues, without
learning, at growing delays after its last replay; then the next engram is stored (earlier
engrams stay in the network, forgotten or consolidated). Writes ``results.h5``, ``summary.json``, ``consolidation.png`` (recall and
short-/long-term weights against time, per group), ``raster.png`` (the last test) and the
session's ``recording.h5`` to ``--out``.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter

from spikemem.experiments._common import (conclude, engram_size_arguments, experiment_parser,
                                           write_summary)
from spikemem.io import save_tree
from spikemem.models.engram import EngramMemory, random_patterns
from spikemem.plotting import save_figure
from spikemem.progress import stages

__all__ = ["run", "main"]

NAME = "engram_consolidation"
DELAYS = (0.0, 100.0, 200.0, 300.0, 400.0, 500.0, 750.0, 1000.0, 2000.0, 4000.0, 8000.0)


def run(*, seed: int = 0, out=f"results/{NAME}", backend: str = "numba", n: int = 200,
        k: int = 20, rehearsals=(0, 1, 2, 4), per_group: int = 3, stm_tau: float = 2000.0,
        consolidate_after: int = 3, delays=DELAYS) -> dict:
    """Store, rehearse, wait and test.

    Parameters
    ----------
    seed : int
        Seed of the patterns and the partial cues.
    out : str or path
        Output folder.
    backend : str
        Backend; it must run `ConsolidatingSTDP` (the Numba engine).
    n, k : int
        Cells and cells per engram.
    rehearsals : sequence of int
        Replays right after storage, one group of engrams per value.
    per_group : int
        Engrams per group.
    stm_tau : float
        Decay time constant of the short-term weights, ms.
    consolidate_after : int
        Reactivations (storage included) that consolidate an engram.
    delays : sequence of float
        Test times after an engram's last replay, ms (increasing, >= 0).

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    out = Path(out)
    t0 = time.perf_counter()
    net = EngramMemory(n=n, k=k, backend=backend, seed=seed, stm_tau=stm_tau,
                       consolidate_after=consolidate_after)
    patterns = random_patterns(n, k, per_group * len(rehearsals), seed=seed)
    group_of = np.arange(len(patterns)) % len(rehearsals)   # groups interleaved
    recalled = np.zeros((len(delays), len(patterns)))
    fast = np.zeros((len(delays), len(patterns)))
    slow = np.zeros((len(delays), len(patterns)))
    for i, pattern in enumerate(stages(patterns, NAME, describe=lambda _: "engram")):
        net.store(pattern)
        for _ in range(rehearsals[group_of[i]]):
            net.rehearse(i)
        t_learned = net.t
        for a, delay in enumerate(delays):
            if t_learned + delay > net.t:
                net.advance(t_learned + delay - net.t)
            fast[a, i] = net.engram_weight(i, "fast") / net.layout.w_max
            slow[a, i] = net.engram_weight(i, "slow") / net.layout.w_max
            recalled[a, i] = net.evaluate([i], fraction=0.5)[0]["f1"]
    t_last = net.t
    net.recall(engram=int(np.flatnonzero(group_of == len(rehearsals) - 1)[0]), learn=False)
    net.recall(engram=int(np.flatnonzero(group_of == 0)[0]), learn=False)
    wall = time.perf_counter() - t0

    by_group = {str(r): {"recall_f1": recalled[:, group_of == g].mean(axis=1).round(4).tolist(),
                         "fast": fast[:, group_of == g].mean(axis=1).round(4).tolist(),
                         "slow": slow[:, group_of == g].mean(axis=1).round(4).tolist()}
                for g, r in enumerate(rehearsals)}
    summary = {"experiment": NAME, "seed": seed, "backend": backend, "n": n, "k": k,
               "stm_tau_ms": stm_tau, "consolidate_after": consolidate_after,
               "stm_lifetime_ms": round(net.stm_lifetime, 1), "delays_ms": list(delays),
               "rehearsals": list(rehearsals),
               "per_group": per_group, "by_rehearsals": by_group,
               "simulated_ms": net.t, "wall_s": round(wall, 2)}
    out.mkdir(parents=True, exist_ok=True)
    net.recording.save(out / "recording.h5")
    save_tree(out / "results.h5", "results", {
        "delays": np.array(delays, float), "group": group_of,
        "rehearsals": np.array(list(rehearsals)), "recall_f1": recalled,
        "fast_weight": fast, "slow_weight": slow, "w_max": net.layout.w_max})
    write_summary(out, summary)
    _plot(summary, out / "consolidation.png")
    net.raster(out / "raster.png", t_range=(t_last - 2.0, net.t),
               title="at the end: a consolidated engram, then one never replayed")
    return summary


def _plot(summary: dict, path) -> None:
    fig = Figure(figsize=(11, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    d = np.array(summary["delays_ms"]) / 1000.0
    for j, (r, g) in enumerate(summary["by_rehearsals"].items()):
        label = f"{r} replays ({int(r) + 1} reactivations)"
        ax1.plot(d, g["recall_f1"], "o-", color=f"C{j}", label=label)
        ax2.plot(d, g["fast"], "o--", color=f"C{j}", label=f"{r} replays: short-term")
        ax2.plot(d, g["slow"], "s-", color=f"C{j}", label=f"{r} replays: long-term")
    lifetime = summary["stm_lifetime_ms"] / 1000.0
    ax1.axvline(lifetime, color="0.5", ls=":", lw=1)
    ax1.text(lifetime, 0.5, " STM lifetime\n (half cue)", fontsize=7, color="0.4")
    ax1.set_ylabel("mean F1 of recalls from half cues")
    ax1.set_ylim(-0.03, 1.03)
    ax2.set_ylabel("mean weight inside the engram / w_max")
    for ax in (ax1, ax2):
        ax.set_xlabel("time after the last replay (s)")
        ax.set_xscale("symlog", linthresh=1.0, linscale=1.5)
        ax.set_xlim(0.0, d[-1] * 1.1)
        ticks = [x for x in (0, 0.25, 0.5, 0.75, 1, 2, 4, 8, 16, 32) if x <= d[-1] * 1.1]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FixedFormatter([f"{x:g}" for x in ticks]))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"Consolidation by replay (stm_tau = {summary['stm_tau_ms'] / 1000:g} s, "
                 f"consolidates after {summary['consolidate_after']} reactivations)")
    save_figure(fig, path)


def main(argv=None) -> dict:
    parser = experiment_parser(NAME, __doc__)
    engram_size_arguments(parser, n=200, k=20)
    parser.add_argument("--stm-tau", type=float, default=2000.0,
                        help="short-term weight decay time constant, ms (default 2000)")
    parser.add_argument("--consolidate-after", type=int, default=3)
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, backend=args.backend, n=args.n, k=args.k,
            stm_tau=args.stm_tau, consolidate_after=args.consolidate_after)
    last = ", ".join(f"{r} replays: F1 {g['recall_f1'][-1]:.2f}"
                     for r, g in s["by_rehearsals"].items())
    return conclude(args, s, f"{s['delays_ms'][-1] / 1000:g} s after the last replay -> {last}")


if __name__ == "__main__":
    main()
