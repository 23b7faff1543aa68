"""Resources and energy of a network on SpiNNaker, from the checker's mapping and a recording.

The energy model is sPyNNaker's own (``spinn_machine`` 7.4.1, used by its energy report),
fed with spikemem's estimate of the mapping and, when given, the activity of a recording:

* the board draws its idle power for the whole (wall-clock) run: 26.84 W for a SpiNN-5
  board, 3.56 W for a SpiNN-3 (`BoardSpec.idle_watts`);
* every application core adds 0.034 W while the application runs
  (`WATTS_PER_ACTIVE_CORE`);
* every spike leaves its core as one 40-bit multicast packet, 25 pJ per bit = 1 nJ per
  router it crosses (`JOULES_PER_SPIKE_PACKET`, Painkras et al. 2013); spikemem counts one
  router per spike (the source chip's), a lower bound.

Synaptic events (a spike arriving at one synapse) cost core time rather than extra power:
a core processes 13 million static or 1.4 million plastic events per second
(`STATIC_SYNAPSES_PER_SECOND`, `STDP_SYNAPSES_PER_SECOND`; Knight & Furber 2016). The
estimate reports the events, the share of the active-core energy they account for
(``events / rate * 0.034 W``: about 2.6 nJ per static and 24 nJ per plastic event) and the
busiest post core's load; a load above 1 means that core cannot keep up in real time.

A Poisson drive (`spikemem.PoissonInput`, exported as a fast ``SpikeSourcePoisson``) is not
recorded: its expected input spikes (``n_inputs * rate`` per driven neuron over its active
window) count as synaptic events, and its packets as one per neuron and step with a nonzero
count (``size * steps * (1 - exp(-lam))``), the count travelling as the packet's payload.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from spikemem.errors import ValidationError
from spikemem.stimulus import SpikeSourceArray, SpikeSourcePoisson

from .spinnaker_check import SpinnakerReport, check_spinnaker
from .spinnaker_limits import (JOULES_PER_SPIKE_PACKET, STATIC_SYNAPSES_PER_SECOND,
                               STDP_SYNAPSES_PER_SECOND, WATTS_PER_ACTIVE_CORE,
                               time_scale_factor)

__all__ = ["estimate_spinnaker_resources", "SpinnakerResources"]


@dataclass
class SpinnakerResources:
    """Resources and energy of one run on SpiNNaker (see the module docstring).

    Attributes
    ----------
    report : SpinnakerReport
        The checker's mapping (cores, chips, errors).
    duration_ms : float
        Simulated time, ms.
    wall_s : float
        Wall-clock time on the board, s (simulated time x sPyNNaker's time scale factor).
    boards : int
    spikes : dict of str to float
        Spikes emitted per population or source (None without a recording).
    synaptic_events : dict of str to float
        Events per projection (None without a recording).
    peak_core_load : float or None
        Events per second of the busiest post core over what a core processes in real time.
    energy_j : dict of str to float
        ``idle``, ``active_cores``, ``spike_packets`` and ``total`` (J), and
        ``synaptic_processing`` (J, part of ``active_cores``).
    """

    report: SpinnakerReport
    duration_ms: float
    wall_s: float
    boards: int
    spikes: Optional[dict] = None
    synaptic_events: Optional[dict] = None
    peak_core_load: Optional[float] = None
    energy_j: dict = field(default_factory=dict)

    @property
    def total_events(self) -> Optional[float]:
        return None if self.synaptic_events is None else float(sum(self.synaptic_events.values()))

    def to_dict(self) -> dict:
        return {"cores": self.report.cores, "chips": self.report.chips, "boards": self.boards,
                "cores_by_kind": self.report.cores_by_kind, "duration_ms": self.duration_ms,
                "wall_s": self.wall_s, "spikes": self.spikes,
                "synaptic_events": self.synaptic_events, "total_events": self.total_events,
                "peak_core_load": self.peak_core_load, "energy_j": self.energy_j,
                "model": "sPyNNaker 7.4.1 energy model (spinn_machine VersionSpin1/Version5)"}

    def __str__(self) -> str:
        e = self.energy_j
        lines = [f"SpiNNaker resources of {self.report.network!r}: {self.report.cores} cores on "
                 f"~{self.report.chips} chips ({self.boards} {self.report.board.name} board(s)), "
                 f"{self.duration_ms} ms simulated = {self.wall_s:.4g} s on the board"]
        if self.synaptic_events is not None:
            lines.append(f"  {sum(self.spikes.values()):.6g} spikes, {self.total_events:.6g} "
                         f"synaptic events; busiest core at {100 * self.peak_core_load:.3g} % "
                         "of real-time capacity")
        lines.append(f"  energy: {e['total']:.4g} J = idle {e['idle']:.4g} + cores "
                     f"{e['active_cores']:.4g} + packets {e['spike_packets']:.3g} J"
                     + (f" (synaptic processing {e['synaptic_processing']:.3g} J of the cores')"
                        if self.synaptic_events is not None else ""))
        return "\n".join(lines)


def _active_ms(start: float, duration: float, duration_ms: float) -> float:
    """Time (ms) a source or drive active from `start` for `duration` fires within a run."""
    return max(0.0, min(duration_ms, start + duration) - start)


def _drive_traffic(drive, dt: float, duration_ms: float) -> tuple:
    """(input spikes per driven neuron, packets) of a Poisson drive over a run: sPyNNaker's
    fast source sends one packet per neuron and step with a nonzero count (as its payload)."""
    active = _active_ms(drive.start, drive.duration, duration_ms)
    lam = drive.expected_count(dt)
    packets = drive.size * (active / dt) * -math.expm1(-lam)
    return drive.n_inputs * drive.rate * active / 1000.0, packets


def _spike_counts(network, recording, duration_ms: float) -> dict:
    """Spikes per neuron of every population and source, shape (size,) each."""
    counts = {}
    for group in list(network.populations) + list(network.sources):
        if recording is not None and group.label in recording.sizes:
            t, i = recording.spikes(group.label)
            keep = t < duration_ms
            counts[group.label] = np.bincount(i[keep], minlength=group.size).astype(float)
        elif isinstance(group, SpikeSourceArray):
            keep = group.times < duration_ms
            counts[group.label] = np.bincount(group.ids[keep], minlength=group.size).astype(float)
        elif isinstance(group, SpikeSourcePoisson):
            active = _active_ms(group.start, group.duration, duration_ms)
            counts[group.label] = np.full(group.size, group.rate * active / 1000.0)
        else:
            raise ValidationError(
                f"estimate_spinnaker_resources: the recording has no spikes of population "
                f"{group.label!r} (record its spikes to count synaptic events)")
    return counts


def estimate_spinnaker_resources(network, recording=None, duration_ms: Optional[float] = None,
                                 board="spinn5", report: Optional[SpinnakerReport] = None,
                                 **check_options) -> SpinnakerResources:
    """Cores, chips, synaptic events and energy of running `network` on SpiNNaker.

    Parameters
    ----------
    network : spikemem.Network
    recording : spikemem.Recording, optional
        A run of `network` (any backend); gives spikes and synaptic events. Without it only
        the activity-independent energy (idle board and active cores) is estimated.
    duration_ms : float, optional
        Simulated time, ms (default: the recording's ``t_stop``; required without one).
    board : {"spinn5", "spinn3"}
    report : SpinnakerReport, optional
        A `check_spinnaker` report to reuse (else one is computed with `check_options`).
    **check_options
        Passed to `check_spinnaker`.

    Returns
    -------
    SpinnakerResources
    """
    if report is None:
        report = check_spinnaker(network, board=board, **check_options)
    if duration_ms is None:
        if recording is None:
            raise ValidationError("estimate_spinnaker_resources: give duration_ms (ms) or a "
                                  "recording")
        duration_ms = recording.t_stop
    if not (isinstance(duration_ms, (int, float)) and math.isfinite(duration_ms)
            and duration_ms > 0):
        raise ValidationError(f"estimate_spinnaker_resources: duration_ms must be > 0 ms, "
                              f"got {duration_ms!r}")
    tsf = time_scale_factor(network.dt)
    wall_s = duration_ms / 1000.0 * tsf
    spec = report.board
    boards = max(1, int(math.ceil(report.chips / spec.n_chips)))
    energy = {"idle": boards * spec.idle_watts * wall_s,
              "active_cores": report.cores * WATTS_PER_ACTIVE_CORE * wall_s}
    res = SpinnakerResources(report, float(duration_ms), wall_s, boards)
    counts = _spike_counts(network, recording, duration_ms) if recording is not None else None
    packets = 0.0
    if counts is not None:
        sending = {p.pre_population.label for p in network.projections}
        res.spikes = {k: float(v.sum()) for k, v in counts.items()}
        packets = sum(res.spikes[k] for k in sending)
        events, processing, loads = {}, 0.0, []
        per_neuron_load = {p.label: np.zeros(p.size) for p in network.populations}
        for proj in network.projections:
            pre_counts = counts[proj.pre_population.label][proj.pre_idx]
            events[proj.label] = float(pre_counts.sum())
            rate = STDP_SYNAPSES_PER_SECOND if proj.plastic else STATIC_SYNAPSES_PER_SECOND
            processing += events[proj.label] / rate * WATTS_PER_ACTIVE_CORE
            np.add.at(per_neuron_load[proj.post_population.label], proj.post_idx,
                      pre_counts / rate)
        for row in report.populations:
            if row["kind"] != "IF_curr_exp":
                continue
            busy = per_neuron_load[row["label"]]
            n = row["neurons_per_core"]
            for start in range(0, busy.size, n):
                loads.append(busy[start:start + n].sum() / wall_s)
        for drive in network.drives:
            per_neuron, drive_packets = _drive_traffic(drive, network.dt, duration_ms)
            res.spikes[drive.label] = per_neuron * drive.size
            packets += drive_packets
            events[drive.label] = res.spikes[drive.label]
            processing += events[drive.label] / STATIC_SYNAPSES_PER_SECOND * \
                WATTS_PER_ACTIVE_CORE
            per_neuron_load[drive.population.label][drive.offset:drive.offset + drive.size] \
                += per_neuron / STATIC_SYNAPSES_PER_SECOND
        res.synaptic_events = events
        res.peak_core_load = float(max(loads, default=0.0))
        energy["synaptic_processing"] = processing
    energy["spike_packets"] = packets * JOULES_PER_SPIKE_PACKET
    energy["total"] = energy["idle"] + energy["active_cores"] + energy["spike_packets"]
    res.energy_j = energy
    return res
