"""Private validation helpers shared by the SDR modules and the Sparsey model."""

from __future__ import annotations

import numbers

import numpy as np

from spikemem.errors import ValidationError


def invalid(obj: str, field: str, value, allowed: str) -> ValidationError:
    """Build the `ValidationError` (a ValueError) every SDR check raises.

    Parameters
    ----------
    obj : str
        Object or function the bad value was given to, e.g. ``"ScalarEncoder"``.
    field : str
        Name of the argument or attribute.
    value : object
        The offending value (summarised if it is an array).
    allowed : str
        The rule the value broke, e.g. ``"must be an integer >= 1"``.

    Returns
    -------
    ValidationError
        Exception with the message ``"<obj>: <field> <allowed>, got <value>"``.
    """
    if isinstance(value, np.ndarray):
        shown = f"array(shape={value.shape}, dtype={value.dtype})"
    else:
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
    return ValidationError(f"{obj}: {field} {allowed}, got {shown}")


def check_int(obj: str, field: str, value, *, low: int, high: int | None = None) -> int:
    """Return ``value`` as int if it is an integer (not bool) in ``[low, high]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise invalid(obj, field, value, "must be an integer")
    value = int(value)
    if value < low or (high is not None and value > high):
        upper = "" if high is None else f" and <= {high}"
        raise invalid(obj, field, value, f"must be an integer >= {low}{upper}")
    return value


def check_real(obj: str, field: str, value, *, low: float = -np.inf, high: float = np.inf,
               low_open: bool = False) -> float:
    """Return ``value`` as float if it is a finite real in ``[low, high]`` (``(low, high]`` if
    ``low_open``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise invalid(obj, field, value, "must be a real number")
    value = float(value)
    too_low = value <= low if low_open else value < low
    if not np.isfinite(value) or too_low or value > high:
        bracket = "(" if low_open else "["
        raise invalid(obj, field, value, f"must be a finite number in {bracket}{low}, {high}]")
    return value


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
