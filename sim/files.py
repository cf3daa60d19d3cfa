"""Files written whole or not at all, so a crash never leaves half a result behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import IO, Callable

__all__ = ["atomic_write", "write_text_atomic"]


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
