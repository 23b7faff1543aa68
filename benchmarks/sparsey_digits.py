"""Benchmark: Sparsey learning and recall speed on all 1797 scikit-learn digits, one core.

Times, for the mac used by ``experiments/sdr_digits.py``: the first ``learn_batch`` call of the
process (Numba compilation, or loading its on-disk cache), then the median over ``--repeats``
fresh macs of learning all 1797 binarised digits in one pass, and of encoding them again
without learning. Reports time per item and weight reads per second (each item reads
``a * Q * K`` binary weights, ``a`` = active inputs), to compare with the ~1e9-1e10 reads/s a
core can stream. Writes ``sparsey_digits.json`` to ``--out`` and prints a table.

    python benchmarks/sparsey_digits.py [--repeats 7] [--out benchmarks/out]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from spikemem.io import atomic_path
from spikemem.models.sparsey import SparseyMac
from spikemem.sdr import RandomProjectionEncoder

N_BITS, K_ACTIVE, Q, K = 8192, 32, 32, 64
SIGMOID = {"sigmoid_height": 1e6, "sigmoid_steepness": 30.0, "sigmoid_inflection": 0.5}


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", default="benchmarks/out")
    args = parser.parse_args(argv)

    images = load_digits().data
    X = RandomProjectionEncoder(64, N_BITS, k=K_ACTIVE, seed=0).fit(images).encode_batch(images)
    first_call = _timed(lambda: SparseyMac(N_BITS, Q, K, **SIGMOID).learn_batch(X[:2]))
    learn, encode = [], []
    for r in range(args.repeats):
        mac = SparseyMac(N_BITS, Q, K, seed=r, **SIGMOID)
        learn.append(_timed(lambda: mac.learn_batch(X)))
        encode.append(_timed(lambda: mac.encode_batch(X)))
    n = X.shape[0]
    reads = n * K_ACTIVE * Q * K
    result = {
        "benchmark": "sparsey_digits", "items": n, "n_inputs": N_BITS, "active_inputs": K_ACTIVE,
        "Q": Q, "K": K, "weights": N_BITS * Q * K, "repeats": args.repeats,
        "first_call_s": first_call,
        "learn_all_s_median": float(np.median(learn)), "learn_all_s_min": float(min(learn)),
        "encode_all_s_median": float(np.median(encode)),
        "learn_us_per_item": float(np.median(learn)) / n * 1e6,
        "learn_weight_reads_per_s": reads / float(np.median(learn)),
        "machine": {"python": platform.python_version(), "cpu": platform.processor(),
                    "cores": os.cpu_count()},
    }
    out = Path(args.out) / "sparsey_digits.json"
    with atomic_path(out) as tmp:
        tmp.write_text(json.dumps(result, indent=2))
    print(f"Sparsey mac {N_BITS} inputs -> Q={Q} x K={K}, {n} digits, {args.repeats} repeats")
    print(f"  first call (compile or cache load)  {first_call:8.3f} s")
    print(f"  learn all, median / min              {result['learn_all_s_median'] * 1e3:8.1f} / "
          f"{result['learn_all_s_min'] * 1e3:.1f} ms  ({result['learn_us_per_item']:.1f} us/item,"
          f" {result['learn_weight_reads_per_s']:.2e} weight reads/s)")
    print(f"  encode all (no learning), median     {result['encode_all_s_median'] * 1e3:8.1f} ms")
    print(f"  -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
