"""Tidy tables of experiment summaries, for CSV files and data frames.

An experiment's summary is a nested dict: scalar parameters and metrics, tables (lists of
row dicts), named groups (dicts of dicts) and curves (lists of numbers). `tidy_rows`
flattens it into rows of plain columns, one observation per row:

- the top-level scalars (experiment, seed, backend, ...) are repeated on every row;
- a list of dicts gives one row per item, a dict of dicts one row per key (column ``name``),
  both marked with the key they came from (column ``table``);
- lists of numbers of equal length under one key become one row per index (column
  ``index``), one column per list;
- anything nested deeper is flattened with dotted column names (``a.b``), and lists inside
  a row are written as JSON text.
"""
from __future__ import annotations

import csv
import json

from .errors import ValidationError
from .io import atomic_path

__all__ = ["tidy_rows", "write_csv"]


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flat(v, key + "."))
        elif _scalar(v):
            out[key] = v
        else:
            out[key] = json.dumps(v)
    return out


def tidy_rows(summary: dict) -> list:
    """Rows (dicts of column -> scalar) of a nested `summary` (see the module docstring).

    Raises
    ------
    ValidationError
        If `summary` is not a dict.
    """
    if not isinstance(summary, dict):
        raise ValidationError(f"tidy_rows: summary must be a dict, got {type(summary).__name__}")
    context = {k: v for k, v in summary.items() if _scalar(v)}
    rows = []
    curves = {}
    for key, value in summary.items():
        if _scalar(value):
            continue
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            rows += [{"table": key, **_flat(r)} for r in value]
        elif isinstance(value, dict) and value and all(isinstance(r, dict) for r in value.values()):
            rows += [{"table": key, "name": name, **_flat(r)} for name, r in value.items()]
        elif isinstance(value, list) and all(_scalar(v) for v in value):
            curves.setdefault(len(value), {})[key] = value
        elif isinstance(value, dict):
            rows.append({"table": key, **_flat(value)})
        else:
            rows.append({"table": key, "value": json.dumps(value)})
    for length, columns in curves.items():
        names = "+".join(columns)
        rows += [{"table": names, "index": i, **{k: v[i] for k, v in columns.items()}}
                 for i in range(length)]
    return [{**context, **r} for r in rows] or [context]


def write_csv(path, summary: dict) -> None:
    """Write `tidy_rows(summary)` to `path` as CSV (header = union of columns), atomically."""
    rows = tidy_rows(summary)
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
