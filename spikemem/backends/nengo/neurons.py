"""Nengo neuron types of the IR: `IFCurrExp` (sPyNNaker's IF_curr_exp) and `ScheduledSpikes`.

Both are ordinary ``nengo.neurons.NeuronType`` subclasses used in ``nengo.Ensemble`` objects,
with their own build functions registered with ``nengo.builder.Builder``.

`IFCurrExp` keeps, like sPyNNaker, the exponential synaptic currents inside the neuron: each
ensemble gets two delay lines (``ring_E``, ``ring_I``: shape (L, n), nA) into which
`spikemem.backends.nengo.connections` delivers weights ``d`` steps ahead, and one `SimIFCurrExp`
operator per step performs the IR's update (see `spikemem.neurons`). The ordinary Nengo input
``J`` (the ensemble's bias plus anything connected the usual Nengo way) is added as injected
current (nA), so the ensemble's bias carries ``i_offset``.

Units: the IR's (ms, mV, nA, nF). Nengo's dt is in seconds; the exact IR step in ms is taken
from the top-level network's ``dt_ms`` when present (``model.dt * 1000`` may differ in the last
bit). Spikes are Nengo spikes: ``1 / dt`` (dt in s) in the step of the spike.
"""
from __future__ import annotations

import numpy as np
from nengo.builder import Builder, Operator, Signal
from nengo.neurons import NeuronType
from nengo.params import NumberParam, Parameter

from ...errors import UnsupportedFeature
from ...neurons import IF_curr_exp, lif_step_constants

__all__ = ["IFCurrExp", "ScheduledSpikes", "SpikeSchedule", "SimIFCurrExp",
           "SimScheduledSpikes", "ir_dt_ms"]


def ir_dt_ms(model) -> float:
    """Time step in ms: the top-level network's ``dt_ms`` if it has one, else Nengo's dt."""
    return float(getattr(model.toplevel, "dt_ms", model.dt * 1e3))


class _IRNeuronType(NeuronType):
    """Neurons of the IR: driven by spikes and current, not tuned to represent a value."""

    def max_rates_intercepts(self, gain, bias):
        """Not defined for IR neurons: returns ``(None, None)``."""
        return None, None

    def gain_bias(self, max_rates, intercepts):
        raise UnsupportedFeature(
            f"{type(self).__name__}: tuning an ensemble by max_rates/intercepts; give the "
            "ensemble gain=1 and bias=i_offset (nA) instead")


class IFCurrExp(_IRNeuronType):
    """sPyNNaker's IF_curr_exp as a Nengo neuron type (parameters as in `spikemem.IF_curr_exp`).

    The initial membrane potential (mV) may be given per neuron with
    ``initial_state={"voltage": array}``; the default is ``v_rest``. ``i_offset`` is not a
    parameter: give it as the ensemble's ``bias`` (nA) with ``gain = 1``.
    """

    state = {"voltage": None}
    spiking = True

    cm = NumberParam("cm", low=0, low_open=True)
    tau_m = NumberParam("tau_m", low=0, low_open=True)
    tau_refrac = NumberParam("tau_refrac", low=0)
    tau_syn_E = NumberParam("tau_syn_E", low=0, low_open=True)
    tau_syn_I = NumberParam("tau_syn_I", low=0, low_open=True)
    v_rest = NumberParam("v_rest")
    v_reset = NumberParam("v_reset")
    v_thresh = NumberParam("v_thresh")

    def __init__(self, cm=1.0, tau_m=20.0, tau_refrac=0.1, tau_syn_E=5.0, tau_syn_I=5.0,
                 v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, initial_state=None):
        super().__init__(initial_state=initial_state)
        self.cm, self.tau_m, self.tau_refrac = cm, tau_m, tau_refrac
        self.tau_syn_E, self.tau_syn_I = tau_syn_E, tau_syn_I
        self.v_rest, self.v_reset, self.v_thresh = v_rest, v_reset, v_thresh

    @classmethod
    def from_ir(cls, cell: IF_curr_exp, initial_v=None) -> "IFCurrExp":
        """The Nengo neuron type of an IR cell (``i_offset`` goes to the ensemble's bias)."""
        init = None if initial_v is None else {"voltage": np.asarray(initial_v, float)}
        return cls(cm=cell.cm, tau_m=cell.tau_m, tau_refrac=cell.tau_refrac,
                   tau_syn_E=cell.tau_syn_E, tau_syn_I=cell.tau_syn_I, v_rest=cell.v_rest,
                   v_reset=cell.v_reset, v_thresh=cell.v_thresh, initial_state=init)

    def to_ir(self, i_offset: float = 0.0) -> IF_curr_exp:
        return IF_curr_exp(cm=self.cm, tau_m=self.tau_m, tau_refrac=self.tau_refrac,
                           tau_syn_E=self.tau_syn_E, tau_syn_I=self.tau_syn_I,
                           v_rest=self.v_rest, v_reset=self.v_reset, v_thresh=self.v_thresh,
                           i_offset=i_offset)

    def initial_voltage(self, n: int) -> np.ndarray:
        """Initial membrane potentials, mV, shape (n,)."""
        init = (self.initial_state or {}).get("voltage")
        if init is None:
            return np.full(n, self.v_rest)
        return np.broadcast_to(np.asarray(init, float), (n,)).copy()


