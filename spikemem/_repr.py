"""Short ``repr`` for the IR's dataclasses: arrays and long sequences are summarised.

A dataclass's generated ``repr`` prints every array element (a CA3 projection: 15 000
characters). `short_repr` prints each field once, arrays as ``<shape dtype>`` and nested
objects through their own (short) repr, and caps the whole line at `MAX_CHARS`.
"""
from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["short_repr", "summarise_value", "MAX_CHARS"]

MAX_CHARS = 400
_MAX_VALUE_CHARS = 80


def summarise_value(value) -> str:
    """One short string for a field value: arrays and long sequences by length and range."""
    if isinstance(value, np.ndarray):
        if value.size == 0:
            return "<empty array>"
        if value.size <= 4:
            return repr(value.tolist())
        if not np.issubdtype(value.dtype, np.number):
            return f"<{value.size} {value.dtype}>"
        lo, hi = value.min(), value.max()
        return f"<{value.size} x {lo:.4g}>" if lo == hi else f"<{value.size}: {lo:.4g}..{hi:.4g}>"
    if isinstance(value, (list, tuple)) and len(value) > 4:
        return f"<{type(value).__name__} of {len(value)}>"
    text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[:_MAX_VALUE_CHARS - 3] + "..."
    return text


def _field_text(obj, field) -> str:
    value = getattr(obj, field.name)
    if field.name in ("pre", "post", "parent") and hasattr(value, "label"):
        return f"{field.name}={value.label!r}"
    return f"{field.name}={summarise_value(value)}"


def short_repr(obj) -> str:
    """``Type(field=value, ...)`` of a dataclass instance, at most `MAX_CHARS` characters.

    Fields still at ``None`` are left out; the groups a projection or view refers to
    (``pre``, ``post``, ``parent``) are named by their labels.
    """
    parts = [_field_text(obj, f) for f in dataclasses.fields(obj)
             if f.repr and getattr(obj, f.name) is not None]
    text = f"{type(obj).__name__}({', '.join(parts)})"
    if len(text) > MAX_CHARS:
        text = text[:MAX_CHARS - 4] + "...)"
    return text
