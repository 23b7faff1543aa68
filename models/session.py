"""One session interface for every memory model (CA3, hippocampus, engram, Sparsey).

A *session* owns a built network and its simulator and drives it operation by operation.
Every memory session offers the same verbs, result type, units and files:

* ``store(...)`` (alias ``learn``) and ``recall(...)``; ``forget(...)`` where the model can
  forget on request (otherwise `UnsupportedFeature`);
* every operation returns a `MemoryResult`: ``.content`` (what the model stored or answered,
  in the model's own terms), ``.cells`` (the model's cells that carry it), ``.spikes`` (the
  raw spikes of the operation's window, by population), ``.t_start``/``.t_stop`` (ms) and
  ``.details`` (the model's own decoded result, whose attributes the result also exposes);
* ``weights(which=None, component="total")``: learned weights as a dense matrix, nA;
* time is in ms everywhere (``session.t``, result windows, `history`);
* ``history``: one `SessionEvent` per operation (kind, argument, window);
* ``raster(path)``: the spike raster with every operation marked (kind and argument);
* ``save(path)`` / ``MemorySession.load(path)``: the whole session (constructor arguments,
  network, learned weights, simulator state, recording and history) in one HDF5 file; a
  loaded session continues bit for bit as if it had never stopped;
* ``export(target, path)``: what the session has *learned* (its current weights) exported to
  NIR, Loihi or SpiNNaker (PyNN script);
* Ctrl-C: an operation interrupted by Ctrl-C (SIGINT) stops its simulator at a committed
  step boundary (`spikemem.interrupts`) and re-raises `SimulationInterrupted` with the
  operation left *pending*. The session then refuses every other operation (and `save`) with
  `spikemem.errors.PendingOperation` until ``session.resume()``, which runs the rest of the
  operation, completes its bookkeeping and returns the operation's result. The final time,
  history, spikes, weights and results are bit for bit those of an uninterrupted session.
  ``session.pending`` names the pending operation (None if there is none). A Ctrl-C that
  lands outside the simulator's run (in the session's own bookkeeping between two runs) is
  held until the next run's first safe point, or, if the operation runs no more, delivered as
  a plain ``KeyboardInterrupt`` once the operation has completed (it is then in `history`).

A model implements `MemorySession` by setting ``network``, ``sim`` and ``history`` in its
constructor, implementing `store`, `recall`, `weights`, `_config` (its constructor arguments)
and `_raster_populations`, and registering itself with `register_session`. Every operation
that runs the simulator is written as a generator that *yields* each duration (ms) it needs
run and receives the recording back (``rec = yield 50.0``), and is started with
``self._operate(name, generator)``: the base class runs the simulator, suspends the
generator on Ctrl-C and continues it in `resume`, so a model supplies no interrupt handling
of its own.
"""
from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from spikemem._repr import summarise_value

from spikemem.errors import (FileFormatError, PendingOperation, UnsupportedFeature,
                             ValidationError)
from spikemem.interrupts import DeferredInterrupt, SimulationInterrupted

__all__ = ["MemorySession", "MemoryResult", "SessionEvent", "register_session",
           "session_class", "draw_markers", "rng_to_tree", "rng_from_tree", "EXPORT_TARGETS",
           "SESSION_KIND"]

#: ``spikemem_kind`` of a session file.
SESSION_KIND = "session"
#: Targets of `MemorySession.export`.
EXPORT_TARGETS = ("nir", "loihi", "spinnaker")

_SESSIONS: dict = {}


def register_session(name: str):
    """Class decorator: register a `MemorySession` subclass under `name` (for `load`)."""
    def deco(cls):
        if not (isinstance(cls, type) and issubclass(cls, MemorySession)):
            raise ValidationError(f"register_session({name!r}): {cls!r} is not a MemorySession")
        cls.model = name
        _SESSIONS[name] = cls
        return cls
    return deco


def session_class(name: str) -> type:
    """The `MemorySession` subclass registered under `name`."""
    _import_models()
    if name not in _SESSIONS:
        raise ValidationError(f"session_class: no memory model {name!r}; known: "
                              f"{sorted(_SESSIONS)}")
    return _SESSIONS[name]


