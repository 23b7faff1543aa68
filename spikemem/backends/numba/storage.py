"""Compact synapse storage of the Numba engine, partitioned by target neuron for threads.

Partitions
----------
The neurons ``0 .. N-1`` are cut into ``T`` contiguous partitions (``bounds``, T+1 neuron
offsets), one per thread, balanced on neurons plus expected synaptic work. A synapse belongs
to the partition of its postsynaptic neuron, so a thread writes only its own neurons' input
rows, synaptic weights and traces.

Layout (per kind, static and plastic)
-------------------------------------
All synapses of partition 0 come first, then those of partition 1, ...; inside a partition
they form a CSR over presynaptic nodes: the synapses node ``i`` makes onto partition ``k``
are the positions ``indptr[k, i] .. indptr[k, i + 1] - 1``. Within such a row synapses keep
the order of the network's projections and, within one projection, the projection's own
order. One thread (``T = 1``) thus stores exactly the classic CSR, and with any ``T`` every
input row receives its weights in the same order (see `spikemem.backends.numba.kernels`).

Per synapse the engine keeps

* ``code``: ``target | delay << shift`` in one uint32 (int64 only if target and delay do not
  fit in 32 bits), where ``target = post + N * receptor`` (receptor 0 = excitatory, 1 =
  inhibitory) and ``delay`` is in steps;
* ``w``: the weight, nA, float64 (default) or float32 (``weight_dtype="float32"``);

and for plastic synapses also ``proj`` (plastic projection number, uint8/uint16) and the CSC
order over postsynaptic neurons that potentiation walks: ``post_order`` (int32 position) and
``post_info`` (uint32: presynaptic node, delay and projection packed, so that the walk reads
only the weights out of order). That is 12 B per static synapse (8 B with float32) and 21 B
per plastic synapse (17 B), plus the O(T * nodes) row pointers.

Build
-----
The arrays are allocated at their final size and filled in two passes over each
projection's own IR arrays by Numba kernels (count rows, then place): no concatenated,
sorted or int64 per-synapse intermediates. `positions` recomputes where a projection's
synapses sit (the same placement pass), for `weights` and `set_weights`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from ...errors import ValidationError
from ...lowering import LoweredNetwork
from .cachelines import NEURON_QUANTUM

__all__ = ["SynapseStore", "build_store", "partition_bounds", "positions", "write_initial_weights",
           "WEIGHT_DTYPES"]

#: Weight precisions the engine stores.
WEIGHT_DTYPES = {"float64": np.float64, "float32": np.float32}

#: Relative cost of one incoming synapse per ms of dt against one neuron update, used to
#: balance partitions (about 5 Hz presynaptic rate, a few ns per synaptic event).
_SYNAPSE_COST_PER_MS = 0.015


@njit(cache=True)
def _part_of(j, bounds):
    k = 0
    while j >= bounds[k + 1]:
        k += 1
    return k


@njit(cache=True)
def _count_post(post, post_off, counts):
    for s in range(post.shape[0]):
        counts[post[s] + post_off] += 1


@njit(cache=True)
def _count_rows(pre, post, pre_off, post_off, bounds, counts):
    for s in range(pre.shape[0]):
        counts[_part_of(post[s] + post_off, bounds), pre[s] + pre_off] += 1


@njit(cache=True)
def _next_slot(pre_node, post_neuron, bounds, cursor):
    """Storage position of the next synapse from `pre_node` onto `post_neuron` (the
    placement rule of the module docstring); advances `cursor` (shape (T, nodes))."""
    k = _part_of(post_neuron, bounds)
    p = cursor[k, pre_node]
    cursor[k, pre_node] = p + 1
    return p


@njit(cache=True)
def _place(pre, post, pre_off, post_off, bounds, cursor, out):
    """Positions of a projection's synapses."""
    for s in range(pre.shape[0]):
        out[s] = _next_slot(pre[s] + pre_off, post[s] + post_off, bounds, cursor)


@njit(cache=True)
def _place_weights(pre, post, pre_off, post_off, bounds, cursor, w, w_out):
    """Write a projection's weights `w` at their storage positions."""
    for s in range(pre.shape[0]):
        w_out[_next_slot(pre[s] + pre_off, post[s] + post_off, bounds, cursor)] = w[s]


@njit(cache=True)
def _skip(pre, post, pre_off, post_off, bounds, cursor):
    for s in range(pre.shape[0]):
        _next_slot(pre[s] + pre_off, post[s] + post_off, bounds, cursor)


