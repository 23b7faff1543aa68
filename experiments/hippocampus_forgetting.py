"""DG-CA3-CA1 memory with forgetting (sPyMem): learn 7 / recall 6 steps, output +8 / +6+1.

Runs sPyMem's test scenarios (learn + recall, relearning = forgetting, a mix at the maximum
rate) on the native 5-cue x 10-bit ``hippocampus_with_forgetting`` memory (sPyBlocks DG decoder
and CA1 encoder) at the documented rate and compares every answer and the output timing with
sPyMem's docs. Writes ``<scenario>.h5`` and ``<scenario>.png`` (raster with operation
markers), ``summary.json`` and ``summary.csv``; exits 1 on an unexpected failure.
"""
from __future__ import annotations

from spikemem.experiments import _hippocampus

__all__ = ["run", "main"]

KIND = "forgetting"


def run(*, seed: int = 0, out=None, backend: str = "numba") -> dict:
    """Run the scenarios; see `spikemem.experiments._hippocampus.run`."""
    return _hippocampus.run(KIND, seed=seed, out=out, backend=backend)


def main(argv=None) -> int:
    return _hippocampus.main(KIND, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
