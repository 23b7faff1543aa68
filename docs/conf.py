"""Sphinx configuration of the spikemem documentation (``make docs``; warnings are errors).

The gallery pages are generated at build time by ``_ext/gallery.py``, which runs every
experiment at a small size (see its ``GALLERY`` table).
"""
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))

project = "spikemem"
author = "the spikemem developers"
copyright = "the spikemem developers, MIT licence"
from importlib.metadata import version as _version  # noqa: E402

release = _version("spikemem")

extensions = ["myst_parser", "sphinx.ext.autodoc", "numpydoc", "sphinx.ext.mathjax", "gallery"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_ext", "img/README*"]
default_role = "py:obj"

myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
# The Markdown notes link to source files and to the README outside the site; those links
# stay as written (plain hyperlinks), not as errors.
suppress_warnings = ["myst.xref_missing", "myst.header"]

autodoc_member_order = "bysource"
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_validation_checks = set()

html_theme = "alabaster"
html_title = f"spikemem {release}"
html_static_path = []
html_extra_path = ["_build/gallery_extra"]
html_theme_options = {"description": "Spiking models of hippocampal memory, run anywhere",
                      "fixed_sidebar": True}
