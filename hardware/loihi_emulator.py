"""Run a `LoihiNetwork` on nengo-loihi's bit-accurate Loihi emulator (the peer check).

The quantised network is handed to nengo-loihi 1.1 at the level of its chip model: one
``LoihiBlock`` of integer compartments (``decay_u``/``decay_v``/``vth``/``bias``/
``refract_delay``) per population, one ``Synapse`` of integer weights (``sign * mant <<
(6 + exp)``) per projection and delay, ``Axon`` objects for the spikes and ``SpikeInput``
objects for the spike sources; ``nengo_loihi.emulator.EmulatorInterface`` then steps it.
nengo-loihi's builder is bypassed (it would re-discretise a Nengo model with its own scaling).

The emulator has no synaptic delays (its input buffer is one step deep): a delay of ``d``
steps from a population is built as a chain of ``d - 1`` relay compartments per presynaptic
neuron, each of which fires exactly one step after its input (``du = dv = 4095``,
``vth = 64``, weight 128; relay spikes are not recorded); from a spike source, as a copy of the
source's ``SpikeInput`` shifted by ``d - 1`` steps. Emulator step ``k + 1`` is the IR's step
``k``.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from spikemem.errors import ValidationError
from spikemem.loihi_formats import DU_MAX, DV_MAX, V_LIMIT, VTH_SHIFT
from spikemem.lowering import lower, spike_steps
from spikemem.recording import Recording

__all__ = ["run_nengo_loihi_emulator"]

_RELAY_WEIGHT = 128
_RELAY_VTH = 1 << VTH_SHIFT


def _int_block(size: int, label: str, du, dv, vth, bias, ref):
    from nengo_loihi.block import LoihiBlock

    block = LoihiBlock(size, label=label)
    comp = block.compartment
    comp.decay_u = np.full(size, du, np.int32)
    comp.decay_v = np.full(size, dv, np.int32)
    comp.vth = np.full(size, vth, np.int32)
    comp.bias = np.full(size, bias, np.int32)
    comp.refract_delay = np.full(size, ref, np.int32)
    comp.scale_u = False
    comp.scale_v = False
    comp.vmin = -V_LIMIT
    comp.vmax = V_LIMIT
    return block


def _connect(source, n_pre: int, post_block, pre, post, weight, label: str) -> None:
    """Synapses pre -> post (local indices) with integer weights, one Synapse per layer of
    repeated (pre, post) pairs (the emulator does not accumulate repeated indices in a row)."""
    from nengo_loihi.block import Axon, Synapse

    order = np.lexsort((post, pre))
    pre, post, weight = pre[order], post[order], weight[order]
    pair = pre * (post.max(initial=0) + 1) + post
    first = np.r_[True, pair[1:] != pair[:-1]]
    rank = np.arange(pair.size) - np.maximum.accumulate(np.where(first, np.arange(pair.size), 0))
    for r in range(int(rank.max(initial=-1)) + 1):
        sel = rank == r
        p, q, w = pre[sel], post[sel], weight[sel]
        rows_w, rows_i = [], []
        for i in range(n_pre):
            m = p == i
            rows_w.append(w[m].astype(np.int32))
            rows_i.append(q[m].astype(np.int32))
        syn = Synapse(n_pre, label=f"{label}#{r}")
        syn._set_weights_indices(rows_w, indices=rows_i, weight_dtype=np.int32, compression=0)
        post_block.add_synapse(syn)
        axon = Axon(n_pre, label=f"{label}#{r}")
        axon.target = syn
        source.add_axon(axon)


def run_nengo_loihi_emulator(loihi, duration: float, extra_spikes=None) -> Recording:
    """Simulate a quantised network on nengo-loihi's emulator and record its spikes.

    Parameters
    ----------
    loihi : LoihiNetwork
        Made by `to_loihi`.
    duration : float
        ms, a whole number of steps.
    extra_spikes : dict of str to (times, ids), optional
        Additional spikes (ms, neuron ids) of `SpikeSourceArray` sources, by label.

    Returns
    -------
    Recording
        Spikes of every population and source (times in ms, IR step numbering) and membrane
        traces (mV) of populations that record ``"v"``.
    """
    from nengo_loihi.emulator.interface import EmulatorInterface
    from nengo_loihi.inputs import SpikeInput

    net, dt = loihi.network, loihi.dt
    n_steps = int(round(duration / dt))
    if n_steps <= 0 or abs(n_steps * dt - duration) > 1e-6 * dt:
        raise ValidationError(f"run_nengo_loihi_emulator: duration must be a positive multiple "
                              f"of dt = {dt} ms, got {duration!r}")
    blocks, groups = [], {}
    for p in loihi.populations:
        block = _int_block(p.size, p.label, p.du, p.dv, p.vth, p.bias, p.refract_delay)
        blocks.append(block)
        groups[p.label] = (block, p.size)
    max_delay = {}
    for pr in loihi.projections:
        if pr.size:
            max_delay[pr.pre] = max(max_delay.get(pr.pre, 1), int(pr.delay.max()))
    # delayed[label][k - 1] emits the spikes of `label` k steps late: a shifted SpikeInput for a
    # source (exact, repeated spikes included), a chain of relay compartments for a population
    inputs, src_spikes, delayed = [], {}, {}
    extra_spikes = extra_spikes or {}
    injected = {label: [(spike_steps(t, dt), np.asarray(i, np.int64))]
                for label, (t, i) in extra_spikes.items()}
    low = lower(net, owner="run_nengo_loihi_emulator")
    for s in net.sources:
        steps, ids = low.source_window(s.label, 0, n_steps, injected)
        src_spikes[s.label] = (steps, ids)
        shifted = []
        for shift in range(max_delay.get(s.label, 1)):
            inp = SpikeInput(s.size, label=f"{s.label}+{shift}")
            for k in np.unique(steps):
                inp.add_spikes(int(k) + 1 + shift, ids[steps == k].tolist())
            inputs.append(inp)
            shifted.append(inp)
        groups[s.label] = (shifted[0], s.size)
        delayed[s.label] = shifted[1:]

    for p in loihi.populations:
        dmax = max_delay.get(p.label, 1)
        src, n = groups[p.label]
        chain = []
        for k in range(1, dmax):
            relay = _int_block(n, f"{p.label}+{k}", DU_MAX, DV_MAX, _RELAY_VTH, 0, 1)
            idx = np.arange(n)
            _connect(src, n, relay, idx, idx, np.full(n, _RELAY_WEIGHT), f"{p.label}>relay{k}")
            blocks.append(relay)
            chain.append(relay)
            src = relay
        delayed[p.label] = chain

    for pr in loihi.projections:
        post_block, _ = groups[pr.post]
        _, n_pre = groups[pr.pre]
        w = pr.weight
        for d in np.unique(pr.delay):
            sel = pr.delay == d
            source = groups[pr.pre][0] if d == 1 else delayed[pr.pre][d - 2]
            _connect(source, n_pre, post_block, pr.pre_idx[sel], pr.post_idx[sel], w[sel],
                     f"{pr.label}@{d}")

    model = SimpleNamespace(blocks=blocks, inputs=inputs, probes=[], dt=dt / 1000.0)
    emu = EmulatorInterface(model, seed=0)
    for p in loihi.populations:
        emu.compartment.voltage[emu.block_info.slices[groups[p.label][0]]] = p.v_init

    sizes = {p.label: p.size for p in net.populations}
    sizes.update({s.label: s.size for s in net.sources})
    rec = Recording(dt, sizes, {"network": net.label, "backend": "nengo-loihi emulator"})
    traced = [p for p in loihi.populations if "v" in net[p.label].record]
    v_out = {p.label: np.empty((n_steps, p.size)) for p in traced}
    spikes = {p.label: ([], []) for p in loihi.populations}
    for k in range(n_steps):
        emu.step()
        for p in loihi.populations:
            sl = emu.block_info.slices[groups[p.label][0]]
            fired = np.flatnonzero(emu.compartment.spiked[sl])
            spikes[p.label][0].append(np.full(fired.size, k * dt))
            spikes[p.label][1].append(fired)
            if p.label in v_out:
                v_out[p.label][k] = p.v_to_mV(emu.compartment.voltage[sl])
    emu.close()
    for p in loihi.populations:
        if "spikes" in net[p.label].record:
            rec.add_spikes(p.label, np.concatenate(spikes[p.label][0]),
                           np.concatenate(spikes[p.label][1]))
        if p.label in v_out:
            rec.add_v(p.label, np.arange(n_steps) * dt, v_out[p.label])
    for label, (steps, ids) in src_spikes.items():
        order = np.lexsort((ids, steps))
        rec.add_spikes(label, steps[order] * dt, ids[order])
    rec.t_stop = n_steps * dt
    return rec
