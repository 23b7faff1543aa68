"""Exceptions raised by spikemem, and the validation helpers that raise them.

Every message names the object, the field, the offending value and what is
allowed, so that a user can fix a model without reading the library's code.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "SpikememError",
    "ValidationError",
    "UnsupportedFeature",
    "FileFormatError",
    "PendingOperation",
    "check_finite",
    "check_positive",
    "check_nonnegative",
    "check_positive_or_inf",
    "check_in",
    "check_int",
    "check_real",
    "invalid",
]


class SpikememError(Exception):
    """Base class of every error spikemem raises on purpose."""


class ValidationError(SpikememError, ValueError):
    """A model description or an argument has a value outside its allowed range."""


class UnsupportedFeature(SpikememError, NotImplementedError):
    """A backend or an exporter cannot express a feature of the network.

    Raised before anything runs or is written, naming the feature and the target.
    """


class FileFormatError(SpikememError, ValueError):
    """A file is not a spikemem file of the expected kind or format version."""


class PendingOperation(SpikememError, RuntimeError):
    """A memory session was interrupted (Ctrl-C) in the middle of an operation and refuses
    anything else until ``session.resume()`` has completed that operation."""


def _fmt(value: Any) -> str:
    """A value as shown in an error message (arrays summarised, long reprs shortened)."""
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape}, dtype={value.dtype})"
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def invalid(owner: str, field: str, value: Any, allowed: str) -> ValidationError:
    """The `ValidationError` ``"<owner>: <field> <allowed>, got <value>"``.

    Parameters
    ----------
    owner : str
        Object or function the bad value was given to, e.g. ``"ScalarEncoder"``.
    field : str
        Name of the argument or attribute.
    value : object
        The offending value (summarised if it is an array).
    allowed : str
        The rule the value broke, e.g. ``"must be an integer >= 1"``.
    """
    return ValidationError(f"{owner}: {field} {allowed}, got {_fmt(value)}")


def check_finite(owner: str, field: str, value: Any) -> None:
    """Raise `ValidationError` unless every element of `value` is a finite number.

    Strings, bools, lists, empty arrays and objects are rejected (``cm='3'`` is not silently
    read as 3.0).
    """
    try:
        raw = None if isinstance(value, (str, bytes, list, tuple)) else np.asarray(value)
    except ValueError:
        raw = None
    if raw is None or raw.dtype.kind not in "iuf" or raw.size == 0:
        raise ValidationError(f"{owner}: {field} must be a number (not a string, bool or "
                              f"object), got {_fmt(value)}")
    arr = raw.astype(float)
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].ravel()[0] if arr.ndim else float(arr)
        raise ValidationError(f"{owner}: {field} must be finite, got {bad!r}")


def check_positive(owner: str, field: str, value: Any) -> None:
    """Raise `ValidationError` unless `value` (scalar or array) is finite and > 0."""
    check_finite(owner, field, value)
    arr = np.asarray(value, dtype=float)
    if np.any(arr <= 0):
        bad = arr[arr <= 0].ravel()[0] if arr.ndim else float(arr)
        raise ValidationError(f"{owner}: {field} must be > 0, got {bad!r}")


def check_nonnegative(owner: str, field: str, value: Any) -> None:
    """Raise `ValidationError` unless `value` (scalar or array) is finite and >= 0."""
    check_finite(owner, field, value)
    arr = np.asarray(value, dtype=float)
    if np.any(arr < 0):
        bad = arr[arr < 0].ravel()[0] if arr.ndim else float(arr)
        raise ValidationError(f"{owner}: {field} must be >= 0, got {bad!r}")


def check_positive_or_inf(owner: str, field: str, value: Any) -> None:
    """Raise `ValidationError` unless `value` is a real number > 0 (``inf`` allowed)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
            or math.isnan(value) or value <= 0:
        raise ValidationError(f"{owner}: {field} must be a number > 0 (inf allowed), "
                              f"got {_fmt(value)}")


def check_in(owner: str, field: str, value: Any, allowed) -> None:
    """Raise `ValidationError` unless `value` is one of `allowed`."""
    try:
        ok = value in allowed
    except TypeError:           # unhashable (a list given for a name)
        ok = False
    if not ok:
        raise ValidationError(
            f"{owner}: {field} must be one of {sorted(allowed)}, got {_fmt(value)}")


def check_int(owner: str, field: str, value: Any, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return `value` as an int; raise `ValidationError` unless it is an integer in range.

    Integers are Python or numpy integers, not bools and not floats (``2.0`` is refused, as
    PyNN and Nengo refuse it), within ``[minimum, maximum]`` (either bound optional).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise invalid(owner, field, value, "must be an integer")
    ivalue = int(value)
    if (minimum is not None and ivalue < minimum) or (maximum is not None and ivalue > maximum):
        rule = " and ".join(([f">= {minimum}"] if minimum is not None else []) +
                            ([f"<= {maximum}"] if maximum is not None else []))
        raise invalid(owner, field, ivalue, f"must be an integer {rule}")
    return ivalue


def check_real(owner: str, field: str, value: Any, *, low: float = -np.inf,
               high: float = np.inf, low_open: bool = False) -> float:
    """Return `value` as float if it is a finite real in ``[low, high]`` (``(low, high]`` if
    `low_open`); raise `ValidationError` otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise invalid(owner, field, value, "must be a real number")
    value = float(value)
    too_low = value <= low if low_open else value < low
    if not np.isfinite(value) or too_low or value > high:
        bracket = "(" if low_open else "["
        raise invalid(owner, field, value, f"must be a finite number in {bracket}{low}, {high}]")
    return value
