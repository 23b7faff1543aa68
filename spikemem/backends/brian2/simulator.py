"""The Brian2 backend's `Simulator`: builds Brian2 objects from the IR, runs and records them.

See `spikemem.backends.brian2.layout` for how the network maps onto Brian2 objects. The
runtime device (numpy or Cython code generation) supports continued runs, `add_spikes` and
`set_weights` between runs; the ``cpp_standalone`` device builds, compiles and runs the whole
simulation once (as Brian2's standalone mode does) and then returns to the runtime device.
"""
from __future__ import annotations

import contextlib
import math
import shutil
import sys
import tempfile

import brian2 as b2
import numpy as np
from brian2.devices.device import reset_device
from numba import vectorize

from ...errors import UnsupportedFeature, ValidationError
from ...network import Network
from ...resources import check_drive_tables
from ...stimulus import SpikeSourceArray
from ...synapses import STDP, ConsolidatingSTDP, StaticSynapse
from ..base import BaseSimulator, require_synapse_types
from ..consolidating import ConsolidatingState, check_component, component_of, with_component
from . import consolidating as cons
from .drives import runtime_drive_operation, standalone_drive_operation
from .layout import (THRESHOLD, _trace_at_delay, make_layout, neuron_model, neuron_update_code,
                     on_post_code, on_pre_code, reset_code, synapse_model)

__all__ = ["Brian2Simulator", "libm_exp"]

DEVICES = ("runtime", "cpp_standalone")
TARGETS = ("numpy", "cython")
#: C++ flags for Cython and standalone code: Brian2's defaults without -ffast-math and
#: -march=native, and without fused multiply-adds, so that float results equal the Numba
#: engine's (which compiles without fast-math).
EXACT_CPP_ARGS = ["-w", "-O3", "-ffp-contract=off", "-std=c++11"]
_PARAMS = ("exp_m", "R", "decay_E", "init_E", "decay_I", "init_I", "v_rest", "v_reset",
           "v_thresh", "i_offset")


@vectorize(["float64(float64)"], cache=True)
def _libm_exp_ufunc(x):
    return math.exp(x)


@b2.implementation("cpp", "double libm_exp(double x) { return exp(x); }")
@b2.implementation("cython", "cdef double libm_exp(double x):\n    return exp(x)")
@b2.check_units(x=1, result=1)
def libm_exp(x):
    """exp computed by the C library (as in Numba kernels), not numpy's SIMD exp (1 ulp apart)."""
    return _libm_exp_ufunc(np.asarray(x, dtype=np.float64))


@contextlib.contextmanager
def _exact_codegen(target: str):
    """Brian2 preferences for code that reproduces the Numba engine's floating point."""
    new = {"codegen.target": target,
           "codegen.loop_invariant_optimisations": False,
           "codegen.cpp.extra_compile_args_gcc": EXACT_CPP_ARGS}
    saved = {k: b2.prefs[k] for k in new}
    for k, v in new.items():
        b2.prefs[k] = v
    try:
        yield
    finally:
        for k, v in saved.items():
            b2.prefs[k] = v


