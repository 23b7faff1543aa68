"""spikemem.pynn: run PyNN (and sPyNNaker) scripts on spikemem.

A PyNN 0.13 backend module built on ``pyNN.common``::

    import spikemem.pynn as sim
    sim.setup(timestep=1.0)                    # backend="numba" | "brian2" | "nengo"
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0], [3.0]]))
    cells = sim.Population(2, sim.IF_curr_exp(tau_m=3.0))
    sim.Projection(src, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=6.0))
    cells.record("spikes")
    sim.run(20.0)
    block = cells.get_data()                   # neo.Block

The script becomes a spikemem IR `Network` at the first `run` (see `builder`) and runs on a
spikemem backend, which follows sPyNNaker's discrete update order and dendritic STDP; by
default the front end also follows sPyNNaker's conventions (``setup(conventions=)``,
docs/pynn.md). Unsupported models and features raise `spikemem.UnsupportedFeature`.
"""
from pyNN import errors, random, space                               # noqa: F401
from pyNN.connectors import *                                        # noqa: F401,F403
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution         # noqa: F401
from pyNN.recording import *                                         # noqa: F401,F403
from pyNN.space import Space                                         # noqa: F401

from .control import (end, get_current_time, get_max_delay, get_min_delay,  # noqa: F401
                      get_time_step, initialize, num_processes, rank, reset, run, run_for,
                      run_until, set_number_of_neurons_per_core, setup)
from .populations import Assembly, Population, PopulationView        # noqa: F401
from .procedural_api import connect, create, record, record_v        # noqa: F401
from .projections import Projection                                  # noqa: F401
from .standardmodels import *                                        # noqa: F401,F403
from .standardmodels import SUPPORTED


#: the PyNN API this backend provides (PyNN's common names plus its own)
__all__ = sorted(n for n in dir() if not n.startswith("_")) + ["list_standard_models", "network"]


def list_standard_models():
    """Names of the standard cell types spikemem.pynn runs."""
    return list(SUPPORTED["cell type"])


def network():
    """The spikemem IR `Network` the current script runs as (built now if not yet built).

    Useful to export a PyNN model to hardware (`spikemem.hardware`) or to save it. Before the
    first run this is the network the first run will build; after a run, the running one.
    """
    from . import simulator
    return simulator.state.current_network()


def __getattr__(name):
    """Names other PyNN backends provide and spikemem.pynn does not: a clear refusal."""
    import pyNN.mock
    if hasattr(pyNN.mock, name) or hasattr(pyNN.standardmodels, name):
        from ..errors import UnsupportedFeature
        raise UnsupportedFeature(
            f"spikemem.pynn does not provide {name}; it runs the cell types "
            f"{', '.join(SUPPORTED['cell type'])}, the synapse types "
            f"{', '.join(SUPPORTED['synapse type'])} with SpikePairRule and additive or "
            "multiplicative weight dependence, and every PyNN connector (docs/pynn.md)")
    raise AttributeError(f"module 'spikemem.pynn' has no attribute {name!r}")
