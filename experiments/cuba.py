"""CUBA network (Vogels & Abbott 2005): run it on a backend, report rates and a raster.

Builds `spikemem.models.cuba.build_cuba` (80 % excitatory, 20 % inhibitory LIF neurons with
current-based exponential synapses), simulates it, and writes ``recording.h5`` (spikes),
``summary.json`` (rates, irregularity, synaptic events, wall times) and ``raster.png`` to
``--out``; prints the mean rate and where the files went.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import spikemem as sm
from spikemem.experiments._common import experiment_parser, finish, write_summary
from spikemem.models.cuba import EXCITATORY_FRACTION, build_cuba
from spikemem.plotting import plot_raster
from spikemem.progress import Progress

__all__ = ["run", "main"]

NAME = "cuba"


def _mean_isi_cv(times: np.ndarray, ids: np.ndarray, n: int) -> float:
    """Mean coefficient of variation of the interspike intervals over neurons with >= 3 spikes."""
    order = np.lexsort((times, ids))
    t, i = times[order], ids[order]
    isi = np.diff(t)
    same = i[1:] == i[:-1]
    isi, owner = isi[same], i[1:][same]
    count = np.bincount(owner, minlength=n)
    ok = count >= 2
    if not np.any(ok):
        return float("nan")
    mean = np.bincount(owner, weights=isi, minlength=n)[ok] / count[ok]
    sq = np.bincount(owner, weights=isi ** 2, minlength=n)[ok] / count[ok]
    return float(np.mean(np.sqrt(np.maximum(sq - mean ** 2, 0.0)) / mean))


def _none_if_nan(x: float):
    return None if np.isnan(x) else x


def run(*, seed: int = 0, out="results/cuba", backend: str = "numba", n_neurons: int = 4000,
        synapses_per_neuron: float = 80.0, duration: float = 1000.0, dt: float = 0.1) -> dict:
    """Simulate the CUBA network and write its recording, summary and raster.

    Parameters
    ----------
    seed : int
        Seed of the connectivity and initial potentials.
    out : str or path
        Output folder (created if needed).
    backend : str
        Backend to run on (see `spikemem.available`).
    n_neurons : int
        Number of neurons.
    synapses_per_neuron : float
        Mean in-degree (80 at 4000 neurons is Brian2's p = 0.02).
    duration : float
        Biological time, ms.
    dt : float
        Time step, ms.

    Returns
    -------
    dict
        Summary: parameters, ``n_synapses``, ``spikes``, ``rate_hz`` (all neurons),
        ``rate_exc_hz``, ``rate_inh_hz``, ``isi_cv`` (mean over neurons with >= 3 spikes;
        None if there is none),
        ``synaptic_events``, ``build_s`` and ``run_s`` (wall time, s).
    """
    progress = Progress(NAME, total=2)
    progress.start(f"build {n_neurons} neurons")
    t0 = time.perf_counter()
    net = build_cuba(n_neurons, synapses_per_neuron=synapses_per_neuron, seed=seed, dt=dt)
    sim = sm.build(net, backend=backend, seed=seed)
    t_build = time.perf_counter() - t0
    progress.start(f"simulate {duration:g} ms")
    t0 = time.perf_counter()
    rec = sim.run(duration)
    t_run = time.perf_counter() - t0
    progress.close()

    times, ids = rec.spikes("cuba")
    n_exc = net["exc"].pre.size
    out_degree = sum(np.bincount(p.pre_idx, minlength=n_neurons) for p in net.projections)
    seconds = duration / 1000.0
    summary = {
        "experiment": NAME, "backend": backend, "seed": seed, "n_neurons": n_neurons,
        "n_excitatory": int(n_exc), "excitatory_fraction": EXCITATORY_FRACTION,
        "synapses_per_neuron": synapses_per_neuron, "n_synapses": int(net.n_synapses),
        "duration_ms": duration, "dt_ms": dt, "spikes": int(times.size),
        "rate_hz": times.size / n_neurons / seconds,
        "rate_exc_hz": float(np.sum(ids < n_exc)) / n_exc / seconds,
        "rate_inh_hz": float(np.sum(ids >= n_exc)) / (n_neurons - n_exc) / seconds,
        "isi_cv": _none_if_nan(_mean_isi_cv(times, ids, n_neurons)),
        "synaptic_events": int(out_degree[ids].sum()),
        "build_s": t_build, "run_s": t_run,
    }

    out = Path(out)
    rec.save(out / "recording.h5")
    plot_raster(rec, out / "raster.png",
                title=f"CUBA, {n_neurons} neurons, {backend}: {summary['rate_hz']:.1f} Hz")
    write_summary(out, summary)
    return summary


def main(argv=None) -> int:
    """Command line: ``spikemem run cuba [--backend numba] [--seed S] [--out DIR] [--n N]``."""
    parser = experiment_parser(NAME, __doc__)
    parser.add_argument("--n", type=int, default=4000, help="number of neurons")
    parser.add_argument("--synapses-per-neuron", type=float, default=80.0)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms")
    parser.add_argument("--dt", type=float, default=0.1, help="ms")
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, backend=args.backend, n_neurons=args.n,
            synapses_per_neuron=args.synapses_per_neuron, duration=args.duration, dt=args.dt)
    print(f"{NAME}: {s['n_neurons']} neurons on {s['backend']}, mean rate {s['rate_hz']:.2f} Hz "
          f"(exc {s['rate_exc_hz']:.2f}, inh {s['rate_inh_hz']:.2f}), ISI CV "
          f"{'n/a' if s['isi_cv'] is None else format(s['isi_cv'], '.2f')}, "
          f"run {s['run_s']:.2f} s -> {args.out}")
    finish(args, s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
