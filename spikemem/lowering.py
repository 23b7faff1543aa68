"""Lowering: the one place that turns the IR into what clock-driven consumers need.

`lower(network, weights=None)` returns a `LoweredNetwork`: the node index space (neurons of
all populations in the order they were added, then the neurons of every spike source), the
population and source offsets in it, and per projection the global pre/post indices, the
input row it targets, its delays in whole time steps and its weights, with weight overrides
(e.g. learned weights) checked once. `LoweredNetwork.source_spikes` gives the spikes every
source emits in a window of steps, including spikes injected at run time.
`LoweredNetwork.drives` gives every `PoissonInput` as a `LoweredDrive` (neuron range, input
row, window in steps, ``lam`` and its cumulative table `poisson_cdf`),
`LoweredNetwork.drive_arrays` the same as arrays for a compiled kernel, and `poisson_counts`
is the vectorised counter-based sampler of the drives' counts (the Numba engine has a scalar
twin with the same operations).

Every backend (numba, brian2, nengo, the Loihi fixed-point engine) and every exporter
(SpiNNaker, Loihi, NIR, energy estimates) reads these numbers; none converts delays from ms
or validates weights itself. The module imports only the IR and numpy.

Storage is sized for networks of ~10^8 synapses: per-projection arrays, no concatenation into
one int64 array; weights are views of the IR arrays unless overridden; global indices use
int32 whenever the node space fits (`LoweredNetwork.index_dtype`) and are computed only when
a consumer asks for them; delays are int16 steps.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping, Optional

import numpy as np

from .errors import ValidationError
from .network import Network, Projection
from .neurons import lif_step_constants
from .poisson_input import MAX_LAMBDA, PoissonInput
from .stimulus import active_steps
from .validation import check_index_array, check_integer, check_number, without_negative_zeros

__all__ = ["lower", "LoweredNetwork", "LoweredProjection", "LoweredDrive", "check_weights",
           "delay_steps", "round_to_steps", "spike_steps", "csr_order", "poisson_counts",
           "poisson_uniforms", "MAX_DELAY_STEPS", "RECEPTOR_INDEX", "NEURON_PARAMS",
           "poisson_cdf", "HASH_CONSTANTS", "DRIVE_INT_COLUMNS", "DRIVE_REAL_COLUMNS"]

#: Longest delay a lowered network holds, in time steps (delays are stored as int16).
MAX_DELAY_STEPS = int(np.iinfo(np.int16).max)

#: Receptor name -> input row (``target = post + n_neurons * RECEPTOR_INDEX[receptor]``).
RECEPTOR_INDEX = {"excitatory": 0, "inhibitory": 1}

#: Columns of `LoweredNetwork.drive_arrays` (integer and float tables of the drives).
DRIVE_INT_COLUMNS = ("start", "stop", "population_offset", "receptor_index", "first_step",
                     "last_step", "table_size")
DRIVE_REAL_COLUMNS = ("weight",)

#: Per-neuron parameters of `LoweredNetwork.neuron_params`: the step constants of
#: `spikemem.neurons.lif_step_constants`, then the cell's own potentials and current.
NEURON_PARAMS = ("exp_m", "R", "decay_E", "init_E", "decay_I", "init_I", "refrac_steps",
                 "v_rest", "v_reset", "v_thresh", "i_offset")

_CHUNK = 1 << 22        # synapses converted per block (bounds the float temporaries)
_STEP_TOL = 1e-6        # a delay may differ from a whole number of steps by this fraction


def delay_steps(delay_ms, dt: float, owner: str, minimum: int = 1) -> np.ndarray:
    """Delays in ms -> whole time steps (int16), checking they are exact multiples of `dt`.

    The only conversion of delays from ms to steps in spikemem.

    Parameters
    ----------
    delay_ms : array_like of float, shape (n,)
        Delays, ms.
    dt : float
        Time step, ms (> 0).
    owner : str
        Names the object in error messages (e.g. ``"Projection 'ab'"``).
    minimum : int
        Fewest steps allowed (1 for a synapse; 0 for an extra delay such as a NIR ``Delay``).

    Returns
    -------
    ndarray of int16, shape (n,)

    Raises
    ------
    ValidationError
        A delay that is not finite, not a whole multiple of `dt`, below `minimum` steps or
        above `MAX_DELAY_STEPS` steps.
    """
    if not (isinstance(dt, (int, float, np.floating)) and np.isfinite(dt) and dt > 0):
        raise ValidationError(f"{owner}: dt must be a finite number > 0 ms, got {dt!r}")
    d = np.asarray(delay_ms, dtype=float)
    if d.ndim != 1:
        raise ValidationError(f"{owner}: delays must be 1-D, got shape {d.shape}")
    out = np.empty(d.size, np.int16)
    for a in range(0, d.size, _CHUNK):
        x = d[a:a + _CHUNK] / dt
        r = np.rint(x)
        bad = ~np.isfinite(x) | (np.abs(x - r) > _STEP_TOL) | (r < minimum) | \
            (r > MAX_DELAY_STEPS)
        if np.any(bad):
            value = float(d[a + int(np.argmax(bad))])
            raise ValidationError(
                f"{owner}: delay must be a whole number of steps of dt = {dt} ms, between "
                f"{minimum} and {MAX_DELAY_STEPS} steps ({minimum * dt} .. "
                f"{MAX_DELAY_STEPS * dt} ms), got {value!r} ms")
        out[a:a + _CHUNK] = r
    return out


def round_to_steps(delay_ms, dt: float) -> np.ndarray:
    """Delays in ms snapped to the time grid: whole steps of `dt`, at least one, in ms.

    For front ends whose scripts may give delays off the grid (PyNN; sPyNNaker rounds the
    same way); the IR itself only accepts exact multiples (`delay_steps`).
    """
    return np.maximum(np.round(np.asarray(delay_ms, float) / dt), 1) * dt


def spike_steps(times_ms, dt: float) -> np.ndarray:
    """Spike times (ms) -> the time steps they fall in (``floor(t / dt + 0.5)``), int64.

    The rule every spike source of the IR follows (`SpikeSourceArray.spikes_between`).
    """
    return np.floor(np.asarray(times_ms, float) / dt + 0.5).astype(np.int64)


def csr_order(pre: np.ndarray, n_nodes: int):
    """Order and row pointers that sort synapses by presynaptic node (CSR over nodes).

    Parameters
    ----------
    pre : ndarray of int, shape (n,)
        Presynaptic node of every synapse, in ``0 .. n_nodes-1``.
    n_nodes : int

    Returns
    -------
    order : ndarray of int64, shape (n,)
        Stable argsort of `pre` (synapses of one node keep their relative order).
    indptr : ndarray of int64, shape (n_nodes + 1,)
        Synapses of node ``i`` are ``order[indptr[i]:indptr[i + 1]]``.
    """
    order = np.argsort(pre, kind="stable")
    indptr = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(np.bincount(pre, minlength=n_nodes), out=indptr[1:])
    return order, indptr


# -- Poisson drives: counter-based random counts -----------------------------------------------
#: uint64 constants of the counter-based hash: the splitmix64 increment (golden ratio) and
#: finaliser multipliers (Steele, Lea & Flood 2014), and an odd multiplier for the step.
HASH_CONSTANTS = {"golden": 0x9E3779B97F4A7C15, "m1": 0xBF58476D1CE4E5B9,
                  "m2": 0x94D049BB133111EB, "step": 0xD1B54A32D192ED03}
_U64 = {k: np.uint64(v) for k, v in HASH_CONSTANTS.items()}
_SHIFTS = tuple(np.uint64(k) for k in (30, 27, 31, 11))
_TWO_M53 = 1.0 / 9007199254740992.0     # 2**-53


def _mix64(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on a uint64 array (a bijection; wrapping arithmetic)."""
    z = (z ^ (z >> _SHIFTS[0])) * _U64["m1"]
    z = (z ^ (z >> _SHIFTS[1])) * _U64["m2"]
    return z ^ (z >> _SHIFTS[2])


