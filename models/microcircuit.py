"""The cortical microcircuit of Potjans & Diesmann (2014) in the IR.

Eight populations (excitatory ``E`` and inhibitory ``I`` neurons of layers 2/3, 4, 5 and 6)
of current-based LIF neurons with exponential synaptic currents (`IF_curr_exp`), 77 169
neurons and about 3·10^8 synapses at full scale, driven by a background of 8 Hz per external
synapse, either as Poisson spike trains (one `spikemem.PoissonInput` per population: K_ext
independent 8 Hz trains onto every neuron, 12-23 kHz per neuron, several input spikes per
0.1 ms step) or as the equivalent DC current, as in the paper.

Parameters are the published ones (Potjans & Diesmann 2014, Cereb. Cortex 24:785, Tables
4-5), in the IR's PyNN units (nA, nF, mV, ms):

* neurons: C_m = 250 pF, tau_m = 10 ms, tau_syn = 0.5 ms, t_ref = 2 ms, E_L = V_reset =
  -65 mV, V_th = -50 mV; initial V ~ N(-58 mV, 10 mV);
* connectivity: `CONN_PROBS` (target x source) turned into total numbers of synapses
  ``K = log(1 - p) / log(1 - 1 / (N_pre N_post))`` drawn with `FixedTotalNumber`
  (multapses and autapses allowed);
* weights: a PSP of 0.15 mV, i.e. a PSC of 87.8 pA (`psc_from_psp`), relative SD 0.1, the
  L4e -> L2/3e weight doubled, inhibitory weights g = -4 times excitatory; normal
  distributions redrawn until they keep their sign;
* delays: normal, mean 1.5 ms (excitatory) / 0.75 ms (inhibitory), relative SD 0.5, redrawn
  below one step and rounded to whole steps;
* background: `K_EXT` external synapses per neuron at 8 Hz each, weight 87.8 pA (the mean
  excitatory weight, without spread); as Poisson input (`spikemem.PoissonInput`) or as DC
  current ``8 Hz * K_ext * 87.8 pA * tau_syn`` per neuron.

``scale`` multiplies the numbers of neurons and ``k_scale`` the in-degrees (default: both
``scale``; the Poisson background's K_ext too). With ``k_scale < 1`` weights (the external one
too) grow by ``1 / sqrt(k_scale)`` and a DC current restores the mean input lost
(``(1 - sqrt(k_scale)) * tau_syn * sum(w K rate)`` with the full-scale rates
`REFERENCE_RATES_HZ`), as in NEST's PyNEST example of the model, so that a downscaled network
keeps the full-scale rates to first order.

Validation: `rates_within_published` compares the per-population rates of a run with
`PUBLISHED_RATE_RANGES_HZ`.
"""
from __future__ import annotations

import numpy as np

from spikemem.connectors import FixedTotalNumber
from spikemem.errors import ValidationError, check_in, check_int, check_positive
from spikemem.network import Network, Population, Projection
from spikemem.neurons import IF_curr_exp
from spikemem.poisson_input import PoissonInput
from spikemem.synapses import StaticSynapse

__all__ = ["POPULATIONS", "N_FULL", "CONN_PROBS", "K_EXT", "REFERENCE_RATES_HZ",
           "PUBLISHED_RATE_RANGES_HZ", "BG_RATE_HZ", "PSP_MEAN_MV", "G", "CELL",
           "psc_from_psp", "synapse_numbers", "external_indegrees", "external_weight",
           "build_microcircuit",
           "population_rates",
           "rates_within_published"]

#: Population labels, in the paper's order.
POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")

#: Neurons per population at full scale.
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])

#: Connection probabilities, rows = target population, columns = source (Table 5).
CONN_PROBS = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443]])

#: External (background) in-degrees per population.
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])

#: Mean rates (Hz) of the full-scale model with Poisson background as published with NEST's
#: PyNEST example of the model (used there, and here, for the k_scale DC compensation).
REFERENCE_RATES_HZ = np.array([0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523])

