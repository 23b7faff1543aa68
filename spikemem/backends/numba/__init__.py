"""The embedded Numba engine (default backend)."""
from .simulator import NumbaSimulator

__all__ = ["NumbaSimulator"]
