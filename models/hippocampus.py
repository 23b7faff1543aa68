"""sPyMem's hippocampus memories, built natively on the IR, with sessions.

Three models of the seed paper's group (sPyMem 0.0.9; Casanueva-Morato et al.,
arXiv:2206.04924), each a `MemorySession` (see `models.session`)::

    from spikemem.models.hippocampus import DGCA3CA1Memory
    mem = DGCA3CA1Memory(cues=5, bits=10)         # DG-CA3-CA1 with forgetting
    mem.store(0, [0, 1, 2, 9])                     # echo on OUT 6 and 8 steps later
    mem.recall(cue=0)                              # {0: [0, 1, 2, 9]}, cue +6, bits +7 steps
    mem.store(0, [3, 4])                           # relearning a cue forgets the old content
    mem.raster("hc.png")

* `CA3OneHotMemory`: sPyMem's ``ca3`` (cue one-hot on IN/OUT);
* `DGCA3CA1Memory`: ``hippocampus_with_forgetting`` (binary cue; DG and CA1 are sPyBlocks'
  decoder and encoder);
* `BioDGCA3CA1Memory`: ``hippocampus_bioinspired_dg_ca1`` (binary cue; bio-inspired DG, CA1).

Cues are numbered ``0 .. cues-1``; the binary models present cue ``c`` as the code ``c + 1``
(sPyMem's DG maps code ``k`` to CA3cue ``k - 1``; the all-silent code 0 means no cue).
These models learn and recall by cue; relearning a cue overwrites (forgets) its old content
through the same STDP. They have no content -> cue pathway: recall by content raises
`UnsupportedFeature` (the CA3 content-addressable memory, `models.ca3_cam`, has one).
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

import spikemem as sm
from spikemem.errors import UnsupportedFeature, ValidationError, check_int

from .ca3_cam import CA3Recall
from .ca3_protocol import LEARN, Operation, validate_cue
from .hippocampus_network import (MODELS, PLASTIC, SPYMEM_NAMES, HippocampusLayout,
                                  build_network, cue_width, default_params, model_name)
from .hippocampus_protocol import TIMING, Timing, decode, schedule
from .protocol_session import ProtocolSession
from .session import MemoryResult, register_session

__all__ = ["HippocampusMemory", "CA3OneHotMemory", "DGCA3CA1Memory", "BioDGCA3CA1Memory",
           "SESSIONS", "MODELS", "SPYMEM_NAMES", "TIMING", "Timing", "HippocampusLayout",
           "Operation", "memory", "build_network", "cue_width", "default_params"]

_NAMES = {"ca3": "sPyMem ca3 memory", "forgetting": "DG-CA3-CA1 memory with forgetting",
          "bioinspired": "DG-CA3-CA1 memory with bio-inspired DG and CA1"}


class HippocampusMemory(ProtocolSession):
    """Base of the three hippocampus sessions; use a subclass (they fix `kind`).

    Parameters
    ----------
    cues : int
        Number of memories, >= 1.
    bits : int
        Content bits per memory, >= 1.
    backend : str
        Backend passed to `spikemem.build` ("numba", "brian2", "nengo").
    seed : int
        Seed passed to the backend (the network has no randomness), >= 0.
    params : dict, optional
        Overrides of the model's published parameters (`default_params`).
    gap : int
        Idle steps (ms at dt = 1) after every operation, >= 0; 0 is the documented maximum
        operation rate.
    initial_weights : array_like, shape (cues, bits), optional
        Initial CA3cue -> CA3cont weights, nA (sPyMem's ``initCA3W``).
    **build_options
        Passed on to `spikemem.build` (e.g. ``progress=False``).

    Attributes
    ----------
    network : spikemem.Network
    layout : HippocampusLayout
    timing : Timing
    sim : simulator
    history : list of SessionEvent
    """

    #: Which sPyMem model ("ca3", "forgetting", "bioinspired"); set by the subclasses.
    kind: str = ""

    def __init__(self, cues: int, bits: int, backend: str = "numba", seed: int = 0,
                 params: Optional[dict] = None, gap: int = 0, initial_weights=None,
                 **build_options):
        owner = type(self).__name__
        if self.kind not in MODELS:
            raise ValidationError(f"{owner}: use CA3OneHotMemory, DGCA3CA1Memory or "
                                  "BioDGCA3CA1Memory")
        self.gap = check_int(owner, "gap", gap, minimum=0)
        self.seed = check_int(owner, "seed", seed, minimum=0)
        self.params = None if params is None else dict(params)
        self.initial_weights = (None if initial_weights is None
                                else np.asarray(initial_weights, float).tolist())
        self.network, self.layout = build_network(self.kind, cues, bits, params,
                                                  initial_weights)
        if self.layout.dt != 1.0:
            raise ValidationError(f"{owner}: params['dt'] must be 1.0 ms, got "
                                  f"{self.layout.dt!r}: the models' parameters and timing are "
                                  "published for 1 ms steps (build_network builds other dt)")
        self.timing = TIMING[self.kind]
        self.sim = sm.build(self.network, backend=backend, seed=seed, **build_options)
        self.history: list = []

    # -- protocol hooks (see ProtocolSession) -------------------------------------------------
    def _schedule(self, operations, gap):
        gap = self.gap if gap is None else check_int(type(self).__name__, "gap", gap, 0)
        return schedule(operations, self.layout, self.timing, start=self.step, gap=gap)

    def _end_step(self, sched) -> int:
        last = sched.operations[-1]
        return max(int(sched.starts[-1]) + self.timing.output_delay
                   + self.timing.period(last.kind), sched.end)

    def _decode(self, sched) -> list:
        return decode(self.recording, self.layout, sched, self.timing)

    def _out_cells(self, cues, bits) -> np.ndarray:
        cells = sorted({n for c in cues for n in self.layout.cue_neurons(c)})
        return np.array(cells + [self.layout.bit_neuron(b) for b in sorted(bits)], np.int64)

    def _window(self, r) -> tuple:
        dt = self.layout.dt
        return (r.start * dt,
                (r.start + self.timing.output_delay + self.timing.period(r.operation.kind)) * dt)

    def _op_result(self, r) -> MemoryResult:
        op = r.operation
        t0, t1 = self._window(r)
        if op.kind == LEARN:
            kind, arg, content = "store", f"cue={op.cue} content={list(op.bits)}", \
                {op.cue: list(op.bits)}
        else:
            kind, arg = "recall", f"cue={op.cue}"
            content = {op.cue: list(r.bits)} if r.bits else {}
        return MemoryResult(kind, arg, t0, t1, content, self._out_cells(r.cues, r.bits),
                            self.spikes_between(t0, t1), op.cue, r)

    def store(self, cue: int, content: Sequence[int]) -> MemoryResult:
        """Store `content` (bit indices) under `cue` (alias `learn`); relearning a cue
        overwrites (forgets) its old content.

        Returns
        -------
        MemoryResult
            ``content`` ``{cue: bits}`` as stored; ``cells`` the OUT neurons of the echo (cue
            neurons, then ``cue_width + bit``); ``details`` the decoded `OpResult` (``.cues``,
            ``.bits``, ``.latency`` in steps).
        """
        return self._operate("store", self._store(cue, content))

    def _store(self, cue, content):
        r = (yield from self._run([Operation.learn(cue, content)]))[0]
        result = self._op_result(r)
        self.history.append(result.event)
        return result

    def recall(self, cue: Optional[int] = None, fragment: Optional[Sequence[int]] = None):
        """Recall the memory stored under `cue`.

        Returns
        -------
        CA3Recall
            A `MemoryResult` that is also the mapping ``{cue: sorted content bits}`` (empty if
            nothing came back); ``cells``: the OUT neurons that answered; ``details``: the
            decoded `OpResult` (latency of the content, steps).

        Raises
        ------
        ValidationError
            No cue or an invalid one.
        UnsupportedFeature
            `fragment` given: these models have no content -> cue pathway.
        """
        return self._operate("recall", self._recall(cue, fragment))

    def _recall(self, cue, fragment):
        owner = f"{type(self).__name__}.recall"
        if fragment is not None:
            raise UnsupportedFeature(
                f"{owner}: recall by content is not a feature of the {_NAMES[self.kind]} "
                "(its only plastic pathway is CA3cue -> CA3cont); recall by cue, or use "
                "spikemem.models.ca3_cam.CA3Memory")
        if cue is None:
            raise ValidationError(f"{owner}: give cue=")
        cue = validate_cue(cue, self.cues, owner)
        r = (yield from self._run([Operation.recall_cue(cue)]))[0]
        t0, t1 = self._window(r)
        answer = {cue: list(r.bits)} if r.bits and cue in r.cues else {}
        result = CA3Recall("recall", f"cue={cue}", t0, t1, answer,
                           self._out_cells(r.cues, r.bits), self.spikes_between(t0, t1), cue, r)
        self.history.append(result.event)
        return result

    def forget(self, *args, **kwargs):
        """Not on request: these models forget by relearning, ``store(cue, new_content)``
        overwrites the old content of `cue` (raises `UnsupportedFeature`)."""
        raise UnsupportedFeature(
            f"{type(self).__name__}.forget: the {_NAMES[self.kind]} forgets by relearning, not "
            "on request; store(cue, new_content) overwrites the cue's old content")

    # -- output ------------------------------------------------------------------------------
    def weights(self, which: Optional[str] = None, component: str = "total") -> np.ndarray:
        """Current CA3cue -> CA3cont weights, nA, shape ``(cues, bits)``.

        `which` may be None or "cue_to_content" (the only plastic projection); `component`
        "total" (plain STDP).
        """
        if which not in (None, "cue_to_content"):
            raise ValidationError(f"{type(self).__name__}.weights: which must be None or "
                                  f"'cue_to_content', got {which!r}")
        return self.sim.weights(PLASTIC, component).reshape(self.cues, self.bits)

    def _raster_populations(self) -> list:
        return list(self.layout.populations)

    def _config(self) -> dict:
        return {"cues": self.cues, "bits": self.bits, "seed": self.seed, "gap": self.gap,
                "params": self.params, "initial_weights": self.initial_weights}

    def raster(self, path=None, t_range=None, title=None, markers: bool = True):
        """Raster of every population (IN first, OUT last) with a marker per operation;
        saved to `path` if given."""
        return super().raster(path, t_range, title or f"{_NAMES[self.kind]}, {self.cues} "
                              f"cues x {self.bits} bits ({self.backend})", markers)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(cues={self.cues}, bits={self.bits}, "
                f"backend={self.backend!r}, t={self.t} ms)")


@register_session("hippocampus_ca3")
class CA3OneHotMemory(HippocampusMemory):
    """sPyMem's ``ca3`` memory: CA3cue/CA3cont with a one-hot cue (IN = cues + bits).

    Learn: hold 3 steps, next operation 7 steps after the start; echo on OUT at +2 and +4.
    Recall by cue: next operation after 5; the cue at +2, the content at +3.
    See `HippocampusMemory` for the parameters.
    """

    kind = "ca3"


@register_session("hippocampus_forgetting")
class DGCA3CA1Memory(HippocampusMemory):
    """sPyMem's DG-CA3-CA1 memory with forgetting (``hippocampus_with_forgetting``).

    Binary cue (code ``cue + 1`` on ``ceil(log2(cues + 1))`` IN neurons), decoded by
    sPyBlocks' DG decoder and encoded back by its CA1 encoder. Learn: 7 steps, echo at +6
    and +8; recall: 6 steps, cue at +6 and content at +7. See `HippocampusMemory`.
    """

    kind = "forgetting"


@register_session("hippocampus_bioinspired")
class BioDGCA3CA1Memory(HippocampusMemory):
    """sPyMem's DG-CA3-CA1 memory with bio-inspired DG and CA1
    (``hippocampus_bioinspired_dg_ca1``).

    Binary cue as `DGCA3CA1Memory`. Learn: 7 steps, echo at +4 and +6; recall: 5 steps, cue
    at +4 and content at +5. See `HippocampusMemory`.
    """

    kind = "bioinspired"


#: Session class of each model.
SESSIONS = {"ca3": CA3OneHotMemory, "forgetting": DGCA3CA1Memory,
            "bioinspired": BioDGCA3CA1Memory}


def memory(model: str, cues: int, bits: int, **options) -> HippocampusMemory:
    """A session of hippocampus model `model` (one of `MODELS` or sPyMem's module names).

    ``memory("hippocampus_with_forgetting", 5, 10)`` is ``DGCA3CA1Memory(5, 10)``; `options`
    are the session's keyword arguments (backend, seed, params, gap, initial_weights, ...).
    """
    return SESSIONS[model_name(model)](cues, bits, **options)