@njit(cache=True)
def _fill(pre, post, pre_off, post_off, tgt_off, delay, w, bounds, shift, cursor, code, w_out,
          pre_out, proj_out, proj):
    """Place a projection's synapses: code and weight, and for plastic ones (non-empty
    `pre_out`) the presynaptic node and projection number `proj`."""
    plastic = pre_out.shape[0] > 0
    for s in range(pre.shape[0]):
        i = pre[s] + pre_off
        p = _next_slot(i, post[s] + post_off, bounds, cursor)
        code[p] = (post[s] + tgt_off) | (np.int64(delay[s]) << shift)
        w_out[p] = w[s]
        if plastic:
            pre_out[p] = i
            proj_out[p] = proj


@njit(cache=True)
def _csc(code, mask, n_neurons, pre, proj, pre_bits, delay_bits, shift, post_indptr,
         post_order, post_info, post_delays):
    """Plastic synapses ordered by postsynaptic neuron (storage order within a neuron), with
    what potentiation needs of each packed in order: ``pre | delay << pre_bits |
    proj << (pre_bits + delay_bits)`` -- so that walking a neuron's synapses reads only
    their weights out of order. Bit ``min(d, 63)`` of ``post_delays[j]`` is set if a
    plastic synapse onto neuron ``j`` has delay ``d`` steps."""
    for s in range(code.shape[0]):
        j = np.int64(code[s]) & mask
        if j >= n_neurons:
            j -= n_neurons
        post_indptr[j + 1] += 1
    for j in range(n_neurons):
        post_indptr[j + 1] += post_indptr[j]
    cursor = post_indptr[:-1].copy()
    for s in range(code.shape[0]):
        c = np.int64(code[s])
        j = c & mask
        if j >= n_neurons:
            j -= n_neurons
        post_order[cursor[j]] = s
        post_info[cursor[j]] = (np.int64(pre[s]) | ((c >> shift) << pre_bits)
                                | (np.int64(proj[s]) << (pre_bits + delay_bits)))
        post_delays[j] |= np.uint64(1) << np.uint64(min(c >> shift, 63))
        cursor[j] += 1