def _count_args(owner: str, seed, j, t):
    """`seed` as an int and `j`, `t` as int64 index arrays of their own shapes (>= 0)."""
    seed = check_integer(owner, "seed", seed, 0, 2 ** 63 - 1)
    out = [seed]
    for name, value in (("j", j), ("t", t)):
        shape = np.shape(value)
        flat = check_index_array(owner, name, np.ravel(value) if shape else [value])
        out.append(flat.astype(np.int64, copy=False).reshape(shape))
    return out


def poisson_uniforms(seed: int, j, t) -> np.ndarray:
    """The uniform numbers in [0, 1) behind the counts of `poisson_counts`.

    ``key = mix(seed + golden)``, ``h = mix(key ^ (j * golden))``,
    ``h = mix(h ^ (t * step))`` in wrapping uint64 arithmetic (``mix``: splitmix64's
    finaliser; constants `HASH_CONSTANTS`), then ``(h >> 11) * 2**-53`` (53 random bits).

    Parameters
    ----------
    seed : int
        In 0 .. 2**63 - 1.
    j, t : int or array_like of int
        Neuron index (within the drive's parent population) and time step, >= 0; broadcast
        against each other.

    Returns
    -------
    ndarray of float64, shape of ``broadcast(j, t)``
    """
    seed, j, t = _count_args("poisson_uniforms", seed, j, t)
    try:
        j, t = np.broadcast_arrays(j, t)
    except ValueError:
        raise ValidationError(f"poisson_uniforms: j (shape {j.shape}) and t (shape {t.shape}) "
                              "must broadcast against each other") from None
    with np.errstate(over="ignore"):
        key = _mix64(np.array([seed], np.uint64) + _U64["golden"])
        h = _mix64(key ^ (j.astype(np.uint64) * _U64["golden"]))
        h = _mix64(h ^ (t.astype(np.uint64) * _U64["step"]))
    return (h >> _SHIFTS[3]).astype(np.float64) * _TWO_M53


