"""Sparsey similarity preservation: input overlap vs code overlap over many random pairs.

A mac learns ``n_items`` random binary inputs. For each of them ``variants`` copies are made in
which a uniformly drawn number of active bits has moved to random inactive positions
(`spikemem.sdr.flip_bits` with ``preserve_sparsity``), so the pair (item, copy) has every input
overlap from 0 to all bits. Each copy is encoded without learning and its code compared with
the item's stored code. Writes ``summary.json`` and ``similarity.png`` to ``--out`` and prints
the Pearson correlation between input and code overlap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from scipy.stats import pearsonr, spearmanr

from spikemem.experiments._common import experiment_parser, finish, write_summary
from spikemem.models.sparsey import SparseyMac
from spikemem.plotting import save_figure
from spikemem.progress import Progress
from spikemem.sdr import SDR, flip_bits, overlap

__all__ = ["run", "main"]

NAME = "sdr_similarity"


def run(*, seed: int = 0, out="results/sdr_similarity", n_inputs: int = 400, active: int = 20,
        Q: int = 20, K: int = 20, n_items: int = 100, variants: int = 5,
        sigmoid: dict | None = None) -> dict:
    """Measure how code overlap follows input overlap and write the summary and figure.

    Parameters
    ----------
    seed : int
        Seed of the inputs and of the mac.
    out : str or path
        Output folder (created if needed).
    n_inputs, active : int
        Input size and number of active input bits per item.
    Q, K : int
        Mac shape: CMs and cells per CM.
    n_items : int
        Items learned (keep well below capacity, see ``sdr_capacity``).
    variants : int
        Copies per item, so ``n_items * variants`` pairs.
    sigmoid : dict, optional
        ``sigmoid_height`` / ``sigmoid_steepness`` / ``sigmoid_inflection`` for `SparseyMac`;
        its defaults when omitted.

    Returns
    -------
    dict
        Summary: parameters, ``pearson_r``, ``spearman_r``, mean code overlap per input-overlap
        bin, chance code overlap ``1 / K`` (fractions of Q).
    """
    progress = Progress(NAME, total=2)
    progress.start(f"learn {n_items} items")
    rng = np.random.default_rng(seed)
    items = [SDR(rng.choice(n_inputs, active, replace=False), n_inputs) for _ in range(n_items)]
    mac = SparseyMac(n_inputs, Q, K, seed=seed, **(sigmoid or {}))
    codes = mac.learn_batch(np.array([x.bits for x in items])).code
    progress.start(f"encode {n_items * variants} noisy variants")
    moved = rng.integers(0, active + 1, size=(n_items, variants))
    pairs = [(i, flip_bits(items[i], int(moved[i, j]), seed=rng, preserve_sparsity=True))
             for i in range(n_items) for j in range(variants)]
    index = np.array([i for i, _ in pairs])
    input_overlap = np.array([overlap(items[i], y) for i, y in pairs]) / active
    encoded = mac.encode_batch(np.array([y.bits for _, y in pairs])).code
    code_overlap = (encoded == codes[index]).sum(axis=1) / Q
    progress.close()

    edges = np.linspace(0.0, 1.0, 11)
    which = np.clip(np.digitize(input_overlap, edges) - 1, 0, len(edges) - 2)
    binned = [float(code_overlap[which == b].mean()) if np.any(which == b) else None
              for b in range(len(edges) - 1)]
    summary = {
        "experiment": NAME, "seed": seed, "n_inputs": n_inputs, "active": active, "Q": Q,
        "K": K, "n_items": n_items, "n_pairs": len(pairs),
        "sigmoid": {"height": mac.sigmoid_height, "steepness": mac.sigmoid_steepness,
                    "inflection": mac.sigmoid_inflection},
        "pearson_r": float(pearsonr(input_overlap, code_overlap)[0]),
        "spearman_r": float(spearmanr(input_overlap, code_overlap).correlation),
        "chance_code_overlap": 1.0 / K,
        "bin_edges_input_overlap": np.round(edges, 3).tolist(),
        "mean_code_overlap_per_bin": binned,
    }

    out = Path(out)
    fig = Figure(figsize=(5.0, 4.0))
    ax = fig.add_subplot()
    jitter = rng.uniform(-0.01, 0.01, size=input_overlap.size)
    ax.scatter(input_overlap + jitter, code_overlap, s=6, alpha=0.3, label="pairs")
    centres = 0.5 * (edges[:-1] + edges[1:])
    ax.plot(centres, [np.nan if b is None else b for b in binned], "o-", color="k",
            label="bin mean")
    ax.axhline(1.0 / K, color="grey", ls="--", label="chance (1/K)")
    ax.set(xlabel="input overlap (fraction of active bits)",
           ylabel="code overlap (fraction of CMs)",
           title=f"Sparsey mac Q={Q}, K={K}: Pearson r = {summary['pearson_r']:.2f}")
    ax.legend(loc="upper left", fontsize=8)
    save_figure(fig, out / "similarity.png")
    write_summary(out, summary)
    return summary


def main(argv=None) -> int:
    """Command line entry: ``spikemem run sdr_similarity [--seed S] [--out DIR] ...``."""
    parser = experiment_parser(NAME, __doc__, backend=False)
    parser.add_argument("--items", type=int, default=100, help="items learned")
    parser.add_argument("--variants", type=int, default=5, help="pairs per item")
    for name in ("height", "steepness", "inflection"):
        parser.add_argument(f"--{name}", type=float, default=None,
                            help=f"sigmoid_{name} of the mac (default: SparseyMac's)")
    args = parser.parse_args(argv)
    sigmoid = {f"sigmoid_{name}": getattr(args, name) for name in ("height", "steepness",
               "inflection") if getattr(args, name) is not None}
    s = run(seed=args.seed, out=args.out, n_items=args.items, variants=args.variants,
            sigmoid=sigmoid)
    print(f"{NAME}: Pearson r(input overlap, code overlap) = {s['pearson_r']:.3f} over "
          f"{s['n_pairs']} pairs (chance code overlap {s['chance_code_overlap']:.2f}) "
          f"-> {args.out}")
    finish(args, s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
