"""The one validation of numbers and arrays that reach a kernel (IR layer; numpy only).

Every IR constructor, every loader (``from_dict``, ``load``) and the lowering layer call these
functions, so an index, a time or a parameter is checked in exactly one way wherever it comes
from. A value is checked *before* any cast (so ``2**63``, ``1e20`` or ``uint64(2**64 - 1)``
cannot wrap into a valid-looking int64) and the cast result is checked again.

Rejected everywhere, with a `ValidationError` naming the object, the field, the value and the
allowed range: strings and bools given as numbers, NaN or infinite indices, non-integer
indices (``0.5``), indices outside ``0 .. size-1``, arrays of unequal length, and magnitudes
outside the sane ranges below (which keep every derived quantity finite in float64 and every
step count inside int64). NumPy scalar types are accepted like Python numbers.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, Mapping, Optional

import numpy as np

from .errors import ValidationError

__all__ = ["MAX_DELAY_MS", "MAX_DELAY_STEPS", "MAX_DURATION_MS", "MAX_MAGNITUDE",
           "MAX_SIZE", "MAX_TIME_MS", "check_number", "check_index_array", "check_real_array",
           "check_connection_arrays", "check_broadcast_array", "check_integer", "check_label", "describe", "as_dict",
           "as_real_array", "construct", "from_description", "without_negative_zeros"]

#: Longest synaptic delay, ms (100 s; sPyNNaker's longest is 144 steps).
MAX_DELAY_MS = 1e5
#: Longest synaptic delay in time steps (the delay ring buffer has this many rows at most).
MAX_DELAY_STEPS = 1 << 20
#: Longest single run / session gap / source window, ms (about 11.6 simulated days).
MAX_DURATION_MS = 1e9
#: Latest spike time or onset, ms.
MAX_TIME_MS = 1e12
#: Largest magnitude of a parameter (mV, nA, nF, ms): beyond it derived values overflow.
MAX_MAGNITUDE = 1e9
#: Largest population, source or connection list (int64 products of sizes stay exact).
MAX_SIZE = 1 << 31


def describe(value: Any) -> str:
    """Short text of a (possibly huge) value for an error message."""
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_real(value) -> bool:
    return isinstance(value, (Real, np.floating, np.integer)) and \
        not isinstance(value, (bool, np.bool_))


def check_number(owner: str, field: str, value: Any, lo: float = -MAX_MAGNITUDE,
                 hi: float = MAX_MAGNITUDE, *, lo_open: bool = False, allow_inf: bool = False,
                 unit: str = "") -> float:
    """Return `value` as a float after checking it is a real number in ``[lo, hi]``.

    ``lo_open=True`` makes the lower bound exclusive; ``allow_inf=True`` accepts ``+inf``
    (e.g. "never") beyond `hi`. Strings, bools, None and NaN are rejected.
    """
    unit_txt = f" {unit}" if unit else ""
    rng = f"{'(' if lo_open else '['}{lo:g}, {hi:g}]{unit_txt}" + (" or inf" if allow_inf else "")
    if not _is_real(value):
        raise ValidationError(f"{owner}: {field} must be a number in {rng}, got "
                              f"{describe(value)} ({type(value).__name__})")
    x = float(value)
    if allow_inf and x == math.inf:
        return x
    if math.isnan(x) or x < lo or x > hi or (lo_open and x == lo):
        raise ValidationError(f"{owner}: {field} must be a number in {rng}, got {describe(value)}")
    return x


def _as_array(owner: str, field: str, value: Any) -> np.ndarray:
    if isinstance(value, (str, bytes)):
        raise ValidationError(f"{owner}: {field} must be an array of numbers, got "
                              f"{describe(value)}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:      # ragged nested lists
        raise ValidationError(f"{owner}: {field} must be a regular array of numbers, not "
                              f"ragged nested lists, got {describe(value)} ({exc})") from None
    if arr.dtype == np.bool_ or arr.dtype.kind not in "iuf":
        if arr.dtype.kind == "O" and arr.size and all(_is_real(v) for v in arr.ravel()):
            return np.asarray(arr.tolist(), dtype=float)
        if arr.size or arr.dtype.kind not in "OUSV":
            raise ValidationError(f"{owner}: {field} must hold numbers (not bools, strings or "
                                  f"objects), got dtype {arr.dtype}")
        arr = arr.astype(float)
    return arr


def as_real_array(owner: str, field: str, value: Any) -> np.ndarray:
    """Return `value` as a float64 array of any shape, after checking it holds numbers and is
    not ragged (nested lists of unequal lengths); the caller checks shape and range."""
    return _as_array(owner, field, value).astype(np.float64, copy=False)


def _shape_check(owner, field, arr, length):
    if arr.ndim != 1:
        raise ValidationError(f"{owner}: {field} must be 1-D, got shape {arr.shape}")
    if length is not None and arr.shape[0] != length:
        raise ValidationError(f"{owner}: {field} must have length {length} (like the other "
                              f"connection arrays), got {arr.shape[0]}")
    if arr.shape[0] > MAX_SIZE:
        raise ValidationError(f"{owner}: {field} has {arr.shape[0]} entries, more than "
                              f"{MAX_SIZE}")


def check_index_array(owner: str, field: str, value: Any, size: Optional[int] = None, *,
                      start: int = 0, length: Optional[int] = None) -> np.ndarray:
    """Return `value` as a 1-D int64 array of indices in ``start .. start + size - 1``
    (an int32 array in range is returned as it is).

    Integer-valued floats (``3.0``) are accepted; bools, strings, NaN, inf, fractions and
    any value that does not fit int64 are rejected before the cast, and the cast is checked
    to be exact. `length` requires an exact number of entries.
    """
    arr = _as_array(owner, field, value)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    _shape_check(owner, field, arr, length)
    if size is None:
        allowed, hi = "an integer >= 0", float(np.iinfo(np.int64).max)
        lo = 0
    else:
        lo, hi = start, start + size - 1
        allowed = f"an integer in {lo}..{hi}"
    if arr.size == 0:
        return np.zeros(0, np.int64)
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.floor(arr))
        if np.any(bad):
            raise ValidationError(f"{owner}: {field} must be {allowed}, got "
                                  f"{arr[bad][0]!r} at position {int(np.argmax(bad))}")
    if arr.dtype == np.int32 and arr.min() >= lo and arr.max() <= hi:
        return arr          # cannot wrap: checked without a cast and kept compact (4 B each)
    # Compare before casting: a uint64 or float beyond int64 must not wrap around.
    too_low = arr < lo
    too_high = arr > hi if arr.dtype.kind != "f" else arr >= min(float(hi) + 1, 2.0 ** 63)
    bad = too_low | too_high
    if np.any(bad):
        raise ValidationError(f"{owner}: {field} {arr[bad][0]!r} at position "
                              f"{int(np.argmax(bad))} is out of range: must be {allowed}")
    out = arr.astype(np.int64)
    if np.any(out < lo) or np.any(out > hi) or not np.array_equal(out, arr):
        raise ValidationError(f"{owner}: {field} does not convert exactly to int64 indices "
                              f"in {lo}..{hi}")
    return out


def check_real_array(owner: str, field: str, value: Any, lo: float = -MAX_MAGNITUDE,
                     hi: float = MAX_MAGNITUDE, *, length: Optional[int] = None,
                     lo_open: bool = False, allow_nan: bool = False, unit: str = "",
                     shape: Optional[tuple] = None) -> np.ndarray:
    """Return `value` as a float64 array (1-D unless `shape` is given) with entries in
    ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``); NaN only with ``allow_nan``."""
    arr = _as_array(owner, field, value).astype(np.float64, copy=False)
    if shape is not None:
        if arr.shape != tuple(shape):
            raise ValidationError(f"{owner}: {field} must have shape {tuple(shape)}, got "
                                  f"{arr.shape}")
    else:
        if arr.ndim == 0:
            arr = arr.reshape(1)
        _shape_check(owner, field, arr, length)
    # a zero-stride view (one value for every synapse) is checked through its one value
    probe = arr[:1] if arr.ndim == 1 and arr.size and arr.strides == (0,) else arr
    nan = np.isnan(probe)
    check = ~nan if allow_nan else np.ones(probe.shape, bool)
    with np.errstate(invalid="ignore"):
        bad = check & ~((probe >= lo) & (probe <= hi) & ((probe > lo) if lo_open else True))
    if np.any(bad):
        rng = f"{'(' if lo_open else '['}{lo:g}, {hi:g}]" + (f" {unit}" if unit else "")
        raise ValidationError(f"{owner}: {field} must be finite and in {rng}, got "
                              f"{probe[bad].ravel()[0]!r}")
    return arr


def check_broadcast_array(owner: str, field: str, value: Any, length: int, lo: float, hi: float,
                          **kwargs) -> np.ndarray:
    """A scalar, a length-1 or a length-`length` array of reals in ``[lo, hi]`` (see
    `check_real_array` for the keyword arguments), returned as a float64 array of `length`."""
    arr = _as_array(owner, field, value)
    arr = check_real_array(owner, field, arr.reshape(-1) if arr.ndim == 0 else arr, lo, hi,
                           **kwargs)
    if arr.size == 1 and length != 1:
        return np.full(length, arr[0])
    if arr.size != length:
        raise ValidationError(f"{owner}: {field} must be a scalar or have length {length}, "
                              f"got {arr.size}")
    return arr


def check_connection_arrays(owner: str, pre_idx, post_idx, weight, delay, *,
                            pre_range: tuple, post_range: tuple):
    """Validate the explicit arrays of a projection; return them as (int64, int64, f8, f8)
    (int32 indices and float64 arrays, zero-stride views included, are kept without a copy).

    `pre_range` / `post_range` are ``(start, size)`` of the allowed indices in the parent
    populations' numbering. All four arrays must have the same length; weights are finite in
    ``[0, MAX_MAGNITUDE]`` nA, delays in ``(0, MAX_DELAY_MS]`` ms or NaN (one time step).
    """
    for name, val in (("pre_idx", pre_idx), ("post_idx", post_idx), ("weight", weight),
                      ("delay", delay)):
        if val is None:
            raise ValidationError(f"{owner}: explicit connection arrays must all be given; "
                                  f"{name} is missing")
    pre = check_index_array(owner, "pre_idx", pre_idx, pre_range[1], start=pre_range[0])
    n = pre.size
    post = check_index_array(owner, "post_idx", post_idx, post_range[1], start=post_range[0],
                             length=n)
    w = check_real_array(owner, "weight", weight, 0.0, MAX_MAGNITUDE, length=n, unit="nA")
    d = check_real_array(owner, "delay", delay, 0.0, MAX_DELAY_MS, length=n, lo_open=True,
                         allow_nan=True, unit="ms")
    return pre, post, w, d


def check_integer(owner: str, field: str, value: Any, lo: int = 0, hi: int = MAX_SIZE) -> int:
    """Return `value` as an int in ``[lo, hi]``; integer-valued floats are accepted."""
    if not _is_real(value) or (isinstance(value, (float, np.floating))
                               and not (math.isfinite(value) and float(value).is_integer())):
        raise ValidationError(f"{owner}: {field} must be an integer in {lo}..{hi}, got "
                              f"{describe(value)}")
    if not lo <= value <= hi:
        raise ValidationError(f"{owner}: {field} must be an integer in {lo}..{hi}, got "
                              f"{describe(value)}")
    return int(value)



def as_dict(owner: str, d: Any) -> dict:
    """A copy of `d` after checking it is a mapping with string keys (a loaded description)."""
    if not isinstance(d, Mapping) or not all(isinstance(k, str) for k in d):
        raise ValidationError(f"{owner}: description must be a dict with string keys, got "
                              f"{describe(d)}")
    return dict(d)


def construct(cls, fields: dict):
    """``cls(**fields)`` with unknown or missing fields reported as a `ValidationError`."""
    import dataclasses
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise ValidationError(f"{cls.__name__}: unknown field(s) {unknown}; allowed "
                              f"{sorted(known)}")
    try:
        return cls(**fields)
    except TypeError as exc:
        raise ValidationError(f"{cls.__name__}: {exc}") from None


def check_label(owner: str, label: Any, optional: bool = True) -> Optional[str]:
    """Return `label` after checking it is a non-empty string (or None if `optional`)."""
    if label is None and optional:
        return None
    if not isinstance(label, str) or not label or len(label) > 200:
        raise ValidationError(f"{owner}: label must be a non-empty string of at most 200 "
                              f"characters{' or None' if optional else ''}, got "
                              f"{describe(label)}")
    return label


def from_description(owner: str, build, d: Any):
    """``build(d)`` for a loaded description `d` (a dict), with a missing or malformed entry
    (``KeyError``, ``TypeError``, ...) reported as a `ValidationError` naming `owner`."""
    try:
        return build(as_dict(owner, d))
    except ValidationError:
        raise
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as exc:
        raise ValidationError(f"{owner}: malformed description "
                              f"({type(exc).__name__}: {exc})") from None


def without_negative_zeros(values: np.ndarray) -> np.ndarray:
    """`values` (float array) with every ``-0.0`` made ``+0.0``; `values` itself (no copy)
    when it holds none.

    Plastic weights are kept free of ``-0.0`` (`spikemem.Projection`, and every
    ``set_weights`` through `spikemem.lowering.check_weights`): an STDP update that adds a
    zero trace then leaves a weight bit for bit unchanged, which lets the Numba engine skip
    it (`spikemem.backends.numba.kernels`)."""
    negative_zero = (values == 0.0) & np.signbit(values)
    return values + 0.0 if negative_zero.any() else values
