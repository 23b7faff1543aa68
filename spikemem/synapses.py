"""Synapse types of the IR: static synapses and pair-based STDP.

Weights are current amplitudes in nA and are never negative: the sign of a synapse comes
from the projection's receptor (``"excitatory"`` or ``"inhibitory"``), as in sPyNNaker.
Delays are in ms and must be whole multiples of the network's time step, at least one step.

STDP convention (the IR's definition, followed by every backend and exporter)
-----------------------------------------------------------------------------
* Pair rule, all pairs, through traces: the presynaptic trace jumps by 1 at every
  presynaptic event and decays with ``tau_plus``; the postsynaptic trace jumps by 1 at every
  postsynaptic event and decays with ``tau_minus``. At a postsynaptic event the weight grows by
  ``A_plus * pre_trace``; at a presynaptic event it falls by ``A_minus * post_trace``. Pairs
  with equal event times contribute nothing (only strictly earlier events are counted).
* Additive weight dependence: ``dw+ = A_plus * trace`` and ``dw- = A_minus * trace`` with
  ``A_plus``/``A_minus`` in nA (weight units). This is what sPyNNaker 7 computes: it writes
  ``A_plus`` to the chip scaled only by the weight scale, *not* multiplied by ``w_max``
  (PyNN's own documentation, and ``pyNN.brian2``, multiply by ``w_max``; the exporter converts).
  Multiplicative: ``dw+ = A_plus * (w_max - w) * trace``, ``dw- = A_minus * (w - w_min) * trace``
  with dimensionless ``A``. The weight is clipped to ``[w_min, w_max]`` after every update.
* Dendritic delays: a plastic synapse's delay is entirely dendritic, as in sPyNNaker. The
  presynaptic event is paired at the step the presynaptic neuron fired; a postsynaptic spike
  reaches the synapse ``delay`` ms after the postsynaptic neuron fired. A presynaptic spike at
  step ``t`` is depressed first and then delivers the updated weight at ``t + delay``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from .errors import ValidationError, check_finite, check_in, check_nonnegative, check_positive

__all__ = ["StaticSynapse", "STDP", "SynapseType", "synapse_from_dict"]


@dataclass(frozen=True)
class StaticSynapse:
    """A fixed-weight synapse.

    Parameters
    ----------
    weight : float
        Default weight, nA (>= 0), used where the connector gives none.
    delay : float or None
        Default delay, ms; None means one time step of the network.
    """

    weight: float = 0.0
    delay: Optional[float] = None

    plastic = False

    def __post_init__(self):
        _check_weight_delay(type(self).__name__, self.weight, self.delay)
        object.__setattr__(self, "weight", float(self.weight))
        if self.delay is not None:
            object.__setattr__(self, "delay", float(self.delay))

    def to_dict(self) -> dict:
        return {"type": type(self).__name__, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class STDP:
    """Pair-based spike-timing-dependent plasticity (see the module docstring for the rule).

    Parameters
    ----------
    tau_plus, tau_minus : float
        Decay time constants of the pre- and postsynaptic traces, ms (> 0).
    A_plus, A_minus : float
        Potentiation / depression amplitudes (>= 0): nA for ``"additive"``, dimensionless
        for ``"multiplicative"``.
    w_min, w_max : float
        Weight bounds, nA, ``0 <= w_min <= w_max``.
    weight_dependence : {"additive", "multiplicative"}
    weight : float
        Initial weight, nA, within ``[w_min, w_max]``, used where the connector gives none.
    delay : float or None
        Default (dendritic) delay, ms; None means one time step.
    """

    tau_plus: float = 20.0
    tau_minus: float = 20.0
    A_plus: float = 0.01
    A_minus: float = 0.01
    w_min: float = 0.0
    w_max: float = 1.0
    weight_dependence: str = "additive"
    weight: float = 0.0
    delay: Optional[float] = None

    plastic = True

    def __post_init__(self):
        owner = "STDP"
        check_positive(owner, "tau_plus", self.tau_plus)
        check_positive(owner, "tau_minus", self.tau_minus)
        check_nonnegative(owner, "A_plus", self.A_plus)
        check_nonnegative(owner, "A_minus", self.A_minus)
        check_nonnegative(owner, "w_min", self.w_min)
        check_finite(owner, "w_max", self.w_max)
        if self.w_max < self.w_min:
            raise ValidationError(
                f"{owner}: w_max must be >= w_min ({self.w_min!r} nA), got {self.w_max!r}")
        check_in(owner, "weight_dependence", self.weight_dependence,
                 {"additive", "multiplicative"})
        _check_weight_delay(owner, self.weight, self.delay)
        if not self.w_min <= self.weight <= self.w_max:
            raise ValidationError(
                f"{owner}: weight must lie in [w_min, w_max] = [{self.w_min}, {self.w_max}] nA,"
                f" got {self.weight!r}")
        for name in ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max", "weight"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.delay is not None:
            object.__setattr__(self, "delay", float(self.delay))

    @property
    def multiplicative(self) -> bool:
        return self.weight_dependence == "multiplicative"

    def to_dict(self) -> dict:
        return {"type": "STDP", **dataclasses.asdict(self)}


def _check_weight_delay(owner: str, weight, delay) -> None:
    check_nonnegative(owner, "weight", weight)
    if delay is not None:
        check_positive(owner, "delay", delay)


SynapseType = (StaticSynapse, STDP)
_SYNAPSES = {"StaticSynapse": StaticSynapse, "STDP": STDP}


def synapse_from_dict(d: dict):
    """Inverse of ``synapse.to_dict()``."""
    d = dict(d)
    kind = d.pop("type", None)
    if kind not in _SYNAPSES:
        raise ValidationError(f"synapse: type must be one of {sorted(_SYNAPSES)}, got {kind!r}")
    return _SYNAPSES[kind](**d)
