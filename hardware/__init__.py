"""Exporters to neuromorphic hardware: SpiNNaker (PyNN), Loihi (fixed point, Lava-style) and NIR."""
from .energy import estimate, loihi_estimate, synaptic_events
from .loihi import LoihiNetwork, QuantisationReport, to_loihi
from .loihi_emulator import run_nengo_loihi_emulator
from .loihi_lava import load_lava_description, write_lava_description
from .nir_export import from_nir, read_nir, to_nir, write_nir
from .spinnaker_check import SpinnakerReport, check_spinnaker
from .spinnaker_energy import SpinnakerResources, estimate_spinnaker_resources
from .spinnaker_json import to_spinnaker_json
from .spinnaker_script import PyNNExport, to_pynn_script
from .spinnaker_verify import SpinnakerVerification, verify_spinnaker

__all__ = [
    "to_loihi", "LoihiNetwork", "QuantisationReport", "write_lava_description",
    "load_lava_description", "run_nengo_loihi_emulator",
    "to_nir", "from_nir", "write_nir", "read_nir",
    "estimate", "loihi_estimate", "synaptic_events",
    "to_pynn_script", "PyNNExport", "to_spinnaker_json", "check_spinnaker", "SpinnakerReport",
    "estimate_spinnaker_resources", "SpinnakerResources", "verify_spinnaker",
    "SpinnakerVerification",
]
