"""Run an exported PyNN script under sPyNNaker and record what sPyNNaker mapped.

`verify_spinnaker` copies this file into its work folder and runs it with the Python of the
sPyNNaker environment (which has no spikemem)::

    python spinnaker_driver.py RESULT.json SCRIPT.py [script arguments ...]

It wraps ``pyNN.spiNNaker.end`` so that, before sPyNNaker shuts down, the placements of all
machine vertices, the machine's chips and the ring-buffer shifts of every population are
read from sPyNNaker's data view; then it runs the script as ``__main__`` and writes
RESULT.json with ``ok``, the exception (name, message, traceback) if the script failed, and
what was collected. It imports only the standard library and, when run, sPyNNaker.
"""
from __future__ import annotations

import json
import runpy
import sys
import traceback

__all__ = ["main", "collect", "new_result"]


def new_result() -> dict:
    """The result record before anything ran."""
    return {"ok": False, "exception": None, "message": None, "traceback": None,
            "placements": [], "machine_chips": None, "ring_buffer_shifts": {},
            "collected": False}


def collect(result: dict) -> None:
    """Read placements, chips and ring-buffer shifts from sPyNNaker into `result` (once)."""
    if result["collected"]:
        return
    from spinn_front_end_common.data import FecDataView
    for pl in FecDataView.iterate_placemements():
        v = pl.vertex
        app = getattr(v, "app_vertex", None)
        result["placements"].append([pl.x, pl.y, pl.p, str(v.label), type(v).__name__,
                                     None if app is None else str(app.label)])
    result["machine_chips"] = FecDataView.get_machine().n_chips
    shifts = {}
    for vertex in FecDataView.iterate_vertices():
        if hasattr(vertex, "get_ring_buffer_shifts"):
            try:
                shifts[str(vertex.label)] = [int(s) for s in vertex.get_ring_buffer_shifts()]
            except Exception:           # a vertex without synapses has no shifts to report
                pass
    result["ring_buffer_shifts"] = shifts
    result["collected"] = True


def main(argv=None) -> int:
    """Run the script named in `argv` (see the module docstring); always returns 0."""
    argv = sys.argv[1:] if argv is None else list(argv)
    out_path, script = argv[0], argv[1]
    result = new_result()
    import pyNN.spiNNaker as sim
    original_end = sim.end

    def end(*args, **kwargs):
        try:
            collect(result)
        finally:
            return original_end(*args, **kwargs)

    sim.end = end
    sys.argv = [script] + argv[2:]
    try:
        runpy.run_path(script, run_name="__main__")
        result["ok"] = True
    except SystemExit as exc:
        result["ok"] = exc.code in (None, 0)
        if not result["ok"]:
            result["exception"] = "SystemExit"
            result["message"] = str(exc.code)
    except BaseException as exc:
        result["exception"] = type(exc).__name__
        result["message"] = str(exc)
        result["traceback"] = traceback.format_exc()
        try:
            collect(result)
        except BaseException:           # sPyNNaker failed before it placed anything
            pass
    with open(out_path, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
