"""Interference between overlapping engrams: when recalling one brings up the other.

Two engrams A and B of ``k`` cells share ``overlap`` cells. A is stored, recalled from half of
its cells (without learning), then B is stored and both are recalled from half cues. Swept
over the overlap (several random placements each): the fraction of B's own cells that intrude
into the recall of A, the precision of A's recall, and whether storing B changed A's recall
(retroactive interference). Global inhibition predicts that B's cells join a complete A once
``overlap >= (inhibition + threshold) * k``. Writes ``results.h5``, ``summary.json``,
``interference.png`` and ``raster.png`` (a merged recall) to ``--out``.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from spikemem.errors import ValidationError
from spikemem.experiments._common import (conclude, engram_size_arguments, experiment_parser,
                                           write_summary)
from spikemem.io import save_tree
from spikemem.models.engram import EngramMemory
from spikemem.models.engram_network import EngramParams
from spikemem.plotting import save_figure
from spikemem.progress import stages

__all__ = ["run", "main", "overlapping_pair"]

NAME = "engram_interference"


def overlapping_pair(n: int, k: int, overlap: int, seed: int):
    """Two random `k`-cell engrams among `n` cells sharing exactly `overlap` cells (seeded)."""
    if not 0 <= overlap <= k or 2 * k - overlap > n:
        raise ValidationError(f"overlapping_pair: need 0 <= overlap <= k and 2k - overlap <= n, got "
                         f"n={n}, k={k}, overlap={overlap}")
    cells = np.random.default_rng(seed).permutation(n)
    a = np.sort(cells[:k])
    b = np.sort(np.concatenate([cells[:overlap], cells[k:2 * k - overlap]]))
    return a, b


def run(*, seed: int = 0, out=f"results/{NAME}", backend: str = "numba", n: int = 200,
        k: int = 20, overlaps=None, repeats: int = 8) -> dict:
    """Sweep the overlap between two engrams.

    Parameters
    ----------
    seed : int
        Seed of the cell placements and the partial cues.
    out : str or path
        Output folder.
    backend : str
        Backend (plain STDP network).
    n, k : int
        Cells and cells per engram.
    overlaps : sequence of int, optional
        Shared cells (default 0, 2, ..., k - 2).
    repeats : int
        Random placements per overlap.

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    out = Path(out)
    overlaps = list(range(0, k - 1, 2)) if overlaps is None else [int(o) for o in overlaps]
    t0 = time.perf_counter()
    keys = ("intrusion_into_a", "precision_a", "hit_a", "precision_b", "hit_b",
            "a_before_b_f1", "a_changed_by_b")
    res = {key: np.zeros((len(overlaps), repeats)) for key in keys}
    example = None
    for i, overlap in enumerate(stages(overlaps, NAME, describe=lambda o: f"overlap {o}")):
        for rep in range(repeats):
            a, b = overlapping_pair(n, k, overlap, seed=seed + 1000 * overlap + rep)
            b_own = np.setdiff1d(b, a)
            net = EngramMemory(n=n, k=k, backend=backend, seed=seed + rep,
                               stm_tau=math.inf, consolidate_after=None)
            net.store(a)
            before = net.recall(engram=0, fraction=0.5, learn=False)
            net.store(b)
            after = net.recall(before.cue, learn=False)
            rb = net.recall(engram=1, fraction=0.5, learn=False)
            res["intrusion_into_a"][i, rep] = (np.intersect1d(after.cells, b_own).size
                                               / max(1, b_own.size))
            res["precision_a"][i, rep] = after.score(a)["precision"]
            res["hit_a"][i, rep] = after.score(a)["hit"]
            res["precision_b"][i, rep] = rb.score(b)["precision"]
            res["hit_b"][i, rep] = rb.score(b)["hit"]
            res["a_before_b_f1"][i, rep] = before.score(a)["f1"]
            res["a_changed_by_b"][i, rep] = float(not np.array_equal(before.cells, after.cells))
            if example is None and after.score(np.union1d(a, b))["exact"]:
                example = (net, after, overlap)
    wall = time.perf_counter() - t0

    params = EngramParams(n=n, k=k)
    predicted = (params.inhibition + params.threshold) * k
    means = {key: v.mean(axis=1).round(4).tolist() for key, v in res.items()}
    summary = {"experiment": NAME, "seed": seed, "backend": backend, "n": n, "k": k,
               "overlaps": overlaps, "repeats": repeats, "predicted_merge_overlap": predicted,
               **means, "wall_s": round(wall, 2)}
    out.mkdir(parents=True, exist_ok=True)
    save_tree(out / "results.h5", "results", {"overlaps": np.array(overlaps), **res,
                                               "predicted_merge_overlap": predicted})
    write_summary(out, summary)
    _plot(summary, out / "interference.png")
    if example is not None:
        net, r, overlap = example
        net.raster(out / "raster.png", t_range=(r.t_cue - 4.0, r.t_cue + r.duration + 4.0),
                   title=f"A and B share {overlap} of {k} cells: half of A recalls A and B")
    return summary


def _plot(summary: dict, path) -> None:
    fig = Figure(figsize=(7, 4.2))
    ax = fig.subplots()
    o = np.array(summary["overlaps"]) / summary["k"]
    ax.plot(o, summary["intrusion_into_a"], "o-", label="B's own cells in the recall of A")
    ax.plot(o, summary["precision_a"], "s-", label="precision of the recall of A")
    ax.plot(o, summary["hit_a"], "^:", label="A's cells recalled")
    ax.plot(o, summary["a_changed_by_b"], "x--", label="storing B changed A's recall")
    ax.axvline(summary["predicted_merge_overlap"] / summary["k"], color="0.5", ls=":")
    ax.text(summary["predicted_merge_overlap"] / summary["k"], 0.45,
            " (inhibition + threshold) k", fontsize=7, color="0.4")
    ax.set_xlabel("overlap between A and B (fraction of k)")
    ax.set_ylabel("fraction")
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(f"Interference between two engrams (n = {summary['n']}, k = {summary['k']})")
    save_figure(fig, path)


def main(argv=None) -> dict:
    parser = experiment_parser(NAME, __doc__)
    engram_size_arguments(parser, n=200, k=20)
    parser.add_argument("--repeats", type=int, default=8, help="placements per overlap")
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, backend=args.backend, n=args.n, k=args.k,
            repeats=args.repeats)
    merged = [o for o, x in zip(s["overlaps"], s["intrusion_into_a"]) if x > 0.5]
    return conclude(args, s, f"B intrudes into A's recall from overlap "
                             f"{merged[0] if merged else 'none'} of {s['k']} "
                             f"(predicted {s['predicted_merge_overlap']:.0f})")


if __name__ == "__main__":
    main()
