"""Stress test of the CA3 memory: growing sizes, every operation at the maximum rate.

For each size n, an n-cue x n-bit memory learns n random memories (``density * n`` bits each,
at least 2; contents overlap at random), all at the published maximum rate (a learn every 7
steps); then recalls every memory by its cue and every memory by one of its bits (a recall
every 6 steps). Scores: per-bit precision/recall and exact fraction of the recalls by cue,
cue-set precision/recall and false cues of the recalls by content, latency, wall time and
synapse count. The sizes (x ``--seeds``) run through `spikemem.sweep` (`point` per size and
seed): serially here by default, on a local Dask cluster with ``--workers N`` or on a cluster
with ``--scheduler ADDRESS``. Writes ``summary.json``, ``summary.csv``, ``stress.png``, the
sweep's ``results.parquet`` and, per point, its recording (``points/<key>/recording.h5``; ``--keep none`` skips them).
"""
from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np

from spikemem.backends import BACKENDS
from spikemem.errors import ValidationError, check_in, check_int
from spikemem.experiments._common import experiment_parser, finish, write_json
from spikemem.io import atomic_path
from spikemem.models.ca3_cam import CA3Memory, Operation
from spikemem.models.ca3_metrics import summarise, trial_scores
from spikemem.sweep import add_sweep_arguments, client_from_args, sweep
from spikemem.sweep_grid import RESERVED_COLUMNS, check_seeds

__all__ = ["run", "run_size", "point", "warm", "check_params", "main", "POINT_DEFAULTS"]

NAME = "stress"
DEFAULT_SIZES = (10, 20, 50, 100, 200)
#: Parameters of one stress point (`point`): size n (n cues x n bits), bit density, idle
#: steps between operations (0 = the published maximum rate) and backend.
POINT_DEFAULTS = {"size": 10, "density": 0.05, "gap": 0, "backend": "numba"}
#: Which points' recordings `run` keeps (``points/<key>/recording.h5``): all or none.
KEEP = ("all", "none")


def random_memories(n_cues: int, n_bits: int, density: float, seed: int) -> dict:
    """``{cue: sorted bits}`` with ``max(2, round(density * n_bits))`` random bits each."""
    rng = np.random.default_rng(seed)
    k = min(n_bits, max(2, int(round(density * n_bits))))
    return {c: sorted(rng.choice(n_bits, k, replace=False).tolist()) for c in range(n_cues)}


def run_size(n_cues: int, n_bits: int, *, density: float = 0.05, seed: int = 0,
             backend: str = "numba", gap: int = 0, params=None, n_memories=None,
             **build_options) -> tuple:
    """Learn and recall memories in an ``n_cues`` x ``n_bits`` network, `gap` idle steps
    between operations (0 = the maximum rate); returns (row dict, memory).

    `n_memories` memories are learned (default `n_cues`: every cue; fewer keep a 10^4 x 10^4
    network's run short: each operation costs O(density * n_bits * n_cues) synaptic updates).
    `params` overrides the CA3 network's (`spikemem.models.ca3_network.DEFAULT_PARAMS`; e.g.
    ``{"record_weights": False}`` for 10^4 x 10^4); `build_options` go to `spikemem.build`
    (e.g. ``threads=2``, ``weight_dtype="float32"`` on numba).
    """
    memories = random_memories(n_cues, n_bits, density, seed)
    if n_memories is not None:
        memories = {c: memories[c] for c in range(min(int(n_memories), n_cues))}
    t0 = time.perf_counter()
    mem = CA3Memory(n_cues, n_bits, backend=backend, seed=seed, gap=gap, params=params,
                    **build_options)
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
    cues_of_bit = {}                        # bit -> cues whose memory holds it
    for c, bits in memories.items():
        for b in bits:
            cues_of_bit.setdefault(b, []).append(c)
    content_trials = [trial_scores({c: [0] for c in cues_of_bit[b]}, {c: [0] for c in r.cues},
                                   r.latency) for b, r in zip(probes, by_bit)]
    sc, sb = summarise(cue_trials), summarise(content_trials)
    row = {"cues": n_cues, "bits": n_bits, "bits_per_memory": len(memories[0]),
           "neurons": mem.network.n_neurons, "synapses": mem.network.n_synapses,
           "plastic_synapses": 2 * n_cues * n_bits, "steps": mem.step,
           "cue_exact": sc["exact_fraction"], "cue_precision": sc["precision"],
           "cue_recall": sc["recall"], "cue_latency": sc["latency_max"],
           "content_exact": sb["exact_fraction"], "content_precision": sb["precision"],
           "content_recall": sb["recall"], "false_cues": sb["false_cues"],
           "missed_cues": sb["missed_cues"], "content_latency": sb["latency_max"],
           "memories": len(memories),
           "wall_build_s": t_build, "wall_learn_s": t_learn, "wall_recall_s": t_recall,
           "wall_total_s": t_build + t_learn + t_recall}
    return row, mem


def point(params: dict, seed: int, out=None) -> dict:
    """One stress point: `run_size` at ``params["size"]`` (see `POINT_DEFAULTS`).

    Parameters
    ----------
    params : dict
        ``size`` (int >= 2), ``density`` (float in (0, 1]), ``gap`` (int >= 0 steps),
        ``backend`` (str).
    seed : int
        Seed of the memories and of the network.
    out : Path, optional
        If given, the session's recording is saved there as ``recording.h5``.

    Returns
    -------
    dict
        The row of `run_size` (scores, sizes, wall times in s).
    """
    row, mem = run_size(params["size"], params["size"], density=params["density"], seed=seed,
                        backend=params["backend"], gap=params["gap"])
    if out is not None:
        mem.recording.save(Path(out) / "recording.h5")
    return row


