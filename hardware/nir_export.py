"""NIR export and import: `to_nir`, `from_nir`, `write_nir`, `read_nir`.

Mapping (NIR 1.0, ``nir.CubaLIF``: ``tau_syn dI/dt = -I + w_in S``,
``tau_mem dv/dt = (v_leak - v) + r I``, spike if ``v > v_threshold``, then ``v = v_reset``)
-------------------------------------------------------------------------------------------
* population -> ``CubaLIF`` node (label): ``tau_syn``, ``tau_mem`` in **seconds**,
  ``r = tau_m / cm`` (MΩ), ``v_leak = v_rest + r i_offset`` (mV), ``v_threshold``,
  ``v_reset`` (mV), ``w_in = tau_syn`` so that a spike of weight ``W`` (nA) raises ``I`` by
  ``W`` as in PyNN's ``IF_curr_exp``. Excitatory and inhibitory inputs share the node's one
  current with signed weights, so a population receiving both needs
  ``tau_syn_E == tau_syn_I`` (else `UnsupportedFeature`). Not expressible in ``CubaLIF`` and
  kept in the node's metadata only: the refractory period, the initial membrane potential,
  and the split of ``v_leak`` into ``v_rest`` and ``i_offset``.
* spike source -> ``Input`` node (label) whose metadata holds the spikes (array source) or
  the rate and seed (Poisson source).
* projection -> one ``Linear`` node per distinct delay (weights signed: inhibitory < 0, shape
  (post size, pre size) of the parent groups), preceded by a ``Delay`` node when the delay is
  more than one step. Every edge of a discrete-time simulator has a latency of one step
  ``dt``; the ``Delay`` node holds the rest, ``(delay - dt)`` in seconds. The ``Linear`` node's
  metadata holds the synapse list (pre/post indices, order, receptor, synapse type) so that
  zero weights and the projection are restored on import.
* each population that records spikes -> ``Output`` node ``<label>.output``.
* graph metadata: ``dt_ms``, units, conventions and the order of populations, sources and
  projections.

NIR's neuron models are continuous-time, while the IR's `IF_curr_exp` is sPyNNaker's
discrete update (`spikemem.neurons`): a NIR tool that integrates the graph in continuous time
(or with its own discretisation) runs a different model — the CA3 memory with
``tau_syn = 0.3 ms < dt = 1 ms`` in particular. The parameters are exact; the dynamics agree
only as ``dt -> 0``. NIR has no plasticity: plastic projections are exported as static, with
the weights given in ``weights`` (learned ones, e.g. from ``MemorySession.export``) or else
their initial weights (a `UserWarning` says which; `hardware.plastic_state`), and their STDP
parameters are kept in metadata.

`from_nir` takes NIR data as authoritative: parameters are computed from the node arrays; the
metadata only restores what NIR cannot hold and the exact decimal values (used when they agree
with the data to 1e-9). Graphs from other tools import too: uniform ``CubaLIF`` nodes become
populations, ``Linear``/``Affine`` (zero bias) nodes with optional ``Delay`` become projections
split by sign, ``Input`` nodes feeding a ``Linear`` become empty spike sources.
"""
from __future__ import annotations

import json
from typing import Optional

import numpy as np

from spikemem.connectors import FromList
from spikemem.errors import UnsupportedFeature, ValidationError
from spikemem.io import atomic_path
from spikemem.lowering import delay_steps, lower
from spikemem.network import Network, Population, Projection
from spikemem.neurons import IF_curr_exp
from spikemem.poisson_input import refuse_drives

from .plastic_state import warn_plastic_state
from spikemem.stimulus import SpikeSourceArray, SpikeSourcePoisson
from spikemem.synapses import StaticSynapse, synapse_from_dict
from spikemem.views import PopulationView

from .receptors import single_tau_syn

__all__ = ["to_nir", "from_nir", "write_nir", "read_nir", "FORMAT", "TARGET"]

TARGET = "NIR"
FORMAT = "spikemem-nir/1"
_S_PER_MS = 1e-3


def _nir():
    try:
        import nir
    except ImportError as exc:   # pragma: no cover - nir is a test dependency
        raise UnsupportedFeature(
            f"{TARGET}: the 'nir' package is not installed ({exc}); install the hardware "
            "extra: pip install 'spikemem[hardware]'") from None
    return nir


