"""Command-line and output helpers shared by the experiment scripts.

The leading underscore keeps this module out of ``spikemem list`` / ``spikemem run``.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Optional

from spikemem.backends import BACKENDS, GENERAL_BACKENDS
from spikemem.errors import ValidationError, check_in, check_int
from spikemem.io import atomic_path
from spikemem.provenance import provenance
from spikemem.report import write_report
from spikemem.results import check_writable
from spikemem.tables import write_csv

__all__ = ["experiment_parser", "engram_size_arguments", "check_engram_point", "write_json", "write_summary", "finish",
           "conclude"]


def experiment_parser(name: str, doc: str, backend: bool = True) -> argparse.ArgumentParser:
    """The argument parser every experiment starts from.

    Parameters
    ----------
    name : str
        Experiment name: the parser's ``prog`` (``spikemem run <name>``) and the default
        output folder ``results/<name>``.
    doc : str
        The experiment module's docstring; its first paragraph is the parser's description.
    backend : bool
        Add ``--backend`` (one of `spikemem.backends.GENERAL_BACKENDS`, default ``"numba"``).

    Returns
    -------
    argparse.ArgumentParser
        With ``--seed`` (int, default 0), ``--out`` (default ``results/<name>``),
        ``--no-report`` and, if `backend`, ``--backend``; the experiment adds its own
        options. Every option's default is shown in ``--help``. Parsing records the start
        time and the command line, which `finish` writes as provenance.
    """
    parser = _ExperimentParser(prog=f"spikemem run {name}", description=doc.split("\n\n")[0],
                               formatter_class=_DefaultsFormatter)
    parser.experiment = name
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of every random choice (same seed, same spikes)")
    parser.add_argument("--out", default=f"results/{name}", type=_writable_out,
                        help="output folder (created; files in it are replaced)")
    parser.add_argument("--no-report", dest="report", action="store_false",
                        help="do not write report.html (an HTML page of the results)")
    if backend:
        parser.add_argument("--backend", default="numba", choices=sorted(GENERAL_BACKENDS),
                            help="simulator backend")
    return parser


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows "(default: ...)" after every option's help, except for on/off flags."""

    def _get_help_string(self, action):
        if isinstance(action.default, bool) or action.default is None \
                or "default" in (action.help or "").lower():
            return action.help
        return super()._get_help_string(action)


class _ExperimentParser(argparse.ArgumentParser):
    """Records the command line and start time on the parsed namespace (for `finish`)."""

    def parse_known_args(self, args=None, namespace=None):
        argv = list(sys.argv[1:] if args is None else args)
        ns, extra = super().parse_known_args(argv, namespace)
        ns._experiment = self.experiment
        ns._argv = argv
        ns._started = time.time()
        return ns, extra


def engram_size_arguments(parser: argparse.ArgumentParser, n: int,
                          k: Optional[int] = None) -> None:
    """Add an engram experiment's ``--n`` (cells, default `n`) and, if `k` is given, ``--k``
    (cells per engram, default `k`) to `parser`."""
    if not isinstance(parser, argparse.ArgumentParser):
        raise TypeError(f"engram_size_arguments: parser must be an argparse.ArgumentParser, "
                        f"got {type(parser).__name__}")
    parser.add_argument("--n", type=int, default=n, help=f"cells (default {n})")
    if k is not None:
        parser.add_argument("--k", type=int, default=k, help=f"cells per engram (default {k})")


def _writable_out(value: str) -> str:
    """``--out`` checked for writability at parse time, before any simulation."""
    try:
        check_writable(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def write_json(path, data) -> None:
    """Write `data` (plain Python: dicts, lists, str, int, float, bool, None) to `path` as
    JSON indented by 2, atomically (`spikemem.io.atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2))


def write_summary(out, summary: dict) -> None:
    """Write `summary` as ``summary.json`` and, flattened to a tidy table, ``summary.csv``
    (see `spikemem.tables.tidy_rows`) in folder `out`."""
    out = Path(out)
    write_json(out / "summary.json", summary)
    write_csv(out / "summary.csv", summary)


def finish(args: argparse.Namespace, summary: dict) -> dict:
    """Close an experiment run from the command line: write ``provenance.json`` (versions,
    seed, backend, command, wall time, parameters) and, unless ``--no-report``,
    ``report.html`` into ``args.out``; print where the report is. Returns `summary`."""
    if not hasattr(args, "_started"):
        raise TypeError("finish: args must come from an experiment_parser's parse_args")
    out = Path(args.out)
    params = {k: v for k, v in vars(args).items() if not k.startswith("_") and k != "report"}
    command = shlex.join(["spikemem", "run", args._experiment, *args._argv])
    write_json(out / "provenance.json",
               provenance(args._experiment, params, command, time.time() - args._started))
    if args.report:
        print(f"{args._experiment}: report in {write_report(out)}")
    return summary


def check_engram_point(name: str, params: dict, counts: tuple, fraction: str) -> None:
    """Raise ValidationError if an engram sweep point's parameters are out of range.

    Checks the network size (``n``, ``k``), each field in `counts` (integers >= 1), the field
    `fraction` (a number in (0, 1]) and ``backend`` (a known backend), naming experiment
    `name` and the field.
    """
    from spikemem.models.engram_network import EngramParams
    EngramParams(n=params["n"], k=params["k"])
    for field in counts:
        check_int(name, field, params[field], minimum=1)
    if not 0.0 < params[fraction] <= 1.0:
        raise ValidationError(f"{name}: {fraction} must lie in (0, 1], got "
                              f"{params[fraction]!r}")
    check_in(name, "backend", params["backend"], BACKENDS)


def conclude(args: argparse.Namespace, summary: dict, result: str) -> dict:
    """Print an experiment's one-line `result` with its wall time (``summary["wall_s"]``) and
    output folder, then `finish` the run. Returns `summary`."""
    if not hasattr(args, "_started"):
        raise TypeError("conclude: args must come from an experiment_parser's parse_args")
    print(f"{args._experiment}: {result}; {summary['wall_s']} s; files in {args.out}")
    return finish(args, summary)