"""Checkpoints: the full state of a simulator in one verified HDF5 file.

``sim.save_state(path)`` writes, atomically and with a checksum per dataset: the backend's
name, the network (description and digest), the current step, the spikes injected with
``add_spikes`` that are still pending, the recording, and the backend's own state
(``Simulator._get_state()``: membranes, synaptic currents, refractory counters, delay
buffers, traces, weights...). ``build(network, backend).load_state(path)`` checks the file
belongs to this backend and this network and continues bit for bit; `restore` rebuilds the
network from the file first.
"""
from __future__ import annotations

import hashlib

import numpy as np

from .errors import FileFormatError, ValidationError
from .io import network_format_version, read_file, save_tree
from .recording import Recording

__all__ = ["save_checkpoint", "load_checkpoint", "restore", "read_extra", "network_digest",
           "checkpoint_tree", "apply_checkpoint_tree"]


def network_digest(network) -> str:
    """SHA-256 of a network's full description (structure, parameters and every array)."""
    h = hashlib.sha256()

    def feed(obj):
        if isinstance(obj, dict):
            h.update(b"{")
            for k in sorted(obj):
                h.update(str(k).encode() + b":")
                feed(obj[k])
            h.update(b"}")
        elif isinstance(obj, (list, tuple)):
            h.update(b"[")
            for v in obj:
                feed(v)
            h.update(b"]")
        elif isinstance(obj, np.ndarray):
            arr = np.ascontiguousarray(obj)
            h.update(f"{arr.dtype.str}{arr.shape}".encode())
            h.update(arr.tobytes())
        else:
            h.update(repr(obj).encode())

    feed(network.to_dict())
    return h.hexdigest()


def _injected_tree(sim) -> dict:
    out = {}
    for label, chunks in sim._injected.items():
        if chunks:
            out[label] = {"steps": np.concatenate([np.asarray(s, np.int64) for s, _ in chunks]),
                          "ids": np.concatenate([np.asarray(i, np.int64) for _, i in chunks])}
    return out


def checkpoint_tree(sim, extra: dict | None = None) -> dict:
    """`sim`'s full state as a tree of plain data (what `save_checkpoint` writes), with the
    optional `extra` dict beside it."""
    if extra is not None and not isinstance(extra, dict):
        raise ValidationError(f"save_state: extra must be a dict, got {type(extra).__name__}")
    return {"extra": extra or {}, "backend": sim.backend_name, "simulator": type(sim).__name__,
            "network_digest": network_digest(sim.network), "network": sim.network.to_dict(),
            "step": int(sim._step), "seed": int(sim.seed), "injected": _injected_tree(sim),
            "recording": sim.recording.to_dict(), "backend_state": sim._get_state()}


def save_checkpoint(sim, path, extra: dict | None = None) -> None:
    """Write `sim`'s full state to `path` (see the module docstring).

    `extra` is an optional nested dict (arrays, numbers, strings, lists) stored beside the
    state, e.g. a session's own bookkeeping; read it back with `read_extra`.
    """
    save_tree(path, "checkpoint", checkpoint_tree(sim, extra),
              network_format_version(sim.network))


def _fail(path, what: str):
    raise FileFormatError(f"{str(path)!r}: checkpoint {what}")


def load_checkpoint(sim, path) -> None:
    """Set `sim`'s state from a checkpoint file (see `BaseSimulator.load_state`)."""
    apply_checkpoint_tree(sim, read_file(path, "checkpoint"), path)


def apply_checkpoint_tree(sim, tree: dict, path) -> None:
    """Set `sim`'s state from a `checkpoint_tree` read from file `path` (named in errors)."""
    try:
        backend, simulator = tree["backend"], tree["simulator"]
        digest, step = tree["network_digest"], tree["step"]
        injected, rec, state = tree["injected"], tree["recording"], tree["backend_state"]
    except (KeyError, TypeError) as exc:
        _fail(path, f"is missing an entry ({exc})")
    if backend != sim.backend_name or simulator != type(sim).__name__:
        _fail(path, f"was written by the {backend!r} backend ({simulator}); this simulator is "
                    f"{sim.backend_name!r} ({type(sim).__name__})")
    if digest != network_digest(sim.network):
        _fail(path, f"belongs to another network (digest {str(digest)[:12]}...); build the "
                    "network the checkpoint was saved from, or use spikemem.checkpoint.restore")
    if not isinstance(step, int) or step < 0:
        _fail(path, f"has an invalid step {step!r}")
    try:
        recording = Recording.from_dict(rec)
        pending = {}
        for label, arrays in dict(injected).items():
            src = sim.network[label]
            steps = np.asarray(arrays["steps"], np.int64)
            ids = np.asarray(arrays["ids"], np.int64)
            if steps.shape != ids.shape or (ids.size and (ids.min() < 0
                                                          or ids.max() >= src.size)):
                raise ValidationError(f"injected spikes of {label!r} are out of range")
            pending[label] = [(steps, ids)]
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        _fail(path, f"holds an invalid recording or injected spikes ({exc})")
    sim.reset()
    try:
        sim._set_state(state)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        sim.reset()
        _fail(path, f"holds a backend state that does not fit this simulator ({exc})")
    sim._step = step
    sim._injected = pending
    sim._recording = recording


def read_extra(path) -> dict:
    """The `extra` dict a checkpoint was saved with (empty if none)."""
    return dict(read_file(path, "checkpoint").get("extra") or {})


def restore(path, backend: str | None = None, **options):
    """Rebuild the network saved in checkpoint `path`, build it and load the state.

    Parameters
    ----------
    path : str or Path
    backend : str, optional
        Backend to build (default: the one that wrote the checkpoint).
    **options
        Passed to `spikemem.build`.
    """
    from .backends import build
    from .network import Network
    tree = read_file(path, "checkpoint")
    try:
        net = Network.from_dict(tree["network"])
        saved = tree["backend"]
    except (KeyError, TypeError, ValidationError) as exc:
        _fail(path, f"holds an invalid network ({exc})")
    sim = build(net, backend=backend or saved, seed=int(tree.get("seed", 0)), **options)
    return sim.load_state(path)
