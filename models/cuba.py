"""The CUBA benchmark network (Vogels & Abbott 2005, as in Brian2's example) in the IR.

CUBA is the standard benchmark of spiking simulators: a random network of leaky
integrate-and-fire neurons, 80 % excitatory and 20 % inhibitory, coupled by current-based
exponential synapses, whose resting potential lies above threshold so that it fires on its
own and is held in an asynchronous irregular state by recurrent inhibition.
"""
from __future__ import annotations

import numpy as np

from spikemem.connectors import FixedProbability
from spikemem.errors import ValidationError, check_int, check_positive
from spikemem.network import Network, Population, Projection
from spikemem.neurons import IF_curr_exp
from spikemem.synapses import StaticSynapse

__all__ = ["build_cuba", "CUBA_CELL", "EXCITATORY_FRACTION", "W_EXC_MV", "W_INH_MV",
           "W_EXC_NA", "W_INH_NA"]

#: Cell parameters of every CUBA neuron (Brian2's example: taum = 20 ms, El = -49 mV,
#: Vt = -50 mV, Vr = -60 mV, refractory 5 ms, taue = 5 ms, taui = 10 ms), with cm = 1 nF.
CUBA_CELL = IF_curr_exp(cm=1.0, tau_m=20.0, tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0,
                        v_rest=-49.0, v_reset=-60.0, v_thresh=-50.0, i_offset=0.0)

#: Fraction of the neurons that are excitatory (the first ones).
EXCITATORY_FRACTION = 0.8

#: Brian2's voltage jumps: we = 60 * 0.27 / 10 mV and wi = -20 * 4.5 / 10 mV.
W_EXC_MV = 60 * 0.27 / 10
W_INH_MV = 20 * 4.5 / 10

#: The same jumps as IF_curr_exp current weights, nA (jump / R with R = tau_m / cm = 20 MΩ).
W_EXC_NA = W_EXC_MV / CUBA_CELL.R
W_INH_NA = W_INH_MV / CUBA_CELL.R


def build_cuba(n_neurons: int = 4000, p_connect: float | None = None,
               synapses_per_neuron: float | None = None, seed: int = 0,
               dt: float = 0.1) -> Network:
    """Build the CUBA network as an IR `Network`.

    One population ``"cuba"`` of `CUBA_CELL` neurons whose first ``0.8 * n_neurons``
    (rounded) are excitatory and the rest inhibitory, as in Brian2's ``P[:3200]`` /
    ``P[3200:]``, and two static projections onto the whole population:
    ``"exc"`` from the excitatory view (``excitatory`` receptor, `W_EXC_NA` = 0.081 nA) and
    ``"inh"`` from the inhibitory view (``inhibitory`` receptor, `W_INH_NA` = 0.45 nA).
    Every (pre, post) pair, self-pairs included as in Brian2's ``connect(p=...)``, is
    connected with probability `p_connect`, drawn by `FixedProbability` with seeds derived
    from `seed`. All delays are one step. Initial membrane potentials are uniform in
    ``[v_reset, v_thresh)`` = [-60, -50) mV, drawn from `seed`.

    Weights. Brian2's CUBA writes ``dv/dt = (ge + gi - (v - El)) / taum`` with
    ``dge/dt = -ge / taue`` and a presynaptic spike doing ``ge += we``, we = 1.62 mV
    (``gi += wi``, wi = -9 mV, with ``taui``): ``ge`` is a voltage. `IF_curr_exp` writes
    ``dv/dt = (v_rest - v) / tau_m + I / cm`` = ``(R I - (v - v_rest)) / tau_m`` with
    ``R = tau_m / cm``, so ``ge`` is ``R I_E``: a jump of ``we`` in ``ge`` is a jump of
    ``we / R`` in ``I_E``. With cm = 1 nF and tau_m = 20 ms, R = 20 MΩ and the weights are
    1.62 mV / 20 MΩ = 0.081 nA (excitatory) and 9 mV / 20 MΩ = 0.45 nA (inhibitory; the
    sign comes from the receptor). The IR's discrete synapse (`spikemem.neurons`) scales an
    arriving weight ``W`` by ``init = tau_syn (1 - exp(-dt/tau_syn)) / dt`` so that the
    charge it delivers, ``sum_k W init exp(-k dt/tau_syn) dt = W tau_syn``, equals the
    continuous current's ``W tau_syn``: the postsynaptic potentials match Brian2's to
    O(dt / tau_syn). One step of delay in the IR is Brian2's default (``delay = 0``):
    Brian2 applies ``on_pre`` after the step's state update, so the jump first acts in the
    next step, exactly as a one-step delay does here.

    Parameters
    ----------
    n_neurons : int
        Total number of neurons (>= 5, so that both groups are non-empty).
    p_connect : float, optional
        Connection probability in (0, 1]. Default 0.02 (Brian2's CUBA) unless
        `synapses_per_neuron` is given.
    synapses_per_neuron : float, optional
        Mean number of incoming synapses per neuron (> 0, <= `n_neurons`); sets
        ``p_connect = synapses_per_neuron / n_neurons``, to scale the network at constant
        in-degree (80 at N = 4000 is p = 0.02). Give at most one of the two.
    seed : int
        Seed of the connectivity and of the initial potentials (>= 0).
    dt : float
        Time step, ms (> 0).

    Returns
    -------
    Network
        Labelled ``"cuba"``, recording the spikes of population ``"cuba"``.

    Raises
    ------
    ValidationError
        Bad size, probability, in-degree, seed or dt, or both `p_connect` and
        `synapses_per_neuron` given.
    """
    owner = "build_cuba"
    n = check_int(owner, "n_neurons", n_neurons, minimum=5)
    seed = check_int(owner, "seed", seed, minimum=0)
    if p_connect is not None and synapses_per_neuron is not None:
        raise ValidationError(f"{owner}: give p_connect or synapses_per_neuron, not both "
                              f"(got {p_connect!r} and {synapses_per_neuron!r})")
    if synapses_per_neuron is not None:
        check_positive(owner, "synapses_per_neuron", synapses_per_neuron)
        if synapses_per_neuron > n:
            raise ValidationError(f"{owner}: synapses_per_neuron must be <= n_neurons ({n}), "
                                  f"got {synapses_per_neuron!r}")
        p = float(synapses_per_neuron) / n
    else:
        p = 0.02 if p_connect is None else p_connect
        check_positive(owner, "p_connect", p)
        if p > 1.0:
            raise ValidationError(f"{owner}: p_connect must lie in (0, 1], got {p!r}")
        p = float(p)
    n_exc = int(round(EXCITATORY_FRACTION * n))
    seq = np.random.SeedSequence(seed)
    seed_v, seed_e, seed_i = (int(s) for s in seq.generate_state(3))
    v0 = np.random.default_rng(seed_v).uniform(CUBA_CELL.v_reset, CUBA_CELL.v_thresh, n)

    net = Network(dt=dt, label="cuba")
    pop = net.add(Population(n, CUBA_CELL, label="cuba", initial_v=v0))
    net.add(Projection(pop[:n_exc], pop, FixedProbability(p, seed=seed_e),
                       StaticSynapse(weight=W_EXC_NA), receptor="excitatory", label="exc"))
    net.add(Projection(pop[n_exc:], pop, FixedProbability(p, seed=seed_i),
                       StaticSynapse(weight=W_INH_NA), receptor="inhibitory", label="inh"))
    return net
