"""Translate the PyNN objects of a script into a spikemem IR `Network`.

PyNN allows a parameter to differ between the neurons of one population; an IR population
has one cell type. A PyNN population therefore becomes one IR group per distinct parameter
set (usually exactly one), and a PyNN projection one IR projection per (pre group, post
group) pair, with its connections listed explicitly (`FromList`) in the projection's own
connection order. `PopulationMap` and `ProjectionMap` keep the way back, so that spikes,
membrane traces and weights read from a backend are reported in PyNN's numbering.
"""
from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np

from .. import connectors as ir_connectors
from ..errors import UnsupportedFeature, ValidationError
from ..lowering import round_to_steps
from ..network import Network
from ..network import Population as IRPopulation
from ..network import Projection as IRProjection
from ..neurons import IF_curr_exp as IRCell
from ..stimulus import SpikeSourceArray as IRArray
from ..stimulus import SpikeSourcePoisson as IRPoisson
from ..synapses import STDP, StaticSynapse
from ..validation import MAX_DURATION_MS

__all__ = ["PopulationMap", "ProjectionMap", "build_network", "flatten", "cell_types",
           "check_poisson", "CONVENTIONS", "STDP_PARAMETERS"]

#: "spinnaker": sPyNNaker's conventions; "pynn": PyNN 0.13's documented ones (docs/pynn.md)
CONVENTIONS = ("spinnaker", "pynn")
CELL_FIELDS = tuple(f.name for f in dataclasses.fields(IRCell))
STDP_PARAMETERS = ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max")


@dataclass
class PopulationMap:
    """Where the neurons of one PyNN population live in the IR.

    Attributes
    ----------
    labels : list of str
        Labels of the IR groups (populations or spike sources), one per parameter set.
    group : ndarray of int, shape (size,)
        Index into `labels` of each PyNN neuron.
    local : ndarray of int, shape (size,)
        Index of each PyNN neuron within its IR group.
    members : list of ndarray of int
        PyNN indices of the neurons of each IR group, in the group's order.
    gid : ndarray of int, shape (size,)
        Network-wide group number of each neuron (for grouping connections).
    """

    labels: list
    group: np.ndarray
    local: np.ndarray
    members: list
    gid: np.ndarray


@dataclass
class ProjectionMap:
    """The IR projections of one PyNN projection: ``parts = [(label, positions), ...]`` where
    `positions` indexes the PyNN projection's connections (shape (n_part,))."""

    parts: list


def flatten(group):
    """Root populations of a PyNN group and, per neuron of the group, which root and index.

    Returns
    -------
    roots : list of Population
    which : ndarray of int, shape (group.size,)
        Index into `roots`.
    index : ndarray of int, shape (group.size,)
        Index of the neuron in its root population.
    """
    members = group.populations if hasattr(group, "populations") else [group]
    roots, which, index = [], [], []
    for m in members:
        root = getattr(m, "grandparent", m)
        idx = m.index_in_grandparent(np.arange(m.size)) if root is not m else np.arange(m.size)
        if not any(r is root for r in roots):
            roots.append(root)
        k = next(i for i, r in enumerate(roots) if r is root)
        which.append(np.full(m.size, k, np.int64))
        index.append(np.asarray(idx, np.int64))
    return roots, np.concatenate(which), np.concatenate(index)


class _Labels:
    def __init__(self):
        self.used = set()

    def __call__(self, wanted: str) -> str:
        label, k = wanted, 1
        while label in self.used:
            label, k = f"{wanted}~{k}", k + 1
        self.used.add(label)
        return label


