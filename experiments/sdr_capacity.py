"""Sparsey capacity: recall accuracy against the number of stored items, with Willshaw's bound.

Mapping to a binary (Willshaw) associative memory: the mac stores input -> code associations in
an ``n_inputs x (Q*K)`` binary matrix; each item switches on the weights between its ``a``
active inputs and its ``Q`` winners. Its capacity, at the optimal weight density of 1/2, is
``M = ln2 * n_inputs * (Q*K) / (a * Q)``. Here the inputs are as large and as sparse as the
codes (``n_inputs = Q*K`` and ``a = Q``), so with ``n = Q*K`` cells and ``k = Q`` active
this is Willshaw's ``ln2 * n**2 / k**2`` (= ``ln2 * K**2``). The expected weight density after
``M`` random items is ``1 - (1 - a*Q / (n_inputs*Q*K))**M``.

For every number of items (a grid point of `spikemem.sweep`, `point`), a fresh mac learns
that many random items; then every stored item is presented again and counted as recalled
when the stored code closest to the chosen code is its own. This is done
for the default sigmoid and for a steep one (near-threshold at V = 1, Willshaw-like
retrieval). Writes ``summary.json`` and ``capacity.png`` to ``--out`` and prints, for each
setting, the largest number of stored items of which at least 95 % are recalled (and of which
at least 95 % have their code re-activated exactly), against the bound. The points run
serially by default, on a local Dask cluster with ``--workers N`` or on a cluster with
``--scheduler ADDRESS``; the sweep's table is ``results.parquet``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from spikemem.errors import check_in, check_int
from spikemem.experiments._common import experiment_parser, finish, write_summary
from spikemem.models.sparsey import SparseyMac
from spikemem.plotting import save_figure
from spikemem.sweep import add_sweep_arguments, client_from_args, sweep

__all__ = ["run", "main", "willshaw_capacity", "point", "warm", "check_params",
           "POINT_DEFAULTS"]

NAME = "sdr_capacity"
#: Parameters of one capacity point (`point`): mac shape Q x K, items stored, sigmoid setting
#: (a key of `SETTINGS`).
POINT_DEFAULTS = {"Q": 20, "K": 20, "items": 100, "setting": "default"}

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


def random_inputs(n_inputs: int, active: int, m: int, seed: int) -> np.ndarray:
    """``m`` random binary inputs (rows) with `active` of `n_inputs` units on; row ``i`` does
    not depend on `m`, so a larger `m` extends a smaller one."""
    rng = np.random.default_rng(seed)
    X = np.zeros((m, n_inputs), dtype=bool)
    for row in X:
        row[rng.choice(n_inputs, active, replace=False)] = True
    return X


def point(params: dict, seed: int) -> dict:
    """One capacity point: a fresh mac learns ``items`` random items and recalls them all.

    Parameters
    ----------
    params : dict
        ``Q``, ``K`` (int >= 1), ``items`` (int >= 1), ``setting`` (a key of `SETTINGS`).
    seed : int
        Seed of the inputs and of the mac.

    Returns
    -------
    dict
        ``accuracy`` (fraction of items whose closest stored code is their own),
        ``exact_code`` (fraction re-activated exactly), ``weight_density`` (fraction of
        weights = 1), its random-code theory ``theory_weight_density`` and the
        ``willshaw_capacity`` (items).
    """
    Q, K, m = params["Q"], params["K"], params["items"]
    check_params(params)
    n_inputs, active = Q * K, Q
    X = random_inputs(n_inputs, active, m, seed)
    mac = SparseyMac(n_inputs, Q, K, seed=seed, **SETTINGS[params["setting"]])
    mac.learn_batch(X)
    result = mac.recall_batch(X)
    per_item = active * Q / (n_inputs * Q * K)
    return {"accuracy": float(np.mean(result.index == np.arange(m))),
            "exact_code": float(np.mean(np.all(result.code == mac.codes, axis=1))),
            "weight_density": float(mac.weights.mean()),
            "theory_weight_density": 1.0 - (1.0 - per_item) ** m,
            "willshaw_capacity": willshaw_capacity(n_inputs, active, Q * K, Q),
            "backend": "numba"}


def warm() -> None:
    """Load (or compile) the mac's Numba core once on a worker."""
    point({**POINT_DEFAULTS, "Q": 2, "K": 2, "items": 2}, 0)


def check_params(params: dict) -> None:
    """Raise ValidationError if a capacity point's parameters are out of range."""
    for name in ("Q", "K", "items"):
        check_int(NAME, name, params[name], minimum=1)
    check_in(NAME, "setting", params["setting"], SETTINGS)


def run(*, seed: int = 0, out="results/sdr_capacity", Q: int = 20, K: int = 20,
        max_items: int = 800, step: int = 25, threshold: float = 0.95, client="serial",
        workers=None) -> dict:
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
    client, workers
        Where the points run (see `spikemem.sweep`; default serially in this process).

    Returns
    -------
    dict
        Summary: parameters, ``willshaw_capacity``, ``n_stored``, and per sigmoid setting the
        ``accuracy``, ``exact_code`` fraction and ``weight_density`` after each chunk, and
        the largest stored counts whose accuracy (``capacity_recall``) or exact-code fraction
        (``capacity_exact``) is at least ``threshold``.
    """
    n_inputs, active = Q * K, Q
    counts = list(range(step, max_items + 1, step))
    out = Path(out)
    table = sweep(NAME, {"Q": Q, "K": K, "items": counts, "setting": list(SETTINGS)}, [seed],
                  client=client, out=out, workers=workers, plots=False).table
    failed = table[table["status"] != "ok"]
    if len(failed):
        raise RuntimeError(f"{NAME}: {len(failed)} points failed; first: "
                           f"{failed['error'].iloc[0]}")
    bound = willshaw_capacity(n_inputs, active, Q * K, Q)
    first = table[table["setting"] == next(iter(SETTINGS))]
    summary = {
        "experiment": NAME, "seed": seed, "Q": Q, "K": K, "n_inputs": n_inputs,
        "active": active, "willshaw_capacity": bound, "threshold": threshold,
        "n_stored": counts, "theory_weight_density": first["theory_weight_density"].tolist(),
        "settings": {},
    }
    for name, sigmoid in SETTINGS.items():
        rows = table[table["setting"] == name]
        acc, exact = rows["accuracy"].tolist(), rows["exact_code"].tolist()
        mac = SparseyMac(n_inputs, Q, K, seed=seed, **sigmoid)
        summary["settings"][name] = {
            "sigmoid": {"height": mac.sigmoid_height, "steepness": mac.sigmoid_steepness,
                        "inflection": mac.sigmoid_inflection},
            "accuracy": acc, "exact_code": exact,
            "weight_density": rows["weight_density"].tolist(),
            "capacity_recall": max([m for m, a in zip(counts, acc) if a >= threshold],
                                   default=0),
            "capacity_exact": max([m for m, e in zip(counts, exact) if e >= threshold],
                                  default=0),
        }

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
    add_sweep_arguments(parser, seeds=False)
    args = parser.parse_args(argv)
    s = run(seed=args.seed, out=args.out, Q=args.Q, K=args.K, max_items=args.max_items,
            step=args.step, client=client_from_args(args), workers=args.workers)
    found = "; ".join(f"{name} {res['capacity_recall']} recalled / {res['capacity_exact']} "
                      f"exact" for name, res in s["settings"].items())
    print(f"{NAME}: items within {s['threshold']:.0%}: {found}; "
          f"Willshaw ln2*n^2/k^2 = {s['willshaw_capacity']:.0f} -> {args.out}")
    finish(args, s)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
