"""Run an exported script through sPyNNaker's whole mapping flow on a virtual SpiNNaker board.

sPyNNaker 1!7.4.1 needs numpy 2, spikemem numpy 1.26, so sPyNNaker lives in its own virtual
environment (``.venv-spinnaker`` at the repository root, created by ``make test``) and runs
in a subprocess. `verify_spinnaker` gives that process its own temporary ``HOME`` holding a
generated ``.spynnaker.cfg`` (``[Machine] virtual_board = True``, ``version = 5`` for a
SpiNN-5 board, 3 for SpiNN-3) and its own working folder (sPyNNaker writes reports there),
runs the script, and collects, just before ``sim.end()``, every placement sPyNNaker made
(``FecDataView.iterate_placemements()``). A virtual board runs partitioning, placement,
routing and data generation, not the neurons: recorded data come back empty.

The result says whether sPyNNaker accepted the network or which of its exceptions it raised,
and lists the application cores and chips it used next to spikemem's own estimate
(`check_spinnaker`).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from spikemem.errors import ValidationError
from spikemem.network import Network

from .spinnaker_check import SpinnakerReport, check_plan
from .spinnaker_limits import board_spec
from .spinnaker_plan import CELL_PARAMETERS, NetworkPlan, plan_network
from .spinnaker_script import to_pynn_script

__all__ = ["verify_spinnaker", "SpinnakerVerification", "find_spinnaker_python",
           "compare_readback", "SPINNAKER_PYTHON_ENV"]

#: Environment variable naming the Python interpreter that has sPyNNaker installed.
SPINNAKER_PYTHON_ENV = "SPIKEMEM_SPINNAKER_PYTHON"

#: Machine-vertex classes sPyNNaker adds for itself (not the application's cores).
_SYSTEM_VERTICES = ("ExtraMonitorSupportMachineVertex", "DataSpeedUpPacketGatherMachineVertex",
                    "ChipPowerMonitorMachineVertex", "LivePacketGatherMachineVertex",
                    "CommandSenderMachineVertex")


@dataclass
class SpinnakerVerification:
    """What sPyNNaker did with an exported script on a virtual board.

    Attributes
    ----------
    ok : bool
        True if sPyNNaker mapped and "ran" the network without raising.
    exception : str or None
        Class name of the exception sPyNNaker raised.
    message : str or None
        Its message.
    placements : list of tuple
        ``(x, y, p, vertex label, vertex class, population label or None)`` of every core,
        system cores included.
    machine_chips : int or None
        Chips of the (virtual) machine sPyNNaker built; above the board's size when it had
        to grow the machine to several boards.
    ring_buffer_shifts : dict of str to list of int
        Per population, sPyNNaker's weight scale power per receptor (excitatory,
        inhibitory): weights are stored as integers of ``2**(15 - shift)`` per nA.
    estimate : SpinnakerReport or None
        spikemem's own prediction for the same network and board.
    readback : dict of str to str
        With a network: per population and projection label, ``"ok"`` if the parameters,
        initial potentials, connections, weights (to sPyNNaker's 16-bit resolution) and
        delays sPyNNaker built equal the IR's, else what differs.
    script : Path
    log : str
        The end of sPyNNaker's output (for diagnosis).
    """

    ok: bool
    exception: Optional[str]
    message: Optional[str]
    placements: list = field(default_factory=list)
    machine_chips: Optional[int] = None
    ring_buffer_shifts: dict = field(default_factory=dict)
    estimate: Optional[SpinnakerReport] = None
    readback: dict = field(default_factory=dict)
    script: Optional[Path] = None
    log: str = ""

    @property
    def readback_ok(self) -> bool:
        """True when everything read back from sPyNNaker equals the IR (see `readback`)."""
        return bool(self.readback) and all(v == "ok" for v in self.readback.values())

    @property
    def app_placements(self) -> list:
        return [pl for pl in self.placements if pl[4] not in _SYSTEM_VERTICES]

    @property
    def app_cores(self) -> int:
        """Application cores sPyNNaker placed (system cores excluded)."""
        return len(self.app_placements)

    @property
    def chips(self) -> int:
        """Chips holding at least one application core."""
        return len({(pl[0], pl[1]) for pl in self.app_placements})

    @property
    def cores_by_population(self) -> dict:
        """Application cores per population label (delay extensions under ``<pre>_delayed``)."""
        return dict(Counter(pl[5] for pl in self.app_placements))

    def to_dict(self) -> dict:
        return {"ok": self.ok, "exception": self.exception, "message": self.message,
                "app_cores": self.app_cores, "chips": self.chips,
                "machine_chips": self.machine_chips,
                "ring_buffer_shifts": self.ring_buffer_shifts,
                "cores_by_population": self.cores_by_population,
                "estimate": None if self.estimate is None else self.estimate.to_dict(),
                "readback": self.readback,
                "script": None if self.script is None else str(self.script)}

    def __str__(self) -> str:
        head = ("sPyNNaker mapped the network" if self.ok else
                f"sPyNNaker refused the network: {self.exception}: {self.message}")
        lines = [head]
        if self.placements:
            lines.append(f"  sPyNNaker: {self.app_cores} application cores on {self.chips} "
                         f"chips (virtual machine of {self.machine_chips} chips)")
        if self.readback:
            bad = {k: v for k, v in self.readback.items() if v != "ok"}
            lines.append("  read back from sPyNNaker: "
                         + ("all parameters, connections, weights and delays equal the IR's"
                            if not bad else f"DIFFERENCES {bad}"))
        if self.estimate is not None:
            e = self.estimate
            lines.append(f"  spikemem estimate: {e.cores} cores on ~{e.chips} chips, "
                         f"{'maps' if e.ok else 'does not map'}"
                         + ("" if e.ok else f" ({'; '.join(i.code for i in e.errors)})"))
        return "\n".join(lines)


def find_spinnaker_python(python=None) -> Optional[Path]:
    """The Python interpreter that has sPyNNaker, or None if there is none.

    Looks at `python`, then the environment variable ``SPIKEMEM_SPINNAKER_PYTHON``, then
    ``.venv-spinnaker/bin/python`` at the repository root and in the current folder.
    """
    candidates = []
    if python is not None:
        candidates.append(Path(python))
    if os.environ.get(SPINNAKER_PYTHON_ENV):
        candidates.append(Path(os.environ[SPINNAKER_PYTHON_ENV]))
    for root in (Path(__file__).resolve().parents[1], Path.cwd()):
        candidates.append(root / ".venv-spinnaker" / "bin" / "python")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


def _config(version: int) -> str:
    return ("[Machine]\n"
            "virtual_board = True\n"
            f"version = {version}\n")


def verify_spinnaker(network_or_script, board="spinn5", run_ms: Optional[float] = None,
                     network: Optional[Network] = None, python=None, timeout: float = 900.0,
                     workdir=None, **export_options) -> SpinnakerVerification:
    """Map a network (or an exported script) with sPyNNaker on a virtual board.

    Parameters
    ----------
    network_or_script : spikemem.Network or path
        A network (exported first with ``to_pynn_script(..., simulator="spiNNaker")``) or a
        script written by `to_pynn_script`.
    board : {"spinn5", "spinn3"}
        Virtual board to map onto.
    run_ms : float, optional
        Simulated time, ms (default: the script's own).
    network : Network, optional
        The network a given script was exported from, for the estimate.
    python : path, optional
        Interpreter with sPyNNaker (default: `find_spinnaker_python`).
    timeout : float
        Seconds before the sPyNNaker process is stopped.
    workdir : path, optional
        Folder to work in (kept); default a temporary folder, removed afterwards.
    **export_options
        Passed to `to_pynn_script` and `check_spinnaker` (``weights``, ``neurons_per_core``,
        ``poisson``).

    Returns
    -------
    SpinnakerVerification

    Raises
    ------
    FileNotFoundError
        No interpreter with sPyNNaker, or no such script.
    ValidationError
        Bad arguments.
    """
    spec = board_spec(board)
    exe = find_spinnaker_python(python)
    if exe is None:
        raise FileNotFoundError(
            "verify_spinnaker: no Python with sPyNNaker found; create .venv-spinnaker at the "
            "repository root (make test does: python3 -m venv .venv-spinnaker && "
            ".venv-spinnaker/bin/pip install 'spynnaker==1!7.4.1') or set "
            f"{SPINNAKER_PYTHON_ENV}")
    owned = workdir is None
    work = Path(tempfile.mkdtemp(prefix="spikemem-spinnaker-") if owned else workdir)
    work.mkdir(parents=True, exist_ok=True)
    try:
        opts = dict(export_options)
        if run_ms is not None:
            opts["run_ms"] = run_ms
        if isinstance(network_or_script, Network):
            network = network_or_script
            script = to_pynn_script(network, work / f"{_safe(network.label)}.py",
                                    simulator="spiNNaker", **opts).script
        else:
            script = Path(network_or_script)
            if not script.is_file():
                raise FileNotFoundError(f"verify_spinnaker: no such script {str(script)!r}")
        plan = estimate = None
        if network is not None:
            plan = plan_network(network, simulator="spiNNaker", **opts)
            estimate = check_plan(plan, spec)
        result = _run(exe, script, spec.version, work, run_ms, timeout, dump=plan is not None)
        results_file = work / "spinnaker_results.npz"
        if plan is not None and result.ok and results_file.is_file():
            result.readback = compare_readback(plan, results_file, estimate)
    finally:
        if owned:
            shutil.rmtree(work, ignore_errors=True)
    result.estimate = estimate
    result.script = script
    return result


def _safe(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in label) or "network"


def _run(exe: Path, script: Path, version: int, work: Path, run_ms, timeout,
         dump: bool) -> SpinnakerVerification:
    home = work / "home"
    home.mkdir(exist_ok=True)
    (home / ".spynnaker.cfg").write_text(_config(version))
    driver = work / "spikemem_spinnaker_driver.py"
    shutil.copyfile(Path(__file__).with_name("spinnaker_driver.py"), driver)
    out_json = work / "spinnaker_result.json"
    args = [str(exe), str(driver), str(out_json), str(script.resolve()),
            "--output", str(work / "spinnaker_results.npz")] + (["--dump"] if dump else [])
    if run_ms is not None:
        if not (isinstance(run_ms, (int, float)) and run_ms > 0):
            raise ValidationError(f"verify_spinnaker: run_ms must be > 0 ms, got {run_ms!r}")
        args += ["--run-ms", repr(float(run_ms))]
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["HOME"] = str(home)
    env["MPLBACKEND"] = "Agg"
    proc = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True,
                          timeout=timeout)
    log = (proc.stdout + proc.stderr)[-4000:]
    if not out_json.is_file():
        return SpinnakerVerification(False, "ProcessError",
                                     f"sPyNNaker process exited with status {proc.returncode}",
                                     log=log)
    data = json.loads(out_json.read_text())
    return SpinnakerVerification(
        bool(data["ok"]), data["exception"], data["message"],
        [tuple(pl) for pl in data["placements"]], data["machine_chips"],
        data.get("ring_buffer_shifts", {}), log=log)


def compare_readback(plan: NetworkPlan, results_file, report: Optional[SpinnakerReport] = None,
                     rtol: float = 1e-6) -> dict:
    """Compare what an exported script's ``--dump`` read back from the simulator with the IR.

    Parameters
    ----------
    plan : NetworkPlan
        The translation the script was written from.
    results_file : path
        The script's ``--output`` file, written with ``--dump``.
    report : SpinnakerReport, optional
        Gives each projection's weight resolution (LSB, nA); weights may differ by half of it.
    rtol : float
        Relative tolerance of parameters and initial potentials.

    Returns
    -------
    dict of str to str
        Per population and projection label: ``"ok"`` or what differs.
    """
    out = {}
    lsb = {} if report is None else {r["label"]: r["weight_lsb"] for r in report.projections}
    with np.load(results_file) as res:
        if "dump_populations" not in res:
            raise ValidationError(f"compare_readback: {str(results_file)!r} was not written "
                                  "with --dump")
        cells = [str(x) for x in res["dump_populations"]]
        for k, label in enumerate(cells):
            p = plan.group(label)
            bad = []
            for name in CELL_PARAMETERS:
                got = np.broadcast_to(res[f"param_{k}_{name}"], (p.size,))
                if not np.allclose(got, getattr(p.cell, name), rtol=rtol, atol=1e-9):
                    bad.append(f"{name} {got[0]!r} != {getattr(p.cell, name)!r}")
            v0 = np.broadcast_to(np.asarray(p.initial_v, float), (p.size,))
            if not np.allclose(res[f"v0_{k}"], v0, rtol=rtol, atol=1e-9):
                bad.append("initial v differs")
            out[label] = "ok" if not bad else "; ".join(bad)
        labels = [str(x) for x in res["dump_projections"]]
        for k, label in enumerate(labels):
            pr = next(q for q in plan.projections if q.label == label)
            got = res[f"proj_{k}"]
            out[label] = _compare_connections(pr, got, lsb.get(label, 0.0))
    return out


def _compare_connections(pr, got: np.ndarray, lsb: float) -> str:
    if got.shape[0] != pr.size:
        return f"{got.shape[0]} connections read back, {pr.size} exported"
    want = np.column_stack([pr.pre_local, pr.post_local, pr.weight, pr.delay]).astype(float)
    order_w = np.lexsort((want[:, 1], want[:, 0]))
    order_g = np.lexsort((got[:, 1], got[:, 0]))
    w, g = want[order_w], got[order_g]
    if not np.array_equal(w[:, :2], g[:, :2]):
        return "the (pre, post) pairs differ"
    dw = np.abs(np.abs(g[:, 2]) - w[:, 2]).max()
    if dw > lsb / 2 + 1e-9:
        return f"weights differ by up to {dw:.3g} nA (resolution {lsb:.3g} nA)"
    dd = np.abs(g[:, 3] - w[:, 3]).max()
    if dd > 1e-9:
        return f"delays differ by up to {dd:.3g} ms"
    return "ok"