#: Acceptance ranges of population mean rates (Hz): the published full-scale rates of
#: Potjans & Diesmann (2014, Fig. 6; reproduced by NEST, `REFERENCE_RATES_HZ`) within a factor
#: 0.5 .. 1.5 -- the spread between published implementations (NEST, SpiNNaker, GeNN;
#: van Albada et al. 2018) and background variants (Poisson or DC) lies inside it, while a
#: broken network (silent, saturated, or with an inverted layer order) falls outside.
PUBLISHED_RATE_RANGES_HZ = np.stack([0.5 * REFERENCE_RATES_HZ, 1.5 * REFERENCE_RATES_HZ], 1)

#: Background rate per external synapse, Hz.
BG_RATE_HZ = 8.0
#: Mean excitatory PSP, mV; relative SD of weights; relative inhibitory strength.
PSP_MEAN_MV = 0.15
W_REL_SD = 0.1
G = -4.0
#: Mean delays (ms) of excitatory / inhibitory connections and their relative SD.
DELAY_EXC_MS, DELAY_INH_MS, DELAY_REL_SD = 1.5, 0.75, 0.5

#: The neuron of every population (PyNN units: nF, ms, mV, nA).
CELL = IF_curr_exp(cm=0.25, tau_m=10.0, tau_refrac=2.0, tau_syn_E=0.5, tau_syn_I=0.5,
                   v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0, i_offset=0.0)
V0_MEAN_MV, V0_SD_MV = -58.0, 10.0


def psc_from_psp(psp_mv: float, cell: IF_curr_exp = CELL) -> float:
    """Peak current (nA) of an exponential synapse whose PSP peaks at `psp_mv` (mV).

    The PSP of a current ``w exp(-t / tau_s)`` on a membrane (C_m, tau_m) peaks at
    ``w / C_m * tau_m tau_s / (tau_s - tau_m) * (x^(-tau_m/(tau_m-tau_s)) -
    x^(-tau_s/(tau_m-tau_s)))`` with ``x = tau_m / tau_s``; 0.15 mV gives 87.8 pA.
    """
    tm, ts, cm = cell.tau_m, cell.tau_syn_E, cell.cm
    x = tm / ts
    psp_per_na = (1.0 / cm * tm * ts / (ts - tm)
                  * (x ** (-tm / (tm - ts)) - x ** (-ts / (tm - ts))))
    return psp_mv / psp_per_na


def synapse_numbers(scale: float = 1.0, k_scale: float | None = None) -> np.ndarray:
    """Total synapses per (target, source) pair of populations, shape (8, 8), int64.

    ``round(K_full * scale * k_scale)`` with ``K_full = log(1 - p) / log(1 - 1/(N_pre N_post))``
    at full scale (about 2.99·10^8 in all).
    """
    k_scale = scale if k_scale is None else k_scale
    prod = np.outer(N_FULL, N_FULL).astype(float)
    full = np.log(1.0 - CONN_PROBS) / np.log((prod - 1.0) / prod)
    return np.round(full * scale * k_scale).astype(np.int64)


def _mean_weights() -> np.ndarray:
    """Mean weights (nA, signed) per (target, source) pair at full scale."""
    w = psc_from_psp(PSP_MEAN_MV)
    mean = np.tile(np.array([w, G * w] * 4), (8, 1))
    mean[0, 2] *= 2.0                        # L4e -> L2/3e doubled
    return mean


def _dc_currents(background: str, k_scale: float) -> np.ndarray:
    """DC per population, nA: background (if DC) plus the k_scale compensation."""
    w_ext = psc_from_psp(PSP_MEAN_MV)
    tau = CELL.tau_syn_E
    ext = 1e-3 * tau * BG_RATE_HZ * K_EXT * w_ext        # nA (Hz * ms = 1e-3)
    full_indegree = synapse_numbers(1.0, 1.0) / N_FULL[:, None]
    recurrent = 1e-3 * tau * (_mean_weights() * full_indegree * REFERENCE_RATES_HZ).sum(1)
    dc = (1.0 - np.sqrt(k_scale)) * recurrent
    if background == "dc":
        dc = dc + ext
    else:
        dc = dc + (1.0 - np.sqrt(k_scale)) * ext
    return dc


