"""Verdicts of experiments that check expected answers: PASS, LIMIT (a documented limit of
the published model, with its reason) or FAIL (unexpected), and the exit status they give.

The leading underscore keeps this module out of ``spikemem list`` / ``spikemem run``.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KnownLimit", "PASS", "LIMIT", "FAIL", "verdict", "exit_status"]

PASS, LIMIT, FAIL = "PASS", "LIMIT", "FAIL"


@dataclass(frozen=True)
class KnownLimit:
    """A documented limit of a published model that makes some checked steps deviate.

    Attributes
    ----------
    steps : tuple of str
        Prefixes of the step names that may deviate because of the limit; a deviation in any
        other step is a failure.
    reason : str
        Why, in one or two sentences.
    reference : str
        Where it is documented (e.g. ``"docs/ca3.md, Limits found by the experiments"``).
    """

    steps: tuple
    reason: str
    reference: str

    def covers(self, step: str) -> bool:
        return any(step.startswith(prefix) for prefix in self.steps)


def verdict(rows: list, limit: KnownLimit | None = None) -> str:
    """PASS if every row is ``ok``; LIMIT if the rows that are not all fall under `limit`;
    FAIL otherwise. `rows` are dicts with ``"step"`` and ``"ok"``."""
    bad = [r["step"] for r in rows if not r["ok"]]
    if not bad:
        return PASS
    if limit is not None and all(limit.covers(step) for step in bad):
        return LIMIT
    return FAIL


def exit_status(verdicts) -> int:
    """1 if any verdict is FAIL (an unexpected failure), else 0 (LIMIT is not a failure)."""
    return int(any(v == FAIL for v in verdicts))