def _check_label(label: str) -> None:
    if "/" in label or label.endswith((".output", ".delay")) or "@" in label:
        raise ValidationError(
            f"to_nir: label {label!r} cannot name a NIR node (no '/', '@', and no '.output' or "
            "'.delay' ending)")


def _view(group) -> list:
    return [group.start, group.stop] if isinstance(group, PopulationView) else []


def _population_node(nir, pop: Population, tau_syn: float):
    c = pop.celltype
    n = pop.size

    def full(x):
        return np.full(n, float(x))

    meta = {"spikemem": "population", "cm": c.cm, "tau_m_ms": c.tau_m, "tau_refrac": c.tau_refrac,
            "tau_syn_E": c.tau_syn_E, "tau_syn_I": c.tau_syn_I, "v_rest": c.v_rest,
            "i_offset": c.i_offset, "initial_v": pop.initial_v_array(),
            "initial_v_default": pop.initial_v is None, "record": ",".join(pop.record)}
    return nir.CubaLIF(tau_syn=full(tau_syn * _S_PER_MS), tau_mem=full(c.tau_m * _S_PER_MS),
                       r=full(c.R), v_leak=full(c.v_rest + c.R * c.i_offset),
                       v_threshold=full(c.v_thresh), v_reset=full(c.v_reset),
                       w_in=full(tau_syn * _S_PER_MS), metadata=meta)


def _source_node(nir, src):
    if isinstance(src, SpikeSourceArray):
        meta = {"spikemem": "SpikeSourceArray", "times": src.times, "ids": src.ids}
    else:
        meta = {"spikemem": "SpikeSourcePoisson", "rate": src.rate, "seed": src.seed,
                "start": src.start, "duration": src.duration}
    return nir.Input(input_type={"input": np.array([src.size])}, metadata=meta)


def to_nir(network: Network, weights: Optional[dict] = None):
    """Export `network` as a ``nir.NIRGraph`` (see the module docstring for the mapping).

    Parameters
    ----------
    network : Network
    weights : dict of str to ndarray, optional
        Current weights (nA, shape (n_synapses,)) by projection label, e.g. learned weights;
        projections not listed keep their IR weights.

    Returns
    -------
    nir.NIRGraph
        Type-checked by ``nir``; ``graph.metadata["warnings"]`` lists what was not exported.

    Raises
    ------
    UnsupportedFeature
        A population receives excitatory and inhibitory input with different ``tau_syn``,
        or a projection has two synapses between the same pair with the same delay (a NIR
        weight matrix would add them).
    ValidationError
        Bad `weights`, or a label that cannot name a NIR node.
    """
    nir = _nir()
    refuse_drives(network, "to_nir", "NIR has no node for a Poisson input of many spikes per "
                  "step; replace the drive by its mean current (i_offset += n_inputs * rate * "
                  "weight * tau_syn_E / 1000 nA) or by SpikeSourcePoisson sources projecting "
                  "onto the target (exported as Input nodes)")
    low = lower(network, weights, owner="to_nir")
    dt = network.dt
    taus = single_tau_syn(network, TARGET)
    nodes, edges, warn = {}, [], []
    warn += warn_plastic_state(network, weights, "nir")
    for pop in network.populations:
        _check_label(pop.label)
        nodes[pop.label] = _population_node(nir, pop, taus[pop.label])
        if "spikes" in pop.record:
            nodes[f"{pop.label}.output"] = nir.Output(output_type={"output": np.array([pop.size])})
            edges.append((pop.label, f"{pop.label}.output"))
        if pop.celltype.tau_refrac > 0:
            warn.append(f"population {pop.label!r}: refractory period {pop.celltype.tau_refrac} "
                        "ms is not part of NIR's CubaLIF (kept in metadata)")
    for src in network.sources:
        _check_label(src.label)
        nodes[src.label] = _source_node(nir, src)
    for lp in low.projections:
        proj, w, steps = lp.projection, lp.weight, lp.delay
        _check_label(proj.label)
        pre, post = proj.pre_population, proj.post_population
        sign = 1.0 if proj.receptor == "excitatory" else -1.0
        groups = np.unique(steps)
        for d in groups:
            sel = np.flatnonzero(steps == d)
            pair = proj.pre_idx[sel] * post.size + proj.post_idx[sel]
            if np.unique(pair).size != pair.size:
                raise UnsupportedFeature(
                    f"{TARGET}: projection {proj.label!r} has more than one synapse between the "
                    f"same pre/post pair with delay {d * dt} ms; a NIR weight matrix would add "
                    "them into one")
            name = proj.label if groups.size == 1 else f"{proj.label}@{d}"
            W = np.zeros((post.size, pre.size))
            W[proj.post_idx[sel], proj.pre_idx[sel]] = sign * w[sel]
            meta = {"spikemem": "projection", "projection": proj.label,
                    "receptor": proj.receptor, "synapse": json.dumps(proj.synapse.to_dict()),
                    "record_weights": bool(proj.record_weights),
                    "pre_view": np.array(_view(proj.pre), np.int64),
                    "post_view": np.array(_view(proj.post), np.int64),
                    "pre_idx": proj.pre_idx[sel], "post_idx": proj.post_idx[sel],
                    "order": sel.astype(np.int64), "delay_steps": int(d)}
            nodes[name] = nir.Linear(weight=W, metadata=meta)
            if d > 1:
                nodes[f"{name}.delay"] = nir.Delay(delay=np.full(pre.size,
                                                                 (d - 1) * dt * _S_PER_MS))
                edges += [(pre.label, f"{name}.delay"), (f"{name}.delay", name)]
            else:
                edges.append((pre.label, name))
            edges.append((name, post.label))
    meta = {"format": FORMAT, "network": network.label, "dt_ms": dt, "time_unit": "s",
            "voltage_unit": "mV", "current_unit": "nA", "resistance_unit": "MOhm",
            "w_in": "w_in = tau_syn: a spike of weight W raises the synaptic current I by W",
            "delay": "edges have a latency of one time step dt; Delay nodes hold delay - dt",
            "order": json.dumps({"populations": [p.label for p in network.populations],
                                 "sources": [s.label for s in network.sources],
                                 "projections": [p.label for p in network.projections]}),
            "warnings": "\n".join(warn)}
    if not network.sources and network.populations:
        # nir's type inference starts from Input nodes; give it a port with no spikes
        first = network.populations[0]
        nodes[f"{first.label}.input"] = nir.Input(input_type={"input": np.array([first.size])})
        edges.append((f"{first.label}.input", first.label))
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)


