"""PyNN standard models that spikemem runs, and clear refusals for those it does not.

Parameter names, units and defaults are PyNN's (``pyNN.standardmodels``); the native names
are the same names, because the IR uses PyNN's conventions (ms, mV, nA, nF).
"""
from __future__ import annotations

import numpy as np
from pyNN.standardmodels import build_translations, cells, electrodes, synapses
from pyNN.standardmodels.base import check_delays, check_weights

from ..errors import UnsupportedFeature
from .simulator import state

__all__ = ["IF_curr_exp", "SpikeSourceArray", "SpikeSourcePoisson", "StaticSynapse",
           "STDPMechanism", "SpikePairRule", "AdditiveWeightDependence",
           "MultiplicativeWeightDependence", "SUPPORTED", "UNSUPPORTED"]

#: what spikemem.pynn runs, by kind (used in every refusal message)
SUPPORTED = {
    "cell type": ("IF_curr_exp", "SpikeSourceArray", "SpikeSourcePoisson"),
    "synapse type": ("StaticSynapse", "STDPMechanism"),
    "timing dependence": ("SpikePairRule",),
    "weight dependence": ("AdditiveWeightDependence", "MultiplicativeWeightDependence"),
    "current source": (),
}


def _identity(*names):
    return build_translations(*[(n, n) for n in names])


def _min_delay(_self):
    return state.dt


def _check_weights(weights, projection):
    """PyNN's weight check, except that under sPyNNaker's conventions an inhibitory weight
    may also be given positive (its magnitude is used; mixed signs are refused later)."""
    if state.conventions == "spinnaker" and projection.receptor_type == "inhibitory":
        weights = -np.abs(weights)
    check_weights(weights, projection)


_CHECKS = {"weight": _check_weights, "delay": check_delays}


class _SpinnakerAttributes:
    """``synapse.weight`` and ``synapse.delay`` as attributes, as sPyNNaker's synapse types
    have them (sPyBlocks reads them); the default delay is one time step."""

    def _scalar(self, name):
        value = self.parameter_space[name].base_value
        return state.dt if value is None and name == "delay" else value

    weight = property(lambda self: self._scalar("weight"))
    delay = property(lambda self: self._scalar("delay"))


class IF_curr_exp(cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    translations = _identity(*cells.IF_curr_exp.default_parameters)

    def __init__(self, **parameters):
        # sPyNNaker 7's IF_curr_exp also takes the initial values v, isyn_exc and isyn_inh
        initial = {k: parameters.pop(k) for k in list(parameters)
                   if k in self.default_initial_values and state.conventions == "spinnaker"}
        super().__init__(**parameters)
        if initial:
            self.default_initial_values = dict(type(self).default_initial_values, **initial)


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = _identity("spike_times")


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = _identity("rate", "start", "duration")


class StaticSynapse(_SpinnakerAttributes, synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = _identity("weight", "delay")
    parameter_checks = _CHECKS
    _get_minimum_delay = _min_delay


class STDPMechanism(synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = _identity("weight", "delay", "dendritic_delay_fraction")
    parameter_checks = _CHECKS
    _get_minimum_delay = _min_delay

    def __init__(self, timing_dependence=None, weight_dependence=None, voltage_dependence=None,
                 dendritic_delay_fraction=1.0, weight=0.0, delay=None):
        if voltage_dependence is not None:
            _refuse("voltage dependence", type(voltage_dependence).__name__,
                    "STDPMechanism(timing_dependence=SpikePairRule(...), "
                    "weight_dependence=AdditiveWeightDependence(...))")
        for kind, obj in (("timing dependence", timing_dependence),
                          ("weight dependence", weight_dependence)):
            if obj is None or type(obj).__name__ not in SUPPORTED[kind]:
                _refuse(kind, type(obj).__name__, SUPPORTED[kind][0])
        if dendritic_delay_fraction != 1.0:
            raise UnsupportedFeature(
                f"spikemem.pynn: STDPMechanism(dendritic_delay_fraction="
                f"{dendritic_delay_fraction!r}) is not supported; spikemem times plastic "
                "synapses dendritically, as sPyNNaker does: use dendritic_delay_fraction=1.0 "
                "(the default)")
        super().__init__(timing_dependence, weight_dependence, voltage_dependence,
                         dendritic_delay_fraction, weight, delay)


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = _identity("tau_plus", "tau_minus", "A_plus", "A_minus")


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = _identity("w_max", "w_min")


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = _identity("w_max", "w_min")


def _refuse(kind: str, name: str, instead: str):
    raise UnsupportedFeature(
        f"spikemem.pynn does not support the {kind} {name}; supported {kind}s: "
        f"{', '.join(SUPPORTED[kind]) or 'none'}. Use {instead} instead")


def _unsupported(base, kind: str, instead: str):
    """A stand-in for PyNN standard model `base` that raises a clear `UnsupportedFeature`."""
    def __init__(self, *args, **kwargs):
        _refuse(kind, base.__name__, instead)
    return type(base.__name__, (base,), {"__init__": __init__, "__doc__": base.__doc__})


_CURRENT = "IF_curr_exp (current-based LIF with exponential synapses, sPyNNaker's model)"
_INSTEAD = {
    "cell type": _CURRENT,
    "synapse type": "StaticSynapse or STDPMechanism",
    "timing dependence": "SpikePairRule",
    "weight dependence": "AdditiveWeightDependence or MultiplicativeWeightDependence",
    "current source": "the i_offset parameter of IF_curr_exp (constant current) or a "
                      "SpikeSourceArray/SpikeSourcePoisson input",
}
_MODULES = {"cell type": cells, "synapse type": synapses, "timing dependence": synapses,
            "weight dependence": synapses, "current source": electrodes}
#: PyNN standard models refused with a clear error, by kind
UNSUPPORTED = {
    "cell type": ("IF_curr_alpha", "IF_cond_exp", "IF_cond_alpha", "HH_cond_exp",
                  "IF_cond_exp_gsfa_grr", "IF_facets_hardware1", "EIF_cond_alpha_isfa_ista",
                  "EIF_cond_exp_isfa_ista", "Izhikevich", "GIF_cond_exp", "IF_curr_delta",
                  "SpikeSourceGamma", "SpikeSourceInhGamma", "SpikeSourcePoissonRefractory",
                  "PointNeuron", "AdExp", "LIF"),
    "synapse type": ("TsodyksMarkramSynapse", "ElectricalSynapse"),
    "timing dependence": ("Vogels2011Rule",),
    "weight dependence": ("AdditivePotentiationMultiplicativeDepression",
                          "GutigWeightDependence"),
    "current source": ("DCSource", "StepCurrentSource", "ACSource", "NoisyCurrentSource"),
}
for _kind, _names in UNSUPPORTED.items():
    for _name in _names:
        _base = getattr(_MODULES[_kind], _name, None)
        if _base is not None:
            globals()[_name] = _unsupported(_base, _kind, _INSTEAD[_kind])
            __all__.append(_name)