def build_network(populations, projections, dt: float, t_offset: float, seed: int,
                  conventions: str):
    """Build the IR `Network` of a PyNN model as it stands at time `t_offset` (ms).

    Parameters
    ----------
    populations : list of spikemem.pynn.Population
        In creation order. A population's carried state (``_carry_v``, mV, shape (size,)) is
        its initial membrane potential if set, else its PyNN initial value ``v``.
    projections : list of spikemem.pynn.Projection
        A projection's ``_carry_w`` (nA, IR magnitudes) replaces its initial weights if set.
    dt : float
        Time step, ms.
    t_offset : float
        Simulated time (ms) at which this network starts; Poisson windows are shifted by it.
    seed : int
        Global seed (Poisson sources derive theirs from it and their creation index).
    conventions : {"spinnaker", "pynn"}

    Returns
    -------
    network : Network
    pop_maps : dict of id(Population) to PopulationMap
    proj_maps : dict of id(Projection) to ProjectionMap
    """
    net = Network(dt=dt, label="pynn")
    labels = _Labels()
    pop_maps, groups = {}, []
    for k, pop in enumerate(populations):
        kind = type(pop.celltype).__name__
        if kind == "IF_curr_exp":
            made = _neuron_groups(pop, labels)
        elif kind == "SpikeSourceArray":
            made = [(IRArray(size=pop.size, label=labels(pop.label)), np.arange(pop.size))]
        elif kind == "SpikeSourcePoisson":
            made = _poisson_groups(pop, k, dt, t_offset, seed, labels)
        else:
            raise UnsupportedFeature(f"spikemem.pynn: population {pop.label!r} has cell type "
                                     f"{kind}, which spikemem cannot run")
        group = np.empty(pop.size, np.int64)
        local = np.empty(pop.size, np.int64)
        gid = np.empty(pop.size, np.int64)
        names, members = [], []
        for g, (obj, mem) in enumerate(made):
            obj = net.add(obj)
            group[mem] = g
            local[mem] = np.arange(mem.size)
            gid[mem] = len(groups)
            groups.append(obj)
            names.append(obj.label)
            members.append(mem)
        pop_maps[id(pop)] = PopulationMap(names, group, local, members, gid)
    proj_maps = {}
    for proj in projections:
        proj_maps[id(proj)] = _add_projection(net, proj, pop_maps, groups, labels, conventions)
    return net, pop_maps, proj_maps


def _parameter_sets(pop, names):
    """Distinct parameter rows of a population: (rows (k, len(names)), inverse (size,))."""
    rows = np.column_stack([np.broadcast_to(np.asarray(pop._parameters[n], float), (pop.size,))
                            for n in names])
    uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
    return uniq, inverse.reshape(-1)


def cell_types(pop):
    """The IR cell types of a PyNN IF_curr_exp population and which neuron has which.

    Returns
    -------
    cells : list of IF_curr_exp (IR)
    inverse : ndarray of int, shape (size,)

    Raises
    ------
    ValidationError
        A parameter set outside the IR's ranges; the message names the population.
    """
    uniq, inverse = _parameter_sets(pop, CELL_FIELDS)
    try:
        cells = [IRCell(**dict(zip(CELL_FIELDS, row.tolist()))) for row in uniq]
    except ValidationError as exc:
        raise ValidationError(f"population {pop.label!r}: {exc}") from None
    return cells, inverse


def check_poisson(pop, dt: float):
    """Raise `ValidationError` naming `pop` if a Poisson parameter is out of range."""
    uniq, _ = _parameter_sets(pop, ("rate", "start", "duration"))
    for rate, start, duration in uniq:
        if not (np.isfinite(rate) and 0 <= rate <= 1000.0 / dt):
            raise ValidationError(f"population {pop.label!r}: SpikeSourcePoisson rate must lie "
                                  f"in [0, {1000.0 / dt}] Hz (one spike per step of {dt} ms), "
                                  f"got {rate!r}")
        if not (start >= 0 and duration > 0):
            raise ValidationError(f"population {pop.label!r}: SpikeSourcePoisson start must be "
                                  f">= 0 ms and duration > 0 ms, got {start!r}, {duration!r}")


def _neuron_groups(pop, labels):
    cells, inverse = cell_types(pop)
    v0 = pop._carry_v if pop._carry_v is not None else pop._initial_array("v")
    record = ("spikes", "v") if pop._records("v") else ("spikes",)
    made = []
    for g, cell in enumerate(cells):
        mem = np.nonzero(inverse == g)[0]
        name = pop.label if len(cells) == 1 else f"{pop.label}#{g}"
        made.append((IRPopulation(mem.size, cell, label=labels(name), initial_v=v0[mem],
                                  record=record), mem))
    return made


