"""Lava-style description of a `LoihiNetwork`: a JSON file of processes plus an .npz of arrays.

Lava cannot be installed here (it needs Python < 3.11), so nothing is imported from it; the
description names, for every object, the Lava process that implements it and that process's
parameters in Lava's own fixed-point units:

* population -> ``lava.proc.lif.process.LIF`` (``LIFRefractory`` with ``refractory_period``
  when the refractory period is not zero): ``du``, ``dv``, ``vth`` (mantissa, used as
  ``vth << 6``), ``bias_mant``, ``bias_exp``, initial ``u`` (0) and ``v`` (array);
* spike source -> ``lava.proc.io.source.RingBuffer``: the spikes as events (time step,
  neuron id) — Poisson sources are drawn from their seed over `duration`;
* projection -> ``lava.proc.sparse.process.Sparse`` (``DelaySparse`` when a delay exceeds one
  step): weights as signed 8-bit mantissas in COO form (rows = post, cols = pre) with
  ``weight_exp``, ``num_weight_bits = 8`` and ``sign_mode`` 2 (excitatory) or 3 (inhibitory);
  ``delays`` as Loihi synaptic delay registers (``delay - 1``); plastic projections carry
  their ``learning_rule`` (see `hardware.loihi_learning`);
* ``connections``: ``[pre.s_out, proj.s_in]`` and ``[proj.a_out, post.a_in]`` port pairs.

The quantisation report (`to_loihi`) is included. `load_lava_description` reads the files back
into a `LoihiNetwork` for a given IR network, so the written description can be run by the
fixed-point mode and compared.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np

from spikemem.errors import FileFormatError, UnsupportedFeature, ValidationError
from spikemem.io import atomic_path
from spikemem.lowering import lower
from spikemem.stimulus import SpikeSourceArray

from .loihi import TARGET, LoihiNetwork, LoihiPopulation, LoihiProjection, QuantisationReport

__all__ = ["FORMAT", "write_lava_description", "load_lava_description"]

FORMAT = "spikemem-loihi-lava/1"
_SIGN_MODE = {1: 2, -1: 3}          # lava.utils.weightutils.SignMode EXCITATORY / INHIBITORY


def _json_default(x):
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"cannot write {type(x).__name__} to JSON")


def write_lava_description(loihi: LoihiNetwork, path, duration: Optional[float] = None) -> list:
    """Write `loihi` as ``<path>`` (JSON) and ``<path stem>.npz`` (arrays), atomically.

    Parameters
    ----------
    loihi : LoihiNetwork
    path : str or Path
        The JSON file; the arrays go beside it with the suffix ``.npz``.
    duration : float, optional
        ms of Poisson input to draw into RingBuffer data; required if the network has
        `SpikeSourcePoisson` sources.

    Returns
    -------
    list of Path
        The JSON and the .npz file.

    Raises
    ------
    UnsupportedFeature
        A Poisson source without `duration` (Lava's RingBuffer plays stored spikes).
    """
    path = Path(path)
    npz_path = path.with_suffix(".npz")
    net, dt = loihi.network, loihi.dt
    arrays, processes, connections = {}, [], []
    for p in loihi.populations:
        arrays[f"{p.label}/v_init"] = np.asarray(p.v_init, np.int64)
        proc = {"name": p.label, "kind": "population",
                "lava_process": "lava.proc.lif.process.LIF" if p.refract_delay == 1
                else "lava.proc.lif.process.LIFRefractory",
                "shape": [p.size], "du": p.du, "dv": p.dv, "vth": p.vth_mant,
                "bias_mant": p.bias_mant, "bias_exp": p.bias_exp,
                "refract_delay": p.refract_delay, "u_init": 0, "v_init": f"{p.label}/v_init",
                "v_scale_per_mV": p.v_scale, "v_offset_mV": p.v_offset}
        if p.refract_delay > 1:
            proc["refractory_period"] = p.refract_delay - 1
        processes.append(proc)
    low = lower(net, owner="write_lava_description")
    for s in net.sources:
        if isinstance(s, SpikeSourceArray):
            steps, ids = low.source_window(s.label, 0, np.iinfo(np.int64).max)
        elif duration is None:
            raise UnsupportedFeature(
                f"{TARGET} (Lava description): SpikeSourcePoisson {s.label!r} needs a duration "
                "(ms) to be written as RingBuffer spikes")
        else:
            steps, ids = low.source_window(s.label, 0, int(np.ceil(duration / dt - 1e-9)))
        arrays[f"{s.label}/steps"], arrays[f"{s.label}/ids"] = steps, ids
        processes.append({"name": s.label, "kind": "source",
                          "lava_process": "lava.proc.io.source.RingBuffer", "shape": [s.size],
                          "spike_steps": f"{s.label}/steps", "spike_ids": f"{s.label}/ids"})
    for pr in loihi.projections:
        k = pr.label
        arrays[f"{k}/rows"], arrays[f"{k}/cols"] = pr.post_idx, pr.pre_idx
        arrays[f"{k}/weights"] = pr.sign * pr.weight_mant
        arrays[f"{k}/delays"] = pr.synaptic_delay
        delayed = bool(np.any(pr.delay > 1))
        n_pre = net[pr.pre].size
        processes.append({
            "name": k, "kind": "projection", "pre": pr.pre, "post": pr.post,
            "lava_process": "lava.proc.sparse.process.DelaySparse" if delayed
            else "lava.proc.sparse.process.Sparse",
            "shape": [net[pr.post].size, n_pre], "weight_exp": pr.weight_exp,
            "num_weight_bits": 8, "sign_mode": _SIGN_MODE[pr.sign],
            "weights": {"rows": f"{k}/rows", "cols": f"{k}/cols", "data": f"{k}/weights"},
            "delays": f"{k}/delays", "unit_nA": pr.unit_nA, "plastic": pr.plastic,
            "learning_rule": pr.learning_rule})
        connections += [[f"{pr.pre}.s_out", f"{k}.s_in"], [f"{k}.a_out", f"{pr.post}.a_in"]]
    doc = {
        "format": FORMAT, "target": TARGET, "network": net.label, "dt_ms": dt,
        "arrays": npz_path.name,
        "conventions": {
            "u": "u <- sign(u) * ((|u| * (4096 - du - 1)) >> 12) + sum of (weight << (6 + "
                 "weight_exp)) arriving this step",
            "v": "v <- sign(v) * ((|v| * (4096 - dv)) >> 12) + u + (bias_mant << bias_exp); "
                 "spike if v > (vth << 6), then v = 0; v held at 0 for refract_delay - 1 steps",
            "delays": "synaptic delay register = delay - 1: a spike at step t arrives at "
                      "t + 1 + register",
            "v_mV": "V (mV) = v / v_scale_per_mV + v_offset_mV",
        },
        "processes": processes, "connections": connections,
        "report": loihi.report.to_dict(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(npz_path, ".npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    with atomic_path(path, ".json") as tmp:
        tmp.write_text(json.dumps(doc, indent=1, default=_json_default))
    return [path, npz_path]


def load_lava_description(path, network) -> LoihiNetwork:
    """Read a description written by `write_lava_description` back into a `LoihiNetwork`.

    Parameters
    ----------
    path : str or Path
        The JSON file.
    network : Network
        The IR network it was exported from (its spike sources and labels are used).

    Raises
    ------
    FileFormatError
        Not a description of this format.
    ValidationError
        The description does not match `network`.
    """
    path = Path(path)
    doc = json.loads(path.read_text())
    if doc.get("format") != FORMAT:
        raise FileFormatError(f"{str(path)!r}: expected format {FORMAT!r}, "
                              f"found {doc.get('format')!r}")
    with np.load(path.with_name(doc["arrays"])) as npz:
        arrays = {k: npz[k] for k in npz.files}
    pops, projs = [], []
    for proc in doc["processes"]:
        name = proc["name"]
        if proc["kind"] == "population":
            pops.append(LoihiPopulation(
                label=name, size=proc["shape"][0], du=proc["du"], dv=proc["dv"],
                vth_mant=proc["vth"], bias_mant=proc["bias_mant"], bias_exp=proc["bias_exp"],
                refract_delay=proc["refract_delay"], v_init=arrays[proc["v_init"]],
                v_scale=proc["v_scale_per_mV"], v_offset=proc["v_offset_mV"]))
        elif proc["kind"] == "projection":
            data = arrays[proc["weights"]["data"]]
            projs.append(LoihiProjection(
                label=name, pre=proc["pre"], post=proc["post"],
                pre_idx=arrays[proc["weights"]["cols"]],
                post_idx=arrays[proc["weights"]["rows"]], weight_mant=np.abs(data),
                weight_exp=proc["weight_exp"], sign=1 if proc["sign_mode"] == 2 else -1,
                delay=arrays[proc["delays"]] + 1, unit_nA=proc["unit_nA"],
                plastic=proc["plastic"], learning_rule=proc["learning_rule"]))
    if [p.label for p in pops] != [p.label for p in network.populations]:
        raise ValidationError(f"load_lava_description: {str(path)!r} describes populations "
                              f"{[p.label for p in pops]}, not those of network "
                              f"{network.label!r}")
    rep = doc.get("report", {})
    report = QuantisationReport(rep.get("populations", {}), rep.get("projections", {}),
                                rep.get("warnings", []))
    return LoihiNetwork(network, pops, projs, report)
