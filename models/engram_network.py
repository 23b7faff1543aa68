"""IR builder of the Hebbian engram network: parameters, layout and derived weights.

The network (all cells `IF_curr_exp`, dt = 1 ms) is a recurrent excitatory population with
global inhibition, in which engrams (cell assemblies) are learned in one shot by STDP and
recalled by pattern completion:

* ``input`` (spike source, n) -> ``exc`` one-to-one, delay 2 ms: presents patterns and cues;
  strong enough to make a cell fire against any recurrent inhibition.
* ``exc`` (n) -> ``exc`` all-to-all without self-connections, `ConsolidatingSTDP`, dendritic
  delay 2 ms, initial weight 0: the engram synapses. Their fast weight is the short-term
  memory (STM; it relaxes to 0 with ``stm_tau``), their slow weight the long-term memory (LTM),
  which receives the fast weight once a synapse's tag shows ``consolidate_after`` reactivations
  (see `spikemem.synapses`).
* ``exc`` -> ``inh`` (n relay interneurons) one-to-one, delay 1 ms, and ``inh`` -> ``exc``
  all-to-all inhibitory, delay 1 ms, weight ``g``: every excitatory spike at step s inhibits every
  excitatory cell at s + 2, when the recurrent excitation of that spike arrives, so a cell fires
  at s + 2 when ``w * (active cells connected to it) - g * (active cells) >= theta``: a
  threshold relative to the activity (soft winner-take-all), the attractor's basin.
* Working memory: once recalled, an engram keeps itself firing every 2 ms (persistent activity
  by recurrent excitation). ``wm_detect`` (1 cell) fires at s + 1 whenever ``exc`` fired at s;
  ``wm_gate`` (1 slow, leaky cell) counts those cycles and, after ``wm_ms`` of activity, fires
  and silences ``exc`` (delay 2 ms) and the detector (delay 1 ms, so that the last cycle is not
  counted towards the next episode): the persistence is bounded.

With dt = 1 ms, tau_syn = 0.3 ms and tau_m = 0.5 ms a cell's input lasts about one step, so all
excitatory activity happens on even steps, one "cycle" every 2 ms; the session presents every
input on even steps. Weights scale with the nominal engram size ``k``:
``w_max = theta / (threshold * k)`` and ``g = inhibition * w_max``, where ``theta`` (nA) is the
input that brings a resting cell to threshold in one step.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

import spikemem as sm
from spikemem.errors import (ValidationError, check_int, check_nonnegative, check_positive,
                             check_positive_or_inf)
from spikemem.neurons import lif_step_constants
from spikemem.synapses import ConsolidatingSTDP

__all__ = ["EngramParams", "EngramLayout", "build_network", "CYCLE_MS", "EXC_CELL",
           "GATE_CELL", "one_step_gain", "step_response", "episode_tag"]

#: One cycle of the synchronous recurrent dynamics (recurrent delay), ms.
CYCLE_MS = 2.0
DT = 1.0

#: Excitatory, relay and detector cells: the input of one step acts within that step.
EXC_CELL = sm.IF_curr_exp(cm=0.1, tau_m=0.5, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3,
                          v_rest=-65.0, v_reset=-65.0, v_thresh=-55.0)
#: The working-memory gate: a slow leaky integrator that counts cycles of activity.
GATE_CELL = sm.IF_curr_exp(cm=1.0, tau_m=40.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3,
                           v_rest=-65.0, v_reset=-65.0, v_thresh=-55.0)


@dataclass(frozen=True)
class EngramParams:
    """Parameters of an engram network.

    Parameters
    ----------
    n : int
        Number of excitatory cells (>= 4).
    k : int or None
        Nominal engram size, cells (2 <= k <= n); None means ``max(4, n // 10)``. The weights
        are scaled for engrams of about this size.
    inhibition : float
        Global inhibition per active cell relative to ``w_max`` (``g / w_max``), in (0, 1).
        Above 0.5 an engram hands over to the engram it is linked to (sequence recall).
    threshold : float
        Firing threshold relative to ``k * w_max``, in (0, 1).
    wm_ms : float
        Working-memory persistence: how long a recalled engram keeps firing, ms (>= 4).
    stm_tau : float
        Time constant of the short-term (fast) weights' decay to 0, ms (> 0). Default ``inf``:
        no decay, engrams last for the whole session. An unrehearsed engram completes from
        half of its cells for about ``ln(1 / (inhibition + 2 * threshold)) * stm_tau``
        (0.22 stm_tau with the defaults; measured in docs/engram.md).
    consolidate_after : int or None
        Number of reactivations (storage counts as one) after which an engram's synapses
        transfer their fast weight to the long-term weight (>= 1); None (the default) = never
        consolidate.
    tag_tau : float or None
        Decay time constant of the consolidation tag, ms (> 0; ``inf`` allowed); None means
        `stm_tau` (reactivations must come within about one STM lifetime), or 10 s if that is
        infinite.
    transfer_fraction : float
        Fraction of the fast weight moved to the slow weight per consolidation, in (0, 1].
    tau_plus, tau_minus : float
        STDP time constants, ms (> 0).
    a_plus, a_minus : float
        STDP amplitudes relative to ``w_max`` (>= 0). With the defaults one presentation (five
        cycles of co-activity, then the engram's own working-memory activity) saturates an
        engram's weights (one-shot learning), while the single cycle in which two linked
        engrams overlap during a recall adds only ``0.2 w_max`` to the backward link, which the
        later spikes depress again (by about ``0.26 w_max``).
    """

    n: int
    k: Optional[int] = None
    inhibition: float = 0.6
    threshold: float = 0.1
    wm_ms: float = 20.0
    stm_tau: float = math.inf
    consolidate_after: Optional[int] = None
    tag_tau: Optional[float] = None
    transfer_fraction: float = 1.0
    tau_plus: float = 5.0
    tau_minus: float = 5.0
    a_plus: float = 0.3
    a_minus: float = 0.05

    def __post_init__(self):
        owner = "EngramParams"
        n = check_int(owner, "n", self.n, minimum=4)
        k = max(4, n // 10) if self.k is None else check_int(owner, "k", self.k, minimum=2)
        if k > n:
            raise ValidationError(f"{owner}: k must be <= n = {n}, got {k}")
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "k", k)
        for name in ("inhibition", "threshold"):
            value = getattr(self, name)
            check_positive(owner, name, value)
            if not value < 1.0:
                raise ValidationError(f"{owner}: {name} must lie in (0, 1), got {value!r}")
        check_positive(owner, "wm_ms", self.wm_ms)
        if self.wm_ms < 2 * CYCLE_MS:
            raise ValidationError(f"{owner}: wm_ms must be >= {2 * CYCLE_MS} ms, "
                                  f"got {self.wm_ms!r}")
        check_positive_or_inf(owner, "stm_tau", self.stm_tau)
        if self.consolidate_after is not None:
            object.__setattr__(self, "consolidate_after",
                               check_int(owner, "consolidate_after", self.consolidate_after,
                                         minimum=1))
        if self.tag_tau is None:
            object.__setattr__(self, "tag_tau",
                               float(self.stm_tau) if math.isfinite(self.stm_tau) else 10_000.0)
        check_positive_or_inf(owner, "tag_tau", self.tag_tau)
        if not 0.0 < self.transfer_fraction <= 1.0:
            raise ValidationError(f"{owner}: transfer_fraction must lie in (0, 1], "
                                  f"got {self.transfer_fraction!r}")
        check_positive(owner, "tau_plus", self.tau_plus)
        check_positive(owner, "tau_minus", self.tau_minus)
        check_nonnegative(owner, "a_plus", self.a_plus)
        check_nonnegative(owner, "a_minus", self.a_minus)

    @property
    def wm_cycles(self) -> int:
        """Cycles of activity the gate counts before it silences the network."""
        return max(2, int(round(self.wm_ms / CYCLE_MS)))

    @property
    def stm_lifetime(self) -> float:
        """Time (ms) after its last reactivation at which an unconsolidated engram can no
        longer complete from half of its cells, by the mean-field threshold
        ``w >= (inhibition + 2 * threshold) * w_max``: ``stm_tau * ln(1 / (inhibition + 2 *
        threshold))`` (inf without decay; measured by the ``engram_lifetime`` experiment)."""
        need = self.inhibition + 2.0 * self.threshold
        if need >= 1.0:
            return 0.0
        return self.stm_tau * math.log(1.0 / need)

    @property
    def plastic_only(self) -> bool:
        """True when the engram synapses need only plain `STDP` (no decay, no consolidation)."""
        return not math.isfinite(self.stm_tau) and self.consolidate_after is None

    def replace(self, **changes) -> "EngramParams":
        """A copy with some parameters changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class EngramLayout:
    """Labels and derived constants of a built engram network.

    Attributes
    ----------
    n, k : int
    theta : float
        Input (nA, arriving in one step) that brings a resting excitatory cell to threshold.
    w_max, g, w_input, w_gate : float
        Maximum engram weight, inhibition per active cell, input weight and the detector ->
        gate weight, nA.
    wm_cycles : int
        Cycles the gate counts before it fires.
    tag_threshold : float
        Consolidation tag threshold (inf if consolidation is off).
    """

    n: int
    k: int
    theta: float
    w_max: float
    g: float
    w_input: float
    w_gate: float
    wm_cycles: int
    tag_threshold: float
    dt: float = DT
    cycle_ms: float = CYCLE_MS
    input_label: str = "input"
    exc_label: str = "exc"
    inh_label: str = "inh"
    detect_label: str = "wm_detect"
    gate_label: str = "wm_gate"
    engram_projection: str = "exc_exc"

    @property
    def populations(self) -> tuple:
        """Population labels from the input down to the gate (raster order)."""
        return (self.input_label, self.exc_label, self.inh_label, self.detect_label,
                self.gate_label)


def one_step_gain(cell: sm.IF_curr_exp) -> float:
    """Membrane rise (mV) in one step of a resting cell per nA arriving in that step."""
    c = lif_step_constants(cell, DT)
    return c["R"] * c["init_E"] * (1.0 - c["exp_m"])


def step_response(cell: sm.IF_curr_exp, n_steps: int) -> np.ndarray:
    """Membrane response (mV above rest) to 1 nA arriving at step 0, steps 0..n_steps-1.

    Computed with the IR's discrete `IF_curr_exp` update (no threshold), shape (n_steps,).
    """
    c = lif_step_constants(cell, DT)
    v, i_syn, out = 0.0, 0.0, np.empty(n_steps)
    for m in range(n_steps):
        i_syn += c["init_E"] * (1.0 if m == 0 else 0.0)
        v_inf = c["R"] * i_syn
        v = v_inf - (v_inf - v) * c["exp_m"]
        out[m] = v
        i_syn *= c["decay_E"]
    return out


def _gate_weight(cycles: int) -> float:
    """Detector -> gate weight (nA) that makes the gate fire at the `cycles`-th detector spike.

    The gate sums detector spikes arriving every cycle; the weight puts its threshold halfway
    between the membrane reached after ``cycles - 1`` and after ``cycles`` spikes.
    """
    h = step_response(GATE_CELL, int(CYCLE_MS) * cycles + 1)
    every = int(CYCLE_MS)

    def reached(m):
        return sum(h[every * j] for j in range(m))

    gap = GATE_CELL.v_thresh - GATE_CELL.v_rest
    return gap / (0.5 * (reached(cycles) + reached(cycles - 1)))


def episode_tag(params: EngramParams) -> float:
    """Tag that one reactivation adds to a synapse between two cells of an engram.

    Both cells fire every cycle for ``wm_cycles + 1`` cycles (the gate's count plus the cycle
    its inhibition takes to arrive); at each postsynaptic event (one cycle after the post spike,
    the dendritic delay) the tag grows by the presynaptic trace, the sum of
    ``exp(-lag / tau_plus)`` over the earlier presynaptic spikes.
    """
    m = params.wm_cycles + 1
    total = 0.0
    for j in range(m):
        total += sum(math.exp(-(CYCLE_MS * (j - i) + CYCLE_MS) / params.tau_plus)
                     for i in range(j + 1))
    return total


def build_network(params: EngramParams, label: str = "engram") -> tuple:
    """Build the engram network of `params` (see the module docstring).

    Returns
    -------
    network : spikemem.Network
    layout : EngramLayout
    """
    if not isinstance(params, EngramParams):
        raise ValidationError(f"build_network: params must be EngramParams, got {params!r}")
    n, k = params.n, params.k
    theta = (EXC_CELL.v_thresh - EXC_CELL.v_rest) / one_step_gain(EXC_CELL)
    w_max = theta / (params.threshold * k)
    g = params.inhibition * w_max
    w_input = 2.0 * theta + n * (g + w_max)
    w_gate = _gate_weight(params.wm_cycles)
    tag_threshold = (math.inf if params.consolidate_after is None else
                     (params.consolidate_after - 0.5) * episode_tag(params))
    layout = EngramLayout(n=n, k=k, theta=theta, w_max=w_max, g=g, w_input=w_input,
                          w_gate=w_gate, wm_cycles=params.wm_cycles,
                          tag_threshold=tag_threshold)

    net = sm.Network(dt=DT, label=label)
    inp = net.add(sm.SpikeSourceArray(size=n, label=layout.input_label))
    exc = net.add(sm.Population(n, EXC_CELL, label=layout.exc_label))
    inh = net.add(sm.Population(n, EXC_CELL, label=layout.inh_label))
    det = net.add(sm.Population(1, EXC_CELL, label=layout.detect_label))
    gate = net.add(sm.Population(1, GATE_CELL, label=layout.gate_label))
    stdp = dict(tau_plus=params.tau_plus, tau_minus=params.tau_minus,
                A_plus=params.a_plus * w_max, A_minus=params.a_minus * w_max,
                w_min=0.0, w_max=w_max, weight=0.0, delay=CYCLE_MS)
    if params.plastic_only:
        engram_syn = sm.STDP(**stdp)
    else:
        engram_syn = ConsolidatingSTDP(**stdp, tau_decay=float(params.stm_tau), w_base=0.0,
                                       tau_tag=float(params.tag_tau),
                                       tag_threshold=tag_threshold,
                                       transfer_fraction=params.transfer_fraction)
    net.add(sm.Projection(inp, exc, sm.OneToOne(), sm.StaticSynapse(w_input, delay=CYCLE_MS),
                          label="input_exc"))
    net.add(sm.Projection(exc, exc, sm.AllToAll(allow_self_connections=False), engram_syn,
                          label=layout.engram_projection, record_weights=False))
    net.add(sm.Projection(exc, inh, sm.OneToOne(), sm.StaticSynapse(2.0 * theta, delay=DT),
                          label="exc_inh"))
    net.add(sm.Projection(inh, exc, sm.AllToAll(), sm.StaticSynapse(g, delay=DT),
                          receptor="inhibitory", label="inh_exc"))
    net.add(sm.Projection(exc, det, sm.AllToAll(), sm.StaticSynapse(2.0 * theta, delay=DT),
                          label="exc_detect"))
    net.add(sm.Projection(det, gate, sm.OneToOne(), sm.StaticSynapse(w_gate, delay=DT),
                          label="detect_gate"))
    net.add(sm.Projection(gate, exc, sm.AllToAll(), sm.StaticSynapse(4.0 * w_input,
                                                                      delay=CYCLE_MS),
                          receptor="inhibitory", label="gate_exc"))
    net.add(sm.Projection(gate, det, sm.AllToAll(), sm.StaticSynapse(4.0 * n * theta, delay=DT),
                          receptor="inhibitory", label="gate_detect"))
    return net, layout
