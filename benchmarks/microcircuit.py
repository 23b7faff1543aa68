"""Cortical microcircuit benchmark: spikemem's Numba engine against NEST 3.10, same machine.

The Potjans & Diesmann (2014) network (`spikemem.models.microcircuit`, DC or Poisson
``--background``) at each ``--scales`` value (neurons and in-degrees scaled together) runs
for ``--duration`` ms of biological time at dt = 0.1 ms on

* ``spikemem``: the IR network on the Numba engine with ``--threads`` threads;
* ``nest``: the same parameters in NEST's own rules and random numbers
  (`benchmarks.nest_peer.nest_microcircuit`, ``local_num_threads = --threads``): the same
  network statistics, drawn independently;

each in a fresh process, one after the other. Per peer and scale the table reports the build
time (network construction: for spikemem drawing the IR network plus building the engine),
the simulation wall time and real-time factor (wall / biological time), synapses, bytes per
synapse (steady: what the engine's synapse storage holds, or for NEST the resident memory
connecting added; peak: the resident high-water mark while building the engine / while
connecting, minus the memory before; for spikemem also the IR's own arrays), the peak
resident memory of the process and the mean rate of every population (counted after
``--t-rates`` ms) with whether it lies in the published range::

    python benchmarks/microcircuit.py --scales 0.1 1.0 --threads 2 --out benchmarks/out/microcircuit.csv
    python benchmarks/microcircuit.py --scales 0.1 --background poisson --seed 1
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from nest_peer import nest_available, peak_rss_mb, reset_peak_rss, rss_mb

__all__ = ["PEERS", "measure_spikemem", "benchmark", "markdown_table", "main"]

PEERS = ("spikemem", "nest")

COLUMNS = {
    "scale": "scale", "peer": "peer", "threads": "threads", "n_neurons": "neurons",
    "n_synapses": "synapses", "build_s": "build (s)", "simulate_s": "simulate (s)",
    "rtf": "RTF", "bytes_steady": "B/syn steady", "bytes_peak": "B/syn peak",
    "ir_bytes": "IR B/syn", "peak_rss_mb": "peak RSS (MB)", "spikes": "spikes",
    "rates_in_range": "rates in range",
}


def measure_spikemem(scale: float, duration: float, threads: int, seed: int,
                     t_rates: float, weight_dtype: str = "float64",
                     background: str = "dc") -> dict:
    """Build and run the microcircuit on the Numba engine in this process."""
    import spikemem as sm
    import spikemem.backends.numba  # noqa: F401
    from spikemem.models import microcircuit as mc

    # load the compiled kernels first, so that the build's memory is the network's own
    warm = sm.build(mc.build_microcircuit(scale=0.002, seed=seed, background=background),
                    threads=threads,
                    weight_dtype=weight_dtype, progress=False)
    warm.run(1.0)
    del warm
    t0 = time.perf_counter()
    net = mc.build_microcircuit(scale=scale, seed=seed, background=background)
    t_ir = time.perf_counter() - t0
    n_syn = net.n_synapses
    ir_bytes = sum(p.pre_idx.nbytes + p.post_idx.nbytes + p.weight.nbytes + p.delay.nbytes
                   for p in net.projections)
    rss0 = rss_mb()
    reset_peak_rss()
    t1 = time.perf_counter()
    sim = sm.build(net, backend="numba", threads=threads, weight_dtype=weight_dtype,
                   progress=False)
    t_build = time.perf_counter() - t1
    peak_build = peak_rss_mb()
    stored = sim._store.nbytes()["static"]
    t2 = time.perf_counter()
    sim.run(duration)
    t_sim = time.perf_counter() - t2
    rates = mc.population_rates(sim.recording, t_start=t_rates)
    per = 1.0 / max(n_syn, 1)
    return {"n_neurons": net.n_neurons, "n_synapses": n_syn, "build_s": t_ir + t_build,
            "simulate_s": t_sim, "bytes_steady": stored * per,
            "bytes_peak": (peak_build - rss0) * 1024.0 ** 2 * per, "ir_bytes": ir_bytes * per,
            "peak_rss_mb": peak_rss_mb(), "rates_hz": rates,
            "spikes": int(sim.recording.n_spikes())}


def _measure_nest(scale, duration, threads, seed, t_rates, background="dc") -> dict:
    from nest_peer import nest_microcircuit
    from spikemem.models import microcircuit as mc
    out = nest_microcircuit(scale, duration, threads=threads, seed=seed, t_rates=t_rates,
                            background=background)
    out["n_neurons"] = int(np.maximum(1, np.round(mc.N_FULL * scale)).sum())
    out["bytes_steady"] = out.pop("bytes_per_synapse_steady")
    out["bytes_peak"] = out.pop("bytes_per_synapse_peak")
    out["ir_bytes"] = None
    return out


def _worker(peer, scale, duration, threads, seed, t_rates, background="dc") -> dict:
    out = Path(tempfile.mkdtemp(prefix="microcircuit_")) / "result.json"
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", peer, "--scales", str(scale),
           "--duration", str(duration), "--threads", str(threads), "--seed", str(seed),
           "--t-rates", str(t_rates), "--background", background, "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env=dict(os.environ, MPLBACKEND="Agg"))
    if proc.returncode != 0:
        raise RuntimeError(f"microcircuit worker {peer} scale {scale} failed:\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(out.read_text())


def benchmark(scales, duration=1000.0, threads=2, seed=0, t_rates=200.0, peers=None,
              log=print, background="dc") -> list:
    """One row per (scale, peer); see the module docstring."""
    from spikemem.models import microcircuit as mc
    peers = [p for p in (peers or PEERS) if p != "nest" or nest_available()]
    rows = []
    for scale in scales:
        for peer in peers:
            load = os.getloadavg()[0]
            r = _worker(peer, scale, duration, threads, seed, t_rates, background)
            checked = mc.rates_within_published(r["rates_hz"])
            row = {"scale": scale, "peer": peer, "threads": threads, "background": background,
                   "rtf": r["simulate_s"] / (duration / 1000.0),
                   "rates_in_range": f"{sum(v[3] for v in checked.values())}/8",
                   "load": load, **r}
            row.update({f"rate_{p}": r["rates_hz"][p] for p in mc.POPULATIONS})
            rows.append(row)
            log(f"scale {scale} {peer:8s} build {r['build_s']:8.1f} s, simulate "
                f"{r['simulate_s']:8.1f} s, RTF {row['rtf']:.2f}, {r['n_synapses']} synapses, "
                f"{r['bytes_steady']:.1f} / {r['bytes_peak']:.1f} B/syn, peak "
                f"{r['peak_rss_mb']:.0f} MB, load {load:.1f}, rates "
                + " ".join(f"{p} {r['rates_hz'][p]:.2f}" for p in mc.POPULATIONS))
    return rows


def _fmt(key, value) -> str:
    if value is None:
        return "–"
    if key in ("n_neurons", "n_synapses", "spikes"):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def markdown_table(rows) -> str:
    """The rows of `benchmark` as two Markdown tables: costs, and rates per population."""
    from spikemem.models import microcircuit as mc
    lines = ["| " + " | ".join(COLUMNS.values()) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(k, row.get(k)) for k in COLUMNS) + " |")
    lines += ["", "| scale | peer | " + " | ".join(mc.POPULATIONS) + " |",
              "|---|---|" + "|".join("---" for _ in mc.POPULATIONS) + "|"]
    lo_hi = " | ".join(f"{lo:.2f}–{hi:.2f}" for lo, hi in mc.PUBLISHED_RATE_RANGES_HZ)
    lines.append(f"| – | published range (Hz) | {lo_hi} |")
    for row in rows:
        lines.append(f"| {row['scale']} | {row['peer']} | "
                     + " | ".join(f"{row[f'rate_{p}']:.2f}" for p in mc.POPULATIONS) + " |")
    return "\n".join(lines)


def write_csv(rows, path) -> None:
    """Write the rows to a CSV file, atomically."""
    from spikemem.io import atomic_path
    keys = [k for k in rows[0] if k != "rates_hz"]
    with atomic_path(path, ".csv") as tmp:
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=keys)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: row.get(k) for k in keys})


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.1],
                        help="scales of neurons and in-degrees (default 0.1)")
    parser.add_argument("--duration", type=float, default=1000.0,
                        help="biological time, ms (default 1000)")
    parser.add_argument("--threads", type=int, default=2, help="threads per peer (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the network")
    parser.add_argument("--t-rates", type=float, default=200.0,
                        help="rates are counted from this time, ms (default 200)")
    parser.add_argument("--peers", nargs="+", choices=PEERS, default=None)
    parser.add_argument("--background", choices=("dc", "poisson"), default="dc",
                        help="8 Hz background: DC current or Poisson input (default dc)")
    parser.add_argument("--out", default="benchmarks/out/microcircuit.csv", help="CSV to write")
    parser.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.worker:
        scale = args.scales[0]
        if args.worker == "spikemem":
            r = measure_spikemem(scale, args.duration, args.threads, args.seed, args.t_rates,
                                 background=args.background)
        else:
            r = _measure_nest(scale, args.duration, args.threads, args.seed, args.t_rates,
                              args.background)
        Path(args.out).write_text(json.dumps(r))
        return 0
    if not args.duration > args.t_rates >= 0:
        raise SystemExit("--duration must exceed --t-rates")
    rows = benchmark(args.scales, args.duration, args.threads, args.seed, args.t_rates,
                     args.peers, log=lambda line: print(line, file=sys.stderr, flush=True),
                     background=args.background)
    write_csv(rows, args.out)
    print(f"Microcircuit, {args.background} background, seed {args.seed}, {args.duration:g} "
          f"ms at dt = 0.1 ms, {args.threads} threads:\n")
    print(markdown_table(rows))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
