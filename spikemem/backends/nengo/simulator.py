"""The Nengo backend's `Simulator`: the IR as a Nengo network on Nengo's reference simulator.

Mapping (see the sibling modules for the neuron type, connection and learning rule):

* each `Population` -> ``nengo.Ensemble`` of `IFCurrExp` neurons (gain 1, bias ``i_offset``);
* each spike source -> ``nengo.Ensemble`` of `ScheduledSpikes` neurons;
* each `Projection` -> `IRConnection` (with a `PairSTDP` rule if plastic);
* spikes and membrane potentials are recorded with ``nengo.Probe`` on the ensembles' neurons.

Nengo's dt is in seconds (``dt_ms / 1000``); the builders use the IR's dt in ms exactly.
"""
from __future__ import annotations

import sys

import nengo
import numpy as np

from ...network import Network
from ...stimulus import SpikeSourceArray
from ...synapses import STDP, ConsolidatingSTDP, StaticSynapse
from ..base import BaseSimulator, require_synapse_types
from ..consolidating import (ConsolidatingState, check_component, component_of,
                             with_component)
from .connections import IRConnection, IRNetwork
from .consolidating import learning_rule_for
from .neurons import IFCurrExp, ScheduledSpikes, SpikeSchedule

__all__ = ["NengoSimulator"]