def _import_models() -> None:
    """Import the model modules so that their sessions are registered."""
    import importlib
    for module in ("ca3_cam", "engram", "sparsey", "hippocampus"):
        try:
            importlib.import_module(f"spikemem.models.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"spikemem.models.{module}":
                raise


@dataclass(frozen=True)
class SessionEvent:
    """One operation of a session.

    Attributes
    ----------
    kind : str
        The verb: "store", "recall", "forget", "rehearse", "associate", "advance", ...
    argument : str
        The operation's argument as text (e.g. ``"cue=0 content=[1, 4]"``), for markers.
    t_start, t_stop : float
        Window of the operation, ms (from the first input to the end of its read-out).
    """

    kind: str
    argument: str
    t_start: float
    t_stop: float

    def to_dict(self) -> dict:
        return {"kind": self.kind, "argument": self.argument, "t_start": self.t_start,
                "t_stop": self.t_stop}

    @classmethod
    def from_dict(cls, d: dict) -> "SessionEvent":
        return cls(str(d["kind"]), str(d["argument"]), float(d["t_start"]), float(d["t_stop"]))

    @property
    def label(self) -> str:
        """Marker text: the kind and the argument."""
        return f"{self.kind} {self.argument}".strip()


@dataclass(frozen=True, eq=False)
class MemoryResult:
    """What one operation of a memory session stored or recalled.

    Attributes
    ----------
    operation : str
        The verb ("store", "recall", "forget", ...).
    argument : str
        The operation's argument as text.
    t_start, t_stop : float
        The operation's window, ms.
    content : object
        What was stored or answered, in the model's terms (CA3: ``{cue: [bits]}``; engram:
        the recalled cells; Sparsey: the code).
    cells : ndarray of int64
        The model's memory cells that carry `content` (CA3: OUT neurons that fired; engram:
        excitatory cells; Sparsey: the code's cells).
    spikes : dict of str to (ndarray, ndarray)
        Raw spikes of the window ``[t_start, t_stop)``: ``{population: (times ms, ids)}``.
    index : int or None
        Which memory the operation concerned, where the model numbers them (CA3: the cue;
        engram: the engram's index; Sparsey: the stored item).
    details : object
        The model's own decoded result; its attributes are also readable on this result
        (``result.best`` for ``result.details.best``).
    """

    operation: str
    argument: str
    t_start: float
    t_stop: float
    content: Any
    cells: np.ndarray
    spikes: dict = field(default_factory=dict)
    index: Optional[int] = None
    details: Any = None

    def __getattr__(self, name):
        # only called when normal lookup fails: expose the model's own result's attributes
        if name.startswith("__") or name == "details":
            raise AttributeError(name)
        details = object.__getattribute__(self, "details")
        try:
            return getattr(details, name)
        except AttributeError:
            raise AttributeError(f"{type(self).__name__} (and its {type(details).__name__} "
                                 f"details) has no attribute {name!r}") from None

    @property
    def event(self) -> SessionEvent:
        return SessionEvent(self.operation, self.argument, self.t_start, self.t_stop)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.operation} {self.argument}, "
                f"t={self.t_start}..{self.t_stop} ms, content={summarise_value(self.content)})")


