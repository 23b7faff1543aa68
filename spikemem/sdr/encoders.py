"""Encoders that turn scalars, categories and real vectors or images into SDRs.

Every encoder has ``encode(value) -> SDR`` for one value and ``encode_batch(values)`` returning a
bool matrix of shape (m, n_bits), one SDR per row, for many.
"""

from __future__ import annotations

import numbers

import numpy as np

from spikemem.errors import check_int, check_real, invalid
from spikemem.sdr.sdr import SDR

__all__ = ["ScalarEncoder", "CategoryEncoder", "RandomProjectionEncoder"]


class ScalarEncoder:
    """Contiguous-block encoder for a real scalar.

    A value ``x`` in ``[minval, maxval]`` activates the ``w`` consecutive bits starting at
    ``round((x - minval) / (maxval - minval) * (n - w))``. Two values share
    ``max(0, w - |start_1 - start_2|)`` bits, so nearby values overlap and values more than about
    ``w / (n - w) * (maxval - minval)`` apart do not.

    Parameters
    ----------
    n : int
        Number of bits, ``n > w``.
    w : int
        Number of active bits per value, ``w >= 1``.
    minval, maxval : float
        Range of values (same unit as the encoded quantity), finite, ``minval < maxval``.
    clip : bool, optional
        If True (default) values outside the range are clipped to it; if False they raise.

    Raises
    ------
    ValueError
        If a parameter is out of range.
    """

    def __init__(self, n: int, w: int, minval: float, maxval: float, *, clip: bool = True):
        self.w = check_int("ScalarEncoder", "w", w, minimum=1)
        self.n = check_int("ScalarEncoder", "n", n, minimum=self.w + 1)
        self.minval = check_real("ScalarEncoder", "minval", minval)
        self.maxval = check_real("ScalarEncoder", "maxval", maxval, low=self.minval,
                                 low_open=True)
        self.clip = bool(clip)

    def _starts(self, values: np.ndarray, obj: str) -> np.ndarray:
        if values.dtype.kind not in "iuf" or not np.all(np.isfinite(values)):
            raise invalid(obj, "value", values if values.ndim else values.item(),
                          "must be finite real numbers")
        outside = (values < self.minval) | (values > self.maxval)
        if not self.clip and np.any(outside):
            bad = values[outside].ravel()[0]
            raise invalid(obj, "value", float(bad),
                          f"must be in [{self.minval}, {self.maxval}] (clip=False)")
        frac = (np.clip(values, self.minval, self.maxval) - self.minval) / (
            self.maxval - self.minval)
        return np.rint(frac * (self.n - self.w)).astype(np.int64)

    def encode(self, value: float) -> SDR:
        """Encode one value.

        Parameters
        ----------
        value : float
            Scalar to encode.

        Returns
        -------
        SDR
            ``w`` contiguous active bits out of ``n``.

        Raises
        ------
        ValueError
            If ``value`` is not a finite real, or is out of range with ``clip=False``.
        """
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise invalid("ScalarEncoder.encode", "value", value, "must be a real number")
        start = int(self._starts(np.asarray(float(value)), "ScalarEncoder.encode"))
        return SDR(np.arange(start, start + self.w), self.n)

    def encode_batch(self, values) -> np.ndarray:
        """Encode many values.

        Parameters
        ----------
        values : array_like of float, shape (m,)
            Scalars to encode.

        Returns
        -------
        ndarray of bool, shape (m, n)
            Row ``i`` is the code of ``values[i]``.

        Raises
        ------
        ValueError
            If ``values`` is not 1-D, holds non-finite values, or is out of range with
            ``clip=False``.
        """
        vals = np.asarray(values)
        if vals.ndim != 1:
            raise invalid("ScalarEncoder.encode_batch", "values", vals, "must be a 1-D array")
        starts = self._starts(vals, "ScalarEncoder.encode_batch")
        cols = np.arange(self.n)
        return (cols >= starts[:, None]) & (cols < starts[:, None] + self.w)


