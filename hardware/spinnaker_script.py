"""Write an IR network as a runnable PyNN script for sPyNNaker (or for ``pyNN.brian2``).

The script is plain PyNN: one ``sim.Population`` per population or spike source, one
``sim.Projection`` per projection, scalar parameters written in the text and the arrays
(spike times, connection lists, per-neuron initial potentials) in a NumPy ``.npz`` file
beside it. Run it as::

    python net.py --output results.npz [--run-ms 500] [--dump]

It records the spikes (and membrane potentials where the IR asks for them) and saves them,
with the final weights of every plastic projection, to ``--output``; ``--dump`` also saves
every population's parameters and every projection's weights and delays as the simulator
holds them (used to verify the export): before the run on ``pyNN.brian2``; on sPyNNaker
the parameters before the run and the connections after it (it reads parameters from the
host only before a run, connections only after one).

Conventions per target simulator
--------------------------------
* ``"spiNNaker"`` (``import pyNN.spiNNaker as sim``, sPyNNaker 7): weights are written
  positive with ``receptor_type="inhibitory"`` for inhibition, as the IR stores them. STDP is
  ``STDPMechanism(SpikePairRule(tau_plus, tau_minus, A_plus, A_minus),
  AdditiveWeightDependence(w_min, w_max) | MultiplicativeWeightDependence(w_min, w_max))``
  with the IR's A± unchanged: sPyNNaker 7.4.1 writes an additive rule's A± to the chip
  multiplied only by the weight scale (``weight_dependence_additive.py``), i.e. in nA, which
  is the IR's convention; sPyNNaker's delays of plastic synapses are dendritic, as the IR's.
* ``"brian2"`` (``import pyNN.brian2 as sim``, PyNN 0.13, for verification): inhibitory
  weights are written negative (current-based cells there sum signed weights); PyNN's
  standard additive rule moves a weight by ``w_max * A * trace``, so A± are written as
  ``A / w_max``; ``dendritic_delay_fraction=0`` is required (its STDP delays are axonal, a
  documented difference in learning, not in the static network). pyNN.brian2 0.13 applies
  the additive rule whatever the weight dependence, clips negative (inhibitory) weights
  of a plastic synapse to ``w_min``, and gives all synapses of a repeated (pre, post) pair of
  a ``FromListConnector`` the last one's weight and delay: multiplicative and inhibitory
  STDP and such repeated pairs raise `UnsupportedFeature` for that target.

sPyNNaker needs every plastic projection onto one population to use the same STDP rule
(same taus, A±, bounds and weight dependence); a network that does not raises
`UnsupportedFeature` for that target.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from spikemem import __version__
from spikemem.errors import UnsupportedFeature, ValidationError
from spikemem.io import atomic_path
from spikemem.synapses import STDP

from .plastic_state import warn_plastic_state
from .spinnaker_plan import NetworkPlan, plan_network

__all__ = ["to_pynn_script", "PyNNExport", "SIMULATORS", "data_path_for", "stdp_key",
           "check_expressible"]

#: Target simulators of `to_pynn_script`: name -> PyNN module.
SIMULATORS = {"spiNNaker": "pyNN.spiNNaker", "brian2": "pyNN.brian2"}

_CELL_PARAMS = ("cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I", "v_rest", "v_reset",
                "v_thresh", "i_offset")


@dataclass(frozen=True)
class PyNNExport:
    """What `to_pynn_script` wrote.

    Attributes
    ----------
    script : Path
        The runnable PyNN script.
    data : Path
        Its array file (``<script stem>_data.npz`` beside it).
    simulator : str
        ``"spiNNaker"`` or ``"brian2"``.
    plan : NetworkPlan
        The translation the script was written from.
    """

    script: Path
    data: Path
    simulator: str
    plan: NetworkPlan

    @property
    def paths(self) -> list:
        return [self.script, self.data]


def data_path_for(script) -> Path:
    """The array file that belongs to an exported script: ``<stem>_data.npz`` beside it."""
    script = Path(script)
    return script.with_name(script.stem + "_data.npz")


def stdp_key(synapse: STDP) -> tuple:
    """The STDP parameters sPyNNaker requires to be equal on all plastic inputs of a population.

    (sPyNNaker 7.4.1 ``SynapseDynamicsSTDP.merge``: timing rule taus, weight dependence
    class, bounds and A±; the initial weight and the delay may differ.)
    """
    return (synapse.tau_plus, synapse.tau_minus, synapse.A_plus, synapse.A_minus,
            synapse.w_min, synapse.w_max, synapse.weight_dependence)


def check_expressible_simulator(simulator: str) -> None:
    """Raise `ValidationError` unless `simulator` is one of `SIMULATORS`."""
    if simulator not in SIMULATORS:
        raise ValidationError(
            f"to_pynn_script: simulator must be one of {sorted(SIMULATORS)}, got {simulator!r}")


def check_expressible(plan: NetworkPlan, simulator: str) -> None:
    """Raise `UnsupportedFeature` if `simulator` cannot express a feature of `plan`.

    Parameters
    ----------
    plan : NetworkPlan
    simulator : {"spiNNaker", "brian2"}
    """
    check_expressible_simulator(simulator)
    if simulator == "spiNNaker":
        rules: dict = {}
        for pr in plan.projections:
            if not pr.plastic:
                continue
            first = rules.setdefault(pr.post.label, (pr.label, stdp_key(pr.synapse)))
            if first[1] != stdp_key(pr.synapse):
                raise UnsupportedFeature(
                    f"SpiNNaker (sPyNNaker 7.4.1) cannot express two different STDP rules onto "
                    f"one population: plastic projections {first[0]!r} and {pr.label!r} both "
                    f"target {pr.post.label!r} with different parameters (tau+, tau-, A+, A-, "
                    f"w_min, w_max, weight dependence) {first[1]} and {stdp_key(pr.synapse)}; "
                    "sPyNNaker raises SynapticConfigurationException ('Synapse dynamics must "
                    "match exactly when using multiple edges to the same population')")
        return
    for pr in plan.projections:
        if pr.connector == "FromList" and (pr.weight_column or pr.delay_column):
            key = pr.pre_local * (int(pr.post_local.max()) + 1) + pr.post_local
            order = np.argsort(key, kind="stable")
            same = key[order][1:] == key[order][:-1]
            w, d = pr.weight[order], pr.delay[order]
            if np.any(same & ((w[1:] != w[:-1]) | (d[1:] != d[:-1]))):
                raise UnsupportedFeature(
                    f"pyNN.brian2 (PyNN 0.13) cannot express repeated (pre, post) pairs with "
                    f"different weights or delays (projection {pr.label!r}): its "
                    "FromListConnector gives every synapse of a pair the last one's values")
        if not pr.plastic:
            continue
        if pr.synapse.multiplicative:
            raise UnsupportedFeature(
                f"pyNN.brian2 (PyNN 0.13) cannot express the multiplicative weight dependence of "
                f"plastic projection {pr.label!r}: its STDPMechanism applies the additive rule "
                "whatever the weight dependence")
        if pr.receptor == "inhibitory":
            raise UnsupportedFeature(
                f"pyNN.brian2 (PyNN 0.13) cannot express STDP on the inhibitory receptor "
                f"(projection {pr.label!r}): current-based cells need negative weights there, "
                "which its STDP clips to w_min")


def to_pynn_script(network, path, weights: Optional[dict] = None, run_ms: float = 1000.0,
                   simulator: str = "spiNNaker", poisson: str = "native",
                   neurons_per_core=None) -> PyNNExport:
    """Write `network` as a runnable PyNN script (and its ``.npz`` array file), atomically.

    Parameters
    ----------
    network : spikemem.Network
    path : str or Path
        Script path (``.py``); the arrays go to `data_path_for` (path).
    weights : dict of str to array_like, optional
        ``{projection label: weights}`` (nA, shape (n_synapses,)) replacing the initial
        weights, e.g. learned ones (``Simulator.weights(projection)``).
    run_ms : float
        Default simulated time of the script, ms (a positive multiple of dt; the script's
        ``--run-ms`` overrides it).
    simulator : {"spiNNaker", "brian2"}
        ``pyNN.spiNNaker`` (sPyNNaker) or ``pyNN.brian2`` (verification); see the module
        docstring for what differs.
    poisson : {"native", "array"}
        ``"native"``: Poisson sources become PyNN ``SpikeSourcePoisson`` (the simulator draws
        its own spikes); ``"array"``: the IR's own spikes over `run_ms`, as arrays.
    neurons_per_core : int or dict of str to int, optional
        Maximum neurons per core of every (int) or of named populations (sPyNNaker only:
        ``additional_parameters={"neurons_per_core": n}``); ignored for ``"brian2"``.

    Returns
    -------
    PyNNExport

    Raises
    ------
    ValidationError
        Bad arguments (see `plan_network`).
    UnsupportedFeature
        The target simulator cannot express a feature of the network (nothing is written).
    """
    check_expressible_simulator(simulator)
    plan = plan_network(network, weights=weights, run_ms=run_ms, poisson=poisson,
                        neurons_per_core=neurons_per_core, simulator=simulator)
    check_expressible(plan, simulator)
    warn_plastic_state(network, weights, "spinnaker")
    path = Path(path)
    data_path = data_path_for(path)
    arrays = _arrays(plan, simulator)
    text = _script_text(plan, simulator, data_path.name)
    with atomic_path(data_path, ".npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    with atomic_path(path, ".py") as tmp:
        tmp.write_text(text)
    return PyNNExport(path, data_path, simulator, plan)


# -- arrays -----------------------------------------------------------------------------------
def _arrays(plan: NetworkPlan, simulator: str) -> dict:
    out = {}
    for k, p in enumerate(plan.populations):
        if isinstance(p.initial_v, np.ndarray):
            out[f"pop{k}_v"] = p.initial_v
        if p.spike_times is not None:
            out[f"pop{k}_times"] = p.spike_times
            out[f"pop{k}_ids"] = p.spike_ids
    for k, pr in enumerate(plan.projections):
        if pr.connector != "FromList":
            continue
        sign = -1.0 if (simulator == "brian2" and pr.receptor == "inhibitory") else 1.0
        cols = [pr.pre_local.astype(float), pr.post_local.astype(float)]
        if pr.weight_column:
            cols.append(sign * pr.weight)
        if pr.delay_column:
            cols.append(pr.delay)
        out[f"proj{k}_conn"] = np.column_stack(cols)
    return out


def _column_names(pr) -> list:
    return (["weight"] if pr.weight_column else []) + (["delay"] if pr.delay_column else [])


# -- script text ------------------------------------------------------------------------------
def _num(x: float) -> str:
    return repr(float(x))


def _group_expr(ref) -> str:
    base = f"pops[{ref.label!r}]"
    return f"{base}[{ref.start}:{ref.stop}]" if ref.is_view else base


def _population_lines(k: int, p, simulator: str) -> list:
    lines = []
    extra = ""
    if p.kind == "IF_curr_exp":
        params = ", ".join(f"{n}={_num(getattr(p.cell, n))}" for n in _CELL_PARAMS)
        model = f"sim.IF_curr_exp({params})"
        if simulator == "spiNNaker" and p.neurons_per_core is not None:
            extra = f", additional_parameters={{'neurons_per_core': {p.neurons_per_core}}}"
    elif p.kind == "SpikeSourceArray":
        model = (f"sim.SpikeSourceArray(spike_times=spike_trains(data['pop{k}_times'], "
                 f"data['pop{k}_ids'], {p.size}))")
    else:
        s = p.poisson
        args = f"rate={_num(s.rate)}, start={_num(s.start)}"
        if np.isfinite(s.duration):
            args += f", duration={_num(s.duration)}"
        model = f"sim.SpikeSourcePoisson({args})"
    lines.append(f"pops[{p.label!r}] = sim.Population({p.size}, {model}, "
                 f"label={p.label!r}{extra})")
    if p.kind == "IF_curr_exp":
        v = f"data['pop{k}_v']" if isinstance(p.initial_v, np.ndarray) else _num(p.initial_v)
        lines.append(f"pops[{p.label!r}].initialize(v={v})")
        if p.record:
            lines.append(f"pops[{p.label!r}].record({list(p.record)!r})")
    return lines


def _synapse_expr(pr, simulator: str) -> str:
    sign = -1.0 if (simulator == "brian2" and pr.receptor == "inhibitory") else 1.0
    parts = []
    if not pr.weight_column:
        parts.append(f"weight={_num(sign * pr.uniform_weight)}")
    if not pr.delay_column:
        parts.append(f"delay={_num(pr.uniform_delay)}")
    wd = ", ".join(parts)
    if not pr.plastic:
        return f"sim.StaticSynapse({wd})"
    s = pr.synapse
    a_plus, a_minus = s.A_plus, s.A_minus
    if simulator == "brian2":
        a_plus = s.A_plus / s.w_max if s.w_max > 0 else 0.0
        a_minus = s.A_minus / s.w_max if s.w_max > 0 else 0.0
    dep = "MultiplicativeWeightDependence" if s.multiplicative else "AdditiveWeightDependence"
    args = [f"timing_dependence=sim.SpikePairRule(tau_plus={_num(s.tau_plus)}, "
            f"tau_minus={_num(s.tau_minus)}, A_plus={_num(a_plus)}, A_minus={_num(a_minus)})",
            f"weight_dependence=sim.{dep}(w_min={_num(s.w_min)}, w_max={_num(s.w_max)})"]
    if wd:
        args.append(wd)
    if simulator == "brian2":
        args.append("dendritic_delay_fraction=0")
    inner = ",\n        ".join(args)
    return f"sim.STDPMechanism(\n        {inner})"


def _projection_lines(k: int, pr, simulator: str) -> list:
    if pr.connector == "OneToOne":
        conn = "sim.OneToOneConnector()"
    elif pr.connector == "AllToAll":
        conn = f"sim.AllToAllConnector(allow_self_connections={pr.allow_self_connections})"
    else:
        conn = f"sim.FromListConnector(data['proj{k}_conn'], column_names={_column_names(pr)!r})"
    return [f"projs[{pr.label!r}] = sim.Projection(",
            f"    {_group_expr(pr.pre)}, {_group_expr(pr.post)},",
            f"    {conn},",
            f"    {_synapse_expr(pr, simulator)},",
            f"    receptor_type={pr.receptor!r}, label={pr.label!r})"]


def _docstring(plan: NetworkPlan, simulator: str, data_name: str) -> str:
    if simulator == "spiNNaker":
        conv = ("Target: sPyNNaker (pyNN.spiNNaker). Weights are positive, the receptor gives "
                "the sign; STDP A+/A- are in nA (sPyNNaker 7's additive rule does not scale "
                "them by w_max); plastic delays are dendritic, as in spikemem.")
    else:
        conv = ("Target: pyNN.brian2 (verification). Inhibitory weights are negative; STDP "
                "A+/A- are spikemem's divided by w_max (PyNN's additive rule multiplies them "
                "by w_max); STDP delays are axonal here (dendritic_delay_fraction=0), so "
                "learning differs from sPyNNaker's; static dynamics are the same network.")
    notes = "".join(f"\n- {n}" for n in plan.notes) or "\n- none"
    return (f'"""PyNN script exported by spikemem {__version__} from network {plan.label!r} '
            f"(dt = {plan.dt} ms).\n\n"
            + textwrap.fill(conv, 88) + "\n\n"
            f"Run:  python {{this file}} --output results.npz [--run-ms MS] [--dump]\n"
            f"Data: arrays (spike times, connection lists, initial potentials) are read from "
            f"{data_name}\n      beside this script (or --data).\n"
            f"Translation notes:{notes}\n" + '"""')


