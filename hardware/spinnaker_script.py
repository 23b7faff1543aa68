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

This module only renders a checked `NetworkPlan` (`spinnaker_plan` decides everything and
lists what a target cannot express): one `PyNNTarget` per simulator holds every difference
between the two scripts as data, and the run-time code every script carries is the real
module `hardware.pynn_runtime`, copied into the script.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from spikemem import __version__
from spikemem.io import atomic_path

from .pynn_runtime import embedded_source
from .spinnaker_plan import CELL_PARAMETERS, SIMULATORS, NetworkPlan, plan_network

__all__ = ["to_pynn_script", "PyNNExport", "PyNNTarget", "TARGETS", "SIMULATORS",
           "data_path_for", "render_script", "render_arrays"]


def _amplitude_in_nA(a: float, w_max: float) -> float:
    return a


def _amplitude_per_w_max(a: float, w_max: float) -> float:
    return a / w_max if w_max > 0 else 0.0


@dataclass(frozen=True)
class PyNNTarget:
    """Everything in which the scripts for one target simulator differ (the template's data).

    Attributes
    ----------
    simulator : str
        Key of `SIMULATORS`.
    inhibitory_sign : float
        Sign the weights of inhibitory projections are written with.
    stdp_amplitude : callable
        ``(A, w_max) -> A`` as written into ``SpikePairRule`` (the IR's A is in nA).
    stdp_options : tuple of str
        Extra ``STDPMechanism`` arguments.
    neurons_per_core : bool
        Whether ``additional_parameters={"neurons_per_core": n}`` is written.
    spike_trains : str
        The `pynn_runtime` function that turns flat spike arrays into the source's trains.
    setup : dict of str to str
        ``sim.setup`` keywords besides ``timestep``, and the run settings giving their values.
    dump_connections_after_run : bool
        Read connections back after the run (sPyNNaker) instead of before it.
    codegen_option : bool
        Offer ``--codegen`` (Brian2's code generation target).
    convention : str
        The conventions paragraph of the script's docstring.
    """

    simulator: str
    inhibitory_sign: float
    stdp_amplitude: Callable[[float, float], float]
    stdp_options: tuple
    neurons_per_core: bool
    spike_trains: str
    setup: dict = field(default_factory=dict)
    dump_connections_after_run: bool = False
    codegen_option: bool = False
    convention: str = ""

    @property
    def module(self) -> str:
        return SIMULATORS[self.simulator]


