"""Figures of recordings: spike rasters, membrane traces and weight matrices.

Plots take a `Recording` (or arrays), never a simulator. They use Matplotlib's Agg backend
when no display is available, and write PNG files atomically when given a path.
"""
from __future__ import annotations

import json
import os
from typing import Optional, Sequence

import numpy as np

from .errors import ValidationError
from .io import atomic_path

__all__ = ["plot_raster", "plot_traces", "plot_weights", "save_figure", "describe_raster",
           "check_t_range"]


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


def check_t_range(owner: str, t_range) -> Optional[tuple]:
    """`t_range` as a ``(t0, t1)`` tuple of finite times (ms) with ``t0 < t1``, or None.

    Raises
    ------
    ValidationError
        Naming `owner`, for a window that is not two numbers, not finite, empty or reversed.
    """
    if t_range is None:
        return None
    try:
        t0, t1 = (float(t) for t in t_range)
    except (TypeError, ValueError):
        raise ValidationError(
            f"{owner}: must be two times (t0, t1) in ms, got {t_range!r}") from None
    if not (np.isfinite(t0) and np.isfinite(t1)):
        raise ValidationError(f"{owner}: times must be finite, got {t0:g} {t1:g} ms")
    if t1 <= t0:
        hint = f"; did you mean {t1:g} {t0:g}?" if t1 < t0 else ""
        raise ValidationError(f"{owner}: the window {t0:g} .. {t1:g} ms is "
                              f"{'reversed' if t1 < t0 else 'empty'}; t0 must be below t1{hint}")
    return (t0, t1)


def describe_raster(recording, *, title: Optional[str] = None,
                    order: Optional[Sequence[str]] = None,
                    splits: Optional[dict] = None) -> None:
    """Store how `recording` is best drawn, in its metadata (kept by ``Recording.save``).

    `plot_raster` (and ``spikemem plot``) use these as defaults, so a saved recording is
    drawn with its experiment's title, population order and sub-groups.

    Parameters
    ----------
    recording : Recording
    title : str, optional
        Figure title.
    order : sequence of str, optional
        Population labels, top to bottom.
    splits : dict of str to sequence of (str, int, int), optional
        Sub-groups drawn as separate bands: ``{"IN": [("cue", 0, 5), ("content", 5, 15)]}``
        (name, first neuron, stop); together they must cover the population exactly.

    Raises
    ------
    ValidationError
        For an unknown population or sub-groups that do not tile a population.
    """
    layout = _raster_layout(recording)
    if title is not None:
        layout["title"] = str(title)
    if order is not None:
        layout["order"] = _check_labels(recording, order)
    if splits is not None:
        layout["splits"] = {lab: _check_split(recording, lab, parts)
                            for lab, parts in splits.items()}
    recording.metadata["raster"] = json.dumps(layout)


def _raster_layout(recording) -> dict:
    text = recording.metadata.get("raster")
    try:
        layout = json.loads(text) if text else {}
    except (TypeError, ValueError):
        layout = {}
    return layout if isinstance(layout, dict) else {}


def _check_labels(recording, labels) -> list:
    labels = [str(p) for p in labels]
    unknown = [p for p in labels if p not in recording.sizes]
    if unknown:
        raise ValidationError(f"plot_raster: unknown populations {unknown}; the recording has "
                              f"{recording.populations}")
    if not labels:
        raise ValidationError("plot_raster: no populations to plot")
    return labels


def _check_split(recording, label: str, parts) -> list:
    _check_labels(recording, [label])
    out, at = [], 0
    for part in parts:
        name, first, stop = str(part[0]), int(part[1]), int(part[2])
        if first != at or stop <= first:
            raise ValidationError(f"plot_raster: sub-groups of {label!r} must be consecutive, "
                                  f"non-empty ranges from 0; got {list(parts)}")
        out.append([name, first, stop])
        at = stop
    if at != recording.sizes[label]:
        raise ValidationError(f"plot_raster: sub-groups of {label!r} cover 0..{at} but it has "
                              f"{recording.sizes[label]} neurons")
    return out


