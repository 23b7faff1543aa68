"""The documentation gallery runs every experiment (docs/_ext/gallery.py)."""
import importlib.util
from pathlib import Path

from spikemem.cli import experiment_names

GALLERY_PY = Path(__file__).resolve().parents[1] / "docs" / "_ext" / "gallery.py"


def _gallery():
    spec = importlib.util.spec_from_file_location("spikemem_docs_gallery", GALLERY_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_gallery_table_names_exactly_the_installed_experiments():
    table = _gallery().GALLERY
    assert set(table) == set(experiment_names())
    assert {"recall_from_fragments", "stress", "engram_completion", "sdr_digits"} <= set(table)
    assert all(isinstance(opts, list) and all(isinstance(o, str) for o in opts)
               for opts in table.values())
    assert not any(o in ("--out", "--seed", "--no-report") for opts in table.values()
                   for o in opts)
