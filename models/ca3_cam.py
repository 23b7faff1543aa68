"""Spiking CA3 content-addressable memory: IR builder and session API.

After Casanueva-Morato et al., "Bio-inspired computational memory model of the Hippocampus:
an approach to a neuromorphic spike-based Content-Addressable Memory", Neural Networks
(2024). The network (`build_network`) learns (cue, content) pairs in one shot by STDP and
recalls them by cue or by any fragment of the content. `CA3Memory` drives a built simulator
operation by operation::

    mem = CA3Memory(cues=8, bits=16, backend="numba", seed=0)
    mem.learn(0, [1, 4, 9])
    mem.recall(cue=0)            # {0: [1, 4, 9]}
    mem.recall(fragment=[4])     # {0: [1, 4, 9], ...every memory holding bit 4}

Recall by content: the published network returns the *cues* of the matching memories; the
session then recalls each returned cue by cue (in the protocol layer, see docs/ca3.md), so the
answer maps every matching cue to its full content. The session presents a fragment one bit
per operation: in the published network a recall is not read-only, and a fragment whose bits
belong to several memories would Hebbian-associate every presented bit with every returned cue.
"""
from __future__ import annotations

from typing import Optional, Sequence

import spikemem as sm
from spikemem.errors import ValidationError
from spikemem.plotting import describe_raster
from spikemem.validation import check_integer

from .ca3_decoder import WINDOW, OpResult, decode
from .ca3_network import (CONTENT_TO_CUE, CUE_TO_CONTENT, DEFAULT_PARAMS, Layout,
                          build_network, merge_params)
from .ca3_protocol import (MAX_GAP_STEPS, OUTPUT_DELAY, Operation, schedule, validate_bits,
                           validate_cue)

__all__ = ["build_network", "CA3Memory", "Operation", "OpResult", "Layout", "DEFAULT_PARAMS",
           "merge_params", "CUE_TO_CONTENT", "CONTENT_TO_CUE", "RASTER_ORDER"]

#: Population order of the paper's raster figures (top to bottom).
RASTER_ORDER = ("IN", "CA3cueCueRecall", "CA3contCueRecall", "CA3contCond", "CA3contCondInt",
                "CA3cueContRecall", "CA3contContRecall", "CA3mergeCue", "CA3mergeCont", "OUT")


