"""Thread synchronisation inside Numba kernels: a step barrier for the partitioned engine.

`run_partition` (kernels.py) runs one partition of the network per thread, all threads in
one long ``nogil`` call; once per time step they meet at a barrier. Numba has no barrier of
its own and a parallel region per step (``prange``) costs more than a whole step of a small
network, so the barrier is built from three LLVM operations: an atomic load with acquire
ordering, an atomic store with release ordering (what each thread publishes becomes visible
to the others before they pass the barrier) and a call of ``sched_yield`` while waiting, so
that a machine with fewer free cores than threads still makes progress.

The functions are Numba intrinsics (compiled into the caller, so ``cache=True`` works).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .cachelines import aligned_zeros

__all__ = ["SYNC_STRIDE", "SYNC_HEAD", "SYNC_IDS", "SYNC_IDS_PER_STEP", "new_sync",
           "load_acquire", "store_release", "yield_cpu", "barrier_arrive", "barrier_wait"]

#: int64 slots per thread in the barrier array (128 bytes each, so two threads never share
#: a cache line or an adjacent-line pair). Everything a thread needs from another at the
#: barrier sits in the first 64-byte line of that thread's slots, so the line that the
#: barrier's load brings in carries it (a cache line takes ~300 ns between the two vCPUs
#: of the benchmark machine, a whole step of CUBA 4000 at two threads is ~1.7 us):
#:
#: * slot 0: the last barrier generation the thread reached;
#: * slot ``SYNC_HEAD + parity``: ``2 * n_fired + fits`` for the step of that parity, where
#:   ``n_fired`` is the number of its neurons that fired and ``fits`` whether its spike
#:   buffer takes one more step;
#: * int32 slots ``SYNC_IDS + SYNC_IDS_PER_STEP * parity ...`` (of the int32 view): the
#:   first `SYNC_IDS_PER_STEP` of those neurons; the rest are only in the ``fired`` array.
SYNC_STRIDE = 16
SYNC_HEAD = 1
SYNC_IDS = 6
SYNC_IDS_PER_STEP = 5


def new_sync(n_threads):
    """A zeroed barrier array for `n_threads` threads whose first element starts a cache
    line (NumPy only guarantees 16-byte alignment)."""
    return aligned_zeros(n_threads * SYNC_STRIDE, np.int64)


#: Spins on the barrier before the waiting thread yields its core.
_SPINS_BEFORE_YIELD = 256


def _element_pointer(context, builder, arr_type, arr, idx):
    a = context.make_array(arr_type)(context, builder, arr)
    return cgutils.get_item_pointer(context, builder, arr_type, a, [idx], wraparound=False)


@intrinsic
def load_acquire(typingctx, arr, idx):
    """``arr[idx]`` (int64 array) read atomically with acquire ordering."""
    sig = types.int64(arr, idx)

    def codegen(context, builder, signature, args):
        ptr = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        return builder.load_atomic(ptr, "acquire", 8)
    return sig, codegen


@intrinsic
def store_release(typingctx, arr, idx, val):
    """``arr[idx] = val`` (int64 array and value) written atomically with release ordering."""
    sig = types.void(arr, idx, types.int64)

    def codegen(context, builder, signature, args):
        ptr = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        value = context.cast(builder, args[2], signature.args[2], types.int64)
        builder.store_atomic(value, ptr, "release", 8)
        return context.get_dummy_value()
    return sig, codegen


@intrinsic
def yield_cpu(typingctx):
    """Give the core to another thread (``sched_yield``)."""
    sig = types.void()

    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []),
                                            "sched_yield")
        builder.call(fn, [])
        return context.get_dummy_value()
    return sig, codegen


@njit(nogil=True, cache=True)
def barrier_arrive(sync, part, generation):
    """Thread `part` announces that it reached barrier `generation` (everything it wrote
    before becomes visible to a thread that sees the announcement)."""
    store_release(sync, part * SYNC_STRIDE, generation)


@njit(nogil=True, cache=True)
def barrier_wait(sync, n_parts, generation):
    """Wait until every thread has announced barrier `generation` (or a later one)."""
    for j in range(n_parts):
        spins = 0
        while load_acquire(sync, j * SYNC_STRIDE) < generation:
            spins += 1
            if spins >= _SPINS_BEFORE_YIELD:
                yield_cpu()
                spins = 0