class SimIFCurrExp(Operator):
    """One step of `IFCurrExp` for an ensemble (the IR's steps 1-4, in that order).

    `drives` lists the Poisson drives of the ensemble's neurons
    (`spikemem.lowering.LoweredDrive`, in network order, with the ensemble's first global
    neuron index `first`): their input of the step is added to this step's slot of the delay
    lines first, after every spike arriving at the step, as in the Numba engine.

    1. sets ``[output, voltage, I_E, I_I, refrac]``
    2. incs ``[ring_E, ring_I]`` (consumes and clears this step's slot)
    3. reads ``[J, step]``
    4. updates ``[]``
    """

    def __init__(self, constants, J, step, output, voltage, I_E, I_I, refrac, ring_E, ring_I,
                 tag=None, drives=(), first=0):
        super().__init__(tag=tag)
        self.constants = constants
        self.drives = tuple(drives)
        self.first = int(first)
        self.sets = [output, voltage, I_E, I_I, refrac]
        self.incs = [ring_E, ring_I]
        self.reads = [J, step]
        self.updates = []

    def make_step(self, signals, dt, rng):
        c = self.constants
        out, v, I_E, I_I, refrac = (signals[s] for s in self.sets)
        ring_E, ring_I = (signals[s] for s in self.incs)
        J, step = (signals[s] for s in self.reads)
        L = ring_E.shape[0]
        spike_value = 1.0 / dt
        drives = [(d, (ring_E, ring_I)[d.receptor_index], d.start - self.first,
                   d.stop - self.first) for d in self.drives]

        def step_if_curr_exp():
            slot = (int(step) - 1) % L
            for d, ring, a, b in drives:
                if d.active(int(step) - 1):
                    ring[slot, a:b] += d.input_at(int(step) - 1)
            I_E[...] += c["init_E"] * ring_E[slot]
            I_I[...] += c["init_I"] * ring_I[slot]
            ring_E[slot] = 0.0
            ring_I[slot] = 0.0
            active = refrac <= 0
            refrac[~active] -= 1
            v_inf = c["v_rest"] + c["R"] * (I_E - I_I + J)
            v[active] = v_inf[active] - (v_inf[active] - v[active]) * c["exp_m"]
            spiked = active & (v >= c["v_thresh"])
            v[spiked] = c["v_reset"]
            refrac[spiked] = c["refrac_steps"]
            I_E[...] *= c["decay_E"]
            I_I[...] *= c["decay_I"]
            out[...] = np.where(spiked, spike_value, 0.0)

        return step_if_curr_exp


