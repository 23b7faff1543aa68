"""Pair STDP with dendritic delays (the IR's `spikemem.STDP`) as a Nengo learning rule.

`PairSTDP` is a ``nengo.learning_rules.LearningRuleType`` modifying the weights of an
`IRConnection`; its build function adds one `SimPairSTDP` operator per connection that, in the
step of the IR's definition (`spikemem.synapses`):

1. potentiates every synapse whose postsynaptic spike reaches it in this step (the spike was
   ``d`` steps ago), with the presynaptic trace of strictly earlier presynaptic spikes;
2. depresses every synapse whose presynaptic neuron fires in this step, with the postsynaptic
   trace ``d`` steps ago (spikes that reached the synapse in this step or earlier);
3. adds this step's spikes to the traces.

It increments the weights signal in place, so the connection's delivery (which reads the
weights) sends the depressed weight: depress, then deliver. Exponentials are computed with
the C library's ``exp`` (as in the Numba kernels), not numpy's vectorised exp, which differs
in the last bit for about a quarter of arguments.
"""
from __future__ import annotations

import math

import numpy as np
from nengo.builder import Builder, Operator, Signal
from nengo.learning_rules import LearningRuleType
from nengo.params import BoolParam, NumberParam

from ...synapses import STDP
from .neurons import ir_dt_ms

__all__ = ["PairSTDP", "SimPairSTDP"]


class PairSTDP(LearningRuleType):
    """The IR's pair STDP rule (parameters as in `spikemem.STDP`; ms and nA).

    Only for an `IRConnection`, which gives each synapse its (dendritic) delay.
    """

    modifies = "weights"
    probeable = ()

    tau_plus = NumberParam("tau_plus", low=0, low_open=True, readonly=True)
    tau_minus = NumberParam("tau_minus", low=0, low_open=True, readonly=True)
    A_plus = NumberParam("A_plus", low=0, readonly=True)
    A_minus = NumberParam("A_minus", low=0, readonly=True)
    w_min = NumberParam("w_min", low=0, readonly=True)
    w_max = NumberParam("w_max", low=0, readonly=True)
    multiplicative = BoolParam("multiplicative", readonly=True)

    def __init__(self, tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.01, w_min=0.0,
                 w_max=1.0, multiplicative=False):
        super().__init__(learning_rate=1.0, size_in=0)
        self.tau_plus, self.tau_minus = tau_plus, tau_minus
        self.A_plus, self.A_minus = A_plus, A_minus
        self.w_min, self.w_max = w_min, w_max
        self.multiplicative = multiplicative

    @classmethod
    def from_ir(cls, syn: STDP) -> "PairSTDP":
        return cls(tau_plus=syn.tau_plus, tau_minus=syn.tau_minus, A_plus=syn.A_plus,
                   A_minus=syn.A_minus, w_min=syn.w_min, w_max=syn.w_max,
                   multiplicative=syn.multiplicative)


def _libm_exp(x: np.ndarray) -> np.ndarray:
    return np.fromiter((math.exp(v) for v in x), dtype=np.float64, count=x.size)


def potentiated(rule, w, y, hi):
    """Weights `w` (nA) potentiated by presynaptic traces `y` under pair-STDP `rule`
    (multiplicative towards `hi`, or additive), clipped to ``[rule.w_min, hi]``."""
    if rule.multiplicative:
        w = w + rule.A_plus * (hi - w) * y
    else:
        w = w + rule.A_plus * y
    return np.minimum(np.maximum(w, rule.w_min), hi)


def depressed(rule, w, x, hi):
    """Weights `w` (nA) depressed by postsynaptic traces `x` under pair-STDP `rule`
    (multiplicative towards ``rule.w_min``, or additive), clipped to ``[rule.w_min, hi]``."""
    if rule.multiplicative:
        w = w - rule.A_minus * (w - rule.w_min) * x
    else:
        w = w - rule.A_minus * x
    return np.minimum(np.maximum(w, rule.w_min), hi)


def advance_traces(s, fired, spiked, pre_tr, pre_last, trace_now, xh, post_hist, dec) -> None:
    """Add step `s`'s spikes to the pair-STDP traces, in place.

    Parameters
    ----------
    s : int
        The step.
    fired, spiked : ndarray of bool, shapes (n_pre,) and (n_post,)
        Pre- and postsynaptic spikes of step `s`.
    pre_tr, pre_last : ndarray, shape (n_pre,)
        Presynaptic trace at its last spike and the step of that spike (-1: none yet).
    trace_now : callable
        ``trace_now(i, s)``: presynaptic trace of neurons `i` at step `s`.
    xh, post_hist : ndarray, shape (H, n_post)
        Ring buffers (step modulo H) of the postsynaptic trace and spikes.
    dec : float
        Per-step decay factor of the postsynaptic trace.
    """
    i = np.nonzero(fired)[0]
    if i.size:
        seen = pre_last[i] >= 0
        pre_tr[i] = np.where(seen, trace_now(i, s) + 1.0, 1.0)
        pre_last[i] = s
    H = xh.shape[0]
    xh[s % H] = xh[(s - 1) % H] * dec
    xh[s % H, spiked] += 1.0
    post_hist[s % H] = spiked


