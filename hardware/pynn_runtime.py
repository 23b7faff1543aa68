"""The run-time part of every PyNN script `to_pynn_script` writes.

The exported script must run where only PyNN and its simulator are installed (sPyNNaker's own
environment has no spikemem), so the code below the marker line is copied verbatim into each
script (`embedded_source`); the script adds its constants, its ``build(data)`` function and
a call of `main`. Keeping that code here makes it a real module: imported, tested and linted
like the rest of the package. It imports only the standard library and numpy (PyNN objects
arrive as arguments).
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["embedded_source", "MARKER"]

MARKER = "# -- embedded in every exported PyNN script below this line --"


def embedded_source() -> str:
    """The source text below `MARKER`, as written into every exported script."""
    text = Path(__file__).read_text()
    return text.split(MARKER + "\n", 1)[1]


# -- embedded in every exported PyNN script below this line --
import argparse  # noqa: E402
import os  # noqa: E402

import numpy as np  # noqa: E402


def spike_trains_lists(times, ids, size):
    """Per-neuron spike-time lists (ms) from flat arrays of times and neuron ids.

    A source without any spike gets ``[]`` (sPyNNaker 7.4.1 fails on a list of empty lists).
    """
    if len(times) == 0:
        return []
    order = np.argsort(ids, kind="stable")
    bounds = np.cumsum(np.bincount(ids, minlength=size))[:-1]
    return [list(t) for t in np.split(np.asarray(times, float)[order], bounds)]


def spike_trains_sequences(times, ids, size):
    """Per-neuron PyNN Sequences of spike times (ms) from flat arrays of times and neuron ids.

    A one-neuron source gets a single Sequence (pyNN.brian2 0.13 fails on a list of one).
    """
    from pyNN.parameters import Sequence
    order = np.argsort(ids, kind="stable")
    bounds = np.cumsum(np.bincount(ids, minlength=size))[:-1]
    trains = [Sequence(t) for t in np.split(np.asarray(times, float)[order], bounds)]
    return trains[0] if size == 1 else trains


def connections(proj, names):
    """Rows (pre, post, *names) of a projection, indices relative to its pre/post."""
    try:
        rows = proj.get(names, format="list", with_address=True)
    except ValueError:
        # pyNN.brian2 0.13 cannot list a projection of one synapse; its matrix form works
        arrays = [np.asarray(a, float) for a in proj.get(names, format="array")]
        pre, post = np.nonzero(~np.isnan(arrays[0]))
        return np.column_stack([pre, post] + [a[pre, post] for a in arrays])
    return np.array(rows, float).reshape(-1, 2 + len(names))


def save(path, results):
    """Write the results atomically (temporary file beside `path`, then rename)."""
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        np.savez(f, **results)
    os.replace(tmp, path)


def collect(pops, projs, recorded, plastic):
    """Recorded spikes / potentials of the populations and final weights of plastic projections.

    `recorded` maps population labels to recorded variables; `plastic` lists the labels of
    the projections whose final weights are saved.
    """
    out = {"populations": np.array(list(recorded), dtype=str)}
    for k, label in enumerate(recorded):
        variables = recorded[label]
        block = pops[label].get_data(variables).segments[0]
        times, ids = [], []
        for i, st in enumerate(block.spiketrains):
            index = int(st.annotations.get("source_index", i))
            times.append(np.asarray(st.magnitude, float))
            ids.append(np.full(len(st), index, np.int64))
        out[f"spikes_times_{k}"] = np.concatenate(times) if times else np.zeros(0)
        out[f"spikes_ids_{k}"] = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        if "v" in variables:
            sig = block.filter(name="v")[0]
            out[f"v_times_{k}"] = np.asarray(sig.times.magnitude, float)
            out[f"v_{k}"] = np.asarray(sig.magnitude, float)
    out["plastic"] = np.array(plastic, dtype=str)
    for k, label in enumerate(plastic):
        out[f"weights_{k}"] = connections(projs[label], ["weight"])
    return out


def dump_cells(pops, cells, parameters):
    """Parameters and initial v of the populations `cells` as the simulator holds them."""
    out = {"dump_populations": np.array(cells, dtype=str)}
    for k, label in enumerate(cells):
        for name in parameters:
            out[f"param_{k}_{name}"] = np.asarray(pops[label].get(name), float)
        v0 = pops[label].initial_values["v"]
        v0 = v0.evaluate(simplify=False) if hasattr(v0, "evaluate") else v0
        out[f"v0_{k}"] = np.broadcast_to(np.asarray(v0, float), (pops[label].size,)).copy()
    return out


def dump_projections(projs):
    """Connections, weights and delays of the projections as the simulator holds them."""
    out = {"dump_projections": np.array(list(projs), dtype=str)}
    for k, label in enumerate(projs):
        out[f"proj_{k}"] = connections(projs[label], ["weight", "delay"])
    return out


def main(sim, build, settings, description, argv=None):
    """Parse the command line, build the network on `sim`, run it and save the results.

    Parameters
    ----------
    sim : module
        The PyNN backend (``pyNN.spiNNaker`` or ``pyNN.brian2``).
    build : callable
        ``build(data) -> (populations, projections)``, dicts keyed by label.
    settings : dict
        ``dt``, ``run_ms`` (ms), ``data`` (default array file), ``recorded``, ``cells``,
        ``plastic``, ``cell_parameters``, ``simulator``; ``setup`` (keyword arguments of
        ``sim.setup`` besides the time step, names of settings), ``dump_connections_after_run``
        (sPyNNaker reads connections back only after a run, parameters only before one) and
        ``codegen_option`` (offer ``--codegen``, Brian2's code generation target).
    description : str
        The script's one-line description.
    argv : list of str, optional
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--output", required=True, help="results file (.npz) to write")
    parser.add_argument("--run-ms", type=float, default=settings["run_ms"],
                        help="simulated time, ms")
    parser.add_argument("--data", default=settings["data"],
                        help="array file written with this script")
    parser.add_argument("--dump", action="store_true",
                        help="also save parameters, weights and delays as the simulator holds them")
    if settings["codegen_option"]:
        parser.add_argument("--codegen", default=None, choices=["numpy", "cython"],
                            help="Brian2 code generation target (default: Brian2's choice)")
    args = parser.parse_args(argv)
    if getattr(args, "codegen", None):
        import brian2
        brian2.prefs.codegen.target = args.codegen
    sim.setup(timestep=settings["dt"], **{k: settings[v] for k, v in settings["setup"].items()})
    with np.load(args.data) as data:
        pops, projs = build(data)
    results = {}
    if args.dump:
        results.update(dump_cells(pops, settings["cells"], settings["cell_parameters"]))
        if not settings["dump_connections_after_run"]:
            results.update(dump_projections(projs))
    sim.run(args.run_ms)
    if args.dump and settings["dump_connections_after_run"]:
        results.update(dump_projections(projs))
    results.update(collect(pops, projs, settings["recorded"], settings["plastic"]))
    results["simulator"] = np.array(settings["simulator"])
    results["run_ms"] = np.array(args.run_ms)
    save(args.output, results)
    sim.end()
