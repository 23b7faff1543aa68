"""Memory estimates made before anything large is allocated.

`build` (every backend) calls `check_build` once, before it creates a simulator; each
`Simulator.run` calls `check_run` for the buffers that grow with the run's length; a connector
calls `check_connection_count` before it materialises its arrays. Each refuses with a
`ResourceError` that shows the estimate, its parts and the memory available, instead of
failing halfway with a raw ``MemoryError`` (or being killed by the operating system).

The limit is the memory available now (``psutil`` if installed, else ``/proc/meminfo``),
or the ``max_memory=`` given to `build` (bytes; ``float("inf")`` disables the check).
"""
from __future__ import annotations

from typing import Optional

from .errors import SpikememError
from .validation import check_number

__all__ = ["ResourceError", "available_memory", "estimate_build", "check_build",
           "check_run", "check_drive_tables", "check_connection_count", "format_bytes"]

#: Bytes per synapse while a connector materialises it (pre, post int64; weight, delay f8;
#: plus the temporaries of sorting into CSR).
BYTES_PER_SYNAPSE = 80
#: Bytes per synapse held by a built simulator (CSR arrays, weights, plasticity state).
BYTES_PER_BUILT_SYNAPSE = 96
#: The Numba engine's compact storage, bytes per static / plastic synapse at the peak of its
#: build (measured: 12 B steady and 14.4 B peak per static synapse, 21 B steady per STDP
#: synapse; `docs/engine.md`), with a margin.
NUMBA_BYTES_PER_STATIC, NUMBA_BYTES_PER_PLASTIC = 16, 48
#: Bytes per neuron of state and parameters.
BYTES_PER_NEURON = 200


class ResourceError(SpikememError, MemoryError):
    """A network or a run would need more memory than is available (or than ``max_memory``)."""


def available_memory() -> Optional[int]:
    """Bytes of memory available to a new allocation now, or None if unknown."""
    try:
        import psutil
        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def format_bytes(n: float) -> str:
    """`n` bytes as a short human-readable string (``"7.6 GiB"``)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024.0
    return f"{n:.1f} PiB"


def _limit(max_memory) -> tuple:
    if max_memory is None:
        avail = available_memory()
        return (float("inf") if avail is None else avail), "available memory"
    return check_number("build", "max_memory", max_memory, 0.0, float("inf"), allow_inf=True,
                        unit="bytes"), "max_memory"


def _refuse(what: str, parts: dict, max_memory, hint: str) -> None:
    total = sum(parts.values())
    if total <= 0:
        return                      # nothing to allocate: no need to ask the system
    limit, name = _limit(max_memory)
    if total <= limit:
        return
    detail = ", ".join(f"{k} {format_bytes(v)}" for k, v in parts.items() if v)
    raise ResourceError(f"{what} needs about {format_bytes(total)} ({detail}), more than the "
                        f"{name} ({format_bytes(limit)}); {hint}")


def check_connection_count(owner: str, n_synapses: float, max_memory=None) -> None:
    """Refuse to materialise `n_synapses` connections that would not fit in memory."""
    _refuse(f"{owner}: {int(n_synapses)} connections", {"connection arrays":
            float(n_synapses) * BYTES_PER_SYNAPSE}, max_memory,
            "use a sparser connector or smaller populations")


def estimate_build(network, backend: str = "numba") -> dict:
    """Bytes a clock-driven simulator of `network` allocates when built, by part.

    `backend` "numba" counts the engine's compact synapse storage, any other backend
    `BYTES_PER_BUILT_SYNAPSE` per synapse.

    Returns
    -------
    dict
        ``{"synapses", "neurons", "ring buffer", "plasticity traces", "Poisson blocks",
        "recording buffers"}`` in bytes.
    """
    from .lowering import delay_steps
    from .stimulus import SpikeSourcePoisson
    N = network.n_neurons
    S = sum(s.size for s in network.sources)

    def longest(projections) -> int:
        """Longest delay, steps (the lowering's conversion of each projection's maximum)."""
        return max([int(delay_steps([p.delay.max()], network.dt, f"Projection {p.label!r}")[0])
                    for p in projections if p.delay.size] + [1])

    max_delay = longest(network.projections)
    plastic = [p for p in network.projections if p.plastic]
    pl_delay = longest(plastic)
    poisson = [s.size for s in network.sources if isinstance(s, SpikeSourcePoisson)]
    n_plastic = sum(p.size for p in plastic)
    synapses = (float(network.n_synapses - n_plastic) * NUMBA_BYTES_PER_STATIC
                + float(n_plastic) * NUMBA_BYTES_PER_PLASTIC) if backend == "numba" else \
        float(network.n_synapses) * BYTES_PER_BUILT_SYNAPSE
    return {
        "synapses": synapses,
        "neurons": float(N) * BYTES_PER_NEURON,
        "ring buffer": float(max_delay + 1) * 2 * N * 8,
        "plasticity traces": float(len(plastic)) * ((N + S) * 16 + (pl_delay + 2) * N * 16),
        "Poisson blocks": float(min(max(poisson, default=0) * SpikeSourcePoisson.BLOCK_STEPS,
                                    SpikeSourcePoisson.MAX_DRAW)) * 9,
        "recording buffers": float(max(1 << 20, 8 * (N + S))) * 16,
    }


def check_build(network, max_memory=None, backend: str = "numba") -> dict:
    """Raise `ResourceError` if building `network` on `backend` needs more than the limit;
    return the estimate (see `estimate_build`)."""
    from .network import Network
    from .errors import ValidationError
    if not isinstance(network, Network):
        raise ValidationError(f"build: network must be a spikemem.Network, got "
                              f"{type(network).__name__}")
    parts = estimate_build(network, backend)
    _refuse(f"building network {network.label!r}", parts, max_memory,
            "reduce the network, or pass build(..., max_memory=<bytes>) to override")
    return parts


def check_run(network, n_steps: int, max_memory=None) -> None:
    """Raise `ResourceError` if the buffers a run of `n_steps` records would not fit
    (membrane traces: ``n_steps x traced neurons`` doubles, kept and concatenated)."""
    traced = sum(p.size for p in network.populations if "v" in p.record)
    _refuse(f"running network {network.label!r} for {n_steps} steps",
            {"membrane traces": float(n_steps) * traced * 8 * 3}, max_memory,
            "record 'v' from fewer neurons or run in shorter pieces")


def check_drive_tables(network, n_steps: int, max_memory=None) -> None:
    """Raise `ResourceError` if the Poisson drives' input of a whole run, precomputed as
    ``n_steps x n_neurons`` doubles per drive (Brian2's ``cpp_standalone`` device), would not
    fit. The Numba engine and the other devices draw the counts step by step instead."""
    table = float(n_steps) * network.n_neurons * 8 * len(network.drives)
    _refuse(f"precomputing the Poisson drives of network {network.label!r} for {n_steps} "
            f"steps", {"drive input tables": table}, max_memory,
            "run Brian2 on the runtime device, or in shorter runs")