class SimPairSTDP(Operator):
    """One step of `PairSTDP` on one connection (see module docstring).

    1. sets ``[]``
    2. incs ``[weights]``
    3. reads ``[pre_out, post_out, step]``
    4. updates ``[pre_trace, pre_last, post_trace, post_spiked]``

    ``post_trace[k % H, j]`` is the postsynaptic trace of neuron ``j`` at step ``k`` (sum over
    its spikes ``f <= k`` of ``exp(-(k - f) dt / tau_minus)``) and ``post_spiked[k % H, j]``
    whether it fired at step ``k``, for the last ``H = max delay + 2`` steps.
    """

    def __init__(self, rule: PairSTDP, pre_idx, post_idx, delays, dt_ms, weights, pre_out,
                 post_out, step, pre_trace, pre_last, post_trace, post_spiked, tag=None):
        super().__init__(tag=tag)
        self.rule = rule
        self.pre_idx = pre_idx
        self.post_idx = post_idx
        self.delays = delays
        self.dt_ms = dt_ms
        self.sets = []
        self.incs = [weights]
        self.reads = [pre_out, post_out, step]
        self.updates = [pre_trace, pre_last, post_trace, post_spiked]

    def make_step(self, signals, dt, rng):
        r = self.rule
        pre, post, d = self.pre_idx, self.post_idx, self.delays
        dt_ms = self.dt_ms
        w = signals[self.incs[0]]
        pre_out, post_out, step = (signals[s] for s in self.reads)
        pre_tr, pre_last, xh, post_hist = (signals[s] for s in self.updates)
        H = xh.shape[0]
        dec = math.exp(-dt_ms / r.tau_minus)
        wmax = r.w_max

        def trace_now(i, s):
            return pre_tr[i] * _libm_exp(-(s - pre_last[i]) * dt_ms / r.tau_plus)

        def step_pair_stdp():
            s = int(step) - 1
            # 1. potentiation by postsynaptic spikes reaching their synapses now
            lag = s - d
            k = np.nonzero((lag >= 0) & post_hist[lag % H, post] & (pre_last[pre] >= 0))[0]
            if k.size:
                y = trace_now(pre[k], s)
                w[k] = potentiated(r, w[k], y, wmax)
            # 2. depression by presynaptic spikes of this step (then the weight is delivered)
            fired = pre_out != 0
            k = np.nonzero(fired[pre] & (lag >= 0))[0]
            if k.size:
                x = xh[lag[k] % H, post[k]]
                w[k] = depressed(r, w[k], x, wmax)
            # 3. traces include this step's spikes from now on
            advance_traces(s, fired, post_out != 0, pre_tr, pre_last, trace_now, xh, post_hist,
                           dec)

        return step_pair_stdp


def pair_trace_signals(model, rule):
    """Add the pair-STDP trace signals of a learning rule on an `IRConnection` to `model`.

    Parameters
    ----------
    model : nengo.builder.Model
    rule : nengo.connection.LearningRule
        A pair-STDP-family rule (`PairSTDP`, `ConsolidatingPairSTDP`).

    Returns
    -------
    pre_idx, post_idx : ndarray of int, shape (n_synapses,)
        Pre- and postsynaptic index of every synapse.
    delays : ndarray of int64, shape (n_synapses,)
        Synaptic delays, steps.
    traces : list of Signal
        ``pre_trace`` (n_pre,), ``pre_last`` (n_pre,), ``post_trace`` (H, n_post) and
        ``post_spiked`` (H, n_post), H = max delay + 2 steps of history.
    """
    conn = rule.connection
    sparse = conn.transform.init
    post_idx, pre_idx = sparse.indices[:, 0], sparse.indices[:, 1]
    delays = np.asarray(conn.delays, np.int64)
    n_pre, n_post = conn.pre.size_out, conn.post.size_in
    H = (int(delays.max()) if delays.size else 1) + 2
    sig = model.sig[rule]
    sig["pre_trace"] = Signal(np.zeros(n_pre), name=f"{rule}.pre_trace")
    sig["pre_last"] = Signal(np.full(n_pre, -1, np.int64), name=f"{rule}.pre_last")
    sig["post_trace"] = Signal(np.zeros((H, n_post)), name=f"{rule}.post_trace")
    sig["post_spiked"] = Signal(np.zeros((H, n_post), bool), name=f"{rule}.post_spiked")
    traces = [sig[k] for k in ("pre_trace", "pre_last", "post_trace", "post_spiked")]
    return pre_idx, post_idx, delays, traces


@Builder.register(PairSTDP)
def build_pair_stdp(model, stdp, rule):
    """Build `PairSTDP` on an `IRConnection`: trace signals and one `SimPairSTDP` operator."""
    conn = rule.connection
    pre_idx, post_idx, delays, traces = pair_trace_signals(model, rule)
    model.add_op(SimPairSTDP(
        stdp, pre_idx, post_idx, delays, ir_dt_ms(model), model.sig[conn]["weights"],
        model.sig[conn.pre_obj]["out"], model.sig[conn.post_obj]["out"], model.step,
        *traces, tag=f"{conn}.PairSTDP"))
