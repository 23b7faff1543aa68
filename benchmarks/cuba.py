"""CUBA benchmark: spikemem's Numba engine against Brian2 (runtime, cpp_standalone) and NEST.

The same CUBA network (Vogels & Abbott 2005; `spikemem.models.cuba.build_cuba`, about 80
synapses per neuron) runs for ``--duration`` ms of biological time at ``--dt`` ms on

* ``numba``: spikemem's embedded engine, built from the IR, one thread;
* ``numba_2t``: the same with two threads (``sm.build(net, threads=2)``);
* ``brian2_runtime``: the standard Brian2 CUBA model (`brian2_cuba`: NeuronGroup with the
  usual equations, Synapses with ``on_pre``), Brian2's runtime device with Cython code;
* ``brian2_standalone``: the same Brian2 model on the ``cpp_standalone`` device (C++ built in
  a temporary folder);
* ``spikemem_brian2``: spikemem's own Brian2 backend on the IR (runtime device, Cython
  target; it reproduces the IR's discrete-time update exactly), when installed;
* ``nest`` / ``nest_2t``: NEST 3.10's ``iaf_psc_exp`` on the IR's synapses
  (`benchmarks.nest_peer.nest_cuba`) with ``local_num_threads`` 1 / 2, when installed.

The Brian2 models take their connectivity and initial potentials from the IR's arrays, so
every peer simulates the same synapses. Each measurement runs in its own process: first with
an empty code cache (the run compiles), then ``--repeats`` times with the cache the first one
filled (the run loads compiled code; the table keeps the fastest of these). Per peer and size the table reports the build time (network
construction), the first and the cached run (wall time of the call that simulates,
compilation or loading included; Python imports of spikemem, its backends and Brian2 are
done before any clock starts), the simulation time proper (CPU time of the time-step loop,
code already loaded: Brian2's own ``_last_run_time``, which the standalone binary measures
with ``std::clock()`` and the runtime device here with ``time.process_time``; the Numba
engine's second run and NEST's ``nest.Run``, with ``time.process_time`` on one thread and
with the wall clock on two threads, where CPU time would add up both threads),
biological seconds per wall second and synaptic events per second of that simulation,
spikes, mean rate, the peak resident memory of the process that simulates, and speed-ups
over Brian2::

    python benchmarks/cuba.py --sizes 1000 4000 10000 100000 --out benchmarks/out/cuba.csv
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

from spikemem.errors import check_int
from spikemem.models.cuba import build_cuba

__all__ = ["PEERS", "cuba_arrays", "brian2_cuba", "synaptic_events", "measure", "benchmark",
           "markdown_table", "write_csv", "main"]

#: Peers in the order of the table.
PEERS = ("numba", "numba_2t", "brian2_runtime", "brian2_standalone", "spikemem_brian2",
         "nest", "nest_2t")

_SYNAPSES_PER_NEURON = 80

#: Columns of the CSV (and of the printed table), with their headers.
COLUMNS = {
    "n_neurons": "N", "n_synapses": "synapses", "peer": "peer",
    "build_s": "build (s)", "first_run_s": "first run (s)", "cached_run_s": "cached run (s)",
    "simulate_s": "simulate (s)", "end_to_end_s": "build + cached run (s)",
    "bio_per_simulate_s": "bio s / simulate s", "events_per_s": "syn. events / simulate s",
    "spikes": "spikes", "rate_hz": "rate (Hz)", "peak_rss_mb": "peak RSS (MB)",
    "sim_speedup_vs_runtime": "simulate × vs Brian2 runtime",
    "sim_speedup_vs_standalone": "simulate × vs Brian2 standalone",
    "sim_speedup_vs_nest": "simulate × vs NEST (1 thread)",
    "e2e_speedup_vs_runtime": "build + cached run × vs Brian2 runtime",
}


# -- the standard Brian2 CUBA model -------------------------------------------------------------
def cuba_arrays(net) -> dict:
    """What a peer simulator needs of an IR CUBA network, as plain arrays.

    Parameters
    ----------
    net : spikemem.Network
        A network from `spikemem.models.cuba.build_cuba`.

    Returns
    -------
    dict
        ``n`` (neurons), ``dt`` (ms), ``v0`` (initial potentials, mV, shape (n,)) and
        ``exc_i``, ``exc_j``, ``inh_i``, ``inh_j`` (int32 pre and post indices of the
        excitatory and inhibitory synapses, in the population's numbering).
    """
    return {"n": net["cuba"].size, "dt": net.dt, "v0": net["cuba"].initial_v_array(),
            "exc_i": net["exc"].pre_idx.astype(np.int32),
            "exc_j": net["exc"].post_idx.astype(np.int32),
            "inh_i": net["inh"].pre_idx.astype(np.int32),
            "inh_j": net["inh"].post_idx.astype(np.int32)}


def brian2_cuba(arrays: dict, target: str = "cython"):
    """The standard Brian2 CUBA model with given connectivity and initial potentials.

    Brian2's CUBA example, written directly in Brian2: one `NeuronGroup` with
    ``dv/dt = (ge + gi - (v - El)) / taum`` (unless refractory), ``dge/dt = -ge / taue``,
    ``dgi/dt = -gi / taui``, threshold ``v > Vt``, reset ``v = Vr``, refractory 5 ms, exact
    integration; ``Synapses`` with ``on_pre='ge += we'`` (we = 60 * 0.27 / 10 mV) and
    ``on_pre='gi += wi'`` (wi = -20 * 4.5 / 10 mV), no delay.

    Parameters
    ----------
    arrays : dict
        Size, time step, initial potentials and synapses, as `cuba_arrays` returns them.
    target : str
        Brian2 code generation target of the runtime device ("cython" or "numpy"); ignored
        on the ``cpp_standalone`` device, which the caller selects with ``set_device``.

    Returns
    -------
    network : brian2.Network
        The objects, ready to ``run``; Brian2's default clock is set to ``arrays["dt"]``.
    monitor : brian2.SpikeMonitor
        Spikes of all neurons.
    """
    import brian2 as b2
    from brian2 import mV, ms

    b2.prefs.codegen.target = target
    b2.defaultclock.dt = float(arrays["dt"]) * ms
    namespace = {"taum": 20 * ms, "taue": 5 * ms, "taui": 10 * ms, "Vt": -50 * mV,
                 "Vr": -60 * mV, "El": -49 * mV, "we": (60 * 0.27 / 10) * mV,
                 "wi": (-20 * 4.5 / 10) * mV}
    eqs = """
    dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    P = b2.NeuronGroup(int(arrays["n"]), eqs, threshold="v > Vt", reset="v = Vr",
                       refractory=5 * ms, method="exact", namespace=namespace, name="cuba")
    P.v = np.asarray(arrays["v0"]) * mV
    P.ge = 0 * mV
    P.gi = 0 * mV
    Ce = b2.Synapses(P, P, on_pre="ge += we", namespace=namespace, name="exc")
    Ci = b2.Synapses(P, P, on_pre="gi += wi", namespace=namespace, name="inh")
    Ce.connect(i=arrays["exc_i"], j=arrays["exc_j"])
    Ci.connect(i=arrays["inh_i"], j=arrays["inh_j"])
    monitor = b2.SpikeMonitor(P, name="spikes")
    return b2.Network(P, Ce, Ci, monitor), monitor


def synaptic_events(arrays: dict, ids: np.ndarray) -> int:
    """Number of synaptic events the spikes of neurons `ids` cause (see `cuba_arrays`)."""
    out_degree = np.bincount(np.concatenate([arrays["exc_i"], arrays["inh_i"]]),
                             minlength=int(arrays["n"]))
    return int(out_degree[np.asarray(ids, np.int64)].sum())


# -- one measurement (runs in a worker process) -------------------------------------------------
def _peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM: this program's own, even in a worker
    forked from a large parent), MB."""
    from nest_peer import peak_rss_mb
    return peak_rss_mb()


@contextlib.contextmanager
def _brian2_loop_cpu_clock():
    """Make the runtime device's ``_last_run_time`` the loop's CPU time, not its wall time.

    Brian2's `Network.run` times its time-step loop with ``time.time()`` (its standalone
    binary uses ``std::clock()``, CPU time); on a machine shared with other work CPU time is
    the comparable measure, so the module's clock is swapped for ``time.process_time``
    while the run lasts.
    """
    import brian2.core.network as b2_network
    saved = b2_network.time
    b2_network.time = types.SimpleNamespace(time=time.process_time)
    try:
        yield
    finally:
        b2_network.time = saved


def _build_ir(n: int, seed: int, dt: float):
    return build_cuba(n, synapses_per_neuron=min(_SYNAPSES_PER_NEURON, n), seed=seed, dt=dt)


def _loop_clock(threads: int):
    """CPU time for one thread (comparable with Brian2's), wall time for more."""
    return time.process_time if threads == 1 else time.perf_counter


def _measure_numba(n, duration, dt, seed, cache_dir, arrays, threads=1):
    import spikemem as sm
    import spikemem.backends.numba  # noqa: F401  (imports are not timed, as brian2's)
    t0 = time.perf_counter()
    net = _build_ir(n, seed, dt)
    sim = sm.build(net, backend="numba", progress=False, threads=threads)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim.run(duration)
    t_run = time.perf_counter() - t0
    _, ids = sim.recording.spikes("cuba")
    sim.reset()
    clock = _loop_clock(threads)
    t0 = clock()
    sim.run(duration)
    t_sim = clock() - t0
    return t_build, t_run, t_sim, ids, _peak_rss_mb()


def _measure_nest(n, duration, dt, seed, cache_dir, arrays, threads=1):
    from nest_peer import nest_cuba
    out = nest_cuba(arrays, duration, threads=threads, seed=seed)
    t_sim = out["simulate_s"] if threads > 1 else out["simulate_cpu_s"]
    return out["build_s"], out["simulate_s"], t_sim, out["ids"], out["peak_rss_mb"]


def _measure_spikemem_brian2(n, duration, dt, seed, cache_dir, arrays):
    import brian2 as b2
    import spikemem as sm
    import spikemem.backends.brian2  # noqa: F401
    b2.prefs.codegen.runtime.cython.cache_dir = str(cache_dir)
    t0 = time.perf_counter()
    net = _build_ir(n, seed, dt)
    sim = sm.build(net, backend="brian2", target="cython", progress=False)
    t_build = time.perf_counter() - t0
    with _brian2_loop_cpu_clock():
        t0 = time.perf_counter()
        sim.run(duration)
        t_run = time.perf_counter() - t0
    _, ids = sim.recording.spikes("cuba")
    return t_build, t_run, float(b2.get_device()._last_run_time), ids, _peak_rss_mb()


def _measure_brian2_runtime(n, duration, dt, seed, cache_dir, arrays):
    import brian2 as b2
    b2.prefs.codegen.runtime.cython.cache_dir = str(cache_dir)
    t0 = time.perf_counter()
    network, monitor = brian2_cuba(arrays, target="cython")
    t_build = time.perf_counter() - t0
    with _brian2_loop_cpu_clock():
        t0 = time.perf_counter()
        network.run(duration * b2.ms)
        t_run = time.perf_counter() - t0
    return (t_build, t_run, float(b2.get_device()._last_run_time), np.asarray(monitor.i[:]),
            _peak_rss_mb())


#: Runs the standalone binary and writes its peak RSS (kB) to argv[1]. The value comes from
#: wait4 and so includes the few MB this small wrapper had when it forked the binary.
_RSS_WRAPPER = (
    "import os, sys, json, subprocess\n"
    "p = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "open(sys.argv[1], 'w').write(json.dumps(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n")


def _measure_brian2_standalone(n, duration, dt, seed, cache_dir, arrays):
    import brian2 as b2
    project = Path(cache_dir) / "project"
    rss_file = Path(cache_dir) / "binary_rss.json"
    b2.set_device("cpp_standalone", directory=str(project), build_on_run=False)
    b2.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, "-c", _RSS_WRAPPER,
                                                    str(rss_file), "./main"]
    t0 = time.perf_counter()
    network, monitor = brian2_cuba(arrays)
    network.run(duration * b2.ms)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    b2.device.build(directory=str(project), compile=True, run=True, debug=False)
    t_run = time.perf_counter() - t0
    # the simulating process is the binary (the Python process only generated its code)
    rss = json.loads(rss_file.read_text()) / 1024.0
    return t_build, t_run, float(b2.device._last_run_time), np.asarray(monitor.i[:]), rss


_MEASURE = {"numba": _measure_numba,
            "numba_2t": lambda *a: _measure_numba(*a, threads=2),
            "brian2_runtime": _measure_brian2_runtime,
            "brian2_standalone": _measure_brian2_standalone,
            "spikemem_brian2": _measure_spikemem_brian2,
            "nest": _measure_nest, "nest_2t": lambda *a: _measure_nest(*a, threads=2)}


def measure(peer: str, n: int, duration: float, dt: float, seed: int, cache_dir,
            arrays: dict) -> dict:
    """Build and run CUBA with `n` neurons on `peer` in this process; return the measurements.

    Parameters
    ----------
    peer : str
        One of `PEERS`.
    n : int
        Number of neurons.
    duration : float
        Biological time, ms.
    dt : float
        Time step, ms.
    seed : int
        Seed of the network (connectivity and initial potentials).
    cache_dir : str or Path
        Folder of this peer's compiled code (Brian2's Cython cache, the standalone project).
        The Numba engine's cache folder is set by the caller (``NUMBA_CACHE_DIR``).
    arrays : dict
        `cuba_arrays` of the IR network with these `n`, `seed` and `dt`: the Brian2 models
        take their synapses from it (spikemem's backends build the IR themselves, which is
        part of their build time).

    Returns
    -------
    dict
        ``build_s``, ``run_s`` (the first run call of this process), ``simulate_s``,
        ``spikes``, ``events``, ``peak_rss_mb``.
    """
    t_build, t_run, t_sim, ids, rss = _MEASURE[peer](n, duration, dt, seed, cache_dir, arrays)
    return {"build_s": t_build, "run_s": t_run, "simulate_s": t_sim, "spikes": int(len(ids)),
            "events": synaptic_events(arrays, ids), "peak_rss_mb": rss}


# -- orchestration ------------------------------------------------------------------------------
def _available_peers() -> list:
    from spikemem.backends import available
    from nest_peer import nest_available
    out = [p for p in PEERS if p != "spikemem_brian2" or "brian2" in available()]
    return [p for p in out if not p.startswith("nest") or nest_available()]


def _worker(peer, n, duration, dt, seed, cache_dir, arrays_file) -> dict:
    """Run `measure` in a fresh Python process (Numba's cache in ``cache_dir/numba``)."""
    out = Path(cache_dir) / f"result_{time.monotonic_ns()}.json"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(cache_dir) / "numba"), MPLBACKEND="Agg")
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", peer, "--sizes", str(n),
           "--duration", str(duration), "--dt", str(dt), "--seed", str(seed),
           "--cache-dir", str(cache_dir), "--arrays", str(arrays_file), "--out", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark worker {peer} N={n} failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(out.read_text())


def _best(results: list) -> dict:
    """Fastest of repeated measurements (each time its minimum, memory its maximum)."""
    best = dict(results[0])
    for key in ("build_s", "run_s", "simulate_s"):
        best[key] = min(r[key] for r in results)
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in results)
    return best


