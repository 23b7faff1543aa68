"""DG-CA3-CA1 memory with bio-inspired DG and CA1 (sPyMem): learn 7 / recall 5 steps.

Runs sPyMem's test scenarios (learn + recall, relearning = forgetting, a mix at the maximum
rate) on the native 5-cue x 10-bit ``hippocampus_bioinspired_dg_ca1`` memory at the documented
rate and compares every answer and the output timing with sPyMem's docs. Writes
``<scenario>.h5`` and ``<scenario>.png`` (raster with operation markers), ``summary.json``,
``summary.csv``, ``provenance.json`` and ``report.html``; exits 1 on an unexpected
failure.
"""
from spikemem.experiments._hippocampus import entry_points

__all__ = ["run", "main"]

run, main = entry_points("bioinspired", __doc__)

if __name__ == "__main__":
    raise SystemExit(main())