class NengoSimulator(BaseSimulator):
    """Run a `Network` on Nengo's reference simulator with the IR's exact semantics.

    Parameters
    ----------
    network : Network
    seed : int
        Seed of the Nengo simulator (the translated network itself is deterministic).
    progress : bool or None
        Show Nengo's progress bar; None = only when stderr is a terminal.

    Raises
    ------
    UnsupportedFeature
        A spike source fires one neuron more than once in one time step and feeds a plastic
        projection (the depression of the repeated events would be interleaved with their
        delivery, which the Nengo operators do not do).

    Attributes
    ----------
    nengo_network : IRNetwork
        The translated network; ``ensembles[label]`` and ``connections[label]`` give its
        Nengo objects by IR label.
    sim : nengo.Simulator
    """

    backend_name = "nengo"

    def __init__(self, network: Network, seed: int = 0, progress=None):
        super().__init__(network, seed)
        require_synapse_types(network, (StaticSynapse, STDP, ConsolidatingSTDP),
                              "NengoSimulator")
        self.progress = progress
        self._plastic_sources = {p.pre_population.label for p in network.projections
                                 if p.plastic and p.pre_population in network.sources}
        for src in network.sources:
            if isinstance(src, SpikeSourceArray):
                self._check_repeats(src.label)
        self._translate()
        show = progress if progress is not None else sys.stderr.isatty()
        self.sim = nengo.Simulator(self.nengo_network, dt=network.dt * 1e-3, seed=self.seed,
                                   progress_bar=bool(show))
        self.reset()

    # -- building --------------------------------------------------------------------------
    def _translate(self) -> None:
        net, low = self.network, self.lowered
        nn = IRNetwork(dt_ms=net.dt, max_delay_steps=low.max_delay, label=net.label,
                       seed=self.seed)
        self.ensembles, self.connections = {}, {}
        self._schedules, self._spike_probes, self._v_probes = {}, {}, {}
        with nn:
            for pop in net.populations:
                cell = pop.celltype
                ens = nengo.Ensemble(
                    pop.size, 1, neuron_type=IFCurrExp.from_ir(cell, pop.initial_v_array()),
                    gain=np.ones(pop.size), bias=np.full(pop.size, cell.i_offset),
                    encoders=np.ones((pop.size, 1)), label=pop.label)
                self.ensembles[pop.label] = ens
                if "spikes" in pop.record:
                    self._spike_probes[pop.label] = nengo.Probe(ens.neurons, "output")
                if "v" in pop.record:
                    self._v_probes[pop.label] = nengo.Probe(ens.neurons, "voltage")
            for src in net.sources:
                schedule = SpikeSchedule(src.size)
                ens = nengo.Ensemble(src.size, 1, neuron_type=ScheduledSpikes(schedule),
                                     gain=np.ones(src.size), bias=np.zeros(src.size),
                                     encoders=np.ones((src.size, 1)), label=src.label)
                self.ensembles[src.label] = ens
                self._schedules[src.label] = schedule
                self._spike_probes[src.label] = nengo.Probe(ens.neurons, "output")
            for lp in low.projections:
                proj = lp.projection
                rule = learning_rule_for(proj.synapse) if proj.plastic else None
                self.connections[proj.label] = IRConnection(
                    self.ensembles[proj.pre_population.label].neurons,
                    self.ensembles[proj.post_population.label].neurons,
                    lp.pre_local, lp.post_local, lp.weight, lp.delay, receptor=proj.receptor,
                    learning_rule_type=rule, label=proj.label)
        nn.pre_order = [self.ensembles[p.label] for p in net.populations] + \
                       [self.ensembles[s.label] for s in net.sources]
        nn.drives = {self.ensembles[p.label]: (low.offset[p.label], [
            d for d in low.drives if d.drive.population is p]) for p in net.populations}
        self.nengo_network = nn

    def reset(self) -> None:
        """Return to t = 0 with initial state, initial weights and an empty recording."""
        self.sim.reset(seed=self.seed)
        self._step = 0
        self._injected = {}
        self._new_recording()

    # -- running ---------------------------------------------------------------------------
    def _advance(self, n_steps: int) -> None:
        s0, s1 = self._step, self._step + n_steps
        for src in self.network.sources:
            self._schedules[src.label].set_window(*self._source_window(src.label, s0, s1))
        show = self.progress if self.progress is not None else sys.stderr.isatty()
        self.sim.run_steps(n_steps, progress_bar=bool(show))
        self._store(s0, s1)
        self._step = s1

    def _store(self, s0: int, s1: int) -> None:
        dt = self.network.dt
        for label, probe in self._spike_probes.items():
            counts = np.rint(np.asarray(self.sim.data[probe]) * self.sim.dt).astype(np.int64)
            rows, ids = np.nonzero(counts)
            reps = counts[rows, ids]
            if rows.size:
                self._recording.add_spikes(label, np.repeat(rows + s0, reps) * dt,
                                           np.repeat(ids, reps))
        for label, probe in self._v_probes.items():
            self._recording.add_v(label, np.arange(s0, s1) * dt,
                                  np.array(self.sim.data[probe], dtype=float))
        self.sim.clear_probes()

    # -- state access ----------------------------------------------------------------------
    def _weights_signal(self, projection):
        label = self._projection_label(projection)
        sig = self.sim.model.sig[self.connections[label]]["weights"]
        if sig.size == 0:           # no operator uses an empty projection's weights
            return label, np.zeros(0)
        return label, self.sim.signals[sig]

    def weights(self, projection, component: str = "total") -> np.ndarray:
        """Current weights (nA) of a projection, in the projection's synapse order.

        `component` ("total", "fast", "slow", "tag") as for the Numba engine: a
        `ConsolidatingSTDP` projection has all four, others only "total".
        """
        label = self._projection_label(projection)
        if not check_component(label, component, self.network[label].synapse):
            return np.array(self._weights_signal(projection)[1], dtype=float)
        state = self._consolidating_state(label)
        return component_of(state, self.network[label].synapse, self._step, self.dt,
                            component)

    def set_weights(self, projection, weights, component: str = "total") -> None:
        """Overwrite the current weights (nA) of a projection (e.g. learned elsewhere);
        `component` as in `weights` (bounds as for the Numba engine)."""
        label = self._projection_label(projection)
        if not check_component(label, component, self.network[label].synapse):
            label, sig = self._weights_signal(projection)
            sig[...] = self._validated_weights(label, weights, sig.shape[0])
            return
        new = with_component(label, self.network[label].synapse,
                             self._consolidating_state(label), self._step, self.dt, weights,
                             component)
        sig = self.sim.model.sig[self.connections[label].learning_rule]
        for name in ("fast", "slow", "tag", "last"):
            self.sim.signals[sig[name]][...] = getattr(new, name)

    def _consolidating_state(self, label: str) -> ConsolidatingState:
        """The `ConsolidatingState` (views of the rule's signals) of a consolidating
        projection."""
        sig = self.sim.model.sig[self.connections[label].learning_rule]
        if sig["fast"].size == 0:
            return ConsolidatingState(*(np.zeros(0) for _ in range(3)), np.zeros(0, np.int64))
        return ConsolidatingState(*(self.sim.signals[sig[k]]
                                    for k in ("fast", "slow", "tag", "last")))

    def _inject(self, label: str, steps: np.ndarray, ids: np.ndarray) -> None:
        self._check_repeats(label, steps, ids)
        self._injected.setdefault(label, []).append((steps, ids))

    def _check_repeats(self, label: str, steps=None, ids=None) -> None:
        if label not in self._plastic_sources:
            return
        self._refuse_repeated_source_spike(
            label, steps, ids, "Nengo", " into a plastic projection (repeated presynaptic "
            "events within one step through STDP synapses)")

    @property
    def v(self) -> np.ndarray:
        """Current membrane potentials of all neurons (mV), in population order."""
        parts = [self.sim.signals[self.sim.model.sig[self.ensembles[p.label].neurons]["voltage"]]
                 for p in self.network.populations]
        return np.concatenate(parts) if parts else np.zeros(0)


    # -- checkpoints (spikemem.checkpoint) -------------------------------------------------
    def _state_signals(self) -> list:
        """(stable name, signal) of every writable signal the builders registered.

        Named by object and key (``"<Neurons of <Ensemble 'a'>>|voltage"``), not by position:
        Nengo's optimiser merges signals in an order that differs between builds.
        """
        model, signals = self.sim.model, self.sim.signals
        out, seen = [("step", model.step), ("time", model.time)], {}
        for obj, sigs in model.sig.items():
            for key, sig in sigs.items():
                if sig is None or sig.readonly:
                    continue
                try:            # a merged signal is a view, found through its base
                    arr = signals[sig]
                except KeyError:
                    continue
                if not arr.flags.writeable:
                    continue
                name = f"{obj}|{key}"
                seen[name] = seen.get(name, 0) + 1
                out.append((name if seen[name] == 1 else f"{name}#{seen[name]}", sig))
        return out

    def _get_state(self) -> dict:
        """Every writable Nengo signal (by stable name) and the simulator's RNG state."""
        pairs = self._state_signals()
        rng = self.sim.rng.get_state()
        return {"names": [n for n, _ in pairs],
                "signals": {str(k): np.array(self.sim.signals[sig])
                            for k, (_, sig) in enumerate(pairs)},
                "rng": {"key": rng[1], "pos": int(rng[2]), "has_gauss": int(rng[3]),
                        "gauss": float(rng[4])}}

    def _set_state(self, state: dict) -> None:
        """Inverse of `_get_state`; names and shapes must match this build."""
        pairs = self._state_signals()
        if list(state["names"]) != [n for n, _ in pairs]:
            raise ValueError("the Nengo signals differ from this network's build")
        for k, (name, sig) in enumerate(pairs):
            arr = self.sim.signals[sig]
            new = np.asarray(state["signals"][str(k)])
            if new.shape != arr.shape:
                raise ValueError(f"signal {name}: shape {new.shape}, expected {arr.shape}")
            arr[...] = new
        r = state["rng"]
        self.sim.rng.set_state(("MT19937", np.asarray(r["key"], np.uint32), r["pos"],
                                r["has_gauss"], r["gauss"]))
        self.sim._probe_step_time()
