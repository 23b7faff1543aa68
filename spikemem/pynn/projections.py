"""Projection of spikemem.pynn: PyNN's connectors produce explicit connection arrays, which
the IR receives as they are (see `builder`).

Weight signs: the IR stores weight magnitudes and takes the sign from the receptor. Under
conventions "spinnaker" an inhibitory weight may be given positive (sPyNNaker) or negative
(PyNN); under "pynn" it must be <= 0, as PyNN 0.13 documents for current-based cells.
`get` reports weights with the sign they were given.
"""
from __future__ import annotations

import numpy as np
from pyNN import common
from pyNN.core import is_listlike
from pyNN.space import Space

from ..errors import UnsupportedFeature, ValidationError
from . import simulator
from .standardmodels import StaticSynapse

__all__ = ["Projection", "Connection"]


class Connection(common.Connection):
    """One connection of a projection, read through the projection's arrays."""

    def __init__(self, projection, index):
        self.projection = projection
        self.index = index

    def _value(self, name):
        return self.projection._attribute_values(name)[self.index]

    presynaptic_index = property(lambda self: self._value("presynaptic_index"))
    postsynaptic_index = property(lambda self: self._value("postsynaptic_index"))
    weight = property(lambda self: self._value("weight"))
    delay = property(lambda self: self._value("delay"))

    def as_tuple(self, *attribute_names):
        return tuple(self._value(name) for name in attribute_names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(),
                 label=None):
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type, space, label)
        state = simulator.state
        if self.label is None:
            self.label = f"projection{len(state.projections)}"
        if source not in (None, "spikes"):
            raise UnsupportedFeature(f"spikemem.pynn: projection {self.label!r}: source "
                                     f"{source!r}; only spikes are transmitted")
        self._chunks = []
        self._conn = None
        self._sign = 1.0
        self._carry_w = None
        connector.connect(self)
        self._connections()                       # checks the weights' signs now
        state.projections.append(self)
        state.dirty = True

    def _guess_receptor_type(self):
        # PyNN guesses from the order of post.receptor_types, which an Assembly returns as a
        # set (random order); IF_curr_exp's order is excitatory, inhibitory: decide by sign
        weights = self.synapse_type.parameter_space["weight"]
        try:
            w = float(np.min(weights.evaluate() if weights.shape else weights.base_value))
        except (TypeError, ValueError):
            w = 0.0
        self.receptor_type = "inhibitory" if w < 0 else "excitatory"

    def __len__(self):
        return int(self._connections()["pre"].size)

    @property
    def connections(self):
        return (Connection(self, i) for i in range(len(self)))

    def __getitem__(self, i):
        return Connection(self, i)

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        if location_selector is not None:
            raise UnsupportedFeature("spikemem.pynn: location_selector (multicompartment "
                                     "neurons) is not supported; use point neurons")
        pre = np.atleast_1d(np.asarray(presynaptic_indices, np.int64))
        chunk = {"pre": pre, "post": np.full(pre.size, int(postsynaptic_index), np.int64)}
        for name, value in connection_parameters.items():
            if name == "dendritic_delay_fraction":
                continue
            chunk[name] = (np.asarray(value, float) if is_listlike(value)
                           else np.full(pre.size, float(value)))
        self._chunks.append(chunk)
        self._conn = None

    def _connections(self) -> dict:
        """All connections as arrays: "pre"/"post" (indices in self.pre/self.post), "weight"
        (as given), "delay" (ms) and any plasticity parameters; shape (n,) each."""
        if self._conn is None:
            names = set().union(*self._chunks) if self._chunks else {"pre", "post"}
            conn = {n: np.concatenate([c[n] for c in self._chunks]) if self._chunks
                    else np.zeros(0) for n in names | {"weight", "delay"}}
            conn["pre"] = conn["pre"].astype(np.int64)
            conn["post"] = conn["post"].astype(np.int64)
            self._chunks = [conn]
            self._conn = conn
            self._ir_weights(conn["weight"])
        return self._conn

    def _ir_weights(self, weights) -> np.ndarray:
        """Weights as the IR holds them (magnitudes, nA), after checking their signs."""
        w = np.asarray(weights, float)
        neg, pos = np.any(w < 0), np.any(w > 0)
        if self.receptor_type == "excitatory" and neg:
            raise ValidationError(f"Projection {self.label!r}: excitatory weights must be "
                                  f">= 0 nA, got {w.min()!r}")
        if self.receptor_type == "inhibitory":
            if neg and pos:
                raise ValidationError(f"Projection {self.label!r}: inhibitory weights must "
                                      "all have one sign")
            if pos and simulator.state.conventions == "pynn":
                raise ValidationError(
                    f"Projection {self.label!r}: under PyNN's conventions inhibitory weights "
                    f"of current-based cells are <= 0 nA, got {w.max()!r}; for sPyNNaker's "
                    "positive inhibitory weights use setup(conventions='spinnaker')")
            if neg:
                self._sign = -1.0
        return np.abs(w)

    # -- attributes ------------------------------------------------------------------------
    def _attribute_values(self, name) -> np.ndarray:
        c = self._connections()
        if name == "presynaptic_index":
            return c["pre"]
        if name == "postsynaptic_index":
            return c["post"]
        if name == "weight":
            return self._sign * simulator.state.current_weights(self)
        if name not in c:
            raise ValidationError(f"Projection {self.label!r} has no attribute {name!r}; it "
                                  f"has {sorted(set(c) - {'pre', 'post'})}")
        return c[name]

    def _get_attributes_as_list(self, names):
        values = [self._attribute_values(n) for n in names]
        return [tuple(row) for row in np.array(values, dtype=object).T] if values else []

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        aggregate = {"sum": (np.add.at, 0.0), "min": (np.minimum.at, np.inf),
                     "max": (np.maximum.at, -np.inf)}
        if multiple_synapses not in aggregate:
            raise ValidationError(f"Projection.get: multiple_synapses must be one of "
                                  f"{sorted(aggregate)}, got {multiple_synapses!r}")
        func, start = aggregate[multiple_synapses]
        c = self._connections()
        shape = (self.pre.size, self.post.size)
        connected = np.zeros(shape, bool)
        connected[c["pre"], c["post"]] = True
        out = []
        for name in names:
            arr = np.full(shape, start)
            func(arr, (c["pre"], c["post"]), self._attribute_values(name))
            arr[~connected] = np.nan
            out.append(arr)
        return out

    def _set_attributes(self, parameter_space):
        parameter_space.evaluate()
        c = self._connections()
        state = simulator.state
        for name, value in parameter_space.items():
            if name not in c:
                raise ValidationError(f"Projection {self.label!r}: cannot set {name!r}; it "
                                      f"has {sorted(set(c) - {'pre', 'post'})}")
            new = (np.asarray(value, float)[c["pre"], c["post"]] if np.ndim(value) == 2
                   else np.full(c["pre"].size, float(value)))
            if name == "weight":
                weights = self._ir_weights(new)
                c["weight"] = new
                state.set_weights(self, weights)
            else:
                c[name] = new
                state.dirty = True

    def _set_initial_value_array(self, variable, value):
        raise UnsupportedFeature(f"spikemem.pynn: projection {self.label!r}: plasticity "
                                 f"state {variable!r} cannot be initialised (pair STDP keeps "
                                 "only traces, which start at zero)")
