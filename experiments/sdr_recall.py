"""Sparsey recall from partial and from noisy cues.

A mac learns ``n_items`` random binary inputs. Each is then presented as a cue that keeps only
a fraction of its active bits (`spikemem.sdr.dropout`), or in which a number of active bits has
moved to random inactive positions (`spikemem.sdr.flip_bits` with ``preserve_sparsity``). A
recall is correct when the stored code overlapping the cue's code most is the item's own. Writes
``summary.json`` and ``recall.png`` to ``--out`` and prints the accuracies at half the bits.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from spikemem.experiments._common import experiment_parser, finish, write_summary
from spikemem.models.sparsey import SparseyMac
from spikemem.plotting import save_figure
from spikemem.progress import stages
from spikemem.sdr import SDR, dropout, flip_bits

__all__ = ["run", "main"]

NAME = "sdr_recall"


def _score(mac: SparseyMac, cues: list, codes: np.ndarray) -> dict:
    result = mac.recall_batch(np.array([c.bits for c in cues]))
    return {"accuracy": float(np.mean(result.index == np.arange(len(cues)))),
            "exact_code": float(np.mean(np.all(result.code == codes, axis=1))),
            "code_overlap": float(np.mean((result.code == codes).mean(axis=1))),
            "familiarity": float(np.mean(result.familiarity))}


def run(*, seed: int = 0, out="results/sdr_recall", n_inputs: int = 400, active: int = 20,
        Q: int = 20, K: int = 20, n_items: int = 100,
        keep_fractions=(1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1),
        moved_fractions=(0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)) -> dict:
    """Measure recall accuracy against cue completeness and cue noise.

    Parameters
    ----------
    seed : int
        Seed of the inputs, the cues and the mac.
    out : str or path
        Output folder (created if needed).
    n_inputs, active : int
        Input size and number of active input bits per item.
    Q, K : int
        Mac shape (default sigmoid).
    n_items : int
        Items learned.
    keep_fractions : sequence of float
        Fractions of an item's active bits kept in a partial cue, each in (0, 1] with
        ``round(f * active) >= 1``.
    moved_fractions : sequence of float
        Fractions of an item's active bits moved elsewhere in a noisy cue, each in [0, 1].

    Returns
    -------
    dict
        Summary: parameters and, per cue kind, ``accuracy`` (correct item), ``exact_code``
        (the stored code re-activated exactly), mean ``code_overlap`` with the stored code
        (fraction of Q) and mean ``familiarity``, in the order of the fractions.
    """
    rng = np.random.default_rng(seed)
    items = [SDR(rng.choice(n_inputs, active, replace=False), n_inputs) for _ in range(n_items)]
    mac = SparseyMac(n_inputs, Q, K, seed=seed)
    codes = mac.learn_batch(np.array([x.bits for x in items])).code
    partial = [_score(mac, [dropout(x, f, seed=rng) for x in items], codes)
               for f in stages(keep_fractions, NAME, describe=lambda f: f"keep {f:g}")]
    noisy = [_score(mac, [flip_bits(x, int(round(f * active)), seed=rng, preserve_sparsity=True)
                          for x in items], codes)
             for f in moved_fractions]
    summary = {
        "experiment": NAME, "seed": seed, "n_inputs": n_inputs, "active": active, "Q": Q,
        "K": K, "n_items": n_items, "chance_accuracy": 1.0 / n_items,
        "partial": {"keep_fraction": list(keep_fractions),
                    **{k: [p[k] for p in partial] for k in partial[0]}},
        "noisy": {"moved_fraction": list(moved_fractions),
                  **{k: [p[k] for p in noisy] for k in noisy[0]}},
    }

    out = Path(out)
    fig = Figure(figsize=(9.0, 3.8))
    for ax, kind, xs, xlabel in (
            (fig.add_subplot(1, 2, 1), "partial", keep_fractions, "fraction of active bits kept"),
            (fig.add_subplot(1, 2, 2), "noisy", moved_fractions, "fraction of active bits moved")):
        for key, style in (("accuracy", "o-"), ("exact_code", "s--"), ("code_overlap", "^:")):
            ax.plot(xs, summary[kind][key], style, label=key.replace("_", " "))
        ax.set(xlabel=xlabel, ylim=(-0.03, 1.03), title=f"{kind} cues ({n_items} items stored)")
    fig.axes[0].invert_xaxis()
    fig.axes[0].set_ylabel("fraction")
    fig.axes[0].legend(loc="lower left", fontsize=8)
    save_figure(fig, out / "recall.png")
    write_summary(out, summary)
    return summary


def main(argv=None) -> int:
    """Command line entry: ``spikemem run sdr_recall [--seed S] [--out DIR] [--items N]``."""
    parser = experiment_parser(NAME, __doc__, backend=False)
    parser.add_argument("--items", type=int, default=100, help="items learned")
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, n_items=args.items)
    half_partial = s["partial"]["accuracy"][s["partial"]["keep_fraction"].index(0.5)]
    quarter_noisy = s["noisy"]["accuracy"][s["noisy"]["moved_fraction"].index(0.25)]
    print(f"{NAME}: recall accuracy {half_partial:.3f} with half of the bits, "
          f"{quarter_noisy:.3f} with a quarter of the bits moved ({s['n_items']} items) "
          f"-> {args.out}")
    finish(args, s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
