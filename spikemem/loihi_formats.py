"""Loihi 1 number formats, the integer helpers that convert to them, and the quantised records.

This module sits below the backends and the hardware layer (it imports numpy only): the
hardware layer's `to_loihi` fills the records (`LoihiPopulation`, `LoihiProjection`,
`LoihiNetwork`), and the fixed-point engine (backend ``"loihi-fixed"``) runs them with the
same register constants.

Every constant below is a register width of Loihi 1 as documented by the tool chains that
program it; the source is given beside each. A compartment's state and parameters are
integers:

* ``du``, ``dv``: 12-bit unsigned decay constants. Per time step the chip computes
  ``u <- sign(u) * ((|u| * (4096 - du - 1)) >> 12) + input`` and
  ``v <- sign(v) * ((|v| * (4096 - dv)) >> 12) + u + bias`` (the ``- 1`` on ``u`` is the
  1-bit ``ds_offset`` register that Lava's bit-accurate LIF and nengo-loihi's emulator add).
* ``vth``: 17-bit mantissa, used as ``vth << 6``.
* ``bias``: 13-bit signed mantissa and 3-bit exponent, ``bias_mant << bias_exp``.
* weights: 8-bit mantissa and a 4-bit signed exponent shared by a synapse group, delivered as
  ``mant << (6 + weight_exp)``; with a sign mode of excitatory or inhibitory all 8 bits are
  magnitude (Lava ``SignMode``). Exponents below 0 lose mantissa bits on the chip (nengo-loihi
  ``discretize_weights``), so the exporter uses ``0 <= weight_exp <= 7``.
* synaptic input per step wraps at 21 bits + sign, ``u`` at 23 bits + sign; ``v`` is clipped
  to ``[vmin, vmax]`` (nengo-loihi ``emulator/interface.py``, Lava ``PyLifModelBitAcc``).
* refractory delay: 6 bits, 1..63 steps (nengo-loihi ``CompartmentConfig.REFRACT_DELAY_MAX``).
* synaptic delay: 6 bits, 0..62 extra steps beyond the one-step spike latency (Loihi 1).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

__all__ = [
    "DECAY_BITS", "DECAY_UNITY", "DU_MAX", "DV_MAX", "VTH_SHIFT", "VTH_MANT_MAX",
    "BIAS_MANT_MAX", "BIAS_EXP_MAX", "WEIGHT_MANT_MAX", "WEIGHT_EXP_MIN", "WEIGHT_EXP_MAX",
    "WEIGHT_SHIFT", "Q_BITS", "U_BITS", "V_LIMIT", "REFRACT_DELAY_MAX", "SYN_DELAY_MAX",
    "du_from_decay", "decay_from_du", "dv_from_decay", "decay_from_dv",
    "split_bias", "split_weights", "round_half_away",
    "LoihiPopulation", "LoihiProjection", "LoihiNetwork",
]

DECAY_BITS = 12                 # du/dv width (Lava PyLifModelBitAcc: decay_shift = 12)
DECAY_UNITY = 1 << DECAY_BITS   # 4096
DU_MAX = DECAY_UNITY - 1        # 12-bit unsigned
DV_MAX = DECAY_UNITY - 1
VTH_SHIFT = 6                   # vth is used as vth_mant << 6 (Lava vth_shift, nengo VTH_EXP)
VTH_MANT_MAX = (1 << 17) - 1    # 17-bit threshold mantissa (nengo-loihi VTH_MAN_MAX)
BIAS_MANT_MAX = (1 << 12) - 1   # 13-bit signed bias mantissa (nengo-loihi BIAS_MAN_MAX)
BIAS_EXP_MAX = 7                # 3-bit bias exponent (nengo-loihi BIAS_EXP_MAX)
WEIGHT_MANT_MAX = 255           # 8-bit weight magnitude (sign from the sign mode)
WEIGHT_EXP_MIN = 0              # lower exponents lose bits on the chip (see module docstring)
WEIGHT_EXP_MAX = 7              # 4-bit signed exponent, -8..7 (nengo-loihi validate_synapse_cfg)
WEIGHT_SHIFT = 6                # synaptic input is MSB-aligned by 6 bits (Lava act_shift)
Q_BITS = 21                     # synaptic input accumulator (nengo-loihi discretize.Q_BITS)
U_BITS = 23                     # compartment current u (nengo-loihi discretize.U_BITS)
V_LIMIT = (1 << 23) - 1         # |v| bound: vmin = -V_LIMIT, vmax = V_LIMIT (24-bit v)
REFRACT_DELAY_MAX = 63          # nengo-loihi hardware CompartmentConfig.REFRACT_DELAY_MAX
SYN_DELAY_MAX = 62              # Loihi 1 synaptic delay register (extra steps)


def round_half_away(x):
    """Round to the nearest integer, halves away from zero (numpy rounds halves to even)."""
    x = np.asarray(x, dtype=float)
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def du_from_decay(decay) -> np.ndarray:
    """12-bit ``du`` whose current decay factor ``(4095 - du) / 4096`` is nearest `decay`.

    The factor can take the values 0/4096 .. 4095/4096; `decay` outside is clipped.
    """
    r = np.clip(round_half_away(np.asarray(decay, float) * DECAY_UNITY), 0, DU_MAX)
    return (DU_MAX - r).astype(np.int64)


def decay_from_du(du) -> np.ndarray:
    """Current decay factor per step of a ``du`` register value: ``(4095 - du) / 4096``."""
    return (DU_MAX - np.asarray(du, np.int64)) / DECAY_UNITY


def dv_from_decay(decay) -> np.ndarray:
    """12-bit ``dv`` whose voltage decay factor ``(4096 - dv) / 4096`` is nearest `decay`.

    The factor can take the values 1/4096 .. 4096/4096; `decay` outside is clipped.
    """
    r = np.clip(round_half_away(np.asarray(decay, float) * DECAY_UNITY), 1, DECAY_UNITY)
    return (DECAY_UNITY - r).astype(np.int64)


def decay_from_dv(dv) -> np.ndarray:
    """Voltage decay factor per step of a ``dv`` register value: ``(4096 - dv) / 4096``."""
    return (DECAY_UNITY - np.asarray(dv, np.int64)) / DECAY_UNITY


def split_bias(bias):
    """Mantissa and exponent of a bias: ``bias ~ mant << exp`` with the finest exponent.

    Parameters
    ----------
    bias : float or ndarray
        Ideal bias, integer voltage units per step.

    Returns
    -------
    mant, exp : ndarray of int64
        ``|mant| <= 4095``, ``0 <= exp``; the caller checks ``exp <= 7``.
    """
    b = np.atleast_1d(np.asarray(bias, float))
    ratio = np.maximum(np.abs(b) / BIAS_MANT_MAX, 1.0)
    exp = np.ceil(np.log2(ratio) - 1e-12).astype(np.int64)
    mant = round_half_away(b / 2.0 ** exp)
    over = np.abs(mant) > BIAS_MANT_MAX        # rounding up across a power of two
    exp = np.where(over, exp + 1, exp)
    mant = np.where(over, round_half_away(b / 2.0 ** exp), mant)
    return mant.astype(np.int64), exp


def split_weights(w):
    """Shared exponent and 8-bit magnitudes of one synapse group's weights.

    Parameters
    ----------
    w : ndarray, shape (n,)
        Ideal weight magnitudes (>= 0), integer current units (the input added to ``u``).

    Returns
    -------
    mant : ndarray of int64, shape (n,)
        ``0 <= mant <= 255``; the delivered weight is ``mant << (6 + exp)``.
    exp : int
        The smallest exponent >= 0 that fits the largest weight; the caller checks ``<= 7``.
    """
    w = np.asarray(w, float)
    wmax = float(w.max()) if w.size else 0.0
    exp = WEIGHT_EXP_MIN
    while round_half_away(wmax / 2.0 ** (WEIGHT_SHIFT + exp)) > WEIGHT_MANT_MAX:
        exp += 1
    mant = round_half_away(w / 2.0 ** (WEIGHT_SHIFT + exp)).astype(np.int64)
    return mant, exp


@dataclass(frozen=True, eq=False)
class LoihiPopulation:
    """One population as Loihi compartments (integer parameters shared by the population).

    Attributes
    ----------
    label : str
    size : int
    du, dv : int
        12-bit decay registers; ``u`` decays by ``(4095 - du) / 4096``, ``v`` by
        ``(4096 - dv) / 4096`` per step.
    vth_mant : int
        Threshold mantissa; the compartment spikes when ``v > vth_mant << 6``.
    bias_mant, bias_exp : int
        Constant input ``bias_mant << bias_exp`` added to ``v`` every step.
    refract_delay : int
        Loihi refractory delay, steps (1 = no refractory period; ``v`` is held at 0 for
        ``refract_delay - 1`` steps after a spike).
    v_init : ndarray of int64, shape (size,)
        Initial ``v``.
    v_scale : float
        Integer ``v`` units per mV.
    v_offset : float
        Membrane potential (mV) that ``v = 0`` stands for (the IR's ``v_reset``).
    """

    label: str
    size: int
    du: int
    dv: int
    vth_mant: int
    bias_mant: int
    bias_exp: int
    refract_delay: int
    v_init: np.ndarray
    v_scale: float
    v_offset: float

    @property
    def u_factor(self) -> int:
        """Numerator of the current's decay per step: ``u <- (|u| * (4095 - du)) >> 12``."""
        return DU_MAX - self.du

    @property
    def v_factor(self) -> int:
        """Numerator of the voltage's decay per step: ``v <- (|v| * (4096 - dv)) >> 12``."""
        return DECAY_UNITY - self.dv

    @property
    def vth(self) -> int:
        """Threshold as compared with ``v``: ``vth_mant << 6``."""
        return self.vth_mant << VTH_SHIFT

    @property
    def bias(self) -> int:
        """Bias added to ``v`` per step: ``bias_mant << bias_exp``."""
        return self.bias_mant * (1 << self.bias_exp)

    def v_to_mV(self, v) -> np.ndarray:
        """Membrane potential (mV) represented by integer ``v``."""
        return np.asarray(v, float) / self.v_scale + self.v_offset


@dataclass(frozen=True, eq=False)
class LoihiProjection:
    """One projection as a Loihi synapse group (one weight exponent, one sign mode).

    Attributes
    ----------
    label, pre, post : str
        Labels of the projection and of its parent pre group (population or spike source)
        and post population.
    pre_idx, post_idx : ndarray of int64, shape (n,)
        Synapse endpoints in the parent groups' numbering (the IR projection's order).
    weight_mant : ndarray of int64, shape (n,)
        8-bit magnitudes, 0..255.
    weight_exp : int
        Shared exponent, 0..7; the input a spike adds to ``u`` is ``sign * mant << (6 + exp)``.
    sign : int
        +1 (sign mode excitatory) or -1 (inhibitory).
    delay : ndarray of int64, shape (n,)
        Delay in steps as the IR counts it (a spike at ``t`` arrives at ``t + delay``); the
        Loihi synaptic delay register holds ``delay - 1``.
    unit_nA : float
        nA of IR weight per integer unit of ``u`` input.
    plastic : bool
        True if the IR projection is plastic (exported with static weights).
    learning_rule : dict or None
        The STDP rule in Loihi's learning-engine form (see `hardware.loihi_learning`).
    """

    label: str
    pre: str
    post: str
    pre_idx: np.ndarray
    post_idx: np.ndarray
    weight_mant: np.ndarray
    weight_exp: int
    sign: int
    delay: np.ndarray
    unit_nA: float
    plastic: bool = False
    learning_rule: Optional[dict] = None

    @property
    def weight(self) -> np.ndarray:
        """Signed integer input each synapse adds to ``u``, shape (n,)."""
        return self.sign * (self.weight_mant << (WEIGHT_SHIFT + self.weight_exp))

    @property
    def weight_nA(self) -> np.ndarray:
        """The IR weights (nA, >= 0) the quantised weights stand for, shape (n,)."""
        return np.abs(self.weight) * self.unit_nA

    @property
    def synaptic_delay(self) -> np.ndarray:
        """Loihi synaptic delay registers, ``delay - 1``, shape (n,)."""
        return self.delay - 1

    @property
    def size(self) -> int:
        return int(self.pre_idx.size)


class LoihiNetwork:
    """A network quantised for Loihi 1 (made by `to_loihi`).

    Attributes
    ----------
    network : Network
        The IR network it was made from (spike sources are taken from it).
    dt : float
        Time step, ms.
    populations : list of LoihiPopulation
    projections : list of LoihiProjection
    report : spikemem.hardware.loihi.QuantisationReport
        What was rounded, per quantity.
    """

    def __init__(self, network, populations: list, projections: list, report):
        self.network = network
        self.dt = network.dt
        self.populations = list(populations)
        self.projections = list(projections)
        self.report = report
        self._pop = {p.label: p for p in self.populations}
        self._proj = {p.label: p for p in self.projections}

    def population(self, label: str) -> LoihiPopulation:
        return self._pop[label]

    def projection(self, label: str) -> LoihiProjection:
        return self._proj[label]

    @property
    def n_compartments(self) -> int:
        return sum(p.size for p in self.populations)

    def __repr__(self) -> str:
        return (f"LoihiNetwork({self.network.label!r}, {len(self.populations)} populations / "
                f"{self.n_compartments} compartments, {len(self.projections)} projections)")