def write_nir(graph, path) -> None:
    """Write a NIR graph to `path` (HDF5, ``nir.write``), atomically."""
    nir = _nir()
    with atomic_path(path, ".nir") as tmp:
        nir.write(tmp, graph)


def read_nir(path):
    """Read a NIR graph written by `write_nir` (or any NIR file) with ``nir.read``."""
    return _nir().read(path)


# -- import -------------------------------------------------------------------------------
def _scalar(node_name: str, field: str, arr) -> float:
    a = np.asarray(arr, float).ravel()
    if a.size == 0 or not np.all(a == a[0]):
        raise UnsupportedFeature(
            f"{TARGET} import: node {node_name!r} has per-neuron values of {field}; a spikemem "
            "population has one parameter set")
    return float(a[0])


def _refine(data: float, meta) -> float:
    """Use the metadata's exact value where it agrees with the NIR data (unit round-off)."""
    if meta is None:
        return data
    meta = float(np.asarray(meta))
    return meta if np.isclose(meta, data, rtol=1e-9, atol=1e-12) else data


def _meta(node) -> dict:
    return dict(getattr(node, "metadata", None) or {})


def _str(x) -> str:
    return x.decode() if isinstance(x, bytes) else str(x)


def _import_population(name: str, node) -> tuple:
    m = _meta(node) if _str(_meta(node).get("spikemem", "")) == "population" else {}
    tau_syn = _scalar(name, "tau_syn", node.tau_syn) / _S_PER_MS
    tau_m = _refine(_scalar(name, "tau_mem", node.tau_mem) / _S_PER_MS, m.get("tau_m_ms"))
    r = _scalar(name, "r", node.r)
    cm = _refine(tau_m / r, m.get("cm"))
    v_leak = _scalar(name, "v_leak", node.v_leak)
    w_scale = _scalar(name, "w_in", node.w_in) / (tau_syn * _S_PER_MS)
    tE = tI = tau_syn
    if m and any(np.isclose(tau_syn, float(m[k]), rtol=1e-9) for k in ("tau_syn_E", "tau_syn_I")):
        # the node holds the constant of the receptor in use; the other one comes back from
        # the metadata (exactly equal, or unused by the population's inputs)
        tE, tI = float(m["tau_syn_E"]), float(m["tau_syn_I"])
    v_rest, i_offset = v_leak, 0.0
    if "v_rest" in m and np.isclose(float(m["v_rest"]) + (tau_m / cm) * float(m["i_offset"]),
                                    v_leak, rtol=1e-9, atol=1e-9):
        v_rest, i_offset = float(m["v_rest"]), float(m["i_offset"])
    cell = IF_curr_exp(cm=cm, tau_m=tau_m, tau_refrac=float(m.get("tau_refrac", 0.0)),
                       tau_syn_E=tE, tau_syn_I=tI, v_rest=v_rest,
                       v_reset=_scalar(name, "v_reset", node.v_reset),
                       v_thresh=_scalar(name, "v_threshold", node.v_threshold),
                       i_offset=i_offset)
    size = int(np.asarray(node.v_threshold).size)
    initial_v = None
    if "initial_v" in m and not bool(m.get("initial_v_default", False)):
        initial_v = np.asarray(m["initial_v"], float)
        initial_v = float(initial_v[0]) if np.all(initial_v == initial_v[0]) else initial_v
    record = tuple(r for r in _str(m.get("record", "spikes")).split(",") if r)
    return Population(size, cell, label=name, initial_v=initial_v, record=record), w_scale


