"""Benchmark: a 1000-cue x 1000-bit CA3 memory learns and recalls 1000 memories.

Every memory is learned at the maximum rate (7 steps per learn), then recalled by its cue and
by one of its bits (6 steps per recall): 19 000 simulated steps, 2 x 10^6 plastic synapses.
Runs on numba and, if the Brian2 backend is available, on Brian2 (its time is given as a ratio
to numba's). Prints a table (wall times and the peak resident memory of the process) and
writes a CSV.

At scale, e.g. 10 000 x 10 000 (2 x 10^8 plastic and 3 x 10^8 static synapses; every one of
the 10 000 memories, 190 017 steps: about 20 minutes and 14 GB on two cores)::

    python benchmarks/ca3_stress.py --cues 10000 --bits 10000 --backends numba \
        --no-record-weights --threads 2 --weight-dtype float32 \
        --out benchmarks/out/ca3_stress_10k_all.csv
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
from pathlib import Path

from nest_peer import peak_rss_mb
from spikemem.backends import available
from spikemem.io import atomic_path

FIELDS = ["backend", "cues", "bits", "memories", "synapses", "plastic_synapses", "steps",
          "wall_build_s", "wall_learn_s", "wall_recall_s", "wall_total_s", "ratio_to_numba",
          "peak_rss_mb", "cue_exact", "content_exact", "false_cues", "missed_cues"]


def _run_size():
    path = Path(__file__).resolve().parents[1] / "experiments" / "stress.py"
    if importlib.util.find_spec("spikemem.experiments.stress") is not None:
        from spikemem.experiments.stress import run_size
        return run_size
    spec = importlib.util.spec_from_file_location("stress", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.run_size


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cues", type=int, default=1000)
    parser.add_argument("--bits", type=int, default=1000)
    parser.add_argument("--density", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memories", type=int, default=None,
                        help="memories to learn and recall (default: one per cue)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of the numba engine (default: every core)")
    parser.add_argument("--weight-dtype", default="float64", choices=["float64", "float32"],
                        help="weight precision of the numba engine")
    parser.add_argument("--no-record-weights", action="store_true",
                        help="no weight snapshots in the recording (needed at 10^4 x 10^4)")
    parser.add_argument("--backends", nargs="+", default=["numba", "brian2"])
    parser.add_argument("--out", default="benchmarks/out/ca3_stress.csv")
    args = parser.parse_args(argv)
    run_size = _run_size()
    run_size(5, 10, seed=args.seed)              # compile / load the numba kernels
    rows = []
    for backend in args.backends:
        if backend not in available():
            print(f"{backend}: not available here, skipped")
            continue
        try:
            options = ({"threads": args.threads, "weight_dtype": args.weight_dtype,
                        "progress": False} if backend == "numba" else {})
            params = {"record_weights": False} if args.no_record_weights else None
            row, _ = run_size(args.cues, args.bits, density=args.density, seed=args.seed,
                              backend=backend, params=params, n_memories=args.memories,
                              **options)
        except Exception as exc:                 # a backend under construction: report it
            print(f"{backend}: failed ({type(exc).__name__}: {exc})")
            continue
        row["backend"] = backend
        row["peak_rss_mb"] = peak_rss_mb()
        rows.append(row)
    base = next((r["wall_total_s"] for r in rows if r["backend"] == "numba"), None)
    for r in rows:
        r["ratio_to_numba"] = r["wall_total_s"] / base if base else None
    print(f"{'backend':<8} {'synapses':>10} {'steps':>6} {'build s':>8} {'learn s':>8} "
          f"{'recall s':>8} {'total s':>8} {'x numba':>7} {'peak MB':>8} {'cue exact':>9}")
    for r in rows:
        ratio = f"{r['ratio_to_numba']:.2f}" if r["ratio_to_numba"] is not None else "-"
        print(f"{r['backend']:<8} {r['synapses']:>10} {r['steps']:>6} {r['wall_build_s']:>8.2f} "
              f"{r['wall_learn_s']:>8.2f} {r['wall_recall_s']:>8.2f} {r['wall_total_s']:>8.2f} "
              f"{ratio:>7} {r['peak_rss_mb']:>8.0f} {r['cue_exact']:>9.3f}")
    out = Path(args.out)
    with atomic_path(out) as tmp:
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
            w.writeheader()
            w.writerows(rows)
    print(f"ca3_stress: wrote {out}")
    return rows


if __name__ == "__main__":
    main()
