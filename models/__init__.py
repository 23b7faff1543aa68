"""Memory models built on the spikemem IR: CA3 content-addressable memory, Sparsey, engrams, CUBA."""
