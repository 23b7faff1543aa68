"""Spike-based logic blocks of sPyBlocks 0.0.1 as IR populations (for the DG-CA3-CA1 memory).

sPyBlocks builds every gate as its own one-neuron PyNN population; here each kind of gate is
one population (gate ``j`` = neuron ``j``) and every wire is an explicit `FromList` entry with
the weight and delay sPyBlocks gives it. The wiring follows sPyBlocks' code:

* constant spike source (``constant_spike_source.py``): a source spiking once at 1 ms sets an
  SR latch (``neural_latch_sr.py``: one neuron exciting itself), which then fires every step;
* binary decoder (``neural_decoder.py``, classic AND): ``n`` NOT gates (excited by the constant
  source, inhibited by input bit ``i``) and ``2**n`` AND gates, AND ``j`` = an OR neuron plus
  an output neuron; AND ``j``'s inputs are input bit ``i`` where bit ``i`` of ``j`` is 1 and
  NOT ``i`` where it is 0. The OR neuron sees every input one step before the output neuron
  and inhibits it with weight ``n - 1``, so the output fires only when all ``n`` inputs do;
* binary encoder (``neural_encoder.py``): ``n`` OR gates, OR ``k`` driven by every line whose
  code has bit ``k`` set.

Delays (``d`` = the standard connection's delay): input -> NOT ``d``; NOT -> OR ``d``,
NOT -> AND ``2d``; input -> OR ``2d``, input -> AND ``3d``; OR -> AND (inhibitory) ``d``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import spikemem as sm
from spikemem.errors import ValidationError, check_int

__all__ = ["bit", "code_bits", "wire", "ConstantSource", "Decoder", "constant_source",
           "decoder", "encoder_inputs"]


def bit(code: int, k: int) -> int:
    """Bit `k` (0 = least significant) of the non-negative integer `code`."""
    return (check_int("bit", "code", code, 0) >> check_int("bit", "k", k, 0)) & 1


def code_bits(code: int, width: int) -> list:
    """Indices ``k < width`` of the bits of `code` (>= 0) that are 1."""
    code = check_int("code_bits", "code", code, 0)
    return [k for k in range(check_int("code_bits", "width", width, 0)) if (code >> k) & 1]


def wire(net, pre, post, pre_idx, post_idx, weight, delay, receptor="excitatory", label=None):
    """Add a static `FromList` projection ``pre[pre_idx[m]] -> post[post_idx[m]]``.

    `weight` (nA) and `delay` (ms) are scalars or arrays of the same length. Nothing is added
    when the lists are empty. Returns the projection or None.
    """
    pre_idx = np.asarray(pre_idx, np.int64)
    if pre_idx.size == 0:
        return None
    conn = sm.FromList(pre_idx, np.asarray(post_idx, np.int64), weight=weight, delay=delay)
    return net.add(sm.Projection(pre, post, conn, sm.StaticSynapse(), receptor=receptor,
                                 label=label))


@dataclass(frozen=True)
class ConstantSource:
    """Populations of a constant spike source: ``set`` (a one-spike source) and ``latch``."""

    set: object
    latch: object


def constant_source(net, cell, v_init: float, weight: float, delay: float,
                    prefix: str = "CSS") -> ConstantSource:
    """Add sPyBlocks' constant spike source: the latch fires every step from ``1 + delay`` ms.

    Parameters
    ----------
    net : spikemem.Network
    cell : spikemem.IF_curr_exp
        Cell of the latch neuron.
    v_init : float
        Initial membrane potential of the latch, mV.
    weight, delay : float
        The standard connection (nA, ms) of set -> latch and latch -> latch.
    prefix : str
        Label prefix: ``<prefix>_set``, ``<prefix>_latch``.
    """
    src = net.add(sm.SpikeSourceArray([[1.0]], label=f"{prefix}_set"))
    latch = net.add(sm.Population(1, cell, label=f"{prefix}_latch", initial_v=v_init))
    wire(net, src, latch, [0], [0], weight, delay, label=f"{prefix}_set-latch")
    wire(net, latch, latch, [0], [0], weight, delay, label=f"{prefix}_latch-latch")
    return ConstantSource(src, latch)


@dataclass(frozen=True)
class Decoder:
    """Populations of a binary decoder: ``not_`` (n), ``or_`` and ``and_`` (2**n each)."""

    not_: object
    or_: object
    and_: object

    @property
    def n_inputs(self) -> int:
        return self.not_.size


def decoder(net, n_inputs: int, cell, v_init: float, weight: float, delay: float,
            inputs, source: ConstantSource, prefix: str = "DG") -> Decoder:
    """Add sPyBlocks' classic-AND binary decoder of `n_inputs` lines.

    Parameters
    ----------
    net : spikemem.Network
    n_inputs : int
        Number of input bits ``n`` (>= 1); the decoder has ``2**n`` outputs.
    cell : spikemem.IF_curr_exp
        Cell of every gate neuron.
    v_init : float
        Initial membrane potential of the gates, mV.
    weight, delay : float
        The standard connection (nA, ms).
    inputs : Population, spike source or PopulationView, size n_inputs
        Input bit ``i`` is neuron ``i``.
    source : ConstantSource
        Excites the NOT gates (both its set source and its latch, as sPyBlocks wires them).
    prefix : str
        Labels ``<prefix>_NOT``, ``<prefix>_OR``, ``<prefix>_AND``.

    Returns
    -------
    Decoder
        AND gate ``j`` fires 3 delays after input code ``j`` arrives.
    """
    n = check_int("decoder", "n_inputs", n_inputs, 1)
    n_out = 2 ** n
    if inputs.size != n:
        raise ValidationError(f"decoder: inputs must have n_inputs = {n} neurons, got {inputs.size}")
    not_ = net.add(sm.Population(n, cell, label=f"{prefix}_NOT", initial_v=v_init))
    or_ = net.add(sm.Population(n_out, cell, label=f"{prefix}_OR", initial_v=v_init))
    and_ = net.add(sm.Population(n_out, cell, label=f"{prefix}_AND", initial_v=v_init))
    rng = np.arange(n)
    wire(net, inputs, not_, rng, rng, weight, delay, "inhibitory", f"{prefix}_IN-NOT")
    for src in (source.set, source.latch):
        wire(net, src, not_, np.zeros(n, np.int64), rng, weight, delay,
             label=f"{prefix}_{src.label}-NOT")
    zeros = [(i, j) for i in range(n) for j in range(n_out) if not bit(j, i)]
    ones = [(i, j) for i in range(n) for j in range(n_out) if bit(j, i)]
    for (pairs, pre, name, d_or, d_and) in ((zeros, not_, "NOT", delay, 2 * delay),
                                            (ones, inputs, "IN", 2 * delay, 3 * delay)):
        pi = [i for i, _ in pairs]
        pj = [j for _, j in pairs]
        wire(net, pre, or_, pi, pj, weight, d_or, label=f"{prefix}_{name}-OR")
        wire(net, pre, and_, pi, pj, weight, d_and, label=f"{prefix}_{name}-AND")
    gates = np.arange(n_out)
    wire(net, or_, and_, gates, gates, float(n - 1), delay, "inhibitory", f"{prefix}_OR-AND")
    return Decoder(not_, or_, and_)


def encoder_inputs(n_lines: int, width: int, first_code: int = 1):
    """Wiring of a binary encoder: line ``m`` (code ``first_code + m``) -> OR gate of each 1 bit.

    Returns
    -------
    pre, post : list of int
        Line indices and OR-gate indices, one entry per wire.
    """
    n_lines = check_int("encoder_inputs", "n_lines", n_lines, 1)
    width = check_int("encoder_inputs", "width", width, 1)
    first_code = check_int("encoder_inputs", "first_code", first_code, 0)
    if first_code + n_lines - 1 >= 2 ** width:
        raise ValidationError(f"encoder_inputs: codes up to {first_code + n_lines - 1} do not fit in "
                         f"{width} bits")
    pre, post = [], []
    for m in range(n_lines):
        for k in code_bits(first_code + m, width):
            pre.append(m)
            post.append(k)
    return pre, post
