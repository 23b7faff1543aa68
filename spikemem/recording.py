"""Recordings: spikes, membrane traces and weight snapshots of one simulation.

Spikes are stored per population as two flat arrays (times in ms, neuron ids), sorted by
time then id. Membrane traces are arrays of shape (n_steps, size) in mV. Weight snapshots of a
projection are arrays of shape (n_snapshots, n_synapses) in nA, taken at given times (ms).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .errors import ValidationError
from .io import open_checked, read_tree, save_tree

__all__ = ["Recording"]


class Recording:
    """What a simulation recorded.

    Parameters
    ----------
    dt : float
        Time step of the simulation, ms.
    sizes : dict of str to int
        Size of every recorded population (and spike source), by label.
    metadata : dict, optional
        Free-form description (network label, backend, seed, ...): strings and numbers.
    """

    def __init__(self, dt: float, sizes: dict, metadata: Optional[dict] = None):
        self.dt = float(dt)
        self.sizes = {str(k): int(v) for k, v in sizes.items()}
        self.metadata = dict(metadata or {})
        self.t_stop = 0.0
        self._spike_chunks: dict[str, list] = {k: [] for k in self.sizes}
        self._v_chunks: dict[str, list] = {}
        self._weights: dict[str, list] = {}

    # -- written by backends ---------------------------------------------------------------
    def add_spikes(self, label: str, times: np.ndarray, ids: np.ndarray) -> None:
        """Append spikes (times ms, ids) of population `label`; times must not precede earlier ones."""
        self._check_label(label)
        self._spike_chunks[label].append((np.asarray(times, float), np.asarray(ids, np.int64)))

    def add_v(self, label: str, times: np.ndarray, v: np.ndarray) -> None:
        """Append membrane samples: `times` shape (n,), ms; `v` shape (n, size), mV."""
        self._check_label(label)
        self._v_chunks.setdefault(label, []).append((np.asarray(times, float),
                                                     np.asarray(v, float)))

    def add_weights(self, label: str, t: float, weights: np.ndarray) -> None:
        """Store a snapshot of projection `label`'s weights (nA) at time `t` (ms)."""
        self._weights.setdefault(label, []).append((float(t), np.array(weights, float)))

    # -- read by users ---------------------------------------------------------------------
    @property
    def populations(self) -> list:
        """Labels of the groups with spike records."""
        return list(self.sizes)

    def spikes(self, label: str):
        """Spike times (ms, float64) and neuron ids (int64) of `label`, sorted by time then id."""
        self._check_label(label)
        chunks = self._spike_chunks[label]
        if not chunks:
            return np.zeros(0), np.zeros(0, np.int64)
        if len(chunks) > 1:
            t = np.concatenate([c[0] for c in chunks])
            i = np.concatenate([c[1] for c in chunks])
            order = np.lexsort((i, t))
            self._spike_chunks[label] = [(t[order], i[order])]
        return self._spike_chunks[label][0]

    def spike_trains(self, label: str) -> list:
        """List of per-neuron spike-time arrays (ms) of `label`."""
        t, i = self.spikes(label)
        return [t[i == n] for n in range(self.sizes[label])]

    def spike_counts(self, label: str) -> np.ndarray:
        """Number of spikes per neuron of `label`, shape (size,)."""
        _, i = self.spikes(label)
        return np.bincount(i, minlength=self.sizes[label])

    def n_spikes(self) -> int:
        """Total number of recorded spikes over all groups."""
        return int(sum(self.spikes(k)[0].size for k in self.sizes))

    def v(self, label: str):
        """Membrane trace of `label`: times (ms, shape (n,)) and v (mV, shape (n, size))."""
        if label not in self._v_chunks:
            raise ValidationError(
                f"Recording: no membrane trace for {label!r}; recorded: {sorted(self._v_chunks)} "
                "(add 'v' to the population's record=)")
        chunks = self._v_chunks[label]
        if len(chunks) > 1:
            self._v_chunks[label] = [(np.concatenate([c[0] for c in chunks]),
                                      np.concatenate([c[1] for c in chunks]))]
        return self._v_chunks[label][0]

    @property
    def traced(self) -> list:
        """Labels of the populations with membrane traces."""
        return list(self._v_chunks)

    def weights(self, label: str):
        """Weight snapshots of projection `label`: times (ms, (k,)) and weights (nA, (k, n))."""
        if label not in self._weights:
            raise ValidationError(f"Recording: no weight snapshots for {label!r}; "
                                  f"recorded: {sorted(self._weights)}")
        snaps = self._weights[label]
        return np.array([s[0] for s in snaps]), np.stack([s[1] for s in snaps])

    @property
    def weight_labels(self) -> list:
        return list(self._weights)

    def _check_label(self, label: str) -> None:
        if label not in self.sizes:
            raise ValidationError(
                f"Recording: unknown population {label!r}; recorded: {sorted(self.sizes)}")

    # -- files -----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        spikes = {k: {"times": self.spikes(k)[0], "ids": self.spikes(k)[1],
                      "size": self.sizes[k]} for k in self.sizes}
        v = {k: {"times": self.v(k)[0], "v": self.v(k)[1]} for k in self._v_chunks}
        w = {k: {"times": self.weights(k)[0], "weights": self.weights(k)[1]}
             for k in self._weights}
        return {"dt": self.dt, "t_stop": self.t_stop, "metadata": self.metadata,
                "order": list(self.sizes), "spikes": spikes, "v": v, "weights": w}

    @classmethod
    def from_dict(cls, d: dict) -> "Recording":
        order = d.get("order") or list(d["spikes"])
        rec = cls(d["dt"], {k: d["spikes"][k]["size"] for k in order}, d.get("metadata"))
        rec.t_stop = float(d["t_stop"])
        for k in order:
            rec.add_spikes(k, d["spikes"][k]["times"], d["spikes"][k]["ids"])
        for k, tr in d.get("v", {}).items():
            rec.add_v(k, tr["times"], tr["v"])
        for k, ws in d.get("weights", {}).items():
            for t, w in zip(ws["times"], ws["weights"]):
                rec.add_weights(k, t, w)
        return rec

    def save(self, path) -> None:
        """Write to an HDF5 file, atomically (temporary file, then rename)."""
        save_tree(path, "recording", self.to_dict())

    @classmethod
    def load(cls, path) -> "Recording":
        """Read a recording written by `save`; `FileFormatError` for any other file."""
        with open_checked(path, "recording") as f:
            return cls.from_dict(read_tree(f))

    def to_neo(self, populations=None):
        """This recording as a `neo.Block` (see `spikemem.neo_io.to_neo`)."""
        from .neo_io import to_neo
        return to_neo(self, populations)

    def __repr__(self) -> str:
        return (f"Recording(dt={self.dt} ms, t_stop={self.t_stop} ms, "
                f"{len(self.sizes)} groups, {self.n_spikes()} spikes)")
