"""Nengo backend: the IR on Nengo's reference simulator, with custom neuron types,
connections and an STDP learning rule registered with Nengo's builder."""
from .connections import DeliverSpikes, IRConnection, IRNetwork
from .learning import PairSTDP, SimPairSTDP
from .neurons import IFCurrExp, ScheduledSpikes, SimIFCurrExp, SimScheduledSpikes, SpikeSchedule
from .simulator import NengoSimulator

__all__ = ["NengoSimulator", "IFCurrExp", "ScheduledSpikes", "SpikeSchedule", "IRConnection",
           "IRNetwork", "PairSTDP", "SimIFCurrExp", "SimScheduledSpikes", "SimPairSTDP",
           "DeliverSpikes"]
