"""What an export does with the state of plastic projections, worded once for every target.

A network description (`spikemem.Network`) holds the *initial* weights of its plastic
projections; what a simulation learned lives in the simulator. An exporter receives learned
weights only through its ``weights`` argument (``MemorySession.export`` and ``spikemem export
SESSION.h5`` pass them; ``spikemem export NETWORK.h5 --weights RECORDING.h5`` too). Every
exporter warns, per plastic projection, which weights it wrote and which plastic state it
drops, so that an export of an untrained description is never mistaken for a trained one.
"""
from __future__ import annotations

import warnings
from typing import Optional

from spikemem.errors import ValidationError
from spikemem.synapses import ConsolidatingSTDP

__all__ = ["plastic_state_notes", "warn_plastic_state", "INITIAL_WEIGHTS_HINT"]

#: How to export learned weights instead of the initial ones.
INITIAL_WEIGHTS_HINT = ("pass weights= (e.g. MemorySession.export(target)), or export a saved "
                        "session file, or `spikemem export NETWORK.h5 --weights RECORDING.h5`")

_KEEPS = {
    "nir": "as static weights (NIR has no plasticity; the STDP parameters are kept in metadata)",
    "loihi": "as static synapses",
    "spinnaker": "with its STDP rule, which goes on learning on the chip from empty STDP traces",
}


def plastic_state_notes(network, weights: Optional[dict], target: str) -> list:
    """One sentence per plastic projection of `network`: the weights `target` receives and
    the plastic state it does not.

    Parameters
    ----------
    network : spikemem.Network
    weights : dict of str to array, or None
        The weights given to the exporter, by projection label.
    target : {"nir", "loihi", "spinnaker"}
    """
    if target not in _KEEPS:
        raise ValidationError(f"plastic_state_notes: target must be one of {sorted(_KEEPS)}, "
                              f"got {target!r}")
    notes = []
    given = weights or {}
    for proj in network.projections:
        if not proj.plastic:
            continue
        kind = type(proj.synapse).__name__
        if proj.label in given:
            source = "the weights given to the export (e.g. learned ones)"
        else:
            source = ("its INITIAL weights from the network description: nothing learned is "
                      f"in this export ({INITIAL_WEIGHTS_HINT})")
        dropped = ("; the split into fast and slow weights, their decay and the consolidation "
                   "tags are not exported (the delivered weight fast + slow is)"
                   if isinstance(proj.synapse, ConsolidatingSTDP) else "")
        notes.append(f"projection {proj.label!r} is plastic ({kind}): exported with {source}, "
                     f"{_KEEPS[target]}{dropped}")
    return notes


def warn_plastic_state(network, weights: Optional[dict], target: str,
                       stacklevel: int = 3) -> list:
    """Issue `plastic_state_notes` as `UserWarning`s (prefixed with the target); return them."""
    notes = plastic_state_notes(network, weights, target)
    for note in notes:
        warnings.warn(f"{target} export: {note}", UserWarning, stacklevel=stacklevel)
    return notes
