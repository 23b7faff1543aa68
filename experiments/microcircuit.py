"""Cortical microcircuit (Potjans & Diesmann 2014): per-layer rates against the published ones.

Builds `spikemem.models.microcircuit.build_microcircuit` at ``--scale`` (neurons and, unless
``--k-scale`` is given, in-degrees) with a DC or Poisson ``--background``, simulates
``--duration`` ms and writes ``rates.csv``
(mean rate per population, the published range and whether the rate lies in it),
``summary.json`` and ``summary.csv`` (the same plus sizes, synapses, build/run wall time,
real-time factor and the engine's bytes per synapse), ``raster.png`` (the last 200 ms),
``recording.h5``, ``provenance.json`` and ``report.html`` to ``--out``; prints the rates and
where the files went. Full scale (``--scale 1``) needs about
14 GB of memory::

    spikemem run microcircuit --scale 0.1 --duration 1000 --threads 2
    spikemem run microcircuit --scale 0.1 --background poisson --threads 2
"""
from __future__ import annotations

import csv
import time
from pathlib import Path

import spikemem as sm
from spikemem.errors import ValidationError
from spikemem.experiments._common import experiment_parser, finish, write_summary
from spikemem.io import atomic_path
from spikemem.models import microcircuit as mc
from spikemem.plotting import plot_raster
from spikemem.progress import Progress

__all__ = ["run", "main"]

NAME = "microcircuit"


def run(*, seed: int = 0, out="results/microcircuit", backend: str = "numba",
        scale: float = 0.1, k_scale: float | None = None, duration: float = 1000.0,
        t_rates: float = 200.0, threads: int | None = None, dt: float = 0.1,
        save_recording: bool = True, background: str = "dc") -> dict:
    """Simulate the microcircuit; write rates, summary, raster and recording.

    Parameters
    ----------
    seed : int
        Seed of the network.
    out : str or path
        Output folder (created if needed).
    backend : str
        Backend (``threads`` applies to "numba" only).
    scale, k_scale : float
        Scale of neurons and of in-degrees (see `build_microcircuit`).
    duration : float
        Biological time, ms (> `t_rates`).
    t_rates : float
        Rates are counted from this time, ms (the initial transient is left out).
    threads : int, optional
        Threads of the Numba engine (default: every core).
    dt : float
        Time step, ms.
    save_recording : bool
        Also write the spikes to ``recording.h5``.
    background : {"dc", "poisson"}
        The 8 Hz background as DC current or as Poisson input (see `build_microcircuit`).

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    if not duration > t_rates >= 0:
        raise ValidationError(f"{NAME}: need duration > t_rates >= 0 ms, got {duration!r} and "
                              f"{t_rates!r}")
    progress = Progress(NAME, total=3)
    progress.start(f"build (scale {scale})")
    t0 = time.perf_counter()
    net = mc.build_microcircuit(scale=scale, k_scale=k_scale, seed=seed, dt=dt,
                                background=background)
    options = {"threads": threads} if backend == "numba" else {}
    sim = sm.build(net, backend=backend, seed=seed, **options)
    t_build = time.perf_counter() - t0
    progress.start(f"simulate {duration:g} ms")
    t0 = time.perf_counter()
    rec = sim.run(duration)
    t_run = time.perf_counter() - t0
    rates = mc.population_rates(rec, t_start=t_rates)
    checked = mc.rates_within_published(rates)
    summary = {
        "experiment": NAME, "backend": backend, "seed": seed, "scale": scale,
        "k_scale": scale if k_scale is None else k_scale, "background": background,
        "dt_ms": dt,
        "duration_ms": duration, "t_rates_ms": t_rates,
        "threads": getattr(sim, "threads", 1), "n_neurons": net.n_neurons,
        "n_synapses": net.n_synapses, "spikes": rec.n_spikes(),
        "build_s": t_build, "run_s": t_run, "rtf": t_run / (duration / 1000.0),
        "rates_hz": rates,
        "published_range_hz": {p: [lo, hi] for p, (_, lo, hi, _) in checked.items()},
        "in_range": {p: ok for p, (_, _, _, ok) in checked.items()},
        "all_in_range": all(ok for (_, _, _, ok) in checked.values()),
    }
    store = getattr(sim, "_store", None)
    if store is not None and net.n_synapses:
        summary["engine_bytes_per_synapse"] = store.nbytes()["static"] / net.n_synapses

    progress.start("write rates, raster and recording")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "rates.csv", ".csv") as tmp:
        with open(tmp, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["population", "rate_hz", "published_low_hz", "published_high_hz",
                        "in_range"])
            for p, (r, lo, hi, ok) in checked.items():
                w.writerow([p, f"{r:.4f}", f"{lo:.4f}", f"{hi:.4f}", ok])
    plot_raster(rec, out / "raster.png", t_range=(max(0.0, duration - 200.0), duration),
                marker_size=0.5,
                title=f"microcircuit, scale {scale}, {background} background, {backend}: "
                      "last 200 ms")
    if save_recording:
        rec.save(out / "recording.h5")
    write_summary(out, summary)
    progress.close()
    return summary


def main(argv=None) -> int:
    """``spikemem run microcircuit [--scale S] [--k-scale K] [--background dc|poisson]
    [--duration MS] [--threads T]``."""
    parser = experiment_parser(NAME, __doc__)
    parser.add_argument("--scale", type=float, default=0.1,
                        help="scale of neurons (and in-degrees), default 0.1")
    parser.add_argument("--k-scale", type=float, default=None,
                        help="scale of in-degrees (default: --scale)")
    parser.add_argument("--background", choices=("dc", "poisson"), default="dc",
                        help="8 Hz background as DC current or Poisson input (default dc)")
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    parser.add_argument("--t-rates", type=float, default=200.0,
                        help="count rates from this time, ms (default 200)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads of the numba engine (default: every core)")
    parser.add_argument("--dt", type=float, default=0.1, help="ms")
    parser.add_argument("--no-recording", action="store_true", help="skip recording.h5")
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, backend=args.backend, scale=args.scale,
            k_scale=args.k_scale, duration=args.duration, t_rates=args.t_rates,
            threads=args.threads, dt=args.dt, save_recording=not args.no_recording,
            background=args.background)
    print(f"{NAME}: scale {s['scale']}, {s['background']} background, {s['n_neurons']} "
          f"neurons, {s['n_synapses']:,} synapses "
          f"on {s['backend']} ({s['threads']} threads): build {s['build_s']:.1f} s, run "
          f"{s['run_s']:.1f} s (RTF {s['rtf']:.2f})")
    for p in mc.POPULATIONS:
        lo, hi = s["published_range_hz"][p]
        print(f"  {p:5s} {s['rates_hz'][p]:6.2f} Hz  published {lo:.2f}-{hi:.2f}  "
              f"{'ok' if s['in_range'][p] else 'OUT'}")
    print(f"-> {args.out}")
    finish(args, s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
