"""Simulation control of spikemem.pynn: setup, run, reset, end and state queries."""
from __future__ import annotations

from pyNN import common
from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from ..errors import UnsupportedFeature, ValidationError
from . import simulator

__all__ = ["setup", "end", "run", "run_until", "run_for", "reset", "initialize",
           "get_current_time", "get_time_step", "get_min_delay", "get_max_delay",
           "num_processes", "rank", "set_number_of_neurons_per_core"]


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, max_delay=DEFAULT_MAX_DELAY,
          backend="numba", seed=0, conventions="spinnaker", **extra_params):
    """Start a new simulation (and forget any previous one).

    Parameters
    ----------
    timestep : float
        Time step, ms (> 0). Delays are rounded to whole steps.
    min_delay, max_delay : float or "auto"
        PyNN's delay bounds, ms ("auto" = one time step).
    backend : {"numba", "brian2", "nengo"}
        The spikemem backend that runs the network.
    seed : int
        Seed of the backend and of every SpikeSourcePoisson (>= 0).
    conventions : {"spinnaker", "pynn"}
        "spinnaker" (default): sPyNNaker's conventions, so that scripts written for the chip
        run unmodified (A± of additive STDP in nA, positive inhibitory weights accepted,
        ``Population.set(v=...)`` and ``IF_curr_exp(v=...)`` set the initial membrane
        potential). "pynn": PyNN 0.13's documented conventions (A± scaled by w_max, inhibitory
        weights <= 0, initial v -65 mV unless initialised). See docs/pynn.md.
    **extra_params
        Backend options passed to `spikemem.build` (e.g. ``progress=False``; Brian2:
        ``device="cpp_standalone"``); sPyNNaker-only options (``n_boards_required``, ...) are
        refused by name.

    Returns
    -------
    int
        The MPI rank (always 0).
    """
    if extra_params.get("spike_precision", "on_grid") != "on_grid":
        raise UnsupportedFeature(
            f"spikemem.pynn: spike_precision={extra_params['spike_precision']!r}; spikemem is "
            "clock-driven and puts every spike on the time-step grid: use 'on_grid' (default)")
    options = {k: v for k, v in extra_params.items()
               if k not in ("rank", "num_processes", "spike_precision")}
    common.setup(timestep, min_delay, **extra_params)
    simulator.state.configure(timestep, min_delay, max_delay, backend, seed, conventions,
                              options)
    return rank()


def end(compatible_output=True):
    """Write data requested with ``record(..., to_file=...)``.

    Recorded data stay readable (``get_data``) until the next `setup`.
    """
    for population, variables, filename in simulator.state.write_on_end:
        population.write_data(get_io(filename), variables)
    simulator.state.write_on_end = []


def set_number_of_neurons_per_core(neuron_type, max_permitted):
    """sPyNNaker's mapping hint, accepted so that sPyNNaker scripts run unmodified.

    spikemem simulates every neuron in one process, so the hint changes nothing here; the
    SpiNNaker exporter (``spikemem.hardware``) takes its own ``neurons_per_core``.

    Parameters
    ----------
    neuron_type : class
        A cell type class (e.g. ``sim.IF_curr_exp``).
    max_permitted : int
        Neurons per core (>= 1).
    """
    if not isinstance(neuron_type, type):
        raise ValidationError(f"set_number_of_neurons_per_core: neuron_type must be a cell "
                              f"type class, got {neuron_type!r}")
    if (isinstance(max_permitted, bool) or not isinstance(max_permitted, int)
            or max_permitted < 1):
        raise ValidationError(f"set_number_of_neurons_per_core: max_permitted must be an "
                              f"integer >= 1, got {max_permitted!r}")


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
    common.build_state_queries(simulator)