class MemorySession(abc.ABC):
    """Base class of the memory sessions (see the module docstring).

    Subclasses set ``self.network`` (`spikemem.Network`), ``self.sim`` (its simulator) and
    ``self.history = []`` in their constructor.
    """

    #: Name the session is registered under (set by `register_session`).
    model = "memory"

    # -- what a model implements -------------------------------------------------------------
    @abc.abstractmethod
    def store(self, *args, **kwargs) -> MemoryResult:
        """Learn a memory; returns a `MemoryResult`."""

    @abc.abstractmethod
    def recall(self, *args, **kwargs) -> MemoryResult:
        """Recall a memory from a cue; returns a `MemoryResult`."""

    @abc.abstractmethod
    def weights(self, which: Optional[str] = None, component: str = "total") -> np.ndarray:
        """Learned weights as a dense matrix ``W[pre, post]``, nA."""

    @abc.abstractmethod
    def _config(self) -> dict:
        """Constructor keyword arguments that rebuild this session (plain data)."""

    @abc.abstractmethod
    def _raster_populations(self) -> list:
        """Population labels of the raster, top to bottom."""

    def _extra_state(self) -> dict:
        """Session state beyond network, simulator and history (plain data), for `save`."""
        return {}

    def _simulator_tree(self) -> dict:
        """The simulator's full state as plain data (a `spikemem.checkpoint` tree)."""
        from spikemem.checkpoint import checkpoint_tree
        return checkpoint_tree(self.sim)

    def _restore_simulator(self, tree: dict, path) -> None:
        """Inverse of `_simulator_tree` (`path` names the file in errors)."""
        from spikemem.checkpoint import apply_checkpoint_tree
        apply_checkpoint_tree(self.sim, tree, path)

    def _set_extra_state(self, state: dict) -> None:
        """Inverse of `_extra_state`."""

    # -- shared verbs ------------------------------------------------------------------------
    def learn(self, *args, **kwargs) -> MemoryResult:
        """Same as `store`."""
        return self.store(*args, **kwargs)

    #: How the model forgets instead, for the `forget` error of models that cannot on request.
    forgets_by = ""

    def forget(self, *args, **kwargs) -> MemoryResult:
        """Forget a memory on request (only models that can; see the model's docs)."""
        how = f"; {self.forgets_by}" if self.forgets_by else ""
        raise UnsupportedFeature(f"{type(self).__name__}.forget: this memory model cannot "
                                 f"forget on request{how}")

    # -- interrupt-safe operations ------------------------------------------------------------
    #: The operation interrupted by Ctrl-C: (name, suspended generator, ms still to run).
    _interrupted = None

    @property
    def pending(self) -> Optional[str]:
        """Name of the operation a Ctrl-C interrupted (completed by `resume`), or None."""
        return None if self._interrupted is None else self._interrupted[0]

    def _refuse_if_pending(self, name: str) -> None:
        """Raise `PendingOperation` if an interrupted operation waits for `resume`."""
        if self._interrupted is not None:
            raise PendingOperation(
                f"{type(self).__name__}.{name}: the {self._interrupted[0]!r} operation was "
                f"interrupted (Ctrl-C) at t = {self.t:g} ms and is not finished; call "
                f"resume() to complete it (and get its result) first")

    def _operate(self, name: str, steps):
        """Run operation `name`, a generator that yields durations (ms) to simulate and
        receives the recording after each; returns the generator's return value.

        On Ctrl-C the generator stays suspended (see `resume`) and `SimulationInterrupted`
        propagates.
        """
        self._refuse_if_pending(name)
        with DeferredInterrupt():
            return self._drive(name, steps, None)

    def _drive(self, name: str, steps, value):
        while True:
            try:
                duration = steps.send(value)
            except StopIteration as stop:
                return stop.value
            try:
                value = self.sim.run(duration)
            except SimulationInterrupted as exc:
                self._suspend(name, steps, exc)
                raise

    def _suspend(self, name: str, steps, exc: SimulationInterrupted) -> None:
        self._interrupted = (name, steps, exc.remaining_ms)
        exc.add_note(f"{type(self).__name__}.{name} is pending: call resume() to complete it "
                     "(the session refuses other operations until then)")

    def resume(self):
        """Complete the operation a Ctrl-C interrupted and return its result.

        Runs the rest of the interrupted simulation, then the operation's own bookkeeping
        (decoding, history, the model's records), exactly as if it had not been interrupted.
        A Ctrl-C during `resume` leaves the operation pending again.

        Raises
        ------
        PendingOperation
            Nothing to resume (no operation was interrupted).
        """
        if self._interrupted is None:
            raise PendingOperation(f"{type(self).__name__}.resume: no interrupted operation "
                                   "to resume")
        name, steps, remaining = self._interrupted
        with DeferredInterrupt():
            try:
                value = self.sim.run(remaining)
            except SimulationInterrupted as exc:
                self._suspend(name, steps, exc)
                raise
            self._interrupted = None
            return self._drive(name, steps, value)

    # -- time and records ---------------------------------------------------------------------
    @property
    def t(self) -> float:
        """Simulated time so far, ms."""
        return float(self.sim.t)

    @property
    def dt(self) -> float:
        """Time step, ms."""
        return float(self.network.dt)

    @property
    def backend(self) -> str:
        """Name of the backend the session runs on."""
        return str(self.sim.backend_name)

    @property
    def recording(self):
        """The simulator's `spikemem.Recording` (every operation so far)."""
        return self.sim.recording

    def spikes_between(self, t_start: float, t_stop: float,
                       populations: Optional[Sequence[str]] = None) -> dict:
        """Raw spikes in ``[t_start, t_stop)`` ms: ``{population: (times ms, ids)}``.

        `populations` defaults to the raster's populations. Found by binary search, so an
        operation's cost does not grow with the session's history.
        """
        if not (math.isfinite(t_start) and math.isfinite(t_stop) and t_start <= t_stop):
            raise ValidationError(f"{type(self).__name__}.spikes_between: need finite "
                                  f"t_start <= t_stop ms, got {t_start!r}, {t_stop!r}")
        out = {}
        for label in (self._raster_populations() if populations is None else populations):
            times, ids = self.recording.spikes_between(label, t_start, t_stop)
            out[label] = (times.copy(), ids.copy())
        return out

    def _result(self, operation: str, argument: str, t_start: float, t_stop: float,
                content, cells, index=None, details=None) -> MemoryResult:
        """Build a `MemoryResult` with the window's raw spikes and append it to `history`."""
        result = MemoryResult(operation, argument, float(t_start), float(t_stop), content,
                              np.asarray(cells, np.int64), self.spikes_between(t_start, t_stop),
                              None if index is None else int(index), details)
        self.history.append(result.event)
        return result

    def _record(self, kind: str, argument: str, t_start: float) -> SessionEvent:
        """Append an operation that returns no result (window ``t_start .. now``) to history."""
        event = SessionEvent(kind, argument, float(t_start), self.t)
        self.history.append(event)
        return event

    # -- figures -----------------------------------------------------------------------------
    def raster(self, path=None, t_range=None, title=None, markers: bool = True):
        """Spike raster of the session with a marker per operation (kind and argument).

        Parameters
        ----------
        path : str or Path, optional
            Where to save the figure (PNG).
        t_range : (float, float), optional
            Window, ms.
        title : str, optional
        markers : bool
            Draw a line at the start of every operation in `history`, labelled with its
            kind and argument.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from spikemem.plotting import describe_raster, plot_raster, save_figure
        title = title or repr(self)
        if t_range is None:
            # a whole-recording raster's title is kept with the recording (``spikemem plot``)
            describe_raster(self.recording, title=title)
        fig = plot_raster(self.recording, None, populations=self._raster_populations(),
                          t_range=t_range, title=title)
        if markers:
            draw_markers(fig.axes[0], self.history, t_range)
        if path is not None:
            save_figure(fig, path)
        return fig

    # -- files -------------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the whole session to one HDF5 file (atomic): constructor arguments, network,
        learned weights, simulator state, recording and history.

        `MemorySession.load` (or the model's ``load``) restores it; the loaded session then
        continues bit for bit as this one would.

        Raises
        ------
        UnsupportedFeature
            The backend cannot give its state (Brian2's ``cpp_standalone`` device).
        PendingOperation
            An operation interrupted by Ctrl-C is not finished (call `resume` first): a
            half-run operation cannot be written to a file.
        """
        from spikemem.io import save_tree
        self._refuse_if_pending("save")
        tree = {"model": self.model, "backend": self.backend, "config": self._config(),
                "network": self.network.to_dict(), "weights": self.learned_weights(),
                "simulator": self._simulator_tree(),
                "history": [e.to_dict() for e in self.history], "extra": self._extra_state()}
        save_tree(path, SESSION_KIND, tree)

    @classmethod
    def load(cls, path, **build_options) -> "MemorySession":
        """Read a session written by `save` and return it ready to continue.

        Called on `MemorySession` it returns the saved model's class; called on a model's
        class it checks the file holds that model.

        Parameters
        ----------
        path : str or Path
        **build_options
            Passed on to the model's constructor (e.g. ``progress=False``).

        Raises
        ------
        FileFormatError
            Not a session file (or a damaged one), a file of another model, or a simulator
            state that does not fit the network the saved constructor arguments build.
        """
        from spikemem.io import read_file
        tree = read_file(path, SESSION_KIND)
        try:
            model = tree["model"]
            target = session_class(model)
        except (KeyError, ValidationError) as exc:
            raise FileFormatError(f"{str(path)!r}: not a readable memory session ({exc})") \
                from None
        if cls is not MemorySession and not issubclass(target, cls):
            raise FileFormatError(f"{str(path)!r} holds a {model!r} session, not a "
                                  f"{cls.__name__}")
        config = dict(tree.get("config", {}))
        config["backend"] = tree["backend"]
        try:
            session = target._from_config(config, build_options)
        except (TypeError, ValidationError) as exc:
            raise FileFormatError(f"{str(path)!r}: the saved {model!r} session's constructor "
                                  f"arguments are invalid ({exc})") from None
        session._restore_simulator(tree["simulator"], path)
        session.history = [SessionEvent.from_dict(e) for e in tree.get("history", [])]
        session._set_extra_state(tree.get("extra", {}))
        return session

    @classmethod
    def _from_config(cls, config: dict, build_options: dict) -> "MemorySession":
        """A fresh session built from `_config` output (plus ``backend``)."""
        return cls(**config, **build_options)

    # -- weights and export -------------------------------------------------------------------
    def learned_weights(self) -> dict:
        """Current weights of every plastic projection: ``{label: array (n_synapses,)}``, nA.

        These are the weights `export` writes (the network's own weights are the initial
        ones).
        """
        return {p.label: np.asarray(self.sim.weights(p.label), float)
                for p in self.network.projections if p.plastic}

    def export(self, target: str, path=None, **options):
        """Export the network with what the session has learned (its current weights).

        Parameters
        ----------
        target : {"nir", "loihi", "spinnaker"}
            "nir": a ``nir.NIRGraph`` (written to `path` if given); "loihi": a
            `spikemem.hardware.LoihiNetwork` (its Lava-style description written to `path` if
            given); "spinnaker": a PyNN script for sPyNNaker (needs `path`; returns
            `spikemem.hardware.PyNNExport`).
        path : str or Path, optional
        **options
            Passed on to the exporter (e.g. ``simulator="pyNN.brian2"``, ``run_ms`` for
            "spinnaker").

        Returns
        -------
        The exporter's result.

        Notes
        -----
        Learned weights are exported as the synapses' current weights. Learning itself
        (STDP) is exported as each target can hold it; consolidating synapses export their
        delivered weight (fast + slow) as static (the exporters warn).
        """
        if target not in EXPORT_TARGETS:
            raise ValidationError(f"{type(self).__name__}.export: target must be one of "
                                  f"{EXPORT_TARGETS}, got {target!r}")
        from spikemem import hardware
        weights = self.learned_weights()
        if target == "nir":
            graph = hardware.to_nir(self.network, weights=weights, **options)
            if path is not None:
                hardware.write_nir(graph, path)
            return graph
        if target == "loihi":
            loihi = hardware.to_loihi(self.network, weights=weights, **options)
            if path is not None:
                hardware.write_lava_description(loihi, path)
            return loihi
        if path is None:
            raise ValidationError(f"{type(self).__name__}.export('spinnaker'): give the path "
                                  "of the PyNN script to write")
        return hardware.to_pynn_script(self.network, path, weights=weights, **options)


