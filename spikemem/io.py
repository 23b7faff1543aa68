"""HDF5 files: networks, recordings and checkpoints, written atomically and verified on read.

Format version 2 (version 1 files are still read); version 3 is version 2 for a network (or a
checkpoint of one) with Poisson drives (`spikemem.PoissonInput`), so that a spikemem from
before drives refuses the file instead of silently dropping them:

* The file starts with a 512-byte HDF5 user block holding ``SPIKEMEM-SHA256 <hex>``: the
  SHA-256 of everything after the block. It is checked *before* HDF5 parses the file, so a
  damaged file (a flipped bit anywhere) raises `FileFormatError` and never yields other data
  or reaches HDF5's parser. The error names the damaged dataset when its own CRC-32 (attribute
  ``crc32`` of every dataset) no longer matches.
* The root group carries ``spikemem_kind`` ("network", "recording", "checkpoint", ...) and
  ``spikemem_format_version``.
* Nested dicts are groups; numbers, strings, bools and None are attributes; arrays are
  datasets with a ``units`` attribute where the quantity has one (``times``: ms, ``v``: mV,
  ``weight(s)``: nA, ...); a list of strings (such as the population ``order``) is a string
  dataset; other lists are groups ``0``, ``1``, ... with a ``__list__`` length attribute.

A file is written to a temporary file beside the target (``.<name>.spikemem-partial-<pid>-*``)
and renamed over the target only once complete, so a failure never leaves a half-written
file; SIGTERM during a write removes the temporary file, and temporary files that a killed
process left behind are removed by the next write to the same target.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import zlib
from pathlib import Path

import h5py
import numpy as np

from .errors import FileFormatError, ValidationError
from .interrupts import terminate_as_exit

__all__ = ["InvalidFileContent", "FORMAT_VERSION", "DRIVES_FORMAT_VERSION", "READABLE_VERSIONS",
           "network_format_version", "UNITS", "atomic_path", "write_tree",
           "read_tree", "save_tree", "read_file", "remove_stale_temporaries", "save_network", "load_network",
           "open_checked"]

FORMAT_VERSION = 2
#: Version of files whose network has Poisson drives (see the module docstring).
DRIVES_FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
#: Units written as the ``units`` attribute of datasets with these names.
UNITS = {"times": "ms", "v": "mV", "weights": "nA", "weight": "nA", "delay": "ms",
         "initial_v": "mV", "ids": "neuron index", "pre_idx": "neuron index",
         "post_idx": "neuron index", "pre": "neuron index", "post": "neuron index",
         "steps": "time step"}



class InvalidFileContent(FileFormatError, ValidationError):
    """An intact spikemem file whose content fails the checks construction applies."""


_USERBLOCK = 512
_MAGIC = b"SPIKEMEM-SHA256 "
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_PARTIAL = ".spikemem-partial-"
_H5_ERRORS = (OSError, KeyError, ValueError, RuntimeError, TypeError, IndexError,
              AttributeError, UnicodeDecodeError, SystemError)


def remove_stale_temporaries(target: Path) -> None:
    """Delete the temporary files and folders (``.<name>.spikemem-partial-<pid>-*``,
    ``.<name>.spikemem-old-<pid>-*``) of earlier writes to `target` whose process is gone."""
    pattern = re.compile(re.escape(f".{target.name}.spikemem-") + r"(?:partial|old)-(\d+)-")
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            m = pattern.match(entry.name)
            if m is None or int(m.group(1)) == os.getpid():
                continue
            try:
                os.kill(int(m.group(1)), 0)
            except ProcessLookupError:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)
            except (PermissionError, OverflowError):
                pass


@contextlib.contextmanager
def atomic_path(path, suffix: str = ""):
    """Yield a temporary path beside `path`; rename it to `path` only if the block succeeds.

    The temporary file is named ``.<name>.spikemem-partial-<pid>-<random><suffix>`` and is
    removed on any exception, including SIGTERM (turned into ``SystemExit`` meanwhile).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{_PARTIAL}{os.getpid()}-",
                               suffix=suffix or ".tmp", dir=path.parent)
    os.close(fd)
    try:
        with terminate_as_exit():
            yield Path(tmp)
            # mkstemp creates the file private (0600); give it the permissions open() would.
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
        elif isinstance(val, (list, tuple)) and val and all(isinstance(v, str) for v in val):
            group.create_dataset(key, data=np.array(val, dtype=h5py.string_dtype()))
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
            ds = group.create_dataset(key, data=arr)
            ds.attrs["crc32"] = np.uint32(zlib.crc32(arr.tobytes()))
            if key in UNITS:
                ds.attrs["units"] = UNITS[key]


def _is_numeric_sequence(val) -> bool:
    return len(val) > 0 and all(isinstance(v, (int, float, np.integer, np.floating))
                                and not isinstance(v, bool) for v in val)


def read_tree(group: h5py.Group) -> dict:
    """Inverse of `write_tree` (lists come back as lists, numeric sequences as arrays)."""
    out: dict = {}
    is_root = group.name == "/"
    for key, val in group.attrs.items():
        if key.endswith("__bool") or key == "__list__" or (is_root and key.startswith("spikemem_")):
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
        elif h5py.check_string_dtype(item.dtype) is not None:
            out[key] = [v.decode() if isinstance(v, bytes) else str(v) for v in item[()]]
        else:
            out[key] = item[()]
    return out


