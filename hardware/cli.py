"""``spikemem export``: translate a saved network for a neuromorphic target.

    spikemem export NETWORK.h5 --target {spinnaker,loihi,nir} [--out PATH]
                    [--weights RECORDING.h5] [--duration MS]

`NETWORK.h5` is a file written by ``Network.save`` (the network with its *initial* weights) or
a memory session written by ``MemorySession.save`` (the network with the weights the session
learned). ``--weights`` takes the last weight snapshot of every plastic projection from a saved
`Recording`. Exporting a network file with plastic projections and no ``--weights`` prints a
warning: such a file holds no learned weights. Each target's exporter is one function in
`EXPORTERS`, called with the loaded network, the weights dict (or None) and the parsed
arguments; it writes its files and returns the list of paths it wrote.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

__all__ = ["TARGETS", "EXPORTERS", "add_export_parser", "run_export", "weights_from_recording",
           "load_export_source"]

#: Targets the command accepts.
TARGETS = ("spinnaker", "loihi", "nir")


def weights_from_recording(network, path) -> dict:
    """Last weight snapshot (nA) of every plastic projection of `network` found in a recording.

    Parameters
    ----------
    network : spikemem.Network
    path : str or Path
        A recording file written by ``Recording.save``.

    Returns
    -------
    dict of str to ndarray, shape (n_synapses,)
    """
    from spikemem.errors import ValidationError
    from spikemem.recording import Recording

    rec = Recording.load(path)
    out = {}
    for proj in network.projections:
        if proj.label in rec.weight_labels:
            w = rec.weights(proj.label)[1][-1]
            if w.shape != (proj.size,):
                raise ValidationError(
                    f"export --weights: recording {str(path)!r} holds {w.shape[0]} weights for "
                    f"projection {proj.label!r}, which has {proj.size} synapses")
            out[proj.label] = w
    return out


def load_export_source(path) -> tuple:
    """The network and learned weights of a network file or a saved memory session.

    Returns
    -------
    network : spikemem.Network
    weights : dict of str to ndarray or None
        A session's learned weights of its plastic projections; None for a network file.
    """
    import h5py

    from spikemem.io import read_file
    from spikemem.network import Network

    try:
        with h5py.File(path, "r") as f:
            kind = f.attrs.get("spikemem_kind")
    except OSError:
        kind = None                 # let Network.load report what is wrong with the file
    if kind != "session":
        return Network.load(path), None
    tree = read_file(path, "session")
    network = Network.from_dict(tree["network"])
    return network, {k: np.asarray(v, float) for k, v in tree.get("weights", {}).items()}


def _warn_initial_weights(path, network) -> None:
    plastic = [p.label for p in network.projections if p.plastic]
    if plastic:
        print(f"spikemem export: WARNING: {str(path)!r} is a network description: its plastic "
              f"projections {plastic} hold their INITIAL weights, not what a simulation "
              "learned. To export a trained memory, save its session (session.save(PATH)) and "
              "export that file, call session.export(target), or pass --weights "
              "RECORDING.h5.", file=sys.stderr)


def _export_loihi(network, weights, args) -> list:
    from .loihi import to_loihi
    from .loihi_lava import write_lava_description

    loihi = to_loihi(network, weights=weights)
    return write_lava_description(loihi, args.out, duration=args.duration)


def _export_nir(network, weights, args) -> list:
    from .nir_export import to_nir, write_nir

    graph = to_nir(network, weights=weights)
    write_nir(graph, args.out)
    return [Path(args.out)]


def _export_spinnaker(network, weights, args) -> list:
    """PyNN script + arrays + JSON in folder ``args.out``; prints the check (and verification)."""
    from spikemem.errors import UnsupportedFeature

    from .spinnaker_check import check_spinnaker
    from .spinnaker_json import to_spinnaker_json
    from .spinnaker_script import to_pynn_script
    from .spinnaker_verify import verify_spinnaker

    out = Path(args.out)
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in network.label) or "network"
    run_ms = args.duration if args.duration is not None else 1000.0
    opts = {"weights": weights, "run_ms": run_ms}
    export = to_pynn_script(network, out / f"{stem}.py", simulator="spiNNaker", **opts)
    written = export.paths + [to_spinnaker_json(network, out / f"{stem}.json",
                                                board=args.board, **opts)]
    print(check_spinnaker(network, board=args.board, **opts))
    if args.verify:
        result = verify_spinnaker(export.script, board=args.board, network=network, **opts)
        print(result)
        if not result.ok:
            raise UnsupportedFeature(
                f"sPyNNaker (virtual {args.board} board) refused the network: "
                f"{result.exception}: {result.message}")
    return written


#: target name -> exporter(network, weights or None, args) -> list of written paths
EXPORTERS = {"loihi": _export_loihi, "nir": _export_nir, "spinnaker": _export_spinnaker}

_DEFAULT_OUT = {"loihi": "{stem}_loihi.json", "nir": "{stem}.nir",
                "spinnaker": "{stem}_spinnaker"}


def add_export_parser(subparsers) -> None:
    """Add the ``export`` sub-command to the ``spikemem`` argument parser."""
    p = subparsers.add_parser(
        "export", help="export a saved network to SpiNNaker (PyNN), Loihi or NIR")
    p.add_argument("network", help="network file written by Network.save, or a memory session "
                                   "written by MemorySession.save (.h5)")
    p.add_argument("--target", required=True, choices=TARGETS)
    p.add_argument("--out", default=None,
                   help="output path (default: beside the network file, named after the target)")
    p.add_argument("--weights", default=None,
                   help="recording (.h5) whose last weight snapshots replace the plastic "
                        "projections' weights")
    p.add_argument("--duration", type=float, default=None,
                   help="ms of Poisson input to write out as spike arrays (Loihi); "
                        "simulated time of the exported script (SpiNNaker, default 1000)")
    p.add_argument("--board", default="spinn5", choices=("spinn5", "spinn3"),
                   help="SpiNNaker board to check against and to verify on")
    p.add_argument("--verify", action="store_true",
                   help="SpiNNaker: map the script with sPyNNaker on a virtual board "
                        "(needs .venv-spinnaker)")
    p.set_defaults(func=run_export)


def run_export(args, extra=()) -> int:
    """Run ``spikemem export`` with parsed arguments; returns the exit status."""
    from spikemem.errors import UnsupportedFeature

    network, weights = load_export_source(args.network)
    if args.out is None:
        stem = Path(args.network).with_suffix("")
        args.out = _DEFAULT_OUT[args.target].format(stem=stem)
    if args.weights:
        weights = weights_from_recording(network, args.weights)
    elif weights is None:
        _warn_initial_weights(args.network, network)
    if args.target not in EXPORTERS:
        print(f"spikemem export: error: no exporter for target {args.target!r} in this "
              f"installation (have {sorted(EXPORTERS)})", file=sys.stderr)
        return 1
    try:
        written = EXPORTERS[args.target](network, weights, args)
    except UnsupportedFeature as exc:
        print(f"spikemem export: error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"spikemem export: {args.target} -> {path}")
    return 0
