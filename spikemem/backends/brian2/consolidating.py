"""`ConsolidatingSTDP` on Brian2: per-synapse variables and the abstract code that runs them.

Brian2-free, like `spikemem.backends.brian2.layout`. A `SynapseBlock` with consolidating
synapses gets, besides the STDP variables, the fast weight ``w`` (as for STDP), the slow
weight ``ws``, the tag ``tag``, the step ``lastc`` of the last update and the constants
``cons`` (1 for a consolidating synapse, 0 otherwise), ``drate``, ``wbase``, ``trate``,
``tagth``, ``kappa`` and ``wsmax`` (`attach_consolidating`). Its code does what the Numba
kernels do, in the same floating-point order, with one operation per statement and
conditional updates as selections by exact 0/1 factors (see the layout module):

* relaxation (``_relax_lines``): ``w <- wbase + (w - wbase) * exp(-n * dt * drate)`` and
  ``tag <- tag * exp(-n * dt * trate)`` over the ``n`` steps since ``lastc``, skipped when
  ``n == 0`` or a rate is 0 (as the kernels do);
* on a postsynaptic spike (`on_post_code`): relax, potentiate with upper bound ``wmax - ws``,
  ``tag += y`` and, at ``tagth``, move ``kappa * (w - wbase)`` (capped at ``wsmax``) from
  ``w`` to ``ws``;
* on a presynaptic spike (`on_pre_code`): relax, depress (upper bound ``wmax - ws``), deliver
  ``w + ws``, update the presynaptic trace.
"""
from __future__ import annotations

import numpy as np

from ...synapses import ConsolidatingSTDP
from .layout import PRE_TRACE_UPDATE, depression_lines

__all__ = ["CONS_COLUMNS", "attach_consolidating", "is_consolidating", "synapse_model",
           "on_pre_code", "on_post_code", "STATE_VARIABLES"]

#: Block constants of the rule (per synapse).
CONS_COLUMNS = ("drate", "wbase", "trate", "tagth", "kappa", "wsmax", "cons")
#: Per-synapse state besides the fast weight ``w``: slow weight, tag, last update step.
STATE_VARIABLES = ("ws", "tag", "lastc")


def attach_consolidating(layout, network) -> dict:
    """Add the rule constants to the blocks of `layout` that hold consolidating synapses.

    Each plastic block's ``stdp["pid"]`` gives a synapse's plastic projection (its index among
    the plastic projections of `network`, -1 for a static synapse); the `CONS_COLUMNS`
    constants are set from that projection's `ConsolidatingSTDP` (0, and ``tagth`` inf, for
    static and plain STDP synapses, whose code then leaves them unchanged).

    Returns
    -------
    dict of int to dict
        For every block with consolidating synapses, the initial ``ws`` (the synapse's
        ``slow_weight``), ``tag`` (0) and ``lastc`` (step 0), arrays of the block's size.
    """
    plastic = [p.synapse for p in network.projections if p.plastic]
    rows = {k: [] for k in CONS_COLUMNS}
    for syn in plastic:
        c = isinstance(syn, ConsolidatingSTDP)
        rows["drate"].append(1.0 / syn.tau_decay if c else 0.0)
        rows["wbase"].append(syn.w_base if c else 0.0)
        rows["trate"].append(1.0 / syn.tau_tag if c else 0.0)
        rows["tagth"].append(syn.tag_threshold if c else np.inf)
        rows["kappa"].append(syn.transfer_fraction if c else 0.0)
        rows["wsmax"].append(syn.w_slow_max if c else 0.0)
        rows["cons"].append(1.0 if c else 0.0)
    slow0 = [syn.slow_weight if isinstance(syn, ConsolidatingSTDP) else 0.0 for syn in plastic]
    states = {}
    for b, block in enumerate(layout.blocks):
        if not block.plastic:
            continue
        pid = np.asarray(block.stdp["pid"], np.int64)
        cons = np.array(rows["cons"] + [0.0])[pid] > 0.5       # pid -1 picks the 0 appended
        if not np.any(cons):
            continue
        for key, values in rows.items():
            fill = np.inf if key == "tagth" else 0.0
            block.stdp[key] = np.array(values + [fill], float)[pid]
        states[b] = {"ws": np.array(slow0 + [0.0], float)[pid], "tag": np.zeros(pid.size),
                     "lastc": np.zeros(pid.size, np.int64)}
    return states