class Brian2Simulator(BaseSimulator):
    """Run a `Network` on Brian2 with the IR's exact discrete-time semantics.

    Parameters
    ----------
    network : Network
    seed : int
        Unused by the deterministic translation (the network's randomness is already fixed);
        kept for the common backend interface.
    device : {"runtime", "cpp_standalone"}
        Brian2 device. ``cpp_standalone`` compiles the whole simulation to C++ and runs it
        once: `run` may be called once per `reset`.
    target : {"numpy", "cython"}
        Code generation target of the runtime device (numpy needs no compiler and is fastest
        for small networks; Cython compiles once per model, cached in ~/.cython).
    progress : bool or None
        Report progress of long runs on stderr; None = only when stderr is a terminal.
    build_dir : str, optional
        Directory for the ``cpp_standalone`` project (default: a temporary directory, deleted
        after the run).

    Raises
    ------
    ValidationError
        Unknown device or target.
    UnsupportedFeature
        A projection uses a synapse type other than `StaticSynapse` and `STDP`; or a spike
        source fires one neuron twice in one time step (Brian2's ``SpikeGeneratorGroup``
        allows one spike per neuron and step).
    """

    backend_name = "brian2"

    def __init__(self, network: Network, seed: int = 0, device: str = "runtime",
                 target: str = "numpy", progress=None, build_dir=None):
        super().__init__(network, seed)
        require_synapse_types(network, (StaticSynapse, STDP, ConsolidatingSTDP),
                              "Brian2Simulator")
        if device not in DEVICES:
            raise ValidationError(f"Brian2Simulator: device must be one of {DEVICES}, "
                                  f"got {device!r}")
        if target not in TARGETS:
            raise ValidationError(f"Brian2Simulator: target must be one of {TARGETS}, "
                                  f"got {target!r}")
        self.device = device
        self.target = target
        self.progress = progress
        self.build_dir = build_dir
        self._layout = make_layout(self.lowered)
        self._cons_state0 = cons.attach_consolidating(self._layout, network)
        for src in network.sources:
            if isinstance(src, SpikeSourceArray):
                self._check_unique(src.label)
        self.reset()

    # -- building --------------------------------------------------------------------------
    def reset(self) -> None:
        """Return to t = 0 with initial state, initial weights and an empty recording."""
        self._step = 0
        self._injected = {}
        self._new_recording()
        self._block_w = [b.weight.copy() for b in self._layout.blocks]
        self._block_cons = {b: {k: v.copy() for k, v in arrays.items()}
                            for b, arrays in self._cons_state0.items()}
        self._ran_standalone = False
        self._objects = None            # Brian2 objects, created by the first run

    def _build(self, n_steps=None) -> dict:
        """Create the Brian2 objects (on the active device) with the current weights.

        `n_steps` is the length of a ``cpp_standalone`` run (its drives' input is computed
        beforehand); None on the runtime device.

        Names are fixed (unique within the simulator's own ``Network``), so that equal
        networks generate equal code and Cython reuses its compiled extensions.
        """
        c, L = self.lowered, self._layout
        p = c.neuron_params()
        clock = b2.Clock(dt=c.dt * b2.ms, name="spikemem_clock")
        ns = {"dt_ms": c.dt, "libm_exp": libm_exp}
        ns.update({f"dec{k}": math.exp(-c.dt / tau) for k, tau in enumerate(L.tau_minus)})
        objs = {"clock": clock, "syn": []}
        net = b2.Network()
        if c.n_neurons:
            G = b2.NeuronGroup(c.n_neurons, neuron_model(L), threshold=THRESHOLD,
                               reset=reset_code(L), clock=clock, namespace=ns,
                               name="spikemem_neurons")
            for k in _PARAMS:
                setattr(G, k, p[k])
            G.refrac_steps = p["refrac_steps"]
            G.v = c.initial_v()
            G.active = 1
            G.run_regularly(neuron_update_code(L), when="groups", name=G.name + "_update")
            if c.drives and n_steps is None:
                net.add(runtime_drive_operation(c, G, clock))
            elif c.drives:          # a run_regularly operation of G, added with it
                standalone_drive_operation(c, G, n_steps, ns)
            objs["G"] = G
            objs["Mn"] = b2.SpikeMonitor(G, name="spikemem_spikes")
            net.add(G, objs["Mn"])
            vidx = [np.arange(a, b) for pop, a, b in zip(self.network.populations,
                                                         c.pop_start[:-1], c.pop_start[1:])
                    if "v" in pop.record]
            if vidx:
                objs["vidx"] = np.concatenate(vidx)
                objs["Mv"] = b2.StateMonitor(G, "v", record=objs["vidx"], when="end",
                                             name="spikemem_v")
                net.add(objs["Mv"])
        if c.n_sources:
            SG = b2.SpikeGeneratorGroup(c.n_sources, np.zeros(0, np.int64),
                                        np.zeros(0) * b2.ms, clock=clock,
                                        name="spikemem_sources")
            objs["SG"] = SG
            objs["Ms"] = b2.SpikeMonitor(SG, name="spikemem_source_spikes")
            net.add(SG, objs["Ms"])
        for b, (block, w) in enumerate(zip(L.blocks, self._block_w)):
            pre = objs["G"] if block.source == "neurons" else objs["SG"]
            delay = {"pre": 0 * b2.ms}
            kwargs = {}
            if block.plastic:
                delay["post"] = block.delay * c.dt * b2.ms
                kwargs["on_post"] = on_post_code(block)
            consolidating = cons.is_consolidating(block)
            if consolidating:
                kwargs["on_post"] = cons.on_post_code(block)
            model = cons.synapse_model(block) if consolidating else synapse_model(block)
            on_pre = (cons.on_pre_code(block, _trace_at_delay(block)) if consolidating
                      else on_pre_code(block))
            S = b2.Synapses(pre, objs["G"], model=model, on_pre=on_pre,
                            delay=delay, clock=clock,
                            namespace=ns, name=f"spikemem_synapses_{b}", **kwargs)
            S.connect(i=block.pre, j=block.post)
            S.w = w
            for k, arr in self._block_cons.get(b, {}).items():
                setattr(S, k, arr)
            if block.plastic:
                for k, arr in block.stdp.items():
                    setattr(S, k, arr)
                S.apre = 0.0
                S.lastpre = -1
                S.post.order = -2          # potentiation before any presynaptic event
            S.pre.order = 0 if block.source == "neurons" else 1    # neurons, then sources
            objs["syn"].append(S)
            net.add(S)
        objs["net"] = net
        return objs

    # -- running ---------------------------------------------------------------------------
    def _generator_spikes(self, s0: int, s1: int):
        """Source spikes in steps [s0, s1): (steps, indices in the SpikeGeneratorGroup)."""
        steps, nodes = self._source_spikes(s0, s1)
        return steps, nodes - self.lowered.n_neurons

    def _advance(self, n_steps: int) -> None:
        if self.device == "cpp_standalone":
            self._run_standalone(n_steps)
            return
        if self._objects is None:
            self._objects = self._build()
            self._seen = {"neurons": 0, "sources": 0, "v": 0}
        objs = self._objects
        s0 = self._step
        if "SG" in objs:
            st, ids = self._generator_spikes(s0, s0 + n_steps)
            objs["SG"].set_spikes(ids, st * self.network.dt * b2.ms)
        with _exact_codegen(self.target):
            objs["net"].run(n_steps * self.network.dt * b2.ms, **self._report_kwargs(n_steps))
        self._check_clock(objs, s0 + n_steps)
        self._store(objs, s0, s0 + n_steps)
        self._step = s0 + n_steps

    def _run_standalone(self, n_steps: int) -> None:
        if self._ran_standalone:
            raise UnsupportedFeature(
                "Brian2 cpp_standalone: continuing a simulation (a second run() call); the "
                "standalone device builds and runs once. Call reset() first, or use "
                "device='runtime'")
        if self.network.drives:
            check_drive_tables(self.network, n_steps, self.max_memory)
        directory = self.build_dir or tempfile.mkdtemp(prefix="spikemem_brian2_")
        with _exact_codegen("numpy"):
            b2.set_device("cpp_standalone", build_on_run=True, directory=directory,
                          with_output=False)
            try:
                objs = self._build(n_steps)
                if "SG" in objs:
                    st, ids = self._generator_spikes(0, n_steps)
                    objs["SG"].set_spikes(ids, st * self.network.dt * b2.ms)
                objs["net"].run(n_steps * self.network.dt * b2.ms, **self._report_kwargs(n_steps))
                self._seen = {"neurons": 0, "sources": 0, "v": 0}
                self._store(objs, 0, n_steps)
                self._block_w = [np.array(S.w[:], dtype=float) for S in objs["syn"]]
                self._block_cons = {b: {k: np.array(getattr(objs["syn"][b], k)[:])
                                        for k in cons.STATE_VARIABLES}
                                    for b in self._block_cons}
            finally:
                b2.device.reinit()
                reset_device()
                if self.build_dir is None:
                    shutil.rmtree(directory, ignore_errors=True)
        self._ran_standalone = True
        self._step = n_steps

    def _report_kwargs(self, n_steps: int) -> dict:
        if self.progress is False or (self.progress is None and not sys.stderr.isatty()):
            return {}
        return {"report": "stderr", "report_period": 2 * b2.second}

    def _check_clock(self, objs, expected: int) -> None:
        reached = int(objs["clock"].timestep[:])
        if reached != expected:
            raise RuntimeError(f"Brian2 clock at step {reached}, expected {expected}")

    def _store(self, objs, start: int, stop: int) -> None:
        c = self.lowered
        dt_s = c.dt * 1e-3
        offsets = {"neurons": 0, "sources": c.n_neurons}    # monitor index -> node index
        for key, mon in (("neurons", objs.get("Mn")), ("sources", objs.get("Ms"))):
            if mon is None:
                continue
            nodes = np.asarray(mon.i[:], dtype=np.int64)[self._seen[key]:] + offsets[key]
            steps = np.round(np.asarray(mon.t_[:])[self._seen[key]:] / dt_s).astype(np.int64)
            self._seen[key] += nodes.size
            for label, st, ids in c.spikes_by_group(steps, nodes):
                group = self.network[label]
                if key == "sources" or "spikes" in group.record:
                    self._recording.add_spikes(label, st * c.dt, ids)
        if "Mv" in objs and stop > start:
            v = np.asarray(objs["Mv"].v[:], dtype=float).T[self._seen["v"]:]
            self._seen["v"] += v.shape[0]
            times = np.arange(start, stop) * c.dt
            col = 0
            for pop, a, b in zip(self.network.populations, c.pop_start[:-1], c.pop_start[1:]):
                if "v" in pop.record:
                    self._recording.add_v(pop.label, times, v[:, col:col + (b - a)])
                    col += b - a

    # -- state access ----------------------------------------------------------------------
    def _locate(self, projection):
        label = self._projection_label(projection)
        return label, self._layout.proj_map[label]

    def _weights_of_blocks(self) -> list:
        if self._objects is None:
            return self._block_w
        return [np.asarray(S.w[:], dtype=float) for S in self._objects["syn"]]

    def weights(self, projection, component: str = "total") -> np.ndarray:
        """Current weights (nA) of a projection, in the projection's synapse order.

        `component` ("total", "fast", "slow", "tag") as for the Numba engine: a
        `ConsolidatingSTDP` projection has all four, others only "total".
        """
        label = self._projection_label(projection)
        if check_component(label, component, self.network[label].synapse):
            return component_of(self._consolidating_state(label), self.network[label].synapse,
                                self._step, self.dt, component)
        _, m = self._locate(projection)
        blocks = self._weights_of_blocks()
        out = np.empty(m.shape[0])
        for b in np.unique(m[:, 0]):
            sel = m[:, 0] == b
            out[sel] = blocks[b][m[sel, 1]]
        return out

    def set_weights(self, projection, weights, component: str = "total") -> None:
        """Overwrite the current weights (nA) of a projection (e.g. learned elsewhere);
        `component` as in `weights` (bounds as for the Numba engine)."""
        label = self._projection_label(projection)
        if check_component(label, component, self.network[label].synapse):
            self._set_consolidating_state(label, with_component(
                label, self.network[label].synapse, self._consolidating_state(label),
                self._step, self.dt, weights, component))
            return
        label, m = self._locate(projection)
        w = self._validated_weights(label, weights, m.shape[0])
        for b in np.unique(m[:, 0]):
            sel = m[:, 0] == b
            if self._objects is None:
                self._block_w[b][m[sel, 1]] = w[sel]
            else:
                self._objects["syn"][b].w[m[sel, 1]] = w[sel]

    # -- consolidating synapses ------------------------------------------------------------
    def _block_array(self, b: int, name: str) -> np.ndarray:
        if self._objects is None:
            return self._block_w[b] if name == "w" else self._block_cons[b][name]
        return np.asarray(getattr(self._objects["syn"][b], name)[:])

    def _consolidating_state(self, label: str) -> ConsolidatingState:
        """The synapses of consolidating projection `label` (a copy, in synapse order)."""
        _, m = self._locate(label)
        parts = {}
        for name, key, dtype in (("fast", "w", float), ("slow", "ws", float),
                                 ("tag", "tag", float), ("last", "lastc", np.int64)):
            out = np.empty(m.shape[0], dtype)
            for b in np.unique(m[:, 0]):
                sel = m[:, 0] == b
                out[sel] = self._block_array(b, key)[m[sel, 1]]
            parts[name] = out
        return ConsolidatingState(**parts)

    def _set_consolidating_state(self, label: str, state: ConsolidatingState) -> None:
        _, m = self._locate(label)
        for name, key in (("fast", "w"), ("slow", "ws"), ("tag", "tag"), ("last", "lastc")):
            values = getattr(state, name)
            for b in np.unique(m[:, 0]):
                sel = m[:, 0] == b
                if self._objects is None:
                    target = self._block_w[b] if key == "w" else self._block_cons[b][key]
                    target[m[sel, 1]] = values[sel]
                else:
                    getattr(self._objects["syn"][b], key)[m[sel, 1]] = values[sel]

    def _inject(self, label: str, steps: np.ndarray, ids: np.ndarray) -> None:
        if self.device == "cpp_standalone" and self._ran_standalone:
            raise UnsupportedFeature(
                "Brian2 cpp_standalone: add_spikes after the simulation has run (the "
                "standalone device runs once); call reset() first")
        self._check_unique(label, steps, ids)
        self._injected.setdefault(label, []).append((steps, ids))

    def _check_unique(self, label: str, steps=None, ids=None) -> None:
        self._refuse_repeated_source_spike(
            label, steps, ids, "Brian2", "; Brian2's SpikeGeneratorGroup allows one spike per "
            "neuron and time step")

    @property
    def v(self) -> np.ndarray:
        """Current membrane potentials of all neurons (mV), in population order."""
        if self._objects is None:
            if self._ran_standalone:
                raise UnsupportedFeature("Brian2Simulator.v: the membrane state after a "
                                         "cpp_standalone run is not kept")
            return self.lowered.initial_v()
        if "G" not in self._objects:
            return np.zeros(0)
        return np.asarray(self._objects["G"].v[:], dtype=float)

    # -- checkpoints (spikemem.checkpoint) -------------------------------------------------
    _interrupt_chunk_steps = property(
        lambda self: None if self.device == "cpp_standalone" else BaseSimulator._interrupt_chunk_steps)

    def _get_state(self) -> dict:
        """The Brian2 network's full state (Brian2's own store: variables, spike queues,
        monitors, clocks), or the weights if nothing has run yet."""
        if self.device == "cpp_standalone":
            raise UnsupportedFeature("Brian2 cpp_standalone: checkpoints (the standalone "
                                     "device keeps no state between runs); use "
                                     "device='runtime'")
        if self._objects is None:
            return {"built": False, "block_w": {str(b): w for b, w in enumerate(self._block_w)},
                    "block_cons": {str(b): dict(v) for b, v in self._block_cons.items()}}
        net = self._objects["net"]
        net.store("spikemem_checkpoint")
        state = net._stored_state.pop("spikemem_checkpoint")
        state.pop("_random_generator_state", None)     # the translation draws no numbers
        return {"built": True, "seen": dict(self._seen), "brian2": encode_state(state)}

    def _set_state(self, state: dict) -> None:
        """Inverse of `_get_state` (on a freshly reset simulator)."""
        if not state["built"]:
            blocks = [np.asarray(state["block_w"][str(b)], float) for b in
                      range(len(self._block_w))]
            if [b.shape for b in blocks] != [b.shape for b in self._block_w]:
                raise ValueError("weight blocks do not fit this network")
            self._block_w = blocks
            for b, arrays in state.get("block_cons", {}).items():
                for k, arr in arrays.items():
                    if np.shape(arr) != self._block_cons[int(b)][k].shape:
                        raise ValueError("consolidating state does not fit this network")
                    self._block_cons[int(b)][k] = np.array(arr)
            return
        self._objects = self._build()
        self._seen = {k: int(v) for k, v in state["seen"].items()}
        net = self._objects["net"]
        net._stored_state["spikemem_checkpoint"] = decode_state(state["brian2"])
        try:
            net.restore("spikemem_checkpoint")
        finally:
            net._stored_state.pop("spikemem_checkpoint", None)


