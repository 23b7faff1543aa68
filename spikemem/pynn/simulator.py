"""Simulator state of spikemem.pynn: the PyNN model, the spikemem engine that runs it.

The PyNN objects of a script are collected here as they are created. At the first `run`
they are translated into an IR `Network` (`builder.build_network`) and built on a spikemem
backend; later runs continue that simulation (state, weights and recordings carry over).
A change the running engine cannot take in place (a new population or projection, new
neuron parameters, a new variable to record, ``initialize`` after a run) marks the model
dirty: the next run rebuilds the network and carries the membrane potentials and weights
over (synaptic currents and spikes still in flight at that moment are not carried).
Spike times of `SpikeSourceArray` populations are handed to the engine run by run
(``add_spikes``), so they may be changed between runs.
"""
from __future__ import annotations

import importlib
import inspect
import warnings
from datetime import datetime, timezone

import numpy as np
from pyNN import common

from .. import backends
from ..errors import ValidationError
from ..lowering import spike_steps
from .builder import CONVENTIONS, build_network

name = "spikemem"
__all__ = ["ID", "State", "state", "name"]


class ID(int, common.IDMixin):
    """A neuron's global id (an int that knows its population)."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """Everything a spikemem.pynn simulation holds between calls."""

    def __init__(self):
        super().__init__()
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.backend = "numba"
        self.seed = 0
        self.conventions = "spinnaker"
        self.options = {}
        self.started = datetime.now(timezone.utc)
        self.clear()

    def configure(self, dt, min_delay, max_delay, backend, seed, conventions, options):
        """Settings of `setup` (validated here, where they are stored)."""
        if not (isinstance(dt, (int, float)) and np.isfinite(dt) and dt > 0):
            raise ValidationError(f"spikemem.pynn.setup: timestep must be a number > 0 ms, "
                                  f"got {dt!r}")
        if backend not in backends.BACKENDS:
            raise ValidationError(f"spikemem.pynn.setup: backend must be one of "
                                  f"{sorted(backends.BACKENDS)}, got {backend!r}")
        if conventions not in CONVENTIONS:
            raise ValidationError(f"spikemem.pynn.setup: conventions must be one of "
                                  f"{CONVENTIONS}, got {conventions!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValidationError(f"spikemem.pynn.setup: seed must be an integer >= 0, "
                                  f"got {seed!r}")
        self.clear()
        self.dt = float(dt)
        self.min_delay = self.dt if min_delay == "auto" else float(min_delay)
        self.max_delay = float("inf") if max_delay == "auto" else float(max_delay)
        self.backend, self.seed, self.conventions = backend, int(seed), conventions
        self.options = dict(options)
        self.started = datetime.now(timezone.utc)

    def clear(self):
        self.recorders = set()
        self.id_counter = 0
        self.segment_counter = -1
        self.populations = []
        self.projections = []
        self.write_on_end = []
        self.reset()

    def reset(self):
        """Back to t = 0: the next run rebuilds from initial values and initial weights."""
        self.running = False
        self.t = 0.0
        self.t_start = 0.0
        self.segment_counter += 1
        self._steps = 0
        self.engine = None
        self.network = None
        self._t0_steps = 0
        self._pop_maps, self._proj_maps = {}, {}
        self._archive = {}
        for pop in self.populations:
            pop._carry_v = None
            pop._reinit = False
        for proj in self.projections:
            proj._carry_w = None
        self.dirty = True

    # -- running ---------------------------------------------------------------------------
    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        n = int(round((tstop - self.t) / self.dt))
        if n <= 0:
            return
        self.ensure_engine()
        s0 = self._steps - self._t0_steps
        self._inject_arrays(s0, s0 + n)
        self.engine.run(n * self.dt)
        self._steps += n
        self.t = round(self._steps * self.dt, 12)
        self.running = True

    def ensure_engine(self):
        """Build (or rebuild after a structural change) the IR network and its simulator."""
        if self.engine is not None and not self.dirty:
            return
        if self.engine is not None:
            self._carry_over()
        net, self._pop_maps, self._proj_maps = build_network(
            self.populations, self.projections, self.dt, self.t, self.seed, self.conventions)
        self.engine = backends.build(net, backend=self.backend, seed=self.seed,
                                     **self._backend_options())
        self.network = net
        self._t0_steps = self._steps
        self.dirty = False

    def current_network(self):
        """The IR network of the model as it stands (built without an engine if none runs)."""
        if self.engine is not None and not self.dirty:
            return self.network
        return build_network(self.populations, self.projections, self.dt, self.t, self.seed,
                             self.conventions)[0]

    def _backend_options(self) -> dict:
        """The `setup` options the chosen backend accepts; PyNN scripts may pass options meant
        for other simulators (sPyNNaker's ``n_boards_required``, NEST's ``spike_precision``),
        which are ignored with a warning, as other PyNN backends ignore them."""
        module, cls, _ = backends.BACKENDS[self.backend]
        params = inspect.signature(getattr(importlib.import_module(module), cls).__init__)
        known = {k: v for k, v in self.options.items() if k in params.parameters}
        ignored = sorted(set(self.options) - set(known))
        if ignored:
            warnings.warn(f"spikemem.pynn: setup options {ignored} mean nothing to the "
                          f"{self.backend!r} backend and are ignored", stacklevel=2)
        return known

    def _carry_over(self):
        """Keep what the old engine recorded and computed before it is replaced."""
        t0 = self._t0_steps * self.dt
        v_all = self.engine.v
        offsets = np.cumsum([0] + [p.size for p in self.network.populations])
        start = {p.label: int(a) for p, a in zip(self.network.populations, offsets[:-1])}
        for pop in self.populations:
            m = self._pop_maps.get(id(pop))
            if m is None:
                continue
            self._archive.setdefault(id(pop), []).append(self._read(pop, m, t0))
            if type(pop.celltype).__name__ == "IF_curr_exp" and not pop._reinit:
                v = np.empty(pop.size)
                for label, mem in zip(m.labels, m.members):
                    v[mem] = v_all[start[label]:start[label] + mem.size]
                pop._carry_v = v
            pop._reinit = False
        for proj in self.projections:
            if id(proj) in self._proj_maps:
                proj._carry_w = self.current_weights(proj)

    def _inject_arrays(self, s0: int, s1: int):
        for pop in self.populations:
            if type(pop.celltype).__name__ != "SpikeSourceArray":
                continue
            times, ids = pop._spike_array()
            rel = times - self._t0_steps * self.dt
            steps = spike_steps(rel, self.dt)
            sel = (steps >= s0) & (steps < s1)
            if np.any(sel):
                label = self._pop_maps[id(pop)].labels[0]
                self.engine.add_spikes(label, rel[sel], ids[sel])

    # -- reading back ----------------------------------------------------------------------
    def current_weights(self, proj) -> np.ndarray:
        """Weights (nA, IR magnitudes) of a PyNN projection's connections, in its order."""
        if self.engine is None or id(proj) not in self._proj_maps:
            if proj._carry_w is not None:
                return proj._carry_w.copy()
            return proj._ir_weights(proj._connections()["weight"])
        w = np.empty(len(proj))
        for label, pos in self._proj_maps[id(proj)].parts:
            w[pos] = self.engine.weights(label)
        return w

    def set_weights(self, proj, weights) -> None:
        """Give the running engine new weights (nA, IR magnitudes) for a PyNN projection.

        Before the first run (or after a reset) the projection's own arrays are used when the
        engine is built, so there is nothing to do here.
        """
        if self.engine is None or id(proj) not in self._proj_maps:
            return
        for label, pos in self._proj_maps[id(proj)].parts:
            self.engine.set_weights(label, weights[pos])

    def recorded(self, pop):
        """Spikes and membrane traces of a PyNN population in the current segment.

        Returns
        -------
        dict with "spikes": (times ms, indices) and, if recorded, "v": (times ms (n,),
        v mV (n, size)); indices are the population's own neuron indices.
        """
        chunks = list(self._archive.get(id(pop), []))
        m = self._pop_maps.get(id(pop))
        if self.engine is not None and m is not None:
            chunks.append(self._read(pop, m, self._t0_steps * self.dt))
        times = [c["spikes"][0] for c in chunks]
        idx = [c["spikes"][1] for c in chunks]
        out = {"spikes": (np.concatenate(times) if times else np.zeros(0),
                          np.concatenate(idx) if idx else np.zeros(0, np.int64))}
        vs = [c["v"] for c in chunks if "v" in c]
        if vs:
            out["v"] = (np.concatenate([t for t, _ in vs]), np.concatenate([v for _, v in vs]))
        return out

    def _read(self, pop, m, t0: float) -> dict:
        rec = self.engine.recording
        times, idx = [], []
        for label, mem in zip(m.labels, m.members):
            t, i = rec.spikes(label)
            times.append(t + t0)
            idx.append(mem[i])
        out = {"spikes": (np.concatenate(times), np.concatenate(idx))}
        if all(label in rec.traced for label in m.labels) and m.labels:
            t_v = rec.v(m.labels[0])[0] + t0
            v = np.empty((t_v.size, pop.size))
            for label, mem in zip(m.labels, m.members):
                v[:, mem] = rec.v(label)[1]
            out["v"] = (t_v, v)
        return out


state = State()
