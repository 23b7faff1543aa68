"""spikemem: spiking models of hippocampal memory, run anywhere.

Build a simulator-agnostic network (the IR), run it on the Numba engine, Brian2 or Nengo,
record spikes and export to neuromorphic hardware::

    import spikemem as sm
    net = sm.Network(dt=1.0)
    a = net.add(sm.Population(10, sm.IF_curr_exp(tau_m=3.0), label="a"))
    s = net.add(sm.SpikeSourceArray([[1.0, 2.0]] * 10, label="in"))
    net.add(sm.Projection(s, a, sm.OneToOne(), sm.StaticSynapse(weight=6.0, delay=1.0)))
    sim = sm.build(net, backend="numba", seed=0)
    sim.run(50.0)
    sim.recording.save("run.h5")
"""
from .numba_cache import configure as _configure_numba_cache

_configure_numba_cache()        # before any kernel is compiled (read-only installs)

from .backends import available, build  # noqa: E402
from .connectors import AllToAll, FixedProbability, FromList, OneToOne
from .errors import (FileFormatError, PendingOperation, SpikememError, UnsupportedFeature,
                     ValidationError)
from .network import Network, Population, PopulationView, Projection
from .neurons import IF_curr_exp
from .plotting import plot_raster, plot_traces, plot_weights
from .poisson_input import PoissonInput
from .recording import Recording
from .stimulus import SpikeSourceArray, SpikeSourcePoisson, present
from .synapses import STDP, ConsolidatingSTDP, StaticSynapse
from .sweep import sweep  # noqa: E402  (the function; the module stays importable by name)

__version__ = "0.1.0"

__all__ = [
    "Network", "Population", "PopulationView", "Projection", "IF_curr_exp",
    "SpikeSourceArray", "SpikeSourcePoisson", "present", "PoissonInput",
    "StaticSynapse", "STDP", "ConsolidatingSTDP", "OneToOne", "AllToAll", "FixedProbability",
    "FromList", "Recording", "build", "available", "plot_raster", "plot_traces", "plot_weights",
    "sweep",
    "SpikememError", "ValidationError", "UnsupportedFeature", "FileFormatError",
    "PendingOperation",
]

