"""Recorder of spikemem.pynn: PyNN's recording machinery over what the engine recorded.

Spikes of every neuron are always recorded by the engine (they are cheap); membrane traces
(``v``) only for populations that ask for them. PyNN's `Recorder` turns what this class
returns into Neo objects (`get_data`, `write_data`).
"""
from __future__ import annotations

import numpy as np
from pyNN import recording

from ..errors import UnsupportedFeature
from . import simulator

__all__ = ["Recorder"]

RECORDABLE = ("spikes", "v")


class Recorder(recording.Recorder):
    _simulator = simulator

    def _record(self, variable, new_ids, sampling_interval=None):
        if variable.name not in RECORDABLE:
            raise UnsupportedFeature(
                f"spikemem.pynn: population {self.population.label!r} cannot record "
                f"{variable.name!r}; recordable: {', '.join(RECORDABLE)} (synaptic currents "
                "and conductances are not recorded by the engine)")
        if sampling_interval not in (None, self._simulator.state.dt):
            raise UnsupportedFeature(
                f"spikemem.pynn: population {self.population.label!r}: sampling_interval "
                f"{sampling_interval!r} ms; the engine samples every time step "
                f"({self._simulator.state.dt} ms): leave sampling_interval unset")
        if variable.name == "v":
            self._simulator.state.dirty = True

    def _indices(self, ids):
        return self.population.id_to_index(np.fromiter(ids, dtype=int, count=len(ids)))

    def _data(self):
        data = self._simulator.state.recorded(self.population)
        start = float(self._recording_start_time)
        times, idx = data["spikes"]
        keep = times >= start - 1e-9
        data["spikes"] = (times[keep], idx[keep])
        if "v" in data:
            t_v, v = data["v"]
            keep = t_v >= start - 1e-9
            data["v"] = (t_v[keep], v[keep])
        return data

    def _get_spiketimes(self, ids, clear=False):
        ids = list(ids)
        times, idx = self._data()["spikes"]
        wanted = np.zeros(self.population.size, bool)
        if ids:
            wanted[self._indices(ids)] = True
        sel = wanted[idx]
        return self.population.all_cells[idx[sel]].astype(int), times[sel].copy()

    def _get_all_signals(self, variable, ids, clear=False):
        ids = list(ids)
        data = self._data()
        if variable.name != "v" or "v" not in data or not ids:
            return np.zeros((0, len(ids))), None
        t_v, v = data["v"]
        v = v[:, self._indices(ids)]
        # `v` recorded from a later run than the recording's start: NaN before, so that the
        # signal's time axis (t_start + k dt) stays true
        dt = self._simulator.state.dt
        missing = int(round((t_v[0] - float(self._recording_start_time)) / dt)) if t_v.size else 0
        if missing > 0:
            v = np.vstack([np.full((missing, v.shape[1]), np.nan), v])
        return v, None

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        _, idx = self._data()["spikes"]
        counts = np.bincount(idx, minlength=self.population.size)
        return {int(i): int(counts[self.population.id_to_index(i)]) for i in ids}

    def _clear_simulator(self):
        pass

    def _reset(self):
        pass
