"""How a network is laid out as Brian2 objects, and the abstract code they run.

This module does not import Brian2: it turns a `LoweredNetwork` (`spikemem.lowering`) into
plain arrays and code strings, which `spikemem.backends.brian2.simulator` hands to Brian2.

Layout
------
* One ``NeuronGroup`` holds every neuron of every population (the node numbering of
  `spikemem.lowering`); one ``SpikeGeneratorGroup`` holds every spike source.
* Synapses are split into one ``Synapses`` object per (presynaptic group, delay, receptor).
  Within an object, synapses are ordered by presynaptic node, static before plastic, then by
  projection and synapse index (the Numba engine's CSR order). All pathways run in the step
  of the event (Brian2 delay 0 for ``on_pre``) and add their weight to slot ``d`` of a
  per-neuron delay line (``inE_d`` / ``inI_d``), which the group shifts by one slot per step.
  Each arrival sum is therefore accumulated in the same order as in the Numba engine's ring
  buffer (emission step, then firing node, then synapse), so the floating-point sums are
  identical.
* Plastic objects implement the IR's pair STDP with dendritic delays: the presynaptic trace
  and last spike step live on each synapse; the postsynaptic trace of each plastic projection
  ``p`` is a per-neuron history ``xt<p>_1 .. xt<p>_D`` (``xt<p>_k`` = trace ``k`` steps ago,
  including that step's spike), so a presynaptic spike at step ``t`` depresses with the trace
  at ``t - d`` (postsynaptic events that reached the synapse at or before ``t``); an ``on_post``
  pathway with delay ``d`` potentiates when the postsynaptic spike reaches the synapse.

Floating point: every statement spells out its association (mostly one operation each), a
conditional update is a selection by an exact 0/1 factor (``m * new + (1 - m) * old``), the
trace exponentials call the C library's ``exp`` (``libm_exp``), and the simulator switches off
Brian2's loop-invariant optimisation (which re-associates expressions) and fast-math C++
flags. The results then equal the Numba engine's bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...lowering import LoweredNetwork

__all__ = ["SynapseBlock", "Layout", "make_layout", "neuron_model", "neuron_update_code",
           "reset_code", "THRESHOLD", "on_pre_code", "on_post_code", "synapse_model",
           "STATIC_WMAX"]

#: w_max given to static synapses that share a ``Synapses`` object with plastic ones (their
#: A+ and A- are 0, so the plastic code leaves their weight unchanged).
STATIC_WMAX = float(np.finfo(np.float64).max)

THRESHOLD = "v >= v_thresh and active == 1"


@dataclass
class SynapseBlock:
    """The synapses of one Brian2 ``Synapses`` object.

    Attributes
    ----------
    source : {"neurons", "sources"}
        Presynaptic group.
    delay : int
        Delay, steps (>= 1).
    receptor : {"E", "I"}
    pre, post : ndarray of int64, shape (n,)
        Indices in the presynaptic group and in the neuron group.
    weight : ndarray of float, shape (n,)
        Initial weights, nA.
    plastic : bool
        Whether any synapse of the block is plastic (then the STDP arrays are set).
    stdp : dict of str to ndarray, shape (n,)
        Per-synapse STDP parameters ``Ap, Am, wmin, wmax, mult, tau_plus`` and ``pid``
        (index of the plastic projection, -1 for a static synapse).
    """

    source: str
    delay: int
    receptor: str
    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray
    plastic: bool
    stdp: dict = field(default_factory=dict)

    @property
    def plastic_ids(self) -> list:
        """Plastic projections (indices) with synapses in this block."""
        if not self.plastic:
            return []
        return sorted(int(p) for p in np.unique(self.stdp["pid"]) if p >= 0)


@dataclass
class Layout:
    """A network laid out for Brian2 (see module docstring).

    Attributes
    ----------
    blocks : list of SynapseBlock
    proj_map : dict of str to ndarray of int64, shape (n, 2)
        For each synapse of a projection (by label, in its synapse order): (block, index).
    max_delay : int
        Longest delay, steps (length of the delay lines).
    trace_depth : list of int
        For each plastic projection, the longest delay of its synapses (history length - 1).
    tau_minus : list of float
        For each plastic projection, tau_minus in ms.
    """

    blocks: list
    proj_map: dict
    max_delay: int
    trace_depth: list
    tau_minus: list


def make_layout(low: LoweredNetwork) -> Layout:
    """Split the synapses of `low` into `SynapseBlock` objects (see module docstring)."""
    N = low.n_neurons
    projs = low.projections
    plastic = [lp for lp in projs if lp.plastic]
    pl_id = {lp.label: k for k, lp in enumerate(plastic)}

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    node = cat([lp.pre for lp in projs], np.int64)
    kind = cat([np.full(lp.size, int(lp.plastic)) for lp in projs], np.int64)
    proj = cat([np.full(lp.size, lp.index) for lp in projs], np.int64)
    pos = cat([np.arange(lp.size) for lp in projs], np.int64)
    tgt = cat([lp.target() for lp in projs], np.int64)
    dly = cat([lp.delay for lp in projs], np.int64)
    w = cat([lp.weight for lp in projs], float)
    # engine order: node, then static before plastic, then projection, then synapse
    order = np.lexsort((pos, proj, kind, node))
    node, kind, proj, tgt, dly, w = (a[order] for a in (node, kind, proj, tgt, dly, w))
    src = (node >= N).astype(np.int64)
    rec = (tgt >= N).astype(np.int64)
    post = tgt - N * rec
    keys = np.stack([src, dly, rec], axis=1)
    uniq = np.unique(keys, axis=0) if keys.size else np.zeros((0, 3), np.int64)
    flat_map = np.zeros((node.size, 2), np.int64)
    pid_of_proj = np.array([pl_id.get(lp.label, -1) for lp in projs] or [-1], np.int64)
    blocks = []
    for b, (s, d, r) in enumerate(uniq):
        sel = np.nonzero((src == s) & (dly == d) & (rec == r))[0]   # ascending: order kept
        flat_map[order[sel]] = np.stack([np.full(sel.size, b), np.arange(sel.size)], axis=1)
        k = kind[sel]
        is_pl = k == 1
        stdp = {}
        if np.any(is_pl):
            pid = np.where(is_pl, pid_of_proj[proj[sel]], -1)
            syn = [plastic[max(p_, 0)].synapse for p_ in pid]
            stdp = {"pid": pid.astype(np.int64)}
            for key, field_, off in (("tau_plus", "tau_plus", 1.0), ("Ap", "A_plus", 0.0),
                                     ("Am", "A_minus", 0.0), ("wmin", "w_min", 0.0),
                                     ("wmax", "w_max", STATIC_WMAX)):
                stdp[key] = np.where(is_pl, [float(getattr(x, field_)) for x in syn], off)
            stdp["mult"] = np.where(is_pl, [float(x.multiplicative) for x in syn], 0.0)
        blocks.append(SynapseBlock(
            source="sources" if s else "neurons", delay=int(d), receptor="I" if r else "E",
            pre=node[sel] - (N if s else 0), post=post[sel], weight=w[sel],
            plastic=bool(np.any(is_pl)), stdp=stdp))
    starts = np.cumsum([0] + [lp.size for lp in projs])
    proj_map = {lp.label: flat_map[a:b] for lp, a, b in zip(projs, starts[:-1], starts[1:])}
    return Layout(blocks=blocks, proj_map=proj_map, max_delay=max(1, low.max_delay),
                  trace_depth=[lp.max_delay for lp in plastic],
                  tau_minus=[float(lp.synapse.tau_minus) for lp in plastic])


# -- neurons ---------------------------------------------------------------------------------
_PARAMS = ("exp_m", "R", "decay_E", "init_E", "decay_I", "init_I", "v_rest", "v_reset",
           "v_thresh", "i_offset")


def neuron_model(layout: Layout) -> str:
    """Brian2 equations (variables only: the update is `neuron_update_code`)."""
    lines = ["v : 1", "I_E : 1", "I_I : 1", "refrac : integer", "active : integer"]
    lines += [f"{p} : 1 (constant)" for p in _PARAMS]
    lines += ["refrac_steps : integer (constant)"]
    for d in range(1, layout.max_delay + 1):
        lines += [f"inE_{d} : 1", f"inI_{d} : 1"]
    if layout.tau_minus:
        lines.append("spiked : 1")
        for p, depth in enumerate(layout.trace_depth):
            lines += [f"xt{p}_{k} : 1" for k in range(1, depth + 1)]
    return "\n".join(lines)


def neuron_update_code(layout: Layout) -> str:
    """Per-step neuron code (Brian2 slot ``groups``): steps 1, 2 and 4 of `IF_curr_exp`.

    Step 3 (threshold, reset, refractory counter) is the group's threshold/reset. The post-
    synaptic STDP trace histories ``xt<p>_k`` are shifted by one step here and the previous
    step's trace completed, ``xt<p>_1 <- xt<p>_1 * dec<p> + spiked`` (its own spike counts 1),
    with the ``spiked`` flag set by that step's reset; ``dec<p>`` are namespace constants.
    """
    D = layout.max_delay
    lines = ["I_E += init_E * inE_1", "I_I += init_I * inI_1"]
    for r in ("E", "I"):
        lines += [f"in{r}_{d} = in{r}_{d + 1}" for d in range(1, D)]
        lines.append(f"in{r}_{D} = 0.0")
    lines += [
        "active = int(refrac <= 0)",
        "refrac -= 1 - active",
        "vinf = I_E - I_I",
        "vinf = vinf + i_offset",
        "vinf = R * vinf",
        "vinf = v_rest + vinf",
        "vnew = vinf - v",
        "vnew = vnew * exp_m",
        "vnew = vinf - vnew",
        "v = active * vnew + (1 - active) * v",
        "I_E *= decay_E",
        "I_I *= decay_I",
    ]
    for p, depth in enumerate(layout.trace_depth):
        lines += [f"xt{p}_{k} = xt{p}_{k - 1}" for k in range(depth, 1, -1)]
        lines.append(f"xt{p}_1 = xt{p}_1 * dec{p} + spiked")
    if layout.tau_minus:
        lines.append("spiked = 0.0")
    return "\n".join(lines)


def reset_code(layout: Layout) -> str:
    """Step 3 of `IF_curr_exp` after a spike (plus the flag the STDP traces read)."""
    code = "v = v_reset\nrefrac = refrac_steps"
    return code + ("\nspiked = 1.0" if layout.tau_minus else "")


# -- synapses --------------------------------------------------------------------------------
def synapse_model(block: SynapseBlock) -> str:
    """Brian2 synaptic variables of a block."""
    if not block.plastic:
        return "w : 1"
    return "\n".join(["w : 1", "apre : 1", "lastpre : integer", "pid : integer (constant)"] +
                     [f"{k} : 1 (constant)" for k in
                      ("Ap", "Am", "wmin", "wmax", "mult", "tau_plus")])


def _trace_at_delay(block: SynapseBlock) -> str:
    """Expression of the postsynaptic trace ``d`` steps ago, selected by projection."""
    d = block.delay
    pids = block.plastic_ids
    if len(pids) == 1:
        return f"xt{pids[0]}_{d}_post"
    return " + ".join(f"int(pid == {p}) * xt{p}_{d}_post" for p in pids)


def depression_lines(block: SynapseBlock, trace_at_delay: str, upper: str = "wmax") -> list:
    """Depression of a presynaptic event by the postsynaptic trace `trace_at_delay` of ``d``
    steps ago (dendritic delay; it includes the postsynaptic events that reach the synapse in
    this step); the weight is clipped to ``[wmin, upper]``."""
    return [
        f"okd = int(t_in_timesteps >= {block.delay})",
        f"xd = {trace_at_delay}",
        "fac = (1 - mult) + mult * (w - wmin)",
        "dw = Am * fac",
        "dw = dw * xd",
        "wn = w - dw",
        f"wn = clip(wn, wmin, {upper})",
        "w = okd * wn + (1 - okd) * w",
    ]


#: Presynaptic spike: the presynaptic trace includes it from now on.
PRE_TRACE_UPDATE = (
    "has = int(lastpre >= 0)",
    "dec = libm_exp(-(t_in_timesteps - lastpre) * dt_ms / tau_plus)",
    "tr = apre * dec",
    "tr = tr + 1.0",
    "apre = has * tr + (1 - has)",
    "lastpre = t_in_timesteps",
)


def on_pre_code(block: SynapseBlock) -> str:
    """Presynaptic event (run in the step of the spike): depress, deliver, update the trace."""
    deliver = f"in{block.receptor}_{block.delay}_post += w"
    if not block.plastic:
        return deliver
    # the depressed weight is what arrives d steps later
    return "\n".join(depression_lines(block, _trace_at_delay(block)) + [deliver]
                     + list(PRE_TRACE_UPDATE))


def on_post_code(block: SynapseBlock) -> str:
    """Postsynaptic spike reaching the synapse (delay d): potentiate with the pre trace."""
    return "\n".join([
        "has = int(lastpre >= 0)",
        "dec = libm_exp(-(t_in_timesteps - lastpre) * dt_ms / tau_plus)",
        "y = apre * dec",
        "fac = (1 - mult) + mult * (wmax - w)",
        "dw = Ap * fac",
        "dw = dw * y",
        "wn = w + dw",
        "wn = clip(wn, wmin, wmax)",
        "w = has * wn + (1 - has) * w",
    ])
