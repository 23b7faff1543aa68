"""Operations on SDRs: overlap, union, intersection, sparsity checks, noise and dropout."""

from __future__ import annotations

import numpy as np

from spikemem.errors import check_int, check_real, invalid
from spikemem.sdr._checks import binary_array
from spikemem.sdr.sdr import SDR

__all__ = ["overlap", "union", "intersection", "overlap_matrix", "check_sparsity",
           "flip_bits", "dropout"]


def _pair(func: str, a, b) -> None:
    for field, x in (("a", a), ("b", b)):
        if not isinstance(x, SDR):
            raise invalid(func, field, x, "must be an SDR")
    if a.n != b.n:
        raise invalid(func, "b.n", b.n, f"must be the same size as a (n={a.n})")


def overlap(a: SDR, b: SDR) -> int:
    """Number of bits active in both ``a`` and ``b``.

    Parameters
    ----------
    a, b : SDR
        SDRs of the same size ``n``.

    Returns
    -------
    int
        ``|a ∩ b|``.

    Raises
    ------
    ValueError
        If either argument is not an SDR or their sizes differ.
    """
    _pair("overlap", a, b)
    return int(np.intersect1d(a.indices, b.indices, assume_unique=True).size)


def union(a: SDR, b: SDR) -> SDR:
    """SDR of the bits active in ``a`` or ``b`` (same size ``n``).

    Raises
    ------
    ValueError
        If either argument is not an SDR or their sizes differ.
    """
    _pair("union", a, b)
    return SDR(np.union1d(a.indices, b.indices), a.n)


def intersection(a: SDR, b: SDR) -> SDR:
    """SDR of the bits active in both ``a`` and ``b`` (same size ``n``).

    Raises
    ------
    ValueError
        If either argument is not an SDR or their sizes differ.
    """
    _pair("intersection", a, b)
    return SDR(np.intersect1d(a.indices, b.indices, assume_unique=True), a.n)


def overlap_matrix(A, B) -> np.ndarray:
    """Pairwise overlaps between the rows of two binary matrices.

    Parameters
    ----------
    A : array_like, shape (m, n)
        Binary matrix (bool, or numeric with only 0 and 1), one SDR per row.
    B : array_like, shape (p, n)
        Binary matrix with the same number of columns.

    Returns
    -------
    ndarray of int64, shape (m, p)
        ``out[i, j]`` is the number of columns where ``A[i]`` and ``B[j]`` are both 1.

    Raises
    ------
    ValueError
        If either is not a 2-D binary matrix or the column counts differ.
    """
    a = binary_array("overlap_matrix", "A", A, ndim=2)
    b = binary_array("overlap_matrix", "B", B, ndim=2, n=a.shape[1])
    # float32 products are exact for counts below 2**24; BLAS makes this fast.
    if a.shape[1] >= 2 ** 24:
        raise invalid("overlap_matrix", "A", a, "must have fewer than 2**24 columns")
    return (a.astype(np.float32) @ b.astype(np.float32).T).astype(np.int64)


def check_sparsity(x: SDR, *, max_fraction: float, min_fraction: float = 0.0) -> float:
    """Check that the fraction of active bits of ``x`` lies in ``[min_fraction, max_fraction]``.

    Parameters
    ----------
    x : SDR
        The representation to check.
    max_fraction : float
        Largest allowed ``n_active / n``, in [0, 1].
    min_fraction : float, optional
        Smallest allowed ``n_active / n``, in [0, max_fraction]. Default 0.

    Returns
    -------
    float
        The sparsity ``n_active / n`` of ``x``.

    Raises
    ------
    ValueError
        If ``x`` is not an SDR, the bounds are not in [0, 1] with ``min <= max``, or the sparsity
        of ``x`` is outside the bounds.
    """
    if not isinstance(x, SDR):
        raise invalid("check_sparsity", "x", x, "must be an SDR")
    hi = check_real("check_sparsity", "max_fraction", max_fraction, low=0.0, high=1.0)
    lo = check_real("check_sparsity", "min_fraction", min_fraction, low=0.0, high=hi)
    if not lo <= x.sparsity <= hi:
        raise invalid("check_sparsity", "x.sparsity", x.sparsity,
                      f"must be a fraction of active bits in [{lo}, {hi}] "
                      f"({x.n_active} of {x.n} bits are active)")
    return x.sparsity


def flip_bits(x: SDR, k: int, *, seed, preserve_sparsity: bool = False) -> SDR:
    """Add noise to an SDR by flipping ``k`` randomly chosen bits.

    Parameters
    ----------
    x : SDR
        The representation to corrupt (size ``n``, ``a`` active bits).
    k : int
        Number of bits to flip. Without ``preserve_sparsity``: ``0 <= k <= n`` distinct
        positions are toggled, so the number of active bits changes. With it: ``k`` active bits
        are switched off and ``k`` inactive bits switched on (``2k`` flips, ``a`` unchanged),
        ``0 <= k <= min(a, n - a)``.
    seed : int or numpy.random.Generator
        Seed or generator for the choice of bits.
    preserve_sparsity : bool, optional
        Keep the number of active bits fixed (default False).

    Returns
    -------
    SDR
        The corrupted SDR (same size ``n``).

    Raises
    ------
    ValueError
        If ``x`` is not an SDR or ``k`` is out of range.
    """
    if not isinstance(x, SDR):
        raise invalid("flip_bits", "x", x, "must be an SDR")
    rng = np.random.default_rng(seed)
    if not preserve_sparsity:
        k = check_int("flip_bits", "k", k, minimum=0, maximum=x.n)
        bits = x.bits
        where = rng.choice(x.n, size=k, replace=False)
        bits[where] = ~bits[where]
        return SDR(np.flatnonzero(bits), x.n)
    k = check_int("flip_bits", "k", k, minimum=0, maximum=min(x.n_active, x.n - x.n_active))
    off = rng.choice(x.indices, size=k, replace=False)
    inactive = np.setdiff1d(np.arange(x.n), x.indices, assume_unique=True)
    on = rng.choice(inactive, size=k, replace=False)
    kept = np.setdiff1d(x.indices, off, assume_unique=True)
    return SDR(np.concatenate([kept, on]), x.n)


def dropout(x: SDR, keep: float, *, seed) -> SDR:
    """Keep a random fraction of the active bits of an SDR and switch the rest off.

    Parameters
    ----------
    x : SDR
        The representation to thin (``a`` active bits).
    keep : float
        Fraction of active bits to keep, in [0, 1]; ``round(keep * a)`` bits survive.
    seed : int or numpy.random.Generator
        Seed or generator for the choice of bits.

    Returns
    -------
    SDR
        SDR of the same size whose active bits are a subset of those of ``x``.

    Raises
    ------
    ValueError
        If ``x`` is not an SDR or ``keep`` is not in [0, 1].
    """
    if not isinstance(x, SDR):
        raise invalid("dropout", "x", x, "must be an SDR")
    keep = check_real("dropout", "keep", keep, low=0.0, high=1.0)
    rng = np.random.default_rng(seed)
    n_keep = int(round(keep * x.n_active))
    return SDR(rng.choice(x.indices, size=n_keep, replace=False), x.n)
