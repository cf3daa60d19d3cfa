"""Files written whole or not at all, so a crash never leaves half a result behind; and the
one check every input file passes before it is opened."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import IO, Callable

__all__ = ["MAX_FILE_ENV", "atomic_write", "max_file_bytes", "unfit_input", "write_text_atomic"]

MAX_FILE_ENV = "RIPPLE_MAX_FILE_MB"   # environment variable that raises the input file size limit


def atomic_write(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``path`` whole or not at all.

    Parameters
    ----------
    path : pathlib.Path
        The file to write; its folder is created if missing, an existing file replaced.
    write : callable
        Called once with a binary file object to write the content into.

    Notes
    -----
    The content goes to a temporary file in the same folder, is flushed and fsynced,
    then renamed over ``path`` (atomic on POSIX), and the folder is fsynced so the
    rename survives a crash. If ``write`` raises, the temporary file is removed and
    ``path`` is left as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8, whole or not at all (:func:`atomic_write`).

    Parameters
    ----------
    path : pathlib.Path
        The file to write.
    text : str
        Its content.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> write_text_atomic(folder / "a" / "note.txt", "héllo")
    >>> (folder / "a" / "note.txt").read_text(encoding="utf-8")
    'héllo'
    >>> import shutil; shutil.rmtree(folder)
    """
    atomic_write(path, lambda out: out.write(text.encode("utf-8")))


def max_file_bytes() -> int:
    """The largest input file ripple reads: ``$RIPPLE_MAX_FILE_MB`` megabytes, 2,048 by default
    (room for 10^6-node networks in every format; such a GraphML file is about 300 MB).

    Returns
    -------
    int
        Bytes.
    """
    return int(float(os.environ.get(MAX_FILE_ENV, "2048")) * 2**20)


def unfit_input(path: Path) -> str | None:
    """Why ``path`` must not be read as an input file, or None when it may.

    Only regular files within :func:`max_file_bytes` are read: a FIFO would block, a device
    such as ``/dev/zero`` would never end, a directory cannot be read as text.

    Parameters
    ----------
    path : pathlib.Path
        The input file (a missing file is left to the reader, which says so).

    Returns
    -------
    str or None
        e.g. ``"is a FIFO (named pipe), not a regular file"``.
    """
    try:
        info = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                           (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                           (stat.S_ISSOCK, "a socket")):
            if test(info.st_mode):
                return f"is {kind}, not a regular file"
        return "is not a regular file"
    if info.st_size > (limit := max_file_bytes()):
        return (f"is {info.st_size / 2**20:,.0f} MB, above the limit of {limit / 2**20:,.0f} MB "
                f"(set {MAX_FILE_ENV} to raise it)")
    return None