def _inspect_damaged(path: Path):
    """(format version or None, names of datasets whose CRC-32 no longer matches) of a file
    that failed its checksum, best effort: a file of a newer spikemem may checksum
    differently and then deserves the version message; otherwise the damaged dataset is
    named."""
    version, bad = None, []
    try:
        with h5py.File(path, "r") as f:
            found = f.attrs.get("spikemem_format_version")
            version = int(found) if found is not None else None

            def visit(name, item):
                if isinstance(item, h5py.Dataset) and "crc32" in item.attrs:
                    data = np.asarray(item[()])
                    if zlib.crc32(data.tobytes()) != int(item.attrs["crc32"]):
                        bad.append("/" + name)
            f.visititems(visit)
    except Exception:           # noqa: BLE001 - a damaged file may fail anywhere; we only name
        pass
    return version, bad


def _verify(path: Path) -> bool:
    """Check the user-block checksum; True for a verified v2 file, False for a v1 file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_USERBLOCK)
            if head.startswith(_HDF5_SIGNATURE):
                return False                       # format 1: no user block, no checksum
            if not head.startswith(_MAGIC):
                raise FileFormatError(f"{str(path)!r} is not an HDF5 file written by spikemem (or its "
                                      "header is damaged)")
            digest = hashlib.sha256()
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
    except OSError as exc:
        raise FileFormatError(f"{str(path)!r} cannot be read ({exc})") from None
    stored = head[len(_MAGIC):len(_MAGIC) + 64]
    if stored != digest.hexdigest().encode() or head[len(_MAGIC) + 64:].strip(b"\0\n") != b"":
        version, bad = _inspect_damaged(path)
        if version is not None and version not in READABLE_VERSIONS:
            raise FileFormatError(
                f"{str(path)!r}: format version {version!r} is not supported "
                f"(this spikemem reads versions {list(READABLE_VERSIONS)})")
        where = f"dataset(s) {', '.join(bad)}" if bad else "its header, attributes or metadata"
        raise FileFormatError(f"{str(path)!r} is damaged: checksum mismatch in {where}")
    return True


@contextlib.contextmanager
def open_checked(path, kind: str):
    """Open a spikemem HDF5 file of `kind` for reading after verifying its checksum.

    Raises
    ------
    FileNotFoundError
        No such file.
    FileFormatError
        Not HDF5, damaged, another kind of spikemem file or an unsupported format version;
        also any HDF5 error while reading inside the block.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"spikemem: no such file {str(path)!r}")
    verified = _verify(path)
    try:
        f = h5py.File(path, "r")
    except _H5_ERRORS as exc:
        raise FileFormatError(f"{str(path)!r} is not a readable HDF5 file ({exc})") from None
    try:
        with f:
            found = f.attrs.get("spikemem_kind")
            if found != kind:
                raise FileFormatError(f"{str(path)!r}: expected a spikemem {kind} file, found "
                                      f"spikemem_kind={found!r}")
            version = f.attrs.get("spikemem_format_version")
            if version not in READABLE_VERSIONS:
                raise FileFormatError(
                    f"{str(path)!r}: format version {version!r} is not supported "
                    f"(this spikemem reads versions {list(READABLE_VERSIONS)})")
            if (version >= 2) != verified:
                raise FileFormatError(f"{str(path)!r}: format version {version} does not match "
                                      "its checksum header (damaged file)")
            yield f
    except FileFormatError:
        raise
    except _H5_ERRORS as exc:
        raise FileFormatError(f"{str(path)!r}: damaged or malformed {kind} file "
                              f"({type(exc).__name__}: {exc})") from None


def read_file(path, kind: str) -> dict:
    """The whole tree of a verified spikemem file of `kind` (see `open_checked`)."""
    with open_checked(path, kind) as f:
        return read_tree(f)


def network_format_version(network) -> int:
    """The format version of a file holding `network`: `DRIVES_FORMAT_VERSION` if it has
    Poisson drives, else `FORMAT_VERSION`."""
    return DRIVES_FORMAT_VERSION if getattr(network, "drives", None) else FORMAT_VERSION


def _write_file(path, kind: str, tree: dict, version: int = FORMAT_VERSION) -> None:
    with atomic_path(path, ".h5") as tmp:
        with h5py.File(tmp, "w", userblock_size=_USERBLOCK) as f:
            f.attrs["spikemem_kind"] = kind
            f.attrs["spikemem_format_version"] = version
            write_tree(f, tree)
        digest = hashlib.sha256()
        with open(tmp, "r+b") as fh:
            fh.seek(_USERBLOCK)
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
            fh.seek(0)
            fh.write((_MAGIC + digest.hexdigest().encode() + b"\n").ljust(_USERBLOCK, b"\0"))


def save_network(network, path) -> None:
    """Write `network` (a `spikemem.Network`) to the HDF5 file `path`, atomically."""
    _write_file(path, "network", network.to_dict(), network_format_version(network))


def load_network(path):
    """Read a network written by `save_network`, validated as on construction.

    Raises
    ------
    FileFormatError
        The file is damaged or of another kind; `InvalidFileContent` (also a
        `ValidationError`) if it describes a network construction would reject.
    """
    from .network import Network
    tree = read_file(path, "network")
    try:
        return Network.from_dict(tree)
    except ValidationError as exc:
        raise InvalidFileContent(f"{str(path)!r}: invalid network ({exc})") from None


def save_tree(path, kind: str, tree: dict, version: int = FORMAT_VERSION) -> None:
    """Write a nested dict as a spikemem file of the given kind (atomic, checksummed) and
    format `version` (`FORMAT_VERSION`, or `network_format_version` of a network it holds)."""
    if version not in READABLE_VERSIONS[1:]:
        raise ValidationError(f"save_tree: version must be one of {list(READABLE_VERSIONS[1:])}, "
                              f"got {version!r}")
    _write_file(path, kind, tree, version)