_TRAINS = {
    "spiNNaker": '''
def spike_trains(times, ids, size):
    """Per-neuron spike-time lists (ms) from flat arrays of times and neuron ids.

    A source without any spike gets ``[]`` (sPyNNaker 7.4.1 fails on a list of empty lists).
    """
    if len(times) == 0:
        return []
    order = np.argsort(ids, kind="stable")
    bounds = np.cumsum(np.bincount(ids, minlength=size))[:-1]
    return [list(t) for t in np.split(np.asarray(times, float)[order], bounds)]
''',
    "brian2": '''
def spike_trains(times, ids, size):
    """Per-neuron PyNN Sequences of spike times (ms) from flat arrays of times and neuron ids.

    A one-neuron source gets a single Sequence (pyNN.brian2 0.13 fails on a list of one).
    """
    from pyNN.parameters import Sequence
    order = np.argsort(ids, kind="stable")
    bounds = np.cumsum(np.bincount(ids, minlength=size))[:-1]
    trains = [Sequence(t) for t in np.split(np.asarray(times, float)[order], bounds)]
    return trains[0] if size == 1 else trains
'''}

_HELPERS = '''


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


def collect(pops, projs, recorded):
    """Recorded spikes / potentials of the populations and final weights of plastic projections."""
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
    out["plastic"] = np.array(PLASTIC, dtype=str)
    for k, label in enumerate(PLASTIC):
        out[f"weights_{k}"] = connections(projs[label], ["weight"])
    return out


def dump_cells(pops):
    """Parameters and initial v of the populations as the simulator holds them."""
    out = {"dump_populations": np.array(CELLS, dtype=str)}
    for k, label in enumerate(CELLS):
        for name in CELL_PARAMETERS:
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
'''


