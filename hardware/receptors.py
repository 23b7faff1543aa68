"""Targets with one synaptic current per neuron: which time constant each population uses."""
from __future__ import annotations

from spikemem.errors import UnsupportedFeature
from spikemem.network import Network

__all__ = ["single_tau_syn"]


def single_tau_syn(network: Network, target: str) -> dict:
    """The one synaptic time constant (ms) of each population, for a target with one current.

    A population that receives only one receptor type uses that receptor's time constant
    (``tau_syn_E`` if it receives none); one that receives both needs
    ``tau_syn_E == tau_syn_I``, because excitatory and inhibitory inputs then share a single
    current and differ only in the sign of their weights.

    Raises
    ------
    UnsupportedFeature
        A population receives both receptors with different time constants (names the
        population, the two values and `target`).
    """
    used = {p.label: set() for p in network.populations}
    for proj in network.projections:
        used[proj.post_population.label].add(proj.receptor)
    taus = {}
    for pop in network.populations:
        c = pop.celltype
        if used[pop.label] == {"excitatory", "inhibitory"} and c.tau_syn_E != c.tau_syn_I:
            raise UnsupportedFeature(
                f"{target}: population {pop.label!r} receives excitatory and inhibitory input "
                f"with tau_syn_E = {c.tau_syn_E} ms != tau_syn_I = {c.tau_syn_I} ms; {target} "
                "has a single synaptic current per neuron (export needs equal time constants)")
        taus[pop.label] = c.tau_syn_I if used[pop.label] == {"inhibitory"} else c.tau_syn_E
    return taus
