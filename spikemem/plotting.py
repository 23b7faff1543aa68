"""Figures of recordings: spike rasters, membrane traces and weight matrices.

Plots take a `Recording` (or arrays), never a simulator. They use Matplotlib's Agg backend
when no display is available, and write PNG files atomically when given a path.
"""
from __future__ import annotations

import os
from typing import Optional, Sequence

import numpy as np

from .errors import ValidationError
from .io import atomic_path

__all__ = ["plot_raster", "plot_traces", "plot_weights", "save_figure"]


def _pyplot():
    import matplotlib
    if not os.environ.get("DISPLAY") and matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig, path) -> None:
    """Save a Matplotlib figure to `path` (PNG unless the suffix says otherwise), atomically."""
    fmt = os.path.splitext(str(path))[1].lstrip(".") or "png"
    with atomic_path(path, "." + fmt) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format=fmt)


def plot_raster(recording, path=None, populations: Optional[Sequence[str]] = None,
                t_range: Optional[tuple] = None, title: Optional[str] = None,
                marker_size: float = 4.0):
    """Spike raster with one labelled, coloured band per population.

    Parameters
    ----------
    recording : Recording
    path : str or Path, optional
        Where to save the figure (PNG); if None the figure is only returned.
    populations : sequence of str, optional
        Which groups to show, top to bottom (default: all, in network order).
    t_range : (float, float), optional
        Time window, ms.
    title : str, optional
    marker_size : float
        Marker size, points.

    Returns
    -------
    matplotlib.figure.Figure
    """
    labels = list(populations) if populations is not None else recording.populations
    unknown = [p for p in labels if p not in recording.sizes]
    if unknown:
        raise ValidationError(f"plot_raster: unknown populations {unknown}; the recording has "
                              f"{recording.populations}")
    if not labels:
        raise ValidationError("plot_raster: no populations to plot")
    plt = _pyplot()
    sizes = [recording.sizes[p] for p in labels]
    height = min(14.0, 2.0 + 0.25 * len(labels) + 0.004 * sum(sizes))
    fig, ax = plt.subplots(figsize=(10, height))
    colors = plt.get_cmap("tab10")
    base = 0
    ticks, tick_labels = [], []
    t_stop = recording.t_stop
    for k, (lab, n) in enumerate(zip(reversed(labels), reversed(sizes))):
        t, i = recording.spikes(lab)
        if t_range is not None:
            sel = (t >= t_range[0]) & (t <= t_range[1])
            t, i = t[sel], i[sel]
        ax.scatter(t, base + i, s=marker_size, marker="|" if n > 1 else "o",
                   color=colors(k % 10), linewidths=1.0)
        if k:
            ax.axhline(base - 0.5, color="0.85", lw=0.6)
        ticks.append(base + (n - 1) / 2)
        tick_labels.append(f"{lab} ({n})")
        base += n
    ax.set_yticks(ticks)
    ax.set_yticklabels(tick_labels, fontsize=8)
    ax.set_ylim(-0.5, base - 0.5)
    ax.set_xlim(*(t_range if t_range is not None else (0, max(t_stop, recording.dt))))
    ax.set_xlabel("time (ms)")
    ax.set_title(title or f"spikes ({recording.metadata.get('backend', '?')} backend)")
    if path is not None:
        save_figure(fig, path)
        plt.close(fig)
    return fig


def plot_traces(recording, label: str, path=None, neurons: Optional[Sequence[int]] = None,
                title: Optional[str] = None):
    """Membrane potential (mV) against time (ms) of some neurons of population `label`."""
    t, v = recording.v(label)
    idx = list(range(min(v.shape[1], 8))) if neurons is None else list(neurons)
    if any(not 0 <= n < v.shape[1] for n in idx):
        raise ValidationError(f"plot_traces: neuron indices must lie in 0..{v.shape[1] - 1}, "
                              f"got {idx}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(9, 3.5))
    for n in idx:
        ax.plot(t, v[:, n], lw=1, label=f"{label}[{n}]")
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("V (mV)")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title or f"membrane potential, {label}")
    if path is not None:
        save_figure(fig, path)
        plt.close(fig)
    return fig


def plot_weights(matrix, path=None, title: str = "weights", xlabel: str = "post",
                 ylabel: str = "pre", unit: str = "nA"):
    """Heat map of a dense weight matrix of shape (n_pre, n_post)."""
    w = np.asarray(matrix, float)
    if w.ndim != 2:
        raise ValidationError(f"plot_weights: matrix must be 2-D, got shape {w.shape}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    im = ax.imshow(w, aspect="auto", interpolation="nearest", cmap="viridis")
    fig.colorbar(im, ax=ax, label=unit)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if path is not None:
        save_figure(fig, path)
        plt.close(fig)
    return fig