class CategoryEncoder:
    """One block of ``w`` bits per category; different categories share no bits.

    Parameters
    ----------
    categories : sequence of hashable
        The distinct categories, in order; category ``j`` owns bits ``[j*w, (j+1)*w)``.
    w : int
        Active bits per category, ``w >= 1``. The code size is ``n = len(categories) * w``.

    Raises
    ------
    ValueError
        If ``categories`` is empty or has repeats, or ``w`` is not a positive integer.
    """

    def __init__(self, categories, w: int):
        cats = list(categories)
        if not cats:
            raise invalid("CategoryEncoder", "categories", cats, "must have at least one category")
        self._index = {}
        for j, cat in enumerate(cats):
            try:
                hash(cat)
            except TypeError:
                raise invalid("CategoryEncoder", "categories", cats,
                              f"must be hashable ({cat!r} is not)") from None
            if cat in self._index:
                raise invalid("CategoryEncoder", "categories", cats,
                              f"must be distinct ({cat!r} repeats)")
            self._index[cat] = j
        self.categories = tuple(cats)
        self.w = check_int("CategoryEncoder", "w", w, minimum=1)
        self.n = len(cats) * self.w

    def _lookup(self, category, obj: str) -> int:
        try:
            return self._index[category]
        except (KeyError, TypeError):
            raise invalid(obj, "category", category,
                          f"must be one of {list(self.categories)}") from None

    def encode(self, category) -> SDR:
        """Encode one category.

        Returns
        -------
        SDR
            ``w`` active bits out of ``n``.

        Raises
        ------
        ValueError
            If ``category`` is not one of :attr:`categories`.
        """
        j = self._lookup(category, "CategoryEncoder.encode")
        return SDR(np.arange(j * self.w, (j + 1) * self.w), self.n)

    def encode_batch(self, categories) -> np.ndarray:
        """Encode a sequence of categories.

        Parameters
        ----------
        categories : sequence of hashable, length m
            Categories to encode.

        Returns
        -------
        ndarray of bool, shape (m, n)
            Row ``i`` is the code of ``categories[i]``.

        Raises
        ------
        ValueError
            If any entry is not one of :attr:`categories`.
        """
        js = np.array([self._lookup(c, "CategoryEncoder.encode_batch") for c in categories],
                      dtype=np.int64)
        blocks = np.arange(self.n) // self.w
        return blocks[None, :] == js[:, None]


