"""Synapse types of the IR: static synapses, pair-based STDP and consolidating STDP.

Weights are current amplitudes in nA and are never negative: the sign of a synapse comes
from the projection's receptor (``"excitatory"`` or ``"inhibitory"``), as in sPyNNaker.
Delays are in ms and must be whole multiples of the network's time step, at least one step.

STDP convention (the IR's definition, followed by every backend and exporter)
-----------------------------------------------------------------------------
* Pair rule, all pairs, through traces: the presynaptic trace jumps by 1 at every
  presynaptic event and decays with ``tau_plus``; the postsynaptic trace jumps by 1 at every
  postsynaptic event and decays with ``tau_minus``. At a postsynaptic event the weight grows by
  ``A_plus * pre_trace``; at a presynaptic event it falls by ``A_minus * post_trace``.
  Potentiation counts presynaptic events strictly before the postsynaptic event; depression
  counts postsynaptic events at or before the presynaptic event, so a postsynaptic event that
  reaches the synapse in the same step as a presynaptic spike depresses it by the full
  ``A_minus`` and does not potentiate from that spike. This is sPyNNaker 7's pair rule
  (``timing_pair_impl.h``: ``timing_apply_post_spike`` requires ``time_since_last_pre > 0``,
  ``timing_apply_pre_spike`` has no such guard, and the post-event window of a presynaptic
  update includes events up to and including its own time). The CA3 memory forgets an old
  content only under this rule (see ``docs/ca3.md``).
* The weight is clipped to its bounds after every event. sPyNNaker's additive rule sums the
  updates between two presynaptic spikes and clips once, when the later spike is processed;
  the two differ only when a weight would cross a bound and come back between two
  presynaptic spikes.
* Additive weight dependence: ``dw+ = A_plus * trace`` and ``dw- = A_minus * trace`` with
  ``A_plus``/``A_minus`` in nA (weight units). This is what sPyNNaker 7 computes: it writes
  ``A_plus`` to the chip scaled only by the weight scale, *not* multiplied by ``w_max``
  (PyNN's own documentation, and ``pyNN.brian2``, multiply by ``w_max``; the exporter converts).
  Multiplicative: ``dw+ = A_plus * (w_max - w) * trace``, ``dw- = A_minus * (w - w_min) * trace``
  with dimensionless ``A``.
* Dendritic delays: a plastic synapse's delay is entirely dendritic, as in sPyNNaker. The
  presynaptic event is paired at the step the presynaptic neuron fired; a postsynaptic spike
  reaches the synapse ``delay`` ms after the postsynaptic neuron fired. A presynaptic spike at
  step ``t`` is depressed first and then delivers the updated weight at ``t + delay``.

Consolidating STDP (two time scales: short-term and long-term memory)
---------------------------------------------------------------------
`ConsolidatingSTDP` keeps, per synapse, a *fast* weight ``w_f`` (short-term memory), a *slow*
weight ``w_s`` (long-term memory) and a dimensionless consolidation *tag* ``c``. The synapse
delivers ``w_f + w_s``.

* The fast weight follows the STDP rule above, with its upper bound lowered by the slow weight
  (``w_min <= w_f <= w_max - w_s``, so the total never exceeds ``w_max``; the multiplicative rule
  uses ``w_max - w_s`` as its upper bound too).
* Between events the fast weight relaxes exponentially to the baseline ``w_base`` and the tag
  to 0: ``w_f(t) = w_base + (w_f(t0) - w_base) exp(-(t - t0) / tau_decay)``,
  ``c(t) = c(t0) exp(-(t - t0) / tau_tag)``. The slow weight never decays.
* At every postsynaptic event at the synapse (the event that potentiates, with pre trace
  ``y``): the fast weight is potentiated and clipped, then ``c += y``; if then
  ``c >= tag_threshold`` the synapse *consolidates*: ``dw = transfer_fraction * max(w_f - w_base,
  0)`` is moved from the fast to the slow weight (``w_s`` capped at ``w_slow_max``; ``w_f`` loses
  exactly what ``w_s`` gained, so the delivered weight is unchanged) and ``c = 0``.
* At a presynaptic event the fast weight is depressed and clipped, then ``w_f + w_s`` is
  delivered (depress-then-deliver, as for `STDP`).

With ``tau_decay = tau_tag = tag_threshold = inf`` and ``slow_weight = 0`` it is exactly `STDP`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from .validation import MAX_DELAY_MS, MAX_MAGNITUDE, check_number
from .errors import (ValidationError, check_finite, check_in, check_nonnegative,
                     check_positive, check_positive_or_inf)

__all__ = ["StaticSynapse", "STDP", "ConsolidatingSTDP", "PairSTDPBase", "STDP_FIELDS",
           "SynapseType", "PlasticSynapseType", "synapse_from_dict"]


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
class PairSTDPBase:
    """The pair-STDP fields `STDP` and `ConsolidatingSTDP` share, defined once.

    Not a synapse type itself: the two rules are distinct types (backends tell them apart by
    type), and neither is an instance of the other.

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
        _check_stdp_fields(type(self).__name__, self)
        for f in dataclasses.fields(PairSTDPBase):
            value = getattr(self, f.name)
            if f.type == "float":               # + 0.0: no -0.0 bounds (see kernels)
                object.__setattr__(self, f.name, float(value) + 0.0)
        if self.delay is not None:
            object.__setattr__(self, "delay", float(self.delay))

    @property
    def multiplicative(self) -> bool:
        return self.weight_dependence == "multiplicative"

    def to_dict(self) -> dict:
        return {"type": type(self).__name__, **dataclasses.asdict(self)}