class CA3Memory:
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
        Idle steps the session leaves after every operation (>= 0). 0 is the published
        maximum rate; a few steps let the STDP traces of one operation decay before the next
        (at 0, consecutive learns leave 1.9 nA cross-weights between neighbouring memories,
        at 6 steps 0.25 nA).
    **build_options
        Passed on to `spikemem.build` (e.g. ``progress=False``).

    Attributes
    ----------
    network : spikemem.Network
    layout : Layout
    sim : simulator returned by `spikemem.build`
    history : list of OpResult
        Every operation run so far, with its decoded answer.
    """

    def __init__(self, cues: int, bits: int, backend: str = "numba", seed: int = 0,
                 params: Optional[dict] = None, gap: int = 6, **build_options):
        self.gap = check_integer("CA3Memory", "gap", gap, 0, MAX_GAP_STEPS)
        self.network, self.layout = build_network(cues, bits, params)
        self.sim = sm.build(self.network, backend=backend, seed=seed, **build_options)
        self.history: list = []
        half = [("cue", 0, cues), ("content", cues, cues + bits)]
        describe_raster(self.recording, title=self._default_title(), order=RASTER_ORDER,
                        splits={self.layout.input_label: half, self.layout.output_label: half})

    # -- properties --------------------------------------------------------------------------
    @property
    def cues(self) -> int:
        return self.layout.cue_size

    @property
    def bits(self) -> int:
        return self.layout.content_size

    @property
    def step(self) -> int:
        """Next free time step (operations start here)."""
        return int(round(self.sim.t / self.layout.dt))

    @property
    def recording(self):
        """The simulator's `spikemem.Recording` (all populations, all operations so far)."""
        return self.sim.recording

    # -- operations --------------------------------------------------------------------------
    def run(self, operations: Sequence[Operation], gap: Optional[int] = None) -> list:
        """Run operations back to back and return their decoded answers.

        Parameters
        ----------
        operations : sequence of Operation
        gap : int, optional
            Extra idle steps between operations; default: the session's `gap`. 0 runs them at
            the published maximum rate.

        Returns
        -------
        list of OpResult
            Note that a recall by content answers with cues only (see `recall`).

        Raises
        ------
        ValidationError
            An invalid operation (nothing is run then).
        """
        if not operations:
            return []
        gap = self.gap if gap is None else gap
        sched = schedule(operations, self.cues, self.bits, start=self.step,
                         dt=self.layout.dt, gap=gap)
        self.sim.add_spikes(self.layout.input_label, sched.times, sched.ids)
        until = max(int(sched.starts[-1]) + OUTPUT_DELAY + WINDOW, sched.end)
        self.sim.run((until - self.step) * self.layout.dt)
        results = decode(self.recording, self.layout, sched)
        self.history.extend(results)
        return results

    def learn(self, cue: int, content: Sequence[int]) -> OpResult:
        """Store `content` (bit indices) under `cue`; relearning a cue overwrites it.

        Returns the decoded echo of the operation.
        """
        return self.run([Operation.learn(cue, content)])[0]

    def learn_many(self, memories: dict) -> list:
        """Store ``{cue: content}`` pairs at the fastest legal rate."""
        return self.run([Operation.learn(c, b) for c, b in memories.items()])

    def recall(self, cue: Optional[int] = None, fragment: Optional[Sequence[int]] = None) -> dict:
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
        dict
            ``{cue: sorted list of content bits}`` for every memory recalled (empty if none).

        Raises
        ------
        ValidationError
            Neither or both of `cue` and `fragment`, or an invalid cue / fragment.
        """
        if (cue is None) == (fragment is None):
            raise ValidationError("CA3Memory.recall: give exactly one of cue= or fragment=")
        if cue is not None:
            cue = validate_cue(cue, self.cues, "CA3Memory.recall")
            return self._by_cues([cue])
        bits = validate_bits(fragment, self.bits, "CA3Memory.recall", "fragment")
        found = self.run([Operation.recall_content([b]) for b in bits])
        return self._by_cues(sorted({c for r in found for c in r.cues}))

    def recall_cues(self, fragment: Sequence[int]) -> tuple:
        """Cues the network returns for a whole fragment presented at once (the published
        recall by content, one operation)."""
        bits = validate_bits(fragment, self.bits, "CA3Memory.recall_cues", "fragment")
        return self.run([Operation.recall_content(bits)])[0].cues

    def _by_cues(self, cues) -> dict:
        results = self.run([Operation.recall_cue(c) for c in cues])
        return {r.operation.cue: list(r.bits) for r in results if r.bits}

    # -- output ------------------------------------------------------------------------------
    def weights(self, which: str = "cue_to_content"):
        """Current learned weights, nA: ``(cues, bits)`` for "cue_to_content", ``(bits, cues)``
        for "content_to_cue"."""
        if which == "cue_to_content":
            return self.sim.weights(CUE_TO_CONTENT).reshape(self.cues, self.bits)
        if which == "content_to_cue":
            return self.sim.weights(CONTENT_TO_CUE).reshape(self.bits, self.cues)
        raise ValidationError(f"CA3Memory.weights: which must be 'cue_to_content' or "
                              f"'content_to_cue', got {which!r}")

    def raster(self, path=None, t_range=None, title=None):
        """Raster of every population in the paper's order, IN and OUT split into cue and
        content; saved to `path` if given. The title of a whole-recording raster is stored
        with the recording, so ``spikemem plot`` of the saved file shows it too."""
        title = title or self._default_title()
        if t_range is None:
            describe_raster(self.recording, title=title)
        return sm.plot_raster(self.recording, path, t_range=t_range, title=title)

    def _default_title(self) -> str:
        return (f"CA3 memory {self.cues} cues x {self.bits} bits "
                f"({self.recording.metadata.get('backend')})")

    def __repr__(self) -> str:
        return (f"CA3Memory(cues={self.cues}, bits={self.bits}, "
                f"backend={self.recording.metadata.get('backend')!r}, t={self.sim.t} ms)")
