"""The ``spikemem`` command line: run experiments, plot recordings, export, show what is installed.

    spikemem run <experiment> [--backend numba] [--seed 0] [--out DIR] [experiment options]
    spikemem list
    spikemem plot results.h5 [--out raster.png] [--populations A B ...]
    spikemem export --target {spinnaker,loihi,nir} ...
    spikemem sweep <experiment> --grid size=10,100 gap=0,6 --seeds 0-9 [--scheduler ADDRESS]
    spikemem info
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import pkgutil
import platform
import sys
from pathlib import Path

__all__ = ["main", "experiment_names"]


def experiment_names() -> list:
    """Names of the experiments installed with spikemem (``spikemem.experiments.<name>``)."""
    import spikemem.experiments as exps
    return sorted(m.name for m in pkgutil.iter_modules(exps.__path__) if not m.name.startswith("_"))


def _cmd_run(args, extra) -> int:
    names = experiment_names()
    if args.experiment not in names:
        print(f"spikemem run: unknown experiment {args.experiment!r}; available: "
              f"{', '.join(names)}", file=sys.stderr)
        return 2
    from .results import result_folder
    module = importlib.import_module(f"spikemem.experiments.{args.experiment}")
    argv = list(extra)
    for flag, value in (("--backend", args.backend), ("--seed", args.seed)):
        if value is not None:
            argv += [flag, str(value)]
    if any(a in ("-h", "--help") for a in argv):
        return _exit_code(module.main(argv))
    out = args.out or f"results/{args.experiment}"
    # Written into a temporary folder that replaces `out` only when the experiment succeeds.
    with result_folder(out) as tmp, _shown_as(tmp, out):
        code = _exit_code(module.main(argv + ["--out", str(tmp)]))
        if code != 0:
            raise _ExperimentFailed(code)
    print(f"spikemem run: results of {args.experiment} in {out}")
    return 0


@contextlib.contextmanager
def _shown_as(tmp, out):
    """While an experiment writes into the temporary folder `tmp`, show `out` in its output."""
    real = sys.stdout

    class _Rewrite:
        def write(self, text):
            return real.write(text.replace(str(tmp), str(out)))

        def __getattr__(self, name):
            return getattr(real, name)

    sys.stdout = _Rewrite()
    try:
        yield
    finally:
        sys.stdout = real


class _ExperimentFailed(Exception):
    def __init__(self, code: int):
        super().__init__(f"experiment exited with code {code}; nothing was written")
        self.code = code


def _exit_code(result) -> int:
    return result if isinstance(result, int) else 0


def _cmd_list(args, extra) -> int:
    for name in experiment_names():
        module = importlib.import_module(f"spikemem.experiments.{name}")
        doc = (module.__doc__ or "").strip().splitlines()
        print(f"{name:28s} {doc[0] if doc else ''}")
    return 0


def _cmd_plot(args, extra) -> int:
    from .plotting import plot_raster
    from .recording import Recording
    rec = Recording.load(args.results)
    out = args.out or str(args.results).rsplit(".", 1)[0] + "_raster.png"
    if Path(out).is_dir():
        out = str(Path(out) / (Path(args.results).stem + "_raster.png"))
    t_range = tuple(args.t_range) if args.t_range else None
    plot_raster(rec, out, populations=args.populations, t_range=t_range)
    print(f"raster of {rec} written to {out}")
    return 0


def _cmd_info(args, extra) -> int:
    from . import __version__
    from .backends import BACKENDS, available
    print(f"spikemem {__version__} on Python {platform.python_version()} ({platform.machine()})")
    found = available()
    for name in BACKENDS:
        status = f"available (version {found[name]})" if name in found else "not installed"
        print(f"  backend {name:7s} {status}")
    pynn = importlib.util.find_spec("pyNN")
    print("  front end spikemem.pynn " + (
        f"(PyNN {importlib.import_module('pyNN').__version__})" if pynn else
        "unavailable (pip install 'spikemem[pynn]')"))
    for package in ("numpy", "nir", "pyNN", "neo", "elephant", "nengo_loihi", "h5py",
                    "matplotlib"):
        try:
            mod = importlib.import_module(package)
            print(f"  {package:15s} {getattr(mod, '__version__', 'unknown')}")
        except ImportError:
            print(f"  {package:15s} not installed")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spikemem", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an experiment by name (see `spikemem list`)")
    run.add_argument("experiment")
    run.add_argument("--backend", default=None, help="numba (default), brian2 or nengo")
    run.add_argument("--seed", type=int, default=None)
    run.add_argument("--out", default=None, help="output folder")
    run.set_defaults(func=_cmd_run)
    sub.add_parser("list", help="list the experiments").set_defaults(func=_cmd_list)
    plot = sub.add_parser("plot", help="raster plot of a saved recording (.h5)")
    plot.add_argument("results")
    plot.add_argument("--out", default=None, help="PNG path (default: beside the file)")
    plot.add_argument("--populations", nargs="+", default=None)
    plot.add_argument("--t-range", nargs=2, type=float, default=None, metavar=("T0", "T1"))
    plot.set_defaults(func=_cmd_plot)
    sub.add_parser("info", help="backends and versions").set_defaults(func=_cmd_info)
    from .sweep_cli import add_sweep_parser
    add_sweep_parser(sub)
    if importlib.util.find_spec("spikemem.hardware.cli") is not None:
        from .hardware.cli import add_export_parser
        add_export_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "run":
        parser.error(f"unrecognised arguments: {' '.join(extra)}")
    try:
        return args.func(args, extra)
    except _ExperimentFailed as exc:
        print(f"spikemem {args.command}: error: {exc}", file=sys.stderr)
        return exc.code
    except (ValueError, OSError, MemoryError) as exc:
        print(f"spikemem {args.command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