def is_consolidating(block) -> bool:
    """Whether a `SynapseBlock` holds consolidating synapses."""
    return block.plastic and "cons" in block.stdp and bool(np.any(block.stdp["cons"] > 0.5))


def synapse_model(block) -> str:
    """Brian2 synaptic variables of a block with consolidating synapses."""
    return "\n".join(["w : 1", "apre : 1", "lastpre : integer", "pid : integer (constant)",
                      "ws : 1", "tag : 1", "lastc : integer"] +
                     [f"{k} : 1 (constant)" for k in
                      ("Ap", "Am", "wmin", "wmax", "mult", "tau_plus") + tuple(CONS_COLUMNS)])


def _relax_lines(gate: str) -> list:
    """Bring ``w`` and ``tag`` to this step if ``gate`` (an exact 0/1 expression) is 1."""
    return [
        "nst = t_in_timesteps - lastc",
        f"rel = cons * {gate}",
        "rel = rel * int(nst > 0)",
        "md = rel * int(drate > 0)",
        "arg = nst * dt_ms",
        "arg = arg * drate",
        "edec = libm_exp(-arg)",
        "wr = w - wbase",
        "wr = wr * edec",
        "wr = wbase + wr",
        "w = md * wr + (1 - md) * w",
        "mt = rel * int(trate > 0)",
        "argt = nst * dt_ms",
        "argt = argt * trate",
        "etg = libm_exp(-argt)",
        "tgr = tag * etg",
        "tag = mt * tgr + (1 - mt) * tag",
        f"upd = int(cons > 0.5) * {gate}",
        "lastc = upd * t_in_timesteps + (1 - upd) * lastc",
    ]


def on_pre_code(block, trace_at_delay: str) -> str:
    """Presynaptic event: relax, depress, deliver ``w + ws``, update the presynaptic trace."""
    return "\n".join(_relax_lines("1") + ["hi = wmax - ws"]
                     + depression_lines(block, trace_at_delay, upper="hi") + [
        "wt = w + ws",
        f"in{block.receptor}_{block.delay}_post += wt",
    ] + list(PRE_TRACE_UPDATE))


def on_post_code(block) -> str:
    """Postsynaptic spike reaching the synapse: relax, potentiate, tag and transfer."""
    return "\n".join([
        "has = int(lastpre >= 0)",
        "dec = libm_exp(-(t_in_timesteps - lastpre) * dt_ms / tau_plus)",
        "y = apre * dec",
    ] + _relax_lines("has") + [
        "hi = wmax - ws",
        "fac = (1 - mult) + mult * (hi - w)",
        "dw = Ap * fac",
        "dw = dw * y",
        "wn = w + dw",
        "wn = clip(wn, wmin, hi)",
        "w = has * wn + (1 - has) * w",
        # tag and transfer (consolidating synapses only)
        "g = cons * has",
        "tgn = tag + y",
        "tag = g * tgn + (1 - g) * tag",
        "full = g * int(tag >= tagth)",
        "exc = w - wbase",
        "mv = full * int(exc > 0)",
        "wsn = kappa * exc",
        "wsn = ws + wsn",
        "wsn = clip(wsn, 0.0, wsmax)",
        "dws = wsn - ws",
        "wfn = w - dws",
        "w = mv * wfn + (1 - mv) * w",
        "ws = mv * wsn + (1 - mv) * ws",
        "tag = (1 - full) * tag",
    ])
