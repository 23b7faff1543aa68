"""Check a network against SpiNNaker's constraints, predicting what sPyNNaker 7.4.1 will do.

`check_spinnaker` judges the `NetworkPlan` (`spinnaker_plan`, the one pass that translates and
finds what sPyNNaker cannot express) that the writers render, and applies the rules
sPyNNaker's mapping applies (constants and their sources in `spinnaker_limits`):

* **Cores.** A neuron population is cut into slices of ``neurons_per_core`` (default 256)
  neurons, one core each; at ``dt < 1 ms`` a population with incoming synapses runs on a split
  core pair per slice (one neuron core and as many synapse cores as its expected synaptic
  load needs, ``PopulationVertex.n_synapse_cores_required``). A ``SpikeSourceArray`` takes one
  core, a ``SpikeSourcePoisson`` one core per 500 neurons. Delay extensions add one core per
  core of each presynaptic group that needs them.
* **Rows.** For every projection, the longest row (synapses from one presynaptic neuron onto
  one post core) must fit the population table: 256 words, i.e. 256 static or 254 plastic
  synapses (``SynapseRowTooBigException``). sPyNNaker counts an ``AllToAllConnector``'s row
  as the whole post core (``neurons_per_core``) and a ``FromListConnector``'s from its list.
* **Delays.** A post core offers ``min(2**bits(max incoming delay), 2**(14 - bits(neurons per
  core) - 1))`` delay slots; longer delays go through a delay extension (up to 8 more times
  that range, else ``DelayExtensionException``).
* **Weights.** Per post population and receptor, the weights are stored as 16-bit integers
  of ``2**(15 - p)`` per nA, with ``p`` from the largest expected summed input
  (``PopulationVertex.get_ring_buffer_shifts``: the sum over incoming projections of
  ``w_max * max in-degree`` when all delays of that receptor are equal, else a Poisson upper
  bound); the report gives, per projection, the largest absolute rounding error.
* **STDP.** All plastic projections onto one population must share one rule
  (``SynapticConfigurationException``).
* **Board.** The application cores must fit the board (SpiNN-5: 759, SpiNN-3: 63).

Problems are *errors* (sPyNNaker will refuse, with the named exception) or *warnings* (it will
run, but not exactly as the IR does); nothing is dropped silently.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from scipy import special

from .spinnaker_limits import (DELAY_EXTENSION_SLOTS, MAX_NEURONS_PER_CORE,
                               MAX_POISSON_PER_CORE, MAX_RING_BUFFER_BITS,
                               POISSON_SIGMA_SUMMATION_LIMIT, ROW_HEADER_WORDS,
                               RING_BUFFER_SIGMA, SPIKES_PER_SECOND, SPYNNAKER_VERSION,
                               STATIC_SYNAPSES_PER_SECOND, STDP_SYNAPSES_PER_SECOND,
                               BoardSpec, board_spec, max_row_synapses, n_bits, row_words,
                               time_scale_factor, weight_power)
from .spinnaker_plan import NetworkPlan, ProjectionPlan, expressibility_problems, plan_network

__all__ = ["check_spinnaker", "check_plan", "SpinnakerReport", "Issue"]

#: Cores per chip sPyNNaker's split-core estimate leaves for synapse cores: 18 cores minus
#: SC&MP, the extra monitor and the neuron core (``PopulationVertex.__update_n_synapse_cores``).
_MAX_SYNAPSE_CORES = 18 - 3


@dataclass(frozen=True)
class Issue:
    """One finding of the checker.

    Attributes
    ----------
    severity : {"error", "warning"}
    code : str
        Short kind, e.g. ``"row_too_long"``, ``"delay_too_long"``, ``"board_capacity"``.
    subject : str
        Label of the population or projection concerned (or the network's).
    message : str
    spynnaker : str or None
        The exception sPyNNaker raises for this error, if any.
    """

    severity: str
    code: str
    subject: str
    message: str
    spynnaker: Optional[str] = None

    def to_dict(self) -> dict:
        return {"severity": self.severity, "code": self.code, "subject": self.subject,
                "message": self.message, "spynnaker": self.spynnaker}

    def __str__(self) -> str:
        exc = f" [sPyNNaker: {self.spynnaker}]" if self.spynnaker else ""
        return f"{self.severity.upper()} {self.code} ({self.subject}): {self.message}{exc}"


@dataclass
class SpinnakerReport:
    """What `check_spinnaker` found.

    Attributes
    ----------
    network : str
    board : BoardSpec
    dt : float
        ms.
    populations : list of dict
        Per population or source: ``label``, ``kind``, ``size``, ``neurons_per_core``,
        ``cores`` (all its cores), ``synapse_cores`` (of those, split synapse cores),
        ``native_delay_steps``, ``weight_power`` (per receptor) and ``sdram_bytes``
        (synaptic matrix estimate).
    projections : list of dict
        Per projection: connector, row lengths against their limit, delays, delay
        extension, weight scale (LSB, nA) and rounding errors (nA).
    delay_extensions : list of dict
        Per presynaptic group that needs one: ``pre``, ``cores``, ``stages``.
    errors, warnings : list of Issue
    """

    network: str
    board: BoardSpec
    dt: float
    populations: list = field(default_factory=list)
    projections: list = field(default_factory=list)
    delay_extensions: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when sPyNNaker is expected to map the network (no errors)."""
        return not self.errors

    @property
    def limits(self) -> dict:
        """sPyNNaker 7.4.1's limits the check applied (see `spinnaker_limits`)."""
        return {"neurons_per_core_static": MAX_NEURONS_PER_CORE,
                "neurons_per_core_plastic": MAX_NEURONS_PER_CORE,
                "row_synapses_static": max_row_synapses(False),
                "row_synapses_plastic": max_row_synapses(True),
                "poisson_per_core": MAX_POISSON_PER_CORE,
                "delay_extension_factor": 1 + DELAY_EXTENSION_SLOTS,
                "application_cores": self.board.app_cores, "chips": self.board.n_chips}

    @property
    def cores(self) -> int:
        """Application cores (neuron, synapse, source and delay-extension cores)."""
        return (sum(p["cores"] for p in self.populations)
                + sum(d["cores"] for d in self.delay_extensions))

    @property
    def cores_by_kind(self) -> dict:
        out = {"neuron": 0, "synapse": 0, "source": 0, "delay": 0}
        for p in self.populations:
            if p["kind"] == "IF_curr_exp":
                out["neuron"] += p["cores"] - p["synapse_cores"]
                out["synapse"] += p["synapse_cores"]
            else:
                out["source"] += p["cores"]
        out["delay"] = sum(d["cores"] for d in self.delay_extensions)
        return out

    @property
    def chips(self) -> int:
        """Chips the application cores fill, packed ``cores_per_chip`` at a time.

        The board's Ethernet chip also hosts the packet gatherer, hence the extra core.
        """
        return int(math.ceil((self.cores + 1) / self.board.cores_per_chip))

    def to_dict(self) -> dict:
        return {"network": self.network, "board": self.board.name,
                "spynnaker_version": SPYNNAKER_VERSION, "dt": self.dt, "ok": self.ok,
                "limits": self.limits,
                "cores": self.cores, "cores_by_kind": self.cores_by_kind, "chips": self.chips,
                "populations": self.populations, "projections": self.projections,
                "delay_extensions": self.delay_extensions,
                "errors": [e.to_dict() for e in self.errors],
                "warnings": [w.to_dict() for w in self.warnings]}

    def __str__(self) -> str:
        k = self.cores_by_kind
        lines = [f"SpiNNaker check of {self.network!r} on {self.board.name} "
                 f"(sPyNNaker {SPYNNAKER_VERSION} rules, dt = {self.dt} ms): "
                 f"{'maps' if self.ok else 'does NOT map'}",
                 f"  cores: {self.cores} ({k['neuron']} neuron, {k['synapse']} synapse, "
                 f"{k['source']} source, {k['delay']} delay extension) on ~{self.chips} chips "
                 f"of {self.board.n_chips}; {self.board.app_cores} application cores available",
                 f"  limits: {MAX_NEURONS_PER_CORE} LIF neurons per core with or without STDP; "
                 f"rows of {max_row_synapses(False)} static / {max_row_synapses(True)} plastic "
                 f"synapses per post core; delays up to {1 + DELAY_EXTENSION_SLOTS} x a "
                 "core's native range"]
        for p in self.populations:
            lines.append(f"  population {p['label']!r}: {p['kind']} x{p['size']}, "
                         f"{p['cores']} core(s)"
                         + (f" at {p['neurons_per_core']} neurons/core"
                            if p['kind'] == 'IF_curr_exp' else ""))
        for pr in self.projections:
            err = pr["max_abs_weight_error"]
            lines.append(
                f"  projection {pr['label']!r}: {pr['connector']}, row {pr['max_row_synapses']}"
                f"/{pr['row_limit']} synapses, delay <= {pr['max_delay_steps']} steps "
                f"(native {pr['native_delay_steps']}"
                f"{', delay extension' if pr['delay_extension'] else ''}), weight LSB "
                f"{pr['weight_lsb']:.3g} nA, max rounding error {err:.3g} nA")
        for issue in self.errors + self.warnings:
            lines.append(f"  {issue}")
        return "\n".join(lines)


class _RunningStats:
    """Pooled mean and (sample) variance of groups given by (mean, variance, count)."""

    def __init__(self):
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0

    def add(self, mean: float, variance: float, n: int) -> None:
        if n <= 0:
            return
        total = self.n + n
        delta = mean - self.mean
        self.m2 += variance * (n - 1.0) + delta * delta * self.n * n / total
        self.mean = (self.n * self.mean + n * mean) / total
        self.n = total

    @property
    def variance(self) -> float:
        return 0.0 if self.n <= 1 else self.m2 / (self.n - 1.0)


def _expected_upper_bound(w_mean, w_std, rate, n_synapses, sigma, dt) -> float:
    """Upper bound of the summed input of one step for Poisson inputs (sPyNNaker's formula).

    Mean ``lambda * w_mean`` plus `sigma` standard deviations, with ``lambda = n_synapses *
    rate * dt`` expected arrivals per step and the variance of a Poisson sum of weights of
    mean `w_mean` and deviation `w_std` (``PopulationVertex._ring_buffer_expected_upper_bound``).
    """
    lam = n_synapses * rate * dt / 1000.0
    poisson_var = lam * w_mean ** 2
    upper = int(round(lam + POISSON_SIGMA_SUMMATION_LIMIT * math.sqrt(lam)))
    weight_var = 0.0
    if w_std > 0 and lam > 0:
        big_ratio = math.log(lam) * upper - special.gammaln(1 + upper)
        if -701.0 < big_ratio < 701.0 and big_ratio != 0.0:
            gammai = special.gammaincc(1 + upper, lam)
            weight_var = math.exp(-lam + math.log(lam) + 2.0 * math.log(w_std)
                                  + math.log(math.exp(lam) * gammai - math.exp(big_ratio)))
    return lam * w_mean + sigma * math.sqrt(poisson_var + weight_var)


def _row_counts(pr: ProjectionPlan, n_post_atoms: int, lo: float, hi: float) -> int:
    """Longest row (synapses of one pre neuron onto one post core) among delays in [lo, hi] ms.

    As sPyNNaker's connectors count it (``get_n_connections_from_pre_vertex_maximum``).
    """
    if pr.connector in ("OneToOne", "AllToAll"):
        if not lo <= pr.uniform_delay <= hi:
            return 0
        return 1 if pr.connector == "OneToOne" else n_post_atoms
    # a FromList without a delay column counts every synapse in any delay range
    sel = (pr.delay >= lo) & (pr.delay <= hi) if pr.delay_column else np.ones(pr.size, bool)
    if not np.any(sel):
        return 0
    pre = pr.pre_local[sel]
    core = pr.post_local[sel] // n_post_atoms
    n_cores = int(core.max()) + 1
    return int(np.bincount(pre * n_cores + core).max())


def _in_degree(pr: ProjectionPlan) -> int:
    """Largest number of this projection's synapses onto one post neuron (sPyNNaker's count)."""
    if pr.connector == "OneToOne":
        return 1
    if pr.connector == "AllToAll":
        return pr.pre.size
    return int(np.bincount(pr.post_local).max())


def _weight_stats(pr: ProjectionPlan, dt: float):
    """(mean, variance, maximum) of |weight| as sPyNNaker estimates them, and delay variance.

    Columns of a ``FromListConnector`` give sample statistics (its delays rounded to steps
    first, as ``FromListConnector.conn_list`` does); a value in the synapse type gives 0.
    """
    w = np.abs(pr.weight)
    if pr.weight_column:
        mean, var, wmax = float(w.mean()), float(w.var()), float(w.max())
    else:
        mean, var, wmax = float(w[0]), 0.0, float(w[0])
    d_var = float(np.var(pr.delay_steps * dt)) if pr.delay_column else 0.0
    if pr.plastic:
        wmax = max(wmax, pr.synapse.w_max)
        mean, var = wmax, 0.0
    return mean, var, wmax, d_var


def _source_cores(p) -> int:
    if p.kind == "SpikeSourceArray":
        return 1
    if p.kind == "SpikeSourcePoisson":
        return int(math.ceil(p.size / MAX_POISSON_PER_CORE))
    npc = min(p.neurons_per_core or MAX_NEURONS_PER_CORE, p.size)
    return int(math.ceil(p.size / npc))


def check_spinnaker(network, board="spinn5", weights: Optional[dict] = None,
                    neurons_per_core=None, poisson: str = "native", run_ms: float = 1000.0,
                    spikes_per_second: float = SPIKES_PER_SECOND,
                    ring_buffer_sigma: float = RING_BUFFER_SIGMA) -> SpinnakerReport:
    """Check `network` against SpiNNaker's constraints as sPyNNaker 1!7.4.1 applies them.

    Parameters
    ----------
    network : spikemem.Network
    board : {"spinn5", "spinn3"} or BoardSpec
        The board to fit (SpiNN-5: 48 chips; SpiNN-3: 4 chips).
    weights, neurons_per_core, poisson, run_ms
        As for `to_pynn_script` (the checker judges the script that call would write).
    spikes_per_second : float
        sPyNNaker's assumed maximum rate, Hz (cfg ``spikes_per_second``), used for weight
        scaling when delays vary and for split-core loads.
    ring_buffer_sigma : float
        sPyNNaker's cfg ``ring_buffer_sigma``.

    Returns
    -------
    SpinnakerReport
        Printable; ``report.ok`` is the predicted verdict, ``report.errors`` say why not.
    """
    plan = plan_network(network, weights=weights, run_ms=run_ms, poisson=poisson,
                        neurons_per_core=neurons_per_core, simulator="spiNNaker")
    return check_plan(plan, board, spikes_per_second, ring_buffer_sigma)


def check_plan(plan: NetworkPlan, board="spinn5", spikes_per_second: float = SPIKES_PER_SECOND,
               ring_buffer_sigma: float = RING_BUFFER_SIGMA) -> SpinnakerReport:
    """`check_spinnaker` on an already translated network (see `plan_network`)."""
    spec = board_spec(board)
    dt = plan.dt
    rep = SpinnakerReport(plan.label, spec, dt)
    _check_timestep(rep, plan)
    for problem in expressibility_problems(plan, "spiNNaker"):
        rep.errors.append(Issue("error", "stdp_mismatch", plan.label, problem,
                                "SynapticConfigurationException"))
    for label in plan.skipped:
        rep.warnings.append(Issue("warning", "empty_projection", label,
                                  f"projection {label!r} has no synapse and is not exported"))
    for p in plan.populations:
        if p.drive is not None:
            rep.warnings.append(Issue(
                "warning", "poisson_drive", p.label,
                f"sPyNNaker draws the counts of Poisson drive {p.label!r} itself ("
                f"{p.poisson.rate:g} Hz per neuron; the IR's seed {p.drive.seed} is not used): "
                "the same statistics, other spike trains, arriving one step later"))
        elif p.kind == "SpikeSourcePoisson":
            rep.warnings.append(Issue(
                "warning", "poisson_native", p.label,
                f"sPyNNaker draws the spikes of SpikeSourcePoisson {p.label!r} itself (the "
                f"IR's seed {p.poisson.seed} is not used); export with poisson='array' for "
                "the IR's exact spikes"))
    groups = {p.label: p for p in plan.populations}
    tsf = time_scale_factor(dt)
    de_needed: dict = {}
    proj_rows: dict = {}
    pop_rows = []
    for p in plan.populations:
        if p.is_source:
            pop_rows.append({"label": p.label, "kind": p.kind, "size": p.size,
                             "neurons_per_core": None, "cores": _source_cores(p),
                             "synapse_cores": 0, "native_delay_steps": None,
                             "weight_power": None, "sdram_bytes": 0})
            continue
        pop_rows.append(_check_population(rep, plan, p, groups, dt, tsf, de_needed, proj_rows,
                                          spikes_per_second, ring_buffer_sigma))
    rep.populations = pop_rows
    rep.projections = [proj_rows[pr.label] for pr in plan.projections]
    for pre_label, stages in de_needed.items():
        rep.delay_extensions.append({"pre": pre_label, "cores": _source_cores(groups[pre_label]),
                                     "stages": stages})
    _check_board(rep, spec)
    return rep


def _check_timestep(rep: SpinnakerReport, plan: NetworkPlan) -> None:
    dt_us = plan.dt * 1000.0
    if abs(dt_us - round(dt_us)) > 1e-6:
        rep.errors.append(Issue(
            "error", "timestep", plan.label,
            f"dt = {plan.dt} ms is not a whole number of microseconds; sPyNNaker rounds the "
            f"time step up to {math.ceil(dt_us)} us, a different network",
            "ConfigurationException"))
    elif plan.dt * time_scale_factor(plan.dt) < 0.1:
        rep.warnings.append(Issue(
            "warning", "timestep", plan.label,
            f"dt = {plan.dt} ms gives a hardware tick below 0.1 ms, which sPyNNaker warns is not "
            "reliably supported; set a larger time_scale_factor in the script's setup()"))


def _check_population(rep, plan, p, groups, dt, tsf, de_needed, proj_rows, sps, sigma) -> dict:
    label = p.label
    npc_asked = p.neurons_per_core or MAX_NEURONS_PER_CORE
    if npc_asked > MAX_NEURONS_PER_CORE:
        rep.errors.append(Issue(
            "error", "neurons_per_core", label,
            f"neurons_per_core = {npc_asked} is above sPyNNaker's maximum of "
            f"{MAX_NEURONS_PER_CORE} per core", "SpynnakerException"))
    core_max = min(npc_asked, MAX_NEURONS_PER_CORE)
    atoms = min(core_max, p.size)
    slices = int(math.ceil(p.size / atoms))
    incoming = plan.incoming(label)
    needed_steps = max((pr.max_delay_steps for pr in incoming), default=1)
    slots = 2 ** (MAX_RING_BUFFER_BITS - (n_bits(atoms) + 1))
    native = min(2 ** n_bits(needed_steps), slots)
    native_ms = native * dt

    # delay extensions, per application edge (pre group -> this population)
    edge_stages = {}
    for pre_label in dict.fromkeys(pr.pre.label for pr in incoming):
        edge = [pr for pr in incoming if pr.pre.label == pre_label]
        need_ms = max(float(pr.delay.max()) for pr in edge)
        if need_ms <= native_ms + 1e-9:
            edge_stages[pre_label] = 0
            continue
        limit_ms = native_ms * (1 + DELAY_EXTENSION_SLOTS)
        if need_ms > limit_ms + 1e-9:
            rep.errors.append(Issue(
                "error", "delay_too_long", ", ".join(pr.label for pr in edge),
                f"delay {need_ms} ms from {pre_label!r} to {label!r} exceeds the "
                f"{limit_ms} ms a post core of {atoms} neurons supports at dt = {dt} ms "
                f"({native} native steps + {DELAY_EXTENSION_SLOTS} x {native} through a delay "
                "extension)", "DelayExtensionException"))
        stages = int(math.ceil(need_ms / native_ms - 1e-9)) - 1
        edge_stages[pre_label] = stages
        de_needed[pre_label] = max(de_needed.get(pre_label, 0), stages)

    # synaptic rows, matrix size and weight scaling
    stats = {0: _RunningStats(), 1: _RunningStats()}
    delay_stats = {0: _RunningStats(), 1: _RunningStats()}
    biggest = {0: 0.0, 1: 0.0}
    total = {0: 0.0, 1: 0.0}
    spikes_per_tick = max(1.0, sps * dt / 1000.0)
    sdram = 0
    syn_per_second = 0.0
    for pr in incoming:
        stages = edge_stages[pr.pre.label]
        limit = max_row_synapses(pr.plastic)
        undelayed = _row_counts(pr, atoms, 0.0, native_ms + 1e-9)
        delayed = (_row_counts(pr, atoms, native_ms + 1e-9, native_ms * (stages + 1) + 1e-9)
                   if stages else 0)
        worst = max(undelayed, delayed)
        if worst > limit:
            rep.errors.append(Issue(
                "error", "row_too_long", pr.label,
                f"a presynaptic neuron of {pr.pre.label!r} has {worst} "
                f"{'plastic' if pr.plastic else 'static'} synapses onto one core of "
                f"{label!r} ({atoms} neurons/core), more than the {limit} a synaptic row holds; "
                f"reduce neurons_per_core of {label!r} to at most "
                f"{_fitting_npc(pr, limit, native_ms, atoms)}", "SynapseRowTooBigException"))
        pre_group = groups[pr.pre.label]
        pre_atoms = (min(pre_group.neurons_per_core or MAX_NEURONS_PER_CORE, pre_group.size)
                     if not pre_group.is_source else
                     (pre_group.size if pre_group.kind == "SpikeSourceArray"
                      else min(MAX_POISSON_PER_CORE, pre_group.size)))
        pre_rows = pre_atoms * int(math.ceil(pre_group.size / pre_atoms))
        for n_syn, mult in ((undelayed, 1), (delayed, stages)):
            if n_syn:
                sdram += pre_rows * mult * 4 * (row_words(n_syn, pr.plastic) + ROW_HEADER_WORDS)
        mean, var, wmax, d_var = _weight_stats(pr, dt)
        n_conns = _in_degree(pr)
        st = pr.synapse_type
        stats[st].add(mean, var, n_conns)
        delay_stats[st].add(0.0, d_var, n_conns)
        biggest[st] = max(biggest[st], wmax)
        total[st] += spikes_per_tick * wmax * n_conns
        syn_per_second += math.ceil(_row_counts(pr, core_max, 0.0, np.inf) * sps
                                    * pre_group.size)
        proj_rows[pr.label] = {
            "label": pr.label, "pre": pr.pre.label, "post": label, "connector": pr.connector,
            "n_synapses": pr.size, "plastic": pr.plastic, "receptor": pr.receptor,
            "max_row_synapses": worst, "row_limit": limit,
            "max_delay_steps": pr.max_delay_steps,
            "native_delay_steps": native, "delay_extension": bool(stages),
            "delay_stages": stages}
    powers = {}
    for st in (0, 1):
        if delay_stats[st].variance == 0.0:
            max_w = max(total[st], biggest[st])
        else:
            bound = _expected_upper_bound(stats[st].mean, math.sqrt(stats[st].variance), sps,
                                          stats[st].n, sigma, dt)
            max_w = max(min(bound, total[st]), biggest[st])
            if total[st] > 2.0 ** weight_power(max_w):
                rep.warnings.append(Issue(
                    "warning", "ring_buffer_saturation", label,
                    f"{('excitatory', 'inhibitory')[st]} input to {label!r} is scaled for an "
                    f"expected maximum of {max_w:.4g} nA per step (delays vary, so sPyNNaker "
                    f"uses a statistical bound); a summed input above {2.0 ** weight_power(max_w)}"
                    " nA in one step saturates"))
        powers[st] = weight_power(max_w)
    for pr in incoming:
        _weight_rounding(rep, pr, powers[pr.synapse_type], proj_rows[pr.label])

    synapse_cores = 0
    if tsf * dt < 1.0 and incoming:
        plastic = any(pr.plastic for pr in incoming)
        per_core = (STDP_SYNAPSES_PER_SECOND if plastic else STATIC_SYNAPSES_PER_SECOND) * tsf
        n_syn = int(math.ceil(syn_per_second / per_core))
        n_syn = min(n_syn, _MAX_SYNAPSE_CORES)
        if n_syn > 0:
            synapse_cores = slices * n_syn
    return {"label": label, "kind": "IF_curr_exp", "size": p.size, "neurons_per_core": atoms,
            "cores": slices + synapse_cores, "synapse_cores": synapse_cores,
            "native_delay_steps": native, "weight_power": {"excitatory": powers[0],
                                                           "inhibitory": powers[1]},
            "sdram_bytes": int(sdram)}


def _fitting_npc(pr: ProjectionPlan, limit: int, native_ms: float, atoms: int) -> int:
    """Largest neurons_per_core at which the projection's rows fit `limit`."""
    for n in range(atoms, 0, -1):
        if _row_counts(pr, n, 0.0, np.inf) <= limit:
            return n
    return 1


def _weight_rounding(rep: SpinnakerReport, pr: ProjectionPlan, power: int, row: dict) -> None:
    scale = 2.0 ** (15 - power)
    w = np.abs(pr.weight)
    q = np.rint(w * scale) / scale
    err = np.abs(q - w)
    row["weight_scale_power"] = power
    row["weight_lsb"] = 1.0 / scale
    row["max_abs_weight_error"] = float(err.max()) if err.size else 0.0
    nz = w > 0
    row["max_rel_weight_error"] = float((err[nz] / w[nz]).max()) if np.any(nz) else 0.0
    zeroed = int(np.count_nonzero(nz & (q == 0)))
    row["weights_rounded_to_zero"] = zeroed
    if pr.plastic:
        s = pr.synapse
        for name in ("w_min", "w_max", "A_plus", "A_minus"):
            if name.startswith("A") and s.multiplicative:
                continue
            v = getattr(s, name)
            row[f"{name}_error"] = float(abs(np.rint(v * scale) / scale - v))
    if zeroed:
        rep.warnings.append(Issue(
            "warning", "weight_zeroed", pr.label,
            f"{zeroed} non-zero weight(s) round to 0 at sPyNNaker's 16-bit scale of "
            f"{scale:g} per nA (LSB {1.0 / scale:.3g} nA)"))
    elif row["max_rel_weight_error"] > 0.01:
        rep.warnings.append(Issue(
            "warning", "weight_rounding", pr.label,
            f"weights round by up to {row['max_abs_weight_error']:.3g} nA "
            f"({100 * row['max_rel_weight_error']:.2g} %) at sPyNNaker's 16-bit scale "
            f"(LSB {1.0 / scale:.3g} nA)"))


def _check_board(rep: SpinnakerReport, spec: BoardSpec) -> None:
    cores = rep.cores
    if cores <= spec.app_cores:
        return
    if cores <= spec.n_chips * spec.cores_per_chip:
        exc = "PacmanPlaceException"
    elif spec.multi_board:
        exc = None
    else:
        exc = "SpinnMachineException"
    more = ("" if exc else "; sPyNNaker's virtual machine would grow to several boards")
    rep.errors.append(Issue(
        "error", "board_capacity", rep.network,
        f"needs {cores} application cores, more than the {spec.app_cores} of one "
        f"{spec.name} board{more}", exc))
