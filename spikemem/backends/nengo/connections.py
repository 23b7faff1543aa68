"""IR projections as Nengo connections, and the network that delivers their spikes.

`IRConnection` is a ``nengo.Connection`` between two ``Neurons`` objects whose sparse
transform holds the projection's synapses (indices and weights, nA) and which adds what a plain
Nengo connection lacks: the receptor and a delay per synapse (integer steps >= 1). Its
build function creates the weights signal (and builds a `PairSTDP` rule if it has one).

Spikes are delivered by `DeliverSpikes` operators, one per presynaptic ensemble, created by
the build function of `IRNetwork` (a ``nengo.Network``) once all connections are built. In
the step of a spike, each operator adds the weights of the firing neurons' synapses to the
target ensembles' delay lines, ``d`` steps ahead (see `spikemem.backends.nengo.neurons`), in the
order of the Numba engine's ring buffer: presynaptic neuron, then static before plastic
connections in network order, then synapse order. The operators are chained (each reads a
token the previous one sets) in the order of the presynaptic ensembles, so every arrival sum
is accumulated in exactly the same floating-point order as in the Numba engine.
"""
from __future__ import annotations

import numpy as np
import nengo
from nengo.builder import Builder, Operator, Signal
from nengo.builder.connection import BuiltConnection
from nengo.builder.network import build_network
from nengo.params import EnumParam, NdarrayParam
from nengo.transforms import Sparse

__all__ = ["IRConnection", "IRNetwork", "DeliverSpikes"]


class IRConnection(nengo.Connection):
    """A projection of the IR between two ``Neurons`` objects.

    Parameters
    ----------
    pre, post : nengo.ensemble.Neurons
    pre_idx, post_idx : array_like of int, shape (n,)
        Presynaptic and postsynaptic neuron of each synapse.
    weights : array_like of float, shape (n,)
        Weights, nA (>= 0; the receptor gives the sign).
    delays : array_like of int, shape (n,)
        Delays, whole time steps (>= 1).
    receptor : {"excitatory", "inhibitory"}
    learning_rule_type : PairSTDP, optional
    label : str, optional
    """

    receptor = EnumParam("receptor", values=("excitatory", "inhibitory"), readonly=True)
    delays = NdarrayParam("delays", shape=("*",), readonly=True)

    def __init__(self, pre, post, pre_idx, post_idx, weights, delays,
                 receptor="excitatory", learning_rule_type=None, label=None):
        indices = np.stack([np.asarray(post_idx, np.int64), np.asarray(pre_idx, np.int64)],
                           axis=1).reshape(-1, 2)
        transform = Sparse((post.size_in, pre.size_out), indices=indices,
                           init=np.asarray(weights, float))
        super().__init__(pre, post, synapse=None, transform=transform,
                         learning_rule_type=learning_rule_type, label=label)
        self.receptor = receptor
        self.delays = np.asarray(delays, np.int64)


@Builder.register(IRConnection)
def build_ir_connection(model, conn):
    """Build an `IRConnection`: its weights signal and its learning rule, if any.

    Delivery is added by the `IRNetwork` build function.
    """
    weights = Signal(np.array(conn.transform.init.data, float), name=f"{conn}.weights")
    model.sig[conn]["weights"] = weights
    model.sig[conn]["in"] = model.sig[conn.pre_obj]["out"]
    model.params[conn] = BuiltConnection(eval_points=None, solver_info=None,
                                         weights=conn.transform.init.data, transform=None)
    if conn.learning_rule_type is not None:
        rule = conn.learning_rule
        model.params[rule] = None
        model.build(rule.learning_rule_type, rule)


