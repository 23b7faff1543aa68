"""Spiking CA3 content-addressable memory: IR builder and session API.

After Casanueva-Morato et al., "Bio-inspired computational memory model of the Hippocampus:
an approach to a neuromorphic spike-based Content-Addressable Memory", Neural Networks
(2024). The network (`build_network`) learns (cue, content) pairs in one shot by STDP and
recalls them by cue or by any fragment of the content. `CA3Memory` drives a built simulator
operation by operation::

    mem = CA3Memory(cues=8, bits=16, backend="numba", seed=0)
    mem.store(0, [1, 4, 9])      # or mem.learn(...): a MemoryResult (the echo)
    r = mem.recall(cue=0)        # r.content == {0: [1, 4, 9]}; r == {0: [1, 4, 9]}
    mem.recall(fragment=[4])     # {0: [1, 4, 9], ...every memory holding bit 4}
    mem.raster("ca3.png"); mem.save("ca3.h5"); mem.export("nir", "ca3.nir")

`CA3Memory` follows the shared session interface (`models.session.MemorySession`): results
are `MemoryResult` objects (a recall's result is also a mapping ``{cue: bits}``), times are in
ms, and the session saves, loads and exports what it learned.

Recall by content: the published network returns the *cues* of the matching memories; the
session then recalls each returned cue by cue (in the protocol layer, see docs/ca3.md), so the
answer maps every matching cue to its full content. The session presents a fragment one bit
per operation: in the published network a recall is not read-only, and a fragment whose bits
belong to several memories would Hebbian-associate every presented bit with every returned cue.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

import spikemem as sm
from spikemem.errors import ValidationError
from spikemem.plotting import describe_raster
from spikemem.validation import check_integer

from .ca3_decoder import WINDOW, OpResult, decode
from .ca3_network import (CONTENT_TO_CUE, CUE_TO_CONTENT, DEFAULT_PARAMS, Layout,
                          build_network, merge_params)
from .ca3_protocol import (LEARN, MAX_GAP_STEPS, OUTPUT_DELAY, Operation, schedule,
                           validate_bits, validate_cue)
from .protocol_session import ProtocolSession
from .session import MemoryResult, register_session

__all__ = ["build_network", "CA3Memory", "Operation", "OpResult", "Layout", "DEFAULT_PARAMS",
           "merge_params", "CUE_TO_CONTENT", "CONTENT_TO_CUE", "RASTER_ORDER", "CA3Recall"]

#: Population order of the paper's raster figures (top to bottom).
RASTER_ORDER = ("IN", "CA3cueCueRecall", "CA3contCueRecall", "CA3contCond", "CA3contCondInt",
                "CA3cueContRecall", "CA3contContRecall", "CA3mergeCue", "CA3mergeCont", "OUT")


@dataclass(frozen=True, eq=False, repr=False)
class CA3Recall(MemoryResult, Mapping):
    """A CA3 recall: a `MemoryResult` whose `content` ``{cue: sorted bits}`` it also is, as a
    read-only mapping (``result[cue]``, ``result == {0: [1, 4]}``)."""

    def __getitem__(self, cue):
        return self.content[cue]

    def __iter__(self):
        return iter(self.content)

    def __len__(self) -> int:
        return len(self.content)

    __eq__ = Mapping.__eq__
    __hash__ = None


@register_session("ca3")
class CA3Memory(ProtocolSession):
    """A CA3 content-addressable memory running on a spikemem backend.

    The network is built once; every call appends operations to the same simulation
    (``sim.add_spikes("IN", ...)`` then ``sim.run(...)``), so learned weights carry over.

    Parameters
    ----------
    cues : int
        Number of cues (memories), >= 1.
    bits : int
        Content size in bits, >= 1.
    backend : str
        Backend name passed to `spikemem.build` ("numba", "brian2", "nengo").
    seed : int
        Seed passed to the backend (the network itself has no randomness).
    params : dict, optional
        Overrides of the published parameters (see `DEFAULT_PARAMS`).
    gap : int
        Idle time the session leaves after every operation, ms (whole steps of dt = 1 ms,
        >= 0). 0 is the published maximum rate; a few steps let the STDP traces of one
        operation decay before the next (at 0, consecutive learns leave 1.9 nA cross-weights
        between neighbouring memories, at 6 steps 0.25 nA).
    **build_options
        Passed on to `spikemem.build` (e.g. ``progress=False``).

    Attributes
    ----------
    network : spikemem.Network
    layout : Layout
    sim : simulator returned by `spikemem.build`
    history : list of SessionEvent
        Every operation run so far (kind, argument, window in ms).
    """

    forgets_by = ("the published network forgets a memory when its cue is stored again with "
                  "new content: store(cue, new_bits)")

    def __init__(self, cues: int, bits: int, backend: str = "numba", seed: int = 0,
                 params: Optional[dict] = None, gap: int = 6, **build_options):
        self.gap = check_integer("CA3Memory", "gap", gap, 0, MAX_GAP_STEPS)
        self.seed = check_integer("CA3Memory", "seed", seed, 0)
        self.params = None if params is None else dict(params)
        self.network, self.layout = build_network(cues, bits, params)
        self.sim = sm.build(self.network, backend=backend, seed=seed, **build_options)
        self.history: list = []
        half = [("cue", 0, cues), ("content", cues, cues + bits)]
        describe_raster(self.recording, title=self._default_title(), order=RASTER_ORDER,
                        splits={self.layout.input_label: half, self.layout.output_label: half})

    # -- protocol hooks (see ProtocolSession) -------------------------------------------------
    def _schedule(self, operations, gap):
        return schedule(operations, self.cues, self.bits, start=self.step,
                        dt=self.layout.dt, gap=self.gap if gap is None else gap)

    def _end_step(self, sched) -> int:
        return max(int(sched.starts[-1]) + OUTPUT_DELAY + WINDOW, sched.end)

    def _decode(self, sched) -> list:
        return decode(self.recording, self.layout, sched)

    def _op_result(self, r) -> MemoryResult:
        """A protocol operation's `OpResult` as a `MemoryResult` (not added to history)."""
        op, dt = r.operation, self.layout.dt
        t0 = r.start * dt
        t1 = (r.start + OUTPUT_DELAY + WINDOW) * dt
        if op.kind == LEARN:
            kind, arg, content = "store", f"cue={op.cue} content={list(op.bits)}", \
                {op.cue: list(op.bits)}
        elif op.cue is not None:
            kind, arg = "recall", f"cue={op.cue}"
            content = {op.cue: list(r.bits)} if r.bits else {}
        else:       # the published recall by content answers with cues only
            kind, arg, content = "recall", f"fragment={list(op.bits)}", list(r.cues)
        return MemoryResult(kind, arg, t0, t1, content, self._out_cells(r.cues, r.bits),
                            self.spikes_between(t0, t1), op.cue, r)

    def _out_cells(self, cues, bits) -> np.ndarray:
        return np.array(sorted(cues) + [self.cues + b for b in sorted(bits)], np.int64)

    def store(self, cue: int, content: Sequence[int]) -> MemoryResult:
        """Store `content` (bit indices) under `cue` (alias `learn`); relearning a cue
        overwrites it.

        Returns
        -------
        MemoryResult
            ``content`` ``{cue: bits}`` as stored, ``cells`` the OUT neurons of the echo
            (cues first, then ``cues + bit``), ``details`` the decoded `OpResult` (``.cues``,
            ``.bits``, ``.latency``).
        """
        return self._operate("store", self._store(cue, content))

    def _store(self, cue, content):
        t0 = self.t
        r = (yield from self._run([Operation.learn(cue, content)]))[0]
        op = r.operation
        return self._result("store", f"cue={op.cue} content={list(op.bits)}", t0, self.t,
                            {op.cue: list(op.bits)}, self._out_cells(r.cues, r.bits),
                            index=op.cue, details=r)

    def recall(self, cue: Optional[int] = None,
               fragment: Optional[Sequence[int]] = None) -> CA3Recall:
        """Recall by cue or by a content fragment.

        Parameters
        ----------
        cue : int, optional
            Recall the memory stored under this cue.
        fragment : sequence of int, optional
            Recall every memory whose content holds at least one of these bits. Each bit is
            presented in its own recall-by-content operation; the union of the returned cues
            is then recalled by cue.

        Returns
        -------
        CA3Recall
            ``content`` ``{cue: sorted list of content bits}`` for every memory recalled
            (empty if none); the result itself compares equal to that dict. ``cells``: the
            OUT neurons that answered; ``details``: the decoded `OpResult` of every protocol
            operation.

        Raises
        ------
        ValidationError
            Neither or both of `cue` and `fragment`, or an invalid cue / fragment.
        """
        return self._operate("recall", self._recall(cue, fragment))

    def _recall(self, cue, fragment):
        if (cue is None) == (fragment is None):
            raise ValidationError("CA3Memory.recall: give exactly one of cue= or fragment=")
        t0 = self.t
        if cue is not None:
            cue = validate_cue(cue, self.cues, "CA3Memory.recall")
            ops, argument = (yield from self._by_cues([cue])), f"cue={cue}"
        else:
            bits = validate_bits(fragment, self.bits, "CA3Memory.recall", "fragment")
            found = yield from self._run([Operation.recall_content([b]) for b in bits])
            ops = found + (yield from self._by_cues(sorted({c for r in found for c in r.cues})))
            argument = f"fragment={list(bits)}"
        answer = {r.operation.cue: list(r.bits) for r in ops
                  if r.operation.cue is not None and r.bits}
        cells = self._out_cells(answer, sorted({b for bits in answer.values() for b in bits}))
        result = CA3Recall("recall", argument, t0, self.t, answer, cells,
                           self.spikes_between(t0, self.t), cue, tuple(ops))
        self.history.append(result.event)
        return result

    def recall_cues(self, fragment: Sequence[int]) -> tuple:
        """Cues the network returns for a whole fragment presented at once (the published
        recall by content, one operation)."""
        bits = validate_bits(fragment, self.bits, "CA3Memory.recall_cues", "fragment")
        return self.run([Operation.recall_content(bits)])[0].cues

    def _by_cues(self, cues):
        return (yield from self._run([Operation.recall_cue(c) for c in cues]))

    # -- output ------------------------------------------------------------------------------
    def weights(self, which: Optional[str] = None, component: str = "total") -> np.ndarray:
        """Current learned weights, nA: ``(cues, bits)`` for "cue_to_content" (the default),
        ``(bits, cues)`` for "content_to_cue". `component` must be "total" (plain STDP)."""
        which = "cue_to_content" if which is None else which
        if which == "cue_to_content":
            return self.sim.weights(CUE_TO_CONTENT, component).reshape(self.cues, self.bits)
        if which == "content_to_cue":
            return self.sim.weights(CONTENT_TO_CUE, component).reshape(self.bits, self.cues)
        raise ValidationError(f"CA3Memory.weights: which must be 'cue_to_content' or "
                              f"'content_to_cue', got {which!r}")

    def _raster_populations(self) -> list:
        return list(RASTER_ORDER)

    def _config(self) -> dict:
        return {"cues": self.cues, "bits": self.bits, "seed": self.seed, "gap": self.gap,
                "params": self.params}

    def raster(self, path=None, t_range=None, title=None, markers: bool = True):
        """Raster of every population in the paper's order, with a marker per operation
        (see `MemorySession.raster`); saved to `path` if given."""
        return super().raster(path, t_range, title or self._default_title(), markers)

    def _default_title(self) -> str:
        return f"CA3 memory {self.cues} cues x {self.bits} bits ({self.backend})"

    def __repr__(self) -> str:
        return (f"CA3Memory(cues={self.cues}, bits={self.bits}, "
                f"backend={self.backend!r}, t={self.t} ms)")
