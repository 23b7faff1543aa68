"""Scores of content-addressable recall: per-bit precision/recall, exact recalls, false cues.

A *trial* compares what a recall should return with what it returned, both as
``{cue: iterable of content bits}``, plus the answer's latency in steps (or None).
"""
from __future__ import annotations

from typing import Iterable, Optional

import numpy as np

__all__ = ["expected_from_fragment", "bit_scores", "trial_scores", "summarise"]


def expected_from_fragment(memories: dict, fragment: Iterable[int]) -> dict:
    """Memories a fragment should recall: every ``{cue: content}`` sharing a bit with it."""
    frag = set(int(b) for b in fragment)
    return {c: sorted(b) for c, b in memories.items() if frag & set(b)}


def bit_scores(expected: Iterable[int], recalled: Iterable[int]) -> tuple:
    """Per-bit (precision, recall) of a recalled content against the stored one.

    Precision is 1 when nothing was recalled and nothing expected; recall is 1 when nothing
    was expected.
    """
    e, r = set(expected), set(recalled)
    hit = len(e & r)
    precision = hit / len(r) if r else (1.0 if not e else 0.0)
    recall = hit / len(e) if e else 1.0
    return precision, recall


def trial_scores(expected: dict, recalled: dict, latency: Optional[int] = None) -> dict:
    """Scores of one recall.

    Returns
    -------
    dict
        ``precision`` and ``recall`` (per-bit, averaged over the expected and the falsely
        returned cues), ``exact`` (the answer equals the expectation, cue set and every
        content), ``false_cues`` (cues returned but not expected), ``missed_cues`` and
        ``latency``.
    """
    exp = {int(c): set(b) for c, b in expected.items()}
    rec = {int(c): set(b) for c, b in recalled.items()}
    cues = sorted(set(exp) | set(rec))
    pr = [bit_scores(exp.get(c, ()), rec.get(c, ())) for c in cues]
    return {
        "precision": float(np.mean([p for p, _ in pr])) if pr else 1.0,
        "recall": float(np.mean([r for _, r in pr])) if pr else 1.0,
        "exact": exp == rec,
        "false_cues": len(set(rec) - set(exp)),
        "missed_cues": len(set(exp) - set(rec)),
        "latency": latency,
    }


def summarise(trials: list) -> dict:
    """Aggregate `trial_scores` results: means, exact fraction, totals, latency range."""
    if not trials:
        return {"n": 0}
    lat = [t["latency"] for t in trials if t["latency"] is not None]
    return {
        "n": len(trials),
        "exact_fraction": float(np.mean([t["exact"] for t in trials])),
        "precision": float(np.mean([t["precision"] for t in trials])),
        "recall": float(np.mean([t["recall"] for t in trials])),
        "false_cues": int(sum(t["false_cues"] for t in trials)),
        "missed_cues": int(sum(t["missed_cues"] for t in trials)),
        "latency_min": int(min(lat)) if lat else None,
        "latency_max": int(max(lat)) if lat else None,
        "latency_mean": float(np.mean(lat)) if lat else None,
    }