def draw_markers(ax, events: Sequence[SessionEvent], t_range=None) -> None:
    """Mark every event on a raster's axes: a dashed line at its start, labelled above."""
    lo, hi = (-math.inf, math.inf) if t_range is None else t_range
    shown = [e for e in events if lo <= e.t_start <= hi]
    colors = {"store": "tab:green", "learn": "tab:green", "recall": "tab:blue",
              "forget": "tab:red"}
    for e in shown:
        ax.axvline(e.t_start, color=colors.get(e.kind, "0.4"), ls="--", lw=0.7, alpha=0.8,
                   gid="operation")
        ax.annotate(e.label, (e.t_start, 1.0), xycoords=("data", "axes fraction"),
                    rotation=90, fontsize=6, va="bottom", ha="center",
                    color=colors.get(e.kind, "0.3"), annotation_clip=False)


def rng_to_tree(rng: np.random.Generator) -> dict:
    """A numpy ``Generator``'s state as plain data that `spikemem.io` stores exactly (its
    128-bit integers as decimal strings)."""
    state = rng.bit_generator.state
    return {"bit_generator": state["bit_generator"],
            "state": str(state["state"]["state"]), "inc": str(state["state"]["inc"]),
            "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}


def rng_from_tree(rng: np.random.Generator, tree: dict) -> None:
    """Set `rng` to a state written by `rng_to_tree`."""
    rng.bit_generator.state = {
        "bit_generator": tree["bit_generator"],
        "state": {"state": int(tree["state"]), "inc": int(tree["inc"])},
        "has_uint32": int(tree["has_uint32"]), "uinteger": int(tree["uinteger"])}