def _bands(recording, labels, splits) -> list:
    """(text, population, first neuron, stop) of every band, top to bottom."""
    bands = []
    for lab in labels:
        parts = splits.get(lab) or [[None, 0, recording.sizes[lab]]]
        for name, first, stop in parts:
            text = f"{lab} {name}" if name else lab
            bands.append((f"{text} ({stop - first})", lab, first, stop))
    return bands


def plot_raster(recording, path=None, populations: Optional[Sequence[str]] = None,
                t_range: Optional[tuple] = None, title: Optional[str] = None,
                marker_size: float = 4.0, splits: Optional[dict] = None):
    """Spike raster with one labelled, coloured band per population (or sub-group).

    Defaults for `populations`, `title` and `splits` come from the layout stored with the
    recording (`describe_raster`), so a saved recording is drawn as its experiment drew it.
    Every band is at least a few rows high, so a one-neuron population does not crowd its
    neighbours; neuron indices are ticked on the right-hand axis.

    Parameters
    ----------
    recording : Recording
    path : str or Path, optional
        Where to save the figure (PNG); if None the figure is only returned.
    populations : sequence of str, optional
        Which groups to show, top to bottom (default: the stored order, else network order).
    t_range : (float, float), optional
        Time window, ms, ``t0 < t1``.
    title : str, optional
    marker_size : float
        Marker size, points.
    splits : dict, optional
        Sub-groups drawn as separate bands, as in `describe_raster`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValidationError
        For an unknown population, a bad window or bad sub-groups.
    """
    layout = _raster_layout(recording)
    labels = _check_labels(recording, populations if populations is not None else
                           layout.get("order") or recording.populations)
    t_range = check_t_range("plot_raster: t_range", t_range)
    if splits is not None:
        splits = {lab: _check_split(recording, lab, parts) for lab, parts in splits.items()}
    else:
        splits = {k: v for k, v in layout.get("splits", {}).items() if k in recording.sizes}
    bands = _bands(recording, labels, splits)
    total = sum(stop - first for _, _, first, stop in bands)
    min_rows = max(3.0, 0.03 * total)
    heights = [max(float(stop - first), min_rows) for _, _, first, stop in bands]
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, min(14.0, 2.0 + 0.3 * len(bands) + 0.004 * total)))
    colors = plt.get_cmap("tab10")
    base = 0.0
    ticks, tick_labels, neuron_ticks, neuron_labels = [], [], [], []
    for k, ((text, lab, first, stop), h) in enumerate(zip(reversed(bands), reversed(heights))):
        n = stop - first
        row0 = base + (h - n) / 2
        t, i = recording.spikes(lab)
        sel = (i >= first) & (i < stop)
        if t_range is not None:
            sel &= (t >= t_range[0]) & (t <= t_range[1])
        ax.scatter(t[sel], row0 + i[sel] - first, s=marker_size, marker="|" if n > 1 else "o",
                   color=colors(k % 10), linewidths=1.0)
        if k:
            ax.axhline(base - 0.5, color="0.8", lw=0.6)
        ticks.append(row0 + (n - 1) / 2)
        tick_labels.append(text)
        for j in sorted({0, n - 1} | ({n // 2} if n >= 10 else set())):
            neuron_ticks.append(row0 + j)
            neuron_labels.append(str(first + j))
        base += h
    ax.set_yticks(ticks)
    ax.set_yticklabels(tick_labels, fontsize=8)
    ax.set_ylim(-0.5, base - 0.5)
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    kept = [k for k in range(len(neuron_ticks))   # no two labels closer than 3 % of the axis
            if k == 0 or neuron_ticks[k] - neuron_ticks[k - 1] >= 0.03 * base]
    right.set_yticks([neuron_ticks[k] for k in kept])
    right.set_yticklabels([neuron_labels[k] for k in kept], fontsize=6)
    right.set_ylabel("neuron", fontsize=8)
    ax.set_xlim(*(t_range if t_range is not None else (0, max(recording.t_stop, recording.dt))))
    ax.set_xlabel("time (ms)")
    ax.set_title(title or layout.get("title") or
                 f"spikes ({recording.metadata.get('backend', '?')} backend)")
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