def warm() -> None:
    """Load (or compile) the engine's kernels: a 2 x 2 memory learns and recalls once."""
    point({**POINT_DEFAULTS, "size": 2}, 0)


def check_params(params: dict) -> None:
    """Raise ValidationError if a stress point's parameters are out of range."""
    check_int(NAME, "size", params["size"], minimum=2)
    if not 0.0 < params["density"] <= 1.0:
        raise ValidationError(f"{NAME}: density must lie in (0, 1], got {params['density']!r}")
    check_int(NAME, "gap", params["gap"], minimum=0)
    check_in(NAME, "backend", params["backend"], BACKENDS)


def run(*, seed: int = 0, out=f"results/{NAME}", backend: str = "numba",
        sizes=DEFAULT_SIZES, density: float = 0.05, gap: int = 0, seeds=None,
        client="serial", workers=None, recordings: str = "all") -> dict:
    """Run `point` for every n in `sizes` (n cues x n bits) and seed through `spikemem.sweep`.

    `seeds` (default ``[seed]``) are the sweep's seeds; `client` and `workers` are passed
    to `spikemem.sweep` (default: serially in this process); `recordings` (one of `KEEP`)
    says whether the points' recordings are saved. Returns the summary, whose ``rows`` are
    the points' metrics (sizes, then seeds).
    """
    check_in(NAME, "recordings", recordings, KEEP)
    out = Path(out)
    seeds = check_seeds([seed] if seeds is None else seeds)
    result = sweep(NAME, {"size": list(sizes), "density": density, "gap": gap,
                          "backend": backend}, seeds, client=client, out=out, workers=workers,
                   plots=len(seeds) > 1, artefacts=recordings == "all")
    failed = result.table[result.table["status"] != "ok"]
    if len(failed):
        raise RuntimeError(f"{NAME}: {len(failed)} points failed; first: "
                           f"{failed['error'].iloc[0]} (see {result.table_path})")
    keep = ["seed"] + [c for c in result.table.columns
                       if c not in POINT_DEFAULTS and c not in RESERVED_COLUMNS]
    rows = [{k: _plain(v) for k, v in r.items()}
            for r in result.table[keep].to_dict("records")]
    summary = {"experiment": NAME, "seed": seeds[0], "seeds": seeds, "backend": backend,
               "density": density, "gap": gap, "rows": rows}
    write_json(out / "summary.json", summary)
    with atomic_path(out / "summary.csv") as tmp:
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    _plot(rows, out / "stress.png")
    return summary


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _plot(rows, path) -> None:
    from matplotlib.figure import Figure

    from spikemem.plotting import save_figure
    n = sorted({r["cues"] for r in rows})

    def mean(key):  # over seeds
        return [np.mean([r[key] for r in rows if r["cues"] == size]) for size in n]

    fig = Figure(figsize=(10, 7))
    axes = fig.subplots(2, 2)
    ax = axes[0, 0]
    ax.plot(n, mean("cue_exact"), "o-", label="recall by cue: exact")
    ax.plot(n, mean("cue_precision"), "s--", label="by cue: bit precision")
    ax.plot(n, mean("content_exact"), "^-", label="by 1 bit: exact cue set")
    ax.plot(n, mean("content_recall"), "v--", label="by 1 bit: cue recall")
    ax.set_ylabel("fraction")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=7)
    ax = axes[0, 1]
    ax.plot(n, mean("false_cues"), "o-", label="false cues")
    ax.plot(n, mean("missed_cues"), "s-", label="missed cues")
    ax.set_ylabel("count (all recalls by content)")
    ax.legend(fontsize=7)
    ax = axes[1, 0]
    ax.plot(n, mean("wall_total_s"), "o-", label="total")
    ax.plot(n, mean("wall_build_s"), "s--", label="build")
    ax.set_ylabel("wall time (s)")
    ax.legend(fontsize=7)
    ax = axes[1, 1]
    ax.plot(n, mean("synapses"), "o-", label="all synapses")
    ax.plot(n, mean("plastic_synapses"), "s--", label="plastic")
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
    parser.add_argument("--keep", choices=KEEP, default="all",
                        help="save every point's recording (points/<key>/recording.h5) or none")
    add_sweep_arguments(parser)
    args = parser.parse_args(argv)
    sizes = [s for s in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if s <= args.max_size]
    if args.max_size not in sizes:
        sizes.append(args.max_size)
    summary = run(seed=args.seed, out=args.out, backend=args.backend, sizes=sizes,
                  density=args.density, gap=args.gap, seeds=args.seeds,
                  client=client_from_args(args), workers=args.workers, recordings=args.keep)
    for r in summary["rows"]:
        print(f"n={r['cues']:>5} seed {r['seed']}: by cue exact {r['cue_exact']:.3f} (bit precision "
              f"{r['cue_precision']:.3f}), by 1 bit exact {r['content_exact']:.3f}, false cues "
              f"{r['false_cues']}, missed {r['missed_cues']}, {r['synapses']} synapses, "
              f"{r['wall_total_s']:.2f} s")
    print(f"{NAME}: {len(sizes)} sizes up to n={sizes[-1]} x {len(summary['seeds'])} seeds; "
          f"files in {args.out}")
    finish(args, summary)
    return summary


if __name__ == "__main__":
    main()
