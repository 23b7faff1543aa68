"""Ctrl-C (SIGINT) deferred to the next consistent point of a simulation run.

`Simulator.run` holds a `DeferredInterrupt` while it advances: a SIGINT that arrives is only
recorded, and the backend raises it (as `SimulationInterrupted`, a `KeyboardInterrupt`) at its
next *safe point*, right after a chunk of steps and its spikes have been committed. The
simulator is then at a step boundary with every spike up to that step in its recording, and
``sim.run(exc.remaining_ms)`` continues exactly as if nothing had happened.

Outside the main thread (where Python delivers no signals) the deferral is a no-op.
"""
from __future__ import annotations

import contextlib
import signal
import threading

__all__ = ["SimulationInterrupted", "DeferredInterrupt", "terminate_as_exit"]


class SimulationInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C at a consistent step boundary.

    Attributes
    ----------
    t : float
        Simulated time reached, ms (everything before it is recorded).
    remaining_ms : float
        Time the interrupted ``run`` call still had to simulate, ms.
    """

    def __init__(self, t: float, remaining_ms: float):
        super().__init__(f"simulation interrupted at t = {t:g} ms (a consistent step "
                         f"boundary); call run({remaining_ms:g}) to continue")
        self.t = t
        self.remaining_ms = remaining_ms


class DeferredInterrupt:
    """Context manager that records SIGINT instead of raising it at once.

    ``pending`` tells whether a SIGINT arrived; the holder calls `clear` once it acted on it.
    Re-entering (a run inside a run) keeps the outer handler.
    """

    _active = None

    def __init__(self):
        self.pending = False
        self._previous = None
        self._installed = False

    def __enter__(self) -> "DeferredInterrupt":
        if DeferredInterrupt._active is not None:
            return DeferredInterrupt._active
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGINT, self._handle)
                self._installed = True
            except ValueError:          # e.g. embedded interpreters without signal support
                self._installed = False
        DeferredInterrupt._active = self
        return self

    def _handle(self, signum, frame) -> None:
        self.pending = True

    def clear(self) -> None:
        self.pending = False

    def __exit__(self, exc_type, exc, tb) -> None:
        if DeferredInterrupt._active is not self:
            return
        DeferredInterrupt._active = None
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
        if self.pending and exc_type is None:
            # The run completed before reaching a safe point: deliver the Ctrl-C now.
            self.pending = False
            raise KeyboardInterrupt("interrupted after the run completed")


@contextlib.contextmanager
def terminate_as_exit():
    """Within the block, SIGTERM raises ``SystemExit(143)`` so that ``finally`` clauses and
    ``except BaseException`` clean-ups (temporary files) run; outside, nothing changes.

    Only in the main thread and only if SIGTERM still has its default action (a handler the
    application installed is left alone).
    """
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def _exit(signum, frame):
        raise SystemExit(128 + signal.SIGTERM)

    signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
