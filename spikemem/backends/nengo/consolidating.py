"""The IR's `ConsolidatingSTDP` as a Nengo learning rule (fast, slow weight and tag).

`ConsolidatingPairSTDP` extends `PairSTDP` with the consolidation parameters; its build
function adds one `SimConsolidatingSTDP` operator per connection. The operator keeps, per
synapse, the fast weight, the slow weight, the tag and the step of the last update in its own
signals, and does in each step what the Numba kernels do (`spikemem.synapses`, "Consolidating
STDP"), with the same floating-point operations:

1. for every synapse whose postsynaptic spike reaches it in this step (and whose presynaptic
   neuron has fired before): relax the fast weight and the tag to this step, potentiate the
   fast weight (upper bound ``w_max - slow``), add the presynaptic trace to the tag and, at
   the tag threshold, move part of the fast weight into the slow weight;
2. for every synapse of a presynaptic neuron firing in this step: relax, depress (once the
   step is past the synapse's delay) and write ``fast + slow`` into the connection's weights
   signal, which `DeliverSpikes` then delivers (depress, then deliver);
3. add this step's spikes to the traces (as `SimPairSTDP`).

The connection's weights signal holds the delivered weight of each synapse as of its last
presynaptic spike; `state` gives the components at any step.
"""
from __future__ import annotations

import numpy as np
from nengo.builder import Builder, Operator, Signal
from nengo.params import NumberParam

from ...synapses import ConsolidatingSTDP
from ..consolidating import ConsolidatingState, libm_exp
from .learning import PairSTDP, advance_traces, depressed, pair_trace_signals, potentiated
from .neurons import ir_dt_ms

__all__ = ["ConsolidatingPairSTDP", "SimConsolidatingSTDP", "learning_rule_for"]


class ConsolidatingPairSTDP(PairSTDP):
    """The IR's consolidating STDP rule (parameters as in `spikemem.ConsolidatingSTDP`)."""

    decay_rate = NumberParam("decay_rate", low=0, readonly=True)
    w_base = NumberParam("w_base", low=0, readonly=True)
    tag_rate = NumberParam("tag_rate", low=0, readonly=True)
    tag_threshold = NumberParam("tag_threshold", low=0, readonly=True)
    transfer_fraction = NumberParam("transfer_fraction", low=0, readonly=True)
    w_slow_max = NumberParam("w_slow_max", low=0, readonly=True)
    slow_weight = NumberParam("slow_weight", low=0, readonly=True)

    def __init__(self, syn: ConsolidatingSTDP):
        super().__init__(tau_plus=syn.tau_plus, tau_minus=syn.tau_minus, A_plus=syn.A_plus,
                         A_minus=syn.A_minus, w_min=syn.w_min, w_max=syn.w_max,
                         multiplicative=syn.multiplicative)
        self.decay_rate = 1.0 / syn.tau_decay
        self.w_base = syn.w_base
        self.tag_rate = 1.0 / syn.tau_tag
        self.tag_threshold = syn.tag_threshold
        self.transfer_fraction = syn.transfer_fraction
        self.w_slow_max = syn.w_slow_max
        self.slow_weight = syn.slow_weight

    @property
    def _argreprs(self) -> list:
        # stable across builds (Nengo's default names the object by its address)
        return [f"{name}={getattr(self, name)!r}" for name in
                ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max",
                 "multiplicative", "decay_rate", "w_base", "tag_rate", "tag_threshold",
                 "transfer_fraction", "w_slow_max", "slow_weight")]


def learning_rule_for(synapse):
    """The Nengo learning rule of a plastic IR synapse."""
    if isinstance(synapse, ConsolidatingSTDP):
        return ConsolidatingPairSTDP(synapse)
    return PairSTDP.from_ir(synapse)


