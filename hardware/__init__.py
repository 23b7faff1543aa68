"""Exporters to neuromorphic hardware: SpiNNaker (PyNN), Loihi (fixed point, Lava-style) and NIR."""