def benchmark(sizes, duration: float = 1000.0, dt: float = 0.1, seed: int = 0,
              peers=None, repeats: int = 3, log=print) -> list:
    """Measure every peer at every size: a first run (empty caches) and cached runs.

    Parameters
    ----------
    sizes : sequence of int
        Numbers of neurons (about 80 synapses per neuron at every size).
    duration, dt : float
        Biological time and time step, ms.
    seed : int
        Seed of the networks.
    peers : sequence of str, optional
        Subset of `PEERS` (default: every one available here).
    repeats : int
        Cached runs per peer and size (>= 1); the table keeps each time's minimum, the usual
        estimate on a machine shared with other work.
    log : callable
        Receives one progress line per measurement.

    Returns
    -------
    list of dict
        One row per (size, peer) with the keys of `COLUMNS`; the simulation time and memory
        come from the cached runs.
    """
    repeats = check_int("benchmark", "repeats", repeats, minimum=1)
    peers = [p for p in (peers or _available_peers())]
    rows = []
    for n in sizes:
        size_rows = {}
        work = Path(tempfile.mkdtemp(prefix=f"cuba_{n}_"))
        try:
            arrays = cuba_arrays(_build_ir(n, seed, dt))
            n_synapses = arrays["exc_i"].size + arrays["inh_i"].size
            np.savez(work / "arrays.npz", **arrays)
            del arrays
            args = {p: (p, n, duration, dt, seed, work / p, work / "arrays.npz") for p in peers}
            first = {}
            for peer in peers:
                (work / peer).mkdir()
                first[peer] = _worker(*args[peer])
            # cached runs in turns, so that every peer meets the same background load
            runs = {p: [] for p in peers}
            for _ in range(repeats):
                for peer in peers:
                    runs[peer].append(_worker(*args[peer]))
            for peer in peers:
                size_rows[peer] = _row(n, n_synapses, peer, first[peer], _best(runs[peer]),
                                       duration)
                log(_log_line(size_rows[peer]))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        for row in size_rows.values():
            rt, sa = size_rows.get("brian2_runtime"), size_rows.get("brian2_standalone")
            ne = size_rows.get("nest")
            row["sim_speedup_vs_nest"] = ne["simulate_s"] / row["simulate_s"] if ne else None
            row["sim_speedup_vs_runtime"] = rt["simulate_s"] / row["simulate_s"] if rt else None
            row["sim_speedup_vs_standalone"] = (sa["simulate_s"] / row["simulate_s"]
                                                if sa else None)
            row["e2e_speedup_vs_runtime"] = (rt["end_to_end_s"] / row["end_to_end_s"]
                                             if rt else None)
            rows.append(row)
    return rows


