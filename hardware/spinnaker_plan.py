"""The translation of an IR network into PyNN terms: the first and only pass that decides.

`plan_network` decides, once, how every population, spike source and projection of a
`spikemem.Network` is written for PyNN: which PyNN connector expresses a projection
exactly, which arrays go into a ``FromListConnector``, which weights replace the initial
ones (offsets, delays in steps and checked weights come from `spikemem.lowering`), and which
features the target simulator cannot express (`expressibility_problems`, the rules per target
in `RULES`). The constraint checker (`spinnaker_check`) judges the plan, and the writers
(`spinnaker_script`, `spinnaker_json`) only render it: none of them re-derives anything.

Connector choice (the connectivity is always identical to the IR's materialised arrays):

* ``OneToOne`` with one weight and one delay -> ``OneToOneConnector``;
* ``AllToAll`` with one weight and one delay -> ``AllToAllConnector``, except with
  ``allow_self_connections=False`` between groups that are not the very same one (the IR
  leaves out pairs of equal *local* index, PyNN only pairs of the same *cell*);
* everything else (``FixedProbability``, ``FromList``, varying or overridden weights or
  delays) -> ``FromListConnector`` of the IR's (pre, post[, weight][, delay]) arrays between
  the *whole* parent populations in their numbering; a weight or delay shared by all
  synapses is written once in the synapse type instead of as a column (sPyNNaker then
  sees a delay variance of exactly 0, as for the native connectors).

For sPyNNaker 7.4.1 three cases are also written as ``FromListConnector``s on whole
populations, because with a virtual board (and whenever it builds synapses on the host) its
code builds the wrong matrix: any projection from or onto a ``PopulationView``
(``OneToOneConnector`` raises ``ValueError``, ``AllToAllConnector`` ignores the view's
offset, ``FromListConnector`` onto a view raises ``IndexError``), and an
``AllToAllConnector(allow_self_connections=False)`` on a population that spans several
cores (``ValueError``). For ``pyNN.brian2`` views are written as ``pop[a:b]``.

Projections without any synapse are left out (a ``FromListConnector`` needs at least one
connection); the plan lists them in `NetworkPlan.notes`.

A Poisson drive (`spikemem.PoissonInput`) becomes a PyNN ``SpikeSourcePoisson`` population of
the target's size, labelled like the drive, at ``n_inputs * rate`` Hz with the drive's start
and duration, and a one-to-one projection of the drive's weight and receptor onto the target
with a delay of one step (PyNN's shortest; the IR adds the counts in the step they are drawn
for); for sPyNNaker the projection is a ``FromListConnector`` of the pairs (i, offset + i) on
the whole target population, built on the host like the lists above. sPyNNaker's Poisson source
expresses rates above one spike per step: from 0.25 expected spikes per step on it is a "fast"
source that draws a Poisson count each step and sends it as the payload of one packet, which
the synapses deliver as that many spikes (above its fast cut-off a Gaussian approximation of
the count; sPyNNaker's spike_source_poisson.c). The spike trains are then drawn by sPyNNaker
(the IR's seed is not used): they differ from the IR's counts, with the same statistics.
``poisson="array"`` does not apply to drives (a PyNN spike array cannot hold several spikes of
one neuron in one step). pyNN.brian2's ``SpikeSourcePoisson`` fires at most once per step, so a
drive of more than 0.1 expected spikes per step is reported as unexpressible for
``simulator="brian2"``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np

from spikemem.connectors import AllToAll, OneToOne
from spikemem.errors import UnsupportedFeature, ValidationError, check_int
from spikemem.lowering import lower
from spikemem.network import Network, PopulationView
from spikemem.neurons import IF_curr_exp
from spikemem.stimulus import SpikeSourceArray, SpikeSourcePoisson
from spikemem.synapses import STDP, STDP_FIELDS, ConsolidatingSTDP, StaticSynapse

from .spinnaker_limits import MAX_NEURONS_PER_CORE

__all__ = ["GroupRef", "PopulationPlan", "ProjectionPlan", "NetworkPlan", "plan_network",
           "POISSON_MODES", "CELL_PARAMETERS", "SIMULATORS", "RULES", "stdp_key",
           "expressibility_problems"]

#: Target simulators of the SpiNNaker exporter: name -> PyNN module.
SIMULATORS = {"spiNNaker": "pyNN.spiNNaker", "brian2": "pyNN.brian2"}

#: Targets whose connectors are built by sPyNNaker 7.4.1's host code, which mishandles views
#: and ``AllToAllConnector(allow_self_connections=False)`` across cores (module docstring).
_HOST_BUILT_CONNECTORS = {"spiNNaker": True, "brian2": False}

#: PyNN ``IF_curr_exp`` parameter names: the IR cell type's fields (the IR follows PyNN's
#: names and units, so the translation table is the identity on these names).
CELL_PARAMETERS = tuple(f.name for f in dataclasses.fields(IF_curr_exp))

#: How spike sources of kind `SpikeSourcePoisson` are exported: ``"native"`` writes a PyNN
#: ``SpikeSourcePoisson`` (the target draws its own spikes); ``"array"`` writes the IR's own
#: seeded spikes over the run as a ``SpikeSourceArray``.
POISSON_MODES = ("native", "array")


@dataclass(frozen=True)
class GroupRef:
    """A whole population or source (``start = 0, stop = size``) or a contiguous view of one."""

    label: str
    start: int
    stop: int
    parent_size: int

    @property
    def is_view(self) -> bool:
        return not (self.start == 0 and self.stop == self.parent_size)

    @property
    def size(self) -> int:
        return self.stop - self.start

    def to_dict(self) -> dict:
        return {"label": self.label, "start": self.start, "stop": self.stop}


@dataclass(frozen=True, eq=False)
class PopulationPlan:
    """How one population or spike source is written.

    Attributes
    ----------
    label : str
    kind : {"IF_curr_exp", "SpikeSourceArray", "SpikeSourcePoisson"}
    size : int
    cell : IF_curr_exp or None
        Cell parameters (PyNN names and units: nF, ms, mV, nA) of an ``IF_curr_exp``.
    initial_v : float, ndarray of shape (size,), or None
        Initial membrane potential, mV (None for sources).
    record : tuple of str
        ``"spikes"`` and/or ``"v"`` (populations only).
    spike_times, spike_ids : ndarray or None
        Flat spike times (ms) and neuron ids of a ``SpikeSourceArray`` (also of a Poisson
        source exported as arrays).
    poisson : SpikeSourcePoisson or None
        The source, when exported as a native ``SpikeSourcePoisson``.
    neurons_per_core : int or None
        Maximum neurons per core asked of sPyNNaker (None = sPyNNaker's default).
    drive : PoissonInput or None
        The Poisson drive this ``SpikeSourcePoisson`` stands for, if any.
    """

    label: str
    kind: str
    size: int
    cell: Optional[IF_curr_exp] = None
    initial_v: Optional[Union[float, np.ndarray]] = None
    record: tuple = ()
    spike_times: Optional[np.ndarray] = None
    spike_ids: Optional[np.ndarray] = None
    poisson: Optional[SpikeSourcePoisson] = None
    neurons_per_core: Optional[int] = None
    drive: Optional[object] = None

    @property
    def is_source(self) -> bool:
        return self.kind != "IF_curr_exp"


@dataclass(frozen=True, eq=False)
class ProjectionPlan:
    """How one projection is written.

    Attributes
    ----------
    label : str
    pre, post : GroupRef
    connector : {"OneToOne", "AllToAll", "FromList"}
    allow_self_connections : bool
        For ``AllToAll``.
    receptor : {"excitatory", "inhibitory"}
    synapse : StaticSynapse or STDP
        The IR synapse (STDP parameters in the IR's convention).
    pre_local, post_local : ndarray of int64, shape (n,)
        Indices relative to `pre` / `post` (the view, if one; whole populations for
        ``FromList``).
    weight : ndarray, shape (n,)
        Weights, nA (>= 0; learned weights if given to `plan_network`).
    delay_steps : ndarray of int16, shape (n,)
        Delays, time steps (from `spikemem.lowering`).
    dt : float
        Time step, ms.
    """

    label: str
    pre: GroupRef
    post: GroupRef
    connector: str
    allow_self_connections: bool
    receptor: str
    synapse: object
    pre_local: np.ndarray
    post_local: np.ndarray
    weight: np.ndarray
    delay_steps: np.ndarray
    dt: float

    @property
    def delay(self) -> np.ndarray:
        """Delays, ms (``delay_steps * dt``), shape (n,)."""
        return self.delay_steps * self.dt

    @property
    def max_delay_steps(self) -> int:
        return int(self.delay_steps.max()) if self.size else 1

    @property
    def plastic(self) -> bool:
        return isinstance(self.synapse, STDP)

    @property
    def size(self) -> int:
        return int(self.pre_local.size)

    @property
    def synapse_type(self) -> int:
        """sPyNNaker's synapse type index of the receptor (0 excitatory, 1 inhibitory)."""
        return 0 if self.receptor == "excitatory" else 1

    @property
    def weight_column(self) -> bool:
        """True when the weights differ and go into a ``FromListConnector`` column."""
        return self.connector == "FromList" and not bool(np.all(self.weight == self.weight[0]))

    @property
    def delay_column(self) -> bool:
        """True when the delays differ and go into a ``FromListConnector`` column."""
        return self.connector == "FromList" and not bool(np.all(self.delay == self.delay[0]))

    @property
    def uniform_weight(self) -> float:
        """The weight (nA) written in the synapse type when there is no weight column."""
        return float(self.weight[0])

    @property
    def uniform_delay(self) -> float:
        """The delay (ms) written in the synapse type when there is no delay column."""
        return float(self.delay[0])


@dataclass(eq=False)
class NetworkPlan:
    """A network in PyNN terms (see the module docstring).

    Attributes
    ----------
    label : str
    dt : float
        Time step, ms.
    run_ms : float
        Simulated time the exported script runs for by default, ms.
    populations : list of PopulationPlan
        IR populations first, then spike sources, in the order they were added, then one
        ``SpikeSourcePoisson`` per Poisson drive (labelled like the drive).
    projections : list of ProjectionPlan
    notes : list of str
        What the translation changed or left out, in words.
    skipped : list of str
        Labels of the projections left out because they have no synapse.
    simulator : {"spiNNaker", "brian2"}
        The target simulator the plan is for.
    unexpressible : list of str
        What `simulator` cannot express (`expressibility_problems`); empty if it can run
        the plan. A writer refuses a plan with problems (`require_expressible`).
    """

    label: str
    dt: float
    run_ms: float
    populations: list
    projections: list
    notes: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    simulator: str = "spiNNaker"
    unexpressible: list = field(default_factory=list)

    def require_expressible(self) -> None:
        """Raise `UnsupportedFeature` (the first problem) unless the target can run the plan."""
        if self.unexpressible:
            raise UnsupportedFeature(self.unexpressible[0])

    def group(self, label: str) -> PopulationPlan:
        for p in self.populations:
            if p.label == label:
                return p
        raise KeyError(label)

    def incoming(self, label: str) -> list:
        """Projections onto population `label` (any view of it), in order."""
        return [pr for pr in self.projections if pr.post.label == label]


def _ref(group) -> GroupRef:
    if isinstance(group, PopulationView):
        return GroupRef(group.parent.label, group.start, group.stop, group.parent.size)
    return GroupRef(group.label, 0, group.size, group.size)


def _whole(ref: GroupRef) -> GroupRef:
    return GroupRef(ref.label, 0, ref.parent_size, ref.parent_size)


def _uniform(arr: np.ndarray) -> bool:
    return arr.size > 0 and bool(np.all(arr == arr[0]))


def _choose_connector(proj, pre: GroupRef, post: GroupRef, pre_l, post_l, weight, delay,
                      simulator: str, post_core: int):
    """Return (connector name, allow_self_connections) that reproduces the arrays exactly.

    `post_core` is the post population's neurons per core (for sPyNNaker's all-to-all rule).
    """
    if not (_uniform(weight) and _uniform(delay)):
        return "FromList", True
    host_built = _HOST_BUILT_CONNECTORS[simulator]
    if host_built and (pre.is_view or post.is_view):
        # sPyNNaker 7.4.1 generates connectors on the host for a virtual board, and its host
        # code mishandles views (OneToOne: ValueError; AllToAll: view offsets ignored).
        return "FromList", True
    n_pre, n_post, n = pre.size, post.size, pre_l.size
    if isinstance(proj.connector, OneToOne):
        idx = np.arange(n_pre)
        if n_pre == n_post == n and np.array_equal(pre_l, idx) and np.array_equal(post_l, idx):
            return "OneToOne", True
        return "FromList", True
    if isinstance(proj.connector, AllToAll):
        allow = proj.connector.allow_self_connections
        rows = np.repeat(np.arange(n_pre), n_post)
        cols = np.tile(np.arange(n_post), n_pre)
        if not allow:
            # PyNN leaves out only pairs of the same cell, the IR pairs of equal local index;
            # sPyNNaker's host code builds a wrong matrix when the population spans cores.
            if pre != post or (host_built and post.size > post_core):
                return "FromList", True
            keep = rows != cols
            rows, cols = rows[keep], cols[keep]
        if np.array_equal(pre_l, rows) and np.array_equal(post_l, cols):
            return "AllToAll", allow
    return "FromList", True


def stdp_key(synapse: STDP) -> tuple:
    """The STDP parameters sPyNNaker requires to be equal on all plastic inputs of a population.

    (sPyNNaker 7.4.1 ``SynapseDynamicsSTDP.merge``: timing rule taus, weight dependence
    class, bounds and A±; the initial weight and the delay may differ.)
    """
    return tuple(getattr(synapse, name) for name in STDP_FIELDS
                 if name not in ("weight", "delay"))


def _one_stdp_rule_per_population(plan: NetworkPlan) -> list:
    """sPyNNaker 7.4.1: all plastic projections onto one population share one STDP rule."""
    out, rules = [], {}
    for pr in plan.projections:
        if not pr.plastic:
            continue
        first = rules.setdefault(pr.post.label, (pr.label, stdp_key(pr.synapse)))
        if first[1] != stdp_key(pr.synapse):
            out.append(
                f"SpiNNaker (sPyNNaker 7.4.1) cannot express two different STDP rules onto "
                f"one population: plastic projections {first[0]!r} and {pr.label!r} both "
                f"target {pr.post.label!r} with different parameters (tau+, tau-, A+, A-, "
                f"w_min, w_max, weight dependence) {first[1]} and {stdp_key(pr.synapse)}; "
                "sPyNNaker raises SynapticConfigurationException ('Synapse dynamics must "
                "match exactly when using multiple edges to the same population')")
    return out


def _pynn_brian2_limits(plan: NetworkPlan) -> list:
    """pyNN.brian2 0.13: repeated pairs with different values, multiplicative or inhibitory
    STDP."""
    out = []
    for pr in plan.projections:
        if pr.connector == "FromList" and (pr.weight_column or pr.delay_column):
            key = pr.pre_local * (int(pr.post_local.max()) + 1) + pr.post_local
            order = np.argsort(key, kind="stable")
            same = key[order][1:] == key[order][:-1]
            w, d = pr.weight[order], pr.delay_steps[order]
            if np.any(same & ((w[1:] != w[:-1]) | (d[1:] != d[:-1]))):
                out.append(
                    f"pyNN.brian2 (PyNN 0.13) cannot express repeated (pre, post) pairs with "
                    f"different weights or delays (projection {pr.label!r}): its "
                    "FromListConnector gives every synapse of a pair the last one's values")
        if not pr.plastic:
            continue
        if pr.synapse.multiplicative:
            out.append(
                f"pyNN.brian2 (PyNN 0.13) cannot express the multiplicative weight dependence of "
                f"plastic projection {pr.label!r}: its STDPMechanism applies the additive rule "
                "whatever the weight dependence")
        if pr.receptor == "inhibitory":
            out.append(
                f"pyNN.brian2 (PyNN 0.13) cannot express STDP on the inhibitory receptor "
                f"(projection {pr.label!r}): current-based cells need negative weights there, "
                "which its STDP clips to w_min")
    return out


#: Expected spikes per step above which pyNN.brian2's SpikeSourcePoisson (a Bernoulli draw per
#: step, at most one spike) misrepresents a Poisson drive by more than ~5 % of its mean.
PYNN_BRIAN2_MAX_DRIVE_LAMBDA = 0.1


def _pynn_brian2_drives(plan: NetworkPlan) -> list:
    """pyNN.brian2 0.13: a Poisson source fires at most once per step."""
    out = []
    for p in plan.populations:
        if p.drive is not None:
            lam = p.poisson.rate * plan.dt / 1000.0
            if lam > PYNN_BRIAN2_MAX_DRIVE_LAMBDA:
                out.append(
                    f"pyNN.brian2 (PyNN 0.13) cannot express Poisson drive {p.label!r}: its "
                    f"{p.poisson.rate:g} Hz per neuron are {lam:.3g} expected spikes per step of "
                    f"{plan.dt} ms, and its SpikeSourcePoisson (Brian2's PoissonGroup) fires at "
                    f"most once per step (limit {PYNN_BRIAN2_MAX_DRIVE_LAMBDA} expected spikes "
                    "per step); export for simulator='spiNNaker', whose fast Poisson sources "
                    "send several spikes per step")
    return out


#: What each target simulator cannot express: name -> rules, each ``rule(plan) -> [messages]``.
RULES = {"spiNNaker": (_one_stdp_rule_per_population,),
         "brian2": (_pynn_brian2_limits, _pynn_brian2_drives)}


def expressibility_problems(plan: NetworkPlan, simulator: str) -> list:
    """Messages naming every feature of `plan` that `simulator` cannot express (`RULES`)."""
    return [msg for rule in RULES[simulator] for msg in rule(plan)]


def _check_neurons_per_core(network: Network, neurons_per_core) -> dict:
    if neurons_per_core is None:
        return {}
    owner = "SpiNNaker export"
    if isinstance(neurons_per_core, dict):
        pops = {p.label for p in network.populations}
        out = {}
        for label, n in neurons_per_core.items():
            if label not in pops:
                raise ValidationError(
                    f"{owner}: neurons_per_core names {label!r}, which is not a population of "
                    f"network {network.label!r} (populations: {sorted(pops)})")
            out[label] = check_int(owner, f"neurons_per_core[{label!r}]", n, minimum=1)
        return out
    n = check_int(owner, "neurons_per_core", neurons_per_core, minimum=1)
    return {p.label: n for p in network.populations}


def _drive_plan(drive, dt: float, simulator: str):
    """(PopulationPlan, ProjectionPlan) of a Poisson drive (see the module docstring)."""
    rate = drive.n_inputs * drive.rate
    if rate > 1e6:
        raise UnsupportedFeature(
            f"SpiNNaker export: Poisson drive {drive.label!r} needs a Poisson source of "
            f"{rate:g} Hz per neuron, above the 1 MHz a SpikeSourcePoisson may have")
    source = SpikeSourcePoisson(drive.size, rate=rate, seed=drive.seed, start=drive.start,
                                duration=drive.duration, label=drive.label)
    pre = GroupRef(drive.label, 0, drive.size, drive.size)
    post = _ref(drive.target)
    local = np.arange(drive.size, dtype=np.int64)
    connector, post_local = "OneToOne", local
    if _HOST_BUILT_CONNECTORS[simulator]:
        # sPyNNaker 7.4.1 builds a OneToOneConnector on the machine, and a population whose
        # incoming projections mix host-built (FromList) and machine-built connectors cannot
        # be read back from a virtual board; a list is host-built like the others
        connector, post, post_local = "FromList", _whole(post), local + drive.offset
    proj = ProjectionPlan(drive.label, pre, post, connector, True, drive.receptor,
                          StaticSynapse(weight=drive.weight, delay=dt), local, post_local,
                          np.full(drive.size, drive.weight), np.ones(drive.size, np.int16), dt)
    return (PopulationPlan(drive.label, "SpikeSourcePoisson", drive.size, poisson=source,
                           drive=drive), proj)


def plan_network(network: Network, weights: Optional[dict] = None, run_ms: float = 1000.0,
                 poisson: str = "native", neurons_per_core=None,
                 simulator: str = "spiNNaker") -> NetworkPlan:
    """Translate `network` into PyNN terms (see the module docstring).

    Parameters
    ----------
    network : Network
    weights : dict of str to array_like, optional
        ``{projection label: weights}`` (nA, shape (n_synapses,), in the projection's synapse
        order) replacing the initial weights, e.g. weights learned by a simulation. Plastic
        projections keep their STDP rule and start from these weights.
    run_ms : float
        Simulated time of the exported run, ms (a positive multiple of ``network.dt``).
    poisson : {"native", "array"}
        How `SpikeSourcePoisson` sources are written (see `POISSON_MODES`).
    neurons_per_core : int or dict of str to int, optional
        Maximum neurons per core for every population (int) or per population label.
    simulator : {"spiNNaker", "brian2"}
        The PyNN backend the plan is for: views are kept as ``pop[a:b]`` for ``"brian2"``
        only (see the module docstring).

    Returns
    -------
    NetworkPlan
        With ``unexpressible`` listing what `simulator` cannot express.

    Raises
    ------
    ValidationError
        Not a Network, bad `simulator`, `run_ms`, `poisson`, `weights` or `neurons_per_core`.
    UnsupportedFeature
        A projection uses `ConsolidatingSTDP`.
    """
    if not isinstance(network, Network):
        raise ValidationError(
            f"SpiNNaker export: network must be a spikemem.Network, got {type(network).__name__}")
    if simulator not in SIMULATORS:
        raise ValidationError(
            f"to_pynn_script: simulator must be one of {sorted(SIMULATORS)}, got {simulator!r}")
    if poisson not in POISSON_MODES:
        raise ValidationError(
            f"SpiNNaker export: poisson must be one of {list(POISSON_MODES)}, got {poisson!r}")
    dt = network.dt
    steps = run_ms / dt if isinstance(run_ms, (int, float)) else np.nan
    if not (np.isfinite(steps) and steps > 0 and abs(steps - round(steps)) < 1e-6):
        raise ValidationError(
            f"SpiNNaker export: run_ms must be a positive multiple of dt = {dt} ms, "
            f"got {run_ms!r}")
    for proj in network.projections:
        if isinstance(proj.synapse, ConsolidatingSTDP):
            raise UnsupportedFeature(
                f"SpiNNaker export: projection {proj.label!r} uses ConsolidatingSTDP (fast "
                "weights decaying to a baseline, consolidated into slow weights), which "
                "sPyNNaker has no synapse dynamics for; rebuild the projection with a "
                "StaticSynapse carrying its current weights to export it")
    low = lower(network, weights, owner="SpiNNaker export")
    npc = _check_neurons_per_core(network, neurons_per_core)
    notes = []

    pops = []
    for p in network.populations:
        v0 = p.initial_v_array()
        init = float(v0[0]) if np.all(v0 == v0[0]) else v0
        pops.append(PopulationPlan(p.label, "IF_curr_exp", p.size, cell=p.celltype,
                                   initial_v=init, record=tuple(p.record),
                                   neurons_per_core=npc.get(p.label)))
    for s in network.sources:
        if isinstance(s, SpikeSourceArray):
            pops.append(PopulationPlan(s.label, "SpikeSourceArray", s.size,
                                       spike_times=s.times.copy(), spike_ids=s.ids.copy()))
        elif poisson == "array":
            st, ids = low.source_window(s.label, 0, int(round(steps)))
            pops.append(PopulationPlan(s.label, "SpikeSourceArray", s.size,
                                       spike_times=st * dt, spike_ids=ids))
            notes.append(f"SpikeSourcePoisson {s.label!r} is written as the IR's own spikes "
                         f"over {run_ms} ms (a SpikeSourceArray), so they are identical")
        else:
            pops.append(PopulationPlan(s.label, "SpikeSourcePoisson", s.size, poisson=s))
            notes.append(f"SpikeSourcePoisson {s.label!r} is written as a PyNN "
                         "SpikeSourcePoisson: the target draws its own spikes (seed "
                         f"{s.seed} is not used); export with poisson='array' for the IR's "
                         "exact spikes")

    projs, skipped = [], []
    for lp in low.projections:
        proj = lp.projection
        pre, post = _ref(proj.pre), _ref(proj.post)
        pre_l = proj.pre_idx - pre.start
        post_l = proj.post_idx - post.start
        weight = lp.weight
        delay = lp.delay
        if proj.size == 0:
            notes.append(f"projection {proj.label!r} has no synapse and is not written")
            skipped.append(proj.label)
            continue
        post_core = min(npc.get(post.label) or MAX_NEURONS_PER_CORE, MAX_NEURONS_PER_CORE)
        conn, allow = _choose_connector(proj, pre, post, pre_l, post_l, weight, delay,
                                        simulator, post_core)
        if conn == "FromList":
            # On whole populations, in parent numbering: sPyNNaker 7.4.1 fails to route a
            # FromListConnector onto a PopulationView (IndexError in get_connected_vertices).
            pre, post = _whole(pre), _whole(post)
            pre_l, post_l = proj.pre_idx, proj.post_idx
        projs.append(ProjectionPlan(proj.label, pre, post, conn, allow, proj.receptor,
                                    proj.synapse, pre_l.astype(np.int64),
                                    post_l.astype(np.int64), weight, delay, dt))
    for drive in network.drives:
        source, proj = _drive_plan(drive, dt, simulator)
        pops.append(source)
        projs.append(proj)
        notes.append(f"Poisson drive {drive.label!r} is written as a SpikeSourcePoisson of "
                     f"{drive.size} neurons at {source.poisson.rate:g} Hz, one-to-one onto "
                     f"{drive.target.label!r} with a delay of one step: the target draws its "
                     f"own spikes (seed {drive.seed} is not used)")
    plan = NetworkPlan(network.label, dt, float(run_ms), pops, projs, notes, skipped, simulator)
    plan.unexpressible = expressibility_problems(plan, simulator)
    return plan

