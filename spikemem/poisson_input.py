"""`PoissonInput`: a Poisson drive onto every neuron of a population, many spikes per step.

The IR element behind a cortical background (Potjans & Diesmann 2014: K_ext = 1600-2900
external synapses at 8 Hz onto every neuron, ~2.3 input spikes per 0.1 ms step), like
Brian2's ``PoissonInput`` and NEST's ``poisson_generator`` connected one-to-all. No spike
source nodes or synapses are created: in every step ``t`` of its active window, every
target neuron ``j`` receives a count ``c(j, t) ~ Poisson(lam)`` of input spikes,
``lam = n_inputs * rate * dt / 1000``, and ``c * weight`` is added to its summed synaptic
input of that step on the drive's receptor.

Which step, and in which order (the contract every backend reproduces bit for bit):

* the counts of step ``t`` are input *of step t*: they enter the synaptic current in the
  neuron update of step ``t``, exactly like a spike emitted at step ``t - d`` through a
  synapse of delay ``d`` (the ring-buffer row of step ``t``); they never reach a neuron
  before the step they are drawn for;
* summation: the row of step ``t`` first holds every spike arriving at ``t`` (in the
  engine's delivery order), then the drives add ``float(c) * weight`` one by one, in the
  order they were added to the network.

The count ``c(j, t)`` is a pure function of (`seed`, ``j``, ``t``): ``j`` is the neuron's
index within the target's *parent* population, ``t`` the absolute time step. It does not
depend on how a run is split into calls, on the number of threads or on the backend
(`spikemem.lowering.poisson_counts` and the Numba engine's kernel compute it with the same
integer and floating-point operations). Two drives with the same seed on the same neurons
draw the same counts: give each drive its own seed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ._repr import short_repr
from .errors import UnsupportedFeature, ValidationError, check_in
from .validation import (MAX_MAGNITUDE, MAX_SIZE, MAX_TIME_MS, check_integer, check_label,
                         check_number, construct)
from .views import PopulationView

__all__ = ["PoissonInput", "MAX_LAMBDA", "poisson_input_from_dict", "refuse_drives"]

#: Most input spikes expected per neuron and step (``lam``). The inversion compares with a
#: table of about ``lam + 10 sqrt(lam) + 20`` cumulative probabilities per neuron and step
#: (119 at 50), and ``exp(-lam)`` (>= 2e-22) stays far from underflow.
MAX_LAMBDA = 50.0

_RECEPTORS = ("excitatory", "inhibitory")


@dataclass(frozen=True, eq=False)
class PoissonInput:
    """`n_inputs` independent Poisson trains of `rate` Hz onto every neuron of `target`.

    Parameters
    ----------
    target : Population or PopulationView
        The neurons driven (a view drives only its slice).
    n_inputs : int
        Number of independent input trains per neuron (>= 1), e.g. the external in-degree.
    rate : float
        Rate of each train, Hz, in [0, 1e6]. Each neuron receives ``n_inputs * rate`` input
        spikes per second; per step at most `MAX_LAMBDA` are expected
        (``n_inputs * rate * dt / 1000 <= MAX_LAMBDA``, checked when added to a network).
    weight : float
        Synaptic weight of one input spike, nA, in [0, 1e9] (the receptor gives the sign).
    seed : int
        Seed of the counts, in 0 .. 2**63 - 1.
    receptor : {"excitatory", "inhibitory"}
    start : float
        Onset, ms, in [0, 1e12]: steps ``s`` with ``s * dt >= start`` are driven.
    duration : float
        Length of the active window, ms, in (0, 1e12] or ``inf`` (default: to the end).
    label : str, optional
        Unique name within a network (assigned by `Network.add` if omitted).

    Notes
    -----
    See the module docstring for the step the counts belong to, the summation order and
    the random numbers. Cost: one hash and one comparison per entry of the drive's
    cumulative table (`spikemem.lowering.poisson_cdf`) per driven neuron and step, no memory
    per neuron.
    """

    target: object
    n_inputs: int
    rate: float
    weight: float
    seed: int
    receptor: str = "excitatory"
    start: float = 0.0
    duration: float = float("inf")
    label: Optional[str] = None

    __repr__ = short_repr

    def __post_init__(self):
        from .network import Population     # network.py imports this module
        owner = f"PoissonInput {self.label!r}"
        check_label(owner, self.label)
        parent = self.population
        if not isinstance(parent, Population):
            raise ValidationError(f"{owner}: target must be a Population or a view of one, "
                                  f"got {type(parent).__name__}")
        set_ = object.__setattr__
        set_(self, "n_inputs", check_integer(owner, "n_inputs", self.n_inputs, 1, MAX_SIZE))
        set_(self, "rate", check_number(owner, "rate", self.rate, 0.0, 1e6, unit="Hz"))
        set_(self, "weight", check_number(owner, "weight", self.weight, 0.0, MAX_MAGNITUDE,
                                          unit="nA"))
        set_(self, "seed", check_integer(owner, "seed", self.seed, 0, 2 ** 63 - 1))
        check_in(owner, "receptor", self.receptor, set(_RECEPTORS))
        set_(self, "start", check_number(owner, "start", self.start, 0.0, MAX_TIME_MS,
                                         unit="ms"))
        set_(self, "duration", check_number(owner, "duration", self.duration, 0.0,
                                            MAX_TIME_MS, lo_open=True, allow_inf=True,
                                            unit="ms"))

    @property
    def population(self):
        """The target's parent population."""
        return self.target.parent if isinstance(self.target, PopulationView) else self.target

    @property
    def offset(self) -> int:
        """Index of the first driven neuron within the parent population."""
        return self.target.start if isinstance(self.target, PopulationView) else 0

    @property
    def size(self) -> int:
        """Number of driven neurons."""
        return self.target.size

    def expected_count(self, dt: float) -> float:
        """``lam``: input spikes expected per neuron and step of `dt` ms (> 0)."""
        dt = check_number(f"PoissonInput {self.label!r}", "dt", dt, 0.0, 1e4, lo_open=True,
                          unit="ms")
        return self.n_inputs * self.rate * dt / 1000.0

    def check_step(self, dt: float) -> float:
        """``lam`` at time step `dt` (ms), after checking it is at most `MAX_LAMBDA`."""
        lam = self.expected_count(dt)
        if not lam <= MAX_LAMBDA:
            raise ValidationError(
                f"PoissonInput {self.label!r}: n_inputs * rate * dt / 1000 (input spikes "
                f"expected per neuron and step) must be at most {MAX_LAMBDA:g}, got "
                f"{self.n_inputs} * {self.rate:g} Hz * {dt:g} ms = {lam:g}; use a smaller dt, "
                f"or a DC current (i_offset) for a drive this dense")
        return lam

    def to_dict(self) -> dict:
        target = {"label": self.population.label}
        if self.target is not self.population:
            target.update(start=self.target.start, stop=self.target.stop)
        return {"type": "PoissonInput", "target": target, "n_inputs": self.n_inputs,
                "rate": self.rate, "weight": self.weight, "seed": self.seed,
                "receptor": self.receptor, "start": self.start, "duration": self.duration,
                "label": self.label}


def poisson_input_from_dict(d: dict, target) -> PoissonInput:
    """Inverse of ``PoissonInput.to_dict()``, with the target already resolved."""
    if d.get("type", "PoissonInput") != "PoissonInput":
        raise ValidationError(f"PoissonInput: type must be 'PoissonInput', got {d['type']!r}")
    fields = {k: v for k, v in d.items() if k not in ("type", "target")}
    return construct(PoissonInput, {"target": target, **fields})


def refuse_drives(network, target: str, instead: str) -> None:
    """Raise `UnsupportedFeature` naming the first Poisson drive of `network`, if it has one.

    Parameters
    ----------
    network : Network
    target : str
        The exporter or backend that cannot express a drive (starts the message).
    instead : str
        What to use instead (ends the message).
    """
    if not getattr(network, "drives", None):
        return
    d = network.drives[0]
    raise UnsupportedFeature(
        f"{target}: cannot express Poisson drive {d.label!r} (PoissonInput of {d.n_inputs} x "
        f"{d.rate:g} Hz onto {d.target.label!r}, {len(network.drives)} drive(s) in network "
        f"{network.label!r}); {instead}")