class RandomProjectionEncoder:
    """Binarise real vectors or images by a seeded Gaussian random projection.

    Each input ``x`` (any shape with ``n_inputs`` elements, flattened) is projected to
    ``y = (P @ x - offset) / scale`` with ``P`` of shape (n_bits, n_inputs) drawn i.i.d. from
    N(0, 1/n_inputs). The code is either the ``k`` largest entries of ``y`` (top-k: every code has
    exactly ``k`` active bits) or every entry above ``threshold``. Inputs with a small angle
    between them get codes with a large overlap (a locality-sensitive hash of the cosine
    similarity). ``offset`` and ``scale`` are 0 and 1 until :meth:`fit` standardises every bit
    over a data set, after which top-k uses every bit about equally often.

    Parameters
    ----------
    n_inputs : int
        Number of elements of one input, ``>= 1``.
    n_bits : int
        Number of code bits, ``>= 1``.
    k : int, optional
        Number of active bits for top-k binarisation, ``1 <= k <= n_bits``.
    threshold : float, optional
        Threshold on ``y`` for threshold binarisation. Before :meth:`fit` ``y`` has the unit and
        scale of the root mean square of ``x``; after it, ``y`` is in standard deviations.
        Give exactly one of ``k`` and ``threshold``.
    seed : int or numpy.random.Generator
        Seed or generator for ``P``.

    Raises
    ------
    ValueError
        If a parameter is out of range, or not exactly one of ``k`` and ``threshold`` is given.
    """

    def __init__(self, n_inputs: int, n_bits: int, *, k: int | None = None,
                 threshold: float | None = None, seed):
        self.n_inputs = check_int("RandomProjectionEncoder", "n_inputs", n_inputs, minimum=1)
        self.n_bits = check_int("RandomProjectionEncoder", "n_bits", n_bits, minimum=1)
        if (k is None) == (threshold is None):
            raise invalid("RandomProjectionEncoder", "k", k,
                          "must be given if and only if threshold is not")
        self.k = None if k is None else check_int("RandomProjectionEncoder", "k", k, minimum=1,
                                                  maximum=self.n_bits)
        self.threshold = None if threshold is None else check_real(
            "RandomProjectionEncoder", "threshold", threshold)
        rng = np.random.default_rng(seed)
        self.projection = rng.normal(0.0, 1.0 / np.sqrt(self.n_inputs),
                                     size=(self.n_bits, self.n_inputs))
        self.offset = np.zeros(self.n_bits)
        self.scale = np.ones(self.n_bits)

    def _project(self, X, obj: str, field: str) -> np.ndarray:
        arr = np.asarray(X)
        if arr.ndim < 2 or int(np.prod(arr.shape[1:])) != self.n_inputs:
            raise invalid(obj, field, arr,
                          f"must have shape (m, ...) with {self.n_inputs} elements per item")
        if arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)):
            raise invalid(obj, field, arr, "must hold finite real numbers")
        return arr.reshape(arr.shape[0], -1).astype(np.float64) @ self.projection.T

    def _binarise(self, Y: np.ndarray) -> np.ndarray:
        Y = (Y - self.offset) / self.scale
        if self.k is None:
            return Y > self.threshold
        top = np.argpartition(-Y, self.k - 1, axis=1)[:, :self.k]
        bits = np.zeros(Y.shape, dtype=bool)
        np.put_along_axis(bits, top, True, axis=1)
        return bits

    def fit(self, X) -> "RandomProjectionEncoder":
        """Standardise every bit's projection over a data set.

        Sets ``offset`` and ``scale`` to the mean and standard deviation over ``X`` of each
        projected coordinate ``P @ x`` (a scale of 0 becomes 1).

        Parameters
        ----------
        X : array_like of float, shape (m, ...) with ``n_inputs`` elements per item, m >= 2
            Representative inputs, e.g. a training set.

        Returns
        -------
        RandomProjectionEncoder
            ``self``, fitted.

        Raises
        ------
        ValueError
            If ``X`` has fewer than 2 items, the wrong item size, or non-finite entries.
        """
        Y = self._project(X, "RandomProjectionEncoder.fit", "X")
        if Y.shape[0] < 2:
            raise invalid("RandomProjectionEncoder.fit", "X", np.asarray(X),
                          "must hold at least 2 items")
        sd = Y.std(axis=0)
        self.offset = Y.mean(axis=0)
        self.scale = np.where(sd > 0, sd, 1.0)
        return self

    def encode(self, x) -> SDR:
        """Encode one vector or image.

        Parameters
        ----------
        x : array_like of float, any shape with ``n_inputs`` elements
            The input; it is flattened in C order.

        Returns
        -------
        SDR
            Code of ``n_bits`` bits.

        Raises
        ------
        ValueError
            If ``x`` has the wrong number of elements or non-finite entries.
        """
        arr = np.asarray(x)
        if arr.size != self.n_inputs:
            raise invalid("RandomProjectionEncoder.encode", "x", arr,
                          f"must have {self.n_inputs} elements")
        Y = self._project(arr.reshape(1, -1), "RandomProjectionEncoder.encode", "x")
        return SDR(np.flatnonzero(self._binarise(Y)[0]), self.n_bits)

    def encode_batch(self, X) -> np.ndarray:
        """Encode many vectors or images.

        Parameters
        ----------
        X : array_like of float, shape (m, ...) with ``n_inputs`` elements per item
            Inputs, one per leading index (e.g. (m, n_inputs) or (m, 8, 8)).

        Returns
        -------
        ndarray of bool, shape (m, n_bits)
            Row ``i`` is the code of ``X[i]``.

        Raises
        ------
        ValueError
            If the items do not have ``n_inputs`` elements or hold non-finite entries.
        """
        return self._binarise(self._project(X, "RandomProjectionEncoder.encode_batch", "X"))