#: Names of the pair-STDP parameters (the fields of `PairSTDPBase`), in order.
STDP_FIELDS = tuple(f.name for f in dataclasses.fields(PairSTDPBase))


@dataclass(frozen=True)
class STDP(PairSTDPBase):
    """Pair-based spike-timing-dependent plasticity (see the module docstring for the rule).

    Parameters
    ----------
    tau_plus, tau_minus, A_plus, A_minus, w_min, w_max, weight_dependence, weight, delay
        See `PairSTDPBase`.
    """


@dataclass(frozen=True)
class ConsolidatingSTDP(PairSTDPBase):
    """STDP on a fast weight that decays to a baseline, consolidated into a stable slow weight.

    The rule is defined in the module docstring ("Consolidating STDP"). The STDP parameters
    have the meaning, units and defaults of `STDP`; `weight` is the initial *fast* weight.

    Parameters
    ----------
    tau_plus, tau_minus, A_plus, A_minus, w_min, w_max, weight_dependence, weight, delay
        As for `STDP` (see `PairSTDPBase`); the initial fast weight must lie in
        ``[w_min, w_max - slow_weight]``.
    tau_decay : float
        Time constant of the fast weight's relaxation to `w_base`, ms (> 0; ``inf`` = none).
    w_base : float
        Baseline of the fast weight, nA, in ``[w_min, w_max - w_slow_max]``.
    tau_tag : float
        Decay time constant of the consolidation tag, ms (> 0; ``inf`` = no decay).
    tag_threshold : float
        Tag level (dimensionless, a sum of presynaptic trace values) that triggers a transfer
        (> 0; ``inf`` = never consolidate).
    transfer_fraction : float
        Fraction of the fast weight's excess over `w_base` moved to the slow weight per
        transfer, in (0, 1].
    w_slow_max : float or None
        Upper bound of the slow weight, nA, in ``[0, w_max - w_base]``; None means
        ``w_max - w_base``.
    slow_weight : float
        Initial slow weight of every synapse, nA, in ``[0, w_slow_max]``.
    """

    tau_decay: float = float("inf")
    w_base: float = 0.0
    tau_tag: float = float("inf")
    tag_threshold: float = float("inf")
    transfer_fraction: float = 1.0
    w_slow_max: Optional[float] = None
    slow_weight: float = 0.0

    def __post_init__(self):
        super().__post_init__()
        owner = "ConsolidatingSTDP"
        for name in ("tau_decay", "tau_tag", "tag_threshold"):
            check_positive_or_inf(owner, name, getattr(self, name))
        check_finite(owner, "w_base", self.w_base)
        check_finite(owner, "transfer_fraction", self.transfer_fraction)
        if not 0.0 < self.transfer_fraction <= 1.0:
            raise ValidationError(f"{owner}: transfer_fraction must lie in (0, 1], got "
                                  f"{self.transfer_fraction!r}")
        if not self.w_min <= self.w_base <= self.w_max:
            raise ValidationError(f"{owner}: w_base must lie in [w_min, w_max] = [{self.w_min}, "
                                  f"{self.w_max}] nA, got {self.w_base!r}")
        slow_max = self.w_max - self.w_base if self.w_slow_max is None else self.w_slow_max
        check_nonnegative(owner, "w_slow_max", slow_max)
        if slow_max > self.w_max - self.w_base:
            raise ValidationError(f"{owner}: w_slow_max must be <= w_max - w_base = "
                                  f"{self.w_max - self.w_base} nA, got {slow_max!r}")
        check_nonnegative(owner, "slow_weight", self.slow_weight)
        if self.slow_weight > slow_max:
            raise ValidationError(f"{owner}: slow_weight must lie in [0, w_slow_max] = "
                                  f"[0, {slow_max}] nA, got {self.slow_weight!r}")
        if self.weight > self.w_max - self.slow_weight:
            raise ValidationError(f"{owner}: weight (the initial fast weight) must lie in "
                                  f"[w_min, w_max - slow_weight] = [{self.w_min}, "
                                  f"{self.w_max - self.slow_weight}] nA, got {self.weight!r}")
        object.__setattr__(self, "w_slow_max", float(slow_max))
        for name in ("tau_decay", "w_base", "tau_tag", "tag_threshold", "transfer_fraction",
                     "slow_weight"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def fast_max(self) -> float:
        """Upper bound of the initial fast weights, nA: ``w_max - slow_weight``."""
        return self.w_max - self.slow_weight


def _check_stdp_fields(owner: str, syn) -> None:
    """Validate the pair-STDP fields shared by `STDP` and `ConsolidatingSTDP`."""
    check_positive(owner, "tau_plus", syn.tau_plus)
    check_positive(owner, "tau_minus", syn.tau_minus)
    check_number(owner, "A_plus", syn.A_plus, 0.0, MAX_MAGNITUDE)
    check_number(owner, "A_minus", syn.A_minus, 0.0, MAX_MAGNITUDE)
    check_nonnegative(owner, "w_min", syn.w_min)
    check_number(owner, "w_max", syn.w_max, 0.0, MAX_MAGNITUDE, unit="nA")
    if syn.w_max < syn.w_min:
        raise ValidationError(
            f"{owner}: w_max must be >= w_min ({syn.w_min!r} nA), got {syn.w_max!r}")
    check_in(owner, "weight_dependence", syn.weight_dependence, {"additive", "multiplicative"})
    _check_weight_delay(owner, syn.weight, syn.delay)
    if not syn.w_min <= syn.weight <= syn.w_max:
        raise ValidationError(
            f"{owner}: weight must lie in [w_min, w_max] = [{syn.w_min}, {syn.w_max}] nA,"
            f" got {syn.weight!r}")


def _check_weight_delay(owner: str, weight, delay) -> None:
    check_number(owner, "weight", weight, 0.0, MAX_MAGNITUDE, unit="nA")
    if delay is not None:
        check_number(owner, "delay", delay, 0.0, MAX_DELAY_MS, lo_open=True, unit="ms")


SynapseType = (StaticSynapse, STDP, ConsolidatingSTDP)
PlasticSynapseType = (STDP, ConsolidatingSTDP)
_SYNAPSES = {"StaticSynapse": StaticSynapse, "STDP": STDP, "ConsolidatingSTDP": ConsolidatingSTDP}


def synapse_from_dict(d: dict):
    """Inverse of ``synapse.to_dict()``."""
    d = dict(d)
    kind = d.pop("type", None)
    if kind not in _SYNAPSES:
        raise ValidationError(f"synapse: type must be one of {sorted(_SYNAPSES)}, got {kind!r}")
    return _SYNAPSES[kind](**d)
