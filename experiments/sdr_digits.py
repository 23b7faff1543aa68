"""Sparsey on scikit-learn's handwritten digits: one-pass learning, nearest-code classification.

The 8x8 grey-level images are binarised by a seeded random projection to ``n_bits`` bits with
the ``k`` largest (per-bit standardised on the training split) active
(`spikemem.sdr.RandomProjectionEncoder`). A mac learns the training split in one pass, one
trial per image; each held-out image is encoded without learning and gets the label of the
stored code that overlaps its code most. The sigmoid defaults (inflection 0.5, steepness 30,
lower than `SparseyMac`'s) were chosen on validation splits carved out of training splits, so
that similar digits share code cells. Writes ``summary.json`` and ``digits.png`` to ``--out``
and prints the held-out accuracy and the learning time.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from spikemem.experiments._common import experiment_parser, finish, write_summary
from spikemem.models.sparsey import SparseyMac
from spikemem.plotting import save_figure
from spikemem.progress import Progress
from spikemem.sdr import RandomProjectionEncoder

__all__ = ["run", "main"]

NAME = "sdr_digits"


def run(*, seed: int = 0, out="results/sdr_digits", test_fraction: float = 0.25,
        n_bits: int = 8192, k: int = 32, Q: int = 32, K: int = 64,
        sigmoid_height: float = 1e6, sigmoid_steepness: float = 30.0,
        sigmoid_inflection: float = 0.5) -> dict:
    """Learn the digits training split in one pass and classify the held-out split.

    Parameters
    ----------
    seed : int
        Seed of the split, the projection and the mac.
    out : str or path
        Output folder (created if needed).
    test_fraction : float
        Held-out fraction (stratified by label).
    n_bits, k : int
        Binarised input size and active bits per image.
    Q, K : int
        Mac shape.
    sigmoid_height, sigmoid_steepness, sigmoid_inflection : float
        CSA sigmoid (see `SparseyMac`).

    Returns
    -------
    dict
        Summary: parameters, ``accuracy`` (held out), ``learn_time_s`` for the training split
        and ``learn_time_all_s`` for all 1797 images (one core, after compilation),
        ``familiarity`` means, ``distinct_codes`` and the ``confusion`` matrix
        (rows true label, columns predicted).
    """
    progress = Progress(NAME, total=3)
    progress.start("encode the digits")
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=test_fraction, random_state=seed,
        stratify=digits.target)
    encoder = RandomProjectionEncoder(64, n_bits, k=k, seed=seed).fit(X_train)
    B_train, B_test = encoder.encode_batch(X_train), encoder.encode_batch(X_test)

    def new_mac():
        return SparseyMac(n_bits, Q, K, sigmoid_height=sigmoid_height,
                          sigmoid_steepness=sigmoid_steepness,
                          sigmoid_inflection=sigmoid_inflection, seed=seed)

    progress.start("learn the training set, recall the test set")
    new_mac().learn_batch(B_train[:2])  # compile (or load the cache) outside the timings
    mac = new_mac()
    start = time.perf_counter()
    learned = mac.learn_batch(B_train)
    learn_time = time.perf_counter() - start
    recalled = mac.recall_batch(B_test)
    predicted = y_train[recalled.index]
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (y_test, predicted), 1)

    progress.start("learn all digits")
    B_all = encoder.encode_batch(digits.data)
    start = time.perf_counter()
    new_mac().learn_batch(B_all)
    learn_time_all = time.perf_counter() - start
    progress.close()

    summary = {
        "experiment": NAME, "seed": seed, "n_train": int(y_train.size),
        "n_test": int(y_test.size), "n_bits": n_bits, "k": k, "Q": Q, "K": K,
        "sigmoid": {"height": sigmoid_height, "steepness": sigmoid_steepness,
                    "inflection": sigmoid_inflection},
        "accuracy": float(np.mean(predicted == y_test)),
        "learn_time_s": learn_time, "learn_time_all_s": learn_time_all,
        "n_all": int(digits.target.size),
        "familiarity_train_mean": float(learned.familiarity.mean()),
        "familiarity_test_mean": float(recalled.familiarity.mean()),
        "distinct_codes": len({c.tobytes() for c in learned.code}),
        "confusion": confusion.tolist(),
    }

    out = Path(out)
    fig = Figure(figsize=(9.0, 4.0))
    ax, bx = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    image = ax.imshow(confusion, cmap="Blues")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true",
           title=f"held-out accuracy {summary['accuracy']:.1%}")
    fig.colorbar(image, ax=ax, shrink=0.8)
    same = y_train[:, None] == y_train[None, :]
    overlap = sum((c[:, None] == c[None, :]).astype(np.float32) for c in learned.code.T) / Q
    np.fill_diagonal(same, False)
    other = ~same & ~np.eye(y_train.size, dtype=bool)
    bins = np.linspace(0.0, 1.0, 33)
    bx.hist(overlap[same], bins=bins, density=True, alpha=0.6, label="same digit")
    bx.hist(overlap[other], bins=bins, density=True, alpha=0.6, label="different digit")
    bx.axvline(1.0 / K, color="grey", ls="--", label="chance (1/K)")
    bx.set(yscale="log", xlabel="code overlap between training items (fraction of CMs)",
           ylabel="density", title=f"learned {y_train.size} images in {learn_time * 1e3:.0f} ms")
    bx.legend(fontsize=8)
    save_figure(fig, out / "digits.png")
    write_summary(out, summary)
    return summary


def main(argv=None) -> int:
    """Command line entry: ``spikemem run sdr_digits [--seed S] [--out DIR] ...``."""
    parser = experiment_parser(NAME, __doc__, backend=False)
    parser.add_argument("--test-fraction", type=float, default=0.25)
    parser.add_argument("--bits", type=int, default=8192, help="binarised input size")
    parser.add_argument("--k", type=int, default=32, help="active input bits per image")
    parser.add_argument("--Q", type=int, default=32, help="CMs")
    parser.add_argument("--K", type=int, default=64, help="cells per CM")
    parser.add_argument("--height", type=float, default=1e6, help="sigmoid height")
    parser.add_argument("--steepness", type=float, default=30.0, help="sigmoid steepness")
    parser.add_argument("--inflection", type=float, default=0.5, help="sigmoid inflection")
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, test_fraction=args.test_fraction, n_bits=args.bits,
            k=args.k, Q=args.Q, K=args.K, sigmoid_height=args.height,
            sigmoid_steepness=args.steepness, sigmoid_inflection=args.inflection)
    print(f"{NAME}: held-out accuracy {s['accuracy']:.3f} on {s['n_test']} images; learned "
          f"{s['n_train']} in {s['learn_time_s'] * 1e3:.0f} ms, all {s['n_all']} in "
          f"{s['learn_time_all_s'] * 1e3:.0f} ms -> {args.out}")
    finish(args, s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
