"""Exceptions raised by spikemem, and the validation helpers that raise them.

Every message names the object, the field, the offending value and what is
allowed, so that a user can fix a model without reading the library's code.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "SpikememError",
    "ValidationError",
    "UnsupportedFeature",
    "FileFormatError",
    "check_finite",
    "check_positive",
    "check_nonnegative",
    "check_positive_or_inf",
    "check_in",
    "check_int",
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


def _fmt(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array(shape={value.shape})"
    return repr(value)


def check_finite(owner: str, field: str, value: Any) -> None:
    """Raise `ValidationError` unless every element of `value` is a finite number.

    Strings, bools and objects are rejected (``cm='3'`` is not silently read as 3.0).
    """
    raw = np.asarray(value) if not isinstance(value, (str, bytes)) else None
    if raw is None or raw.dtype.kind not in "iuf":
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
    if value not in allowed:
        raise ValidationError(
            f"{owner}: {field} must be one of {sorted(allowed)}, got {_fmt(value)}")


def check_int(owner: str, field: str, value: Any, minimum: int | None = None) -> int:
    """Return `value` as an int; raise `ValidationError` if it is not an integer >= `minimum`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if not (isinstance(value, float) and math.isfinite(value) and value.is_integer()):
            raise ValidationError(f"{owner}: {field} must be an integer, got {_fmt(value)}")
    ivalue = int(value)
    if minimum is not None and ivalue < minimum:
        raise ValidationError(f"{owner}: {field} must be >= {minimum}, got {ivalue}")
    return ivalue
