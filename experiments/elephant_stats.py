"""Firing statistics of a spikemem recording computed with Elephant, through Neo.

Runs the CUBA network (`spikemem.models.cuba`), converts its recording to a `neo.Block`
(`Recording.to_neo`), and computes per neuron the mean firing rate
(`elephant.statistics.mean_firing_rate`) and the coefficient of variation of the
inter-spike intervals (`elephant.statistics.isi`, `cv`). Writes ``summary.json``,
``stats.png`` (histograms of rates and CVs) and ``recording.nwb`` (NWB through Neo's NWBIO)
to ``--out``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import spikemem as sm
from spikemem.experiments._common import experiment_parser, finish, write_summary
from spikemem.io import atomic_path
from spikemem.models.cuba import build_cuba
from spikemem.progress import Progress

__all__ = ["run", "main", "firing_statistics"]

NAME = "elephant_stats"


def firing_statistics(block, min_spikes: int = 3) -> dict:
    """Per-neuron rates (Hz) and ISI CVs of every spike train of `block`'s first segment.

    Parameters
    ----------
    block : neo.Block
    min_spikes : int
        Neurons with fewer spikes get no CV (NaN).

    Returns
    -------
    dict with "rate_hz" (ndarray, shape (n_trains,)) and "isi_cv" (same shape, NaN where
    undefined).
    """
    import quantities as pq
    from elephant.statistics import cv, isi, mean_firing_rate
    if not block.segments:
        raise sm.ValidationError("firing_statistics: the block has no segment")
    trains = block.segments[0].spiketrains
    rates = np.array([float(mean_firing_rate(st).rescale(pq.Hz)) for st in trains])
    cvs = np.array([float(cv(isi(st))) if len(st) >= min_spikes else np.nan for st in trains])
    return {"rate_hz": rates, "isi_cv": cvs}


def run(*, seed: int = 0, out="results/elephant_stats", backend: str = "numba",
        n_neurons: int = 1000, duration: float = 1000.0, dt: float = 0.1,
        nwb: bool = True) -> dict:
    """Simulate CUBA, compute Elephant statistics and write summary, figure and NWB file.

    Returns
    -------
    dict
        ``mean_rate_hz``, ``mean_isi_cv`` (over neurons with >= 3 spikes), ``n_trains``,
        ``spikes`` and the parameters.
    """
    progress = Progress(NAME, total=2)
    progress.start(f"simulate {n_neurons} neurons for {duration:g} ms")
    net = build_cuba(n_neurons, seed=seed, dt=dt)
    rec = sm.build(net, backend=backend, seed=seed).run(duration)
    progress.start("Elephant statistics")
    block = rec.to_neo(["cuba"])
    stats = firing_statistics(block)
    progress.close()
    summary = {"experiment": NAME, "backend": backend, "seed": seed, "n_neurons": n_neurons,
               "duration_ms": duration, "dt_ms": dt, "n_trains": int(stats["rate_hz"].size),
               "spikes": int(sum(len(st) for st in block.segments[0].spiketrains)),
               "mean_rate_hz": float(np.mean(stats["rate_hz"])),
               "mean_isi_cv": float(np.nanmean(stats["isi_cv"]))
               if np.any(np.isfinite(stats["isi_cv"])) else None}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _plot(stats, out / "stats.png")
    if nwb:
        from spikemem.neo_io import write_nwb
        write_nwb(block, out / "recording.nwb", session_description="CUBA on spikemem")
    write_summary(out, summary)
    return summary


def _plot(stats: dict, path: Path) -> None:
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3))
    a.hist(stats["rate_hz"], bins=30)
    a.set_xlabel("firing rate (Hz)")
    a.set_ylabel("neurons")
    cvs = stats["isi_cv"][np.isfinite(stats["isi_cv"])]
    b.hist(cvs, bins=30)
    b.set_xlabel("ISI CV")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def main(argv=None) -> int:
    """Command line: ``spikemem run elephant_stats [--n N] [--duration MS] [--no-nwb]``."""
    parser = experiment_parser(NAME, __doc__)
    parser.add_argument("--n", type=int, default=1000, help="number of neurons")
    parser.add_argument("--duration", type=float, default=1000.0, help="ms")
    parser.add_argument("--dt", type=float, default=0.1, help="ms")
    parser.add_argument("--no-nwb", action="store_true", help="do not write recording.nwb")
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, backend=args.backend, n_neurons=args.n,
            duration=args.duration, dt=args.dt, nwb=not args.no_nwb)
    cv = "n/a" if s["mean_isi_cv"] is None else f"{s['mean_isi_cv']:.2f}"
    print(f"{NAME}: {s['n_trains']} neurons, mean rate {s['mean_rate_hz']:.2f} Hz, mean ISI CV "
          f"{cv} (Elephant) -> {args.out}")
    finish(args, s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