def poisson_cdf(lam: float) -> np.ndarray:
    """The cumulative Poisson(`lam`) probabilities the drives' counts are inverted with.

    ``p = s = exp(-lam)`` (Python's ``math.exp``, computed once here), then for ``k = 1, 2,
    ...``: ``p = p * lam / k``, ``s = s + p``, in float64, until ``s`` no longer grows (about
    1e-16 into the tail; 25 entries at ``lam = 2.32``, 119 at 50). Every sampler compares
    with this one table, so no ``exp`` or division is evaluated twice in different libraries.

    Parameters
    ----------
    lam : float
        Expected count, in [0, `spikemem.poisson_input.MAX_LAMBDA`].

    Returns
    -------
    ndarray of float64, shape (m,)
        ``s_0 < s_1 < ... < s_{m-1}`` (``s_0 = exp(-lam)``).
    """
    lam = check_number("poisson_cdf", "lam", lam, 0.0, MAX_LAMBDA)
    p = s = math.exp(-lam)
    out = [s]
    k = 0
    while True:
        k += 1
        p = p * lam / k
        grown = s + p
        if grown == s:
            return np.array(out)
        s = grown
        out.append(s)


def poisson_counts(seed: int, j, t, lam: float) -> np.ndarray:
    """Poisson(`lam`) counts of a drive, as a pure function of (`seed`, `j`, `t`).

    Inversion of the uniform ``u`` of `poisson_uniforms`: the count is the number of entries
    of `poisson_cdf` (``lam``) that are ``<= u``, i.e. the smallest ``k`` with ``u < s_k``
    (the table's length if there is none). The Numba engine's scalar sampler computes the
    same hash and makes the same comparisons with the same table, so both give identical
    counts.

    Parameters
    ----------
    seed : int
        In 0 .. 2**63 - 1.
    j, t : int or array_like of int
        Neuron index within the drive's parent population and time step (>= 0).
    lam : float
        Expected count, in [0, `spikemem.poisson_input.MAX_LAMBDA`].

    Returns
    -------
    ndarray of int64, shape of ``broadcast(j, t)``

    Raises
    ------
    ValidationError
        A seed, index or step out of range, or `lam` outside [0, MAX_LAMBDA].
    """
    table = poisson_cdf(lam)
    u = poisson_uniforms(seed, j, t)
    return np.searchsorted(table, u, side="right").astype(np.int64)