def _script_text(plan: NetworkPlan, simulator: str, data_name: str) -> str:
    module = SIMULATORS[simulator]
    body = []
    for k, p in enumerate(plan.populations):
        body += _population_lines(k, p, simulator)
    body.append("projs = {}")
    for k, pr in enumerate(plan.projections):
        body += _projection_lines(k, pr, simulator)
    build = "\n".join("    " + line for entry in body for line in entry.split("\n"))
    recorded = {p.label: list(p.record) for p in plan.populations
                if not p.is_source and p.record}
    cells = [p.label for p in plan.populations if not p.is_source]
    plastic = [pr.label for pr in plan.projections if pr.plastic]
    setup = ("sim.setup(timestep=DT, min_delay=DT)" if simulator == "brian2"
             else "sim.setup(timestep=DT)")
    if simulator == "brian2":
        run_lines = ("    results = {}\n"
                     "    if args.dump:\n"
                     "        results.update(dump_cells(pops))\n"
                     "        results.update(dump_projections(projs))\n"
                     "    sim.run(args.run_ms)")
    else:
        # sPyNNaker reads parameters on the host only before a run, connections only after
        # one (on a virtual board: as generated on the host)
        run_lines = ("    results = dump_cells(pops) if args.dump else {}\n"
                     "    sim.run(args.run_ms)\n"
                     "    if args.dump:\n"
                     "        results.update(dump_projections(projs))")
    codegen = ""
    if simulator == "brian2":
        codegen = ('    parser.add_argument("--codegen", default=None, choices=["numpy", "cython"],\n'
                   '                        help="Brian2 code generation target (default: '
                   'Brian2\'s choice)")\n')
    codegen_apply = ""
    if simulator == "brian2":
        codegen_apply = ("    if args.codegen:\n"
                         "        import brian2\n"
                         "        brian2.prefs.codegen.target = args.codegen\n")
    return f'''{_docstring(plan, simulator, data_name)}
import argparse
import os

import numpy as np
import {module} as sim

DT = {_num(plan.dt)}
RUN_MS = {_num(plan.run_ms)}
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), {data_name!r})
#: population label -> recorded variables
RECORDED = {recorded!r}
#: IF_curr_exp populations, and the plastic projections whose final weights are saved
CELLS = {cells!r}
PLASTIC = {plastic!r}
CELL_PARAMETERS = {list(_CELL_PARAMS)!r}
{_TRAINS[simulator]}{_HELPERS}

def build(data):
    """Create every population and projection; return two dicts keyed by label."""
    pops = {{}}
{build}
    return pops, projs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True, help="results file (.npz) to write")
    parser.add_argument("--run-ms", type=float, default=RUN_MS, help="simulated time, ms")
    parser.add_argument("--data", default=DATA, help="array file written with this script")
    parser.add_argument("--dump", action="store_true",
                        help="also save parameters, weights and delays as the simulator holds them")
{codegen}    args = parser.parse_args(argv)
{codegen_apply}    {setup}
    with np.load(args.data) as data:
        pops, projs = build(data)
{run_lines}
    results.update(collect(pops, projs, RECORDED))
    results["simulator"] = np.array({simulator!r})
    results["run_ms"] = np.array(args.run_ms)
    save(args.output, results)
    sim.end()


if __name__ == "__main__":
    main()
'''