def _redrawn_normal(rng, mean: float, sd: float, size: int, low: float) -> np.ndarray:
    x = rng.normal(mean, sd, size)
    while True:
        bad = np.flatnonzero(x < low)
        if bad.size == 0:
            return x
        x[bad] = rng.normal(mean, sd, bad.size)


def build_microcircuit(scale: float = 0.1, k_scale: float | None = None,
                       background: str = "dc", seed: int = 0, dt: float = 0.1,
                       record_v: bool = False) -> Network:
    """Build the Potjans & Diesmann (2014) microcircuit as an IR `Network`.

    Parameters
    ----------
    scale : float
        Fraction of the neurons of every population, in (0, 1] (1 = 77 169 neurons).
    k_scale : float, optional
        Fraction of the in-degrees, in (0, 1]; default `scale` (at scale 1: 2.99·10^8
        synapses; at 0.1: 7 716 neurons and 3.0·10^6 synapses).
    background : {"dc", "poisson"}
        Background input. ``"dc"``: the mean of the 8 Hz background as a constant current
        (``i_offset``). ``"poisson"``: one `PoissonInput` per population, labelled
        ``"bg_<population>"``: ``round(K_ext * k_scale)`` independent trains of `BG_RATE_HZ`
        onto every neuron with the external weight (87.8 pA / sqrt(k_scale)), excitatory;
        with ``k_scale < 1`` the DC compensation of the mean input lost is kept.
    seed : int
        Seed of connectivity, weights, delays, initial potentials and the Poisson
        background (>= 0); the same seed gives the same network.
    dt : float
        Time step, ms (> 0; delays are rounded to it).
    record_v : bool
        Record membrane potentials too (memory: 8 B per neuron and step).

    Returns
    -------
    Network
        Labelled ``"microcircuit"``, populations `POPULATIONS` (recording spikes), one static
        projection per non-empty (source, target) pair labelled ``"<source>-><target>"``,
        excitatory sources on the excitatory receptor and inhibitory ones on the inhibitory.
        Indices are int32.

    Raises
    ------
    ValidationError
        Bad scale, k_scale, background, seed or dt, or a dt at which the Poisson background
        expects more than `spikemem.poisson_input.MAX_LAMBDA` inputs per step.
    """
    owner = "build_microcircuit"
    for name, value in (("scale", scale), ("k_scale", scale if k_scale is None else k_scale)):
        check_positive(owner, name, value)
        if value > 1.0:
            raise ValidationError(f"{owner}: {name} must lie in (0, 1], got {value!r}")
    k_scale = float(scale if k_scale is None else k_scale)
    check_in(owner, "background", background, {"dc", "poisson"})
    seed = check_int(owner, "seed", seed, minimum=0)
    check_positive(owner, "dt", dt)
    if not isinstance(record_v, (bool, np.bool_)):
        raise ValidationError(f"{owner}: record_v must be True or False, got {record_v!r}")
    sizes = np.maximum(1, np.round(N_FULL * scale)).astype(int)
    n_syn = synapse_numbers(scale, k_scale)
    mean_w = _mean_weights() / np.sqrt(k_scale)
    dc = _dc_currents(background, k_scale)
    record = ("spikes", "v") if record_v else ("spikes",)

    net = Network(dt=dt, label="microcircuit")
    pops = []
    for k, label in enumerate(POPULATIONS):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0, k]))
        v0 = rng.normal(V0_MEAN_MV, V0_SD_MV, sizes[k])
        pops.append(net.add(Population(int(sizes[k]), CELL.replace(i_offset=float(dc[k])),
                                       label=label, initial_v=v0, record=record)))
    if background == "poisson":
        n_ext = external_indegrees(k_scale)
        w_ext = external_weight(k_scale)
        for k, pop in enumerate(pops):
            bg_seed = int(np.random.SeedSequence([seed, 3, k]).generate_state(1, np.uint64)[0]
                          >> np.uint64(1))
            net.add(PoissonInput(pop, n_inputs=int(n_ext[k]), rate=BG_RATE_HZ, weight=w_ext,
                                 seed=bg_seed, label=f"bg_{pop.label}"))
    for tgt in range(8):
        for src in range(8):
            n = int(n_syn[tgt, src])
            if n == 0:
                continue
            conn = FixedTotalNumber(n, seed=int(np.random.SeedSequence(
                [seed, 1, tgt, src]).generate_state(1)[0]))
            pre, post, _, _ = conn.connect(int(sizes[src]), int(sizes[tgt]))
            rng = np.random.default_rng(np.random.SeedSequence([seed, 2, tgt, src]))
            w_mean = abs(mean_w[tgt, src])
            weight = _redrawn_normal(rng, w_mean, W_REL_SD * w_mean, n, 0.0)
            d_mean = DELAY_EXC_MS if src % 2 == 0 else DELAY_INH_MS
            delay = _redrawn_normal(rng, d_mean, DELAY_REL_SD * d_mean, n, dt)
            np.divide(delay, dt, out=delay)
            np.rint(delay, out=delay)
            np.multiply(delay, dt, out=delay)
            net.add(Projection(pops[src], pops[tgt], conn, StaticSynapse(),
                               receptor="excitatory" if src % 2 == 0 else "inhibitory",
                               label=f"{POPULATIONS[src]}->{POPULATIONS[tgt]}",
                               pre_idx=pre, post_idx=post, weight=weight, delay=delay))
            del pre, post, weight, delay
    return net