def encode_state(obj):
    """A nested Python/NumPy value as a tree of tagged dicts that `spikemem.io` stores
    exactly (tuples stay tuples, ints stay ints)."""
    if isinstance(obj, dict):
        return {"t": "dict", "v": {str(k): encode_state(v) for k, v in obj.items()}}
    if isinstance(obj, (list, tuple)):
        return {"t": type(obj).__name__, "v": [encode_state(v) for v in obj]}
    if obj is None:
        return {"t": "none"}
    if isinstance(obj, (bool, np.bool_)):
        return {"t": "bool", "v": bool(obj)}
    if isinstance(obj, (int, np.integer)):
        return {"t": "int", "v": int(obj)}
    if isinstance(obj, (float, np.floating)):
        return {"t": "float", "v": float(obj)}
    if isinstance(obj, str):
        return {"t": "str", "v": obj}
    return {"t": "array", "v": np.asarray(obj)}


def decode_state(tree):
    """Inverse of `encode_state`."""
    kind = tree["t"]
    if kind == "dict":
        return {k: decode_state(v) for k, v in tree["v"].items()}
    if kind in ("list", "tuple"):
        items = [decode_state(v) for v in (tree.get("v") or [])]
        return tuple(items) if kind == "tuple" else items
    if kind == "none":
        return None
    if kind == "array":
        return np.asarray(tree["v"])
    return {"bool": bool, "int": int, "float": float, "str": str}[kind](tree["v"])
