"""sPyMem 0.0.9 models driven through spikemem.pynn, for the PyNN front end's tests.

Each function builds one of sPyMem's models, unmodified, from a `sim` module, presents a
list of operations and returns the output layer's spikes per time step.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

#: IF_curr_exp of the CAM's output layer (published: slow cells, v_thresh -57.5 mV)
OUT_CELL = dict(cm=0.27, tau_m=3.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3,
                v_rest=-60.0, v_reset=-60.0, v_thresh=-57.5, i_offset=0.0)


def spike_times(events, n):
    """Per-neuron sorted spike-time lists from (time ms, neuron) events."""
    return [sorted({t for t, i in events if i == k}) for k in range(n)]


def by_step(population):
    """{time ms: sorted neuron indices} of a recorded population's spikes."""
    out = defaultdict(list)
    for st in population.get_data("spikes").segments[-1].spiketrains:
        for t in st.magnitude:
            out[float(t)].append(int(st.annotations["source_index"]))
    return {t: sorted(v) for t, v in sorted(out.items())}


def present(events, t, ids, hold):
    """Add `ids` firing for `hold` steps from time `t` (ms, dt = 1 ms)."""
    events.extend((float(t + h), int(i)) for h in range(hold) for i in ids)


def binary_cue(cue, n_bits):
    """Input neurons of a binary-coded cue (hippocampus models: bit b of `cue`)."""
    return [b for b in range(n_bits) if (cue >> b) & 1]


def run_model(sim, model, cue_size, cont_size, operations, duration, backend="numba"):
    """Build sPyMem `model` on `sim`, present `operations` and run for `duration` ms.

    operations : list of (start ms, cue or None, content bits, hold steps)
    Returns {time: output neurons} of the output layer.
    """
    sim.setup(timestep=1.0, backend=backend)
    if model in ("CA3_content_addressable", "ca3"):
        n_cue = cue_size
        cue_ids = lambda c: [c]                                         # noqa: E731
    else:
        n_cue = math.ceil(math.log2(cue_size + 1))
        cue_ids = lambda c: binary_cue(c, n_cue)                        # noqa: E731
    n_in = n_cue + cont_size
    events = []
    for start, cue, bits, hold in operations:
        ids = ([] if cue is None else cue_ids(cue)) + [n_cue + b for b in bits]
        present(events, start, ids, hold)
    inp = sim.Population(n_in, sim.SpikeSourceArray(spike_times=spike_times(events, n_in)),
                         label="IN")
    if model == "hippocampus_with_forgetting":
        from sPyMem.hippocampus_with_forgetting import hippocampus_with_forgetting as m
        cfg = json.loads((Path(m.__file__).parent / "config" /
                          "hippocampus_with_forgetting_network_config.json").read_text())
        out = sim.Population(n_in, sim.IF_curr_exp(**cfg["neuronParameters"]["OL"]),
                             label="OUT")
        m.Memory(cue_size, cont_size, sim, inp, out)
    else:
        if model == "CA3_content_addressable":
            from sPyMem.CA3_content_addressable import CA3_content_addressable as m
        elif model == "ca3":
            from sPyMem.ca3 import CA3 as m
        else:
            from sPyMem.hippocampus_bioinspired_dg_ca1 import hippocampus_bioinspired_dg_ca1 as m
        out = sim.Population(n_in, sim.IF_curr_exp(**OUT_CELL), label="OUT")
        out.set(v=-60.0)
        mem = m.Memory(cue_size, cont_size, sim)
        mem.connect_in(inp)
        mem.connect_out(out)
    out.record("spikes")
    sim.run(duration)
    result = by_step(out)
    sim.end()
    return result, n_cue
