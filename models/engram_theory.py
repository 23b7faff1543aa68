"""Capacity theory for auto-associative memories, to compare the engram network against.

* Hopfield (Amit, Gutfreund & Sompolinsky 1985): dense +-1 patterns, covariance (Hebb) rule,
  ``P_max = 0.138 N``.
* Willshaw (Willshaw, Buneman & Longuet-Higgins 1969): sparse binary patterns of ``k`` active
  cells among ``N``, clipped (binary) Hebbian synapses, one-step retrieval with threshold equal
  to the number of cue cells. After ``P`` patterns a synapse is on with probability
  ``p1 = 1 - (1 - f^2)^P`` (``f = k / N``); a cell outside the pattern fires if all ``c`` cue
  cells reach it, with probability ``p1^c``. The capacity is the ``P`` at which the expected
  number of such errors, ``(N - k) p1^c``, reaches a tolerance (one cell).
* Sparse covariance networks (Tsodyks & Feigel'man 1988; Amari 1989): ``P_max ~ N / (2 f |ln f|)``
  for small ``f``.
* This network (`relative_threshold_capacity`): clipped synapses as Willshaw's, but the global
  inhibition makes the threshold relative to the activity: with ``a`` active cells a cell fires
  when ``m >= inhibition * a + threshold * k`` of them reach it (``m ~ Binomial(a, p1)``). The
  cue step (``a = c``) and the completed engram (``a = k``) must both stay below the tolerance.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.stats import binom

from spikemem.errors import ValidationError

__all__ = ["hopfield_capacity", "willshaw_capacity", "sparse_covariance_capacity",
           "relative_threshold_capacity", "patterns_for_load"]


def _check(n, k):
    if not (isinstance(n, (int, np.integer)) and n >= 2):
        raise ValidationError(f"capacity theory: n must be an integer >= 2, got {n!r}")
    if not (isinstance(k, (int, np.integer)) and 1 <= k < n):
        raise ValidationError(f"capacity theory: k must be an integer in 1..{n - 1}, got {k!r}")


def hopfield_capacity(n: int) -> float:
    """Patterns a Hopfield network of `n` cells stores (dense +-1 patterns): ``0.138 n``."""
    return 0.138 * n


def patterns_for_load(p1: float, f: float) -> float:
    """Number of stored patterns at which a clipped synapse is on with probability `p1`."""
    return math.log(1.0 - p1) / math.log(1.0 - f * f)


def willshaw_capacity(n: int, k: int, cue: int | None = None, errors: float = 1.0) -> float:
    """Willshaw capacity (patterns) for `k`-of-`n` patterns recalled from `cue` cells.

    Parameters
    ----------
    n, k : int
        Cells and active cells per pattern.
    cue : int, optional
        Cue cells (threshold = cue); default `k` (complete cue).
    errors : float
        Tolerated expected number of wrongly active cells (> 0).
    """
    _check(n, k)
    c = k if cue is None else cue
    p1 = (errors / (n - k)) ** (1.0 / c)
    return patterns_for_load(min(p1, 1.0 - 1e-15), k / n)


def sparse_covariance_capacity(n: int, f: float) -> float:
    """Tsodyks-Feigel'man / Amari capacity ``n / (2 f |ln f|)`` of sparse patterns (0 < f < 1)."""
    if not 0.0 < f < 1.0:
        raise ValidationError(f"sparse_covariance_capacity: f must lie in (0, 1), got {f!r}")
    return n / (2.0 * f * abs(math.log(f)))


def relative_threshold_capacity(n: int, k: int, cue: int, inhibition: float, threshold: float,
                                errors: float = 1.0) -> float:
    """Capacity (patterns) of clipped synapses read out with an activity-relative threshold.

    A cell outside the engram fires when at least ``ceil(inhibition * a + threshold * k)`` of
    the ``a`` active cells reach it through an on synapse; the capacity is the largest load at
    which, for ``a = cue`` and ``a = k``, the expected number of such cells is at most `errors`.
    Returns 0 if the engram itself cannot complete from the cue
    (``cue * (1 - inhibition) < threshold * k``).
    """
    _check(n, k)
    if cue * (1.0 - inhibition) < threshold * k - 1e-12:
        return 0.0

    def spurious(p1):
        worst = 0.0
        for a in (cue, k):
            need = math.ceil(inhibition * a + threshold * k - 1e-9)
            worst = max(worst, (n - k) * binom.sf(need - 1, a, p1))
        return worst

    lo, hi = 0.0, 1.0 - 1e-12
    if spurious(hi) <= errors:
        return math.inf
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if spurious(mid) <= errors else (lo, mid)
    return patterns_for_load(lo, k / n)
