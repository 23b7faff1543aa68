"""Memory models built on the spikemem IR: CA3 content-addressable memory, Sparsey, engrams, CUBA.

The session classes and network builders users start from are exported here::

    from spikemem.models import CA3Memory, SparseyMac, EngramNetwork

Each lives in its own module (``spikemem.models.ca3_cam``, ``.sparsey``, ``.engram``,
``.cuba``), which holds the rest of its API.
"""
from .ca3_cam import CA3Memory, Operation, OpResult
from .ca3_network import build_network as build_ca3_network
from .cuba import build_cuba
from .engram import EngramNetwork, EngramParams, RecallResult
from .engram_network import build_network as build_engram_network
from .sparsey import Encoding, Recall, SparseyMac

__all__ = ["CA3Memory", "Operation", "OpResult", "build_ca3_network", "SparseyMac", "Encoding",
           "Recall", "EngramNetwork", "EngramParams", "RecallResult", "build_engram_network",
           "build_cuba"]