def check_weights(projection: Projection, weights, where: str,
                  size: Optional[int] = None) -> np.ndarray:
    """`weights` as a float64 array after the one weight check of spikemem.

    Weights must have shape ``(projection.size,)``, be finite and >= 0 nA (the receptor gives
    the sign) and, for a plastic projection, lie in the synapse's ``[w_min, w_max]``.

    Parameters
    ----------
    projection : Projection
    weights : array_like of float, shape (n,)
        Weights, nA.
    where : str
        Start of the error message naming what is checked, e.g. ``"to_loihi: weights['ab']"``.
    size : int, optional
        Number of weights expected (default ``projection.size``; a backend passes the number
        of synapses it holds).

    Returns
    -------
    ndarray of float64, shape (n,)
        `weights` itself when it is already a float64 array (no copy), except that a plastic
        projection's ``-0.0`` become ``+0.0`` (`spikemem.validation.without_negative_zeros`).

    Raises
    ------
    ValidationError
    """
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(f"{where} must be an array of numbers (nA), got "
                              f"{type(weights).__name__}") from None
    n = projection.size if size is None else size
    if w.shape != (n,):
        raise ValidationError(f"{where} must have shape ({n},), got {w.shape}")
    if not np.all(np.isfinite(w)) or (w.size and w.min() < 0):
        raise ValidationError(f"{where} must be finite, >= 0 nA and of shape ({n},)")
    syn = projection.synapse
    if syn.plastic and w.size and (w.min() < syn.w_min or w.max() > syn.w_max):
        raise ValidationError(
            f"{where} must lie in [w_min, w_max] = [{syn.w_min}, {syn.w_max}] nA for a "
            f"plastic projection {projection.label!r}, got [{w.min()}, {w.max()}]")
    return without_negative_zeros(w) if syn.plastic else w


@dataclass(frozen=True, eq=False)
class LoweredProjection:
    """One projection in the lowered network's index space.

    Attributes
    ----------
    projection : Projection
        The IR projection.
    index : int
        Its position in ``network.projections``.
    pre_offset : int
        Node index of neuron 0 of the presynaptic population or source.
    post_offset : int
        Neuron index of neuron 0 of the postsynaptic population.
    receptor_index : int
        0 (excitatory) or 1 (inhibitory).
    delay : ndarray of int16, shape (n,)
        Delays, time steps (>= 1).
    weight : ndarray of float64, shape (n,)
        Weights, nA (the IR's array, or the validated override).
    n_neurons : int
        Neurons in the whole network (offset of the inhibitory input rows).
    index_dtype : numpy dtype
        int32 when every node and target index fits, else int64.
    """

    projection: Projection
    index: int
    pre_offset: int
    post_offset: int
    receptor_index: int
    delay: np.ndarray
    weight: np.ndarray
    n_neurons: int
    index_dtype: np.dtype = field(default=np.dtype(np.int32))

    @property
    def label(self) -> str:
        return self.projection.label

    @property
    def size(self) -> int:
        return self.projection.size

    @property
    def plastic(self) -> bool:
        return self.projection.plastic

    @property
    def synapse(self):
        return self.projection.synapse

    @property
    def pre_local(self) -> np.ndarray:
        """Presynaptic indices within the parent population or source (the IR's array)."""
        return self.projection.pre_idx

    @property
    def post_local(self) -> np.ndarray:
        """Postsynaptic indices within the parent population (the IR's array)."""
        return self.projection.post_idx

    @property
    def pre(self) -> np.ndarray:
        """Global presynaptic node indices, shape (n,), `index_dtype`.

        Like `post` and `target()`, computed on each access and not kept: an engine converts
        it straight into its own storage, and the lowered network holds no copy of it.
        """
        return _shifted(self.projection.pre_idx, self.pre_offset, self.index_dtype)

    @property
    def post(self) -> np.ndarray:
        """Global postsynaptic neuron indices, shape (n,), `index_dtype`."""
        return _shifted(self.projection.post_idx, self.post_offset, self.index_dtype)

    def target(self) -> np.ndarray:
        """Input rows ``post + n_neurons * receptor_index``, shape (n,), `index_dtype`."""
        return _shifted(self.projection.post_idx,
                        self.post_offset + self.n_neurons * self.receptor_index, self.index_dtype)

    @cached_property
    def max_delay(self) -> int:
        """Longest delay, steps (1 for an empty projection)."""
        return int(self.delay.max()) if self.delay.size else 1


