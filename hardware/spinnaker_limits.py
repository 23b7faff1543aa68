"""SpiNNaker's limits as sPyNNaker 1!7.4.1 applies them, with where each number comes from.

Every constant below was read from the installed sPyNNaker 1!7.4.1 tool chain (PyPI
``spynnaker==1!7.4.1`` and its dependencies ``SpiNNaker_PACMAN``, ``SpiNNFrontEndCommon``,
``SpiNNMachine`` of the same version) and, where it matters, confirmed by mapping networks on
sPyNNaker's virtual SpiNN-5 and SpiNN-3 boards (see docs/hardware_spinnaker.md). Paths are
relative to ``site-packages``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from spikemem.errors import ValidationError

__all__ = ["SPYNNAKER_VERSION", "MAX_NEURONS_PER_CORE", "POP_TABLE_MAX_ROW_WORDS",
           "MAX_POISSON_PER_CORE", "MAX_RING_BUFFER_BITS", "DELAY_EXTENSION_SLOTS",
           "ROW_HEADER_WORDS", "STDP_HEADER_BYTES", "STATIC_SYNAPSES_PER_SECOND",
           "STDP_SYNAPSES_PER_SECOND", "SPIKES_PER_SECOND", "RING_BUFFER_SIGMA",
           "POISSON_SIGMA_SUMMATION_LIMIT", "WATTS_PER_ACTIVE_CORE",
           "JOULES_PER_SPIKE_PACKET", "BoardSpec", "BOARDS", "board_spec", "n_bits",
           "row_words", "max_row_synapses", "weight_power", "time_scale_factor"]

#: The sPyNNaker release these limits are taken from.
SPYNNAKER_VERSION = "1!7.4.1"

#: Default maximum neurons per core of a neuron population, static or plastic:
#: ``spynnaker/pyNN/models/neuron/abstract_pynn_neuron_model.py`` ``DEFAULT_MAX_ATOMS_PER_CORE
#: = POP_TABLE_MAX_ROW_LENGTH`` and ``AbstractSynapseDynamics.absolute_max_atoms_per_core``
#: (``POP_TABLE_MAX_ROW_LENGTH = 256`` in ``spynnaker/pyNN/utilities/constants.py``).
MAX_NEURONS_PER_CORE = 256

#: Longest synaptic row, in 32-bit words, the master population table accepts
#: (``MasterPopTableAsBinarySearch.get_allowed_row_length``: ``POP_TABLE_MAX_ROW_LENGTH``).
#: A static synapse takes one word, so a static row holds 256 synapses; a plastic one (pair
#: rule, weight-only synapse structure) holds 254 (see `max_row_synapses`).
POP_TABLE_MAX_ROW_WORDS = 256

#: Words of header of every row (``spynnaker/pyNN/models/neuron/synapse_io.py``
#: ``_N_HEADER_WORDS``), counted in the synaptic matrix size, not in the row limit.
ROW_HEADER_WORDS = 3

#: Bytes of the plastic-region header of a pair-rule STDP row: a 4-byte time stamp plus a
#: 2-byte pre-synaptic trace, rounded up to whole words (``SynapseDynamicsSTDP._n_header_bytes``,
#: ``TIME_STAMP_BYTES = 4``, ``TimingDependenceSpikePair.pre_trace_n_bytes = 2``).
STDP_HEADER_BYTES = 8

#: Poisson source neurons per core (``spike_source_poisson.py``
#: ``DEFAULT_MAX_ATOMS_PER_CORE = 500``). A ``SpikeSourceArray`` has no default limit and
#: maps onto one core (``AbstractPyNNModel.absolute_max_atoms_per_core = sys.maxsize``).
MAX_POISSON_PER_CORE = 500

#: Bits of a core's input ring buffer index: neuron-id bits + synapse-type bits + delay bits
#: (``constants.py`` ``MAX_RING_BUFFER_BITS = 14``); the delay slots a core offers follow.
MAX_RING_BUFFER_BITS = 14

#: A delay extension adds up to 8 times the post core's native delay range
#: (``DelayExtensionVertex.MAX_SLOTS = 8``, ``delay_support_adder.py``).
DELAY_EXTENSION_SLOTS = 8

#: Synaptic events per second one core processes (``synapse_dynamics_static.py`` and
#: ``synapse_dynamics_stdp.py`` ``synapses_per_second``, citing Knight & Furber,
#: "Synapse-centric mapping of cortical models to the SpiNNaker neuromorphic architecture",
#: Front. Neurosci. 2016).
STATIC_SYNAPSES_PER_SECOND = 13_000_000
STDP_SYNAPSES_PER_SECOND = 1_400_000

#: Defaults of ``spynnaker/pyNN/spynnaker.cfg`` [Simulation]: assumed maximum firing rate of
#: any neuron (Hz) and the standard deviations of input kept in the ring buffer.
SPIKES_PER_SECOND = 30.0
RING_BUFFER_SIGMA = 5.0
#: ``constants.py`` ``POSSION_SIGMA_SUMMATION_LIMIT``.
POISSON_SIGMA_SUMMATION_LIMIT = 3.0


#: Extra power of a core that runs an application, W (``spinn_machine`` 7.4.1
#: ``VersionSpin1.WATTS_PER_CORE_ACTIVE_OVERHEAD``: a boxed SpiNN-5 board drew 31.88 W idle
#: and 59.38 W with 806 cores active, i.e. 0.034 W per core).
WATTS_PER_ACTIVE_CORE = 0.034

#: Energy of one 40-bit multicast (spike) packet through a router, J: 25 pJ per bit
#: (Painkras et al., "SpiNNaker: A 1-W 18-core system-on-chip for massively-parallel neural
#: network simulation", IEEE JSSC 2013; ``VersionSpin1.JOULES_PER_PACKET``).
JOULES_PER_SPIKE_PACKET = 25e-12 * 40


@dataclass(frozen=True)
class BoardSpec:
    """A SpiNNaker board as sPyNNaker 7.4.1 sees it.

    Attributes
    ----------
    name : str
    version : int
        sPyNNaker's board version (``[Machine] version``).
    n_chips : int
    n_cores : int
        All ARM cores of the board.
    app_cores : int
        Cores left for the application after one SC&MP monitor and one extra monitor per
        chip and one packet gatherer per board (measured: the largest network of one-core
        populations that maps on the virtual board).
    cores_per_chip : int
        Application cores per chip sPyNNaker's chip counter assumes (18 - 1 - 1).
    sdram_per_chip : int
        Bytes of SDRAM per chip (``VersionSpin1``: 123469792).
    multi_board : bool
        Whether sPyNNaker may build a machine of several such boards (SpiNN-5 only).
    idle_watts : float
        Power of the idle board, W (``spinn_machine`` ``Version5.WATTS_FOR_48_CHIP_BOARD_IDLE_COST``
        = 26.84 W, from Stokes et al., "Optimising the overall power usage on the SpiNNaker
        neuromimetic platform"; ``Version3.WATTS_FOR_4_CHIP_BOARD_IDLE_COST`` = 3.56 W,
        measured).
    """

    name: str
    version: int
    n_chips: int
    n_cores: int
    app_cores: int
    cores_per_chip: int = 16
    sdram_per_chip: int = 123469792
    multi_board: bool = False
    idle_watts: float = 0.0


#: Boards the checker knows. SpiNN-5: 48 chips, 856 cores (8 chips have 17 working cores),
#: 759 application cores; SpiNN-3: 4 chips of 18 cores, 63 application cores.
BOARDS = {
    "spinn5": BoardSpec("spinn5", 5, 48, 856, 759, multi_board=True, idle_watts=26.84),
    "spinn3": BoardSpec("spinn3", 3, 4, 72, 63, idle_watts=3.56),
}


def board_spec(board) -> BoardSpec:
    """Return the `BoardSpec` named `board` (or `board` itself)."""
    if isinstance(board, BoardSpec):
        return board
    if board not in BOARDS:
        raise ValidationError(f"SpiNNaker: board must be one of {sorted(BOARDS)}, got {board!r}")
    return BOARDS[board]


def n_bits(n_values: int) -> int:
    """Bits needed to index `n_values` values (sPyNNaker's ``get_n_bits``: 0, 1, ceil(log2 n))."""
    if n_values <= 0:
        return 0
    if n_values == 1:
        return 1
    return int(math.ceil(math.log2(n_values)))


def row_words(n_synapses: int, plastic: bool) -> int:
    """Words a synaptic row of `n_synapses` synapses takes (header excluded).

    Static: one word per synapse. Plastic (pair rule, weight-only structure): the
    fixed-plastic region (one half-word per synapse) plus the plastic region (header of
    `STDP_HEADER_BYTES` and one half-word weight per synapse), each rounded up to words
    (``SynapseDynamicsSTDP.__get_n_connections``).
    """
    if n_synapses <= 0:
        return 0
    if not plastic:
        return n_synapses
    fixed_plastic = (n_synapses + 1) // 2
    plastic_words = (STDP_HEADER_BYTES + 2 * n_synapses + 3) // 4
    return fixed_plastic + plastic_words


def max_row_synapses(plastic: bool) -> int:
    """Most synapses one row may hold: 256 static, 254 plastic (pair rule)."""
    n = POP_TABLE_MAX_ROW_WORDS
    while row_words(n, plastic) > POP_TABLE_MAX_ROW_WORDS:
        n -= 1
    return n


def weight_power(max_weight: float) -> int:
    """sPyNNaker's ring-buffer left shift for a largest expected summed input `max_weight` (nA).

    ``PopulationVertex.get_ring_buffer_shifts``: ``ceil(log2(w))`` (0 for ``w <= 1``), plus
    one when ``2**power <= w``. Weights are then stored as 16-bit integers of
    ``2**(15 - power)`` per nA.
    """
    if max_weight <= 0:
        return 0
    power = int(math.ceil(max(0.0, math.log2(max_weight))))
    if 2.0 ** power <= max_weight:
        power += 1
    return power


def time_scale_factor(dt: float) -> float:
    """sPyNNaker's default time scale factor at time step `dt` (ms).

    ``SpynnakerDataWriter.set_up_timings_and_delay``: ``max(1, ceil(dt_us / 10000))``.
    """
    return max(1.0, float(math.ceil(round(dt * 1000.0) / 10000.0)))
