"""Loihi fixed-point mode of the Numba engine: integer arithmetic as the chip computes it.

The simulator runs a network quantised by ``spikemem.hardware.to_loihi`` (a
`spikemem.loihi_formats.LoihiNetwork`: the records and register constants live below both the
backends and the hardware layer, so this module never imports the hardware layer). Node
offsets, delays and spike windows come from `spikemem.lowering`. Per step ``t`` and
compartment, with integers throughout (the update of nengo-loihi 1.1's emulator,
``emulator/interface.py``, and of Lava's ``PyLifModelBitAcc``):

1. ``q`` = sum of the signed integer weights arriving at step ``t``, wrapped to 21 bits + sign;
2. ``u <- sign(u) * ((|u| * (4095 - du)) >> 12) + q``, wrapped to 23 bits + sign;
3. ``u2 = u + bias``, wrapped to 23 bits + sign;
4. ``v <- sign(v) * ((|v| * (4096 - dv)) >> 12) + u2``, clipped to ``[-(2**23 - 1), 2**23 - 1]``;
5. if the compartment is refractory, ``v <- 0``;
6. if ``v > vth``: spike, ``v <- 0``, refractory counter ``<- refract_delay``;
7. the refractory counter is decremented (not below 0).

A spike at step ``t`` through a synapse of delay ``d`` steps arrives at step ``t + d``; spike
sources emit as in the float engine. Wrap-arounds are counted in ``overflows`` and reported
with a warning (the emulator's non-strict behaviour). Plastic projections run with the static
weights they were exported with.

Use it as ``spikemem.build(net, backend="loihi-fixed", loihi=to_loihi(net))`` or
``LoihiFixedPointSimulator(to_loihi(net))``.
"""
from __future__ import annotations

import warnings

import numpy as np
from numba import njit

from ...errors import UnsupportedFeature, ValidationError
from ...loihi_formats import Q_BITS, U_BITS, V_LIMIT, LoihiNetwork
from ...lowering import csr_order
from ...network import Network
from ..base import BaseSimulator

__all__ = ["LoihiFixedPointSimulator", "run_fixed_point_steps"]


@njit(cache=True)
def _wrap(x, bits):
    """Two's-complement wrap of `x` to `bits` bits plus sign (nengo-loihi overflow_signed)."""
    smask = np.int64(1) << bits
    return (x & (smask - 1)) - (x & smask)


@njit(cache=True)
def _decay(x, r):
    """``sign(x) * ((|x| * r) >> 12)``: decay with truncation towards zero."""
    if x >= 0:
        return (x * r) >> 12
    return -(((-x) * r) >> 12)


@njit(cache=True)
def run_fixed_point_steps(t0, t1, N, r_u, r_v, vth, bias, ref, u, v, ref_count, ring,
                          src_step, src_node, indptr, tgt, w, dly,
                          rec_mask, rec_step, rec_node, n_rec, vrec_idx, v_out, overflows):
    """Advance integer compartments over steps ``t0 .. t1-1``; return ``(t_reached, n_rec)``.

    ``r_u = 4095 - du`` and ``r_v = 4096 - dv`` per compartment; ``ring`` (L, N) int64 holds
    the summed input per arrival step; ``indptr/tgt/w/dly`` are synapses in CSR over nodes
    (compartments, then source neurons). ``overflows[0..2]`` count wraps of q, u and u + bias.
    Stops early when the spike record buffer might overflow.
    """
    L = ring.shape[0]
    n_nodes = indptr.shape[0] - 1
    cap = rec_step.shape[0]
    fired = np.empty(n_nodes, np.int64)
    src_ptr = 0
    while src_ptr < src_step.shape[0] and src_step[src_ptr] < t0:
        src_ptr += 1
    for t in range(t0, t1):
        if n_rec + n_nodes > cap:
            return t, n_rec
        slot = t % L
        n_fired = 0
        for j in range(N):
            q = ring[slot, j]
            ring[slot, j] = 0
            qw = _wrap(q, Q_BITS)
            if qw != q:
                overflows[0] += 1
            x = _decay(u[j], r_u[j]) + qw
            xw = _wrap(x, U_BITS)
            if xw != x:
                overflows[1] += 1
            u[j] = xw
            u2 = xw + bias[j]
            u2w = _wrap(u2, U_BITS)
            if u2w != u2:
                overflows[2] += 1
            vj = _decay(v[j], r_v[j]) + u2w
            if vj > V_LIMIT:
                vj = V_LIMIT
            elif vj < -V_LIMIT:
                vj = -V_LIMIT
            if ref_count[j] > 0:
                vj = 0
            if vj > vth[j]:
                vj = 0
                ref_count[j] = ref[j]
                fired[n_fired] = j
                n_fired += 1
            v[j] = vj
            if ref_count[j] > 0:
                ref_count[j] -= 1
        while src_ptr < src_step.shape[0] and src_step[src_ptr] == t:
            fired[n_fired] = src_node[src_ptr]
            n_fired += 1
            src_ptr += 1
        for k in range(vrec_idx.shape[0]):
            v_out[t - t0, k] = v[vrec_idx[k]]
        for q in range(n_fired):
            i = fired[q]
            for k in range(indptr[i], indptr[i + 1]):
                ring[(t + dly[k]) % L, tgt[k]] += w[k]
            if rec_mask[i]:
                rec_step[n_rec] = t
                rec_node[n_rec] = i
                n_rec += 1
    return t1, n_rec


