"""Poisson drives (`spikemem.PoissonInput`) on Brian2: the lowering's counts, added at the
start of each step to the arrivals of that step (``inE_1`` / ``inI_1``), drive by drive.

The counts come from `spikemem.lowering.LoweredNetwork.drive_input` (the numpy twin of the
Numba engine's sampler), so they are the same numbers, added in the same order, as in the
Numba engine: after every spike arriving at the step, before the neuron update (which runs in
the ``groups`` slot).

* runtime device: a ``NetworkOperation`` in the ``start`` slot adds the drives' input of the
  current step to the neuron group's arrays (continued runs draw on from where they stopped);
* ``cpp_standalone``: the input of the whole run is computed beforehand into one 2-D
  ``TimedArray`` per drive (steps x neurons, 8 B each, checked first by
  `spikemem.resources.check_drive_tables`: keep such networks small) and added by a
  ``run_regularly`` operation in the ``start`` slot.
"""
from __future__ import annotations

import brian2 as b2
import numpy as np

from ...lowering import LoweredNetwork

__all__ = ["runtime_drive_operation", "standalone_drive_operation"]

_ROWS = ("inE_1", "inI_1")


def runtime_drive_operation(lowered: LoweredNetwork, G, clock):
    """A ``NetworkOperation`` adding every drive's input of the current step to `G`."""
    dt = lowered.dt

    def add_drives(t):
        step = int(round(float(t / b2.ms) / dt))
        for drive, values in lowered.drive_input(step):
            row = G.variables[_ROWS[drive.receptor_index]].get_value()
            row[drive.start:drive.stop] += values

    return b2.NetworkOperation(add_drives, clock=clock, when="start",
                               name="spikemem_poisson_drives")


def standalone_drive_operation(lowered: LoweredNetwork, G, n_steps: int, namespace: dict):
    """Give `G` a ``run_regularly`` operation adding every drive's input over steps
    ``0 .. n_steps-1`` (precomputed into ``TimedArray`` objects put in `namespace`, the
    group's namespace dict); returns the operation (a contained object of `G`)."""
    lines = []
    for d in lowered.drives:
        values = np.zeros((n_steps, lowered.n_neurons))
        values[:, d.start:d.stop] = d.inputs(np.arange(n_steps))
        name = f"spikemem_drive{d.index}"
        namespace[name] = b2.TimedArray(values, dt=lowered.dt * b2.ms)
        lines.append(f"{_ROWS[d.receptor_index]} += {name}(t, i)")
    return G.run_regularly("\n".join(lines), when="start", name=G.name + "_drives")
