"""What a sweep runs: the experiment, its grid points, the seeds, and each point's key.

Everything here is checked in the client before any task is sent, so bad input fails fast
with a message naming the experiment, the parameter, the value and what is allowed.
"""
from __future__ import annotations

import hashlib
import importlib
import inspect
import itertools
import json
import math
import numbers
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Optional

import numpy as np

from .errors import ValidationError

__all__ = ["SweepTarget", "Point", "resolve_target", "sweepable_experiments", "expand_grid",
           "parse_grid", "parse_seeds", "check_seeds", "point_key", "RESERVED_COLUMNS"]

#: Columns every record has; a parameter or metric may not use these names, except
#: ``backend`` (a parameter or a metric named so fills the column).
RESERVED_COLUMNS = ("key", "experiment", "seed", "status", "backend", "wall_s", "cpu_s",
                    "spikemem_version", "error", "traceback")

_SCALARS = (bool, int, float, str)


@dataclass(frozen=True)
class SweepTarget:
    """A per-point function and what is known about its parameters.

    Attributes
    ----------
    name : str
        Experiment name (``"stress"``) or ``"module:function"`` for a plain function; part
        of every point's key.
    point : callable
        ``point(params: dict, seed: int[, out: Path]) -> dict`` of scalar metrics.
    defaults : dict or None
        Every parameter with its default (its type is the parameter's type); None when the
        function does not declare its parameters (then any scalar is accepted).
    takes_out : bool
        Whether `point` accepts ``out`` (a folder for the point's artefacts).
    warm : callable or None
        Called once on each worker before the tasks (loads compiled kernels).
    check : callable or None
        ``check(params)`` raises ValueError for a parameter set outside the allowed ranges;
        called in the client for every grid point before anything runs.
    """

    name: str
    point: Callable
    defaults: Optional[Mapping[str, Any]]
    takes_out: bool
    warm: Optional[Callable] = None
    check: Optional[Callable] = None


@dataclass(frozen=True)
class Point:
    """One task: a full parameter set, a seed and its key."""

    params: dict
    seed: int
    key: str


def sweepable_experiments() -> list:
    """Names of installed experiments that define ``point`` and ``POINT_DEFAULTS``."""
    from .cli import experiment_names
    names = []
    for name in experiment_names():
        module = importlib.import_module(f"spikemem.experiments.{name}")
        if callable(getattr(module, "point", None)) and hasattr(module, "POINT_DEFAULTS"):
            names.append(name)
    return names


def _takes_out(fn: Callable) -> bool:
    try:
        return "out" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def resolve_target(experiment) -> SweepTarget:
    """The `SweepTarget` of an experiment name, a ``"module:function"`` string or a callable.

    Raises
    ------
    ValidationError
        Unknown experiment, an experiment without a per-point function, a
        ``module:function`` that cannot be imported, or something that is not callable.
    """
    if callable(experiment):
        name = (f"{getattr(experiment, '__module__', None) or type(experiment).__module__}:"
                f"{getattr(experiment, '__qualname__', None) or type(experiment).__qualname__}")
        return SweepTarget(name, experiment, getattr(experiment, "POINT_DEFAULTS", None),
                           _takes_out(experiment), getattr(experiment, "warm", None),
                           getattr(experiment, "check_params", None))
    if not isinstance(experiment, str) or not experiment:
        raise ValidationError(f"sweep: experiment must be an experiment name, a "
                              f"'module:function' string or a callable, got {experiment!r}")
    if ":" in experiment:
        module_name, _, attr = experiment.partition(":")
        try:
            fn = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ValidationError(f"sweep: cannot load the point function {experiment!r}: "
                                  f"{exc}") from exc
        if not callable(fn):
            raise ValidationError(f"sweep: {experiment!r} is not callable")
        target = resolve_target(fn)
        return SweepTarget(experiment, fn, target.defaults, target.takes_out, target.warm,
                           target.check)
    from .cli import experiment_names
    if experiment not in experiment_names():
        raise ValidationError(f"sweep: unknown experiment {experiment!r}; sweepable "
                              f"experiments: {', '.join(sweepable_experiments())} (or give "
                              f"'module:function')")
    module = importlib.import_module(f"spikemem.experiments.{experiment}")
    fn = getattr(module, "point", None)
    defaults = getattr(module, "POINT_DEFAULTS", None)
    if not callable(fn) or defaults is None:
        raise ValidationError(f"sweep: experiment {experiment!r} has no per-point function "
                              f"(point, POINT_DEFAULTS); sweepable experiments: "
                              f"{', '.join(sweepable_experiments())}")
    return SweepTarget(experiment, fn, dict(defaults), _takes_out(fn),
                       getattr(module, "warm", None), getattr(module, "check_params", None))


