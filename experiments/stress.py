"""Stress test of the CA3 memory: growing sizes, every operation at the maximum rate.

For each size n, an n-cue x n-bit memory learns n random memories (``density * n`` bits each,
at least 2; contents overlap at random), all at the published maximum rate (a learn every 7
steps); then recalls every memory by its cue and every memory by one of its bits (a recall
every 6 steps). Scores: per-bit precision/recall and exact fraction of the recalls by cue,
cue-set precision/recall and false cues of the recalls by content, latency, wall time and
synapse count. Writes ``summary.json``, ``summary.csv``, ``stress.png`` and the recordings
(``recording_n<size>.h5``) that ``--keep`` asks for: the smallest size (default), all or none.
"""
from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np

from spikemem.errors import ValidationError
from spikemem.experiments._common import experiment_parser, finish, write_json
from spikemem.io import atomic_path
from spikemem.models.ca3_cam import CA3Memory, Operation
from spikemem.models.ca3_metrics import summarise, trial_scores
from spikemem.progress import stages

__all__ = ["run", "run_size", "main"]

NAME = "stress"
DEFAULT_SIZES = (10, 20, 50, 100, 200)
#: Which recordings `run` saves: the smallest size's, every size's, or none.
KEEP = ("smallest", "all", "none")


def random_memories(n_cues: int, n_bits: int, density: float, seed: int) -> dict:
    """``{cue: sorted bits}`` with ``max(2, round(density * n_bits))`` random bits each."""
    rng = np.random.default_rng(seed)
    k = min(n_bits, max(2, int(round(density * n_bits))))
    return {c: sorted(rng.choice(n_bits, k, replace=False).tolist()) for c in range(n_cues)}


def run_size(n_cues: int, n_bits: int, *, density: float = 0.05, seed: int = 0,
             backend: str = "numba", gap: int = 0) -> tuple:
    """Learn and recall ``n_cues`` memories, `gap` idle steps between operations (0 = the
    maximum rate); returns (row dict, memory)."""
    memories = random_memories(n_cues, n_bits, density, seed)
    t0 = time.perf_counter()
    mem = CA3Memory(n_cues, n_bits, backend=backend, seed=seed, gap=gap)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    mem.learn_many(memories)
    t_learn = time.perf_counter() - t0
    t0 = time.perf_counter()
    by_cue = mem.run([Operation.recall_cue(c) for c in memories])
    probes = [memories[c][0] for c in memories]
    by_bit = mem.run([Operation.recall_content([b]) for b in probes])
    t_recall = time.perf_counter() - t0
    cue_trials = [trial_scores({c: memories[c]}, {c: list(r.bits)} if r.bits else {},
                               r.latency) for c, r in zip(memories, by_cue)]
    content_trials = []
    for b, r in zip(probes, by_bit):
        exp = {c: [0] for c, bits in memories.items() if b in bits}
        content_trials.append(trial_scores(exp, {c: [0] for c in r.cues}, r.latency))
    sc, sb = summarise(cue_trials), summarise(content_trials)
    row = {"cues": n_cues, "bits": n_bits, "bits_per_memory": len(memories[0]),
           "neurons": mem.network.n_neurons, "synapses": mem.network.n_synapses,
           "plastic_synapses": 2 * n_cues * n_bits, "steps": mem.step,
           "cue_exact": sc["exact_fraction"], "cue_precision": sc["precision"],
           "cue_recall": sc["recall"], "cue_latency": sc["latency_max"],
           "content_exact": sb["exact_fraction"], "content_precision": sb["precision"],
           "content_recall": sb["recall"], "false_cues": sb["false_cues"],
           "missed_cues": sb["missed_cues"], "content_latency": sb["latency_max"],
           "wall_build_s": t_build, "wall_learn_s": t_learn, "wall_recall_s": t_recall,
           "wall_total_s": t_build + t_learn + t_recall}
    return row, mem


