"""Brian2 backend: the IR translated to Brian2 objects with the IR's exact update order."""
from .simulator import Brian2Simulator

__all__ = ["Brian2Simulator"]
