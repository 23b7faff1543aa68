"""Backends: one `build` over the Numba engine, Brian2, Nengo and the Loihi fixed-point engine.

Every backend returns a simulator with ``run(duration_ms)``, ``recording``,
``weights(projection)``, ``set_weights``, ``add_spikes`` and ``reset()``.
"""
from __future__ import annotations

import importlib
import importlib.util
import warnings

from ..errors import ValidationError

__all__ = ["build", "available", "BACKENDS", "GENERAL_BACKENDS"]

#: backend name -> (module that defines it, simulator class name, package it needs)
BACKENDS = {
    "numba": ("spikemem.backends.numba", "NumbaSimulator", "numba"),
    "brian2": ("spikemem.backends.brian2", "Brian2Simulator", "brian2"),
    "nengo": ("spikemem.backends.nengo", "NengoSimulator", "nengo"),
    # integer Loihi 1 arithmetic; needs loihi=spikemem.hardware.to_loihi(network)
    "loihi-fixed": ("spikemem.backends.numba.fixed_point", "LoihiFixedPointSimulator", "numba"),
}

#: Backends that run a network from the IR alone (the spec suite runs on each of them);
#: "loihi-fixed" also needs the quantised network.
GENERAL_BACKENDS = ("numba", "brian2", "nengo")


def available() -> dict:
    """Backends that can run here: ``{name: version of the package it needs}``."""
    out = {}
    for name, (module, _, package) in BACKENDS.items():
        if importlib.util.find_spec(package) is None or importlib.util.find_spec(module) is None:
            continue
        out[name] = getattr(importlib.import_module(package), "__version__", "unknown")
    return out


def build(network, backend: str = "numba", seed: int = 0, **options):
    """Build a simulator of `network` on `backend` ("numba", "brian2", "nengo", "loihi-fixed").

    Parameters
    ----------
    network : Network
    backend : str
        A name of `BACKENDS`. ``"loihi-fixed"`` runs the integer arithmetic of Loihi 1 and
        needs the quantised network: ``build(net, "loihi-fixed", loihi=to_loihi(net))``
        (`spikemem.hardware.to_loihi`; the quantisation belongs to the hardware layer, which
        backends do not import).
    seed : int
        Seed for any randomness the backend itself adds (the network's own randomness is
        already fixed by its seeded connectors and sources).
    max_memory : float, optional (keyword)
        Memory limit, bytes, for the build estimate (`spikemem.resources.check_build`);
        default: the memory available now; ``float("inf")`` disables the check.
    **options
        Backend-specific options (e.g. ``progress=False``; Brian2: ``device="cpp_standalone"``;
        loihi-fixed: ``loihi``). ``backend="numba", fixed_point=loihi`` is a deprecated
        spelling of ``backend="loihi-fixed", loihi=loihi``.

    Raises
    ------
    ValidationError
        Unknown backend name.
    UnsupportedFeature
        The backend cannot express a feature of the network (raised before running).
    ResourceError
        The estimated memory exceeds the limit (raised before allocating).
    """
    if backend == "numba" and "fixed_point" in options:
        warnings.warn('build(backend="numba", fixed_point=...) is deprecated; use '
                      'build(network, backend="loihi-fixed", loihi=...)', DeprecationWarning,
                      stacklevel=2)
        backend, options["loihi"] = "loihi-fixed", options.pop("fixed_point")
    if backend not in BACKENDS:
        raise ValidationError(f"build: backend must be one of {sorted(BACKENDS)}, got {backend!r}")
    from ..resources import check_build
    max_memory = options.pop("max_memory", None)
    check_build(network, max_memory, backend)
    module, cls, _ = BACKENDS[backend]
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise ValidationError(f"build: backend {backend!r} is not available here ({exc})") from None
    sim = getattr(mod, cls)(network, seed=seed, **options)
    sim.max_memory = max_memory
    return sim
