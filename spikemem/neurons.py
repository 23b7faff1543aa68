"""Neuron (cell) types of the IR.

`IF_curr_exp` follows PyNN's standard cell of the same name (parameter names, units and
defaults), but its *dynamics* are defined by sPyNNaker's discrete-time update, which every
backend implements exactly. Per time step ``dt`` and neuron, in this order:

1. arriving weights are added to the synaptic currents:
   ``I_syn += init * W`` with ``decay = exp(-dt / tau_syn)`` and
   ``init = tau_syn * (1 - decay) / dt`` (``W`` = sum of weights, nA, arriving this step);
2. if the neuron is not refractory, the membrane is advanced exactly over one step:
   ``V <- V_inf - (V_inf - V) * exp(-dt / tau_m)`` with
   ``V_inf = v_rest + (tau_m / cm) * (I_exc - I_inh + i_offset)``;
   otherwise the refractory counter is decremented and ``V`` is held;
3. if ``V >= v_thresh``: the neuron spikes, ``V <- v_reset`` and it is refractory for
   ``round(tau_refrac / dt)`` steps;
4. ``I_syn <- I_syn * decay``.

A spike emitted at step ``t`` through a synapse of delay ``d`` ms arrives at step
``t + d / dt``. This is the update of sPyNNaker's ``neuron_impl_standard.h`` with
``neuron_model_lif_impl.h`` and ``synapse_types_exponential_impl.h`` (sPyNNaker 7), in
floating point instead of s16.15. It is what the published CA3 parameters were tuned for
(tau_syn = 0.3 ms at dt = 1 ms).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields

import numpy as np

from .errors import ValidationError
from .validation import MAX_MAGNITUDE, as_dict as _as_dict, check_number, construct

__all__ = ["IF_curr_exp", "CellType", "cell_type_from_dict", "lif_step_constants"]

#: Smallest capacitance (nF) or time constant (ms): below it the membrane update overflows.
MIN_POSITIVE = 1e-6
_UNITS = {"cm": "nF", "tau_m": "ms", "tau_syn_E": "ms", "tau_syn_I": "ms", "v_rest": "mV",
          "v_reset": "mV", "v_thresh": "mV", "i_offset": "nA"}


@dataclass(frozen=True)
class IF_curr_exp:
    """Current-based leaky integrate-and-fire cell with exponential synaptic currents.

    The parameters have PyNN's names, units and defaults.

    Parameters
    ----------
    cm : float
        Membrane capacitance, nF, in [1e-6, 1e9].
    tau_m : float
        Membrane time constant, ms, in [1e-6, 1e9].
    tau_refrac : float
        Refractory period, ms (>= 0); rounded to whole time steps.
    tau_syn_E, tau_syn_I : float
        Decay time constants of the excitatory / inhibitory synaptic current, ms, in
        [1e-6, 1e9].
    v_rest, v_reset, v_thresh : float
        Resting, reset and threshold potential, mV, in [-1e9, 1e9]; ``v_reset < v_thresh``.
    i_offset : float
        Constant injected current, nA, in [-1e9, 1e9].

    Numbers given as strings or bools are rejected; NumPy scalars are accepted.
    """

    cm: float = 1.0
    tau_m: float = 20.0
    tau_refrac: float = 0.1
    tau_syn_E: float = 5.0
    tau_syn_I: float = 5.0
    v_rest: float = -65.0
    v_reset: float = -65.0
    v_thresh: float = -50.0
    i_offset: float = 0.0

    def __post_init__(self):
        owner = "IF_curr_exp"
        for name in ("cm", "tau_m", "tau_syn_E", "tau_syn_I"):
            check_number(owner, name, getattr(self, name), MIN_POSITIVE, MAX_MAGNITUDE,
                         unit=_UNITS[name])
        check_number(owner, "tau_refrac", self.tau_refrac, 0.0, MAX_MAGNITUDE, unit="ms")
        for name in ("v_rest", "v_reset", "v_thresh", "i_offset"):
            check_number(owner, name, getattr(self, name), unit=_UNITS[name])
        if self.v_reset >= self.v_thresh:
            raise ValidationError(
                f"{owner}: v_reset must be below v_thresh ({self.v_thresh!r} mV), "
                f"got {self.v_reset!r} mV")
        for f in fields(self):
            object.__setattr__(self, f.name, float(getattr(self, f.name)))

    @property
    def R(self) -> float:
        """Membrane resistance tau_m / cm, MΩ."""
        return self.tau_m / self.cm

    def replace(self, **changes) -> "IF_curr_exp":
        """Return a copy with some parameters changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        """Plain-dict form, ``{"type": "IF_curr_exp", <parameter>: value, ...}``."""
        return {"type": "IF_curr_exp", **dataclasses.asdict(self)}


CellType = IF_curr_exp
_CELL_TYPES = {"IF_curr_exp": IF_curr_exp}


def cell_type_from_dict(d: dict) -> IF_curr_exp:
    """Inverse of ``CellType.to_dict``."""
    d = _as_dict("cell type", d)
    kind = d.pop("type", None)
    if kind not in _CELL_TYPES:
        raise ValidationError(
            f"cell type: type must be one of {sorted(_CELL_TYPES)}, got {kind!r}")
    return construct(_CELL_TYPES[kind], d)


def lif_step_constants(cell: IF_curr_exp, dt: float) -> dict:
    """Per-step constants of the discrete `IF_curr_exp` update for time step `dt` (ms).

    Returns a dict with ``exp_m`` (membrane decay per step), ``R`` (MΩ), ``decay_E``,
    ``init_E``, ``decay_I``, ``init_I`` (synaptic decay and input scaling) and
    ``refrac_steps`` (int). Every backend derives its update from these numbers.
    """
    decay_E = float(np.exp(-dt / cell.tau_syn_E))
    decay_I = float(np.exp(-dt / cell.tau_syn_I))
    return {
        "exp_m": float(np.exp(-dt / cell.tau_m)),
        "R": cell.R,
        "decay_E": decay_E,
        "init_E": cell.tau_syn_E * (1.0 - decay_E) / dt,
        "decay_I": decay_I,
        "init_I": cell.tau_syn_I * (1.0 - decay_I) / dt,
        "refrac_steps": int(np.floor(cell.tau_refrac / dt + 0.5)),
    }
