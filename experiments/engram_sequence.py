"""Sequence recall: chains of engrams linked by STDP are recalled in order from their first item.

For each chain length and working-memory duration a fresh network stores background engrams
and several chains (``store_sequence``: each item presented as the previous one's activity
ends). Each chain is then cued with half of its first engram, without learning, and the order
in which engrams come up is compared with the chain: a chain is correct when its items appear
in order and nothing else intrudes before the chain ends or working memory runs out. Writes
``results.h5``, ``summary.json``, ``sequence.png`` (accuracy against length; one recall's
activity per item) and ``raster.png`` to ``--out``.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from spikemem.experiments._common import (conclude, engram_size_arguments, experiment_parser,
                                           write_summary)
from spikemem.io import save_tree
from spikemem.models.engram import EngramMemory, random_patterns
from spikemem.plotting import save_figure
from spikemem.progress import stages

__all__ = ["run", "main", "items_in_order"]

NAME = "engram_sequence"


def items_in_order(order: list, chain: list) -> int:
    """Number of leading chain items recalled in order before anything else comes up."""
    m = 0
    for engram in order:
        if m < len(chain) and engram == chain[m]:
            m += 1
        else:
            break
    return m


def run(*, seed: int = 0, out=f"results/{NAME}", backend: str = "numba", n: int = 400,
        k: int = 16, lengths=(2, 3, 4, 5, 6, 8), wm_ms=(20.0, 40.0), chains: int = 5,
        background: int = 20) -> dict:
    """Store chains and recall them from their first item.

    Parameters
    ----------
    seed : int
        Seed of the patterns and the partial cues.
    out : str or path
        Output folder.
    backend : str
        Backend (plain STDP network).
    n, k : int
        Cells and cells per engram.
    lengths : sequence of int
        Chain lengths (>= 2).
    wm_ms : sequence of float
        Working-memory durations to compare, ms.
    chains : int
        Chains per length.
    background : int
        Unlinked engrams stored first in each network.

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    out = Path(out)
    t0 = time.perf_counter()
    full = np.zeros((len(wm_ms), len(lengths)))
    items = np.zeros((len(wm_ms), len(lengths)))
    example = None
    for a, wm in enumerate(stages(wm_ms, NAME, describe=lambda w: f"wm {w} ms")):
        for b, length in enumerate(lengths):
            net = EngramMemory(n=n, k=k, backend=backend, seed=seed, wm_ms=wm,
                               stm_tau=math.inf, consolidate_after=None)
            pats = random_patterns(n, k, background + chains * length,
                                   seed=seed + 100 * length + int(wm))
            for p in pats[:background]:
                net.store(p)
            chain_patterns = [pats[background + c * length:background + (c + 1) * length]
                              for c in range(chains)]
            ids = [[r.index for r in net.store_sequence(p)] for p in chain_patterns]
            window = net.episode_ms + 4.0
            got = []
            for chain in ids:
                r = net.recall(engram=chain[0], fraction=0.5, learn=False, window=window)
                got.append(items_in_order(r.order, chain))
                if example is None and length == 4:
                    example = (net, r, chain)
            full[a, b] = np.mean([g == length for g in got])
            items[a, b] = np.mean(got) / length
    wall = time.perf_counter() - t0

    summary = {"experiment": NAME, "seed": seed, "backend": backend, "n": n, "k": k,
               "lengths": list(lengths), "wm_ms": list(wm_ms), "chains": chains,
               "background": background, "fraction_fully_in_order": full.round(4).tolist(),
               "fraction_of_items_in_order": items.round(4).tolist(),
               "wall_s": round(wall, 2)}
    out.mkdir(parents=True, exist_ok=True)
    save_tree(out / "results.h5", "results", {
        "lengths": np.array(list(lengths)), "wm_ms": np.array(list(wm_ms), float),
        "fully_in_order": full, "items_in_order": items})
    write_summary(out, summary)
    _plot(summary, example, out / "sequence.png")
    if example is not None:
        net, r, _ = example
        net.raster(out / "raster.png", t_range=(r.t_cue - 4.0, r.t_cue + r.duration + 4.0),
                   title="recall of a 4-engram chain from half of its first engram")
    return summary


def _plot(summary: dict, example, path) -> None:
    fig = Figure(figsize=(11, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    for a, wm in enumerate(summary["wm_ms"]):
        ax1.plot(summary["lengths"], summary["fraction_fully_in_order"][a], "o-",
                 color=f"C{a}", label=f"whole chain, WM {wm:g} ms")
        ax1.plot(summary["lengths"], summary["fraction_of_items_in_order"][a], "s--",
                 color=f"C{a}", alpha=0.6, label=f"items in order, WM {wm:g} ms")
    ax1.set_xlabel("chain length (engrams)")
    ax1.set_ylabel("fraction")
    ax1.set_ylim(-0.03, 1.03)
    ax1.grid(alpha=0.3)
    ax1.legend(fontsize=7)
    ax1.set_title("sequence recall from half of the first engram")
    if example is not None:
        net, r, chain = example
        for j, e in enumerate(chain):
            frac = r.active[:, net.engrams[e]].mean(axis=1)
            ax2.plot(r.cycle_times - r.t_cue, frac, "o-", ms=3, label=f"item {j + 1}")
        ax2.set_xlabel("time after the cue (ms)")
        ax2.set_ylabel("fraction of the item's cells active")
        ax2.set_ylim(-0.03, 1.03)
        ax2.grid(alpha=0.3)
        ax2.legend(fontsize=7)
        ax2.set_title("one recall of a 4-engram chain")
    save_figure(fig, path)


def main(argv=None) -> dict:
    parser = experiment_parser(NAME, __doc__)
    engram_size_arguments(parser, n=400, k=16)
    parser.add_argument("--chains", type=int, default=5, help="chains per length")
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, backend=args.backend, n=args.n, k=args.k,
            chains=args.chains)
    parts = "; ".join(
        f"WM {wm:g} ms: " + ", ".join(f"L={length} {s['fraction_fully_in_order'][a][b]:.2f}"
                                      for b, length in enumerate(s["lengths"]))
        for a, wm in enumerate(s["wm_ms"]))
    return conclude(args, s, f"chains fully recalled in order -> {parts}")


if __name__ == "__main__":
    main()
