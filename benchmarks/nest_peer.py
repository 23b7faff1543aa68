"""NEST 3.10 as a peer of the benchmarks: CUBA and the cortical microcircuit in PyNEST.

Both networks use NEST's ``iaf_psc_exp`` (exact integration of the same current-based LIF
neuron with exponential currents as the IR's `IF_curr_exp`; NEST's units are pF, pA, mV, ms).

* `nest_cuba` takes the IR network's own synapses (``nest.Connect`` with arrays of node
  ids): the same connectivity and initial potentials as every other peer of
  ``benchmarks/cuba.py``, with ``local_num_threads`` threads.
* `nest_microcircuit` builds the Potjans & Diesmann (2014) network with NEST's own rules and
  random numbers (``fixed_total_number`` connections, normal weights and delays redrawn at
  their bounds) from the same parameters as `spikemem.models.microcircuit`: the same network
  statistics, drawn independently. Its Poisson background is one ``poisson_generator`` per
  population at ``K_ext * 8 Hz``, connected all-to-all to that population with the external
  weight and a delay of one step (NEST's own example of the model uses 1.5 ms; for this
  stationary input the delay only shifts the onset, and one step is the closest to
  `spikemem.PoissonInput`, whose counts are input of the step they are drawn for).

Each function builds, simulates and returns timings, spikes per population and the peak
resident memory of the process; call them in a fresh process (``nest`` keeps its kernel).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

__all__ = ["nest_available", "nest_cuba", "nest_microcircuit", "peak_rss_mb", "rss_mb",
           "reset_peak_rss"]


def nest_available() -> bool:
    """True if PyNEST imports here."""
    import importlib.util
    return importlib.util.find_spec("nest") is not None


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mb() -> float:
    """Current resident memory of this process (VmRSS), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux ``clear_refs`` 5); True if done."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _kernel(dt: float, threads: int, seed: int):
    import nest
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.set(resolution=dt, local_num_threads=int(threads), rng_seed=int(seed) + 1,
             print_time=False)
    return nest


def nest_cuba(arrays: dict, duration: float, threads: int = 1, seed: int = 0) -> dict:
    """CUBA (Vogels & Abbott 2005) in NEST on the IR's synapses.

    Parameters
    ----------
    arrays : dict
        ``benchmarks.cuba.cuba_arrays`` of the IR network (size, dt, initial potentials,
        excitatory and inhibitory pre/post indices).
    duration : float
        Biological time, ms.
    threads : int
        NEST's ``local_num_threads``.
    seed : int
        NEST's ``rng_seed`` (the network itself is deterministic).

    Returns
    -------
    dict
        ``build_s`` (create + connect, wall), ``simulate_s`` / ``simulate_cpu_s``
        (``nest.Run``: wall / CPU time of the process), ``ids`` (0-based neuron of every
        spike), ``peak_rss_mb``.
    """
    t0 = time.perf_counter()
    nest = _kernel(float(arrays["dt"]), threads, seed)
    n = int(arrays["n"])
    # performance.md: C_m 250 pF, tau_m 20 ms, E_L -49 mV, V_th -50 mV, V_reset -60 mV,
    # t_ref 5 ms, tau_syn 5 / 10 ms; jumps 1.62 mV and -9 mV as currents C_m * jump / tau_m
    pop = nest.Create("iaf_psc_exp", n, params={
        "C_m": 250.0, "tau_m": 20.0, "E_L": -49.0, "V_th": -50.0, "V_reset": -60.0,
        "t_ref": 5.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "I_e": 0.0})
    pop.V_m = np.asarray(arrays["v0"], float)
    first = pop[0].global_id
    dt = float(arrays["dt"])
    for kind, weight in (("exc", 250.0 * 1.62 / 20.0), ("inh", -250.0 * 9.0 / 20.0)):
        pre = np.asarray(arrays[f"{kind}_i"], np.int64) + first
        post = np.asarray(arrays[f"{kind}_j"], np.int64) + first
        nest.Connect(pre, post, "one_to_one",
                     syn_spec={"weight": np.full(pre.size, weight), "delay": np.full(pre.size, dt)})
    rec = nest.Create("spike_recorder")
    nest.Connect(pop, rec)
    nest.Prepare()
    t_build = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    nest.Run(duration)
    t_sim, c_sim = time.perf_counter() - t0, time.process_time() - c0
    nest.Cleanup()
    ids = np.asarray(rec.events["senders"], np.int64) - first
    return {"build_s": t_build, "simulate_s": t_sim, "simulate_cpu_s": c_sim, "ids": ids,
            "peak_rss_mb": peak_rss_mb()}