@dataclass(frozen=True, eq=False)
class LoweredDrive:
    """One `PoissonInput` in the lowered network's index space.

    Attributes
    ----------
    drive : PoissonInput
    index : int
        Its position in ``network.drives`` (the order in which drives are summed).
    start, stop : int
        Global neuron indices driven: ``start .. stop-1``.
    population_offset : int
        Global index of neuron 0 of the target's parent population (the count of global
        neuron ``g`` is drawn for ``j = g - population_offset``).
    receptor_index : int
        0 (excitatory) or 1 (inhibitory).
    weight : float
        nA per input spike.
    seed : int
    lam : float
        Expected count per neuron and step.
    cdf : ndarray of float64, shape (m,)
        `poisson_cdf` (``lam``), the table the counts are inverted with.
    first_step, last_step : int
        Active steps ``first_step .. last_step-1`` (`spikemem.stimulus.active_steps`).
    """

    drive: PoissonInput
    index: int
    start: int
    stop: int
    population_offset: int
    receptor_index: int
    weight: float
    seed: int
    lam: float
    cdf: np.ndarray
    first_step: int
    last_step: int

    @property
    def table_size(self) -> int:
        """Entries of `cdf`."""
        return int(self.cdf.size)

    def active(self, t: int) -> bool:
        """Whether step `t` lies in the drive's window."""
        return self.first_step <= t < self.last_step

    @property
    def label(self) -> str:
        return self.drive.label

    def inputs(self, steps) -> np.ndarray:
        """What the drive adds to the input rows of its neurons at `steps`:
        ``float(count) * weight``, nA, float64, shape (len(steps), stop - start); zeros
        outside the active window."""
        steps = np.asarray(steps, np.int64).reshape(-1)
        out = np.zeros((steps.size, self.stop - self.start))
        active = (steps >= self.first_step) & (steps < self.last_step)
        if np.any(active):
            j0 = self.start - self.population_offset
            counts = poisson_counts(self.seed, np.arange(j0, j0 + out.shape[1])[None, :],
                                    steps[active, None], self.lam)
            out[active] = counts.astype(np.float64) * self.weight
        return out

    def input_at(self, t: int) -> np.ndarray:
        """`inputs` of one step `t`, shape (stop - start,)."""
        return self.inputs([t])[0]


def _shifted(local: np.ndarray, offset: int, dtype) -> np.ndarray:
    out = np.empty(local.size, dtype)
    np.add(local, offset, out=out, casting="unsafe")
    return out


