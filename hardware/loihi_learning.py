"""The IR's pair STDP rule written as a Loihi learning-engine rule (sum of products of traces).

Loihi's learning engine updates a synapse by ``dw = sum_i S_i * prod_j (V_ij + C_ij)`` over
the presynaptic spike ``x0`` and trace ``x1``, the postsynaptic spike ``y0`` and trace ``y1``
and the weight ``w`` (Davies et al., IEEE Micro 38(1), 2018; Lava writes such a rule as a
string, e.g. ``"dw = 2^-2 * x1 * y0 - 2^-2 * y1 * x0"``). The IR's pair rule has exactly this
form: potentiation ``A_plus * x1`` at a postsynaptic spike, depression ``A_minus * y1`` at a
presynaptic spike, with traces that jump by 1 and decay with ``tau_plus`` / ``tau_minus``.
The rule is written in weight-mantissa units of the exported projection
(``w_int = mant << (6 + weight_exp)``). What the chip does differently from the IR is listed
in the returned ``differences``; the exporter therefore ships the learned weights as static
synapses and attaches the rule for reference.
"""
from __future__ import annotations

from spikemem.errors import UnsupportedFeature
from spikemem.synapses import STDP

__all__ = ["stdp_learning_rule", "DIFFERENCES"]

#: How Loihi 1's learning engine departs from the IR's STDP definition (`spikemem.synapses`).
DIFFERENCES = (
    "traces x1, y1 are 7-bit integers decayed with stochastic rounding on Loihi; the IR's "
    "traces are exact exponentials",
    "Loihi pairs a postsynaptic spike at the compartment when it fires; the IR's plastic "
    "delays are dendritic (a postsynaptic spike reaches the synapse `delay` steps later)",
    "Loihi evaluates the rule once per learning epoch on the traces of that epoch; the IR "
    "updates at every spike, and a postsynaptic event reaching the synapse in the same step as "
    "a presynaptic spike depresses it and does not potentiate (sPyNNaker's pair rule)",
    "Loihi saturates the weight at the 8-bit mantissa range [0, 255] of the projection's "
    "exponent, not at the IR's [w_min, w_max] (they coincide only if w_max maps to 255)",
)


def _coef(x: float) -> str:
    return f"{x:.6g}"


def stdp_learning_rule(stdp: STDP, dt: float, mant_unit_nA: float) -> dict:
    """Loihi learning-rule description of an IR `STDP` synapse.

    Parameters
    ----------
    stdp : STDP
        The synapse type of a plastic projection.
    dt : float
        Time step, ms.
    mant_unit_nA : float
        nA of IR weight represented by one unit of the projection's weight mantissa.

    Returns
    -------
    dict
        ``dw`` (rule string, weights in mantissa units), ``x1_tau`` / ``y1_tau`` (trace time
        constants, steps), ``x1_impulse`` / ``y1_impulse`` (trace jump per spike),
        ``w_min`` / ``w_max`` (mantissa units), ``exact`` (False) and ``differences``.

    Raises
    ------
    UnsupportedFeature
        A plastic synapse type other than the pair rule `STDP` (e.g. ``ConsolidatingSTDP``,
        whose fast/slow weights and tag have no counterpart in Loihi 1's learning engine).
    """
    if type(stdp) is not STDP:
        raise UnsupportedFeature(
            f"Loihi 1 learning engine: {type(stdp).__name__} has no learning-rule mapping (only "
            "the pair rule STDP maps onto Loihi's sum-of-products rule)")
    a_plus = stdp.A_plus / mant_unit_nA if not stdp.multiplicative else stdp.A_plus
    a_minus = stdp.A_minus / mant_unit_nA if not stdp.multiplicative else stdp.A_minus
    w_min = stdp.w_min / mant_unit_nA
    w_max = stdp.w_max / mant_unit_nA
    if stdp.multiplicative:
        # A+ (w_max - w) x1 y0 - A- (w - w_min) y1 x0, expanded into sums of products
        dw = (f"dw = {_coef(a_plus * w_max)} * x1 * y0 - {_coef(a_plus)} * w * x1 * y0"
              f" - {_coef(a_minus)} * w * y1 * x0 + {_coef(a_minus * w_min)} * y1 * x0")
    else:
        dw = f"dw = {_coef(a_plus)} * x1 * y0 - {_coef(a_minus)} * y1 * x0"
    return {
        "dw": dw,
        "x1_tau": stdp.tau_plus / dt,
        "y1_tau": stdp.tau_minus / dt,
        "x1_impulse": 1.0,
        "y1_impulse": 1.0,
        "weight_dependence": stdp.weight_dependence,
        "w_min": w_min,
        "w_max": w_max,
        "exact": False,
        "differences": list(DIFFERENCES),
    }