def _poisson_groups(pop, index, dt, t_offset, seed, labels):
    check_poisson(pop, dt)
    uniq, inverse = _parameter_sets(pop, ("rate", "start", "duration"))
    made = []
    for g, (rate, start, duration) in enumerate(uniq):
        mem = np.nonzero(inverse == g)[0]
        end = start + duration
        start = max(0.0, start - t_offset)
        duration = end - t_offset - start
        if duration <= 0:
            rate, duration = 0.0, float("inf")
        elif duration > MAX_DURATION_MS:
            # PyNN's default duration (1e10 ms) means "until the end"; no run reaches the
            # IR's bound on durations, so it is the same source
            duration = float("inf")
        sub_seed = int(np.random.SeedSequence([seed, index, g, int(round(t_offset / dt))])
                       .generate_state(1)[0])
        name = pop.label if len(uniq) == 1 else f"{pop.label}#{g}"
        made.append((IRPoisson(mem.size, rate, sub_seed, start=start, duration=duration,
                               label=labels(name)), mem))
    return made


def _roots_to_groups(group, pop_maps, which_end: str, proj):
    roots, which, index = flatten(group)
    gid = np.empty(index.size, np.int64)
    local = np.empty(index.size, np.int64)
    for k, root in enumerate(roots):
        m = pop_maps.get(id(root))
        if m is None:
            raise ValidationError(f"Projection {proj.label!r}: its {which_end} population "
                                  f"{root.label!r} belongs to another simulation (setup() was "
                                  "called again after it was created)")
        sel = which == k
        gid[sel] = m.gid[index[sel]]
        local[sel] = m.local[index[sel]]
    return gid, local


def _add_projection(net, proj, pop_maps, groups, labels, conventions) -> ProjectionMap:
    c = proj._connections()
    pre_gid, pre_local = _roots_to_groups(proj.pre, pop_maps, "presynaptic", proj)
    post_gid, post_local = _roots_to_groups(proj.post, pop_maps, "postsynaptic", proj)
    gi, li = pre_gid[c["pre"]], pre_local[c["pre"]]
    gj, lj = post_gid[c["post"]], post_local[c["post"]]
    weight = proj._carry_w if proj._carry_w is not None else proj._ir_weights(c["weight"])
    delay = round_to_steps(c["delay"], net.dt)
    off_grid = np.abs(delay - c["delay"]) > 1e-9 * net.dt
    if np.any(off_grid):
        k = int(np.argmax(off_grid))
        warnings.warn(f"spikemem.pynn: projection {proj.label!r}: delays are rounded to whole "
                      f"time steps of {net.dt} ms (e.g. {c['delay'][k]} ms -> {delay[k]} ms)",
                      stacklevel=3)
    synapse = _ir_synapse(proj, c, conventions)
    receptor = proj.receptor_type
    if receptor not in ("excitatory", "inhibitory"):
        raise UnsupportedFeature(f"spikemem.pynn: projection {proj.label!r} targets receptor "
                                 f"{receptor!r}; IF_curr_exp has 'excitatory' and 'inhibitory'")
    key = gi * len(groups) + gj
    parts = []
    for k in np.unique(key):
        pos = np.nonzero(key == k)[0]
        pre_g, post_g = groups[int(k) // len(groups)], groups[int(k) % len(groups)]
        if not isinstance(post_g, IRPopulation):
            raise ValidationError(f"Projection {proj.label!r}: the postsynaptic neurons are a "
                                  "spike source, which cannot receive synapses")
        name = labels(proj.label if len(parts) == 0 else f"{proj.label}#{len(parts)}")
        ir = net.add(IRProjection(
            pre_g, post_g, ir_connectors.FromList(li[pos], lj[pos], weight=weight[pos],
                                                  delay=delay[pos]),
            synapse, receptor=receptor, label=name, record_weights=False))
        parts.append((ir.label, pos))
    return ProjectionMap(parts)


def _ir_synapse(proj, c, conventions):
    syn = proj.synapse_type
    if type(syn).__name__ == "StaticSynapse":
        return StaticSynapse()
    values = {}
    for name in STDP_PARAMETERS:
        v = np.asarray(c.get(name, ()), float)
        if v.size and np.any(v != v[0]):
            raise UnsupportedFeature(
                f"spikemem.pynn: projection {proj.label!r} has a different {name} per "
                f"connection; STDP parameters must be the same for all connections of a "
                f"projection (split it into several projections)")
        values[name] = float(v[0]) if v.size else float(syn.parameter_space[name].base_value)
    dependence = ("multiplicative" if type(syn.weight_dependence).__name__ ==
                  "MultiplicativeWeightDependence" else "additive")
    if conventions == "pynn" and dependence == "additive":
        values["A_plus"] *= values["w_max"]
        values["A_minus"] *= values["w_max"]
    return STDP(weight_dependence=dependence, weight=values["w_min"], **values)
