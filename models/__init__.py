"""Memory models built on the spikemem IR: CA3 content-addressable memory, sPyMem's hippocampus
memories, Sparsey, engrams, the cortical microcircuit and CUBA.

The session classes and network builders users start from are exported here::

    from spikemem.models import CA3Memory, EngramMemory, SparseyMemory, DGCA3CA1Memory

Every session follows `MemorySession` (``spikemem.models.session``). Each model lives in its own
module (``spikemem.models.ca3_cam``, ``.hippocampus``, ``.sparsey``, ``.engram``,
``.microcircuit``, ``.cuba``), which holds the rest of its API.
"""
from .ca3_cam import CA3Memory, Operation, OpResult
from .ca3_network import build_network as build_ca3_network
from .cuba import build_cuba
from .engram import EngramMemory, EngramNetwork, EngramParams, RecallResult
from .engram_network import build_network as build_engram_network
from .hippocampus import BioDGCA3CA1Memory, CA3OneHotMemory, DGCA3CA1Memory, HippocampusMemory
from .session import MemoryResult, MemorySession
from .sparsey import Encoding, Recall, SparseyMac, SparseyMemory

__all__ = ["MemorySession", "MemoryResult", "CA3Memory", "Operation", "OpResult",
           "build_ca3_network", "HippocampusMemory", "CA3OneHotMemory", "DGCA3CA1Memory",
           "BioDGCA3CA1Memory", "SparseyMac", "SparseyMemory", "Encoding", "Recall",
           "EngramMemory", "EngramNetwork", "EngramParams", "RecallResult",
           "build_engram_network", "build_cuba"]
