"""The IR: populations, population views, projections and the network that holds them.

Objects are frozen and validated on construction. A `Projection` materialises its connector
at once into explicit arrays (pre, post, weight, delay), indexed in the *parent* population's
numbering, so that every backend and exporter sees the same connections.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional, Union

import numpy as np

from ._repr import short_repr
from .connectors import (AllToAll, FixedProbability, FixedTotalNumber, FromList, OneToOne,
                         connector_from_dict)
from .errors import ValidationError, check_in
from .neurons import IF_curr_exp, cell_type_from_dict
from .poisson_input import PoissonInput, poisson_input_from_dict
from .stimulus import SpikeSourceArray, SpikeSourcePoisson, source_from_dict
from .synapses import PlasticSynapseType, StaticSynapse, SynapseType, synapse_from_dict
from .validation import (MAX_DELAY_STEPS, MAX_SIZE, as_dict, check_connection_arrays,
                         check_integer, check_label, check_number, check_real_array,
                         from_description, without_negative_zeros)
from .views import PopulationView, Sliceable

__all__ = ["Population", "PopulationView", "Projection", "Network", "RECEPTORS"]

RECEPTORS = ("excitatory", "inhibitory")
_RECORDABLE = ("spikes", "v")


@dataclass(frozen=True, eq=False)
class Population(Sliceable):
    """A group of identical neurons.

    Parameters
    ----------
    size : int
        Number of neurons (>= 1).
    celltype : IF_curr_exp
        Cell type and parameters.
    label : str, optional
        Unique name within a network (assigned by `Network.add` if omitted).
    initial_v : float or array_like, optional
        Initial membrane potential, mV (scalar or shape (size,)); default ``v_rest``.
    record : tuple of str
        What to record: ``"spikes"`` and/or ``"v"``.
    """

    size: int
    celltype: IF_curr_exp
    label: Optional[str] = None
    initial_v: Optional[Union[float, np.ndarray]] = None
    record: tuple = ("spikes",)

    __repr__ = short_repr

    def __post_init__(self):
        owner = f"Population {self.label!r}"
        check_label(owner, self.label)
        object.__setattr__(self, "size", check_integer(owner, "size", self.size, 1, MAX_SIZE))
        if not isinstance(self.celltype, IF_curr_exp):
            raise ValidationError(
                f"{owner}: celltype must be an IF_curr_exp instance, got {self.celltype!r}")
        if self.initial_v is not None:
            v = self.initial_v
            if np.ndim(v) == 0:
                v = check_number(owner, "initial_v", v, unit="mV")
            else:
                v = check_real_array(owner, "initial_v", v, length=self.size, unit="mV")
            object.__setattr__(self, "initial_v", v)
        rec = (self.record,) if isinstance(self.record, str) else self.record
        if not isinstance(rec, (tuple, list)):
            raise ValidationError(f"{owner}: record must be a tuple of names from "
                                  f"{_RECORDABLE}, got {rec!r}")
        for r in rec:
            check_in(owner, "record", r, set(_RECORDABLE))
        object.__setattr__(self, "record", tuple(rec))

    def initial_v_array(self) -> np.ndarray:
        """Initial membrane potentials, mV, shape (size,)."""
        if self.initial_v is None:
            return np.full(self.size, self.celltype.v_rest)
        return np.broadcast_to(np.asarray(self.initial_v, float), (self.size,)).copy()

    def to_dict(self) -> dict:
        return {"type": "Population", "size": self.size, "celltype": self.celltype.to_dict(),
                "label": self.label, "initial_v": self.initial_v, "record": list(self.record)}


def _parent(group):
    return group.parent if isinstance(group, PopulationView) else group


def _offset(group) -> int:
    return group.start if isinstance(group, PopulationView) else 0


@dataclass(frozen=True, eq=False)
class Projection:
    """Synapses from a pre group to a post population, with explicit arrays.

    Parameters
    ----------
    pre : Population, spike source, or PopulationView of either
    post : Population or PopulationView of one
    connector : OneToOne, AllToAll, FixedProbability or FromList
    synapse : StaticSynapse, STDP or ConsolidatingSTDP
    receptor : {"excitatory", "inhibitory"}
    label : str, optional
    record_weights : bool
        If the projection is plastic, store a snapshot of its weights in the recording at the
        end of every ``Simulator.run`` call (default True; switch off for long sessions of
        many short runs).

    Attributes
    ----------
    pre_idx, post_idx : ndarray of int64, shape (n,)
        Indices in the parent populations' numbering.
    weight : ndarray of float, shape (n,)
        Initial weights, nA (>= 0; the receptor gives the sign).
    delay : ndarray of float, shape (n,)
        Delays, ms; NaN until the projection is added to a network (then one step).
    """

    pre: object
    post: object
    connector: object
    synapse: object = dataclasses.field(default_factory=StaticSynapse)
    receptor: str = "excitatory"
    label: Optional[str] = None
    record_weights: bool = True
    pre_idx: Optional[np.ndarray] = None
    post_idx: Optional[np.ndarray] = None
    weight: Optional[np.ndarray] = None
    delay: Optional[np.ndarray] = None

    __repr__ = short_repr

    def __post_init__(self):
        owner = f"Projection {self.label!r}"
        check_label(owner, self.label)
        check_in(owner, "receptor", self.receptor, set(RECEPTORS))
        if not isinstance(_parent(self.post), Population):
            raise ValidationError(f"{owner}: post must be a Population or a view of one, "
                                  f"got {type(_parent(self.post)).__name__}")
        if not isinstance(_parent(self.pre), (Population, SpikeSourceArray, SpikeSourcePoisson)):
            raise ValidationError(f"{owner}: pre must be a Population or spike source, "
                                  f"got {type(_parent(self.pre)).__name__}")
        if not isinstance(self.synapse, SynapseType):
            raise ValidationError(f"{owner}: synapse must be StaticSynapse, STDP or "
                                  f"ConsolidatingSTDP, got {self.synapse!r}")
        if not isinstance(self.record_weights, (bool, np.bool_)):
            raise ValidationError(f"{owner}: record_weights must be True or False, "
                                  f"got {self.record_weights!r}")
        if not isinstance(self.connector, _CONNECTOR_TYPES):
            raise ValidationError(f"{owner}: connector must be one of "
                                  f"{[c.__name__ for c in _CONNECTOR_TYPES]}, got "
                                  f"{type(self.connector).__name__}")
        explicit = (self.pre_idx, self.post_idx, self.weight, self.delay)
        if all(a is None for a in explicit):
            pre, post, w, d = self.connector.connect(self.pre.size, self.post.size)
            n = pre.size
            w = _uniform(self.synapse.weight, n) if w is None else w
            default_d = np.nan if self.synapse.delay is None else self.synapse.delay
            d = _uniform(default_d, n) if d is None else d
            explicit = (_global_index(pre, self.pre), _global_index(post, self.post), w, d)
        arrays = check_connection_arrays(
            owner, *explicit, pre_range=(_offset(self.pre), self.pre.size),
            post_range=(_offset(self.post), self.post.size))
        for name, arr in zip(("pre_idx", "post_idx", "weight", "delay"), arrays):
            object.__setattr__(self, name, arr)
        if isinstance(self.synapse, PlasticSynapseType):
            s = self.synapse
            hi = getattr(s, "fast_max", s.w_max)
            if np.any(self.weight < s.w_min) or np.any(self.weight > hi):
                raise ValidationError(
                    f"{owner}: initial weights must lie in [{s.w_min}, {hi}] nA (the "
                    f"synapse's w_min and upper weight bound)")
            object.__setattr__(self, "weight", without_negative_zeros(self.weight))
        if np.any(self.weight < 0) or not np.all(np.isfinite(self.weight)):
            raise ValidationError(f"{owner}: weights must be finite and >= 0 nA")

    @property
    def pre_population(self):
        return _parent(self.pre)

    @property
    def post_population(self):
        return _parent(self.post)

    @property
    def size(self) -> int:
        """Number of synapses."""
        return int(self.pre_idx.size)

    @property
    def plastic(self) -> bool:
        return bool(self.synapse.plastic)

    def to_dict(self) -> dict:
        return {"type": "Projection", "pre": _group_ref(self.pre), "post": _group_ref(self.post),
                "connector": self.connector.to_dict(), "synapse": self.synapse.to_dict(),
                "receptor": self.receptor, "label": self.label,
                "record_weights": bool(self.record_weights), "pre_idx": self.pre_idx,
                "post_idx": self.post_idx, "weight": self.weight, "delay": self.delay}


def _uniform(value: float, n: int) -> np.ndarray:
    """A read-only length-`n` float64 view of one value: a synapse parameter the synapse type
    sets for all synapses costs no memory per synapse (10^8 synapses would need 800 MB)."""
    return np.broadcast_to(np.float64(value), (n,))


def _uniform_value(arr: np.ndarray):
    """The value of an array made by `_uniform` (stride 0), else None."""
    if arr.ndim == 1 and arr.size and arr.strides == (0,):
        return float(arr[0])
    return None


def _global_index(local: np.ndarray, group) -> np.ndarray:
    """Local connector indices -> the parent population's numbering, int32 when the parent
    fits (4 B per synapse instead of 8 at scale), else int64."""
    parent = _parent(group)
    dtype = np.int32 if parent.size <= np.iinfo(np.int32).max else np.int64
    out = np.asarray(local).astype(dtype, copy=False)
    offset = _offset(group)
    return out + dtype(offset) if offset else out


_CONNECTOR_TYPES = (OneToOne, AllToAll, FixedProbability, FixedTotalNumber, FromList)


def _group_ref(group) -> dict:
    if isinstance(group, PopulationView):
        return {"label": group.parent.label, "start": group.start, "stop": group.stop}
    return {"label": group.label}


class Network:
    """A spiking network: populations, spike sources, projections and Poisson drives
    (`PoissonInput`), at time step `dt`.

    Objects are added with `add`, which validates them against the network (unique labels,
    delays a whole number of steps >= 1, at most `MAX_LAMBDA` drive spikes expected per
    step) and returns the object to use from then on.

    Parameters
    ----------
    dt : float
        Simulation time step, ms (> 0).
    label : str
        Name of the network.
    """

    def __init__(self, dt: float = 1.0, label: str = "network"):
        self.dt = check_number("Network", "dt", dt, 0.0, 1e4, lo_open=True, unit="ms")
        self.label = check_label("Network", label, optional=False)
        self.populations: list[Population] = []
        self.sources: list = []
        self.projections: list[Projection] = []
        self.drives: list[PoissonInput] = []
        self._labels: dict[str, object] = {}

    # -- building -------------------------------------------------------------------------
    def add(self, obj):
        """Add a Population, spike source, Projection or PoissonInput; returns the (possibly
        relabelled) object."""
        if isinstance(obj, Population):
            obj = self._labelled(obj, "pop", len(self.populations))
            self.populations.append(obj)
        elif isinstance(obj, (SpikeSourceArray, SpikeSourcePoisson)):
            obj = self._labelled(obj, "source", len(self.sources))
            self.sources.append(obj)
        elif isinstance(obj, Projection):
            obj = self._resolve_projection(obj)
            self.projections.append(obj)
        elif isinstance(obj, PoissonInput):
            obj = self._labelled(obj, "drive", len(self.drives))
            self._check_added(f"PoissonInput {obj.label!r}", "target", obj.population)
            obj.check_step(self.dt)
            self.drives.append(obj)
        else:
            raise ValidationError(
                f"Network {self.label!r}: cannot add {type(obj).__name__}; add a Population, "
                "SpikeSourceArray, SpikeSourcePoisson, Projection or PoissonInput")
        self._labels[obj.label] = obj
        return obj

    def _labelled(self, obj, prefix: str, n: int):
        label = obj.label if obj.label is not None else f"{prefix}{n}"
        if label in self._labels:
            raise ValidationError(f"Network {self.label!r}: label {label!r} is already used")
        if obj.label is None:
            obj = dataclasses.replace(obj, label=label)
        return obj

    def _check_added(self, owner: str, end: str, group) -> None:
        if self._labels.get(group.label) is not group:
            raise ValidationError(
                f"{owner}: its {end} group {group.label!r} has not been added to network "
                f"{self.label!r} (add it first and use the object add() returns)")

    def _resolve_projection(self, proj: Projection) -> Projection:
        label = proj.label if proj.label is not None else f"proj{len(self.projections)}"
        owner = f"Projection {label!r}"
        if label in self._labels:
            raise ValidationError(f"Network {self.label!r}: label {label!r} is already used")
        for end in ("pre", "post"):
            self._check_added(owner, end, _parent(getattr(proj, end)))
        uniform = _uniform_value(proj.delay)
        delay = (np.array([self.dt if np.isnan(uniform) else uniform]) if uniform is not None
                 else np.where(np.isnan(proj.delay), self.dt, proj.delay))
        steps = delay / self.dt
        if delay.size and (np.any(steps < 1 - 1e-9)):
            bad = delay[steps < 1 - 1e-9][0]
            raise ValidationError(
                f"{owner}: delay must be at least one time step ({self.dt} ms), got {bad!r} ms")
        if delay.size and np.any(np.abs(steps - np.round(steps)) > 1e-6):
            bad = delay[np.abs(steps - np.round(steps)) > 1e-6][0]
            raise ValidationError(
                f"{owner}: delay must be a whole multiple of dt = {self.dt} ms, got {bad!r} ms")
        if delay.size and steps.max() > MAX_DELAY_STEPS:
            raise ValidationError(
                f"{owner}: delay must be at most {MAX_DELAY_STEPS} time steps "
                f"({MAX_DELAY_STEPS * self.dt:g} ms at dt = {self.dt} ms), got "
                f"{float(delay.max())!r} ms")
        delay = np.round(steps) * self.dt
        if uniform is not None:
            delay = _uniform(delay[0], proj.size)
        return dataclasses.replace(proj, label=label, delay=delay)

    # -- queries ---------------------------------------------------------------------------
    def __getitem__(self, label: str):
        try:
            return self._labels[label]
        except KeyError:
            raise KeyError(f"Network {self.label!r} has no object labelled {label!r}; "
                           f"it has {sorted(self._labels)}") from None

    def __contains__(self, label: str) -> bool:
        return label in self._labels

    @property
    def n_neurons(self) -> int:
        return sum(p.size for p in self.populations)

    @property
    def n_synapses(self) -> int:
        return sum(p.size for p in self.projections)

    def __repr__(self) -> str:
        return (f"Network({self.label!r}, dt={self.dt} ms, {len(self.populations)} populations "
                f"/ {self.n_neurons} neurons, {len(self.sources)} sources, "
                f"{len(self.projections)} projections / {self.n_synapses} synapses"
                + (f", {len(self.drives)} Poisson drives" if self.drives else "") + ")")

    # -- serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain nested dict (numpy arrays kept as arrays) describing the whole network."""
        return {"type": "Network", "dt": self.dt, "label": self.label,
                "populations": [p.to_dict() for p in self.populations],
                "sources": [s.to_dict() for s in self.sources],
                "projections": [p.to_dict() for p in self.projections],
                "drives": [d.to_dict() for d in self.drives]}

    @classmethod
    def from_dict(cls, d: dict) -> "Network":
        """Inverse of `to_dict`; validates everything as construction does.

        Raises
        ------
        ValidationError
            A missing or malformed entry, or any value construction would reject.
        """
        return from_description("Network.from_dict", cls._from_dict, d)

    @classmethod
    def _from_dict(cls, d: dict) -> "Network":
        net = cls(dt=d["dt"], label=d.get("label", "network"))
        for p in d["populations"]:
            p = as_dict("Population", p)
            net.add(Population(size=p["size"], celltype=cell_type_from_dict(p["celltype"]),
                               label=p["label"], initial_v=p.get("initial_v"),
                               record=p.get("record", ("spikes",))))
        for s in d["sources"]:
            net.add(source_from_dict(s))

        def group(ref):
            ref = as_dict("group reference", ref)
            g = net[check_label("group reference", ref["label"], optional=False)]
            if "start" not in ref:
                return g
            start = check_integer(f"view of {g.label!r}", "start", ref["start"], 0, g.size)
            stop = check_integer(f"view of {g.label!r}", "stop", ref["stop"], 0, g.size)
            return g[start:stop]

        for p in d["projections"]:
            p = as_dict("Projection", p)
            net.add(Projection(pre=group(p["pre"]), post=group(p["post"]),
                               connector=connector_from_dict(p["connector"]),
                               synapse=synapse_from_dict(p["synapse"]),
                               receptor=p["receptor"], label=p["label"],
                               record_weights=p.get("record_weights", True),
                               pre_idx=p["pre_idx"], post_idx=p["post_idx"],
                               weight=p["weight"], delay=p["delay"]))
        for drv in d.get("drives", ()):         # absent from files of earlier versions
            drv = as_dict("PoissonInput", drv)
            net.add(poisson_input_from_dict(drv, group(drv["target"])))
        return net

    def save(self, path) -> None:
        """Write the network to an HDF5 file (atomically)."""
        from .io import save_network
        save_network(self, path)

    @classmethod
    def load(cls, path) -> "Network":
        """Read a network written by `save`."""
        from .io import load_network
        return load_network(path)
