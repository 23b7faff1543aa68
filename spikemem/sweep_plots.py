"""Plots of a sweep's results table: every metric against a swept parameter, over seeds."""
from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np

from .sweep_grid import RESERVED_COLUMNS

__all__ = ["plot_sweep", "seed_interval"]

_MAX_LINES = 8


def seed_interval(values) -> tuple:
    """Mean and half-width of the two-sided 95 % Student-t interval of the mean.

    Parameters
    ----------
    values : array_like of float
        One value per seed (NaNs are ignored).

    Returns
    -------
    (float, float)
        Mean and half-width (0 for one value, NaN for none).
    """
    from scipy import stats
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan, math.nan
    if x.size == 1:
        return float(x[0]), 0.0
    sem = x.std(ddof=1) / math.sqrt(x.size)
    return float(x.mean()), float(stats.t.ppf(0.975, x.size - 1) * sem)


def _metrics(table, parameters) -> list:
    skip = (set(parameters) | set(RESERVED_COLUMNS)) - {"wall_s"}
    return [c for c in table.columns if c not in skip and table[c].dtype.kind in "biuf"
            and table[c].notna().any()]


def plot_sweep(table, params, folder, title: str = "", parameters=()) -> list:
    """One PNG per swept parameter: each numeric metric against it, mean and 95 % interval.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep's results (`spikemem.sweep.SweepResult.table`).
    params : list of str
        Swept parameters (columns of `table`).
    folder : str or Path
        Where ``<parameter>.png`` go (created if needed).
    title : str
        Figure title prefix.
    parameters : sequence of str
        Every parameter column (swept or fixed), so that none is plotted as a metric.

    Returns
    -------
    list of Path
        The files written (none if no point succeeded or no metric is numeric).
    """
    from matplotlib.figure import Figure

    from .plotting import save_figure
    ok = table[table["status"] == "ok"] if "status" in table else table
    metrics = _metrics(ok, set(params) | set(parameters))
    if ok.empty or not metrics:
        return []
    written = []
    for param in params:
        others = [p for p in params if p != param and ok[p].nunique() > 1]
        xs = sorted(ok[param].unique().tolist(), key=lambda v: (isinstance(v, str), v))
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in xs)
        position = {v: (v if numeric else i) for i, v in enumerate(xs)}
        groups = list(ok.groupby(others, sort=True)) if others else [((), ok)]
        if len(groups) > _MAX_LINES:
            groups = [(("all",), ok)]
            others = ["pooled over " + ", ".join(p for p in params if p != param)]
        ncol = min(3, len(metrics))
        nrow = math.ceil(len(metrics) / ncol)
        height = 3.0 * nrow + 0.5
        fig = Figure(figsize=(4.2 * ncol, height))
        # fixed margins: a layout engine costs seconds on a grid of ~20 axes
        fig.subplots_adjust(left=0.1, right=0.97, bottom=0.6 / height, top=1 - 0.8 / height,
                            wspace=0.4, hspace=0.45)
        axes = np.atleast_1d(fig.subplots(nrow, ncol)).ravel()
        for ax, metric in zip(axes, metrics):
            for (label, sub), color in zip(groups, itertools.cycle([f"C{i}" for i in range(10)])):
                stats = [seed_interval(sub.loc[sub[param] == v, metric]) for v in xs]
                x = np.array([position[v] for v in xs], dtype=float)
                mean = np.array([s[0] for s in stats])
                half = np.array([s[1] for s in stats])
                label = label if isinstance(label, tuple) else (label,)
                name = ", ".join(f"{o}={v}" for o, v in zip(others, label)) or None
                ax.plot(x, mean, "o-", ms=3, color=color, label=name)
                ax.fill_between(x, mean - half, mean + half, color=color, alpha=0.2, lw=0)
            ax.set_xlabel(param)
            ax.set_ylabel(metric)
            if numeric and len(xs) > 2 and min(xs) > 0 and max(xs) / min(xs) >= 50:
                ax.set_xscale("log")
            if not numeric:
                ax.set_xticks(range(len(xs)), [str(v) for v in xs])
            ax.grid(alpha=0.3)
        for ax in axes[len(metrics):]:
            ax.set_visible(False)
        if any(name for name in (ax.get_legend_handles_labels()[1] for ax in axes[:1])):
            axes[0].legend(fontsize=7)
        n_seeds = ok["seed"].nunique() if "seed" in ok else 1
        fig.suptitle(f"{title}: metrics against {param} (mean and 95 % interval over "
                     f"{n_seeds} seed{'s' if n_seeds != 1 else ''})")
        path = Path(folder) / f"{param}.png"
        save_figure(fig, path)
        written.append(path)
    return written