def run(*, seed: int = 0, out=f"results/{NAME}", backend: str = "numba",
        sizes=DEFAULT_SIZES, density: float = 0.05, gap: int = 0,
        keep: str = "smallest") -> dict:
    """Run `run_size` for every n in `sizes` (n cues x n bits), saving the recordings `keep`
    names (one of `KEEP`); returns the summary."""
    if keep not in KEEP:
        raise ValidationError(f"stress: keep must be one of {KEEP}, got {keep!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for k, n in enumerate(stages(sizes, NAME, describe=lambda n: f"n={n}")):
        row, mem = run_size(n, n, density=density, seed=seed + k, backend=backend, gap=gap)
        rows.append(row)
        if keep == "all" or (keep == "smallest" and k == 0):
            mem.recording.save(out / f"recording_n{n}.h5")
    summary = {"experiment": NAME, "seed": seed, "backend": backend, "density": density,
               "gap": gap, "rows": rows}
    write_json(out / "summary.json", summary)
    with atomic_path(out / "summary.csv") as tmp:
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    _plot(rows, out / "stress.png")
    return summary


def _plot(rows, path) -> None:
    from matplotlib.figure import Figure

    from spikemem.plotting import save_figure
    n = [r["cues"] for r in rows]
    fig = Figure(figsize=(10, 7))
    axes = fig.subplots(2, 2)
    ax = axes[0, 0]
    ax.plot(n, [r["cue_exact"] for r in rows], "o-", label="recall by cue: exact")
    ax.plot(n, [r["cue_precision"] for r in rows], "s--", label="by cue: bit precision")
    ax.plot(n, [r["content_exact"] for r in rows], "^-", label="by 1 bit: exact cue set")
    ax.plot(n, [r["content_recall"] for r in rows], "v--", label="by 1 bit: cue recall")
    ax.set_ylabel("fraction")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    ax.plot(n, [r["false_cues"] for r in rows], "o-", label="false cues")
    ax.plot(n, [r["missed_cues"] for r in rows], "s-", label="missed cues")
    ax.set_ylabel("count (all recalls by content)")
    ax.legend(fontsize=7)
    ax = axes[1, 0]
    ax.plot(n, [r["wall_total_s"] for r in rows], "o-", label="total")
    ax.plot(n, [r["wall_build_s"] for r in rows], "s--", label="build")
    ax.set_ylabel("wall time (s)")
    ax.legend(fontsize=7)
    ax = axes[1, 1]
    ax.plot(n, [r["synapses"] for r in rows], "o-", label="all synapses")
    ax.plot(n, [r["plastic_synapses"] for r in rows], "s--", label="plastic")
    ax.set_ylabel("synapses")
    ax.legend(fontsize=7)
    for a in axes.ravel():
        a.set_xscale("log")
        a.set_xlabel("memory size n (n cues x n bits)")
    for a in axes[1]:
        a.set_yscale("log")
    fig.suptitle("CA3 memory stress test: n memories learned and recalled at the maximum rate")
    fig.tight_layout()
    save_figure(fig, path)


def main(argv=None) -> dict:
    parser = experiment_parser(NAME, __doc__)
    parser.add_argument("--max-size", type=int, default=max(DEFAULT_SIZES),
                        help="largest n (n cues x n bits); sizes double up to it from 10")
    parser.add_argument("--density", type=float, default=0.05,
                        help="fraction of bits active per memory (at least 2)")
    parser.add_argument("--gap", type=int, default=0,
                        help="idle steps between operations (0 = the published maximum rate)")
    parser.add_argument("--keep", choices=KEEP, default="smallest",
                        help="which sizes' recordings (recording_n<size>.h5) to save")
    args = parser.parse_args(argv)
    sizes = [s for s in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if s <= args.max_size]
    if args.max_size not in sizes:
        sizes.append(args.max_size)
    summary = run(seed=args.seed, out=args.out, backend=args.backend, sizes=sizes,
                  density=args.density, gap=args.gap, keep=args.keep)
    for r in summary["rows"]:
        print(f"n={r['cues']:>5}: by cue exact {r['cue_exact']:.3f} (bit precision "
              f"{r['cue_precision']:.3f}), by 1 bit exact {r['content_exact']:.3f}, false cues "
              f"{r['false_cues']}, missed {r['missed_cues']}, {r['synapses']} synapses, "
              f"{r['wall_total_s']:.2f} s")
    print(f"{NAME}: {len(summary['rows'])} sizes up to n={sizes[-1]}; files in {args.out}")
    finish(args, summary)
    return summary


if __name__ == "__main__":
    main()