@Builder.register(IFCurrExp)
def build_if_curr_exp(model, neuron_type, neurons):
    """Build `IFCurrExp`: state signals, delay lines and a `SimIFCurrExp` operator.

    The delay lines hold ``L = model.spikemem_max_delay + 1`` steps (1 + longest delay in the
    top-level network, default 1 + 1). The ensemble's Poisson drives and first global neuron
    index come from the top-level network's ``drives`` (ensemble -> (first, drives)), if any.
    """
    n = neurons.size_in
    dt_ms = ir_dt_ms(model)
    c = lif_step_constants(neuron_type.to_ir(), dt_ms)
    for key in ("v_rest", "v_reset", "v_thresh"):
        c[key] = getattr(neuron_type, key)
    L = int(getattr(model.toplevel, "max_delay_steps", 1)) + 1
    sig = model.sig[neurons]
    sig["voltage"] = Signal(neuron_type.initial_voltage(n), name=f"{neurons}.voltage")
    sig["I_E"] = Signal(np.zeros(n), name=f"{neurons}.I_E")
    sig["I_I"] = Signal(np.zeros(n), name=f"{neurons}.I_I")
    sig["refrac"] = Signal(np.zeros(n, dtype=np.int64), name=f"{neurons}.refrac")
    sig["ring_E"] = Signal(np.zeros((L, n)), name=f"{neurons}.ring_E")
    sig["ring_I"] = Signal(np.zeros((L, n)), name=f"{neurons}.ring_I")
    model.add_op(SimIFCurrExp(c, J=sig["in"], step=model.step, output=sig["out"],
                              voltage=sig["voltage"], I_E=sig["I_E"], I_I=sig["I_I"],
                              refrac=sig["refrac"], ring_E=sig["ring_E"],
                              ring_I=sig["ring_I"], tag=f"{neurons}.IFCurrExp",
                              **_drives_of(model, neurons)))


def _drives_of(model, neurons) -> dict:
    first, drives = getattr(model.toplevel, "drives", {}).get(neurons.ensemble, (0, ()))
    return {"drives": drives, "first": first}


class SpikeSchedule:
    """Spikes a `ScheduledSpikes` ensemble emits, prepared window by window.

    Parameters
    ----------
    size : int
        Number of neurons.
    """

    def __init__(self, size: int):
        self.size = int(size)
        self._counts = {}

    def set_window(self, steps: np.ndarray, ids: np.ndarray) -> None:
        """Replace the schedule by these spikes (IR steps, neuron ids; repeats count twice)."""
        self._counts = {}
        for s in np.unique(steps):
            self._counts[int(s)] = np.bincount(ids[steps == s], minlength=self.size)

    def counts(self, step: int):
        """Spike counts per neuron at IR step `step`, or None if none fire."""
        return self._counts.get(step)


class ScheduledSpikes(_IRNeuronType):
    """Neurons that fire at scheduled steps (the IR's spike sources) as a Nengo neuron type.

    ``schedule`` is a `SpikeSchedule`; the output in a step is ``count / dt``.
    """

    state = {}
    spiking = True
    schedule = Parameter("schedule", readonly=True)

    def __init__(self, schedule: SpikeSchedule):
        super().__init__()
        self.schedule = schedule


class SimScheduledSpikes(Operator):
    """Set the output of a `ScheduledSpikes` ensemble from its schedule.

    1. sets ``[output]``  2. incs ``[]``  3. reads ``[step]``  4. updates ``[]``
    """

    def __init__(self, schedule, step, output, tag=None):
        super().__init__(tag=tag)
        self.schedule = schedule
        self.sets = [output]
        self.incs = []
        self.reads = [step]
        self.updates = []

    def make_step(self, signals, dt, rng):
        out = signals[self.sets[0]]
        step = signals[self.reads[0]]
        schedule = self.schedule

        def step_scheduled_spikes():
            counts = schedule.counts(int(step) - 1)
            out[...] = 0.0 if counts is None else counts / dt

        return step_scheduled_spikes


@Builder.register(ScheduledSpikes)
def build_scheduled_spikes(model, neuron_type, neurons):
    """Build `ScheduledSpikes`: one `SimScheduledSpikes` operator."""
    model.add_op(SimScheduledSpikes(neuron_type.schedule, model.step, model.sig[neurons]["out"],
                                    tag=f"{neurons}.ScheduledSpikes"))
