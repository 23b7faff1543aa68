"""Resource and energy estimates of a network on neuromorphic hardware.

`estimate(network, platform, recording=None)` dispatches to one estimator per platform
(`ESTIMATORS`). Activity comes from a `Recording` of a run: a synaptic event is one spike
delivered through one synapse, so the events of a projection are the sum over its
presynaptic neurons of (spikes of the neuron) x (synapses of the neuron in the projection).

Loihi 1
-------
Placement follows nengo-loihi's block model: each population occupies its own cores, a core
holds at most 1024 compartments, 4096 input axons and 1 Mbit (128 KB) of synapse memory
(``nengo_loihi.block``: ``MAX_COMPARTMENTS``, ``MAX_IN_AXONS``, ``MAX_SYNAPSE_BITS``); a chip
has 128 neuro-cores. A synapse takes 8 weight bits, the delay bits and the target-index bits;
the synapses of one presynaptic neuron on a core form a row with a 10-bit header, rounded up
to 64-bit words (``SynapseConfig.bits_per_axon``). Spike sources are host spike generators and
use no neuro-core. Energy: 23.6 pJ per synaptic spike operation and 52 pJ per compartment
update (Davies et al., "Loihi: a neuromorphic manycore processor with on-chip learning",
IEEE Micro 38(1):82-99, 2018, Table 1); every compartment is counted as updated every step.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from spikemem.errors import ValidationError
from spikemem.lowering import lower
from spikemem.network import Network
from spikemem.poisson_input import refuse_drives

from .loihi import LOIHI_DRIVE_ALTERNATIVE

__all__ = ["LOIHI", "synaptic_events", "loihi_resources", "loihi_estimate",
           "spinnaker_estimate", "estimate", "ESTIMATORS"]

#: Loihi 1 constants (see the module docstring for their sources).
LOIHI = {
    "compartments_per_core": 1024,
    "in_axons_per_core": 4096,
    "synapse_bits_per_core": 16384 * 64,
    "cores_per_chip": 128,
    "weight_bits": 8,
    "row_header_bits": 10,
    "word_bits": 64,
    "pJ_per_synaptic_op": 23.6,
    "pJ_per_neuron_update": 52.0,
}


def synaptic_events(network: Network, recording) -> dict:
    """Synaptic events per projection during a recorded run.

    Parameters
    ----------
    network : Network
    recording : Recording
        Must hold the spikes of every presynaptic group (populations recording "spikes" and
        all sources).

    Returns
    -------
    dict of str to int
        Projection label -> number of (spike, synapse) deliveries.
    """
    out = {}
    for proj in network.projections:
        pre = proj.pre_population
        if pre.label not in recording.sizes:
            raise ValidationError(f"synaptic_events: the recording has no spikes of "
                                  f"{pre.label!r} (presynaptic group of {proj.label!r})")
        degree = np.bincount(proj.pre_idx, minlength=pre.size)
        out[proj.label] = int(np.dot(recording.spike_counts(pre.label), degree))
    return out


def loihi_resources(network: Network) -> dict:
    """Cores and chips a network needs on Loihi 1, per population and in total.

    Returns
    -------
    dict
        ``populations``: per label ``compartments``, ``synapses``, ``synapse_bits``,
        ``in_axons``, ``cores``; ``cores``, ``chips``, ``compartments``, ``synapses``.
    """
    L = LOIHI
    refuse_drives(network, "loihi_resources", LOIHI_DRIVE_ALTERNATIVE)
    low = lower(network, owner="loihi_resources")
    per_pop = {}
    for pop in network.populations:
        n_cores_c = math.ceil(pop.size / L["compartments_per_core"])
        per_core = math.ceil(pop.size / n_cores_c)
        idx_bits = max(6, math.ceil(math.log2(per_core))) if per_core > 1 else 6
        bits = in_axons = n_syn = 0
        for lp in low.projections:
            proj = lp.projection
            if proj.post_population is not pop:
                continue
            delay_bits = math.ceil(math.log2(lp.max_delay)) if lp.max_delay > 1 else 0
            syn_bits = L["weight_bits"] + delay_bits + idx_bits
            rows = np.bincount(proj.pre_idx, minlength=proj.pre_population.size)
            rows = rows[rows > 0]
            words = np.ceil((rows * syn_bits + L["row_header_bits"]) / L["word_bits"])
            bits += int(words.sum()) * L["word_bits"]
            in_axons += int(rows.size)
            n_syn += proj.size
        cores = max(n_cores_c, math.ceil(bits / L["synapse_bits_per_core"]),
                    math.ceil(in_axons / L["in_axons_per_core"]), 1)
        per_pop[pop.label] = {"compartments": pop.size, "synapses": n_syn,
                              "synapse_bits": bits, "in_axons": in_axons, "cores": cores}
    cores = sum(p["cores"] for p in per_pop.values())
    return {"platform": "Loihi 1", "populations": per_pop, "cores": cores,
            "chips": math.ceil(cores / L["cores_per_chip"]) if cores else 0,
            "compartments": network.n_neurons, "synapses": network.n_synapses}


def loihi_estimate(network: Network, recording=None) -> dict:
    """Loihi 1 resources and, given a recording, the energy of that run.

    Returns
    -------
    dict
        `loihi_resources` plus, with a recording: ``steps``, ``synaptic_events`` (total and
        ``synaptic_events_by_projection``), ``neuron_updates``, ``energy_J`` (J),
        ``energy_synaptic_J``, ``energy_neuron_J``.
    """
    out = loihi_resources(network)
    out["pJ_per_synaptic_op"] = LOIHI["pJ_per_synaptic_op"]
    out["pJ_per_neuron_update"] = LOIHI["pJ_per_neuron_update"]
    if recording is None:
        return out
    steps = int(round(recording.t_stop / network.dt))
    events = synaptic_events(network, recording)
    n_events = sum(events.values())
    updates = network.n_neurons * steps
    e_syn = n_events * LOIHI["pJ_per_synaptic_op"] * 1e-12
    e_neu = updates * LOIHI["pJ_per_neuron_update"] * 1e-12
    out.update({"steps": steps, "synaptic_events": n_events,
                "synaptic_events_by_projection": events, "neuron_updates": updates,
                "energy_synaptic_J": e_syn, "energy_neuron_J": e_neu,
                "energy_J": e_syn + e_neu})
    return out


#: platform name -> estimator(network, recording=None) -> dict
def spinnaker_estimate(network: Network, recording=None) -> dict:
    """SpiNNaker resources and energy (see `spikemem.hardware.estimate_spinnaker_resources`).

    Without a recording the energy is that of one second on the board with no spikes.
    """
    from .spinnaker_energy import estimate_spinnaker_resources
    duration = None if recording is not None else 1000.0
    return estimate_spinnaker_resources(network, recording, duration_ms=duration).to_dict()


ESTIMATORS = {"loihi": loihi_estimate, "spinnaker": spinnaker_estimate}


def estimate(network: Network, platform: str = "loihi", recording: Optional[object] = None) -> dict:
    """Resource (and, with a recording, energy) estimate of `network` on `platform`.

    Raises
    ------
    ValidationError
        Unknown platform.
    """
    if platform not in ESTIMATORS:
        raise ValidationError(f"estimate: platform must be one of {sorted(ESTIMATORS)}, "
                              f"got {platform!r}")
    return ESTIMATORS[platform](network, recording)
