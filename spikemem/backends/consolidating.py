"""`ConsolidatingSTDP` state outside the Numba kernels: relaxation and component access.

The Brian2 and the Nengo backend keep, per consolidating synapse, a fast weight, a slow weight,
a tag and the step of the synapse's last update, exactly as the Numba engine does, and relax
the fast weight and the tag lazily whenever the synapse is touched. This module holds what
both need outside their per-step code, with the Numba kernels' floating-point operations in
the same order (``w_base + (w - w_base) * exp(-n * dt * rate)``, exp from the C library), so
that the weights they report and accept are bit for bit the Numba engine's:

* `relaxed`: fast weights and tags brought to a step, without changing the state;
* `with_component`: the state after ``set_weights(..., component=...)``, validated as the
  Numba engine validates it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import vectorize

from ..errors import ValidationError
from ..synapses import ConsolidatingSTDP

__all__ = ["libm_exp", "ConsolidatingState", "relaxed", "with_component", "bounded_fast",
           "component_of", "check_component", "COMPONENTS", "consolidating_params"]

#: Components of a consolidating projection's weights (`spikemem` simulators' ``weights``).
COMPONENTS = ("total", "fast", "slow", "tag")


@vectorize(["float64(float64)"], cache=True)
def libm_exp(x):
    """exp from the C library, elementwise (numpy's SIMD exp differs in the last bit)."""
    return math.exp(x)


def consolidating_params(syn: ConsolidatingSTDP) -> dict:
    """Per-projection constants of the rule as the kernels use them (rates are 1 / tau,
    0 for an infinite time constant)."""
    return {"decay_rate": 1.0 / syn.tau_decay, "w_base": syn.w_base,
            "tag_rate": 1.0 / syn.tau_tag, "tag_threshold": syn.tag_threshold,
            "transfer_fraction": syn.transfer_fraction, "w_slow_max": syn.w_slow_max}


@dataclass
class ConsolidatingState:
    """State of the synapses of one consolidating projection (arrays of shape (n,)).

    Attributes
    ----------
    fast, slow : ndarray of float
        Fast (short-term) and slow (long-term) weights, nA.
    tag : ndarray of float
        Consolidation tags (dimensionless).
    last : ndarray of int64
        Step at which each synapse's fast weight and tag were last brought up to date.
    """

    fast: np.ndarray
    slow: np.ndarray
    tag: np.ndarray
    last: np.ndarray

    @classmethod
    def initial(cls, syn: ConsolidatingSTDP, fast0: np.ndarray) -> "ConsolidatingState":
        n = np.asarray(fast0).shape[0]
        return cls(np.array(fast0, float), np.full(n, syn.slow_weight), np.zeros(n),
                   np.zeros(n, np.int64))


def relaxed(state: ConsolidatingState, syn: ConsolidatingSTDP, step: int, dt: float):
    """Fast weights and tags of `state` relaxed to `step` (new arrays; `state` unchanged).

    Returns
    -------
    fast, tag : ndarray of float, shape (n,)
    """
    p = consolidating_params(syn)
    n = step - state.last
    fast, tag = state.fast.copy(), state.tag.copy()
    moved = n > 0
    if p["decay_rate"] > 0.0 and np.any(moved):
        wb = p["w_base"]
        fast[moved] = wb + (state.fast[moved] - wb) * libm_exp(
            -n[moved] * dt * p["decay_rate"])
    if p["tag_rate"] > 0.0 and np.any(moved):
        tag[moved] = state.tag[moved] * libm_exp(-n[moved] * dt * p["tag_rate"])
    return fast, tag


def check_component(label: str, component: str, synapse=None) -> bool:
    """Raise `ValidationError` unless projection `label`, whose synapses are `synapse` (None:
    consolidating), has weight component `component`; return whether it is consolidating.

    A `ConsolidatingSTDP` projection has the `COMPONENTS`, any other only "total".
    """
    consolidating = synapse is None or isinstance(synapse, ConsolidatingSTDP)
    allowed = COMPONENTS if consolidating else ("total",)
    if component not in allowed:
        kind = "ConsolidatingSTDP" if synapse is None else type(synapse).__name__
        raise ValidationError(f"projection {label!r}: component must be one of {allowed} "
                              f"for its {kind} synapses, got {component!r}")
    return consolidating


def with_component(label: str, syn: ConsolidatingSTDP, state: ConsolidatingState, step: int,
                   dt: float, values, component: str) -> ConsolidatingState:
    """The state after setting `component` of every synapse to `values` at `step`.

    The synapses are first relaxed to `step`. "total" sets the fast weight to ``values -
    slow``; bounds as for the Numba engine: fast in ``[w_min, w_max - slow]``, slow in ``[0,
    w_slow_max]``, tag >= 0.

    Raises
    ------
    ValidationError
        Unknown component, wrong shape, a value that is not finite, negative or out of bounds.
    """
    check_component(label, component)
    w = np.asarray(values, float)
    if w.shape != state.fast.shape or np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValidationError(f"set_weights({label!r}): weights must be finite, >= 0 and of "
                              f"shape {state.fast.shape}")
    fast, tag = relaxed(state, syn, step, dt)
    last = np.full_like(state.last, step)
    slow = state.slow.copy()
    if component == "tag":
        return ConsolidatingState(fast, slow, w.copy(), last)
    if component == "slow":
        slow = w.copy()
    elif component == "total":
        fast = w - slow
    else:
        fast = w.copy()
    return ConsolidatingState(bounded_fast(label, syn, component, fast, slow), slow, tag, last)


def bounded_fast(label: str, syn: ConsolidatingSTDP, component: str, fast: np.ndarray,
                 slow: np.ndarray) -> np.ndarray:
    """Check new fast and slow weights (nA, same shape) of a `set_weights` on `component`
    against the bounds of `syn`; returns the fast weights clipped to ``[w_min, w_max - slow]``
    (the check allows a rounding tolerance of 1e-12 w_max).

    Raises
    ------
    ValidationError
        Slow weights above ``w_slow_max`` (when `component` is "slow"), or fast weights
        outside ``[w_min, w_max - slow]``.
    """
    tol = 1e-12 * max(1.0, syn.w_max)
    if component == "slow" and np.any(slow > syn.w_slow_max + tol):
        raise ValidationError(f"set_weights({label!r}, component='slow'): slow weights must "
                              f"be <= w_slow_max = {syn.w_slow_max} nA")
    if np.any(fast < syn.w_min - tol) or np.any(fast + slow > syn.w_max + tol):
        raise ValidationError(
            f"set_weights({label!r}, component={component!r}): fast weights must lie in "
            f"[w_min, w_max - slow] with w_min = {syn.w_min} nA, w_max = {syn.w_max} nA")
    return np.clip(fast, syn.w_min, syn.w_max - slow)


def component_of(state: ConsolidatingState, syn: ConsolidatingSTDP, step: int, dt: float,
                 component: str) -> np.ndarray:
    """One component of the weights at `step` (see `COMPONENTS`; checked by the caller with
    `check_component`), new array."""
    if component == "slow":
        return state.slow.copy()
    fast, tag = relaxed(state, syn, step, dt)
    return {"total": fast + state.slow, "fast": fast, "tag": tag}[component]
