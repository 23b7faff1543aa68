"""Applicability: the CA3 memory stores small images and recalls them from partial images.

Ten handwritten digits (one per class, scikit-learn's bundled 8 x 8 ``load_digits``,
binarised at half intensity: 64 bits) are stored under cues 0-9 of a 10-cue x 64-bit memory.
Each is then recalled from a fragment that keeps a fraction of its active pixels. The memory
returns every stored image sharing a pixel with the fragment (its recall-by-content rule);
the answer is read out as the returned image that covers the most fragment pixels (ties: the
fewest extra pixels). Scores: the image read out is the right one, the number of images
returned, and per-pixel precision/recall of the read-out image. Writes ``summary.json``,
``summary.csv``, ``recording.h5`` and ``digits.png`` (cue image, fragment, recalled image).
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from spikemem.experiments._common import experiment_parser, finish, write_json
from spikemem.io import atomic_path
from spikemem.models.ca3_cam import CA3Memory
from spikemem.models.ca3_metrics import bit_scores
from spikemem.progress import stages

__all__ = ["run", "main", "binary_digits", "best_match"]

NAME = "applicability"


def binary_digits(n: int = 10, seed: int = 0) -> tuple:
    """One binarised 8 x 8 digit per class: (images bool (n, 64), labels (n,))."""
    from sklearn.datasets import load_digits
    d = load_digits()
    rng = np.random.default_rng(seed)
    idx = [int(rng.choice(np.flatnonzero(d.target == k))) for k in range(n)]
    return d.data[idx] >= 8, d.target[idx]


def best_match(recalled: dict, fragment) -> int | None:
    """Cue of the returned image covering most fragment bits (ties: fewest other bits)."""
    if not recalled:
        return None
    frag = set(fragment)
    return max(recalled, key=lambda c: (len(frag & set(recalled[c])),
                                        -len(set(recalled[c]) - frag), -c))


def run(*, seed: int = 0, out=f"results/{NAME}", backend: str = "numba",
        keep: float = 0.3) -> dict:
    """Store ten digits, recall each from `keep` of its active pixels; returns the summary."""
    images, labels = binary_digits(10, seed)
    rng = np.random.default_rng(seed)
    mem = CA3Memory(10, 64, backend=backend, seed=seed)
    stored = {c: np.flatnonzero(images[c]).tolist() for c in range(10)}
    mem.learn_many(stored)
    rows, recalled_images, fragments = [], [], []
    for c in stages(range(10), NAME, describe=lambda c: f"digit {c}"):
        k = max(1, int(round(keep * len(stored[c]))))
        frag = sorted(rng.choice(stored[c], k, replace=False).tolist())
        got = mem.recall(fragment=frag)
        best = best_match(got, frag)
        bits = got.get(best, []) if best is not None else []
        p, r = bit_scores(stored[c], bits)
        rows.append({"cue": c, "digit": int(labels[c]), "fragment_pixels": len(frag),
                     "stored_pixels": len(stored[c]), "returned": len(got),
                     "read_out": best, "correct": best == c, "pixel_precision": p,
                     "pixel_recall": r, "exact": sorted(bits) == stored[c]})
        fragments.append(frag)
        recalled_images.append(bits)
    summary = {"experiment": NAME, "seed": seed, "backend": backend, "keep": keep,
               "accuracy": float(np.mean([r["correct"] for r in rows])),
               "exact_fraction": float(np.mean([r["exact"] for r in rows])),
               "mean_returned": float(np.mean([r["returned"] for r in rows])),
               "rows": rows}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    mem.recording.save(out / "recording.h5")
    write_json(out / "summary.json", summary)
    with atomic_path(out / "summary.csv") as tmp:
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    _figure(images, fragments, recalled_images, rows, out / "digits.png")
    return summary


def _figure(images, fragments, recalled, rows, path) -> None:
    from matplotlib.figure import Figure

    from spikemem.plotting import save_figure

    def img(bits):
        a = np.zeros(64)
        a[list(bits)] = 1
        return a.reshape(8, 8)

    fig = Figure(figsize=(12, 4))
    axes = fig.subplots(3, len(rows))
    for k, r in enumerate(rows):
        for row, (a, title) in enumerate([(images[k].reshape(8, 8), f"cue {k}"),
                                          (img(fragments[k]), f"{len(fragments[k])} px"),
                                          (img(recalled[k]), "ok" if r["correct"] else "wrong")]):
            ax = axes[row, k]
            ax.imshow(a, cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(title, fontsize=8)
    for row, name in enumerate(["stored", "fragment", "recalled"]):
        axes[row, 0].set_ylabel(name)
    fig.suptitle("CA3 memory: 8x8 digits recalled from partial images")
    save_figure(fig, path)


def main(argv=None) -> dict:
    parser = experiment_parser(NAME, __doc__)
    parser.add_argument("--keep", type=float, default=0.3,
                        help="fraction of an image's active pixels in the fragment")
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, backend=args.backend, keep=args.keep)
    print(f"{NAME}: {s['accuracy'] * 100:.0f}% of digits read out correctly from "
          f"{args.keep:.0%} of their pixels ({s['exact_fraction'] * 100:.0f}% exact images, "
          f"{s['mean_returned']:.1f} images returned per fragment); files in {args.out}")
    finish(args, s)
    return s


if __name__ == "__main__":
    main()
