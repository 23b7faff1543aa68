"""Benchmark: the CA3 stress sweep (sizes x seeds) serially and on a Dask LocalCluster.

Runs `spikemem.sweep("stress", {"size": sizes}, seeds)` twice on the same points: serially in
this process (kernels loaded before the clock starts) and on a `distributed.LocalCluster` of
``--workers`` single-threaded worker processes on 127.0.0.1 (start-up and warming the
workers' kernels with ``client.run`` timed separately, as the serial run's warm-up is).
``--repeats`` rounds alternate the order of the two runs and the fastest of each is kept,
since the machine's background load drifts. Each round also measures the ceiling: how much
faster ``--workers`` identical busy-loop tasks finish on the cluster than one after the other
in this process (on an idle machine about ``--workers``; on a machine whose other users
saturate the cores, less). Checks that both
tables hold the same values (apart from wall times), prints a Markdown table with the
speed-up ratio and writes a CSV.
"""
from __future__ import annotations

import argparse
import csv
import os
import tempfile
import time
from pathlib import Path

import pandas  # noqa: F401  (imported before any clock: both runs write Parquet)
import pyarrow.parquet  # noqa: F401

import spikemem
from spikemem.experiments import stress
from spikemem.io import atomic_path
from spikemem.sweep_grid import parse_seeds
from spikemem.sweep_task import warm_worker

FIELDS = ["sizes", "seeds", "points", "workers", "cores", "repeats", "serial_s",
          "cluster_start_s", "cluster_sweep_s", "speedup", "speedup_with_start", "ceiling",
          "serial_cpu_s", "cluster_cpu_s",
          "identical_tables"]


def busy(n: int) -> int:
    """Pure-Python CPU work, the calibration of what two processes can gain here."""
    x = 0
    for i in range(n):
        x += i
    return x


def _ceiling(client, n: int, tasks: int) -> float:
    """Speed-up of `tasks` identical CPU-bound tasks on the cluster over running them in
    this process: the most any sweep can gain on this machine under its current load."""
    t0 = time.perf_counter()
    for _ in range(tasks):
        busy(n)
    serial = time.perf_counter() - t0
    t0 = time.perf_counter()
    client.gather(client.map(busy, [n] * tasks, pure=False))
    return serial / (time.perf_counter() - t0)


def _values(table):
    cols = [c for c in table.columns if not c.startswith(("wall", "cpu_s"))]
    return table[cols].reset_index(drop=True)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 500, 1000])
    parser.add_argument("--seeds", default="0-3", help="e.g. 0-3 (default)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2,
                        help="rounds of serial + cluster runs; the fastest of each is kept")
    parser.add_argument("--out", default="benchmarks/out/sweep_ca3_stress.csv")
    args = parser.parse_args(argv)
    seeds = parse_seeds(args.seeds)
    grid = {"size": args.sizes}
    import distributed

    stress.warm()
    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                       processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    client = distributed.Client(cluster, set_as_default=False)
    client.run(warm_worker, stress.warm)
    start_s = time.perf_counter() - t0
    times = {"serial": [], "cluster": []}
    cpu = {"serial": [], "cluster": []}
    tables = {}
    ceilings = []
    try:
        with tempfile.TemporaryDirectory(prefix="sweep_bench_") as tmp:
            for r in range(args.repeats):
                # alternate the order so that a drifting background load hits both alike
                order = ("serial", "cluster") if r % 2 == 0 else ("cluster", "serial")
                ceilings.append(_ceiling(client, 20_000_000, args.workers))
                print(f"round {r}: {args.workers} busy-loop tasks run {ceilings[-1]:.2f}x "
                      f"faster on the cluster than serially (the ceiling now)")
                for how in order:
                    load = os.getloadavg()[0]
                    t0 = time.perf_counter()
                    result = spikemem.sweep(
                        "stress", grid, seeds, client="serial" if how == "serial" else client,
                        out=Path(tmp) / f"{how}{r}", artefacts=False, plots=False,
                        progress=False)
                    times[how].append(time.perf_counter() - t0)
                    cpu[how].append(float(result.table["cpu_s"].sum()))
                    tables[how] = result.table
                    print(f"round {r}: {how} {times[how][-1]:.2f} s, points' CPU time "
                          f"{cpu[how][-1]:.2f} s (load average at start {load:.1f} on "
                          f"{os.cpu_count()} cores)")
    finally:
        client.close()
        cluster.close()
    serial_s, sweep_s = min(times["serial"]), min(times["cluster"])
    identical = _values(tables["serial"]).equals(_values(tables["cluster"]))

    row = {"sizes": " ".join(map(str, args.sizes)), "seeds": args.seeds,
           "points": len(tables["serial"]), "workers": args.workers, "cores": os.cpu_count(),
           "repeats": args.repeats,
           "serial_s": round(serial_s, 2), "cluster_start_s": round(start_s, 2),
           "cluster_sweep_s": round(sweep_s, 2), "speedup": round(serial_s / sweep_s, 2),
           "speedup_with_start": round(serial_s / (sweep_s + start_s), 2),
           "ceiling": round(max(ceilings), 2),
           "serial_cpu_s": round(min(cpu["serial"]), 2),
           "cluster_cpu_s": round(min(cpu["cluster"]), 2),
           "identical_tables": identical}
    with atomic_path(args.out) as tmp_csv:
        with open(tmp_csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS)
            w.writeheader()
            w.writerow(row)
    print("| sizes | seeds | points | serial (s) | LocalCluster(%d) sweep (s) | cluster start "
          "+ warm (s) | speed-up | with start-up | busy-loop ceiling | points' CPU serial / "
          "cluster (s) | same table |" % args.workers)
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {row['sizes']} | {row['seeds']} | {row['points']} | {row['serial_s']} | "
          f"{row['cluster_sweep_s']} | {row['cluster_start_s']} | {row['speedup']}x | "
          f"{row['speedup_with_start']}x | {row['ceiling']}x | {row['serial_cpu_s']} / "
          f"{row['cluster_cpu_s']} | {'yes' if identical else 'NO'} |")
    print(f"written to {args.out}")
    return row


if __name__ == "__main__":
    main()