def _row(n, n_synapses, peer, first, cached, duration) -> dict:
    """One table row: times and memory of the cached run, the first run's wall time."""
    seconds = duration / 1000.0
    return {"n_neurons": n, "n_synapses": n_synapses, "peer": peer,
            "build_s": cached["build_s"], "first_run_s": first["run_s"],
            "cached_run_s": cached["run_s"], "simulate_s": cached["simulate_s"],
            "end_to_end_s": cached["build_s"] + cached["run_s"],
            "bio_per_simulate_s": seconds / cached["simulate_s"],
            "events_per_s": cached["events"] / cached["simulate_s"],
            "spikes": cached["spikes"], "rate_hz": cached["spikes"] / n / seconds,
            "peak_rss_mb": cached["peak_rss_mb"]}


def _log_line(row) -> str:
    return (f"N={row['n_neurons']:>7} {row['peer']:18s} build {row['build_s']:7.2f} s, "
            f"first run {row['first_run_s']:7.2f} s, cached run {row['cached_run_s']:7.2f} s, "
            f"simulate {row['simulate_s']:7.3f} s, {row['spikes']} spikes, "
            f"{row['peak_rss_mb']:.0f} MB")


def _fmt(key, value) -> str:
    if value is None:
        return "–"
    if key in ("n_neurons", "n_synapses", "spikes"):
        return f"{int(value):,}"
    if key == "events_per_s":
        return f"{value:.3g}"
    if key in ("peak_rss_mb",):
        return f"{value:.0f}"
    if key.endswith("_vs_runtime") or key.endswith("_vs_standalone") or key.endswith("_nest"):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:.3g}" if value < 10 else f"{value:.1f}"
    return str(value)


