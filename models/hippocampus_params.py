"""Published parameters of sPyMem 0.0.9's three hippocampus models.

Each dict restates the model's ``config/network_config.json`` in sPyMem 0.0.9 under the same
population and synapse names (``CA3cueL``, ``IL-CA3contL``, ...), so a value can be checked
against the package line by line:

* `CA3_PARAMS`: ``sPyMem/ca3/config/network_config.json`` (the CA3-only memory, one-hot cue);
* `FORGETTING_PARAMS`: ``sPyMem/hippocampus_with_forgetting/config/
  hippocampus_with_forgetting_network_config.json`` (DG-CA3-CA1 with forgetting, built from
  sPyBlocks 0.0.1 logic blocks);
* `BIOINSPIRED_PARAMS`: ``sPyMem/hippocampus_bioinspired_dg_ca1/config/network_config.json``.

Keys: ``"cells"`` (``IF_curr_exp`` keyword arguments per population kind: mV, ms, nF, nA;
a PyNN default fills what sPyMem leaves out, i.e. ``i_offset = 0`` of ``DGL``/``CA1L`` in the
forgetting model); ``"v_init"`` (initial membrane potential per population kind, mV: sPyMem's
``initNeuronParameters`` or, for sPyBlocks neurons, their ``v_rest``); ``"stdp"``
(`spikemem.STDP` keywords of the CA3cue -> CA3cont projection; A in nA, additive, as on
sPyNNaker); ``"synapses"`` (``{"weight": nA, "delay": ms}`` per static projection group).
``"OL"`` (the output layer) is not part of sPyMem's config: it is the output population of
sPyMem's own test scripts (``tests/test_*.py``), identical in all three.
"""
from __future__ import annotations

import copy

from spikemem.errors import ValidationError

from .ca3_network import _merge

__all__ = ["CA3_PARAMS", "FORGETTING_PARAMS", "BIOINSPIRED_PARAMS", "merge_model_params"]

_SLOW = dict(cm=0.27, i_offset=0.0, tau_m=3.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3,
             v_reset=-60.0, v_rest=-60.0, v_thresh=-57.0)
_SLOW_OUT = dict(_SLOW, v_thresh=-57.5)
_STDP = dict(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0, w_max=6.0, w_min=0.0,
             weight=0.0, delay=1.0)
# sPyBlocks gate neurons (DGL, CA1L of the forgetting model): a 1 nA-weight spike alone
# drives them over threshold within the step it arrives.
_GATE = dict(cm=0.1, i_offset=0.0, tau_m=0.1, tau_refrac=0.0, tau_syn_E=0.1, tau_syn_I=0.1,
             v_rest=-65.0, v_reset=-65.0, v_thresh=-64.91)

CA3_PARAMS = {
    "dt": 1.0,
    "cells": {"CA3cueL": _SLOW, "CA3contL": _SLOW_OUT, "OL": _SLOW_OUT},
    "v_init": {"CA3cueL": -60.0, "CA3contL": -60.0, "OL": -60.0},
    "stdp": _STDP,
    "synapses": {
        "IL-CA3cueL": {"weight": 6.0, "delay": 1.0},
        "IL-CA3contL": {"weight": 6.0, "delay": 1.0},
        "CA3cueL-OL": {"weight": 6.0, "delay": 1.0},
        "CA3contL-OL": {"weight": 6.0, "delay": 1.0},
    },
}

FORGETTING_PARAMS = {
    "dt": 1.0,
    "cells": {"CA3cueL": _SLOW, "CA3contL": _SLOW_OUT, "DGL": _GATE, "CA1L": _GATE,
              "OL": _SLOW_OUT},
    "v_init": {"CA3cueL": -60.0, "CA3contL": -60.0, "DGL": -65.0, "CA1L": -65.0, "OL": -60.0},
    "stdp": _STDP,
    "synapses": {
        # sPyBlocks' standard connection of the DG decoder and the constant spike source
        # (the JSON's receptor "library_component": the blocks pick the receptor).
        "IL-DGL": {"weight": 1.0, "delay": 1.0},
        "DGL-CA3cueL": {"weight": 6.0, "delay": 1.0},
        "IL-CA3contL": {"weight": 6.0, "delay": 4.0},
        # sPyBlocks' standard connection of the CA1 encoder (OR gates).
        "CA3cueL-CA1L": {"weight": 1.0, "delay": 1.0},
        "CA1L-OL": {"weight": 6.0, "delay": 1.0},
        "CA3contL-OL": {"weight": 6.0, "delay": 2.0},
    },
}

BIOINSPIRED_PARAMS = {
    "dt": 1.0,
    "cells": {
        "CA3cueL": _SLOW, "CA3contL": _SLOW_OUT,
        "DGL": dict(_SLOW_OUT, cm=0.14, tau_m=0.5),
        "CA1L": _SLOW_OUT, "OL": _SLOW_OUT},
    "v_init": {"CA3cueL": -60.0, "CA3contL": -60.0, "DGL": -60.0, "CA1L": -60.0, "OL": -60.0},
    "stdp": _STDP,
    "synapses": {
        "IL-CA3contL": {"weight": 6.0, "delay": 2.0},
        # The IN -> DG weights are derived, not read (dg.py): (v_thresh - v_reset + 0.5) of DGL,
        # split over the excitatory inputs, whole on each inhibitory one. Only delays are used.
        "IL-DGL-exc": {"weight": 0.0, "delay": 1.0},
        "IL-DGL-inh": {"weight": 0.0, "delay": 1.0},
        "DGL-DGL": {"weight": 2.5, "delay": 1.0},
        "DGL-CA3cueL": {"weight": 6.0, "delay": 1.0},
        "CA3cueL-CA1L": {"weight": 6.0, "delay": 1.0},
        "CA1L-OL": {"weight": 6.0, "delay": 1.0},
        "CA3contL-OL": {"weight": 6.0, "delay": 2.0},
    },
}


def merge_model_params(defaults: dict, params, model: str) -> dict:
    """A deep copy of `defaults` updated with `params` (nested dicts merged).

    Parameters
    ----------
    defaults : dict
        One of `CA3_PARAMS`, `FORGETTING_PARAMS`, `BIOINSPIRED_PARAMS`.
    params : dict or None
        Overrides; every key must exist in `defaults`.
    model : str
        Model name for error messages.

    Raises
    ------
    ValidationError
        `params` is not a dict, holds an unknown key, or a synapse entry lacks
        ``weight``/``delay``.
    """
    out = copy.deepcopy(defaults)
    if params is not None:
        if not isinstance(params, dict):
            raise ValidationError(f"{model} params: must be a dict, got {type(params).__name__}")
        _merge(out, params, f"{model} params")
    for name, syn in out["synapses"].items():
        if set(syn) != {"weight", "delay"}:
            raise ValidationError(
                f"{model} params['synapses'][{name!r}]: keys must be 'weight' and 'delay', "
                f"got {sorted(syn)}")
    return out
