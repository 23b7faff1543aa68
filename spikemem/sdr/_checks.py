"""Validation of binary arrays for the SDR modules and the Sparsey model.

The scalar checks are spikemem's one validation family (`spikemem.errors`), imported here
for the SDR modules.
"""

from __future__ import annotations

import numpy as np

from spikemem.errors import check_int, check_real, invalid

__all__ = ["binary_array", "check_int", "check_real", "invalid"]


def binary_array(obj: str, field: str, value, *, ndim: int, n: int | None = None) -> np.ndarray:
    """Validate a binary array and return it as ``bool``.

    Accepts bool arrays and numeric arrays whose entries are all 0 or 1. ``ndim`` is the required
    number of dimensions and ``n`` (if given) the required length of the last axis.
    """
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):     # ragged nested lists
        raise invalid(obj, field, value, f"must be a {ndim}-D binary array") from None
    if arr.ndim != ndim:
        raise invalid(obj, field, arr, f"must be a {ndim}-D binary array")
    if n is not None and arr.shape[-1] != n:
        raise invalid(obj, field, arr, f"must have a last axis of length {n}")
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind not in "iuf":
        raise invalid(obj, field, arr, "must be a bool or numeric array of 0s and 1s")
    bits = arr != 0
    if not np.array_equal(arr, bits):
        bad = arr[(arr != 0) & (arr != 1)].ravel()[0]
        raise invalid(obj, field, arr,
                      f"must hold only 0s and 1s (found {bad!r})")
    return bits
