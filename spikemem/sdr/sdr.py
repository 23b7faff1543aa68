"""The binary sparse distributed representation (SDR) type."""

from __future__ import annotations

import numpy as np

from spikemem.errors import check_int, invalid
from spikemem.sdr._checks import binary_array

__all__ = ["SDR"]


class SDR:
    """A binary sparse distributed representation: a set of active bits out of ``n``.

    The SDR is immutable. It stores the sorted indices of its active bits; the dense form is
    available as :attr:`bits`.

    Parameters
    ----------
    indices : array_like of int, shape (n_active,)
        Indices of the active bits. Must be integers in ``[0, n)`` with no repeats; any order.
    n : int
        Total number of bits, ``n >= 1``.

    Raises
    ------
    ValueError
        If ``n`` is not a positive integer, or ``indices`` is not a 1-D integer sequence of
        unique values in ``[0, n)``.

    See Also
    --------
    SDR.from_bits : build an SDR from a dense binary array.

    Examples
    --------
    >>> a = SDR([3, 1], n=8)
    >>> a.indices
    array([1, 3])
    >>> a.sparsity
    0.25
    """

    __slots__ = ("_n", "_indices")

    def __init__(self, indices, n: int):
        self._n = check_int("SDR", "n", n, minimum=1)
        idx = np.asarray(indices)
        if idx.size == 0:
            idx = np.zeros(0, dtype=np.int64)
        if idx.ndim != 1:
            raise invalid("SDR", "indices", idx, "must be a 1-D sequence of integers")
        if idx.dtype.kind not in "iu":
            raise invalid("SDR", "indices", idx,
                          "must be integers (use SDR.from_bits for a dense bool array)")
        idx = np.sort(idx.astype(np.int64))
        if idx.size and (idx[0] < 0 or idx[-1] >= self._n):
            bad = idx[0] if idx[0] < 0 else idx[-1]
            raise invalid("SDR", "indices", idx,
                          f"must be in [0, {self._n}) (found {int(bad)})")
        if idx.size > 1 and np.any(idx[1:] == idx[:-1]):
            dup = idx[1:][idx[1:] == idx[:-1]][0]
            raise invalid("SDR", "indices", idx, f"must be unique ({int(dup)} repeats)")
        idx.setflags(write=False)
        self._indices = idx

    @classmethod
    def from_bits(cls, bits) -> "SDR":
        """Build an SDR from a dense binary vector.

        Parameters
        ----------
        bits : array_like, shape (n,)
            Bool array, or numeric array containing only 0 and 1.

        Returns
        -------
        SDR
            SDR of size ``n`` whose active bits are the non-zero entries.

        Raises
        ------
        ValueError
            If ``bits`` is not 1-D, is empty, or holds a value other than 0/1.
        """
        dense = binary_array("SDR.from_bits", "bits", bits, ndim=1)
        if dense.size == 0:
            raise invalid("SDR.from_bits", "bits", dense, "must have at least one bit")
        return cls(np.flatnonzero(dense), dense.size)

    @property
    def n(self) -> int:
        """Total number of bits."""
        return self._n

    @property
    def indices(self) -> np.ndarray:
        """Sorted indices of the active bits, read-only int64 array of shape (n_active,)."""
        return self._indices

    @property
    def n_active(self) -> int:
        """Number of active bits."""
        return int(self._indices.size)

    @property
    def sparsity(self) -> float:
        """Fraction of bits that are active, ``n_active / n``."""
        return self._indices.size / self._n

    @property
    def bits(self) -> np.ndarray:
        """Dense form: a new bool array of shape (n,), True at the active bits."""
        dense = np.zeros(self._n, dtype=bool)
        dense[self._indices] = True
        return dense

    def __eq__(self, other) -> bool:
        if not isinstance(other, SDR):
            return NotImplemented
        return self._n == other._n and np.array_equal(self._indices, other._indices)

    def __hash__(self) -> int:
        return hash((self._n, self._indices.tobytes()))

    def __repr__(self) -> str:
        shown = ", ".join(str(i) for i in self._indices[:8])
        more = ", ..." if self._indices.size > 8 else ""
        return f"SDR(n={self._n}, active=[{shown}{more}])"