class LoweredNetwork:
    """A network in one node index space; made by `lower`.

    Nodes ``0 .. n_neurons-1`` are the neurons of all populations in the order they were
    added; nodes ``n_neurons .. n_nodes-1`` are the neurons of all spike sources, in order.

    Attributes
    ----------
    network : Network
    dt : float
        Time step, ms.
    n_neurons, n_sources, n_nodes : int
    pop_start : ndarray of int64, shape (P+1,)
        Neuron offsets of the populations (``pop_start[-1] == n_neurons``).
    src_start : ndarray of int64, shape (S+1,)
        Offsets of the sources relative to ``n_neurons``.
    offset : dict of str to int
        Node index of neuron 0 of every population and source, by label.
    projections : tuple of LoweredProjection
        In ``network.projections`` order (lowered on first access).
    index_dtype : numpy dtype
        int32 when ``2 * n_neurons + n_sources`` fits, else int64.
    """

    def __init__(self, network: Network, weights: Optional[Mapping] = None,
                 owner: str = "lower"):
        if not isinstance(network, Network):
            raise ValidationError(f"{owner}: network must be a spikemem.Network, got "
                                  f"{type(network).__name__}")
        self.network = network
        self.dt = network.dt
        self.offset = {}
        n = 0
        for p in network.populations:
            self.offset[p.label] = n
            n += p.size
        self.n_neurons = n
        for s in network.sources:
            self.offset[s.label] = n
            n += s.size
        self.n_nodes = n
        self.n_sources = n - self.n_neurons
        self.pop_start = np.array([0] + [self.offset[p.label] + p.size
                                         for p in network.populations], np.int64)
        self.src_start = np.array([0] + [self.offset[s.label] + s.size - self.n_neurons
                                         for s in network.sources], np.int64)
        big = 2 * self.n_neurons + self.n_sources >= np.iinfo(np.int32).max
        self.index_dtype = np.dtype(np.int64 if big else np.int32)
        self._overrides = _weight_overrides(network, weights, owner)
        self._projections = None
        self._by_label = {}

    @property
    def projections(self) -> tuple:
        """The `LoweredProjection` of every projection, in ``network.projections`` order.

        Lowered on first access (delays converted and checked, indices range-checked) and
        kept until `forget_projections`.
        """
        if self._projections is None:
            self._projections = tuple(
                self._lower_projection(k, pr, self._overrides.get(pr.label))
                for k, pr in enumerate(self.network.projections))
            self._by_label = {lp.label: lp for lp in self._projections}
        return self._projections

    def forget_projections(self) -> None:
        """Drop the per-projection arrays (delay steps): an engine that has copied them into
        its own storage keeps the spike windows and offsets without them. They are lowered
        again if asked for."""
        self._projections = None
        self._by_label = {}

    def _lower_projection(self, k: int, pr: Projection, weight) -> LoweredProjection:
        owner = f"Projection {pr.label!r}"
        pre, post = pr.pre_population, pr.post_population
        for name, idx, group in (("pre", pr.pre_idx, pre), ("post", pr.post_idx, post)):
            if idx.size and (idx.min() < 0 or idx.max() >= group.size):
                raise ValidationError(
                    f"{owner}: {name} index out of range 0..{group.size - 1} of {group.label!r}, "
                    f"got {int(idx.min())}..{int(idx.max())}")
        return LoweredProjection(
            projection=pr, index=k, pre_offset=self.offset[pre.label],
            post_offset=self.offset[post.label], receptor_index=RECEPTOR_INDEX[pr.receptor],
            delay=delay_steps(pr.delay, self.dt, owner),
            weight=pr.weight if weight is None else weight,
            n_neurons=self.n_neurons, index_dtype=self.index_dtype)

    # -- queries ---------------------------------------------------------------------------
    def __getitem__(self, label: str) -> LoweredProjection:
        """The lowered projection labelled `label`."""
        self.projections
        try:
            return self._by_label[label]
        except KeyError:
            raise ValidationError(f"network {self.network.label!r} has no projection labelled "
                                  f"{label!r}; it has {sorted(self._by_label)}") from None

    @property
    def n_synapses(self) -> int:
        return sum(lp.size for lp in self.projections)

    @cached_property
    def drives(self) -> tuple:
        """The `LoweredDrive` of every `PoissonInput`, in ``network.drives`` order."""
        out = []
        for k, d in enumerate(self.network.drives):
            lam = d.check_step(self.dt)
            first, last = active_steps(d.start, d.duration, self.dt)
            pop0 = self.offset[d.population.label]
            out.append(LoweredDrive(
                drive=d, index=k, start=pop0 + d.offset, stop=pop0 + d.offset + d.size,
                population_offset=pop0, receptor_index=RECEPTOR_INDEX[d.receptor],
                weight=d.weight, seed=d.seed, lam=lam, cdf=poisson_cdf(lam),
                first_step=first, last_step=last))
        return tuple(out)

    def drive_arrays(self) -> tuple:
        """The drives as four arrays for a compiled kernel, one row per drive in order.

        Returns
        -------
        ints : ndarray of int64, shape (n_drives, 7)
            Columns `DRIVE_INT_COLUMNS` (the `LoweredDrive` attributes of those names).
        seeds : ndarray of uint64, shape (n_drives,)
        reals : ndarray of float64, shape (n_drives, 1)
            Columns `DRIVE_REAL_COLUMNS`.
        tables : ndarray of float64, shape (n_drives, longest table)
            Each drive's `cdf`, padded with ``inf``.
        """
        ds = self.drives
        ints = np.array([[getattr(d, c) for c in DRIVE_INT_COLUMNS] for d in ds],
                        np.int64).reshape(-1, len(DRIVE_INT_COLUMNS))
        reals = np.array([[getattr(d, c) for c in DRIVE_REAL_COLUMNS] for d in ds],
                         np.float64).reshape(-1, len(DRIVE_REAL_COLUMNS))
        tables = np.full((len(ds), max((d.table_size for d in ds), default=0)), np.inf)
        for k, d in enumerate(ds):
            tables[k, :d.table_size] = d.cdf
        return ints, np.array([d.seed for d in ds], np.uint64), reals, tables

    def drive_input(self, t: int):
        """Every drive's input at step `t`, in summation order.

        Yields
        ------
        drive : LoweredDrive
        values : ndarray of float64, shape (drive.stop - drive.start,)
            ``float(count) * weight`` (nA) to add to the input row ``receptor_index`` of
            neurons ``drive.start .. drive.stop-1``, after every spike arriving at step `t`.
        """
        for d in self.drives:
            if d.active(t):
                yield d, d.input_at(t)

    @cached_property
    def max_delay(self) -> int:
        """Longest delay of any projection, steps (1 without projections)."""
        return max((lp.max_delay for lp in self.projections), default=1)

    def node_range(self, label: str) -> tuple:
        """``(start, stop)`` node indices of a population or source."""
        group = self.network[label]
        start = self.offset[label]
        return start, start + group.size

    def spikes_by_group(self, steps: np.ndarray, nodes: np.ndarray):
        """Split spikes given as global nodes by population and source.

        Parameters
        ----------
        steps, nodes : ndarray of int, shape (k,)
            Time steps and node indices of spikes (e.g. an engine's spike record).

        Yields
        ------
        label, steps, ids
            For every population and source with at least one spike: its label, the steps
            and the neuron indices within it.
        """
        for group in (*self.network.populations, *self.network.sources):
            a, b = self.node_range(group.label)
            sel = (nodes >= a) & (nodes < b)
            if np.any(sel):
                yield group.label, steps[sel], nodes[sel] - a

    @cached_property
    def population_params(self) -> dict:
        """`NEURON_PARAMS` of every population at this dt: arrays of shape (P,).

        ``refrac_steps`` is int64, the others float64 (ms, mV, nA, MOhm as in the IR).
        """
        rows = []
        for p in self.network.populations:
            row = lif_step_constants(p.celltype, self.dt)
            row.update({k: getattr(p.celltype, k) for k in NEURON_PARAMS[7:]})
            rows.append(row)
        return {k: np.array([r[k] for r in rows],
                            np.int64 if k == "refrac_steps" else np.float64)
                for k in NEURON_PARAMS}

    def neuron_params(self) -> dict:
        """`population_params` repeated for every neuron: arrays of shape (n_neurons,)."""
        sizes = np.diff(self.pop_start)
        return {k: np.repeat(v, sizes) for k, v in self.population_params.items()}

    def initial_v(self) -> np.ndarray:
        """Initial membrane potentials of all neurons, mV, shape (n_neurons,)."""
        parts = [p.initial_v_array() for p in self.network.populations]
        return np.concatenate(parts) if parts else np.zeros(0)

    # -- spike sources ---------------------------------------------------------------------
    def source_window(self, label: str, step0: int, step1: int,
                      injected: Optional[Mapping] = None):
        """Spikes source `label` emits in steps ``[step0, step1)``, injected ones included.

        Parameters
        ----------
        label : str
            A spike source of the network.
        step0, step1 : int
            Window of time steps, ``0 <= step0 <= step1``.
        injected : mapping of str to list of (steps, ids), optional
            Extra spikes per source label (steps: int array of time steps, ids: int array of
            neuron indices within the source), e.g. ``Simulator.add_spikes``'s.

        Returns
        -------
        steps, ids : ndarray of int64, shape (k,)
            Sorted by step, then id; ids within the source.
        """
        step0, step1 = _window(step0, step1)
        if self.offset.get(label, -1) < self.n_neurons:
            raise ValidationError(f"source_window: {label!r} is not a spike source of network "
                                  f"{self.network.label!r}")
        src = self.network[label]
        steps, ids = src.spikes_between(self.dt, step0, step1)
        extra = (injected or {}).get(label, ())
        if not extra:
            return steps, ids
        parts_s, parts_i = [steps], [ids]
        for inj_steps, inj_ids in extra:
            inj_steps = np.asarray(inj_steps, np.int64)
            sel = (inj_steps >= step0) & (inj_steps < step1)
            parts_s.append(inj_steps[sel])
            parts_i.append(np.asarray(inj_ids, np.int64)[sel])
        steps, ids = np.concatenate(parts_s), np.concatenate(parts_i)
        order = np.lexsort((ids, steps))
        return steps[order], ids[order]

    def source_spikes(self, step0: int, step1: int, injected: Optional[Mapping] = None):
        """Spikes of every source in steps ``[step0, step1)``, as global nodes.

        Parameters
        ----------
        step0, step1 : int
            Window of time steps.
        injected : mapping of str to list of (steps, ids), optional
            See `source_window`.

        Returns
        -------
        steps, nodes : ndarray of int64, shape (k,)
            Sorted by step, then node.
        """
        steps, nodes = [], []
        for src in self.network.sources:
            st, ids = self.source_window(src.label, step0, step1, injected)
            steps.append(st)
            nodes.append(ids + self.offset[src.label])
        if not steps:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        st, nd = np.concatenate(steps), np.concatenate(nodes)
        order = np.lexsort((nd, st))
        return st[order].astype(np.int64), nd[order].astype(np.int64)

    def __repr__(self) -> str:
        return (f"LoweredNetwork({self.network.label!r}, dt={self.dt} ms, {self.n_neurons} "
                f"neurons + {self.n_sources} source nodes, {len(self.projections)} projections, "
                f"max delay {self.max_delay} steps)")


