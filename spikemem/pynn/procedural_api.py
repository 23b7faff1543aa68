"""PyNN's procedural API (create, connect, record) for spikemem.pynn."""
from pyNN import common
from pyNN.connectors import FixedProbabilityConnector

from . import simulator
from .populations import Population
from .projections import Projection
from .standardmodels import StaticSynapse

__all__ = ["create", "connect", "record", "record_v"]

create = common.build_create(Population)
connect = common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)
record = common.build_record(simulator)


def record_v(source, filename):
    """Record the membrane potential of `source` to `filename` (written by `end`)."""
    return record(["v"], source, filename)
