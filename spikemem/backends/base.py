"""The interface every backend's simulator implements, and what they share."""
from __future__ import annotations

import time

import numpy as np

from ..errors import UnsupportedFeature, ValidationError
from ..lowering import check_weights, lower, spike_steps
from ..network import Network, Projection
from ..recording import Recording
from ..interrupts import DeferredInterrupt, SimulationInterrupted
from ..resources import check_run
from ..stimulus import SpikeSourceArray
from ..validation import (MAX_DURATION_MS, MAX_TIME_MS, check_index_array, check_number,
                          check_real_array)

__all__ = ["BaseSimulator", "require_synapse_types"]

_CHUNK_SECONDS = 0.5


def require_synapse_types(network: Network, supported: tuple, backend: str) -> None:
    """Raise `UnsupportedFeature` (before anything runs) if a projection of `network` uses a
    synapse type that is not in `supported`, naming the projection, the type and `backend`."""
    for proj in network.projections:
        if not isinstance(proj.synapse, supported):
            raise UnsupportedFeature(
                f"{backend}: projection {proj.label!r} uses {type(proj.synapse).__name__} "
                f"synapses, which this backend cannot run (it runs "
                f"{', '.join(t.__name__ for t in supported)}); use the 'numba' backend")


class BaseSimulator:
    """Common part of the backends' simulators.

    Subclasses implement ``reset()``, ``_advance(n_steps)``, ``weights(projection)``,
    ``set_weights(projection, w)`` and ``_inject(label, steps, ids)``.

    Attributes
    ----------
    network : Network
    seed : int
    t : float
        Simulated time so far, ms.
    recording : Recording
        Everything recorded since the last `reset`.
    lowered : LoweredNetwork
        ``spikemem.lowering.lower(network)``: node offsets, delays in steps, weights and
        spike windows, which the backend reads instead of deriving them.
    """

    backend_name = "base"
    #: Memory limit (bytes) of the run-length estimate; None = the memory available.
    max_memory = None

    def __init__(self, network: Network, seed: int = 0):
        if not isinstance(network, Network):
            raise ValidationError(f"{type(self).__name__}: network must be a spikemem.Network, "
                                  f"got {type(network).__name__}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValidationError(f"{type(self).__name__}: seed must be an integer >= 0, "
                                  f"got {seed!r}")
        self.network = network
        self.seed = int(seed)
        self.lowered = lower(network, owner=type(self).__name__)
        self._step = 0
        self._injected: dict = {}       # source label -> [(steps, ids)] added by add_spikes

    @property
    def dt(self) -> float:
        return self.network.dt

    @property
    def t(self) -> float:
        """Simulated time so far, ms."""
        return self._step * self.network.dt

    @property
    def recording(self) -> Recording:
        return self._recording

    def _new_recording(self) -> None:
        sizes = {p.label: p.size for p in self.network.populations}
        sizes.update({s.label: s.size for s in self.network.sources})
        self._recording = Recording(self.network.dt, sizes, {
            "network": self.network.label, "backend": self.backend_name, "seed": self.seed})
        for proj in self.network.projections:
            if proj.plastic and proj.record_weights:
                self._recording.set_weight_indices(proj.label, proj.pre_idx, proj.post_idx)

    def run(self, duration: float) -> Recording:
        """Advance the simulation by `duration` ms (a whole number of steps); returns the recording.

        State, weights and recording carry over between calls. Ctrl-C (SIGINT) during a run
        stops it at the next consistent step boundary and raises
        `spikemem.interrupts.SimulationInterrupted` (a ``KeyboardInterrupt``): every spike up to
        ``self.t`` is recorded and ``run(exc.remaining_ms)`` continues exactly as an
        uninterrupted run would.
        """
        duration = check_number(f"{type(self).__name__}.run", "duration", duration, 0.0,
                                MAX_DURATION_MS, lo_open=True, unit="ms")
        steps = duration / self.network.dt
        if abs(steps - round(steps)) > 1e-6:
            raise ValidationError(
                f"{type(self).__name__}.run: duration must be a positive multiple of dt = "
                f"{self.network.dt} ms, got {duration!r}")
        check_run(self.network, int(round(steps)), self.max_memory)
        self._run_end = self._step + int(round(steps))
        with DeferredInterrupt() as guard:
            self._interrupt_guard = guard
            try:
                chunk = self._interrupt_chunk_steps
                while self._step < self._run_end:
                    n = self._run_end - self._step
                    started = time.perf_counter()
                    self._advance(n if chunk is None else min(n, chunk))
                    self._safe_point()
                    if chunk is not None and self._adaptive_chunks and \
                            time.perf_counter() - started < _CHUNK_SECONDS:
                        chunk *= 2          # few calls for fast runs, Ctrl-C within ~1 s

            finally:
                self._interrupt_guard = None
                self._drop_delivered_injections()
                self._recording.t_stop = self.t
            for proj in self.network.projections:
                if proj.plastic and proj.record_weights:
                    self._recording.add_weights(proj.label, self.t, self.weights(proj))
        return self._recording

    #: Steps of the first `_advance` call within one `run` (Ctrl-C is honoured between
    #: calls; with `_adaptive_chunks` the chunk doubles while a call takes under 0.5 s);
    #: None = the whole run in one call (the backend then calls `_safe_point` itself).
    _interrupt_chunk_steps = 1000
    _adaptive_chunks = True
    _interrupt_guard = None
    _run_end = 0

    def _safe_point(self) -> None:
        """Raise `SimulationInterrupted` if Ctrl-C arrived; call only when state is committed."""
        guard = self._interrupt_guard
        if guard is None or not guard.pending or self._step >= self._run_end:
            return
        guard.clear()
        self._recording.t_stop = self.t
        raise SimulationInterrupted(self.t, (self._run_end - self._step) * self.network.dt)

    # -- checkpoints -----------------------------------------------------------------------
    def save_state(self, path, extra=None) -> None:
        """Write the full simulator state to a checkpoint file (HDF5, atomic, checksummed).

        The file holds the network, the time, every state variable of the backend (membranes,
        synaptic currents, refractory counters, delay buffers, traces, weights incl. slow
        weights and tags), the injected spikes and the recording, so that
        ``build(network, backend).load_state(path)`` continues bit for bit. `extra` (a dict)
        is stored beside it for a session's own data (`spikemem.checkpoint.read_extra`).
        """
        from ..checkpoint import save_checkpoint
        save_checkpoint(self, path, extra)

    def _get_state(self) -> dict:
        """The backend's own state as a tree of arrays (overridden by every backend)."""
        raise UnsupportedFeature(f"{type(self).__name__}: checkpoints (save_state/load_state) "
                                 "are not implemented for this simulator")

    def _set_state(self, state: dict) -> None:
        """Inverse of `_get_state` (overridden by every backend)."""
        self._get_state()

    def load_state(self, path) -> "BaseSimulator":
        """Replace this simulator's state by a checkpoint written by `save_state`; returns self.

        Raises
        ------
        FileFormatError
            Not a checkpoint, damaged, another backend's, or of a different network.
        """
        from ..checkpoint import load_checkpoint
        load_checkpoint(self, path)
        return self

    def add_spikes(self, source, times, ids) -> None:
        """Schedule extra spikes of a `SpikeSourceArray` at times (ms) not before the current time.

        Parameters
        ----------
        source : SpikeSourceArray or str
            The source (or its label) in the network.
        times : array_like of float, shape (n,)
            Spike times, ms, each >= ``self.t``.
        ids : array_like of int, shape (n,)
            Neuron indices within the source.
        """
        label = source if isinstance(source, str) else getattr(source, "label", None)
        src = self.network._labels.get(label) if isinstance(label, str) else None
        if not isinstance(src, SpikeSourceArray):
            raise ValidationError(f"add_spikes: {label!r} is not a SpikeSourceArray")
        owner = f"add_spikes({label!r})"
        times = check_real_array(owner, "times", times, 0.0, MAX_TIME_MS, unit="ms")
        ids = check_index_array(owner, "ids", ids, src.size, length=times.size)
        if times.size == 0:
            return
        steps = spike_steps(times, self.network.dt)
        if steps.min() < self._step:
            raise ValidationError(
                f"{owner}: spike times must be >= the current time {self.t} ms, got "
                f"{times.min()!r}")
        self._inject(label, steps, ids.astype(np.int64))

    def _source_spikes(self, s0: int, s1: int):
        """Spikes of every source (own and injected) in steps ``[s0, s1)``: (steps, nodes)."""
        return self.lowered.source_spikes(s0, s1, self._injected)

    def _source_window(self, label: str, s0: int, s1: int):
        """Spikes of source `label` (own and injected) in steps ``[s0, s1)``: (steps, ids)."""
        return self.lowered.source_window(label, s0, s1, self._injected)

    def _drop_delivered_injections(self) -> None:
        """Drop injected spikes before the current step, so long sessions stay O(operations)."""
        for label, pending in self._injected.items():
            self._injected[label] = [(st, i) for st, i in pending
                                     if st.size and st.max() >= self._step]

    def _repeated_source_spike(self, label: str, steps=None, ids=None):
        """First (neuron, step) at which SpikeSourceArray `label` fires twice, or None.

        Counts the source's own spikes, the spikes injected so far and, if given, the new
        spikes ``steps`` (time steps) and ``ids`` (neuron indices) about to be injected.
        """
        src = self.network[label]
        pending = list(self._injected.get(label, []))
        if steps is not None:
            pending.append((np.asarray(steps, np.int64), np.asarray(ids, np.int64)))
        all_steps, all_ids = self.lowered.source_window(label, 0, np.iinfo(np.int64).max,
                                                        {label: pending})
        key = all_steps * src.size + all_ids
        uniq, counts = np.unique(key, return_counts=True)
        if not np.any(counts > 1):
            return None
        k = int(uniq[counts > 1][0])
        return k % src.size, k // src.size

    def _refuse_repeated_source_spike(self, label: str, steps, ids, backend: str,
                                      why: str) -> None:
        """Raise `UnsupportedFeature` if source `label` would fire a neuron twice in one step
        (see `_repeated_source_spike`), naming `backend`, the neuron, the step and `why`."""
        repeat = self._repeated_source_spike(label, steps, ids)
        if repeat is not None:
            raise UnsupportedFeature(
                f"{backend} backend: spike source {label!r} fires neuron {repeat[0]} more than "
                f"once in step {repeat[1]}{why}")

    def _validated_weights(self, label: str, weights, n: int) -> np.ndarray:
        """`weights` as a float array after `spikemem.lowering.check_weights` (finite,
        >= 0 nA, shape (n,), within ``[w_min, w_max]`` for a plastic projection); `n` is the
        number of synapses the backend holds for projection `label`."""
        return check_weights(self.network[label], weights, f"set_weights({label!r}): weights",
                             size=n)

    @staticmethod
    def _check_total(projection, component: str) -> None:
        """Raise unless `component` is "total" (backends without `ConsolidatingSTDP`)."""
        if component != "total":
            label = getattr(projection, "label", projection)
            raise ValidationError(f"projection {label!r}: component must be 'total' on this "
                                  f"backend, got {component!r}")

    def _projection_label(self, projection) -> str:
        label = projection.label if isinstance(projection, Projection) else projection
        if label not in self.network or not isinstance(self.network[label], Projection):
            raise ValidationError(f"{type(self).__name__}: no projection labelled {label!r}")
        return label

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.network!r}, t={self.t} ms)"