class SimConsolidatingSTDP(Operator):
    """One step of `ConsolidatingPairSTDP` on one connection (see module docstring).

    1. sets ``[]``
    2. incs ``[weights]``
    3. reads ``[pre_out, post_out, step]``
    4. updates ``[pre_trace, pre_last, post_trace, post_spiked, fast, slow, tag, last]``
    """

    def __init__(self, rule, pre_idx, post_idx, delays, dt_ms, weights, pre_out, post_out,
                 step, traces, state, tag=None):
        super().__init__(tag=tag)
        self.rule = rule
        self.pre_idx, self.post_idx, self.delays, self.dt_ms = pre_idx, post_idx, delays, dt_ms
        self.sets = []
        self.incs = [weights]
        self.reads = [pre_out, post_out, step]
        self.updates = list(traces) + list(state)

    def make_step(self, signals, dt, rng):
        r = self.rule
        pre, post, d, dt_ms = self.pre_idx, self.post_idx, self.delays, self.dt_ms
        w = signals[self.incs[0]]
        pre_out, post_out, step = (signals[s] for s in self.reads)
        pre_tr, pre_last, xh, post_hist, fast, slow, tag, last = \
            (signals[s] for s in self.updates)
        H = xh.shape[0]
        dec = float(libm_exp(-dt_ms / r.tau_minus))
        wmax, wb = r.w_max, r.w_base

        def trace_now(i, s):
            return pre_tr[i] * libm_exp(-(s - pre_last[i]) * dt_ms / r.tau_plus)

        def relax(k, s):
            n = s - last[k]
            moved = n > 0
            if r.decay_rate > 0.0 and np.any(moved):
                km = k[moved]
                fast[km] = wb + (fast[km] - wb) * libm_exp(-n[moved] * dt_ms * r.decay_rate)
            if r.tag_rate > 0.0 and np.any(moved):
                km = k[moved]
                tag[km] = tag[km] * libm_exp(-n[moved] * dt_ms * r.tag_rate)
            last[k] = s

        def step_consolidating_stdp():
            s = int(step) - 1
            lag = s - d
            # 1. potentiation, tag and transfer
            k = np.nonzero((lag >= 0) & post_hist[lag % H, post] & (pre_last[pre] >= 0))[0]
            if k.size:
                y = trace_now(pre[k], s)
                relax(k, s)
                fk = potentiated(r, fast[k], y, wmax - slow[k])
                tk = tag[k] + y
                full = tk >= r.tag_threshold
                excess = fk - wb
                move = full & (excess > 0.0)
                if np.any(move):
                    sk = slow[k]
                    ws = np.minimum(sk[move] + r.transfer_fraction * excess[move], r.w_slow_max)
                    fk[move] -= ws - sk[move]
                    sk[move] = ws
                    slow[k] = sk
                tk[full] = 0.0
                fast[k] = fk
                tag[k] = tk
            # 2. relax, depress and deliver the synapses of this step's presynaptic spikes
            fired = pre_out != 0
            k = np.nonzero(fired[pre])[0]
            if k.size:
                relax(k, s)
                kd = k[lag[k] >= 0]
                if kd.size:
                    x = xh[lag[kd] % H, post[kd]]
                    fast[kd] = depressed(r, fast[kd], x, wmax - slow[kd])
                w[k] = fast[k] + slow[k]
            # 3. traces include this step's spikes from now on
            advance_traces(s, fired, post_out != 0, pre_tr, pre_last, trace_now, xh, post_hist,
                           dec)

        return step_consolidating_stdp


@Builder.register(ConsolidatingPairSTDP)
def build_consolidating_stdp(model, rule_type, rule):
    """Build `ConsolidatingPairSTDP` on an `IRConnection`: traces, state and the operator."""
    conn = rule.connection
    pre_idx, post_idx, delays, traces = pair_trace_signals(model, rule)
    sig, n = model.sig[rule], pre_idx.size
    fast0 = np.array(conn.transform.init.data, float)   # the IR weight is the initial fast one
    init = ConsolidatingState(fast0, np.full(n, rule_type.slow_weight), np.zeros(n),
                              np.zeros(n, np.int64))
    for name in ("fast", "slow", "tag", "last"):
        sig[name] = Signal(getattr(init, name), name=f"{rule}.{name}")
    model.add_op(SimConsolidatingSTDP(
        rule_type, pre_idx, post_idx, delays, ir_dt_ms(model), model.sig[conn]["weights"],
        model.sig[conn.pre_obj]["out"], model.sig[conn.post_obj]["out"], model.step,
        traces,
        [sig[k] for k in ("fast", "slow", "tag", "last")], tag=f"{conn}.ConsolidatingSTDP"))
