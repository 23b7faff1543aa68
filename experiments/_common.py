"""Command-line and output helpers shared by the experiment scripts.

The leading underscore keeps this module out of ``spikemem list`` / ``spikemem run``.
"""
from __future__ import annotations

import argparse
import json

from spikemem.backends import GENERAL_BACKENDS
from spikemem.io import atomic_path
from spikemem.results import check_writable

__all__ = ["experiment_parser", "write_json"]


def experiment_parser(name: str, doc: str, backend: bool = True) -> argparse.ArgumentParser:
    """The argument parser every experiment starts from.

    Parameters
    ----------
    name : str
        Experiment name: the parser's ``prog`` and the default output folder ``results/<name>``.
    doc : str
        The experiment module's docstring; its first paragraph is the parser's description.
    backend : bool
        Add ``--backend`` (one of `spikemem.backends.GENERAL_BACKENDS`, default ``"numba"``).

    Returns
    -------
    argparse.ArgumentParser
        With ``--seed`` (int, default 0), ``--out`` (default ``results/<name>``) and, if
        `backend`, ``--backend``; the experiment adds its own options.
    """
    parser = argparse.ArgumentParser(prog=name, description=doc.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=f"results/{name}", type=_writable_out)
    if backend:
        parser.add_argument("--backend", default="numba", choices=sorted(GENERAL_BACKENDS))
    return parser


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
