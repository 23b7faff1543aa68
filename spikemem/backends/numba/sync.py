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

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["SYNC_STRIDE", "SYNC_FITS", "SYNC_NF", "load_acquire", "store_release", "yield_cpu",
           "barrier_arrive", "barrier_wait"]

#: int64 slots per thread in the barrier array (one 128-byte line each, no false sharing):
#: slot 0 the last barrier generation it reached, then per step parity whether its spike
#: buffer takes another step (`SYNC_FITS`) and how many of its neurons fired (`SYNC_NF`),
#: so that a thread reads what it needs of another from the line the barrier brought in.
SYNC_STRIDE = 16
SYNC_FITS = 1
SYNC_NF = 3

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
