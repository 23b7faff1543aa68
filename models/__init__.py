"""Memory models built on the spikemem IR: CA3 content-addressable memory, sPyMem's hippocampus
memories, Sparsey, engrams, CUBA."""
