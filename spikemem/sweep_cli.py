"""``spikemem sweep``: run an experiment's grid x seeds on Dask from the command line.

    spikemem sweep stress --grid size=10,100,1000 gap=0,6 --seeds 0-9 --out DIR
    spikemem sweep stress --grid size=10,100 --seeds 0-4 --scheduler tcp://host:8786
    spikemem sweep mypackage.points:measure --grid n=10,20 --seeds 0-2 --serial
"""
from __future__ import annotations

import argparse
import sys

from .errors import ValidationError

__all__ = ["add_sweep_parser"]


def _cmd_sweep(args, extra) -> int:
    from .sweep import SchedulerUnreachable, sweep
    from .sweep_grid import parse_grid, parse_seeds, resolve_target
    try:
        if args.serial and (args.scheduler or args.workers is not None):
            raise ValidationError("--serial excludes --scheduler and --workers")
        if args.scheduler and args.workers is not None:
            raise ValidationError("--scheduler and --workers exclude each other (a scheduler "
                                  "brings its own workers)")
        target = resolve_target(args.experiment)
        grid = parse_grid(target, args.grid)
        seeds = parse_seeds(args.seeds)
        client = "serial" if args.serial else args.scheduler
        result = sweep(args.experiment, grid, seeds, client=client, out=args.out,
                       workers=args.workers, timeout=args.timeout,
                       artefacts=not args.no_artefacts, progress=args.progress)
    except (ValidationError, SchedulerUnreachable) as exc:
        print(f"spikemem sweep: error: {exc}", file=sys.stderr)
        return 2
    return 1 if result.failed else 0


def add_sweep_parser(sub) -> None:
    """Add the ``sweep`` sub-command to the ``spikemem`` parser's sub-parsers."""
    p = sub.add_parser("sweep", help="run an experiment over a parameter grid x seeds on "
                                     "Dask (local cluster or --scheduler)",
                       description="Run an experiment at every grid point x seed as Dask "
                                   "tasks; one results table (Parquet) and plots.",
                       epilog="examples:\n" + __doc__.split("\n\n")[1],
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("experiment", help="experiment name (e.g. stress, sdr_capacity, "
                                      "engram_capacity, engram_completion) or module:function")
    p.add_argument("--grid", nargs="+", default=[], metavar="NAME=V1,V2",
                   help="swept parameters, e.g. size=10,100,1000 gap=0,6")
    p.add_argument("--seeds", default="0", help="seeds, e.g. 0-9 or 0,3,5-7 (default 0)")
    p.add_argument("--out", default=None, help="output folder (default "
                                               "results/sweep_<experiment>)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of a running Dask scheduler, tcp://HOST:PORT")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes of the local cluster (default: one per core)")
    p.add_argument("--serial", action="store_true",
                   help="run in this process, one point after the other (no Dask)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds to wait for the scheduler and a worker (default 10)")
    p.add_argument("--no-artefacts", action="store_true",
                   help="do not keep per-point artefacts (recordings) under DIR/points/")
    p.add_argument("--progress", action="store_true", default=None,
                   help="show the progress bar even when not on a terminal")
    p.set_defaults(func=_cmd_sweep)
