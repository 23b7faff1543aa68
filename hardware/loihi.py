"""Quantise a Network to Loihi 1's fixed-point formats: `to_loihi` -> `LoihiNetwork`.

Mapping of the IR's `IF_curr_exp` (see `spikemem.neurons`) onto a Loihi compartment
---------------------------------------------------------------------------------------
Per step the IR computes ``I <- I + init * W``; ``V <- e_m V + (1 - e_m) V_inf``;
spike if ``V >= v_thresh`` (reset to ``v_reset``, hold for the refractory steps);
``I <- decay * I``. Loihi computes ``u <- r_u u + q``; ``v <- r_v v + u + bias``; spike if
``v > vth`` (reset to 0, held at 0 while refractory). With a scale ``s`` (integer voltage
units per mV) chosen per population and ``v = s (V - v_reset)``:

* ``r_u = decay = exp(-dt / tau_syn)`` and ``r_v = e_m = exp(-dt / tau_m)``;
* ``u = s (1 - e_m) R I``, so a weight ``W`` (nA) arriving in a step adds
  ``q = s (1 - e_m) R init W`` to ``u`` — the IR's input scaling ``init`` and the membrane's
  step factor ``(1 - e_m) R`` fold into the integer weight;
* ``bias = s (1 - e_m) (v_rest - v_reset + R i_offset)``: the leak towards ``v_rest`` of a
  neuron whose reset differs from its rest becomes a constant bias, so ``v_reset != v_rest``
  is handled exactly and Loihi's reset to 0 is the IR's reset to ``v_reset``;
* in the last two, ``1 - e_m`` is taken from the realised ``r_v`` and ``q`` is multiplied by
  ``(1 - r_u) / (1 - decay)``: the rounding of ``du``/``dv`` then changes only the time course,
  not the charge a spike delivers (sum of ``u`` over steps) nor the membrane's DC gain;
* ``vth = s (v_thresh - v_reset)``; ``s`` is chosen so that this is exactly
  ``vth_mant << 6``;
* the refractory hold of ``n`` steps is Loihi's refractory delay ``n + 1``;
* a delay of ``d`` steps (arrival at ``t + d``) is the one-step spike latency plus a synaptic
  delay register of ``d - 1``.

The update order is the same, so the mapping is exact in structure. What is rounded:
``r_u`` and ``r_v`` to 1/4096 (12-bit ``du``/``dv``); weights to an 8-bit magnitude with one
exponent per projection (multiples of ``2**(6 + exp)`` units); the bias to a 13-bit mantissa;
the initial ``v`` to an integer; the decayed ``u`` and ``v`` are truncated towards zero every
step; and ``v >= vth`` becomes ``v > vth`` (they differ only when ``v`` lands exactly on the
threshold). Not representable (raise `UnsupportedFeature`): different ``tau_syn_E`` and
``tau_syn_I`` on a population that receives both (a compartment has one ``u``), refractory
periods over 62 steps, delays over 63 steps. Plastic projections are exported with their
current weights as static synapses, with the STDP rule attached as a Loihi learning rule
(`hardware.loihi_learning`); their weight exponent is chosen to hold ``w_max``, the range the
rule learns in (so small current weights keep fewer mantissa bits).

The scale ``s`` is the largest for which nothing can overflow even if every presynaptic
neuron fired at every step: the per-step input fits in 21 bits + sign, ``u`` and ``u + bias``
in 23 bits + sign, ``v`` stays above ``-(2**23 - 1)``, the largest weight fits an 8-bit
mantissa with exponent <= 7, the bias fits 13 bits with exponent <= 7 and the threshold
mantissa 17 bits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from spikemem.errors import UnsupportedFeature
from spikemem.loihi_formats import (
    BIAS_EXP_MAX, BIAS_MANT_MAX, Q_BITS, REFRACT_DELAY_MAX, SYN_DELAY_MAX, U_BITS,
    V_LIMIT, VTH_MANT_MAX, VTH_SHIFT, WEIGHT_EXP_MAX, WEIGHT_MANT_MAX, WEIGHT_SHIFT,
    LoihiNetwork, LoihiPopulation, LoihiProjection, decay_from_du, decay_from_dv,
    du_from_decay, dv_from_decay, round_half_away, split_bias, split_weights,
)
from spikemem.lowering import lower
from spikemem.network import Network
from spikemem.neurons import lif_step_constants
from spikemem.poisson_input import refuse_drives

from .loihi_learning import stdp_learning_rule
from .plastic_state import warn_plastic_state
from .receptors import single_tau_syn

__all__ = ["LoihiPopulation", "LoihiProjection", "LoihiNetwork", "QuantisationReport",
           "to_loihi", "TARGET"]

TARGET = "Loihi 1"


@dataclass
class QuantisationReport:
    """Per-quantity rounding of a `to_loihi` export.

    Attributes
    ----------
    populations : dict of str to dict
        Per population: ``decay_u``, ``decay_v``, ``bias`` (each with ``ideal``, ``loihi``,
        ``abs_error``, ``rel_error``), ``vth`` (exact by construction), ``v_init``
        (``max_abs_error_mV``) and ``v_scale`` (integer units per mV).
    projections : dict of str to dict
        Per projection: ``weight`` (``max_abs_error_nA``, ``max_rel_error`` and
        ``mean_rel_error`` over nonzero weights, ``n_zeroed`` nonzero weights that became 0,
        ``exponent``) and ``delay`` (``exact``: True, ``max_steps``).
    warnings : list of str
    """

    populations: dict = field(default_factory=dict)
    projections: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"target": TARGET, "populations": self.populations,
                "projections": self.projections, "warnings": list(self.warnings)}

    def summary(self) -> str:
        """A human-readable table of the largest relative errors."""
        lines = [f"{TARGET} quantisation report"]
        for lab, r in self.populations.items():
            lines.append(
                f"  population {lab}: decay_u rel {r['decay_u']['rel_error']:.2e}, decay_v rel "
                f"{r['decay_v']['rel_error']:.2e}, bias abs {r['bias']['abs_error']:.3g} units, "
                f"vth exact, {r['v_scale']:.4g} units/mV")
        for lab, r in self.projections.items():
            w = r["weight"]
            lines.append(
                f"  projection {lab}: weight max rel {w['max_rel_error']:.2e} (max abs "
                f"{w['max_abs_error_nA']:.3g} nA, exp {w['exponent']}, {w['n_zeroed']} zeroed)"
                f", delays exact (max {r['delay']['max_steps']} steps)")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _rel(ideal, real) -> float:
    ideal = float(ideal)
    return abs(real - ideal) / abs(ideal) if ideal != 0 else float(real != ideal)


def _overshoot(q_exc: float, q_inh: float, bias: float, v_init: float, w_max: float,
               r_u: float, r_v: float) -> float:
    """Largest ratio of a worst-case integer to its Loihi range (<= 1: everything fits).

    `q_exc`, `q_inh`: largest summed excitatory / inhibitory input of one compartment in one
    step (every presynaptic neuron firing); `bias`, `v_init` (largest magnitude), `w_max`
    (largest single weight): integer units; `r_u`, `r_v`: decay factors per step.
    """
    q = max(q_exc, q_inh)
    u_max = q / (1.0 - r_u)
    ratios = [q / ((1 << Q_BITS) - 1), (u_max + abs(bias)) / ((1 << U_BITS) - 1),
              abs(bias) / (BIAS_MANT_MAX << BIAS_EXP_MAX), v_init / V_LIMIT,
              w_max / (WEIGHT_MANT_MAX << (WEIGHT_SHIFT + WEIGHT_EXP_MAX))]
    if r_v < 1.0:
        ratios.append((q_inh / (1.0 - r_u) + max(0.0, -bias)) / (1.0 - r_v) / V_LIMIT)
    return max(ratios)


def _weight_range(proj) -> float:
    """Largest weight (nA) a projection's format must hold beyond its current weights: the
    upper bound of a plastic synapse, so that its learning rule has the range to learn in."""
    return float(getattr(proj.synapse, "w_max", 0.0)) if proj.plastic else 0.0


def _worst_inputs(pop, incoming, scale: float):
    """Summed excitatory and inhibitory input (max over compartments) and largest weight
    (including the range of plastic projections)."""
    sums = {"excitatory": np.zeros(pop.size), "inhibitory": np.zeros(pop.size)}
    w_max = 0.0
    for proj, w in incoming:
        w = scale * np.asarray(w, float)
        np.add.at(sums[proj.receptor], proj.post_idx, w)
        w_max = max(w_max, float(w.max(initial=0.0)))
    return sums["excitatory"].max(initial=0.0), sums["inhibitory"].max(initial=0.0), w_max


def _split(w, w_range: float, scale: float):
    """Mantissas and exponent of `w` (nA) at `scale` units per nA, the exponent covering
    `w_range` too."""
    mant, exp = split_weights(scale * np.append(np.asarray(w, float), w_range))
    return mant[:-1], exp


def _quantise_population(pop, tau_syn: float, incoming: list, dt: float):
    """Quantise one population and the projections into it (see the module docstring).

    Returns the `LoihiPopulation`, ``{label: (mant, exp)}`` of the incoming projections, the
    scale ``s`` (units per mV), ``k`` (mV per nA arriving) and the population's report.
    """
    cell = pop.celltype
    sc = lif_step_constants(cell.replace(tau_syn_E=tau_syn), dt)
    decay, init, e_m, R = sc["decay_E"], sc["init_E"], sc["exp_m"], sc["R"]
    if sc["refrac_steps"] + 1 > REFRACT_DELAY_MAX:
        raise UnsupportedFeature(
            f"{TARGET}: population {pop.label!r} has a refractory period of "
            f"{sc['refrac_steps']} steps ({cell.tau_refrac} ms); Loihi 1's refractory "
            f"delay register allows at most {REFRACT_DELAY_MAX - 1} steps")
    du, dv = int(du_from_decay(decay)), int(dv_from_decay(e_m))
    r_u, r_v = float(decay_from_du(du)), float(decay_from_dv(dv))
    # mV per nA arriving, and mV per step: folded with the *realised* decays, so that the
    # charge of a synaptic current (sum over steps) and the membrane's DC gain stay exact
    k = (1.0 - r_v) * R * init * (1.0 - r_u) / (1.0 - decay)
    c = (1.0 - r_v) * (cell.v_rest - cell.v_reset + R * cell.i_offset)
    theta = cell.v_thresh - cell.v_reset
    v0 = float(np.abs(pop.initial_v_array() - cell.v_reset).max())
    # everything is linear in s: the ideal overshoot at s = 1 unit/mV gives the first guess
    q_exc, q_inh, w_max = _worst_inputs(pop, incoming, k)
    w_max = max([w_max] + [k * _weight_range(proj) for proj, _ in incoming])
    per_mV = _overshoot(q_exc, q_inh, c, v0, w_max, r_u, r_v)
    vth_mant = VTH_MANT_MAX if per_mV <= 0 else \
        int(min(VTH_MANT_MAX, math.floor(theta / per_mV / (1 << VTH_SHIFT))))
    while True:
        if vth_mant < 1:
            raise UnsupportedFeature(
                f"{TARGET}: population {pop.label!r} cannot be represented: its inputs or "
                f"bias are too large relative to its threshold ({theta} mV above v_reset) to "
                f"fit Loihi's 21/23-bit state without overflow")
        s = vth_mant * (1 << VTH_SHIFT) / theta
        q = {proj.label: _split(w, _weight_range(proj), s * k) for proj, w in incoming}
        q_exc, q_inh, w_max = _worst_inputs(
            pop, [(proj, q[proj.label][0] << (WEIGHT_SHIFT + q[proj.label][1]))
                  for proj, _ in incoming], 1.0)
        w_max = max([w_max] + [s * k * _weight_range(proj) for proj, _ in incoming])
        bias_mant, bias_exp = (int(x[0]) for x in split_bias(s * c))
        bias = bias_mant * 2 ** bias_exp
        v_init = round_half_away(s * (pop.initial_v_array() - cell.v_reset)).astype(np.int64)
        over = _overshoot(q_exc, q_inh, bias, float(np.abs(v_init).max()), w_max, r_u, r_v)
        if over <= 1.0:
            break
        vth_mant = min(vth_mant - 1, int(math.floor(vth_mant / over * (1 - 1e-9))))
    lp = LoihiPopulation(label=pop.label, size=pop.size, du=du, dv=dv, vth_mant=vth_mant,
                         bias_mant=bias_mant, bias_exp=bias_exp,
                         refract_delay=sc["refrac_steps"] + 1, v_init=v_init, v_scale=s,
                         v_offset=cell.v_reset)
    v_ideal = s * (pop.initial_v_array() - cell.v_reset)
    report = {
        "decay_u": {"ideal": decay, "loihi": r_u, "abs_error": abs(r_u - decay),
                    "rel_error": _rel(decay, r_u), "register": du},
        "decay_v": {"ideal": e_m, "loihi": r_v, "abs_error": abs(r_v - e_m),
                    "rel_error": _rel(e_m, r_v), "register": dv},
        "bias": {"ideal": s * c, "loihi": bias, "abs_error": abs(bias - s * c),
                 "rel_error": _rel(s * c, bias), "mantissa": bias_mant, "exponent": bias_exp},
        "vth": {"ideal_mV": theta, "loihi": lp.vth, "abs_error": 0.0, "rel_error": 0.0},
        "v_init": {"max_abs_error_mV": float(np.abs(v_init - v_ideal).max() / s)},
        "v_scale": s,
        "tau_syn": tau_syn,
    }
    return lp, q, s, k, report


#: What to use instead of a Poisson drive on Loihi (`spikemem.PoissonInput` is refused).
LOIHI_DRIVE_ALTERNATIVE = (
    "Loihi 1 has no generator of several input spikes per step and compartment; replace the "
    "drive by its mean current (i_offset += n_inputs * rate * weight * tau_syn_E / 1000 nA; "
    "for the microcircuit background='dc') or by SpikeSourcePoisson sources projecting onto "
    "the target")


def to_loihi(network: Network, weights: Optional[dict] = None) -> LoihiNetwork:
    """Quantise `network` to Loihi 1's fixed-point formats.

    Parameters
    ----------
    network : Network
    weights : dict of str to ndarray, optional
        Current weights (nA, shape (n_synapses,)) by projection label, e.g. learned weights
        read with ``Simulator.weights``; projections not listed keep their IR weights.

    Returns
    -------
    LoihiNetwork
        Integer parameters per population and projection, and a `QuantisationReport`.

    Raises
    ------
    UnsupportedFeature
        A feature Loihi 1 cannot express (named, with the limit): unequal synaptic time
        constants on a population with both receptors, a refractory period over 62 steps,
        a delay over 63 steps, or a population whose scale cannot fit the formats.
    ValidationError
        Bad `weights`.
    """
    refuse_drives(network, "to_loihi", LOIHI_DRIVE_ALTERNATIVE)
    low = lower(network, weights, owner="to_loihi")
    dt = network.dt
    taus = single_tau_syn(network, TARGET)
    report = QuantisationReport()
    for lp in low.projections:
        if lp.max_delay - 1 > SYN_DELAY_MAX:
            raise UnsupportedFeature(
                f"{TARGET}: projection {lp.label!r} has a delay of {lp.max_delay} steps "
                f"({lp.max_delay * dt} ms); Loihi 1's synaptic delay register allows at most "
                f"{SYN_DELAY_MAX} extra steps ({SYN_DELAY_MAX + 1} steps)")
    incoming = {p.label: [] for p in network.populations}
    for lp in low.projections:
        incoming[lp.projection.post_population.label].append((lp.projection, lp.weight))

    populations, quantised = [], {}
    for pop in network.populations:
        lp, q, s, k, rep = _quantise_population(pop, taus[pop.label], incoming[pop.label], dt)
        populations.append(lp)
        report.populations[pop.label] = rep
        for label, (mant, exp) in q.items():
            quantised[label] = (mant, exp, 1.0 / (s * k))

    projections = []
    notes = dict(zip([p.label for p in network.projections if p.plastic],
                     warn_plastic_state(network, weights, "loihi")))
    for lowered in low.projections:
        proj, w = lowered.projection, lowered.weight
        mant, exp, unit = quantised[proj.label]
        rule = None
        if proj.plastic:
            try:
                rule = stdp_learning_rule(proj.synapse, dt, unit * 2 ** (WEIGHT_SHIFT + exp))
                note = ("the Loihi learning rule is attached for reference (not exact, see its "
                        "'differences')")
            except UnsupportedFeature as exc:
                note = f"no learning rule attached ({exc})"
            report.warnings.append(f"{notes[proj.label]}; {note}")
        lproj = LoihiProjection(
            label=proj.label, pre=proj.pre_population.label, post=proj.post_population.label,
            pre_idx=proj.pre_idx.copy(), post_idx=proj.post_idx.copy(), weight_mant=mant,
            weight_exp=int(exp), sign=1 if proj.receptor == "excitatory" else -1,
            delay=lowered.delay.astype(np.int64), unit_nA=unit,
            plastic=proj.plastic, learning_rule=rule)
        projections.append(lproj)
        err = np.abs(lproj.weight_nA - w)
        nz = w > 0
        rel = err[nz] / w[nz]
        report.projections[proj.label] = {
            "weight": {"max_abs_error_nA": float(err.max(initial=0.0)),
                       "max_rel_error": float(rel.max(initial=0.0)),
                       "mean_rel_error": float(rel.mean()) if rel.size else 0.0,
                       "n_zeroed": int(np.count_nonzero(nz & (mant == 0))),
                       "exponent": int(exp),
                       "mantissa_max": int(mant.max(initial=0))},
            "delay": {"exact": True, "max_steps": int(lproj.delay.max(initial=0))},
        }
    return LoihiNetwork(network, populations, projections, report)
