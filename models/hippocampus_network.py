"""IR builders of sPyMem 0.0.9's hippocampus memories: CA3, DG-CA3-CA1 with forgetting, and
DG-CA3-CA1 with bio-inspired DG and CA1 (Casanueva-Morato et al., arXiv:2206.04924).

All three store one-shot (cue, content) associations in an all-to-all STDP projection
CA3cue -> CA3cont (one CA3cue neuron per memory, one CA3cont neuron per content bit):

* ``ca3`` (``sPyMem.ca3.CA3``): the cue is presented one-hot, IN = ``cues + bits`` neurons;
* ``forgetting`` (``sPyMem.hippocampus_with_forgetting``): the cue is presented in binary on
  ``n = ceil(log2(cues + 1))`` IN neurons; the DG is sPyBlocks' binary decoder (code ``c`` ->
  CA3cue ``c - 1``; code 0 means "no cue") and CA1 sPyBlocks' binary encoder back to OUT;
* ``bioinspired`` (``sPyMem.hippocampus_bioinspired_dg_ca1``): the same interface, with a DG
  of ``cues`` neurons tuned to their code by excitatory/inhibitory weights and mutual
  inhibition, and a CA1 of ``n`` neurons.

Input and output layers follow sPyMem's test scripts: IN is a spike source, OUT a population
of ``cue width + bits`` neurons (cue part first), so OUT repeats IN's encoding. Population
labels below are sPyMem's names without the trailing "Layer".

sPyNNaker conventions hold as everywhere in the IR: positive inhibitory weights on the
inhibitory receptor, additive STDP with A in nA, dendritic plastic delays. One departure from
PyNN the bio-inspired model needs is sPyNNaker's `OneToOneConnector` between groups of
different sizes: CA1 (``n`` neurons) -> OUT (``n + bits``) connects the first ``n`` pairs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import spikemem as sm
from spikemem.errors import ValidationError, check_int

from .hippocampus_blocks import code_bits, constant_source, decoder, encoder_inputs, wire
from .hippocampus_params import (BIOINSPIRED_PARAMS, CA3_PARAMS, FORGETTING_PARAMS,
                                  merge_model_params)

__all__ = ["MODELS", "SPYMEM_NAMES", "PLASTIC", "model_name", "HippocampusLayout",
           "cue_width", "default_params", "build_network", "build_ca3", "build_forgetting",
           "build_bioinspired"]

#: Label of the plastic CA3cue -> CA3cont projection in every model.
PLASTIC = "CA3cue-CA3cont"

_DEFAULTS = {"ca3": CA3_PARAMS, "forgetting": FORGETTING_PARAMS,
             "bioinspired": BIOINSPIRED_PARAMS}
#: Model names accepted by `build_network`.
MODELS = tuple(_DEFAULTS)
#: sPyMem's module names of the models, accepted wherever a model name is.
SPYMEM_NAMES = {"ca3": "ca3", "hippocampus_with_forgetting": "forgetting",
                "hippocampus_bioinspired_dg_ca1": "bioinspired"}


def model_name(model) -> str:
    """`model` as one of `MODELS` (sPyMem's module names are accepted too).

    Raises
    ------
    ValidationError
        An unknown name.
    """
    if isinstance(model, str) and model in _DEFAULTS:
        return model
    if isinstance(model, str) and model in SPYMEM_NAMES:
        return SPYMEM_NAMES[model]
    raise ValidationError(f"hippocampus model: must be one of {list(MODELS)} (or sPyMem's "
                          f"{sorted(SPYMEM_NAMES)}), got {model!r}")


def cue_width(model: str, cues: int) -> int:
    """IN / OUT neurons that carry the cue: ``cues`` (one-hot, ``ca3``) or
    ``ceil(log2(cues + 1))`` (binary code ``cue + 1``, the DG-CA3-CA1 models)."""
    model = model_name(model)
    cues = check_int("hippocampus cue_width", "cues", cues, minimum=1)
    return cues if model == "ca3" else int(math.ceil(math.log2(cues + 1)))


def default_params(model: str) -> dict:
    """A copy of the published parameters of `model` (see `spikemem.models.hippocampus_params`)."""
    model = model_name(model)
    return merge_model_params(_DEFAULTS[model], None, model)


@dataclass(frozen=True)
class HippocampusLayout:
    """Where things are in a built hippocampus memory.

    Attributes
    ----------
    model : {"ca3", "forgetting", "bioinspired"}
    cue_size, content_size : int
        Memories (cues) and content bits.
    cue_width : int
        IN / OUT neurons of the cue part (see `cue_width`).
    dt : float
        Time step, ms.
    populations : tuple of str
        Every group label in raster order (IN first, OUT last).
    input_label, output_label, plastic : str
    """

    model: str
    cue_size: int
    content_size: int
    cue_width: int
    dt: float
    populations: tuple
    input_label: str = "IN"
    output_label: str = "OUT"
    plastic: str = PLASTIC

    @property
    def binary(self) -> bool:
        """True if the cue is presented as the binary code ``cue + 1``."""
        return self.model != "ca3"

    @property
    def io_size(self) -> int:
        """Neurons of IN and of OUT: ``cue_width + content_size``."""
        return self.cue_width + self.content_size

    def cue_neurons(self, cue: int) -> list:
        """IN / OUT neurons that encode `cue` (``0 <= cue < cue_size``)."""
        return code_bits(cue + 1, self.cue_width) if self.binary else [int(cue)]

    def decode_cue(self, neurons) -> tuple:
        """Cues encoded by a set of active cue neurons of OUT (empty if none / code 0)."""
        neurons = sorted(set(int(n) for n in neurons))
        if not neurons:
            return ()
        if not self.binary:
            return tuple(neurons)
        code = sum(1 << n for n in neurons)
        return (code - 1,) if 1 <= code <= self.cue_size else ()

    def bit_neuron(self, bit: int) -> int:
        """IN / OUT index of content bit `bit`."""
        return self.cue_width + int(bit)


@dataclass(frozen=True)
class _Parts:
    """What every model shares: merged parameters, cells, network, IN, OUT, CA3."""

    p: dict
    cells: dict
    syn: dict
    net: object
    width: int
    inp: object
    out: object
    cue: object
    cont: object


def _common(model: str, cues, bits, params, initial_weights) -> _Parts:
    """Validate sizes, merge parameters, build IN, OUT, CA3cue, CA3cont and the plastic
    projection (CA3cue, CA3cont and OUT cells, initial v, STDP are the same in all three)."""
    owner = f"hippocampus build_network({model!r})"
    cues = check_int(owner, "cues", cues, minimum=1)
    bits = check_int(owner, "bits", bits, minimum=1)
    p = merge_model_params(_DEFAULTS[model], params, model)
    cells = {k: sm.IF_curr_exp(**v) for k, v in p["cells"].items()}
    width = cue_width(model, cues)
    net = sm.Network(dt=p["dt"], label=f"hippocampus_{model}_{cues}x{bits}")
    inp = net.add(sm.SpikeSourceArray(size=width + bits, label="IN"))
    out = net.add(sm.Population(width + bits, cells["OL"], label="OUT",
                                initial_v=p["v_init"]["OL"]))
    cue = net.add(sm.Population(cues, cells["CA3cueL"], label="CA3cue",
                                initial_v=p["v_init"]["CA3cueL"]))
    cont = net.add(sm.Population(bits, cells["CA3contL"], label="CA3cont",
                                 initial_v=p["v_init"]["CA3contL"]))
    if initial_weights is None:
        conn = sm.AllToAll()
    else:
        w = np.asarray(initial_weights, float)
        if w.shape != (cues, bits):
            raise ValidationError(f"{owner}: initial_weights must have shape (cues, bits) = "
                                  f"{(cues, bits)}, got {w.shape}")
        pre, post = np.divmod(np.arange(cues * bits), bits)
        conn = sm.FromList(pre, post, weight=w.ravel())
    net.add(sm.Projection(cue, cont, conn, sm.STDP(**p["stdp"]), label=PLASTIC))
    return _Parts(p, cells, p["synapses"], net, width, inp, out, cue, cont)


def _static(net, pre, post, syn, name, connector=None, receptor="excitatory"):
    s = syn[name]
    net.add(sm.Projection(pre, post, connector or sm.OneToOne(),
                          sm.StaticSynapse(weight=s["weight"], delay=s["delay"]),
                          receptor=receptor, label=name))


def _layout(model: str, parts: _Parts, order: tuple) -> tuple:
    lay = HippocampusLayout(model, parts.cue.size, parts.cont.size, parts.width, parts.net.dt,
                            order)
    return parts.net, lay


def _ca1_and_output(parts: _Parts, ca1) -> None:
    """CA3cue -> CA1 (line m to the CA1 neuron of every 1 bit of code m + 1), CA1 -> OUT's cue
    part and CA3cont -> OUT's content part (both DG-CA3-CA1 models)."""
    net, syn, n = parts.net, parts.syn, parts.width
    pre, post = encoder_inputs(parts.cue.size, n)
    s = syn["CA3cueL-CA1L"]
    wire(net, parts.cue, ca1, pre, post, s["weight"], s["delay"], label="CA3cueL-CA1L")
    # In the bio-inspired model this is sPyNNaker's OneToOne of CA1 (n) onto the whole OUT
    # (n + bits): the first n pairs.
    _static(net, ca1, parts.out[:n], syn, "CA1L-OL")
    _static(net, parts.cont, parts.out[n:], syn, "CA3contL-OL")


def build_ca3(cues: int, bits: int, params=None, initial_weights=None):
    """sPyMem's CA3 memory (one-hot cue) with IN and OUT; see `build_network`."""
    parts = _common("ca3", cues, bits, params, initial_weights)
    net, syn, inp, out, n = parts.net, parts.syn, parts.inp, parts.out, parts.width
    _static(net, inp[:n], parts.cue, syn, "IL-CA3cueL")
    _static(net, inp[n:], parts.cont, syn, "IL-CA3contL")
    _static(net, parts.cue, out[:n], syn, "CA3cueL-OL")
    _static(net, parts.cont, out[n:], syn, "CA3contL-OL")
    return _layout("ca3", parts, ("IN", "CA3cue", "CA3cont", "OUT"))


def build_forgetting(cues: int, bits: int, params=None, initial_weights=None):
    """sPyMem's DG-CA3-CA1 memory with forgetting (sPyBlocks DG/CA1); see `build_network`."""
    parts = _common("forgetting", cues, bits, params, initial_weights)
    net, p, syn, cells, n = parts.net, parts.p, parts.syn, parts.cells, parts.width
    std = syn["IL-DGL"]
    css = constant_source(net, cells["DGL"], p["v_init"]["DGL"], std["weight"], std["delay"])
    dg = decoder(net, n, cells["DGL"], p["v_init"]["DGL"], std["weight"], std["delay"],
                 parts.inp[:n], css)
    ca1 = net.add(sm.Population(n, cells["CA1L"], label="CA1_OR",
                                initial_v=p["v_init"]["CA1L"]))
    s = syn["DGL-CA3cueL"]
    n_cues = parts.cue.size
    wire(net, dg.and_, parts.cue, np.arange(1, n_cues + 1), np.arange(n_cues), s["weight"],
         s["delay"], label="DGL-CA3cueL")
    _static(net, parts.inp[n:], parts.cont, syn, "IL-CA3contL")
    _ca1_and_output(parts, ca1)
    return _layout("forgetting", parts, ("IN", "CSS_set", "CSS_latch", "DG_NOT", "DG_OR",
                                         "DG_AND", "CA3cue", "CA3cont", "CA1_OR", "OUT"))


def build_bioinspired(cues: int, bits: int, params=None, initial_weights=None):
    """sPyMem's DG-CA3-CA1 memory with bio-inspired DG and CA1; see `build_network`."""
    parts = _common("bioinspired", cues, bits, params, initial_weights)
    net, p, syn, cells, n = parts.net, parts.p, parts.syn, parts.cells, parts.width
    n_cues = parts.cue.size
    dg = net.add(sm.Population(n_cues, cells["DGL"], label="DG", initial_v=p["v_init"]["DGL"]))
    ca1 = net.add(sm.Population(n, cells["CA1L"], label="CA1", initial_v=p["v_init"]["CA1L"]))
    if n_cues > 1:
        _static(net, dg, dg, syn, "DGL-DGL", sm.AllToAll(allow_self_connections=False),
                "inhibitory")
    _static(net, dg, parts.cue, syn, "DGL-CA3cueL")
    # DG neuron c is tuned to code c + 1: excited by its 1 bits (the drive to threshold
    # + 0.5 mV split among them), vetoed by each 0 bit (dg.py).
    dgl = p["cells"]["DGL"]
    drive = dgl["v_thresh"] - dgl["v_reset"] + 0.5
    exc_pre, exc_post, exc_w, inh_pre, inh_post = [], [], [], [], []
    for c in range(n_cues):
        ones = code_bits(c + 1, n)
        for i in range(n):
            if i in ones:
                exc_pre.append(i), exc_post.append(c), exc_w.append(drive / len(ones))
            else:
                inh_pre.append(i), inh_post.append(c)
    wire(net, parts.inp[:n], dg, exc_pre, exc_post, exc_w, syn["IL-DGL-exc"]["delay"],
         label="IL-DGL-exc")
    wire(net, parts.inp[:n], dg, inh_pre, inh_post, drive, syn["IL-DGL-inh"]["delay"],
         "inhibitory", label="IL-DGL-inh")
    _static(net, parts.inp[n:], parts.cont, syn, "IL-CA3contL")
    _ca1_and_output(parts, ca1)
    return _layout("bioinspired", parts, ("IN", "DG", "CA3cue", "CA3cont", "CA1", "OUT"))


_BUILDERS = {"ca3": build_ca3, "forgetting": build_forgetting, "bioinspired": build_bioinspired}


def build_network(model: str, cues: int, bits: int, params=None, initial_weights=None):
    """Build one of sPyMem's hippocampus memories as an IR `Network`.

    Parameters
    ----------
    model : {"ca3", "forgetting", "bioinspired"}
        sPyMem's ``ca3``, ``hippocampus_with_forgetting`` or ``hippocampus_bioinspired_dg_ca1``
        (those names are accepted too).
    cues : int
        Number of memories (>= 1).
    bits : int
        Content bits per memory (>= 1).
    params : dict, optional
        Overrides of the model's published parameters (nested dicts merged; see
        `default_params`).
    initial_weights : array_like, shape (cues, bits), optional
        Initial CA3cue -> CA3cont weights, nA, in ``[w_min, w_max]`` (sPyMem's ``initCA3W``);
        default all ``stdp["weight"]`` (0).

    Returns
    -------
    network : spikemem.Network
        IN (a spike source without spikes; add them with ``Simulator.add_spikes``), the
        model's populations and OUT, all recording spikes.
    layout : HippocampusLayout

    Raises
    ------
    ValidationError
        An unknown model, sizes that are not integers >= 1, an unknown or invalid parameter,
        or `initial_weights` of the wrong shape or outside the STDP bounds.
    """
    return _BUILDERS[model_name(model)](cues, bits, params, initial_weights)
