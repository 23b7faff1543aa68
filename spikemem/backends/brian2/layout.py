"""How a network is laid out as Brian2 objects, and the abstract code they run.

This module does not import Brian2: it turns a `CompiledNetwork` into plain arrays and code
strings, which `spikemem.backends.brian2.simulator` hands to Brian2.

Layout
------
* One ``NeuronGroup`` holds every neuron of every population (the numbering of
  `spikemem.backends.compiled`); one ``SpikeGeneratorGroup`` holds every spike source.
* Synapses are split into one ``Synapses`` object per (presynaptic group, delay, receptor).
  Within an object, synapses are ordered by presynaptic node, static before plastic, then in
  the engine's CSR order. All pathways run in the step of the event (Brian2 delay 0 for
  ``on_pre``) and add their weight to slot ``d`` of a per-neuron delay line (``inE_d`` /
  ``inI_d``), which the group shifts by one slot per step. Each arrival sum is therefore
  accumulated in the same order as in the Numba engine's ring buffer (emission step, then
  firing node, then synapse), so the floating-point sums are identical.
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

from ..compiled import CompiledNetwork
from .consolidating import consolidating_columns

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
    static_map, plastic_map : ndarray of int64, shape (n_static, 2) / (n_plastic, 2)
        For each synapse of the engine's sorted static / plastic arrays: (block, index).
    max_delay : int
        Longest delay, steps (length of the delay lines).
    trace_depth : list of int
        For each plastic projection, the longest delay of its synapses (history length - 1).
    tau_minus : list of float
        For each plastic projection, tau_minus in ms.
    """

    blocks: list
    static_map: np.ndarray
    plastic_map: np.ndarray
    max_delay: int
    trace_depth: list
    tau_minus: list


def make_layout(c: CompiledNetwork) -> Layout:
    """Split the synapses of `c` into `SynapseBlock` objects (see module docstring)."""
    N = c.n_neurons
    n_nodes = c.n_nodes
    st_pre = np.repeat(np.arange(n_nodes), np.diff(c.st_indptr))
    pl_pre = np.repeat(np.arange(n_nodes), np.diff(c.pl_indptr))
    kind = np.concatenate([np.zeros(st_pre.size, np.int64), np.ones(pl_pre.size, np.int64)])
    pos = np.concatenate([np.arange(st_pre.size), np.arange(pl_pre.size)]).astype(np.int64)
    node = np.concatenate([st_pre, pl_pre]).astype(np.int64)
    tgt = np.concatenate([c.st_tgt, c.pl_tgt]).astype(np.int64)
    dly = np.concatenate([c.st_dly, c.pl_dly]).astype(np.int64)
    w = np.concatenate([c.st_w, c.pl_w]).astype(float)
    # engine order: node, then static before plastic, then CSR position
    order = np.lexsort((pos, kind, node))
    kind, pos, node, tgt, dly, w = (a[order] for a in (kind, pos, node, tgt, dly, w))
    src = (node >= N).astype(np.int64)
    rec = (tgt >= N).astype(np.int64)
    post = tgt - N * rec
    keys = np.stack([src, dly, rec], axis=1)
    uniq = np.unique(keys, axis=0) if keys.size else np.zeros((0, 3), np.int64)
    static_map = np.zeros((c.st_w.size, 2), np.int64)
    plastic_map = np.zeros((c.pl_w.size, 2), np.int64)
    P = c.pl_params.shape[0]
    blocks = []
    for b, (s, d, r) in enumerate(uniq):
        sel = np.nonzero((src == s) & (dly == d) & (rec == r))[0]   # ascending: order kept
        k, p_ = kind[sel], pos[sel]
        static_map[p_[k == 0]] = np.stack([np.full(np.sum(k == 0), b),
                                           np.nonzero(k == 0)[0]], axis=1)
        plastic_map[p_[k == 1]] = np.stack([np.full(np.sum(k == 1), b),
                                            np.nonzero(k == 1)[0]], axis=1)
        plastic = bool(np.any(k == 1))
        stdp = {}
        if plastic:
            pid = np.where(k == 1, c.pl_proj[np.where(k == 1, p_, 0)], -1)
            prm = c.pl_params[np.maximum(pid, 0)]
            is_pl = pid >= 0
            stdp = {"pid": pid.astype(np.int64),
                    "tau_plus": np.where(is_pl, prm[:, 0], 1.0),
                    "Ap": np.where(is_pl, prm[:, 2], 0.0),
                    "Am": np.where(is_pl, prm[:, 3], 0.0),
                    "wmin": np.where(is_pl, prm[:, 4], 0.0),
                    "wmax": np.where(is_pl, prm[:, 5], STATIC_WMAX),
                    "mult": np.where(is_pl, prm[:, 6], 0.0)}
            stdp.update(consolidating_columns(c, pid))
        blocks.append(SynapseBlock(
            source="sources" if s else "neurons", delay=int(d), receptor="I" if r else "E",
            pre=node[sel] - (N if s else 0), post=post[sel], weight=w[sel],
            plastic=plastic, stdp=stdp))
    depth = [int(c.pl_dly[c.pl_proj == p].max()) if np.any(c.pl_proj == p) else 1
             for p in range(P)]
    return Layout(blocks=blocks, static_map=static_map, plastic_map=plastic_map,
                  max_delay=max(1, int(c.max_delay)), trace_depth=depth,
                  tau_minus=[float(c.pl_params[p, 1]) for p in range(P)])


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


def on_pre_code(block: SynapseBlock) -> str:
    """Presynaptic event (run in the step of the spike): depress, deliver, update the trace."""
    deliver = f"in{block.receptor}_{block.delay}_post += w"
    if not block.plastic:
        return deliver
    return "\n".join([
        # depression with the postsynaptic trace d steps ago (dendritic delay; it includes
        # the postsynaptic events that reach the synapse in this step)
        f"okd = int(t_in_timesteps >= {block.delay})",
        f"xd = {_trace_at_delay(block)}",
        "fac = (1 - mult) + mult * (w - wmin)",
        "dw = Am * fac",
        "dw = dw * xd",
        "wn = w - dw",
        "wn = clip(wn, wmin, wmax)",
        "w = okd * wn + (1 - okd) * w",
        # the depressed weight is what arrives d steps later
        deliver,
        # presynaptic trace includes this spike from now on
        "has = int(lastpre >= 0)",
        "dec = libm_exp(-(t_in_timesteps - lastpre) * dt_ms / tau_plus)",
        "tr = apre * dec",
        "tr = tr + 1.0",
        "apre = has * tr + (1 - has)",
        "lastpre = t_in_timesteps",
    ])


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
