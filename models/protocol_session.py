"""Shared driver of the sessions that run a CA3-family operation protocol.

`CA3Memory` and the hippocampus sessions (`HippocampusMemory`) both turn a list of protocol
operations (learn, recall) into a spike schedule on the input population, run the simulator to
the end of the last operation's output window and decode the answers. `ProtocolSession` holds
that loop once; a model supplies how to schedule, where the last window ends and how to decode.
"""
from __future__ import annotations

import abc
from typing import Optional, Sequence

from spikemem.errors import ValidationError

from .ca3_protocol import Operation
from .session import MemoryResult, MemorySession


class ProtocolSession(MemorySession):
    """A `MemorySession` driven by protocol operations (see the module docstring).

    Subclasses set ``self.layout`` (with ``cue_size``, ``content_size``, ``dt`` and
    ``input_label``), ``self.gap``, ``self.sim`` and ``self.history = []``.
    """

    # -- what a protocol model implements ---------------------------------------------------
    @abc.abstractmethod
    def _schedule(self, operations: Sequence, gap: Optional[int]):
        """The spike schedule of `operations` from `step` on (`gap` None: the session's)."""

    @abc.abstractmethod
    def _end_step(self, sched) -> int:
        """Step at which the last operation's output window of `sched` closes."""

    @abc.abstractmethod
    def _decode(self, sched) -> list:
        """Decoded `OpResult` of every operation of `sched` (after it has run)."""

    @abc.abstractmethod
    def _op_result(self, r) -> MemoryResult:
        """An `OpResult` as a `MemoryResult` (not added to history)."""

    # -- properties --------------------------------------------------------------------------
    @property
    def cues(self) -> int:
        return self.layout.cue_size

    @property
    def bits(self) -> int:
        return self.layout.content_size

    @property
    def step(self) -> int:
        """Next free time step (operations start here); `t` is the same in ms."""
        return int(round(self.sim.t / self.layout.dt))

    # -- operations --------------------------------------------------------------------------
    def run(self, operations: Sequence, gap: Optional[int] = None) -> list:
        """Run protocol operations back to back and return their decoded answers.

        Every operation is added to `history`.

        Parameters
        ----------
        operations : sequence of Operation
        gap : int, optional
            Extra idle steps (ms) between operations; default: the session's `gap`. 0 runs
            them at the published maximum rate.

        Returns
        -------
        list of OpResult
            One per operation, in order (see the model's `recall` for what each kind of
            operation answers).

        Raises
        ------
        ValidationError
            An invalid operation or gap (nothing is run then).
        UnsupportedFeature
            An operation the model has no pathway for (e.g. a recall by content on the
            hippocampus models; nothing is run then).
        """
        return self._operate("run", self._run_steps(operations, gap))

    def _run_steps(self, operations, gap):
        results = yield from self._run(operations, gap)
        for r in results:
            self.history.append(self._op_result(r).event)
        return results

    def learn_many(self, memories: dict) -> list:
        """Store ``{cue: content}`` pairs back to back at the session's gap (0: the published
        maximum rate); one `MemoryResult` each, in the dict's order."""
        if not isinstance(memories, dict):
            raise ValidationError(f"{type(self).__name__}.learn_many: memories must be a dict "
                                  f"{{cue: content}}, got {type(memories).__name__}")
        return self._operate("learn_many", self._learn_many(memories))

    def _learn_many(self, memories: dict):
        found = yield from self._run([Operation.learn(c, b) for c, b in memories.items()])
        results = [self._op_result(r) for r in found]
        self.history.extend(r.event for r in results)
        return results

    def _run(self, operations, gap=None):
        """Schedule and run protocol operations (a generator for `MemorySession._operate`,
        which runs the simulator for the time it yields); returns their decoded `OpResult`."""
        if not operations:
            return []
        sched = self._schedule(operations, gap)
        self.sim.add_spikes(self.layout.input_label, sched.times, sched.ids)
        yield (self._end_step(sched) - self.step) * self.layout.dt
        return self._decode(sched)