def external_indegrees(k_scale: float = 1.0) -> np.ndarray:
    """External (background) in-degrees at in-degree scale `k_scale`: ``round(K_EXT *
    k_scale)``, at least 1, shape (8,) int64 (as NEST's example of the model scales them)."""
    check_positive("external_indegrees", "k_scale", k_scale)
    return np.maximum(1, np.round(K_EXT * k_scale)).astype(np.int64)


def external_weight(k_scale: float = 1.0) -> float:
    """Weight of one background input spike at in-degree scale `k_scale`, nA: the mean
    excitatory weight (`PSP_MEAN_MV` as a current) times ``1 / sqrt(k_scale)``, like every
    weight of a network with scaled in-degrees."""
    check_positive("external_weight", "k_scale", k_scale)
    return float(psc_from_psp(PSP_MEAN_MV) / np.sqrt(k_scale))


def population_rates(recording, t_start: float = 0.0, t_stop: float | None = None) -> dict:
    """Mean firing rate (Hz) of every population over ``[t_start, t_stop)`` ms.

    Parameters
    ----------
    recording : spikemem.Recording
        A run of `build_microcircuit`'s network.
    t_start, t_stop : float
        Window, ms (default: from t_start to the end of the recording).
    """
    t_stop = recording.t_stop if t_stop is None else t_stop
    if not t_stop > t_start >= 0:
        raise ValidationError(f"population_rates: need 0 <= t_start < t_stop, got "
                              f"{t_start!r}, {t_stop!r}")
    out = {}
    for label in POPULATIONS:
        times, _ = recording.spikes(label)
        n = recording.sizes[label]
        k = int(np.count_nonzero((times >= t_start) & (times < t_stop)))
        out[label] = k / n / ((t_stop - t_start) / 1000.0)
    return out


def rates_within_published(rates: dict) -> dict:
    """Per population: ``(rate, low, high, inside)`` against `PUBLISHED_RATE_RANGES_HZ`."""
    missing = [p for p in POPULATIONS if p not in rates]
    if missing:
        raise ValidationError(f"rates_within_published: rates missing for {missing}")
    return {p: (float(rates[p]), float(lo), float(hi), bool(lo <= rates[p] <= hi))
            for p, (lo, hi) in zip(POPULATIONS, PUBLISHED_RATE_RANGES_HZ)}
