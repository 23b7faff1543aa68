"""Results written as one unit: an experiment's output folder appears complete or not at all.

`result_folder(out)` yields a temporary folder beside `out`, named
``.<name>.spikemem-partial-<pid>-<random>``; when the block succeeds the temporary folder
replaces `out` (two renames), so `out` never mixes files of two runs. On an exception or
SIGTERM the temporary folder is removed; folders that a killed process (SIGKILL) left behind
are removed by the next run writing to the same place. `check_writable` verifies an output
location before any simulation starts.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from .errors import ValidationError
from .interrupts import terminate_as_exit
from .io import remove_stale_temporaries

__all__ = ["result_folder", "check_writable", "RESULT_MARKER"]

#: File that marks a folder as a spikemem result folder (safe to replace as a whole).
RESULT_MARKER = ".spikemem-result"
#: Extensions of the files an experiment writes; a folder holding only such files (and no
#: sub-folders) is treated as an earlier result folder even without the marker.
_RESULT_SUFFIXES = {".h5", ".png", ".svg", ".pdf", ".json", ".csv", ".html", ".txt", ".npz",
                    ".py", ".nir"}


def check_writable(out) -> Path:
    """Return `out` as a Path after checking a result folder can be written there.

    Raises
    ------
    ValidationError
        `out` is an existing file, lies below a file, or its nearest existing parent folder
        is not writable (checked by creating and removing a temporary file).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValidationError(f"--out {str(out)!r} is a file, not a folder; give a folder path")
    parent = out if out.exists() else out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ValidationError(f"--out {str(out)!r}: {str(parent)!r} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".spikemem-write-test-", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValidationError(f"--out {str(out)!r}: cannot write in {str(parent)!r} "
                              f"({exc.strerror or exc})") from None
    return out


def _replaceable(out: Path) -> bool:
    if not out.exists():
        return True
    entries = list(out.iterdir())
    if not entries or (out / RESULT_MARKER).exists():
        return True
    return all(e.is_file() and e.suffix in _RESULT_SUFFIXES for e in entries)


@contextlib.contextmanager
def result_folder(out):
    """Context manager: write results into the yielded folder; it becomes `out` on success.

    Parameters
    ----------
    out : str or Path
        Final result folder. If it exists it must be an earlier result folder (marked, empty,
        or holding only result files): it is replaced as a whole.

    Raises
    ------
    ValidationError
        `out` is not writable, is a file, or is a folder with other content (which would be
        lost); raised before the block runs.
    """
    out = check_writable(out)
    if not _replaceable(out):
        raise ValidationError(f"--out {str(out)!r} is a folder with other content (sub-folders "
                              "or non-result files); choose a new or empty folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.spikemem-partial-{os.getpid()}-",
                                dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)           # mkdtemp makes it private (0700)
    old = None
    try:
        with terminate_as_exit():
            yield tmp
            (tmp / RESULT_MARKER).write_text("spikemem result folder\n")
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.spikemem-old-{os.getpid()}-",
                                            dir=out.parent))
                os.replace(out, old / "previous")
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and (old / "previous").exists() and not out.exists():
            os.replace(old / "previous", out)       # interrupted between the two renames
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
