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

__all__ = ["stages", "format_seconds"]


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


def stages(items: Iterable, name: str, *, describe: Callable[[object], str] = str,
           total: Optional[int] = None, stream: Optional[TextIO] = None) -> Iterator:
    """Yield `items`, reporting progress as each one (a stage) starts.

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
    total = len(items) if total is None else total
    if not isinstance(total, int) or total < 0:
        raise ValidationError(f"stages: total must be an int >= 0, got {total!r}")
    stream = sys.stderr if stream is None else stream
    if _is_terminal(stream):
        yield from _bar(items, name, describe, total, stream)
        return
    t0 = time.perf_counter()
    done = 0
    for item in items:
        elapsed = time.perf_counter() - t0
        eta = f", ETA {format_seconds(elapsed / done * (total - done))}" if done else ""
        print(f"{name}: stage {done + 1}/{total} {describe(item)} "
              f"({format_seconds(elapsed)} elapsed{eta})", file=stream, flush=True)
        yield item
        done += 1
    print(f"{name}: {done} stages done in {format_seconds(time.perf_counter() - t0)}",
          file=stream, flush=True)


def _bar(items, name, describe, total, stream):
    from tqdm import tqdm
    with tqdm(total=total, desc=name, file=stream, unit="stage", dynamic_ncols=True) as bar:
        for item in items:
            bar.set_postfix_str(describe(item), refresh=True)
            yield item
            bar.update(1)