def partition_bounds(lowered: LoweredNetwork, n_parts: int) -> np.ndarray:
    """Cut the neurons into `n_parts` contiguous ranges of about equal work.

    Work of a neuron: one update plus ``0.015 * dt (ms)`` per incoming synapse. Inner
    bounds are rounded to multiples of `~spikemem.backends.numba.cachelines.NEURON_QUANTUM`
    (so that no cache line of neuron state is written by two threads) unless that would
    leave a partition empty. The result changes only speed, never results (see the module
    docstring).

    Returns
    -------
    ndarray of int64, shape (n_parts + 1,)
        ``bounds[0] = 0``, ``bounds[-1] = n_neurons``, non-decreasing.
    """
    N = lowered.n_neurons
    if n_parts == 1 or N == 0:
        return np.array([0] + [N] * n_parts, np.int64)
    indeg = np.zeros(N, np.int64)
    for lp in lowered.projections:
        _count_post(lp.post_local, lp.post_offset, indeg)
    cost = np.cumsum(1.0 + _SYNAPSE_COST_PER_MS * lowered.dt * indeg)
    cuts = np.searchsorted(cost, cost[-1] * np.arange(1, n_parts) / n_parts)
    bounds = np.concatenate([[0], np.minimum(cuts, N), [N]]).astype(np.int64)
    rounded = bounds.copy()
    rounded[1:-1] = (bounds[1:-1] + NEURON_QUANTUM // 2) // NEURON_QUANTUM * NEURON_QUANTUM
    return rounded if np.all(np.diff(rounded) > 0) else bounds


@dataclass
class SynapseStore:
    """The engine's synapses (see the module docstring); made by `build_store`.

    Attributes
    ----------
    bounds : ndarray of int64, shape (T + 1,)
        Neuron offsets of the partitions.
    shift, mask : int
        ``target = code & mask``, ``delay = code >> shift``.
    st_indptr, pl_indptr : ndarray of int64, shape (T, n_nodes + 1)
    st_code, st_w : static codes and weights (nA)
    pl_code, pl_w, pl_proj : plastic codes, weights (nA) and plastic projection numbers
    pl_post_indptr : ndarray of int64, shape (N + 1,)
    pl_post_order : ndarray, positions of plastic synapses by postsynaptic neuron
    pl_post_info : ndarray, ``pre | delay << pre_bits | proj << (pre_bits + delay_bits)`` of
        the same synapses
    pl_post_delays : ndarray of uint64, shape (N,)
        Bit ``min(d, 63)`` set if a plastic synapse onto the neuron has delay ``d`` steps
    pre_bits, delay_bits : int
    plastic_labels : list of str
        Plastic projections in the order of their numbers.
    placement : list of (label, plastic, pre_offset, post_offset)
        Every projection in network order, what `positions` needs besides the IR arrays.
    max_delay, max_plastic_delay : int
        Longest delay of any / of any plastic synapse, steps (1 if none).
    """

    bounds: np.ndarray
    shift: int
    mask: int
    st_indptr: np.ndarray
    st_code: np.ndarray
    st_w: np.ndarray
    pl_indptr: np.ndarray
    pl_code: np.ndarray
    pl_w: np.ndarray
    pl_proj: np.ndarray
    pl_post_indptr: np.ndarray
    pl_post_order: np.ndarray
    pl_post_info: np.ndarray
    pl_post_delays: np.ndarray
    pre_bits: int
    delay_bits: int
    plastic_labels: list
    placement: list
    max_delay: int
    max_plastic_delay: int

    @property
    def n_parts(self) -> int:
        return self.bounds.size - 1

    def nbytes(self) -> dict:
        """Bytes held per kind: ``{"static": ..., "plastic": ...}`` (row pointers included)."""
        static = self.st_indptr.nbytes + self.st_code.nbytes + self.st_w.nbytes
        plastic = sum(a.nbytes for a in (self.pl_indptr, self.pl_code, self.pl_w, self.pl_proj,
                                          self.pl_post_indptr, self.pl_post_order,
                                          self.pl_post_info, self.pl_post_delays))
        return {"static": static, "plastic": plastic}


def _uint_for(n: int):
    for dt in (np.uint8, np.uint16, np.uint32):
        if n <= np.iinfo(dt).max + 1:
            return dt
    return np.int64


def build_store(lowered: LoweredNetwork, n_parts: int = 1,
                weight_dtype: str = "float64") -> SynapseStore:
    """Build the engine's synapse storage of a lowered network.

    Parameters
    ----------
    lowered : LoweredNetwork
    n_parts : int
        Number of partitions (threads), >= 1.
    weight_dtype : {"float64", "float32"}
        Precision of stored weights.

    Returns
    -------
    SynapseStore
    """
    if weight_dtype not in WEIGHT_DTYPES:
        raise ValidationError(f"build_store: weight_dtype must be one of "
                              f"{sorted(WEIGHT_DTYPES)}, got {weight_dtype!r}")
    wdt = WEIGHT_DTYPES[weight_dtype]
    N, n_nodes = lowered.n_neurons, lowered.n_nodes
    bounds = partition_bounds(lowered, n_parts)
    shift = max(1, int(max(2 * N - 1, 1)).bit_length())
    max_delay = lowered.max_delay
    code_dt = np.uint32 if shift + int(max_delay).bit_length() <= 32 else np.int64
    if shift + int(max_delay).bit_length() > 63:
        raise ValidationError(f"build_store: {N} neurons with delays of {max_delay} steps do "
                              f"not fit the engine's 63-bit target/delay code")
    static = [lp for lp in lowered.projections if not lp.plastic]
    plastic = [lp for lp in lowered.projections if lp.plastic]

    def rows(projs):
        counts = np.zeros((n_parts, n_nodes), np.int64)
        for lp in projs:
            _count_rows(lp.pre_local, lp.post_local, lp.pre_offset, lp.post_offset, bounds,
                        counts)
        indptr = np.zeros((n_parts, n_nodes + 1), np.int64)
        np.cumsum(counts, axis=1, out=indptr[:, 1:])
        indptr += np.concatenate([[0], np.cumsum(counts.sum(axis=1))[:-1]])[:, None]
        return indptr

    st_indptr = rows(static)
    n_st = sum(lp.size for lp in static)
    st_code = np.empty(n_st, code_dt)
    st_w = np.empty(n_st, wdt)
    cursor = st_indptr[:, :-1].copy()
    no_pre, no_proj = np.zeros(0, lowered.index_dtype), np.zeros(0, _uint_for(len(plastic)))
    for lp in static:
        _fill(lp.pre_local, lp.post_local, lp.pre_offset, lp.post_offset,
              lp.post_offset + N * lp.receptor_index, lp.delay, lp.weight, bounds, shift,
              cursor, st_code, st_w, no_pre, no_proj, 0)

    pl_indptr = rows(plastic)
    n_pl = sum(lp.size for lp in plastic)
    pl_code = np.empty(n_pl, code_dt)
    pl_w = np.empty(n_pl, wdt)
    pl_pre = np.empty(n_pl, lowered.index_dtype)
    pl_proj = np.empty(n_pl, _uint_for(len(plastic)))
    cursor = pl_indptr[:, :-1].copy()
    for k, lp in enumerate(plastic):
        _fill(lp.pre_local, lp.post_local, lp.pre_offset, lp.post_offset,
              lp.post_offset + N * lp.receptor_index, lp.delay, lp.weight, bounds, shift,
              cursor, pl_code, pl_w, pl_pre, pl_proj, k)
    del cursor
    post_indptr = np.zeros(N + 1, np.int64)
    post_order = np.empty(n_pl, np.int32 if n_pl < np.iinfo(np.int32).max else np.int64)
    max_pl_delay = max((lp.max_delay for lp in plastic), default=1)
    pre_bits = max(1, int(n_nodes - 1).bit_length())
    delay_bits = int(max_pl_delay).bit_length()
    info_bits = pre_bits + delay_bits + max(1, int(len(plastic) - 1).bit_length())
    post_info = np.empty(n_pl, np.uint32 if info_bits <= 32 else np.int64)
    post_delays = np.zeros(N, np.uint64)
    _csc(pl_code, (1 << shift) - 1, N, pl_pre, pl_proj, pre_bits, delay_bits, shift,
         post_indptr, post_order, post_info, post_delays)
    del pl_pre
    return SynapseStore(
        bounds=bounds, shift=shift, mask=(1 << shift) - 1,
        st_indptr=st_indptr, st_code=st_code, st_w=st_w,
        pl_indptr=pl_indptr, pl_code=pl_code, pl_w=pl_w, pl_proj=pl_proj,
        pl_post_indptr=post_indptr, pl_post_order=post_order, pl_post_info=post_info,
        pl_post_delays=post_delays, pre_bits=pre_bits, delay_bits=delay_bits,
        plastic_labels=[lp.label for lp in plastic],
        placement=[(lp.label, lp.plastic, lp.pre_offset, lp.post_offset)
                   for lp in lowered.projections], max_delay=max_delay,
        max_plastic_delay=max_pl_delay)


def positions(network, store: SynapseStore, label: str) -> np.ndarray:
    """Storage positions of projection `label`'s synapses, in the projection's order.

    Replays the placement of `build_store` over the projections of the same kind up to
    `label` (O(synapses of that kind) time, O(T * nodes) extra memory), reading the IR's
    index arrays of `network`.
    """
    kinds = {lab: plastic for lab, plastic, _, _ in store.placement}
    if label not in kinds:
        raise ValidationError(f"positions: network {network.label!r} has no projection {label!r}")
    indptr = store.pl_indptr if kinds[label] else store.st_indptr
    cursor = indptr[:, :-1].copy()
    for lab, plastic, pre_off, post_off in store.placement:
        if plastic != kinds[label]:
            continue
        pr = network[lab]
        if lab == label:
            out = np.empty(pr.size, np.int64)
            _place(pr.pre_idx, pr.post_idx, pre_off, post_off, store.bounds, cursor, out)
            return out
        _skip(pr.pre_idx, pr.post_idx, pre_off, post_off, store.bounds, cursor)


def write_initial_weights(network, store: SynapseStore) -> None:
    """Write every projection's initial (IR) weights into the store, in place.

    The same placement pass as `build_store`, so the engine keeps no copy of the initial
    weights for `reset`.
    """
    for plastic, indptr, w_out in ((False, store.st_indptr, store.st_w),
                                   (True, store.pl_indptr, store.pl_w)):
        cursor = indptr[:, :-1].copy()
        for lab, is_plastic, pre_off, post_off in store.placement:
            if is_plastic != plastic:
                continue
            pr = network[lab]
            _place_weights(pr.pre_idx, pr.post_idx, pre_off, post_off, store.bounds, cursor,
                           pr.weight, w_out)