def _kind(default) -> type:
    for kind in _SCALARS:
        if type(default) is kind:
            return kind
    raise TypeError(f"parameter default {default!r} is not a bool, int, float or str")


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _coerce(target: SweepTarget, name: str, value):
    """`value` as the type of the parameter's default; ValidationError if it is not one."""
    value = _plain(value)
    where = f"sweep {target.name}: grid parameter {name!r}"
    if target.defaults is None:
        if not isinstance(value, _SCALARS) and value is not None:
            raise ValidationError(f"{where}: value {value!r} must be a bool, int, float, str "
                                  f"or None")
        if isinstance(value, float) and math.isnan(value):
            raise ValidationError(f"{where}: value NaN is not allowed")
        return value
    kind = _kind(target.defaults[name])
    ok = (isinstance(value, bool) if kind is bool else
          isinstance(value, numbers.Integral) and not isinstance(value, bool) if kind is int else
          isinstance(value, numbers.Real) and not isinstance(value, bool) if kind is float else
          isinstance(value, str))
    if not ok:
        raise ValidationError(f"{where}: value {value!r} ({type(value).__name__}) must be "
                              f"{kind.__name__} (the type of its default "
                              f"{target.defaults[name]!r})")
    value = kind(value)
    if kind is float and math.isnan(value):
        raise ValidationError(f"{where}: value NaN is not allowed")
    return value


def _check_name(target: SweepTarget, name) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValidationError(f"sweep {target.name}: grid parameter name {name!r} must be an "
                              f"identifier")
    if name in RESERVED_COLUMNS and name != "backend":
        raise ValidationError(f"sweep {target.name}: grid parameter {name!r} is a reserved "
                              f"column name ({', '.join(RESERVED_COLUMNS)})")
    if target.defaults is not None and name not in target.defaults:
        allowed = ", ".join(f"{k} ({_kind(v).__name__}, default {v!r})"
                            for k, v in target.defaults.items())
        raise ValidationError(f"sweep {target.name}: unknown grid parameter {name!r}; "
                              f"parameters: {allowed}")


def check_grid(target: SweepTarget, grid) -> dict:
    """The grid with values coerced to the parameters' types, in the given order.

    Raises
    ------
    ValidationError
        An empty grid, a parameter without values or with a value listed twice, an unknown
        parameter or a value of the wrong type.
    """
    if not isinstance(grid, Mapping):
        raise ValidationError(f"sweep {target.name}: grid must be a mapping of parameter "
                              f"name -> list of values, got {type(grid).__name__}")
    if not grid:
        raise ValidationError(f"sweep {target.name}: the grid is empty; give at least one "
                              f"parameter with its values (e.g. size=10,100)")
    checked = {}
    for name, values in grid.items():
        _check_name(target, name)
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            values = [values]
        values = [_coerce(target, name, v) for v in values]
        if not values:
            raise ValidationError(f"sweep {target.name}: grid parameter {name!r} has no "
                                  f"values")
        seen = set()
        for v in values:
            if (type(v), v) in seen:
                raise ValidationError(f"sweep {target.name}: grid parameter {name!r} lists "
                                      f"{v!r} twice")
            seen.add((type(v), v))
        checked[name] = values
    return checked