def markdown_table(rows) -> str:
    """The rows of `benchmark` as a Markdown table."""
    lines = ["| " + " | ".join(COLUMNS.values()) + " |",
             "|" + "|".join("---" for _ in COLUMNS) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(k, row.get(k)) for k in COLUMNS) + " |")
    return "\n".join(lines)


def write_csv(rows, path) -> None:
    """Write the rows to a CSV file, atomically."""
    from spikemem.io import atomic_path
    with atomic_path(path, ".csv") as tmp:
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(COLUMNS))
            writer.writeheader()
            for row in rows:
                writer.writerow({k: row.get(k) for k in COLUMNS})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000],
                        help="numbers of neurons (default 4000)")
    parser.add_argument("--duration", type=float, default=1000.0,
                        help="biological time per run, ms (default 1000)")
    parser.add_argument("--dt", type=float, default=0.1, help="time step, ms (default 0.1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the network")
    parser.add_argument("--peers", nargs="+", choices=PEERS, default=None,
                        help="peers to run (default: all available)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="cached runs per peer and size; times are their minimum (default 3)")
    parser.add_argument("--out", default="benchmarks/out/cuba.csv", help="CSV file to write")
    parser.add_argument("--worker", choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", help=argparse.SUPPRESS)
    parser.add_argument("--arrays", help=argparse.SUPPRESS)
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.worker:
        with np.load(args.arrays) as f:
            arrays = {k: f[k] for k in f.files}
        result = measure(args.worker, args.sizes[0], args.duration, args.dt, args.seed,
                         args.cache_dir, arrays)
        Path(args.out).write_text(json.dumps(result))
        return 0
    rows = benchmark(args.sizes, args.duration, args.dt, args.seed, args.peers, args.repeats,
                     log=lambda line: print(line, file=sys.stderr, flush=True))
    write_csv(rows, args.out)
    print(f"CUBA, {args.duration:g} ms at dt = {args.dt:g} ms, "
          f"~{_SYNAPSES_PER_NEURON} synapses per neuron:\n")
    print(markdown_table(rows))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
