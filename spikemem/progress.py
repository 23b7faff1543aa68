"""Progress of a long computation made of stages (sizes, loads, scenarios, seeds).

On a terminal `stages` draws a tqdm bar with the elapsed time and an ETA; otherwise (a log
file, CI, a pipe) it prints one line per stage, so a long experiment is never silent::

    for n in stages([10, 100, 1000], "stress", describe=lambda n: f"n={n}"):
        run_size(n)
    # stress: stage 2/3 n=100 (0.4 s elapsed, ETA 0.8 s)
"""
from __future__ import annotations

import sys
import time
from typing import Callable, Iterable, Iterator, Optional, TextIO

from .errors import ValidationError

__all__ = ["Progress", "stages", "progress_bar", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``"42.0 s"``, ``"3 min 05 s"`` or ``"1 h 02 min"`` for a duration in seconds (>= 0)."""
    if not seconds >= 0:
        raise ValidationError(f"format_seconds: seconds must be >= 0, got {seconds!r}")
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """Reports the stages of a computation as each one starts.

    On a terminal a tqdm bar (elapsed time, ETA, the current stage's name); otherwise one
    line per stage with the elapsed time and, from the second stage on, an ETA, and a last
    line with the total time. Use as a context manager::

        with Progress("cuba", total=2) as progress:
            progress.start("build")
            ...
            progress.start("simulate")
            ...

    Parameters
    ----------
    name : str
        What is running (an experiment's name), the prefix of every line.
    total : int
        Number of stages (>= 0).
    stream : file-like, optional
        Where to report (default ``sys.stderr``).
    """

    def __init__(self, name: str, total: int, stream: Optional[TextIO] = None):
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise ValidationError(f"Progress: total must be an int >= 0, got {total!r}")
        self.name, self.total = str(name), total
        self.stream = sys.stderr if stream is None else stream
        self.started = 0
        self._t0 = time.perf_counter()
        self._bar = None
        if _is_terminal(self.stream):
            from tqdm import tqdm
            self._bar = tqdm(total=total, desc=self.name, file=self.stream, unit="stage",
                             dynamic_ncols=True)

    def start(self, description: str = "") -> None:
        """Begin the next stage (the previous one, if any, is done)."""
        done = self.started
        self.started += 1
        if self._bar is not None:
            if done:
                self._bar.update(1)
            self._bar.set_postfix_str(str(description), refresh=True)
            return
        elapsed = time.perf_counter() - self._t0
        eta = f", ETA {format_seconds(elapsed / done * max(self.total - done, 0))}" if done else ""
        print(f"{self.name}: stage {self.started}/{self.total} {description} "
              f"({format_seconds(elapsed)} elapsed{eta})", file=self.stream, flush=True)

    def close(self) -> None:
        """Mark the last stage done and report the total time."""
        if self._bar is not None:
            if self.started:
                self._bar.update(1)
            self._bar.close()
            self._bar = None
        elif self.started:
            print(f"{self.name}: {self.started} stages done in "
                  f"{format_seconds(time.perf_counter() - self._t0)}", file=self.stream,
                  flush=True)
            self.started = 0

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def stages(items: Iterable, name: str, *, describe: Callable[[object], str] = str,
           total: Optional[int] = None, stream: Optional[TextIO] = None) -> Iterator:
    """Yield `items`, reporting each one (a stage) as it starts (see `Progress`).

    Parameters
    ----------
    items : iterable
        The stages; each is yielded unchanged.
    name : str
        What is running (an experiment's name), the prefix of every line.
    describe : callable, optional
        Text naming a stage (default ``str``).
    total : int, optional
        Number of stages, if `items` has no ``len`` (needed for an ETA).
    stream : file-like, optional
        Where to report (default ``sys.stderr``).

    Yields
    ------
    object
        Each item of `items`.
    """
    if not callable(describe):
        raise ValidationError(f"stages: describe must be callable, got {describe!r}")
    items = list(items) if total is None and not hasattr(items, "__len__") else items
    with Progress(name, len(items) if total is None else total, stream) as progress:
        for item in items:
            progress.start(describe(item))
            yield item


def progress_bar(total: int, name: str, enabled: Optional[bool] = None,
                 unit: str = "point", stream: Optional[TextIO] = None):
    """A counter of finished items with tqdm's ``update``/``set_postfix``/``close``.

    For work whose items finish in any order (tasks on a cluster). `enabled` True: a tqdm
    bar; False: nothing; None (default): a tqdm bar on a terminal, otherwise one line per
    finished item with the elapsed time and an ETA.
    """
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise ValidationError(f"progress_bar: total must be an int >= 0, got {total!r}")
    stream = sys.stderr if stream is None else stream
    if enabled is None and not _is_terminal(stream):
        return _Lines(total, name, unit, stream)
    from tqdm import tqdm
    return tqdm(total=total, desc=name, unit=unit, file=stream, dynamic_ncols=True,
                disable=not (enabled or enabled is None))


class _Lines:
    """`progress_bar` off a terminal: one line per finished item."""

    def __init__(self, total: int, name: str, unit: str, stream):
        self.total, self.name, self.unit, self.stream = total, name, unit, stream
        self.n, self.postfix, self._t0 = 0, "", time.perf_counter()

    def update(self, n: int = 1) -> None:
        self.n += n
        elapsed = time.perf_counter() - self._t0
        eta = format_seconds(elapsed / self.n * max(self.total - self.n, 0))
        extra = f", {self.postfix}" if self.postfix else ""
        print(f"{self.name}: {self.n}/{self.total} {self.unit}s done ({format_seconds(elapsed)} "
              f"elapsed, ETA {eta}{extra})", file=self.stream, flush=True)

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs) -> None:
        items = {**(ordered_dict or {}), **kwargs}
        self.postfix = ", ".join(f"{k} {v}" for k, v in items.items())

    def close(self) -> None:
        pass
