"""Recordings: spikes, membrane traces and weight snapshots of one simulation.

Spikes are stored per population as two flat arrays (times in ms, neuron ids), sorted by
time then id, in an append-only buffer that grows geometrically: appending a run's spikes
costs O(new spikes), reading all spikes costs nothing (read-only views), and
`spikes_between` finds a time window by binary search, so a long session's cost per
operation does not grow with its history. Spikes appended out of order are sorted once, on
the next read. Membrane traces are arrays of shape (n_steps, size) in mV. Weight snapshots of
a projection are arrays of shape (n_snapshots, n_synapses) in nA, taken at given times (ms),
with the synapses' pre/post indices when the recording knows them.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .errors import FileFormatError, ValidationError
from .validation import (MAX_SIZE, MAX_TIME_MS, as_dict, as_real_array, check_index_array,
                         check_integer, check_label, check_number, check_real_array,
                         from_description)

__all__ = ["Recording"]


class _SpikeBuffer:
    """Append-only (times, ids) of one population, kept sorted by (time, id)."""

    __slots__ = ("t", "i", "n", "sorted")

    def __init__(self):
        self.t = np.zeros(0)
        self.i = np.zeros(0, np.int64)
        self.n = 0
        self.sorted = True

    def append(self, times: np.ndarray, ids: np.ndarray) -> None:
        k = times.size
        if k == 0:
            return
        if k > 1 and not _is_sorted(times, ids):
            order = np.lexsort((ids, times))
            times, ids = times[order], ids[order]
        if self.n and (times[0] < self.t[self.n - 1] or
                       (times[0] == self.t[self.n - 1] and ids[0] < self.i[self.n - 1])):
            self.sorted = False
        if self.n + k > self.t.size:
            cap = max(2 * self.t.size, self.n + k, 1024)
            self.t = np.concatenate([self.t[:self.n], np.empty(cap - self.n)])
            self.i = np.concatenate([self.i[:self.n], np.empty(cap - self.n, np.int64)])
        self.t[self.n:self.n + k] = times
        self.i[self.n:self.n + k] = ids
        self.n += k

    def view(self):
        if not self.sorted:
            order = np.lexsort((self.i[:self.n], self.t[:self.n]))
            self.t[:self.n] = self.t[:self.n][order]
            self.i[:self.n] = self.i[:self.n][order]
            self.sorted = True
        t, i = self.t[:self.n], self.i[:self.n]
        t.flags.writeable = False
        i.flags.writeable = False
        return t, i


def _is_sorted(times, ids) -> bool:
    dt = np.diff(times)
    return bool(np.all(dt >= 0) and np.all((dt > 0) | (np.diff(ids) >= 0)))


class Recording:
    """What a simulation recorded.

    Parameters
    ----------
    dt : float
        Time step of the simulation, ms (> 0).
    sizes : dict of str to int
        Size of every recorded population (and spike source), by label.
    metadata : dict, optional
        Free-form description (network label, backend, seed, ...): strings and numbers.
    """

    def __init__(self, dt: float, sizes: dict, metadata: Optional[dict] = None):
        self.dt = check_number("Recording", "dt", dt, 0.0, 1e4, lo_open=True, unit="ms")
        sizes = as_dict("Recording sizes", sizes)
        self.sizes = {check_label("Recording", k, optional=False):
                      check_integer("Recording", f"size of {k!r}", v, 1, MAX_SIZE)
                      for k, v in sizes.items()}
        if metadata is not None and not isinstance(metadata, dict):
            raise ValidationError(f"Recording: metadata must be a dict, got {metadata!r}")
        self.metadata = dict(metadata or {})
        self.t_stop = 0.0
        self._spikes = {k: _SpikeBuffer() for k in self.sizes}
        self._v_chunks: dict[str, list] = {}
        self._weights: dict[str, list] = {}
        self._weight_idx: dict[str, tuple] = {}

    # -- written by backends ---------------------------------------------------------------
    def add_spikes(self, label: str, times: np.ndarray, ids: np.ndarray) -> None:
        """Append spikes (times ms, ids) of population `label` (sorted on read if needed)."""
        self._check_label(label)
        self._spikes[label].append(np.asarray(times, float).ravel(),
                                   np.asarray(ids, np.int64).ravel())

    def add_v(self, label: str, times: np.ndarray, v: np.ndarray) -> None:
        """Append membrane samples: `times` shape (n,), ms; `v` shape (n, size), mV."""
        self._check_label(label)
        self._v_chunks.setdefault(label, []).append((np.asarray(times, float),
                                                     np.asarray(v, float)))

    def add_weights(self, label: str, t: float, weights: np.ndarray) -> None:
        """Store a snapshot of projection `label`'s weights (nA) at time `t` (ms)."""
        self._weights.setdefault(label, []).append((float(t), np.array(weights, float)))

    def set_weight_indices(self, label: str, pre: np.ndarray, post: np.ndarray) -> None:
        """Record the pre/post neuron indices (parent numbering) of projection `label`'s
        synapses, in the order of its weight snapshots."""
        pre = check_index_array("Recording", f"pre indices of {label!r}", pre)
        post = check_index_array("Recording", f"post indices of {label!r}", post,
                                 length=pre.size)
        self._weight_idx[label] = (pre, post)

    # -- read by users ---------------------------------------------------------------------
    @property
    def populations(self) -> list:
        """Labels of the groups with spike records."""
        return list(self.sizes)

    def spikes(self, label: str):
        """Spike times (ms, float64) and neuron ids (int64) of `label`, sorted by time then id.

        The arrays are read-only views (copy them to modify).
        """
        self._check_label(label)
        return self._spikes[label].view()

    def spikes_between(self, label: str, t0: float, t1: float):
        """Spikes of `label` with ``t0 <= time < t1`` (ms), by binary search: (times, ids)."""
        t, i = self.spikes(label)
        a, b = np.searchsorted(t, [t0, t1], side="left")
        return t[a:b], i[a:b]

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
        return int(sum(buf.n for buf in self._spikes.values()))

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

    def weight_indices(self, label: str):
        """Pre and post neuron indices (int64, shape (n,)) of projection `label`'s snapshots."""
        if label not in self._weight_idx:
            raise ValidationError(f"Recording: no synapse indices for {label!r}; known: "
                                  f"{sorted(self._weight_idx)}")
        return self._weight_idx[label]

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
        w = {}
        for k in self._weights:
            w[k] = {"times": self.weights(k)[0], "weights": self.weights(k)[1]}
            if k in self._weight_idx:
                w[k]["pre"], w[k]["post"] = self._weight_idx[k]
        return {"dt": self.dt, "t_stop": self.t_stop, "metadata": self.metadata,
                "order": list(self.sizes), "spikes": spikes, "v": v, "weights": w}

    @classmethod
    def from_dict(cls, d: dict) -> "Recording":
        """Inverse of `to_dict`, validated: raises `ValidationError` for any inconsistency
        (unknown or missing groups, ids >= size, negative, NaN or unsorted times, trace or
        snapshot shapes that do not fit)."""
        return from_description("Recording.from_dict", cls._from_dict, d)

    @classmethod
    def _from_dict(cls, d: dict) -> "Recording":
        owner = "Recording"
        spikes = as_dict("Recording spikes", d["spikes"])
        order = d.get("order")
        order = list(spikes) if order is None else order
        if not isinstance(order, list) or not all(isinstance(k, str) for k in order) or \
                sorted(order) != sorted(spikes) or len(set(order)) != len(order):
            raise ValidationError(f"{owner}: order {order!r} must list each recorded group "
                                  f"once: {sorted(spikes)}")
        rec = cls(d["dt"], {k: as_dict(k, spikes[k])["size"] for k in order}, d.get("metadata"))
        rec.t_stop = check_number(owner, "t_stop", d["t_stop"], 0.0, MAX_TIME_MS, unit="ms")
        limit = MAX_TIME_MS
        for k in order:
            times = check_real_array(owner, f"spike times of {k!r}", spikes[k]["times"], 0.0,
                                     limit, unit="ms")
            ids = check_index_array(owner, f"spike ids of {k!r}", spikes[k]["ids"],
                                    rec.sizes[k], length=times.size)
            if times.size > 1 and not _is_sorted(times, ids):
                raise ValidationError(f"{owner}: spikes of {k!r} must be sorted by time then id")
            rec.add_spikes(k, times, ids)
        for k, tr in as_dict("Recording v", d.get("v", {})).items():
            rec._check_label(k)
            times = check_real_array(owner, f"trace times of {k!r}", tr["times"], 0.0, limit)
            v = check_real_array(owner, f"membrane trace of {k!r}", tr["v"],
                                 shape=(times.size, rec.sizes[k]), unit="mV")
            rec.add_v(k, times, v)
        for k, ws in as_dict("Recording weights", d.get("weights", {})).items():
            check_label(owner, k, optional=False)
            times = check_real_array(owner, f"snapshot times of {k!r}", ws["times"], 0.0, limit)
            w = as_real_array(owner, f"weight snapshots of {k!r}", ws["weights"])
            if w.ndim != 2 or w.shape[0] != times.size:
                raise ValidationError(f"{owner}: weight snapshots of {k!r} must have shape "
                                      f"({times.size}, n), got {w.shape}")
            w = check_real_array(owner, f"weights of {k!r}", w, 0.0, 1e9, shape=w.shape,
                                 unit="nA")
            for t, row in zip(times, w):
                rec.add_weights(k, t, row)
            if "pre" in ws:
                pre = check_index_array(owner, f"pre indices of {k!r}", ws["pre"],
                                        length=w.shape[1])
                rec.set_weight_indices(k, pre, ws["post"])
        return rec

    def save(self, path) -> None:
        """Write to an HDF5 file, atomically (temporary file, then rename), checksummed."""
        from .io import save_tree
        save_tree(path, "recording", self.to_dict())

    @classmethod
    def load(cls, path) -> "Recording":
        """Read a recording written by `save`.

        Raises
        ------
        FileFormatError
            Not a spikemem recording, damaged (checksum), or inconsistent content
            (`spikemem.io.InvalidFileContent`, also a `ValidationError`).
        """
        from .io import InvalidFileContent, read_file
        tree = read_file(path, "recording")
        try:
            return cls.from_dict(tree)
        except ValidationError as exc:
            if isinstance(exc, FileFormatError):
                raise
            raise InvalidFileContent(f"{str(path)!r}: invalid recording ({exc})") from None

    def to_neo(self, populations=None):
        """This recording as a `neo.Block` (see `spikemem.neo_io.to_neo`)."""
        from .neo_io import to_neo
        return to_neo(self, populations)

    def __repr__(self) -> str:
        return (f"Recording(dt={self.dt} ms, t_stop={self.t_stop} ms, "
                f"{len(self.sizes)} groups, {self.n_spikes()} spikes)")