def _window(step0, step1) -> tuple:
    for name, s in (("step0", step0), ("step1", step1)):
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValidationError(f"source_spikes: {name} must be an integer >= 0, got {s!r}")
    if step1 < step0:
        raise ValidationError(f"source_spikes: step1 must be >= step0, got {step0}..{step1}")
    return int(step0), int(step1)


def _weight_overrides(network: Network, weights, owner: str) -> dict:
    if weights is None:
        return {}
    if not isinstance(weights, Mapping):
        raise ValidationError(f"{owner}: weights must be a dict of projection label to array "
                              f"(nA), got {type(weights).__name__}")
    out = {}
    for label, w in weights.items():
        if label not in network or not isinstance(network[label], Projection):
            labels = sorted(p.label for p in network.projections)
            raise ValidationError(
                f"{owner}: weights names projection {label!r}, which network "
                f"{network.label!r} does not have (it has {labels})")
        out[label] = check_weights(network[label], w, f"{owner}: weights[{label!r}]")
    return out


def lower(network: Network, weights: Optional[Mapping] = None,
          owner: str = "lower") -> LoweredNetwork:
    """Lower `network` to one node index space with delays in steps and checked weights.

    Parameters
    ----------
    network : Network
    weights : dict of str to array_like, optional
        Weights (nA, shape (n_synapses,)) by projection label that replace the IR's, e.g.
        learned weights; each is checked by `check_weights`.
    owner : str
        Names the caller in error messages (e.g. ``"to_loihi"``).

    Returns
    -------
    LoweredNetwork

    Raises
    ------
    ValidationError
        `network` is not a Network; a weight override is not a dict of known projection
        labels, or fails `check_weights`; a delay is not a whole number of steps in
        ``1 .. MAX_DELAY_STEPS``; an index is out of its population's range.
    """
    return LoweredNetwork(network, weights, owner)