class LoihiFixedPointSimulator(BaseSimulator):
    """Bit-level simulation of a network quantised for Loihi 1 (backend ``"loihi-fixed"``).

    Parameters
    ----------
    network : Network or LoihiNetwork
        The network to simulate; a `LoihiNetwork` alone stands for its own ``network``.
    seed : int
        Unused (the integer update is deterministic); kept for the backend interface.
    loihi : LoihiNetwork
        ``spikemem.hardware.to_loihi(network)`` (optionally with learned weights): the
        integer parameters the chip would hold. Required unless `network` is one.

    Attributes
    ----------
    overflows : dict of str to int
        Number of wrap-arounds of the synaptic input ``q``, of ``u`` and of ``u + bias``.

    Recorded membrane potentials are converted back to mV (``v / v_scale + v_reset``);
    `v_int` and `u_int` give the raw integers. `weights` returns the quantised weights in nA.
    """

    backend_name = "numba-loihi-fixed-point"

    def __init__(self, network, seed: int = 0, loihi=None):
        if isinstance(network, LoihiNetwork) and loihi is None:
            network, loihi = network.network, network
        if not isinstance(loihi, LoihiNetwork) or loihi.network is not network:
            raise ValidationError(
                "LoihiFixedPointSimulator: loihi must be the LoihiNetwork of this network, "
                "made by spikemem.hardware.to_loihi(network) (the quantisation lives in the "
                f"hardware layer), got {loihi!r}")
        if not isinstance(network, Network):
            raise ValidationError(f"LoihiFixedPointSimulator: network must be a "
                                  f"spikemem.Network, got {type(network).__name__}")
        super().__init__(network, seed)
        self.loihi = loihi
        self._flatten()
        self.reset()

    # -- set-up ----------------------------------------------------------------------------
    def _flatten(self) -> None:
        net, lo, low = self.network, self.loihi, self.lowered
        if [p.label for p in net.populations] != [p.label for p in lo.populations]:
            raise ValidationError(
                "LoihiFixedPointSimulator: the LoihiNetwork's populations "
                f"{[p.label for p in lo.populations]} do not match the network's "
                f"{[p.label for p in net.populations]}")
        self._N = N = low.n_neurons
        sizes = np.diff(low.pop_start)

        def per_neuron(values):
            return np.repeat(np.array(values, np.int64), sizes)

        self._r_u = per_neuron([p.u_factor for p in lo.populations])
        self._r_v = per_neuron([p.v_factor for p in lo.populations])
        self._vth = per_neuron([p.vth for p in lo.populations])
        self._bias = per_neuron([p.bias for p in lo.populations])
        self._ref = per_neuron([p.refract_delay for p in lo.populations])
        self._v0 = np.concatenate([np.zeros(0, np.int64)] + [
            np.asarray(p.v_init, np.int64) for p in lo.populations])

        def cat(parts):
            return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)

        pre = cat([lp.pre for lp in low.projections])
        order, self._indptr = csr_order(pre, low.n_nodes)
        self._tgt = cat([lp.post for lp in low.projections])[order]
        self._w = cat([lo.projection(lp.label).weight for lp in low.projections])[order]
        self._dly = cat([lp.delay for lp in low.projections])[order]
        self._L = low.max_delay + 1
        self._rec_mask = np.zeros(low.n_nodes, np.bool_)
        idx = []
        self._vrec = {}
        for pop, a, b in zip(net.populations, low.pop_start[:-1], low.pop_start[1:]):
            self._rec_mask[a:b] = "spikes" in pop.record
            if "v" in pop.record:
                self._vrec[pop.label] = (len(idx), len(idx) + pop.size)
                idx.extend(range(a, b))
        self._rec_mask[N:] = True
        self._vrec_idx = np.array(idx, np.int64)

    def reset(self) -> None:
        """Return to t = 0 with the initial integer state and an empty recording."""
        self._step = 0
        self._u = np.zeros(self._N, np.int64)
        self._v = self._v0.copy()
        self._ref_count = np.zeros(self._N, np.int64)
        self._ring = np.zeros((self._L, self._N), np.int64)
        self._ovf = np.zeros(3, np.int64)
        cap = max(1 << 16, 8 * self.lowered.n_nodes)
        self._rec_step = np.empty(cap, np.int64)
        self._rec_node = np.empty(cap, np.int64)
        self._injected = {}
        self._new_recording()

    # -- running ---------------------------------------------------------------------------
    def _advance(self, n_steps: int) -> None:
        end = self._step + n_steps
        before = self._ovf.copy()
        while self._step < end:
            chunk_end = min(end, self._step + 10_000)
            src_step, src_node = self._source_spikes(self._step, chunk_end)
            v_out = np.empty((chunk_end - self._step, self._vrec_idx.size), np.int64)
            start = self._step
            reached, n_rec = run_fixed_point_steps(
                start, chunk_end, self._N, self._r_u, self._r_v, self._vth, self._bias,
                self._ref, self._u, self._v, self._ref_count, self._ring, src_step, src_node,
                self._indptr, self._tgt, self._w, self._dly, self._rec_mask, self._rec_step,
                self._rec_node, 0, self._vrec_idx, v_out, self._ovf)
            self._store(start, reached, n_rec, v_out)
            self._step = reached
        if np.any(self._ovf != before):
            warnings.warn(f"Loihi fixed-point mode: overflow (wrap-around) in "
                          f"{self.overflows} since t = 0", RuntimeWarning, stacklevel=3)

    def _store(self, start: int, stop: int, n_rec: int, v_out: np.ndarray) -> None:
        for label, steps, ids in self.lowered.spikes_by_group(self._rec_step[:n_rec],
                                                              self._rec_node[:n_rec]):
            self._recording.add_spikes(label, steps * self.dt, ids)
        if self._vrec_idx.size and stop > start:
            times = np.arange(start, stop) * self.dt
            for label, (a, b) in self._vrec.items():
                pop = self.loihi.population(label)
                self._recording.add_v(label, times, pop.v_to_mV(v_out[:stop - start, a:b]))

    def _inject(self, label: str, steps: np.ndarray, ids: np.ndarray) -> None:
        self._injected.setdefault(label, []).append((steps, ids))

    # -- state access ----------------------------------------------------------------------
    @property
    def overflows(self) -> dict:
        return {"q": int(self._ovf[0]), "u": int(self._ovf[1]), "u+bias": int(self._ovf[2])}

    @property
    def v_int(self) -> np.ndarray:
        """Integer membrane state of all compartments, in population order."""
        return self._v.copy()

    @property
    def u_int(self) -> np.ndarray:
        """Integer synaptic current of all compartments, in population order."""
        return self._u.copy()

    @property
    def v(self) -> np.ndarray:
        """Membrane potentials (mV) the integer state stands for, in population order."""
        low = self.lowered
        return np.concatenate([p.v_to_mV(self._v[a:b]) for p, a, b in zip(
            self.loihi.populations, low.pop_start[:-1], low.pop_start[1:])])

    def weights(self, projection, component: str = "total") -> np.ndarray:
        """The quantised weights of a projection, in nA (the projection's synapse order).

        `component` is accepted for the common interface; only "total" exists here.
        """
        self._check_total(projection, component)
        label = self._projection_label(projection)
        return self.loihi.projection(label).weight_nA

    def set_weights(self, projection, weights, component: str = "total") -> None:
        """Not available: weights are fixed by the export."""
        raise UnsupportedFeature(
            "Loihi fixed-point mode: set_weights is not supported (weights are quantised at "
            "export); re-export with spikemem.hardware.to_loihi(network, weights={...})")
