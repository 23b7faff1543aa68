"""A JSON description of a network as it is exported to SpiNNaker (sPyNNaker / PyNN terms).

The file holds the same translation the PyNN script is written from (`plan_network`): every
population with its PyNN cell type, parameters (nF, ms, mV, nA), initial membrane potential
and what it records; every spike source; every projection with its PyNN connector, receptor,
synapse type (STDP parameters in sPyNNaker's convention: additive A± in nA) and, for a
``FromListConnector``, its explicit (pre, post, weight, delay) lists; and the checker's
report for the chosen board. Format::

    {"format": "spikemem-spinnaker", "format_version": 1, "spynnaker_version": "1!7.4.1",
     "network": ..., "dt": ms, "run_ms": ms, "populations": [...], "projections": [...],
     "notes": [...], "check": {...}}
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np

from spikemem.io import atomic_path

from .spinnaker_check import check_plan
from .spinnaker_limits import SPYNNAKER_VERSION
from .spinnaker_plan import CELL_PARAMETERS, NetworkPlan, plan_network

__all__ = ["to_spinnaker_json", "plan_to_dict", "JSON_FORMAT_VERSION"]

JSON_FORMAT_VERSION = 1

def _population(p) -> dict:
    d = {"label": p.label, "model": p.kind, "size": p.size}
    if p.kind == "IF_curr_exp":
        d["parameters"] = {n: getattr(p.cell, n) for n in CELL_PARAMETERS}
        d["initial_v"] = (p.initial_v.tolist() if isinstance(p.initial_v, np.ndarray)
                          else p.initial_v)
        d["record"] = list(p.record)
        d["neurons_per_core"] = p.neurons_per_core
    elif p.kind == "SpikeSourceArray":
        d["spike_times"] = p.spike_times.tolist()
        d["spike_ids"] = p.spike_ids.tolist()
    else:
        s = p.poisson
        d["parameters"] = {"rate": s.rate, "start": s.start,
                           "duration": s.duration if np.isfinite(s.duration) else None}
    return d


def _projection(pr) -> dict:
    d = {"label": pr.label, "pre": pr.pre.to_dict(), "post": pr.post.to_dict(),
         "connector": {"type": pr.connector + "Connector"}, "receptor_type": pr.receptor,
         "n_synapses": pr.size}
    if pr.connector == "AllToAll":
        d["connector"]["allow_self_connections"] = pr.allow_self_connections
    if pr.connector == "FromList":
        d["connector"]["pre"] = pr.pre_local.tolist()
        d["connector"]["post"] = pr.post_local.tolist()
    syn = {"weight": pr.weight.tolist() if pr.weight_column else pr.uniform_weight,
           "delay": pr.delay.tolist() if pr.delay_column else pr.uniform_delay}
    if pr.plastic:
        s = pr.synapse
        syn.update(type="STDPMechanism",
                   timing_dependence={"type": "SpikePairRule", "tau_plus": s.tau_plus,
                                      "tau_minus": s.tau_minus, "A_plus": s.A_plus,
                                      "A_minus": s.A_minus},
                   weight_dependence={"type": ("MultiplicativeWeightDependence"
                                               if s.multiplicative
                                               else "AdditiveWeightDependence"),
                                      "w_min": s.w_min, "w_max": s.w_max})
    else:
        syn["type"] = "StaticSynapse"
    d["synapse"] = syn
    return d


def plan_to_dict(plan: NetworkPlan) -> dict:
    """The JSON-ready description of a `NetworkPlan` (without the check report)."""
    return {"format": "spikemem-spinnaker", "format_version": JSON_FORMAT_VERSION,
            "spynnaker_version": SPYNNAKER_VERSION, "network": plan.label, "dt": plan.dt,
            "run_ms": plan.run_ms, "units": {"time": "ms", "voltage": "mV", "current": "nA",
                                             "capacitance": "nF"},
            "populations": [_population(p) for p in plan.populations],
            "projections": [_projection(pr) for pr in plan.projections],
            "notes": list(plan.notes)}


def to_spinnaker_json(network, path, weights: Optional[dict] = None, run_ms: float = 1000.0,
                      poisson: str = "native", neurons_per_core=None,
                      board: str = "spinn5") -> Path:
    """Write the SpiNNaker description of `network` to the JSON file `path`, atomically.

    Parameters
    ----------
    network : spikemem.Network
    path : str or Path
    weights, run_ms, poisson, neurons_per_core
        As for `to_pynn_script`.
    board : {"spinn5", "spinn3"}
        Board the embedded check report is computed for.

    Returns
    -------
    Path
    """
    plan = plan_network(network, weights=weights, run_ms=run_ms, poisson=poisson,
                        neurons_per_core=neurons_per_core, simulator="spiNNaker")
    doc = plan_to_dict(plan)
    doc["check"] = check_plan(plan, board).to_dict()
    path = Path(path)
    with atomic_path(path, ".json") as tmp:
        tmp.write_text(json.dumps(doc, indent=1, allow_nan=False))
    return path
