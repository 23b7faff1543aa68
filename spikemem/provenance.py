"""Provenance of a result: what ran, with which versions, seed, backend and command.

`provenance` returns a plain dict (JSON-ready) that experiments write as ``provenance.json``
beside their results and that `spikemem.report` shows. Versions are read from the installed
distributions' metadata, so nothing is imported to find them.
"""
from __future__ import annotations

import platform
import time
from importlib import metadata

from .errors import ValidationError

__all__ = ["provenance", "package_versions", "PACKAGES"]

#: Distributions whose versions a result records (spikemem first).
PACKAGES = ("spikemem", "numpy", "scipy", "numba", "brian2", "nengo", "matplotlib", "h5py",
            "nir", "PyNN", "nengo-loihi", "neo", "dask", "distributed")


def package_versions(packages=PACKAGES) -> dict:
    """``{distribution: version}`` of `packages`, ``"not installed"`` for the missing ones."""
    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def provenance(experiment: str, parameters: dict, command: str, wall_s: float) -> dict:
    """What to store beside a result so that it can be understood and reproduced.

    Parameters
    ----------
    experiment : str
        Experiment name.
    parameters : dict
        Every parameter of the run (plain values), including ``seed`` and ``backend``.
    command : str
        Shell command that reproduces the run.
    wall_s : float
        Wall-clock duration of the run, s (>= 0).

    Returns
    -------
    dict
        ``experiment``, ``command``, ``seed``, ``backend``, ``wall_s``, ``finished_utc``,
        ``python``, ``platform``, ``parameters`` and ``versions``.
    """
    if not isinstance(parameters, dict):
        raise ValidationError(
            f"provenance: parameters must be a dict, got {type(parameters).__name__}")
    if not wall_s >= 0:
        raise ValidationError(f"provenance: wall_s must be >= 0 s, got {wall_s!r}")
    return {"experiment": str(experiment), "command": str(command),
            "seed": parameters.get("seed"), "backend": parameters.get("backend", "none"),
            "wall_s": round(float(wall_s), 3),
            "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "python": platform.python_version(), "platform": platform.platform(terse=True),
            "parameters": {k: _plain(v) for k, v in parameters.items()},
            "versions": package_versions()}


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)
