"""Experiment scripts, one per result; run them with `spikemem run <name>` (see `spikemem list`)."""
