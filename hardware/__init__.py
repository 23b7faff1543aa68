"""Exporters to neuromorphic hardware: SpiNNaker (PyNN), Loihi (fixed point, Lava-style) and NIR."""
from .energy import estimate, loihi_estimate, synaptic_events
from .loihi import LoihiNetwork, QuantisationReport, to_loihi
from .loihi_emulator import run_nengo_loihi_emulator
from .loihi_lava import load_lava_description, write_lava_description
from .nir_export import from_nir, read_nir, to_nir, write_nir

__all__ = [
    "to_loihi", "LoihiNetwork", "QuantisationReport", "write_lava_description",
    "load_lava_description", "run_nengo_loihi_emulator",
    "to_nir", "from_nir", "write_nir", "read_nir",
    "estimate", "loihi_estimate", "synaptic_events",
]
