"""sPyMem's CA3 memory (one-hot cue): learn, recall, forget and a max-rate mix, timing checked.

Runs sPyMem's test scenarios (learn + recall, relearning = forgetting, a mix at the maximum
rate) on the native 5-cue x 10-bit ``ca3`` memory at the documented rate (learn 7 steps,
recall 5) and compares every answer and the output timing with sPyMem's docs. Writes
``<scenario>.h5`` and ``<scenario>.png`` (raster with operation markers), ``summary.json``,
``summary.csv``, ``provenance.json`` and ``report.html``; exits 1 on an unexpected
failure.
"""
from spikemem.experiments._hippocampus import entry_points

__all__ = ["run", "main"]

run, main = entry_points("ca3", __doc__)

if __name__ == "__main__":
    raise SystemExit(main())