class DeliverSpikes(Operator):
    """Deliver the spikes of one presynaptic ensemble through its `IRConnection` objects.

    1. sets ``[token_out]``
    2. incs ``[delay lines of the target ensembles]``
    3. reads ``[pre_out, step, weights..., token_in (if chained)]``
    4. updates ``[]``

    Parameters
    ----------
    plan : dict
        Arrays sorted in delivery order (presynaptic neuron, connection, synapse):
        ``indptr`` (CSR over presynaptic neurons), ``conn`` (index into `weights`), ``syn``
        (synapse index within it), ``line`` (index into `lines`), ``post`` and ``delay``.
    """

    def __init__(self, plan, pre_out, step, weights, lines, token_in, token_out, tag=None):
        super().__init__(tag=tag)
        self.plan = plan
        self.n_weights = len(weights)
        self.sets = [token_out]
        self.incs = list(lines)
        self.reads = [pre_out, step] + list(weights) + ([token_in] if token_in is not None
                                                        else [])
        self.updates = []

    def make_step(self, signals, dt, rng):
        p = self.plan
        token = signals[self.sets[0]]
        lines = [signals[s] for s in self.incs]
        pre_out, step = signals[self.reads[0]], signals[self.reads[1]]
        weights = [signals[s] for s in self.reads[2:2 + self.n_weights]]
        indptr, conn, syn, line, post, delay = (p[k] for k in
                                                ("indptr", "conn", "syn", "line", "post",
                                                 "delay"))

        def step_deliver_spikes():
            s = int(step) - 1
            token[...] = s
            counts = np.rint(pre_out * dt).astype(np.int64)
            fired = np.nonzero(counts)[0]
            if not fired.size:
                return
            fired = np.repeat(fired, counts[fired])
            starts, stops = indptr[fired], indptr[fired + 1]
            n = stops - starts
            if not n.sum():
                return
            e = np.repeat(starts - np.cumsum(n) + n, n) + np.arange(n.sum())
            w = np.empty(e.size)
            for c, wc in enumerate(weights):
                sel = conn[e] == c
                w[sel] = wc[syn[e[sel]]]
            for k, ring in enumerate(lines):
                sel = line[e] == k
                ek = e[sel]
                np.add.at(ring, ((s + delay[ek]) % ring.shape[0], post[ek]), w[sel])

        return step_deliver_spikes


class IRNetwork(nengo.Network):
    """A Nengo network built from the IR (`spikemem.backends.nengo.simulator`).

    Parameters
    ----------
    dt_ms : float
        The IR's time step, ms (used by the builders instead of ``model.dt * 1000``).
    max_delay_steps : int
        Longest synaptic delay, steps (sets the length of the neurons' delay lines).
    pre_order : list of nengo.Ensemble
        Presynaptic ensembles in the IR's node order (populations, then sources).
    drives : dict of nengo.Ensemble to (int, list of LoweredDrive)
        Per population ensemble: its first global neuron index and its Poisson drives
        (`spikemem.lowering.LoweredDrive`, in network order), read by `IFCurrExp`'s builder.
    """

    def __init__(self, dt_ms: float, max_delay_steps: int, label=None, seed=None):
        super().__init__(label=label, seed=seed)
        self.dt_ms = float(dt_ms)
        self.max_delay_steps = int(max_delay_steps)
        self.pre_order = []
        self.drives = {}


def _delivery_plan(ens, conns, model):
    """Arrays of a `DeliverSpikes` operator for the connections leaving `ens`."""
    lines, line_of = [], {}
    parts = []
    for c, conn in enumerate(conns):
        key = (conn.post_obj, conn.receptor)
        if key not in line_of:
            line_of[key] = len(lines)
            ring = "ring_E" if conn.receptor == "excitatory" else "ring_I"
            lines.append(model.sig[conn.post_obj][ring])
        idx = conn.transform.init.indices
        n = idx.shape[0]
        parts.append((idx[:, 1], np.full(n, c), np.arange(n), np.full(n, line_of[key]),
                      idx[:, 0], np.asarray(conn.delays, np.int64)))
    pre, conn, syn, line, post, delay = (np.concatenate([pt[k] for pt in parts]).astype(np.int64)
                                         for k in range(6))
    order = np.lexsort((syn, conn, pre))
    indptr = np.zeros(ens.n_neurons + 1, np.int64)
    np.cumsum(np.bincount(pre, minlength=ens.n_neurons), out=indptr[1:])
    plan = {"indptr": indptr, "conn": conn[order], "syn": syn[order], "line": line[order],
            "post": post[order], "delay": delay[order]}
    return plan, lines


@Builder.register(IRNetwork)
def build_ir_network(model, network, progress=None):
    """Build an `IRNetwork`: Nengo's network build, then one `DeliverSpikes` per pre ensemble."""
    build_network(model, network, progress=progress)
    token = None
    ir_conns = [c for c in network.all_connections if isinstance(c, IRConnection)]
    for ens in network.pre_order:
        out = [c for c in ir_conns
               if c.pre_obj.ensemble is ens and c.transform.init.indices.shape[0] > 0]
        conns = [c for c in out if c.learning_rule_type is None] + \
                [c for c in out if c.learning_rule_type is not None]
        if not conns:
            continue
        plan, lines = _delivery_plan(ens, conns, model)
        new_token = Signal(np.zeros(1), name=f"{ens}.delivered")
        model.add_op(DeliverSpikes(plan, model.sig[ens.neurons]["out"], model.step,
                                   [model.sig[c]["weights"] for c in conns], lines, token,
                                   new_token, tag=f"{ens}.deliver"))
        token = new_token
