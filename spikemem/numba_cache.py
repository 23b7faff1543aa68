"""Where Numba caches compiled kernels, with a fallback for read-only installs.

Numba's ``cache=True`` writes beside the source (``__pycache__``) or in the user's cache
folder (``$XDG_CACHE_HOME`` or ``~/.cache``). With a read-only install and no writable home,
neither works and Numba fails with "cannot cache function". `configure` (run when spikemem is
imported, before any kernel is compiled) then points ``NUMBA_CACHE_DIR`` at a private folder
in the system's temporary directory and prints a one-line notice. An explicit
``NUMBA_CACHE_DIR`` is always respected.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

__all__ = ["configure"]

_PACKAGE_DIRS = (Path(__file__).parent / "backends" / "numba", Path(__file__).parent,
                 Path(__file__).parent.parent / "models")


def _writable(folder: Path) -> bool:
    """True if a file can be created in `folder` (or in the folder that would hold it)."""
    while not folder.exists():
        if folder.parent == folder:
            return False
        folder = folder.parent
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _user_cache() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base)
    home = os.environ.get("HOME")
    return Path(home) / ".cache" if home else None


def configure(stream=None) -> str | None:
    """Set ``NUMBA_CACHE_DIR`` to a temporary folder if Numba could not cache otherwise.

    Returns the folder chosen, or None if nothing needed changing.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return None
    in_tree = all(_writable(d / "__pycache__") for d in _PACKAGE_DIRS if d.exists())
    user = _user_cache()
    if in_tree or (user is not None and _writable(user)):
        return None
    folder = Path(tempfile.gettempdir()) / f"spikemem-numba-cache-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        if folder.stat().st_uid != os.getuid() or not _writable(folder):
            raise OSError("not ours")
    except OSError:
        folder = Path(tempfile.mkdtemp(prefix="spikemem-numba-cache-"))
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    if "numba" in sys.modules:                  # imported already: its config is read
        sys.modules["numba"].config.CACHE_DIR = str(folder)
    print(f"spikemem: the install and home folder are read-only; compiled Numba kernels are "
          f"cached in {folder}", file=stream or sys.stderr)
    return str(folder)