def nest_microcircuit(scale: float, duration: float, threads: int = 2, seed: int = 0,
                      dt: float = 0.1, t_rates: float = 200.0, background: str = "dc") -> dict:
    """The Potjans & Diesmann microcircuit (DC or Poisson background) in NEST's own rules.

    Parameters
    ----------
    scale : float
        Scale of neurons and in-degrees (as `spikemem.models.microcircuit.build_microcircuit`).
    duration : float
        Biological time, ms.
    threads : int
        NEST's ``local_num_threads``.
    seed : int
        NEST's ``rng_seed``.
    dt : float
        Resolution, ms.
    t_rates : float
        Rates are counted from this time (ms) to the end (the initial transient excluded).
    background : {"dc", "poisson"}
        The 8 Hz background as DC current (``I_e``) or as ``poisson_generator`` input (see
        the module docstring), as in `build_microcircuit`.

    Returns
    -------
    dict
        ``build_s``, ``simulate_s`` (wall), ``n_synapses`` (NEST's count), ``rates_hz`` (per
        population), ``spikes``, ``bytes_per_synapse_steady`` / ``_peak`` (resident memory
        added by connecting and preparing, after it / at its high-water mark, per synapse),
        ``peak_rss_mb`` (the whole process).
    """
    from spikemem.errors import check_in
    from spikemem.models import microcircuit as mc

    check_in("nest_microcircuit", "background", background, {"dc", "poisson"})
    t0 = time.perf_counter()
    nest = _kernel(dt, threads, seed)
    sizes = np.maximum(1, np.round(mc.N_FULL * scale)).astype(int)
    n_syn = mc.synapse_numbers(scale)
    mean_w = mc._mean_weights() / np.sqrt(scale) * 1000.0          # pA
    dc = mc._dc_currents(background, scale) * 1000.0                 # pA
    cell = mc.CELL
    pops = []
    for k in range(8):
        pop = nest.Create("iaf_psc_exp", int(sizes[k]), params={
            "C_m": cell.cm * 1000.0, "tau_m": cell.tau_m, "tau_syn_ex": cell.tau_syn_E,
            "tau_syn_in": cell.tau_syn_I, "t_ref": cell.tau_refrac, "E_L": cell.v_rest,
            "V_reset": cell.v_reset, "V_th": cell.v_thresh, "I_e": float(dc[k])})
        pop.V_m = nest.random.normal(mean=mc.V0_MEAN_MV, std=mc.V0_SD_MV)
        pops.append(pop)
    # NEST holds at most 2^27 - 2 connections per thread and synapse model: one copy of
    # static_synapse per source population keeps the full-scale network (3e8) below it
    models = []
    for label in mc.POPULATIONS:
        name = f"static_from_{label}"
        if name not in nest.synapse_models:
            nest.CopyModel("static_synapse", name)
        models.append(name)
    rss_neurons = rss_mb()
    reset_peak_rss()
    for tgt in range(8):
        for src in range(8):
            if n_syn[tgt, src] == 0:
                continue
            w = float(mean_w[tgt, src])
            d = mc.DELAY_EXC_MS if src % 2 == 0 else mc.DELAY_INH_MS
            weight = nest.random.normal(mean=w, std=abs(w) * mc.W_REL_SD)
            weight = (nest.math.redraw(weight, min=0.0, max=np.inf) if w > 0
                      else nest.math.redraw(weight, min=-np.inf, max=0.0))
            delay = nest.math.redraw(nest.random.normal(mean=d, std=d * mc.DELAY_REL_SD),
                                     min=dt, max=np.inf)
            nest.Connect(pops[src], pops[tgt],
                         {"rule": "fixed_total_number", "N": int(n_syn[tgt, src]),
                          "allow_autapses": True, "allow_multapses": True},
                         {"synapse_model": models[src], "weight": weight, "delay": delay})
    if background == "poisson":
        w_ext = mc.external_weight(scale) * 1000.0                              # pA
        rates = mc.BG_RATE_HZ * mc.external_indegrees(scale)
        for pop, rate in zip(pops, rates):
            gen = nest.Create("poisson_generator", params={"rate": float(rate)})
            nest.Connect(gen, pop, "all_to_all",
                         {"synapse_model": "static_synapse", "weight": float(w_ext),
                          "delay": float(dt)})
    recs = []
    for pop in pops:
        rec = nest.Create("spike_recorder", params={"start": float(t_rates)})
        nest.Connect(pop, rec)
        recs.append(rec)
    nest.Prepare()
    t_build = time.perf_counter() - t0
    peak_build = peak_rss_mb()
    rss_built = rss_mb()
    t0 = time.perf_counter()
    nest.Run(duration)
    t_sim = time.perf_counter() - t0
    nest.Cleanup()
    window_s = (duration - t_rates) / 1000.0
    rates = {label: rec.n_events / int(size) / window_s
             for label, rec, size in zip(mc.POPULATIONS, recs, sizes)}
    n_background = int(sizes.sum()) if background == "poisson" else 0
    n_synapses = int(nest.GetKernelStatus("num_connections")) - int(sizes.sum()) - n_background
    mb = 1024.0 ** 2 / max(n_synapses, 1)
    return {"build_s": t_build, "simulate_s": t_sim, "n_synapses": n_synapses,
            "rates_hz": rates, "spikes": int(sum(r.n_events for r in recs)),
            "bytes_per_synapse_steady": (rss_built - rss_neurons) * mb,
            "bytes_per_synapse_peak": (peak_build - rss_neurons) * mb,
            "peak_rss_mb": peak_rss_mb()}
