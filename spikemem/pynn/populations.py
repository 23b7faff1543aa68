"""Population, PopulationView and Assembly of spikemem.pynn (PyNN's common classes, with
parameters stored as arrays and handed to the IR when the network is built)."""
from __future__ import annotations

import numpy as np
from pyNN import common, errors
from pyNN.parameters import LazyArray, ParameterSpace, simplify
from pyNN.standardmodels import StandardCellType

from ..errors import UnsupportedFeature
from . import simulator
from .builder import cell_types, check_poisson
from .recording import Recorder

__all__ = ["Population", "PopulationView", "Assembly"]

_STATE_VARIABLES = ("v", "isyn_exc", "isyn_inh")


class Assembly(common.Assembly):
    _simulator = simulator


class _SpinnakerSet:
    """sPyNNaker's habits: ``group[range(...)]`` selects a view, and ``set(v=...)`` sets the
    initial membrane potential (conventions "spinnaker"; under "pynn" it is refused as PyNN
    0.13 refuses it). Also: ``write_data`` to an ``.nwb`` file adds the session fields NWB
    requires."""

    def __getitem__(self, index):
        # sPyNNaker indexes with a range; PyNN 0.13 wants a slice or an array
        if isinstance(index, range):
            index = slice(index.start, index.stop, index.step)
        return super().__getitem__(index)

    def write_data(self, io, variables="all", gather=True, clear=False, annotations=None,
                   locations=None):
        # Neo's NWBIO refuses a block without the NWB session fields, which PyNN never sets
        if str(getattr(io, "filename", io)).endswith(".nwb"):
            annotations = {"session_start_time": simulator.state.started,
                           "session_description": f"spikemem.pynn: {self.label}",
                           "identifier": str(self.label), **(annotations or {})}
        super().write_data(io, variables, gather, clear, annotations, locations)

    def set(self, **parameters):
        if simulator.state.conventions == "spinnaker":
            initial = {k: parameters.pop(k) for k in list(parameters) if k in _STATE_VARIABLES}
            if initial:
                self.initialize(**initial)
        if parameters:
            super().set(**parameters)


