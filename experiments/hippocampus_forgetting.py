"""DG-CA3-CA1 memory with forgetting (sPyMem): learn 7 / recall 6 steps, output +8 / +6+1.

Runs sPyMem's test scenarios (learn + recall, relearning = forgetting, a mix at the maximum
rate) on the native 5-cue x 10-bit ``hippocampus_with_forgetting`` memory (sPyBlocks DG decoder
and CA1 encoder) at the documented rate and compares every answer and the output timing with
sPyMem's docs. Writes ``<scenario>.h5`` and ``<scenario>.png`` (raster with operation
markers), ``summary.json``, ``summary.csv``, ``provenance.json`` and ``report.html``; exits
1 on an unexpected failure.
"""
from spikemem.experiments._hippocampus import entry_points

__all__ = ["run", "main"]

run, main = entry_points("forgetting", __doc__)

if __name__ == "__main__":
    raise SystemExit(main())