def _import_source(name: str, node):
    m = _meta(node)
    size = int(np.asarray(node.input_type["input"]).prod())
    kind = _str(m.get("spikemem", ""))
    if kind == "SpikeSourcePoisson":
        return SpikeSourcePoisson(size=size, rate=float(m["rate"]), seed=int(m["seed"]),
                                  start=float(m["start"]), duration=float(m["duration"]),
                                  label=name)
    times = np.asarray(m.get("times", np.zeros(0)), float)
    ids = np.asarray(m.get("ids", np.zeros(0, np.int64)), np.int64)
    return SpikeSourceArray(size=size, times=times, ids=ids, label=name)


def from_nir(graph, dt: float, label: Optional[str] = None) -> Network:
    """Import a NIR graph into the IR.

    Parameters
    ----------
    graph : nir.NIRGraph
    dt : float
        Time step of the network, ms; ``Delay`` nodes must be whole multiples of it.
    label : str, optional
        Network label (default: the graph's, else "nir").

    Returns
    -------
    Network

    Raises
    ------
    UnsupportedFeature
        Node types or structures the IR cannot express (named): neurons other than CubaLIF,
        per-neuron parameters within a node, Affine biases, chains of weight nodes.
    ValidationError
        A delay that is not a whole number of steps of `dt`.
    """
    nir = _nir()
    gmeta = _meta(graph)
    order = json.loads(_str(gmeta["order"])) if "order" in gmeta else {}
    net = Network(dt=dt, label=label or _str(gmeta.get("network", "nir")))
    nodes = graph.nodes
    succ, pred = {k: [] for k in nodes}, {k: [] for k in nodes}
    for a, b in graph.edges:
        succ[a].append(b)
        pred[b].append(a)
    neuron_types = (nir.CubaLIF,)
    weight_types = (nir.Linear, nir.Affine)
    skip = (nir.Output, nir.Delay) + weight_types
    pops, w_scale = {}, {}
    for name, node in nodes.items():
        if isinstance(node, neuron_types):
            pops[name], w_scale[name] = _import_population(name, node)
        elif isinstance(node, nir.Input):
            continue
        elif not isinstance(node, skip):
            raise UnsupportedFeature(
                f"{TARGET} import: node {name!r} of type {type(node).__name__} has no spikemem "
                f"counterpart (supported: CubaLIF, Linear, Affine without bias, Delay, Input, "
                f"Output)")
    pop_order = order.get("populations") or sorted(pops)
    for name in pop_order:
        net.add(pops[name])
    srcs = {name: _import_source(name, node) for name, node in nodes.items()
            if isinstance(node, nir.Input)
            and (_meta(node).get("spikemem") is not None
                 or any(isinstance(nodes[s], weight_types + (nir.Delay,)) for s in succ[name]))}
    for name in order.get("sources") or sorted(srcs):
        net.add(srcs[name])

    # synapse groups: (pre group) -> [Delay] -> weight node -> post population
    groups = {}
    for name, node in nodes.items():
        if not isinstance(node, weight_types):
            continue
        if isinstance(node, nir.Affine) and np.any(np.asarray(node.bias) != 0):
            raise UnsupportedFeature(f"{TARGET} import: Affine node {name!r} has a nonzero bias "
                                     "(a constant input current per synapse group)")
        (src,) = pred[name] if len(pred[name]) == 1 else (None,)
        posts = succ[name]
        if src is None or len(posts) != 1 or posts[0] not in pops:
            raise UnsupportedFeature(
                f"{TARGET} import: weight node {name!r} must have one input (a population, "
                "source or Delay) and one output population")
        delay_ms = np.zeros(np.asarray(node.weight).shape[1])
        if isinstance(nodes[src], nir.Delay):
            delay_ms = np.asarray(nodes[src].delay, float) / _S_PER_MS
            (src,) = pred[src]
        if src not in pops and src not in srcs:
            raise UnsupportedFeature(f"{TARGET} import: weight node {name!r} is fed by {src!r}, "
                                     "which is neither a population nor a spike source")
        groups[name] = (src, posts[0], np.asarray(node.weight, float), delay_ms, _meta(node))

    projs = {}
    for name, (src, post, W, delay_ms, m) in groups.items():
        steps = delay_steps(delay_ms, dt, f"{TARGET} import: Delay before {name!r}",
                            minimum=0).astype(np.int64) + 1
        W = W * w_scale[post]
        if _str(m.get("spikemem", "")) == "projection":
            pre_idx = np.asarray(m["pre_idx"], np.int64)
            post_idx = np.asarray(m["post_idx"], np.int64)
            w = W[post_idx, pre_idx]
            receptor = _str(m["receptor"])
            sign = 1.0 if receptor == "excitatory" else -1.0
            if np.any(w * sign < 0):
                raise ValidationError(f"{TARGET} import: node {name!r} has weights of the wrong "
                                      f"sign for its {receptor} receptor")
            key = _str(m["projection"])
            projs.setdefault(key, {"src": src, "post": post, "receptor": receptor, "parts": [],
                                   "record_weights": bool(m.get("record_weights", True)),
                                   "synapse": synapse_from_dict(json.loads(_str(m["synapse"]))),
                                   "pre_view": np.asarray(m["pre_view"], np.int64),
                                   "post_view": np.asarray(m["post_view"], np.int64)})
            projs[key]["parts"].append((np.asarray(m["order"], np.int64), pre_idx, post_idx,
                                        np.abs(w), steps[pre_idx]))
            continue
        post_idx, pre_idx = np.nonzero(W)
        for receptor, sel in (("excitatory", W[post_idx, pre_idx] > 0),
                              ("inhibitory", W[post_idx, pre_idx] < 0)):
            if np.any(sel):
                key = name if receptor == "excitatory" or not np.any(~sel) else f"{name}.inh"
                n = int(sel.sum())
                projs[key] = {"src": src, "post": post, "receptor": receptor,
                              "record_weights": True,
                              "synapse": StaticSynapse(), "pre_view": np.zeros(0, np.int64),
                              "post_view": np.zeros(0, np.int64),
                              "parts": [(np.arange(n), pre_idx[sel], post_idx[sel],
                                         np.abs(W[post_idx[sel], pre_idx[sel]]),
                                         steps[pre_idx[sel]])]}
    for key in order.get("projections") or sorted(projs):
        p = projs[key]
        parts = p["parts"]
        pos = np.concatenate([x[0] for x in parts])
        inv = np.argsort(pos, kind="stable")
        pre_idx, post_idx, w, steps = (np.concatenate([x[k] for x in parts])[inv]
                                       for k in range(1, 5))
        pre, post = net[p["src"]], net[p["post"]]
        pre_g = pre[p["pre_view"][0]:p["pre_view"][1]] if p["pre_view"].size else pre
        post_g = post[p["post_view"][0]:p["post_view"][1]] if p["post_view"].size else post
        pre_off = p["pre_view"][0] if p["pre_view"].size else 0
        post_off = p["post_view"][0] if p["post_view"].size else 0
        delay = steps * dt
        conn = FromList(pre_idx - pre_off, post_idx - post_off, w, delay)
        net.add(Projection(pre_g, post_g, conn, p["synapse"], receptor=p["receptor"], label=key,
                           record_weights=p["record_weights"], pre_idx=pre_idx,
                           post_idx=post_idx, weight=w, delay=delay))
    return net