class PopulationView(_SpinnakerSet, common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    def __init__(self, parent, selector, label=None):
        # sPyNNaker (and so sPyMem) select with a range or a list; PyNN 0.13 wants a slice
        # or an array
        if isinstance(selector, range):
            selector = slice(selector.start, selector.stop, selector.step)
        elif isinstance(selector, (list, tuple)):
            selector = np.asarray(selector)
        super().__init__(parent, selector, label)

    def _get_parameters(self, *names):
        return _get_parameters(self, names)

    def _get_native_parameters(self, *names):
        values = {}
        for name in names:
            value = self.parent._parameters[name]
            if isinstance(value, np.ndarray):
                value = value[self.mask]
            values[name] = simplify(value)
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        parameter_space.evaluate(simplify=False)
        for name, value in parameter_space.items():
            self.grandparent._store_parameter(
                name, value, self.index_in_grandparent(np.arange(self.size)))

    def initialize(self, **initial_values):
        # PyNN 0.13's PopulationView.initialize stores into `initial_values`, which views do
        # not implement (NotImplementedError in every backend): set the parent's values
        for variable, value in initial_values.items():
            self._set_initial_value_array(variable, LazyArray(value, shape=(self.size,),
                                                              dtype=float))

    def _set_initial_value_array(self, variable, initial_values):
        idx = self.index_in_grandparent(np.arange(self.size))
        self.grandparent._store_initial(variable, initial_values.evaluate(simplify=False), idx)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(_SpinnakerSet, common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        state = simulator.state
        kind = type(self.celltype).__name__
        if not isinstance(self.celltype, StandardCellType) or kind not in (
                "IF_curr_exp", "SpikeSourceArray", "SpikeSourcePoisson"):
            raise UnsupportedFeature(
                f"spikemem.pynn: population {self.label!r} has cell type {kind}; supported: "
                "IF_curr_exp, SpikeSourceArray, SpikeSourcePoisson")
        ids = np.arange(state.id_counter, state.id_counter + self.size)
        self.all_cells = np.array([simulator.ID(i) for i in ids], dtype=simulator.ID)
        self._mask_local = np.ones(self.size, bool)
        space = self.celltype.native_parameters
        space.shape = (self.size,)
        space.evaluate(simplify=False)
        self._parameters = space.as_dict()
        trains = self._parameters.get("spike_times")
        if trains is not None and not isinstance(trains, np.ndarray):
            # one Sequence shared by every neuron: store one per neuron, so views can set theirs
            self._parameters["spike_times"] = np.empty(self.size, dtype=object)
            for i in range(self.size):
                self._parameters["spike_times"][i] = trains
        self._check_parameters()
        self._initial = {}
        self._carry_v = None
        self._reinit = False
        self._spikes_cache = None
        for cell in self.all_cells:
            cell.parent = self
        state.id_counter += self.size
        state.populations.append(self)
        state.dirty = True

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _get_parameters(self, *names):
        return _get_parameters(self, names)

    def _get_native_parameters(self, *names):
        return ParameterSpace({n: simplify(self._parameters[n]) for n in names},
                              shape=(self.size,))

    def _set_parameters(self, parameter_space):
        parameter_space.evaluate(simplify=False)
        for name, value in parameter_space.items():
            self._store_parameter(name, value, slice(None))

    def _set_initial_value_array(self, variable, initial_values):
        self._store_initial(variable, initial_values.evaluate(simplify=False), slice(None))

    # -- storage shared with views ---------------------------------------------------------
    def _store_parameter(self, name, value, index):
        self._parameters[name][index] = value
        self._spikes_cache = None
        self._check_parameters()
        state = simulator.state
        if name != "spike_times":       # spike times go to the engine run by run
            state.dirty = True

    def _store_initial(self, variable, values, index):
        if variable not in _STATE_VARIABLES or type(self.celltype).__name__ != "IF_curr_exp":
            return
        values = np.broadcast_to(np.asarray(values, float), (self.size,))[index]
        if variable != "v":
            if np.any(values != 0.0):
                raise UnsupportedFeature(
                    f"spikemem.pynn: population {self.label!r}: initial {variable} must be 0 "
                    "nA (the IR starts synaptic currents at zero); initialize only v")
            return
        self._initial.setdefault("v", np.full(self.size, self.celltype.default_initial_values["v"]))
        self._initial["v"][index] = values
        state = simulator.state
        if state.engine is not None:
            self._reinit = True
            self._carry_v = None
            state.dirty = True

    def _initial_array(self, variable: str) -> np.ndarray:
        """Initial values of `variable` (mV for v), shape (size,)."""
        return self._initial[variable].copy()

    def _records(self, variable: str) -> bool:
        return any(var.name == variable and ids for var, ids in self.recorder.recorded.items())

    def _check_parameters(self):
        """Refuse values the IR cannot take now, rather than at the first run."""
        kind = type(self.celltype).__name__
        if kind == "IF_curr_exp":
            cell_types(self)
        elif kind == "SpikeSourcePoisson":
            check_poisson(self, simulator.state.dt)
        if "spike_times" not in self._parameters:
            return
        dt = simulator.state.dt
        for i, seq in enumerate(self._parameters["spike_times"]):
            t = np.asarray(getattr(seq, "value", seq), float).ravel()
            if np.any(np.diff(t) < 0) or np.any(t < 0) or not np.all(np.isfinite(t)):
                raise errors.InvalidParameterValueError(
                    f"population {self.label!r}: spike_times of neuron {i} must be finite, "
                    f">= 0 ms and in increasing order, got {t.tolist()}")
            steps = np.floor(t / dt + 0.5)
            if np.any(np.diff(steps) == 0):
                k = int(np.nonzero(np.diff(steps) == 0)[0][0])
                raise errors.InvalidParameterValueError(
                    f"population {self.label!r}: neuron {i} has two spikes ({t[k]} and "
                    f"{t[k + 1]} ms) in one time step of {dt} ms; a source fires at most once "
                    "per step (spikes are on the time-step grid)")

    def _spike_array(self):
        """All spike times (ms) and neuron indices of a SpikeSourceArray, flat, sorted by time."""
        if self._spikes_cache is None:
            trains = [np.asarray(getattr(s, "value", s), float).ravel()
                      for s in self._parameters["spike_times"]]
            times = np.concatenate(trains) if trains else np.zeros(0)
            ids = np.repeat(np.arange(self.size), [t.size for t in trains])
            order = np.argsort(times, kind="stable")
            self._spikes_cache = (times[order], ids[order])
        return self._spikes_cache


def _get_parameters(group, names):
    celltype = group.celltype
    if any(name in celltype.computed_parameters() for name in names):
        native = celltype.get_native_names()
    else:
        native = celltype.get_native_names(*names)
    return celltype.reverse_translate(group._get_native_parameters(*native))
