"""Sparsey capacity: recall accuracy against the number of stored items, with Willshaw's bound.

Mapping to a binary (Willshaw) associative memory: the mac stores input -> code associations in
an ``n_inputs x (Q*K)`` binary matrix; each item switches on the weights between its ``a``
active inputs and its ``Q`` winners. Its capacity, at the optimal weight density of 1/2, is
``M = ln2 * n_inputs * (Q*K) / (a * Q)``. Here the inputs are as large and as sparse as the
codes (``n_inputs = Q*K`` and ``a = Q``), so with ``n = Q*K`` cells and ``k = Q`` active
this is Willshaw's ``ln2 * n**2 / k**2`` (= ``ln2 * K**2``). The expected weight density after
``M`` random items is ``1 - (1 - a*Q / (n_inputs*Q*K))**M``.

Random items are learned in chunks; after each chunk every stored item is presented again
and counted as recalled when the stored code closest to the chosen code is its own. This is done
for the default sigmoid and for a steep one (near-threshold at V = 1, Willshaw-like
retrieval). Writes ``summary.json`` and ``capacity.png`` to ``--out`` and prints, for each
setting, the largest number of stored items of which at least 95 % are recalled (and of which
at least 95 % have their code re-activated exactly), against the bound.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from spikemem.experiments._common import experiment_parser, finish, write_summary
from spikemem.models.sparsey import SparseyMac
from spikemem.plotting import save_figure
from spikemem.progress import stages

__all__ = ["run", "main", "willshaw_capacity"]

NAME = "sdr_capacity"

SETTINGS = {
    "default": {},
    "steep": {"sigmoid_height": 1e6, "sigmoid_steepness": 200.0, "sigmoid_inflection": 0.95},
}


def willshaw_capacity(n_inputs: int, a: int, n_cells: int, k: int) -> float:
    """Willshaw capacity of a binary hetero-associative memory, ``ln2 * n_in * n / (a * k)``.

    Parameters
    ----------
    n_inputs, a : int
        Input units and active inputs per item.
    n_cells, k : int
        Output cells and active cells per item (for a mac ``Q*K`` and ``Q``).

    Returns
    -------
    float
        Number of items stored when the weight density reaches 1/2.
    """
    return float(np.log(2) * n_inputs * n_cells / (a * k))


def run(*, seed: int = 0, out="results/sdr_capacity", Q: int = 20, K: int = 20,
        max_items: int = 800, step: int = 25, threshold: float = 0.95) -> dict:
    """Measure recall accuracy as items accumulate and compare with Willshaw's capacity.

    Parameters
    ----------
    seed : int
        Seed of the inputs and of the macs.
    out : str or path
        Output folder (created if needed).
    Q, K : int
        Mac shape; inputs have ``Q*K`` units with ``Q`` active.
    max_items, step : int
        Items are learned ``step`` at a time up to ``max_items``.
    threshold : float
        Fraction of stored items that must be recalled (or exactly re-activated) for a count
        to be within the measured capacity.

    Returns
    -------
    dict
        Summary: parameters, ``willshaw_capacity``, ``n_stored``, and per sigmoid setting the
        ``accuracy``, ``exact_code`` fraction and ``weight_density`` after each chunk, and
        the largest stored counts whose accuracy (``capacity_recall``) or exact-code fraction
        (``capacity_exact``) is at least ``threshold``.
    """
    n_inputs, active = Q * K, Q
    rng = np.random.default_rng(seed)
    X = np.zeros((max_items, n_inputs), dtype=bool)
    for row in X:
        row[rng.choice(n_inputs, active, replace=False)] = True
    counts = list(range(step, max_items + 1, step))
    bound = willshaw_capacity(n_inputs, active, Q * K, Q)
    per_item = active * Q / (n_inputs * Q * K)
    summary = {
        "experiment": NAME, "seed": seed, "Q": Q, "K": K, "n_inputs": n_inputs,
        "active": active, "willshaw_capacity": bound, "threshold": threshold,
        "n_stored": counts,
        "theory_weight_density": [1.0 - (1.0 - per_item) ** m for m in counts],
        "settings": {},
    }
    for name, sigmoid in stages(SETTINGS.items(), NAME, describe=lambda s: s[0]):
        mac = SparseyMac(n_inputs, Q, K, seed=seed, **sigmoid)
        acc, exact, density = [], [], []
        for m in counts:
            mac.learn_batch(X[m - step:m])
            result = mac.recall_batch(X[:m])
            acc.append(float(np.mean(result.index == np.arange(m))))
            exact.append(float(np.mean(np.all(result.code == mac.codes, axis=1))))
            density.append(float(mac.weights.mean()))
        summary["settings"][name] = {
            "sigmoid": {"height": mac.sigmoid_height, "steepness": mac.sigmoid_steepness,
                        "inflection": mac.sigmoid_inflection},
            "accuracy": acc, "exact_code": exact, "weight_density": density,
            "capacity_recall": max([m for m, a in zip(counts, acc) if a >= threshold],
                                   default=0),
            "capacity_exact": max([m for m, e in zip(counts, exact) if e >= threshold],
                                  default=0),
        }

    out = Path(out)
    fig = Figure(figsize=(9.0, 3.8))
    ax, bx = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for name, res in summary["settings"].items():
        line, = ax.plot(counts, res["accuracy"], "o-", ms=3, label=f"{name}: recall accuracy")
        ax.plot(counts, res["exact_code"], "--", color=line.get_color(),
                label=f"{name}: exact code")
        bx.plot(counts, res["weight_density"], "o-", ms=3, color=line.get_color(), label=name)
    bx.plot(counts, summary["theory_weight_density"], "k:", label="theory (random codes)")
    for axis in (ax, bx):
        axis.axvline(bound, color="grey", ls="--", label=f"Willshaw ln2·n²/k² = {bound:.0f}")
        axis.set_xlabel("items stored")
    ax.set(ylabel="fraction of stored items", ylim=(-0.03, 1.03),
           title=f"recall, n = Q·K = {Q * K}, k = Q = {Q}")
    bx.set(ylabel="fraction of weights = 1", title="weight density")
    ax.legend(fontsize=7, loc="lower left")
    bx.legend(fontsize=7, loc="lower right")
    save_figure(fig, out / "capacity.png")
    write_summary(out, summary)
    return summary


def main(argv=None) -> int:
    """Command line entry: ``spikemem run sdr_capacity [--seed S] [--out DIR] [--K K]``."""
    parser = experiment_parser(NAME, __doc__, backend=False)
    parser.add_argument("--Q", type=int, default=20, help="CMs (active cells per code)")
    parser.add_argument("--K", type=int, default=20, help="cells per CM")
    parser.add_argument("--max-items", type=int, default=800)
    parser.add_argument("--step", type=int, default=25)
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, Q=args.Q, K=args.K, max_items=args.max_items,
            step=args.step)
    found = "; ".join(f"{name} {res['capacity_recall']} recalled / {res['capacity_exact']} "
                      f"exact" for name, res in s["settings"].items())
    print(f"{NAME}: items within {s['threshold']:.0%}: {found}; "
          f"Willshaw ln2*n^2/k^2 = {s['willshaw_capacity']:.0f} -> {args.out}")
    finish(args, s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
