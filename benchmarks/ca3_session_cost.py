"""Cost per operation of a long CA3 session (issue 12, case 10): does it grow with history?

Runs one `CA3Memory` session of learn / recall-by-cue operations and reports the mean wall
time per operation (ms) over the 200 operations before each checkpoint (1k, 3k, 12k
operations by default). Usage::

    python benchmarks/ca3_session_cost.py [--ops 1000 3000 12000] [--out out.csv]
"""
from __future__ import annotations

import argparse
import csv
import sys
import time

import numpy as np


def measure(checkpoints, cues=20, bits=40, seed=0, window=200):
    from spikemem.models.ca3_cam import CA3Memory
    rng = np.random.default_rng(seed)
    mem = CA3Memory(cues=cues, bits=bits, backend="numba", seed=seed, progress=False)
    for c in range(cues):
        mem.learn(c, sorted(rng.choice(bits, 4, replace=False).tolist()))
    out, stamps = [], []
    n_total = max(checkpoints)
    for k in range(1, n_total + 1):
        t0 = time.perf_counter()
        mem.recall(cue=int(rng.integers(cues)))
        stamps.append(time.perf_counter() - t0)
        if k in checkpoints:
            out.append({"operations": k, "ms_per_op": 1e3 * float(np.mean(stamps[-window:])),
                        "spikes": mem.recording.n_spikes()})
            print(f"{k:6d} operations: {out[-1]['ms_per_op']:.2f} ms/op "
                  f"({out[-1]['spikes']} spikes recorded)", flush=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, nargs="+", default=[1000, 3000, 12000])
    parser.add_argument("--out", default=None, help="CSV file")
    args = parser.parse_args(argv)
    rows = measure(set(args.ops))
    if args.out:
        from spikemem.io import atomic_path
        with atomic_path(args.out, ".csv") as tmp, open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