#: One template per target simulator.
TARGETS = {
    "spiNNaker": PyNNTarget(
        simulator="spiNNaker", inhibitory_sign=1.0, stdp_amplitude=_amplitude_in_nA,
        stdp_options=(), neurons_per_core=True, spike_trains="spike_trains_lists",
        dump_connections_after_run=True,
        convention=("Target: sPyNNaker (pyNN.spiNNaker). Weights are positive, the receptor "
                    "gives the sign; STDP A+/A- are in nA (sPyNNaker 7's additive rule does not "
                    "scale them by w_max); plastic delays are dendritic, as in spikemem.")),
    "brian2": PyNNTarget(
        simulator="brian2", inhibitory_sign=-1.0, stdp_amplitude=_amplitude_per_w_max,
        stdp_options=("dendritic_delay_fraction=0",), neurons_per_core=False,
        spike_trains="spike_trains_sequences", setup={"min_delay": "dt"},
        codegen_option=True,
        convention=("Target: pyNN.brian2 (verification). Inhibitory weights are negative; STDP "
                    "A+/A- are spikemem's divided by w_max (PyNN's additive rule multiplies "
                    "them by w_max); STDP delays are axonal here (dendritic_delay_fraction=0), "
                    "so learning differs from sPyNNaker's; static dynamics are the same "
                    "network.")),
}


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
    plan = plan_network(network, weights=weights, run_ms=run_ms, poisson=poisson,
                        neurons_per_core=neurons_per_core, simulator=simulator)
    plan.require_expressible()
    path = Path(path)
    data_path = data_path_for(path)
    arrays = render_arrays(plan)
    text = render_script(plan, data_path.name)
    with atomic_path(data_path, ".npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    with atomic_path(path, ".py") as tmp:
        tmp.write_text(text)
    return PyNNExport(path, data_path, simulator, plan)


# -- arrays -----------------------------------------------------------------------------------
def render_arrays(plan: NetworkPlan) -> dict:
    """The arrays of the script's ``.npz`` file: initial potentials, spikes, connection lists."""
    target = TARGETS[plan.simulator]
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
        cols = [pr.pre_local.astype(float), pr.post_local.astype(float)]
        if pr.weight_column:
            cols.append(_sign(target, pr) * pr.weight)
        if pr.delay_column:
            cols.append(pr.delay)
        out[f"proj{k}_conn"] = np.column_stack(cols)
    return out


def _sign(target: PyNNTarget, pr) -> float:
    return target.inhibitory_sign if pr.receptor == "inhibitory" else 1.0


def _column_names(pr) -> list:
    return (["weight"] if pr.weight_column else []) + (["delay"] if pr.delay_column else [])


# -- script text ------------------------------------------------------------------------------
def _num(x: float) -> str:
    return repr(float(x))


def _group_expr(ref) -> str:
    base = f"pops[{ref.label!r}]"
    return f"{base}[{ref.start}:{ref.stop}]" if ref.is_view else base


def _cell_model(k: int, p) -> str:
    params = ", ".join(f"{n}={_num(getattr(p.cell, n))}" for n in CELL_PARAMETERS)
    return f"sim.IF_curr_exp({params})"


def _array_source_model(k: int, p) -> str:
    return (f"sim.SpikeSourceArray(spike_times=spike_trains(data['pop{k}_times'], "
            f"data['pop{k}_ids'], {p.size}))")


def _poisson_source_model(k: int, p) -> str:
    s = p.poisson
    args = f"rate={_num(s.rate)}, start={_num(s.start)}"
    if np.isfinite(s.duration):
        args += f", duration={_num(s.duration)}"
    return f"sim.SpikeSourcePoisson({args})"


_MODELS = {"IF_curr_exp": _cell_model, "SpikeSourceArray": _array_source_model,
           "SpikeSourcePoisson": _poisson_source_model}


def _population_lines(k: int, p, target: PyNNTarget) -> list:
    model = _MODELS[p.kind](k, p)
    extra = ""
    if target.neurons_per_core and p.neurons_per_core is not None:
        extra = f", additional_parameters={{'neurons_per_core': {p.neurons_per_core}}}"
    lines = [f"pops[{p.label!r}] = sim.Population({p.size}, {model}, label={p.label!r}{extra})"]
    if not p.is_source:
        v = f"data['pop{k}_v']" if isinstance(p.initial_v, np.ndarray) else _num(p.initial_v)
        lines.append(f"pops[{p.label!r}].initialize(v={v})")
        if p.record:
            lines.append(f"pops[{p.label!r}].record({list(p.record)!r})")
    return lines


def _synapse_expr(pr, target: PyNNTarget) -> str:
    parts = []
    if not pr.weight_column:
        parts.append(f"weight={_num(_sign(target, pr) * pr.uniform_weight)}")
    if not pr.delay_column:
        parts.append(f"delay={_num(pr.uniform_delay)}")
    wd = ", ".join(parts)
    if not pr.plastic:
        return f"sim.StaticSynapse({wd})"
    s = pr.synapse
    a_plus, a_minus = (target.stdp_amplitude(a, s.w_max) for a in (s.A_plus, s.A_minus))
    dep = "MultiplicativeWeightDependence" if s.multiplicative else "AdditiveWeightDependence"
    args = [f"timing_dependence=sim.SpikePairRule(tau_plus={_num(s.tau_plus)}, "
            f"tau_minus={_num(s.tau_minus)}, A_plus={_num(a_plus)}, A_minus={_num(a_minus)})",
            f"weight_dependence=sim.{dep}(w_min={_num(s.w_min)}, w_max={_num(s.w_max)})"]
    args += [wd] if wd else []
    args += list(target.stdp_options)
    inner = ",\n        ".join(args)
    return f"sim.STDPMechanism(\n        {inner})"


_CONNECTORS = {
    "OneToOne": lambda k, pr: "sim.OneToOneConnector()",
    "AllToAll": lambda k, pr: (f"sim.AllToAllConnector(allow_self_connections="
                               f"{pr.allow_self_connections})"),
    "FromList": lambda k, pr: (f"sim.FromListConnector(data['proj{k}_conn'], "
                               f"column_names={_column_names(pr)!r})"),
}


def _projection_lines(k: int, pr, target: PyNNTarget) -> list:
    return [f"projs[{pr.label!r}] = sim.Projection(",
            f"    {_group_expr(pr.pre)}, {_group_expr(pr.post)},",
            f"    {_CONNECTORS[pr.connector](k, pr)},",
            f"    {_synapse_expr(pr, target)},",
            f"    receptor_type={pr.receptor!r}, label={pr.label!r})"]


def _docstring(plan: NetworkPlan, target: PyNNTarget, data_name: str) -> str:
    notes = "".join(f"\n- {n}" for n in plan.notes) or "\n- none"
    return (f'"""PyNN script exported by spikemem {__version__} from network {plan.label!r} '
            f"(dt = {plan.dt} ms).\n\n"
            + textwrap.fill(target.convention, 88) + "\n\n"
            f"Run:  python {{this file}} --output results.npz [--run-ms MS] [--dump]\n"
            f"Data: arrays (spike times, connection lists, initial potentials) are read from "
            f"{data_name}\n      beside this script (or --data).\n"
            f"Translation notes:{notes}\n" + '"""')


_TEMPLATE = """{docstring}
import {module} as sim
{runtime}

DT = {dt}
RUN_MS = {run_ms}
SETTINGS = {{
    "dt": DT,
    "run_ms": RUN_MS,
    "data": os.path.join(os.path.dirname(os.path.abspath(__file__)), {data_name!r}),
    #: population label -> recorded variables
    "recorded": {recorded!r},
    #: IF_curr_exp populations, and the plastic projections whose final weights are saved
    "cells": {cells!r},
    "plastic": {plastic!r},
    "cell_parameters": {cell_parameters!r},
    "simulator": {simulator!r},
    "setup": {setup!r},
    "dump_connections_after_run": {dump_after!r},
    "codegen_option": {codegen!r},
}}
spike_trains = {spike_trains}


def build(data):
    \"\"\"Create every population and projection; return two dicts keyed by label.\"\"\"
    pops = {{}}
{build}
    return pops, projs


if __name__ == "__main__":
    main(sim, build, SETTINGS, __doc__.splitlines()[0])
"""


def render_script(plan: NetworkPlan, data_name: str) -> str:
    """The text of the PyNN script for `plan` (its target is ``plan.simulator``).

    Parameters
    ----------
    plan : NetworkPlan
        A plan its target can express (``plan.unexpressible`` empty).
    data_name : str
        File name of the script's array file, read from the script's own folder.
    """
    plan.require_expressible()
    target = TARGETS[plan.simulator]
    body = []
    for k, p in enumerate(plan.populations):
        body += _population_lines(k, p, target)
    body.append("projs = {}")
    for k, pr in enumerate(plan.projections):
        body += _projection_lines(k, pr, target)
    return _TEMPLATE.format(
        docstring=_docstring(plan, target, data_name), module=target.module,
        runtime=embedded_source().rstrip("\n"), dt=_num(plan.dt), run_ms=_num(plan.run_ms),
        data_name=data_name,
        recorded={p.label: list(p.record) for p in plan.populations
                  if not p.is_source and p.record},
        cells=[p.label for p in plan.populations if not p.is_source],
        plastic=[pr.label for pr in plan.projections if pr.plastic],
        cell_parameters=list(CELL_PARAMETERS), simulator=target.simulator, setup=target.setup,
        dump_after=target.dump_connections_after_run, codegen=target.codegen_option,
        spike_trains=target.spike_trains,
        build="\n".join("    " + line for entry in body for line in entry.split("\n")))
