"""HDF5 files: networks and recordings, written atomically, with a format version.

A file is written to a temporary file in the target folder and renamed over the target only
once complete, so a failure never leaves a half-written file behind. The root group carries
``spikemem_kind`` ("network" or "recording") and ``spikemem_format_version``.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import h5py
import numpy as np

from .errors import FileFormatError

__all__ = ["FORMAT_VERSION", "atomic_path", "write_tree", "read_tree", "save_network",
           "load_network", "open_checked"]

FORMAT_VERSION = 1


@contextlib.contextmanager
def atomic_path(path, suffix: str = ""):
    """Yield a temporary path beside `path`; rename it to `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or ".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp creates the file private (0600); give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_tree(group: h5py.Group, obj: dict) -> None:
    """Store a nested dict of arrays, scalars, strings, None, lists and dicts in `group`."""
    for key, val in obj.items():
        key = str(key)
        if isinstance(val, dict):
            write_tree(group.create_group(key), val)
        elif isinstance(val, (list, tuple)) and not _is_numeric_sequence(val):
            sub = group.create_group(key)
            sub.attrs["__list__"] = len(val)
            write_tree(sub, {str(i): v for i, v in enumerate(val)})
        elif val is None:
            group.attrs[key] = "__none__"
        elif isinstance(val, str):
            group.attrs[key] = val
        elif isinstance(val, (bool, np.bool_)):
            group.attrs[key] = np.bool_(val)
            group.attrs[f"{key}__bool"] = True
        elif isinstance(val, (int, float, np.integer, np.floating)):
            group.attrs[key] = val
        else:
            arr = np.asarray(val)
            group.create_dataset(key, data=arr)


def _is_numeric_sequence(val) -> bool:
    return len(val) > 0 and all(isinstance(v, (int, float, np.integer, np.floating))
                                and not isinstance(v, bool) for v in val)


def read_tree(group: h5py.Group) -> dict:
    """Inverse of `write_tree` (lists come back as lists, numeric sequences as arrays)."""
    out: dict = {}
    for key, val in group.attrs.items():
        if key.endswith("__bool") or key == "__list__" or key.startswith("spikemem_"):
            continue
        if isinstance(val, str) and val == "__none__":
            out[key] = None
        elif isinstance(val, (bytes, str)):
            out[key] = val.decode() if isinstance(val, bytes) else val
        elif f"{key}__bool" in group.attrs:
            out[key] = bool(val)
        elif isinstance(val, np.integer):
            out[key] = int(val)
        elif isinstance(val, np.floating):
            out[key] = float(val)
        else:
            out[key] = val
    for key, item in group.items():
        if isinstance(item, h5py.Group):
            sub = read_tree(item)
            if "__list__" in item.attrs:
                out[key] = [sub[str(i)] for i in range(int(item.attrs["__list__"]))]
            else:
                out[key] = sub
        else:
            out[key] = item[()]
    return out


@contextlib.contextmanager
def open_checked(path, kind: str):
    """Open an HDF5 file for reading and check it is a spikemem file of `kind` and version."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"spikemem: no such file {str(path)!r}")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise FileFormatError(f"{str(path)!r} is not an HDF5 file ({exc})") from None
    with f:
        found = f.attrs.get("spikemem_kind")
        if found != kind:
            raise FileFormatError(
                f"{str(path)!r}: expected a spikemem {kind} file, found spikemem_kind={found!r}")
        version = f.attrs.get("spikemem_format_version")
        if version != FORMAT_VERSION:
            raise FileFormatError(
                f"{str(path)!r}: format version {version!r} is not supported "
                f"(this spikemem reads version {FORMAT_VERSION})")
        yield f


def _write_file(path, kind: str, tree: dict) -> None:
    with atomic_path(path, ".h5") as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["spikemem_kind"] = kind
            f.attrs["spikemem_format_version"] = FORMAT_VERSION
            write_tree(f, tree)


def save_network(network, path) -> None:
    """Write `network` (a `spikemem.Network`) to the HDF5 file `path`, atomically."""
    _write_file(path, "network", network.to_dict())


def load_network(path):
    """Read a network written by `save_network`."""
    from .network import Network
    with open_checked(path, "network") as f:
        return Network.from_dict(read_tree(f))


def save_tree(path, kind: str, tree: dict) -> None:
    """Write a nested dict as a spikemem file of the given kind (atomic)."""
    _write_file(path, kind, tree)
