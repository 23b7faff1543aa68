"""The interface every backend's simulator implements, and what they share."""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedFeature, ValidationError
from ..network import Network, Projection
from ..recording import Recording
from ..interrupts import DeferredInterrupt, SimulationInterrupted
from ..resources import check_run
from ..stimulus import SpikeSourceArray
from ..validation import MAX_DURATION_MS, check_number

__all__ = ["BaseSimulator", "require_synapse_types"]


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
                    self._advance(n if chunk is None else min(n, chunk))
                    self._safe_point()
            finally:
                self._interrupt_guard = None
                self._recording.t_stop = self.t
            for proj in self.network.projections:
                if proj.plastic and proj.record_weights:
                    self._recording.add_weights(proj.label, self.t, self.weights(proj))
        return self._recording

    #: Steps per `_advance` call within one `run` (Ctrl-C is honoured between calls); None =
    #: the whole run in one call (the backend then calls `_safe_point` itself).
    _interrupt_chunk_steps = 2000
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
    def save_state(self, path) -> None:
        """Write the full simulator state to a checkpoint file (HDF5, atomic, checksummed).

        The file holds the network, the time, every state variable of the backend (membranes,
        synaptic currents, refractory counters, delay buffers, traces, weights incl. slow
        weights and tags), the injected spikes and the recording, so that
        ``build(network, backend).load_state(path)`` continues bit for bit.
        """
        from ..checkpoint import save_checkpoint
        save_checkpoint(self, path)

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
        label = source if isinstance(source, str) else source.label
        src = self.network[label]
        if not isinstance(src, SpikeSourceArray):
            raise ValidationError(f"add_spikes: {label!r} is not a SpikeSourceArray")
        times = np.atleast_1d(np.asarray(times, float))
        ids = np.atleast_1d(np.asarray(ids))
        if times.shape != ids.shape:
            raise ValidationError(f"add_spikes({label!r}): times and ids must have equal shapes, "
                                  f"got {times.shape} and {ids.shape}")
        if times.size == 0:
            return
        steps = np.floor(times / self.network.dt + 0.5).astype(np.int64)
        if not np.all(np.isfinite(times)) or steps.min() < self._step:
            raise ValidationError(
                f"add_spikes({label!r}): spike times must be finite and >= the current time "
                f"{self.t} ms, got {times.min()!r}")
        if ids.min() < 0 or ids.max() >= src.size or not np.issubdtype(ids.dtype, np.integer):
            raise ValidationError(
                f"add_spikes({label!r}): ids must be integers in 0..{src.size - 1}, got "
                f"{ids.min()}..{ids.max()}")
        self._inject(label, steps, ids.astype(np.int64))

    def _repeated_source_spike(self, label: str, steps=None, ids=None):
        """First (neuron, step) at which SpikeSourceArray `label` fires twice, or None.

        Counts the source's own spikes, the spikes injected so far and, if given, the new
        spikes ``steps`` (time steps) and ``ids`` (neuron indices) about to be injected.
        """
        src = self.network[label]
        own_steps, own_ids = src.spikes_between(self.network.dt, 0, np.iinfo(np.int64).max)
        earlier = self._injected.get(label, [])
        all_steps = [own_steps] + [st for st, _ in earlier]
        all_ids = [own_ids] + [i for _, i in earlier]
        if steps is not None:
            all_steps.append(np.asarray(steps, np.int64))
            all_ids.append(np.asarray(ids, np.int64))
        key = np.concatenate(all_steps) * src.size + np.concatenate(all_ids)
        uniq, counts = np.unique(key, return_counts=True)
        if not np.any(counts > 1):
            return None
        k = int(uniq[counts > 1][0])
        return k % src.size, k // src.size

    def _validated_weights(self, label: str, weights, n: int) -> np.ndarray:
        """`weights` as a float array after checking it fits projection `label` (n synapses).

        Weights must be finite, >= 0 nA, of shape (n,) and, for a plastic projection, within
        the synapse's ``[w_min, w_max]``.
        """
        w = np.asarray(weights, float)
        if w.shape != (n,) or np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ValidationError(
                f"set_weights({label!r}): weights must be finite, >= 0 nA and of shape ({n},)")
        syn = self.network[label].synapse
        if syn.plastic and w.size and (w.min() < syn.w_min or w.max() > syn.w_max):
            raise ValidationError(
                f"set_weights({label!r}): weights of a plastic projection must lie in "
                f"[w_min, w_max] = [{syn.w_min}, {syn.w_max}] nA, got [{w.min()}, {w.max()}]")
        return w

    def _projection_label(self, projection) -> str:
        label = projection.label if isinstance(projection, Projection) else projection
        if label not in self.network or not isinstance(self.network[label], Projection):
            raise ValidationError(f"{type(self).__name__}: no projection labelled {label!r}")
        return label

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.network!r}, t={self.t} ms)"
