"""Sparsey coding field ("mac") with Rinkus' Code Selection Algorithm (CSA).

A mac has ``Q`` competitive modules (CMs) of ``K`` binary cells each; a code is one active cell
per CM. Binary weights from ``n_inputs`` input units to the ``Q*K`` cells store every learned
code in superposition. For each input the CSA (reference/sdr_sparsey.md) does:

1. ``u_i`` = number of active inputs with a weight of 1 to cell ``i``; ``V_i = u_i / a`` with
   ``a`` the number of active inputs, so ``V_i`` is in [0, 1].
2. familiarity ``G`` = mean over the CMs of ``max_i V_i`` in that CM.
3. each ``V_i`` goes through a sigmoid whose height grows with ``G``::

       psi_i = 1 + (sigmoid_height - 1) * G * s(V_i),
       s(V) = 1 / (1 + exp(-sigmoid_steepness * (V - sigmoid_inflection)))

   At ``G = 0`` every ``psi_i = 1`` (uniform choice: a new random code); at ``G = 1`` a cell
   with ``V = 1`` has odds of about ``sigmoid_height`` against a cell whose ``V`` is well below
   the inflection point (near-certain re-activation of the stored code).
4. in each CM the winner is drawn with probability ``psi_i / sum_CM psi``.
5. learning sets every weight from an active input to a winner to 1 (single trial).

The cost per input is fixed (``a * Q * K`` weight reads), whatever the number of stored items.
The loop over inputs runs in a Numba kernel; the random numbers come from a seeded
``numpy.random.Generator`` owned by the mac, so the same seed and the same calls give the
same codes.

:meth:`SparseyMac.to_network` builds the spiking realisation of the deterministic limit of the
CSA (each CM's best-matching cell wins) as an IR network that any backend runs, and
:meth:`SparseyMac.spiking_codes` reads the winners back from its recording.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from spikemem.backends import build
from spikemem.connectors import FromList
from spikemem.network import Network, Population, Projection
from spikemem.neurons import IF_curr_exp
from spikemem.sdr import SDR
from spikemem.sdr._checks import binary_array, check_int, check_real, invalid
from spikemem.stimulus import SpikeSourceArray
from spikemem.recording import Recording
from spikemem.synapses import StaticSynapse

from .session import MemoryResult, MemorySession, register_session, rng_from_tree, rng_to_tree

__all__ = ["SparseyMac", "SparseyMemory", "Encoding", "Recall", "SpikingEncoding",
           "SpikingRecall", "CUE_INTERVAL_MS"]

#: Default time between cue onsets in the spiking realisation, ms (15 default time constants).
CUE_INTERVAL_MS = 750.0


class Encoding(NamedTuple):
    """Code(s) chosen by the CSA.

    Attributes
    ----------
    code : ndarray of int64, shape (Q,) or (m, Q)
        Index of the winning cell of each CM, in ``[0, Q*K)`` (cell ``k`` of CM ``q`` is
        ``q*K + k``); one row per input for batches.
    familiarity : float or ndarray of float64, shape (m,)
        The global familiarity ``G`` in [0, 1] of each input.
    """

    code: np.ndarray
    familiarity: float | np.ndarray


class Recall(NamedTuple):
    """Result of :meth:`SparseyMac.recall` and :meth:`SparseyMac.recall_batch`.

    Attributes
    ----------
    code : ndarray of int64, shape (Q,) or (m, Q)
        Code chosen for the cue (see :class:`Encoding`).
    familiarity : float or ndarray of float64, shape (m,)
        Familiarity ``G`` of the cue.
    index : int or ndarray of int64, shape (m,)
        Index (learning order) of the stored code with the largest overlap with ``code``;
        the lowest index wins ties.
    overlap : int or ndarray of int64, shape (m,)
        That largest overlap, in CMs (0 to Q).
    """

    code: np.ndarray
    familiarity: float | np.ndarray
    index: int | np.ndarray
    overlap: int | np.ndarray


@njit(cache=True)
def _csa(X, W, uniforms, Q, K, height, steepness, inflection, learn, codes, familiarity):
    """Run the CSA on the rows of X in order (learning in place in W if ``learn``).

    X: (m, n) uint8 inputs, each row with at least one 1; W: (n, Q*K) uint8 weights;
    uniforms: (m, Q) float64 in [0, 1); codes: (m, Q) int64 out; familiarity: (m,) float64 out.
    """
    m, n = X.shape
    n_cells = Q * K
    u = np.empty(n_cells, dtype=np.int32)
    active = np.empty(n, dtype=np.int64)
    psi = np.empty(K, dtype=np.float64)
    table = np.empty(n + 1, dtype=np.float64)
    for t in range(m):
        n_active = 0
        for j in range(n):
            if X[t, j]:
                active[n_active] = j
                n_active += 1
        u[:] = 0
        for a in range(n_active):
            row = W[active[a]]
            for c in range(n_cells):
                u[c] += row[c]
        best_sum = 0
        for q in range(Q):
            best = 0
            for k in range(q * K, (q + 1) * K):
                if u[k] > best:
                    best = u[k]
            best_sum += best
        g = best_sum / (Q * n_active)
        gain = (height - 1.0) * g
        # V = u / n_active takes n_active + 1 values: tabulate psi once per input.
        for c in range(n_active + 1):
            table[c] = 1.0 + gain / (1.0 + np.exp(-steepness * (c / n_active - inflection)))
        for q in range(Q):
            total = 0.0
            for k in range(K):
                psi[k] = table[u[q * K + k]]
                total += psi[k]
            draw = uniforms[t, q] * total
            winner = K - 1
            acc = 0.0
            for k in range(K):
                acc += psi[k]
                if draw < acc:
                    winner = k
                    break
            codes[t, q] = q * K + winner
        familiarity[t] = g
        if learn:
            for a in range(n_active):
                for q in range(Q):
                    W[active[a], codes[t, q]] = 1


@njit(cache=True)
def _best_match(codes, stored, n_stored):
    """Index and overlap of the stored code (first n_stored rows) closest to each code."""
    m, Q = codes.shape
    index = np.zeros(m, dtype=np.int64)
    best = np.zeros(m, dtype=np.int64)
    for t in range(m):
        best[t] = -1
        for s in range(n_stored):
            ov = 0
            for q in range(Q):
                if codes[t, q] == stored[s, q]:
                    ov += 1
            if ov > best[t]:
                best[t] = ov
                index[t] = s
    return index, best


class SparseyMac:
    """A Sparsey coding field (mac): ``Q`` winner-take-all CMs of ``K`` binary cells.

    Parameters
    ----------
    n_inputs : int
        Number of binary input units, ``>= 1``.
    Q : int
        Number of competitive modules (active cells per code), ``>= 1``.
    K : int
        Cells per CM, ``>= 1``. Two unrelated codes share on average ``Q / K`` cells.
    sigmoid_height : float, optional
        Odds, at ``G = 1``, of a fully matching cell (``V = 1``) against a non-matching one;
        ``>= 1``. Default 1e6.
    sigmoid_steepness : float, optional
        Slope of the sigmoid on ``V`` (per unit of ``V``), ``> 0``. Default 100.
    sigmoid_inflection : float, optional
        ``V`` at which the sigmoid is half-way up, in [0, 1]. Default 0.8.
    seed : int, optional
        Seed of the mac's random generator, ``>= 0``. Default 0.

    Raises
    ------
    ValueError
        If a parameter is out of range.

    Notes
    -----
    With the defaults the sigmoid is half-way at ``V = 0.8`` and rises from about 1e-7 to 1
    between ``V = 0.65`` and ``V = 0.95``: a CM whose best cell matches less than about 65 % of
    the active inputs chooses nearly uniformly, one whose best cell matches more than about
    75 % picks that cell, and re-presenting a stored input re-activates its code with near
    certainty as long as no other cell of a CM matches more than about 65 % of it. A lower
    inflection and steepness make code overlap grow more gradually with input overlap, at the
    cost of capacity. See the module docstring for the algorithm.

    Examples
    --------
    >>> mac = SparseyMac(16, Q=4, K=8, seed=1)
    >>> x = np.zeros(16, dtype=bool); x[[1, 5, 9]] = True
    >>> code, g = mac.learn(x)
    >>> bool(np.array_equal(mac.encode(x).code, code)), mac.encode(x).familiarity
    (True, 1.0)
    """

    def __init__(self, n_inputs: int, Q: int, K: int, *, sigmoid_height: float = 1e6,
                 sigmoid_steepness: float = 100.0, sigmoid_inflection: float = 0.8,
                 seed: int = 0):
        self.n_inputs = check_int("SparseyMac", "n_inputs", n_inputs, minimum=1)
        self.Q = check_int("SparseyMac", "Q", Q, minimum=1)
        self.K = check_int("SparseyMac", "K", K, minimum=1)
        self.sigmoid_height = check_real("SparseyMac", "sigmoid_height", sigmoid_height,
                                         low=1.0)
        self.sigmoid_steepness = check_real("SparseyMac", "sigmoid_steepness",
                                            sigmoid_steepness, low=0.0, low_open=True)
        self.sigmoid_inflection = check_real("SparseyMac", "sigmoid_inflection",
                                             sigmoid_inflection, low=0.0, high=1.0)
        self.seed = check_int("SparseyMac", "seed", seed, minimum=0)
        self._rng = np.random.default_rng(self.seed)
        self._W = np.zeros((self.n_inputs, self.Q * self.K), dtype=np.uint8)
        self._codes = np.zeros((16, self.Q), dtype=np.int64)
        self._n_stored = 0

    @property
    def n_cells(self) -> int:
        """Number of cells, ``Q * K``."""
        return self.Q * self.K

    @property
    def n_stored(self) -> int:
        """Number of learned items."""
        return self._n_stored

    @property
    def codes(self) -> np.ndarray:
        """Stored codes in learning order: a new int64 array of shape (n_stored, Q) of cell
        indices in ``[0, Q*K)``."""
        return self._codes[:self._n_stored].copy()

    @property
    def weights(self) -> np.ndarray:
        """Binary weights: a new bool array of shape (n_inputs, Q*K); ``[j, i]`` is True if
        input ``j`` was active when cell ``i`` won."""
        return self._W.astype(bool)

    def _inputs(self, X, obj: str, batch: bool) -> np.ndarray:
        if isinstance(X, SDR):
            if batch:
                raise invalid(obj, "X", X, "must be a 2-D binary array (m, n_inputs)")
            if X.n != self.n_inputs:
                raise invalid(obj, "x.n", X.n, f"must be an SDR of size n_inputs={self.n_inputs}")
            X = X.bits
        field = "X" if batch else "x"
        bits = binary_array(obj, field, X, ndim=2 if batch else 1, n=self.n_inputs)
        bits = np.atleast_2d(bits)
        empty = ~bits.any(axis=1)
        if np.any(empty):
            where = f"row {int(np.argmax(empty))} has" if batch else "it has"
            raise invalid(obj, field, bits if batch else X,
                          f"must have at least one active input ({where} none)")
        return np.ascontiguousarray(bits).view(np.uint8)

    def _run(self, X: np.ndarray, learn: bool) -> tuple[np.ndarray, np.ndarray]:
        m = X.shape[0]
        codes = np.empty((m, self.Q), dtype=np.int64)
        familiarity = np.empty(m, dtype=np.float64)
        uniforms = self._rng.random((m, self.Q))
        _csa(X, self._W, uniforms, self.Q, self.K, self.sigmoid_height,
             self.sigmoid_steepness, self.sigmoid_inflection, learn, codes, familiarity)
        if learn:
            self._store(codes)
        return codes, familiarity

    def _store(self, codes: np.ndarray) -> None:
        need = self._n_stored + codes.shape[0]
        if need > self._codes.shape[0]:
            grown = np.zeros((max(need, 2 * self._codes.shape[0]), self.Q), dtype=np.int64)
            grown[:self._n_stored] = self._codes[:self._n_stored]
            self._codes = grown
        self._codes[self._n_stored:need] = codes
        self._n_stored = need

    def learn(self, x) -> Encoding:
        """Choose a code for ``x`` with the CSA and store it (single-trial Hebbian learning).

        Parameters
        ----------
        x : array_like of bool or 0/1, shape (n_inputs,), or SDR of size n_inputs
            Input pattern with at least one active unit.

        Returns
        -------
        Encoding
            ``code`` of shape (Q,) and familiarity ``G`` (float) before learning.

        Raises
        ------
        ValueError
            If ``x`` has the wrong shape, is not binary or has no active unit.
        """
        codes, g = self._run(self._inputs(x, "SparseyMac.learn", False), learn=True)
        return Encoding(codes[0], float(g[0]))

    def learn_batch(self, X) -> Encoding:
        """Learn the rows of ``X`` one after the other, as repeated :meth:`learn` calls would.

        Parameters
        ----------
        X : array_like of bool or 0/1, shape (m, n_inputs)
            Input patterns, each with at least one active unit.

        Returns
        -------
        Encoding
            ``code`` of shape (m, Q) and ``familiarity`` of shape (m,).

        Raises
        ------
        ValueError
            If ``X`` has the wrong shape, is not binary or has a row with no active unit.
        """
        return Encoding(*self._run(self._inputs(X, "SparseyMac.learn_batch", True), learn=True))

    def encode(self, x) -> Encoding:
        """Choose a code for ``x`` with the CSA without learning.

        Parameters
        ----------
        x : array_like of bool or 0/1, shape (n_inputs,), or SDR of size n_inputs
            Input pattern with at least one active unit.

        Returns
        -------
        Encoding
            ``code`` of shape (Q,) and familiarity ``G`` (float).

        Raises
        ------
        ValueError
            If ``x`` has the wrong shape, is not binary or has no active unit.
        """
        codes, g = self._run(self._inputs(x, "SparseyMac.encode", False), learn=False)
        return Encoding(codes[0], float(g[0]))

    def encode_batch(self, X) -> Encoding:
        """Choose codes for the rows of ``X`` without learning.

        Parameters
        ----------
        X : array_like of bool or 0/1, shape (m, n_inputs)
            Input patterns, each with at least one active unit.

        Returns
        -------
        Encoding
            ``code`` of shape (m, Q) and ``familiarity`` of shape (m,).

        Raises
        ------
        ValueError
            If ``X`` has the wrong shape, is not binary or has a row with no active unit.
        """
        return Encoding(*self._run(self._inputs(X, "SparseyMac.encode_batch", True),
                                   learn=False))

    def _require_stored(self, obj: str) -> None:
        if self._n_stored == 0:
            raise invalid(obj, "n_stored", 0, "must have at least one learned item to recall from")

    def recall(self, x) -> Recall:
        """Encode a (partial or noisy) cue without learning and find the closest stored code.

        Parameters
        ----------
        x : array_like of bool or 0/1, shape (n_inputs,), or SDR of size n_inputs
            Cue with at least one active unit.

        Returns
        -------
        Recall
            The cue's code (Q,), its familiarity ``G``, the index of the stored item whose code
            overlaps it most, and that overlap (in CMs).

        Notes
        -----
        Choosing the code costs the same whatever the number of stored items; naming the
        stored item (the ``index``) compares the code with every stored code,
        ``n_stored * Q`` comparisons.

        Raises
        ------
        ValueError
            If ``x`` is invalid (see :meth:`encode`) or nothing has been learned.
        """
        bits = self._inputs(x, "SparseyMac.recall", False)
        self._require_stored("SparseyMac.recall")
        codes, g = self._run(bits, learn=False)
        index, ov = _best_match(codes, self._codes, self._n_stored)
        return Recall(codes[0], float(g[0]), int(index[0]), int(ov[0]))

    def recall_batch(self, X) -> Recall:
        """Recall for every row of ``X`` (see :meth:`recall`); no learning.

        Parameters
        ----------
        X : array_like of bool or 0/1, shape (m, n_inputs)
            Cues, each with at least one active unit.

        Returns
        -------
        Recall
            ``code`` (m, Q), ``familiarity`` (m,), ``index`` (m,) and ``overlap`` (m,).

        Raises
        ------
        ValueError
            If ``X`` is invalid (see :meth:`encode_batch`) or nothing has been learned.
        """
        bits = self._inputs(X, "SparseyMac.recall_batch", True)
        self._require_stored("SparseyMac.recall_batch")
        codes, g = self._run(bits, learn=False)
        return Recall(codes, g, *_best_match(codes, self._codes, self._n_stored))

    def to_network(self, X, *, dt: float = 0.1, tau: float = 50.0, t_first: float = 5.0,
                   interval: float = CUE_INTERVAL_MS) -> Network:
        """Spiking realisation of the mac: WTA competitive modules reading the learned weights.

        Each cell is an `IF_curr_exp` neuron (``tau_m = tau_syn_E = tau_syn_I = tau``, rest and
        reset -65 mV, threshold -50 mV, refractory 2 ms). Input unit ``j`` is neuron ``j`` of a
        `SpikeSourceArray` that fires once at the onset of every cue in which it is active;
        it excites cell ``i`` through a synapse of weight ``w`` iff the learned weight ``[j, i]``
        is 1. Before inhibition arrives the membrane of cell ``i`` is ``u_i`` times one common
        response, so within a CM the cell with the largest ``u_i`` (the largest ``V_i``) reaches
        threshold first; its spike inhibits every other cell of its CM one step later
        (all-to-all inhibition inside each CM, ``20 * a * w`` nA per synapse). ``w`` is chosen so
        that a cell matching all ``a`` active inputs of the largest cue fires ``t_first`` ms
        after the onset. This is the CSA's choice in the deterministic limit (best cell wins);
        cells whose ``u`` differ by one fire about ``t_first / a`` ms apart, so ``dt`` must be
        well below that for them to be told apart, and a cell fires at all only if
        ``V >= e * (t_first / tau) * exp(-t_first / tau)`` (0.25 with the defaults). Nothing is
        learned in the network.

        Parameters
        ----------
        X : array_like of bool or 0/1, shape (m, n_inputs)
            Cues, presented at ``0, interval, 2 * interval, ...`` ms.
        dt : float, optional
            Time step of the network, ms. Default 0.1.
        tau : float, optional
            Membrane and synaptic time constant, ms (> 0). Default 50.
        t_first : float, optional
            Time from cue onset to the first spike of a fully matching cell, ms, in
            ``(0, tau]``. Default 5.
        interval : float, optional
            Time between cue onsets, ms; long enough (default ``CUE_INTERVAL_MS`` = 750 ms,
            15 tau) for the activity of one cue to decay before the next.

        Returns
        -------
        Network
            Population ``"mac"`` (Q*K cells, cell ``q*K + k`` is cell ``k`` of CM ``q``,
            spikes recorded), source ``"inputs"`` (n_inputs neurons) and projections
            ``"learned_weights"`` (excitatory) and ``"cm_inhibition"`` (inhibitory). Run it for
            ``m * interval`` ms and read the codes with :meth:`spiking_codes`.

        Raises
        ------
        ValueError
            If ``X`` is invalid (see :meth:`encode_batch`) or a timing parameter is out of
            range.
        """
        obj = "SparseyMac.to_network"
        bits = self._inputs(X, obj, True).astype(bool)
        tau = check_real(obj, "tau", tau, low=0.0, low_open=True)
        t_first = check_real(obj, "t_first", t_first, low=0.0, high=tau, low_open=True)
        interval = check_real(obj, "interval", interval, low=t_first, low_open=True)
        dt = check_real(obj, "dt", dt, low=0.0, high=t_first, low_open=True)
        cell = IF_curr_exp(cm=1.0, tau_m=tau, tau_syn_E=tau, tau_syn_I=tau, tau_refrac=2.0,
                           v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0)
        a_max = int(bits.sum(axis=1).max())
        # With equal time constants the input current u*w*exp(-t/tau) drives the membrane to
        # v_rest + (u*w/cm) * t * exp(-t/tau); solve for threshold at t_first with u = a_max.
        weight = (cell.v_thresh - cell.v_rest) * cell.cm / (
            a_max * t_first * np.exp(-t_first / tau))
        cue, unit = np.nonzero(bits)
        net = Network(dt=dt, label="sparsey_mac")
        mac = net.add(Population(self.n_cells, cell, label="mac"))
        inputs = net.add(SpikeSourceArray(size=self.n_inputs, times=cue * interval, ids=unit,
                                          label="inputs"))
        pre, post = np.nonzero(self._W)
        net.add(Projection(inputs, mac, FromList(pre, post), StaticSynapse(weight, delay=dt),
                           receptor="excitatory", label="learned_weights"))
        first, second = np.nonzero(~np.eye(self.K, dtype=bool))  # ordered pairs within a CM
        cm_start = self.K * np.arange(self.Q)[:, None]
        cell_pre, cell_post = (cm_start + first).ravel(), (cm_start + second).ravel()
        net.add(Projection(mac, mac, FromList(cell_pre, cell_post),
                           StaticSynapse(20.0 * a_max * weight, delay=dt),
                           receptor="inhibitory", label="cm_inhibition"))
        return net

    def spiking_codes(self, recording, n_cues: int, *,
                      interval: float = CUE_INTERVAL_MS) -> np.ndarray:
        """Read the winners of a run of :meth:`to_network` from its recording.

        Parameters
        ----------
        recording : spikemem.Recording
            Recording of the network, with spikes of population ``"mac"``.
        n_cues : int
            Number of cues presented.
        interval : float, optional
            Time between cue onsets, ms, as given to :meth:`to_network`.

        Returns
        -------
        ndarray of int64, shape (n_cues, Q)
            For each cue and CM the cell (index in ``[0, Q*K)``) that fired first after the
            cue's onset; -1 if no cell of the CM fired, or if several fired first in the same
            time step.
        """
        n_cues = check_int("SparseyMac.spiking_codes", "n_cues", n_cues, minimum=1)
        times, ids = recording.spikes("mac")
        cue = np.floor(times / interval + 1e-9).astype(np.int64)
        keep = cue < n_cues
        times, ids, cue = times[keep], ids[keep], cue[keep]
        slot = cue * self.Q + ids // self.K
        order = np.lexsort((ids, times, slot))  # by slot, then time, then cell
        slot, times, ids = slot[order], times[order], ids[order]
        starts = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]]) if slot.size else slot
        codes = np.full(n_cues * self.Q, -1, dtype=np.int64)
        for start in starts:
            tied = start + 1 < slot.size and slot[start + 1] == slot[start] and \
                times[start + 1] == times[start]
            codes[slot[start]] = -1 if tied else ids[start]
        return codes.reshape(n_cues, self.Q)


class SpikingEncoding(NamedTuple):
    """A `SparseyMemory.store`: the CSA's code and familiarity, and the spiking mac's code.

    Attributes
    ----------
    code : ndarray of int64, shape (Q,)
    familiarity : float
    spiking_code : ndarray of int64, shape (Q,)
        Winners of the spiking realisation for the same input after learning (-1 where a
        CM had no single first spike).
    """

    code: np.ndarray
    familiarity: float
    spiking_code: np.ndarray


class SpikingRecall(NamedTuple):
    """A `SparseyMemory.recall`: the CSA's `Recall` and the spiking mac's code."""

    code: np.ndarray
    familiarity: float
    index: int
    overlap: int
    spiking_code: np.ndarray


@register_session("sparsey")
class SparseyMemory(MemorySession):
    """A Sparsey mac as a memory session (the shared interface of `models.session`).

    The mac learns with the CSA (`SparseyMac`); every operation also presents its input to
    the spiking realisation of the mac's current weights (`SparseyMac.to_network`, run on
    `backend` for one `interval`), so that each result carries raw spikes and session time
    advances by ``interval`` ms per operation.

    Parameters
    ----------
    n_inputs, Q, K : int
        Input units, CMs and cells per CM (see `SparseyMac`).
    backend : str
        Backend that runs the spiking realisation.
    seed : int
        Seed of the mac (and of the backend).
    dt, tau, t_first, interval : float
        Time step, time constant, first-spike time and operation length of the spiking
        realisation, ms (see `SparseyMac.to_network`).
    sigmoid_height, sigmoid_steepness, sigmoid_inflection : float
        The CSA's sigmoid (see `SparseyMac`).
    **build_options
        Passed on to `spikemem.build`.

    Attributes
    ----------
    mac : SparseyMac
    items : list of ndarray of bool
        The stored inputs, in learning order.
    history : list of SessionEvent
    """

    def __init__(self, n_inputs: int, Q: int, K: int, *, backend: str = "numba", seed: int = 0,
                 dt: float = 0.1, tau: float = 50.0, t_first: float = 5.0,
                 interval: float = CUE_INTERVAL_MS, sigmoid_height: float = 1e6,
                 sigmoid_steepness: float = 100.0, sigmoid_inflection: float = 0.8,
                 **build_options):
        self.mac = SparseyMac(n_inputs, Q, K, sigmoid_height=sigmoid_height,
                              sigmoid_steepness=sigmoid_steepness,
                              sigmoid_inflection=sigmoid_inflection, seed=seed)
        from spikemem.backends import BACKENDS
        if backend not in BACKENDS:
            raise invalid("SparseyMemory", "backend", backend, f"must be one of {sorted(BACKENDS)}")
        self._spiking = {"dt": dt, "tau": tau, "t_first": t_first, "interval": interval}
        self.mac.to_network(np.ones((1, n_inputs), bool), **self._spiking)    # validates
        self._backend = backend
        self._build_options = {"progress": False, **build_options}
        self.seed = self.mac.seed
        self.items: list = []
        self.history: list = []
        self.sim = None
        self._t = 0.0
        self._recording = Recording(dt, {"inputs": n_inputs, "mac": self.mac.n_cells},
                                    {"network": "sparsey_mac", "backend": backend,
                                     "seed": self.seed})

    # -- time, records, network ---------------------------------------------------------------
    @property
    def t(self) -> float:
        """Session time, ms (one `interval` per operation)."""
        return self._t

    @property
    def dt(self) -> float:
        return float(self._spiking["dt"])

    @property
    def backend(self) -> str:
        return self._backend

    @property
    def recording(self) -> Recording:
        """Spikes of every operation's spiking run, on the session's time axis."""
        return self._recording

    @property
    def network(self) -> Network:
        """The spiking mac with the learned weights, cued with the stored items (or with every
        input unit if nothing is stored yet): what `export` writes."""
        cues = (np.array(self.items) if self.items else
                np.ones((1, self.mac.n_inputs), bool))
        return self.mac.to_network(cues, **self._spiking)

    # -- operations --------------------------------------------------------------------------
    def _present(self, bits: np.ndarray) -> tuple:
        """Run the spiking mac on one input for one interval (a generator for
        `MemorySession._operate`); returns (code, t0)."""
        interval = self._spiking["interval"]
        net = self.mac.to_network(bits[None], **self._spiking)
        self.sim = build(net, backend=self._backend, seed=self.seed, **self._build_options)
        rec = yield interval
        code = self.mac.spiking_codes(rec, 1, interval=interval)[0]
        t0 = self._t
        for label in ("inputs", "mac"):
            times, ids = rec.spikes(label)
            self._recording.add_spikes(label, times + t0, ids)
        self._t = t0 + interval
        self._recording.t_stop = self._t
        return code, t0

    def _bits(self, x, owner: str) -> np.ndarray:
        return self.mac._inputs(x, owner, False)[0].astype(bool)

    def store(self, x) -> MemoryResult:
        """Learn an input (alias `learn`): the CSA picks and stores its code.

        Parameters
        ----------
        x : array_like of bool or 0/1, shape (n_inputs,), or SDR

        Returns
        -------
        MemoryResult
            ``content`` and ``cells``: the code (Q cells); ``index``: the item's number;
            ``details``: `SpikingEncoding` (familiarity before learning, spiking code).
        """
        return self._operate("store", self._store(x))

    def _store(self, x):
        bits = self._bits(x, "SparseyMemory.store")
        enc = self.mac.learn(bits)
        self.items.append(bits)
        code, t0 = yield from self._present(bits)
        i = self.mac.n_stored - 1
        return self._result("store", f"#{i} ({int(bits.sum())} active inputs)", t0, self._t,
                            enc.code, enc.code, index=i,
                            details=SpikingEncoding(enc.code, enc.familiarity, code))

    def recall(self, x) -> MemoryResult:
        """Recall from a (partial or noisy) cue without learning.

        Returns
        -------
        MemoryResult
            ``content`` and ``index``: the stored item whose code overlaps the cue's code
            most; ``cells``: the cue's code; ``details``: `SpikingRecall`.
        """
        return self._operate("recall", self._recall(x))

    def _recall(self, x):
        bits = self._bits(x, "SparseyMemory.recall")
        r = self.mac.recall(bits)
        code, t0 = yield from self._present(bits)
        return self._result("recall", f"{int(bits.sum())} active inputs", t0, self._t,
                            r.index, r.code, index=r.index,
                            details=SpikingRecall(r.code, r.familiarity, r.index, r.overlap,
                                                  code))

    # -- weights, files ------------------------------------------------------------------------
    def weights(self, which=None, component: str = "total") -> np.ndarray:
        """Learned binary weights ``W[input, cell]``, shape (n_inputs, Q*K), 0 or 1
        (dimensionless; the spiking realisation gives a 1 the synapse weight of
        `SparseyMac.to_network`). `which` may be None or "learned_weights"."""
        if which not in (None, "learned_weights"):
            raise invalid("SparseyMemory.weights", "which", which,
                          "must be 'learned_weights' (or None)")
        if component != "total":
            raise invalid("SparseyMemory.weights", "component", component, "must be 'total'")
        return self.mac.weights.astype(float)

    def learned_weights(self) -> dict:
        """Empty: the spiking mac has no plastic projection; `network` already holds the
        learned weights."""
        return {}

    def _raster_populations(self) -> list:
        return ["inputs", "mac"]

    def _config(self) -> dict:
        return {"n_inputs": self.mac.n_inputs, "Q": self.mac.Q, "K": self.mac.K,
                "seed": self.seed, **self._spiking,
                "sigmoid_height": self.mac.sigmoid_height,
                "sigmoid_steepness": self.mac.sigmoid_steepness,
                "sigmoid_inflection": self.mac.sigmoid_inflection}

    def _extra_state(self) -> dict:
        return {"W": self.mac._W, "codes": self.mac.codes, "items": np.array(self.items, bool)
                if self.items else np.zeros((0, self.mac.n_inputs), bool),
                "rng": rng_to_tree(self.mac._rng)}

    def _set_extra_state(self, state: dict) -> None:
        W = np.asarray(state["W"], np.uint8)
        codes = np.asarray(state["codes"], np.int64).reshape(-1, self.mac.Q)
        if W.shape != self.mac._W.shape:
            raise invalid("SparseyMemory.load", "W", W.shape, f"must be {self.mac._W.shape}")
        self.mac._W = W.copy()
        self.mac._store(codes)
        self.items = [np.asarray(x, bool) for x in np.asarray(state["items"], bool)]
        rng_from_tree(self.mac._rng, state["rng"])

    def _simulator_tree(self) -> dict:
        return {"t": self._t, "recording": self._recording.to_dict()}

    def _restore_simulator(self, tree: dict, path) -> None:
        self._t = float(tree["t"])
        self._recording = Recording.from_dict(tree["recording"])

    def __repr__(self) -> str:
        return (f"SparseyMemory(n_inputs={self.mac.n_inputs}, Q={self.mac.Q}, K={self.mac.K}, "
                f"{self.mac.n_stored} items, backend={self._backend!r}, t={self._t} ms)")
