"""Arrays laid out so that two threads never write the same cache line.

Each thread of the engine writes the state of its own neurons only
(`spikemem.backends.numba.kernels`), but a cache line that holds the last neurons of one
partition and the first of the next would still travel between the cores every step: on
the benchmark VM a line takes ~300 ns to cross, a fifth of a step of CUBA 4000 at two
threads. So per-neuron arrays start on a `LINE`-byte boundary and partition bounds are
multiples of `NEURON_QUANTUM` neurons (`spikemem.backends.numba.storage.partition_bounds`).
`LINE` is two 64-byte lines because x86 cores also fetch the adjacent line of a pair.
"""
from __future__ import annotations

import numpy as np

__all__ = ["LINE", "NEURON_QUANTUM", "aligned_zeros", "aligned_full"]

#: Bytes of alignment: an adjacent-line pair of 64-byte cache lines.
LINE = 128
#: Partition bounds are multiples of this many neurons (LINE bytes of float64 state).
NEURON_QUANTUM = LINE // 8


def aligned_zeros(shape, dtype=np.float64) -> np.ndarray:
    """``np.zeros(shape, dtype)`` whose first element starts a `LINE`-byte boundary."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64))
    raw = np.zeros(n * dtype.itemsize + LINE, np.uint8)
    skip = -raw.ctypes.data % LINE
    return raw[skip:skip + n * dtype.itemsize].view(dtype).reshape(shape)


def aligned_full(shape, value, dtype=np.float64) -> np.ndarray:
    """``np.full(shape, value, dtype)``, aligned like `aligned_zeros`."""
    out = aligned_zeros(shape, dtype)
    out[...] = value
    return out
