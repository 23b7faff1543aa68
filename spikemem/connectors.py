"""Connectors: seeded factories for explicit connection arrays.

A connector never stays symbolic: `Projection` calls ``connect(n_pre, n_post)`` once and
stores the arrays it returns, so every backend and exporter sees identical connectivity.
Indices are local to the pre/post population (or population view).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ._repr import short_repr
from .errors import ValidationError
from .resources import check_connection_count
from .validation import (MAX_DELAY_MS, MAX_MAGNITUDE, as_dict, check_broadcast_array,
                         check_index_array, check_integer, check_number, construct)

__all__ = ["OneToOne", "AllToAll", "FixedProbability", "FixedTotalNumber", "FromList",
           "connector_from_dict", "Connection"]

#: (pre indices int64, post indices int64, weights nA or None, delays ms or None)
Connection = tuple


@dataclass(frozen=True)
class OneToOne:
    """Neuron i of the pre population to neuron i of the post population (equal sizes)."""

    def connect(self, n_pre: int, n_post: int) -> Connection:
        if n_pre != n_post:
            raise ValidationError(
                f"OneToOne: pre and post sizes must be equal, got {n_pre} and {n_post}")
        idx = np.arange(n_pre, dtype=np.int64)
        return idx, idx.copy(), None, None

    def to_dict(self) -> dict:
        return {"type": "OneToOne"}


@dataclass(frozen=True)
class AllToAll:
    """Every pre neuron to every post neuron.

    With ``allow_self_connections=False`` the pairs with equal local index (i -> i) are left
    out, whether or not pre and post are the same population (the CA3 memory's "all-to-all,
    no self" inhibition between two equally sized populations relies on this).
    """

    allow_self_connections: bool = True

    def __post_init__(self):
        _check_flag("AllToAll", self.allow_self_connections)

    def connect(self, n_pre: int, n_post: int) -> Connection:
        check_connection_count("AllToAll", n_pre * n_post)
        # drawn straight in int32 when the sizes allow (no int64 arrays of n_pre * n_post)
        dtype = np.int32 if max(n_pre, n_post) < np.iinfo(np.int32).max else np.int64
        pre = np.repeat(np.arange(n_pre, dtype=dtype), n_post)
        post = np.tile(np.arange(n_post, dtype=dtype), n_pre)
        if not self.allow_self_connections:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post, None, None

    def to_dict(self) -> dict:
        return {"type": "AllToAll", "allow_self_connections": self.allow_self_connections}


@dataclass(frozen=True)
class FixedProbability:
    """Each (pre, post) pair is connected independently with probability `p_connect`.

    Parameters
    ----------
    p_connect : float
        Connection probability in [0, 1].
    seed : int
        Seed of the random draw (required: the same seed gives the same connectivity).
    allow_self_connections : bool
        If False, pairs with equal local index are never connected.
    """

    p_connect: float
    seed: int
    allow_self_connections: bool = True

    def __post_init__(self):
        object.__setattr__(self, "p_connect",
                           check_number("FixedProbability", "p_connect", self.p_connect, 0.0, 1.0))
        object.__setattr__(self, "seed", check_integer("FixedProbability", "seed", self.seed,
                                                       0, 2 ** 63 - 1))
        _check_flag("FixedProbability", self.allow_self_connections)

    def connect(self, n_pre: int, n_post: int) -> Connection:
        # The connected pairs are the successes of n_pre * n_post Bernoulli(p) trials in
        # row-major order; the gaps between successive successes are geometric(p), so drawing
        # the gaps gives exactly that distribution in O(synapses) time and memory.
        total = n_pre * n_post
        check_connection_count("FixedProbability", total * self.p_connect)
        rng = np.random.default_rng(self.seed)
        p = self.p_connect
        chunks = []
        last = -1
        while p > 0.0 and last < total - 1:
            expected = (total - 1 - last) * p
            gaps = rng.geometric(p, size=int(expected + 5.0 * np.sqrt(expected) + 16))
            # For tiny p a gap can exceed int64 (numpy then returns a negative number): any gap
            # beyond the remaining pairs simply ends the draw.
            gaps[(gaps <= 0) | (gaps > total)] = total + 1
            flat = last + np.cumsum(gaps)
            chunks.append(flat[flat < total])
            last = int(flat[-1])
        flat = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
        pre, post = np.divmod(flat, n_post)
        if not self.allow_self_connections:
            keep = pre != post
            pre, post = pre[keep], post[keep]
        return pre, post, None, None

    def to_dict(self) -> dict:
        return {"type": "FixedProbability", "p_connect": self.p_connect, "seed": self.seed,
                "allow_self_connections": self.allow_self_connections}


@dataclass(frozen=True)
class FixedTotalNumber:
    """Exactly `n` connections, each between a uniformly drawn pre and post neuron.

    PyNN's ``FixedTotalNumberConnector`` with ``with_replacement=True``: the same pair may be
    drawn more than once (multapses), as in the cortical microcircuit (Potjans & Diesmann
    2014) and NEST's ``fixed_total_number`` rule. Indices come back as int32 when the
    populations allow it, drawn straight in that type (no int64 copy at scale).

    Parameters
    ----------
    n : int
        Number of connections (>= 0).
    seed : int
        Seed of the draw (>= 0).
    allow_self_connections : bool
        If False, pairs with equal local index are drawn again.
    """

    n: int
    seed: int
    allow_self_connections: bool = True

    def __post_init__(self):
        object.__setattr__(self, "n", check_integer("FixedTotalNumber", "n", self.n))
        object.__setattr__(self, "seed", check_integer("FixedTotalNumber", "seed", self.seed,
                                                       0, 2 ** 63 - 1))
        _check_flag("FixedTotalNumber", self.allow_self_connections)

    def connect(self, n_pre: int, n_post: int) -> Connection:
        if self.n and not self.allow_self_connections and n_pre == n_post == 1:
            raise ValidationError("FixedTotalNumber: no pair without self-connections exists "
                                  "between two populations of one neuron")
        check_connection_count("FixedTotalNumber", self.n)
        rng = np.random.default_rng(self.seed)
        dtype = np.int32 if max(n_pre, n_post) < np.iinfo(np.int32).max else np.int64
        pre = rng.integers(0, n_pre, self.n, dtype=dtype)
        post = rng.integers(0, n_post, self.n, dtype=dtype)
        while not self.allow_self_connections:
            bad = np.flatnonzero(pre == post)
            if bad.size == 0:
                break
            pre[bad] = rng.integers(0, n_pre, bad.size, dtype=dtype)
            post[bad] = rng.integers(0, n_post, bad.size, dtype=dtype)
        return pre, post, None, None

    def to_dict(self) -> dict:
        return {"type": "FixedTotalNumber", "n": self.n, "seed": self.seed,
                "allow_self_connections": self.allow_self_connections}


@dataclass(frozen=True, eq=False)
class FromList:
    """An explicit list of connections.

    Parameters
    ----------
    pre, post : array_like of int, shape (n,)
        Local pre and post indices.
    weight : array_like of float, shape (n,), optional
        Weights, nA (>= 0); if omitted the synapse's default weight is used.
    delay : array_like of float, shape (n,), optional
        Delays, ms; if omitted the synapse's default delay is used.
    """

    pre: np.ndarray
    post: np.ndarray
    weight: Optional[np.ndarray] = None
    delay: Optional[np.ndarray] = None

    __repr__ = short_repr

    def __post_init__(self):
        owner = "FromList"
        pre = check_index_array(owner, "pre", self.pre)
        post = check_index_array(owner, "post", self.post, length=pre.size)
        object.__setattr__(self, "pre", pre)
        object.__setattr__(self, "post", post)
        bounds = {"weight": (0.0, MAX_MAGNITUDE, False, "nA"),
                  "delay": (0.0, MAX_DELAY_MS, True, "ms")}
        for name, (lo, hi, lo_open, unit) in bounds.items():
            val = getattr(self, name)
            if val is None:
                continue
            arr = check_broadcast_array(owner, name, val, pre.size, lo, hi, lo_open=lo_open,
                                        unit=unit)
            object.__setattr__(self, name, arr)

    def connect(self, n_pre: int, n_post: int) -> Connection:
        for name, arr, n in (("pre", self.pre, n_pre), ("post", self.post, n_post)):
            if arr.size and arr.max() >= n:
                raise ValidationError(
                    f"FromList: {name} index {int(arr.max())} is out of range for a "
                    f"population of size {n} (allowed 0..{n - 1})")
        return (self.pre.copy(), self.post.copy(),
                None if self.weight is None else self.weight.copy(),
                None if self.delay is None else self.delay.copy())

    def to_dict(self) -> dict:
        return {"type": "FromList", "pre": self.pre, "post": self.post,
                "weight": self.weight, "delay": self.delay}


_CONNECTORS = {"OneToOne": OneToOne, "AllToAll": AllToAll,
               "FixedProbability": FixedProbability, "FixedTotalNumber": FixedTotalNumber,
               "FromList": FromList}


def connector_from_dict(d: dict):
    """Inverse of ``connector.to_dict()``."""
    d = as_dict("connector", d)
    kind = d.pop("type", None)
    if kind not in _CONNECTORS:
        raise ValidationError(
            f"connector: type must be one of {sorted(_CONNECTORS)}, got {kind!r}")
    return construct(_CONNECTORS[kind], d)


def _check_flag(owner: str, value) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise ValidationError(f"{owner}: allow_self_connections must be True or False, got "
                              f"{value!r}")
