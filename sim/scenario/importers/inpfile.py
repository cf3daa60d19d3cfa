"""An EPANET input file (.inp) read with WNTR: decoded with a fallback, its errors located by line."""

from __future__ import annotations

import logging
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from sim.files import unfit_input
from sim.scenario.importers.report import ImportFailed

__all__ = ["read_inp"]

_AT_LINE = re.compile(r", at line (\d+)(:\s.*)?$", re.S)


@contextmanager
def _quiet_wntr() -> Iterator[None]:
    """Silence WNTR's log while it reads (it logs what it guesses, the report says what matters),
    and undo what importing it does to numpy's print options (it sets a precision of 3)."""
    logger = logging.getLogger("wntr")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with np.printoptions():
            yield
    finally:
        logger.setLevel(level)


def _decode(raw: bytes, path: Path) -> tuple[str, str | None]:
    """The file's text, and a warning when it is not UTF-8 (read as Windows-1252 / Latin-1)."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text, f"{path}:{line}: not UTF-8: read as Windows-1252 (Latin-1), check the names with accents"


def _where(exc: BaseException) -> tuple[int | None, str | None]:
    """The line number and text WNTR was reading when it raised ``exc`` (deepest reader frame)."""
    found: tuple[int | None, str | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        local = tb.tb_frame.f_locals
        reader = tb.tb_frame.f_code.co_filename.endswith(("epanet/io.py", "epanet\\io.py"))
        if reader and isinstance(local.get("lnum"), int):
            line = local.get("line")
            found = local["lnum"], line if isinstance(line, str) else None
        tb = tb.tb_next
    if found[0] is None and (match := _AT_LINE.search(str(exc))):
        found = int(match.group(1)), None
    return found


def _failure(exc: Exception, path: Path) -> ImportFailed:
    """``exc`` of WNTR as one message: ``file:line: what (the line)``."""
    from wntr.epanet.exceptions import EpanetException     # imported by read_inp already

    cause = exc.__cause__ if isinstance(exc, EpanetException) and isinstance(exc.__cause__, Exception) else exc
    number, line = _where(cause)
    text = str(cause.args[0]) if isinstance(cause, KeyError) and cause.args else str(cause)   # KeyError quotes
    if isinstance(cause, EpanetException):
        what = _AT_LINE.sub("", text).replace(" (%s)", "").strip()
    elif isinstance(cause, IndexError):
        what = "too few values"
    else:
        what = text.strip() or type(cause).__name__
    where = f"{path}:{number}" if number else str(path)
    shown = f" in `{' '.join(line.split())[:80]}`" if line else ""
    return ImportFailed(f"{where}: not a valid EPANET file: {what}{shown}".splitlines()[0])


def read_inp(path: Path) -> tuple[Any, list[str]]:
    """A WNTR water network model from an EPANET input file.

    Parameters
    ----------
    path : pathlib.Path
        The .inp file; UTF-8 (with or without a byte-order mark), or else read as Windows-1252.

    Returns
    -------
    model : wntr.network.WaterNetworkModel
    warnings : list of str
        e.g. that the file was not UTF-8.

    Raises
    ------
    ImportFailed
        When the file is missing, not a regular file, empty, or WNTR cannot read it:
        ``file:line: not a valid EPANET file: ...`` with the line where it stopped.
    """
    if not path.exists():
        raise ImportFailed(f"{path}: file not found")
    if (unfit := unfit_input(path)) is not None:
        raise ImportFailed(f"{path}: {unfit}")
    raw = path.read_bytes()
    if not raw.strip():
        raise ImportFailed(f"{path}: the file is empty")
    text, warning = _decode(raw, path)
    with _quiet_wntr(), tempfile.TemporaryDirectory() as folder:
        import wntr

        readable = path
        if warning is not None or raw.startswith(b"\xef\xbb\xbf"):     # WNTR reads UTF-8 without a BOM only
            readable = Path(folder) / "network.inp"
            readable.write_text(text, encoding="utf-8")
        try:
            model = wntr.network.WaterNetworkModel(str(readable))
        except Exception as exc:  # WNTR raises EPANET errors, and ValueError, IndexError ... of its parser
            raise _failure(exc, path) from None
    if model.num_nodes == 0:
        raise ImportFailed(f"{path}: not an EPANET network: no junctions, tanks or reservoirs")
    return model, [] if warning is None else [warning]