def check_seeds(seeds) -> list:
    """Seeds as a list of distinct non-negative ints (a string such as ``"0-9,20"`` is parsed).

    Raises
    ------
    ValidationError
        No seeds, a seed that is not a non-negative int, or a seed listed twice.
    """
    if isinstance(seeds, str):
        return parse_seeds(seeds)
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        seeds = [seeds]
    try:
        seeds = [_plain(s) for s in seeds]
    except TypeError:
        raise ValidationError(f"sweep: seeds must be a list of ints or a string such as "
                              f"'0-9', got {seeds!r}") from None
    if not seeds:
        raise ValidationError("sweep: no seeds given; give at least one (e.g. 0-9)")
    for s in seeds:
        if not isinstance(s, numbers.Integral) or isinstance(s, bool) or s < 0:
            raise ValidationError(f"sweep: seed {s!r} must be a non-negative int")
    if len(set(seeds)) != len(seeds):
        raise ValidationError(f"sweep: seeds {seeds!r} list a seed twice")
    return [int(s) for s in seeds]


def parse_seeds(text: str) -> list:
    """``"0-9"``, ``"3"`` or ``"0-4,10,12-13"`` -> list of ints (ranges include both ends)."""
    seeds = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m or (m.group(2) is not None and int(m.group(2)) < int(m.group(1))):
            raise ValidationError(f"sweep: cannot read seeds {text!r}: {part!r} is not N or "
                                  f"N-M with M >= N (e.g. 0-9 or 0,3,5-7)")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        seeds.extend(range(lo, hi + 1))
    return check_seeds(seeds)


def _parse_text(target: SweepTarget, name: str, text: str):
    kind = _kind(target.defaults[name]) if target.defaults is not None else None
    where = f"sweep {target.name}: grid parameter {name!r}"
    if kind is str:
        return text
    lowered = text.strip().lower()
    if kind is bool or (kind is None and lowered in ("true", "false")):
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ValidationError(f"{where}: value {text!r} must be a bool (true/false)")
    for parse in ((int,) if kind is int else (float,) if kind is float else (int, float)):
        try:
            return parse(text)
        except ValueError:
            pass
    if kind is None:
        return text
    raise ValidationError(f"{where}: value {text!r} must be {kind.__name__} (the type of its "
                          f"default {target.defaults[name]!r})")


def parse_grid(target: SweepTarget, items) -> dict:
    """Command-line grid items ``["size=10,100", "gap=0,6"]`` -> checked grid dict.

    Raises
    ------
    ValidationError
        An item without ``=``, a parameter given twice, or anything `check_grid` refuses.
    """
    grid = {}
    for item in items or ():
        name, eq, values = item.partition("=")
        name = name.strip()
        if not eq or not name:
            raise ValidationError(f"sweep {target.name}: grid item {item!r} must read "
                                  f"NAME=V1,V2,...")
        if name in grid:
            raise ValidationError(f"sweep {target.name}: grid parameter {name!r} is given "
                                  f"twice")
        _check_name(target, name)
        grid[name] = [_parse_text(target, name, v.strip()) for v in values.split(",")
                      if v.strip()]
    return check_grid(target, grid)


def point_key(experiment: str, params: Mapping, seed: int, version: str) -> str:
    """Hex digest (20 characters) identifying a point: experiment, parameters, seed, version."""
    blob = json.dumps({"experiment": experiment, "params": dict(params), "seed": seed,
                       "version": version}, sort_keys=True, allow_nan=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def expand_grid(target: SweepTarget, grid: dict, seeds: list, version: str) -> list:
    """Every grid point x seed as a `Point` (defaults filled in), in grid order then seed.

    Raises
    ------
    ValidationError
        A grid point the target's ``check_params`` refuses.
    """
    names = list(grid)
    points = []
    for combo in itertools.product(*(grid[n] for n in names)):
        params = dict(target.defaults or {})
        params.update(zip(names, combo))
        if target.check is not None:
            try:
                target.check(dict(params))
            except ValueError as exc:
                raise ValidationError(f"sweep {target.name}: grid point "
                                      f"{dict(zip(names, combo))} is not allowed: {exc}") from None
        for seed in seeds:
            points.append(Point(params, seed, point_key(target.name, params, seed, version)))
    return points
