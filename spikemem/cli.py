"""The ``spikemem`` command line: run experiments, plot recordings, export, show what is installed.

    spikemem run <experiment> [--backend numba] [--seed 0] [--out DIR] [experiment options]
    spikemem run <experiment> --help       (the experiment's own options)
    spikemem list
    spikemem plot results.h5 [--out raster.png] [--populations A B ...] [--t-range T0 T1]
    spikemem report DIR                    (report.html in every result folder under DIR)
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
import json
import warnings
from pathlib import Path

__all__ = ["main", "experiment_names"]


def experiment_names() -> list:
    """Names of the experiments installed with spikemem (``spikemem.experiments.<name>``)."""
    import spikemem.experiments as exps
    return sorted(m.name for m in pkgutil.iter_modules(exps.__path__) if not m.name.startswith("_"))


def _cmd_run(run_parser, argv: list) -> int:
    """``spikemem run``: every token but the experiment's name goes to the experiment's own
    parser (so ``spikemem run stress --help`` lists stress's options), in any order."""
    names = experiment_names()
    at = next((k for k, tok in enumerate(argv) if tok in names), None)
    if at is None:
        words = [tok for tok in argv if not tok.startswith("-")]
        unknown = [tok for k, tok in enumerate(argv) if tok in words and not
                   (k and argv[k - 1].startswith("--") and "=" not in argv[k - 1])] or words
        if unknown:
            print(f"spikemem run: unknown experiment {unknown[0]!r}; available: "
                  f"{', '.join(names)}", file=sys.stderr)
            return 2
        run_parser.print_help(None if {"-h", "--help"} & set(argv) else sys.stderr)
        return 0 if {"-h", "--help"} & set(argv) else 2
    from .results import result_folder
    name = argv[at]
    module = importlib.import_module(f"spikemem.experiments.{name}")
    rest = argv[:at] + argv[at + 1:]
    if {"-h", "--help"} & set(rest):
        return _call(module, rest)
    out, rest = _take_out(rest, f"results/{name}")
    # Written into a temporary folder that replaces `out` only when the experiment succeeds.
    with result_folder(out) as tmp, _shown_as(tmp, out):
        code = _call(module, rest + ["--out", str(tmp)])
        if code != 0:
            raise _ExperimentFailed(code)
        _relocate_record(tmp, out)
    print(f"spikemem run: results of {name} in {out}")
    return 0


def _call(module, argv: list) -> int:
    """Run an experiment's ``main(argv)``; its exit status (argparse's exits included)."""
    try:
        return _exit_code(module.main(argv))
    except SystemExit as exc:   # argparse's --help or a usage error in the experiment
        return exc.code if isinstance(exc.code, int) else 1


def _take_out(argv: list, default: str):
    """(the last ``--out DIR`` / ``--out=DIR`` in `argv`, or `default`; `argv` without it)."""
    out, rest, k = default, [], 0
    while k < len(argv):
        tok = argv[k]
        if tok == "--out" and k + 1 < len(argv):
            out, k = argv[k + 1], k + 2
        elif tok.startswith("--out="):
            out, k = tok.split("=", 1)[1], k + 1
        else:
            rest.append(tok)
            k += 1
    return out, rest


def _relocate_record(tmp, out) -> None:
    """Make the provenance (and report) written into the temporary folder name `out`."""
    from .report import REPORT_NAME, write_report
    path = Path(tmp) / "provenance.json"
    if not path.exists():
        return
    record = json.loads(path.read_text())
    record["command"] = record.get("command", "").replace(str(tmp), str(out))
    if isinstance(record.get("parameters"), dict):
        record["parameters"]["out"] = str(out)
    path.write_text(json.dumps(record, indent=2))
    if (Path(tmp) / REPORT_NAME).exists():
        write_report(tmp)


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
    from .plotting import check_t_range, plot_raster
    from .recording import Recording
    t_range = check_t_range("spikemem plot --t-range", args.t_range)
    rec = Recording.load(args.results)
    out = args.out or str(args.results).rsplit(".", 1)[0] + "_raster.png"
    if Path(out).is_dir():
        out = str(Path(out) / (Path(args.results).stem + "_raster.png"))
    plot_raster(rec, out, populations=args.populations, t_range=t_range)
    print(f"raster of {rec} written to {out}")
    return 0


def _cmd_report(args, extra) -> int:
    from .report import write_reports
    for path in write_reports(args.folder):
        print(f"spikemem report: {path}")
    return 0


def _cmd_info(args, extra) -> int:
    from . import __version__
    from .backends import BACKENDS, available
    print(f"spikemem {__version__} on Python {platform.python_version()} ({platform.machine()})")
    with warnings.catch_warnings(record=True):   # the backends' import-time warnings
        found = available()
    for name in BACKENDS:
        status = f"available (version {found[name]})" if name in found else "not installed"
        print(f"  backend {name:7s} {status}")
    pynn = importlib.util.find_spec("pyNN")
    print("  front end spikemem.pynn " + (
        f"(PyNN {_package_status('pyNN')})" if pynn else
        "unavailable (pip install 'spikemem[pynn]')"))
    for package in ("numpy", "nir", "pyNN", "neo", "elephant", "nengo_loihi", "h5py",
                    "matplotlib"):
        print(f"  {package:15s} {_package_status(package)}")
    return 0


def _package_status(package: str) -> str:
    """Version of an optional package, its import warnings folded into one short note."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            mod = importlib.import_module(package)
        except ImportError:
            return "not installed (pip install 'spikemem[hardware]')"
    status = str(getattr(mod, "__version__", "unknown"))
    notes = sorted({str(w.message).split(". ")[0].strip() for w in caught})
    if notes:
        status += f" (import warning, harmless for spikemem: {'; '.join(notes)})"
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spikemem", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run an experiment by name (see `spikemem list`)",
                         description="Run an experiment. Every option goes to the experiment; "
                         "`spikemem run <experiment> --help` lists them (--seed, --out, "
                         "--backend and the experiment's own).")
    run.add_argument("experiment", help="one of: " + ", ".join(experiment_names()))
    parser.run_parser = run
    sub.add_parser("list", help="list the experiments").set_defaults(func=_cmd_list)
    plot = sub.add_parser("plot", help="raster plot of a saved recording (.h5)")
    plot.add_argument("results")
    plot.add_argument("--out", default=None, help="PNG path (default: beside the file)")
    plot.add_argument("--populations", nargs="+", default=None)
    plot.add_argument("--t-range", nargs=2, type=float, default=None, metavar=("T0", "T1"),
                      help="time window in ms, T0 < T1 (default: the whole recording)")
    plot.set_defaults(func=_cmd_plot)
    report = sub.add_parser("report", help="HTML report (report.html) of experiment results")
    report.add_argument("folder", help="a result folder, or a folder holding several")
    report.set_defaults(func=_cmd_report)
    sub.add_parser("info", help="backends and versions").set_defaults(func=_cmd_info)
    from .sweep_cli import add_sweep_parser
    add_sweep_parser(sub)
    if importlib.util.find_spec("spikemem.hardware.cli") is not None:
        from .hardware.cli import add_export_parser
        add_export_parser(sub)
    return parser


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if argv[:1] != ["run"]:
        args, extra = parser.parse_known_args(argv)
        if extra:
            parser.error(f"unrecognised arguments: {' '.join(extra)}")
    try:
        if argv[:1] == ["run"]:
            return _cmd_run(parser.run_parser, argv[1:])
        return args.func(args, extra)
    except _ExperimentFailed as exc:
        print(f"spikemem {argv[0]}: error: {exc}", file=sys.stderr)
        return exc.code
    except (ValueError, OSError, MemoryError) as exc:
        print(f"spikemem {argv[0]}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
