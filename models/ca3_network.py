"""IR builder of the spiking CA3 content-addressable memory (Casanueva-Morato et al., 2024).

The network stores up to ``cue_size`` memories, each a pair (one-hot cue, binary content of
``content_size`` bits), in two all-to-all STDP projections learned in one shot:
CA3cueCueRecall -> CA3contCueRecall (cue -> content, used by recall by cue) and
CA3contContRecall -> CA3cueContRecall (content -> cue, used by recall by content).
All neurons are `IF_curr_exp` cells at dt = 1 ms with the published parameters; they only
work with the IR's discrete-time (sPyNNaker) update and dendritic STDP delays.

`DEFAULT_PARAMS` holds every published value; `build_network(..., params=)` overrides any of
them (nested dicts are merged) and validates the result.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import spikemem as sm
from spikemem.errors import ValidationError, check_int

__all__ = ["DEFAULT_PARAMS", "POPULATIONS", "CUE_TO_CONTENT", "CONTENT_TO_CUE", "Layout",
           "merge_params", "build_network"]

_SLOW = dict(cm=0.27, tau_m=3.0, tau_refrac=1.0, tau_syn_E=0.3, tau_syn_I=0.3,
             v_rest=-60.0, v_reset=-60.0, v_thresh=-57.0, i_offset=0.0)
_FAST = dict(_SLOW, cm=0.14, tau_m=0.5)

#: Published parameters. Cells: "slow", "fast" and "out" (IF_curr_exp keyword arguments,
#: mV, ms, nF, nA); "v_init" (mV); "stdp" (`spikemem.STDP` keyword arguments, A in nA);
#: "synapses": per static projection ``{"weight": nA, "delay": ms}``. The two all-to-all
#: inhibitions onto CA3cueContRecall use ``weight * content_size``, as published.
DEFAULT_PARAMS = {
    "dt": 1.0,
    "slow": _SLOW,
    "fast": _FAST,
    "out": dict(_SLOW, v_thresh=-57.5),
    "v_init": -60.0,
    # snapshot the learned weights into the recording after every run (off for very large
    # memories: 10^4 x 10^4 cues/bits hold 2 x 10^8 weights, 1.6 GB per snapshot)
    "record_weights": True,
    "stdp": dict(tau_plus=3.0, tau_minus=3.0, A_plus=6.0, A_minus=6.0, w_min=0.0, w_max=6.0,
                 weight=0.0, delay=1.0),
    "synapses": {
        "IN_cue-CueCueRecall": {"weight": 6.0, "delay": 1.0},
        "IN_cont-ContCueRecall": {"weight": 6.0, "delay": 1.0},
        "CueCueRecall-CueContRecall": {"weight": 6.0, "delay": 2.0},
        "CueCueRecall-CueContRecall-inh": {"weight": 6.0, "delay": 3.0},
        "CueContRecall-CueContRecall-inh": {"weight": 6.0, "delay": 2.0},
        "CueCueRecall-ContCond-inh": {"weight": 6.0, "delay": 2.0},
        "ContCueRecall-ContCond": {"weight": 9.0, "delay": 1.0},
        "ContCueRecall-ContCondInt": {"weight": 6.0, "delay": 1.0},
        "ContCondInt-ContCond": {"weight": 2.0, "delay": 1.0},
        "ContCond-ContContRecall": {"weight": 6.0, "delay": 1.0},
        "CueCueRecall-MergeCue": {"weight": 6.0, "delay": 3.0},
        "CueContRecall-MergeCue": {"weight": 6.0, "delay": 1.0},
        "ContCueRecall-MergeCont": {"weight": 6.0, "delay": 3.0},
        "ContContRecall-MergeCont": {"weight": 6.0, "delay": 1.0},
        "MergeCue-OUT_cue": {"weight": 6.0, "delay": 1.0},
        "MergeCont-OUT_cont": {"weight": 6.0, "delay": 1.0},
    },
}

#: Population labels (as in the paper), in build order, with their cell kind and size key.
POPULATIONS = (
    ("CA3cueCueRecall", "slow", "cue"),
    ("CA3cueContRecall", "fast", "cue"),
    ("CA3contCueRecall", "slow", "cont"),
    ("CA3contContRecall", "slow", "cont"),
    ("CA3contCond", "fast", "cont"),
    ("CA3contCondInt", "fast", "one"),
    ("CA3mergeCue", "slow", "cue"),
    ("CA3mergeCont", "slow", "cont"),
    ("OUT", "out", "all"),
)

#: Labels of the two plastic projections.
CUE_TO_CONTENT = "CA3cueCueRecall-CA3contCueRecall"
CONTENT_TO_CUE = "CA3contContRecall-CA3cueContRecall"


@dataclass(frozen=True)
class Layout:
    """Where things are in a built CA3 memory network.

    Attributes
    ----------
    cue_size, content_size : int
        Number of cues (memories) and of content bits.
    dt : float
        Time step, ms.
    input_label, output_label : str
        Labels of the input spike source ("IN") and the output population ("OUT"); in both,
        neurons ``0..cue_size-1`` are the cues and ``cue_size..`` the content bits.
    populations : tuple of str
        Every population label, in build order (the input source first).
    plastic : tuple of str
        Labels of the plastic projections (cue -> content, content -> cue).
    """

    cue_size: int
    content_size: int
    dt: float
    input_label: str = "IN"
    output_label: str = "OUT"
    populations: tuple = ("IN",) + tuple(p[0] for p in POPULATIONS)
    plastic: tuple = (CUE_TO_CONTENT, CONTENT_TO_CUE)

    @property
    def input_size(self) -> int:
        """Neurons of IN (and of OUT): ``cue_size + content_size``."""
        return self.cue_size + self.content_size

    def cue_neuron(self, cue: int) -> int:
        """Index of cue `cue` in IN / OUT."""
        return int(cue)

    def bit_neuron(self, bit: int) -> int:
        """Index of content bit `bit` in IN / OUT."""
        return self.cue_size + int(bit)


def merge_params(params=None) -> dict:
    """`DEFAULT_PARAMS` updated with `params` (nested dicts merged), validated.

    Raises
    ------
    ValidationError
        An unknown key, or a value the IR rejects (e.g. a negative tau or weight).
    """
    out = copy.deepcopy(DEFAULT_PARAMS)
    if params is None:
        return out
    if not isinstance(params, dict):
        raise ValidationError(f"CA3 params: must be a dict, got {type(params).__name__}")
    _merge(out, params, "params")
    return out


def _merge(base: dict, new: dict, where: str) -> None:
    for key, val in new.items():
        if key not in base:
            raise ValidationError(
                f"CA3 {where}: unknown key {key!r}; allowed: {sorted(base)}")
        if isinstance(base[key], dict):
            if not isinstance(val, dict):
                raise ValidationError(
                    f"CA3 {where}[{key!r}]: must be a dict, got {type(val).__name__}")
            _merge(base[key], val, f"{where}[{key!r}]")
        else:
            base[key] = val


def build_network(cue_size: int, content_size: int, params=None):
    """Build the CA3 content-addressable memory as an IR `Network`.

    Parameters
    ----------
    cue_size : int
        Number of cues, i.e. memories the network can hold (>= 1).
    content_size : int
        Number of content bits per memory (>= 1).
    params : dict, optional
        Overrides of `DEFAULT_PARAMS` (nested dicts are merged).

    Returns
    -------
    network : spikemem.Network
        IN (a `SpikeSourceArray` with no spikes yet; add them with ``Simulator.add_spikes``),
        the eight CA3 populations and OUT, all recording spikes.
    layout : Layout

    Raises
    ------
    ValidationError
        Sizes that are not integers >= 1, an unknown parameter key or an invalid value.
    """
    cue_size = check_int("CA3 build_network", "cue_size", cue_size, minimum=1)
    content_size = check_int("CA3 build_network", "content_size", content_size, minimum=1)
    p = merge_params(params)
    cells = {kind: sm.IF_curr_exp(**p[kind]) for kind in ("slow", "fast", "out")}
    net = sm.Network(dt=p["dt"], label=f"CA3cam_{cue_size}x{content_size}")
    sizes = {"cue": cue_size, "cont": content_size, "one": 1, "all": cue_size + content_size}
    inp = net.add(sm.SpikeSourceArray(size=cue_size + content_size, label="IN"))
    pops = {label: net.add(sm.Population(sizes[n], cells[kind], label=label,
                                         initial_v=p["v_init"]))
            for label, kind, n in POPULATIONS}
    out = pops["OUT"]
    syn = p["synapses"]
    for name in syn:
        if set(syn[name]) != {"weight", "delay"}:
            raise ValidationError(
                f"CA3 params['synapses'][{name!r}]: keys must be 'weight' and 'delay', "
                f"got {sorted(syn[name])}")

    def static(pre, post, conn, name, receptor="excitatory", scale=1.0, label=None):
        s = syn[name]
        net.add(sm.Projection(pre, post, conn,
                              sm.StaticSynapse(weight=s["weight"] * scale, delay=s["delay"]),
                              receptor=receptor, label=label or name))

    one, all_ = sm.OneToOne(), sm.AllToAll()
    no_self = sm.AllToAll(allow_self_connections=False)
    cue, cont = slice(0, cue_size), slice(cue_size, cue_size + content_size)
    ccr, cur = pops["CA3cueCueRecall"], pops["CA3cueContRecall"]
    tcr, tor = pops["CA3contCueRecall"], pops["CA3contContRecall"]
    cond, cint = pops["CA3contCond"], pops["CA3contCondInt"]
    mcue, mcont = pops["CA3mergeCue"], pops["CA3mergeCont"]

    static(inp[cue], ccr, one, "IN_cue-CueCueRecall")
    static(inp[cont], tcr, one, "IN_cont-ContCueRecall")
    stdp = sm.STDP(**p["stdp"])
    net.add(sm.Projection(ccr, tcr, all_, stdp, label=CUE_TO_CONTENT,
                          record_weights=p["record_weights"]))
    net.add(sm.Projection(tor, cur, all_, stdp, label=CONTENT_TO_CUE,
                          record_weights=p["record_weights"]))
    static(ccr, cur, one, "CueCueRecall-CueContRecall")
    static(ccr, cur, no_self, "CueCueRecall-CueContRecall-inh", "inhibitory", content_size)
    static(cur, cur, no_self, "CueContRecall-CueContRecall-inh", "inhibitory", content_size)
    static(ccr, cond, all_, "CueCueRecall-ContCond-inh", "inhibitory")
    static(tcr, cond, one, "ContCueRecall-ContCond")
    static(tcr, cint, all_, "ContCueRecall-ContCondInt")
    static(cint, cond, all_, "ContCondInt-ContCond")
    static(cond, tor, one, "ContCond-ContContRecall")
    static(ccr, mcue, one, "CueCueRecall-MergeCue")
    static(cur, mcue, one, "CueContRecall-MergeCue")
    static(tcr, mcont, one, "ContCueRecall-MergeCont")
    static(tor, mcont, one, "ContContRecall-MergeCont")
    static(mcue, out[cue], one, "MergeCue-OUT_cue")
    static(mcont, out[cont], one, "MergeCont-OUT_cont")
    return net, Layout(cue_size, content_size, net.dt)
