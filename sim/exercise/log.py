"""The exercise log: JSON lines, a header then one line per verb.

Each line after the header is either a verb carried out (``verb``, ``args``, ``tick``, ``time``,
``wall`` and, with seats, ``seat``) or an action refused (``kind: rejected``: the action as
typed, the reason, tick, time, wall and seat), so the after-action report can list what the
players tried and could not do. A replay carries out the verbs and skips the refusals.

The header names the scenario (path, and sha256 of the scenario and its network file as
canonical JSON, so comments don't count), the seed and, when the exercise is played with
seats, the seats (``seats``: id, name and the kinds, teams and units each commands), so a
replay and its report do not depend on the scenario file for them. The file is rewritten atomically after
every change (temp file + ``os.replace``), so no decision is lost if the process dies.

The log is tamper-evident: every line carries ``hash``, the sha256 of the previous line's hash
followed by the line's own canonical JSON (without ``hash``); the header's chain starts from
the empty string. A line changed, inserted or removed by hand breaks the chain at that line or
the next, and :func:`read_log` refuses the log naming that line (a hash chain as in
Haber & Stornetta 1991, "How to time-stamp a digital document").
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sim.exercise.errors import ExerciseError
from sim.exercise.verbs import VERBS
from sim.files import unfit_input, write_text_atomic
from sim.scenario.schema import Scenario

__all__ = ["LOG_KIND", "LOG_VERSION", "READABLE_VERSIONS", "REJECTED", "now_wall", "new_header", "line_hash",
           "chained_lines", "check_chain", "is_rejection", "read_records", "read_log", "write_log", "find_scenario"]

LOG_KIND = "ripple-exercise-log"
LOG_VERSION = 4          # 2: every line carries the hash chain; 3: refused actions are logged; 4: the seats
READABLE_VERSIONS = (2, 3, 4)
REJECTED = "rejected"    # the ``kind`` of a line that records a refused action


def is_rejection(record: dict[str, Any]) -> bool:
    """Whether a log line records a refused action rather than a verb carried out.

    Parameters
    ----------
    record : dict
        A line of the log after the header.

    Returns
    -------
    bool
        True for ``kind: rejected``.
    """
    return record.get("kind") == REJECTED


def line_hash(previous: str, record: dict[str, Any]) -> str:
    """The chain hash of one log line: sha256 of the previous hash and the line's canonical JSON.

    Parameters
    ----------
    previous : str
        The previous line's hash ('' for the header).
    record : dict
        The line's record; its own ``hash`` key, if any, is left out.

    Returns
    -------
    str
        64 hex digits.
    """
    content = {k: v for k, v in record.items() if k != "hash"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((previous + canonical).encode("utf-8")).hexdigest()


def chained_lines(records: list[dict[str, Any]]) -> list[str]:
    """The JSON lines of ``records``, each with its ``hash`` in the chain.

    Parameters
    ----------
    records : list of dict
        The header, then the entries, oldest first.

    Returns
    -------
    list of str
        One JSON line per record, keys sorted.
    """
    lines, previous = [], ""
    for record in records:
        previous = line_hash(previous, record)
        lines.append(json.dumps({**{k: v for k, v in record.items() if k != "hash"}, "hash": previous},
                                sort_keys=True))
    return lines


def check_chain(path: Path, numbered: list[tuple[int, dict[str, Any]]]) -> None:
    """Raise :class:`ExerciseError` naming the first line whose hash does not follow the chain.

    Parameters
    ----------
    path : Path
        The log file (for the message).
    numbered : list of (int, dict)
        Each record with its line number in the file.
    """
    previous = ""
    for number, record in numbered:
        expected = line_hash(previous, record)
        if record.get("hash") != expected:
            what = "the header (scenario, seed or start) was" if number == numbered[0][0] else "this line was"
            raise ExerciseError(
                f"{path}:{number}: the log's hash chain breaks here: {what} changed, or a line inserted or "
                "removed, after `ripple exercise` wrote it; an altered log cannot be replayed or reported")
        previous = expected


def now_wall() -> str:
    """The local wall time now, ISO 8601 to the second with its UTC offset."""
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def new_header(scenario_path: Path, scenario: Scenario, digest: str, seed: int,
               participants: list[str], scripted_outcomes: bool = False) -> dict[str, Any]:
    """The header line of a new log.

    Parameters
    ----------
    scenario_path : Path
        The scenario file as given (the absolute path is recorded too).
    scenario : Scenario
        The loaded scenario.
    digest : str
        Its sha256 (:attr:`sim.overrides.ScenarioFile.sha256`).
    seed : int
        The run's seed.
    participants : list of str
        Participating organisations or people.
    scripted_outcomes : bool
        Every attack lands as written for this exercise (``--scripted-outcomes``), whatever
        the scenario's ``policies.scripted_outcomes``; recorded only when set.

    Returns
    -------
    dict
        The header record.
    """
    header = {
        "kind": LOG_KIND, "version": LOG_VERSION, "scenario": str(scenario_path),
        "scenario_abs": str(scenario_path.resolve()), "sha256": digest, "seed": seed,
        "scenario_id": scenario.id, "name": scenario.name, "started": now_wall(),
        "participants": list(participants),
    }
    if scripted_outcomes:
        header["scripted_outcomes"] = True
    return header


def _well_formed(entry: Any) -> bool:
    """Whether a line after the header is a verb entry or a refusal, as the session writes them."""
    if not isinstance(entry, dict):
        return False
    if is_rejection(entry):
        return all(isinstance(entry.get(k), str) for k in ("action", "reason")) and isinstance(entry.get("tick"), int)
    return entry.get("verb") in VERBS and isinstance(entry.get("args"), dict)


def read_records(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and every line after it of an exercise log: verbs and refusals, in order.

    Parameters
    ----------
    path : str or Path
        The log file.

    Returns
    -------
    tuple of (dict, list of dict)
        The header and the lines, without their hashes; :class:`ExerciseError` if the file
        is not an exercise log or its hash chain is broken.
    """
    path = Path(path)
    if (unfit := unfit_input(path)) is not None:
        raise ExerciseError(f"{path}: {unfit}")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ExerciseError(f"{path}: log file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExerciseError(f"{path}: cannot read: {exc}") from None
    numbered: list[tuple[int, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            numbered.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise ExerciseError(f"{path}:{number}: not valid JSON ({exc.msg}); an exercise log holds one JSON "
                                "object per line, as `ripple exercise` writes it") from None
    if not numbered or not isinstance(numbered[0][1], dict) or numbered[0][1].get("kind") != LOG_KIND:
        raise ExerciseError(f"{path}: not a ripple exercise log (its first line must be the header)")
    header = numbered[0][1]
    if header.get("version") not in READABLE_VERSIONS:
        raise ExerciseError(f"{path}: log version {header.get('version')} is not supported "
                            f"(expected {' or '.join(map(str, READABLE_VERSIONS))})")
    for number, entry in numbered[1:]:
        if not _well_formed(entry):
            raise ExerciseError(f"{path}:{number}: not an exercise log entry (expected a verb and its args, "
                                "or a refused action and its reason)")
    check_chain(path, numbered)
    records = [{k: v for k, v in record.items() if k != "hash"} for _, record in numbered]
    return records[0], records[1:]


def read_log(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the verbs carried out of an exercise log (refusals left out).

    Parameters
    ----------
    path : str or Path
        The log file.

    Returns
    -------
    tuple of (dict, list of dict)
        The header and the entries; :class:`ExerciseError` if the file is not an exercise log.
    """
    header, records = read_records(path)
    return header, [r for r in records if not is_rejection(r)]


def write_log(path: Path, header: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    """Rewrite the log atomically: the header, then one line per entry, each with its chain hash.

    Parameters
    ----------
    path : Path
        The log file.
    header : dict
        The header record.
    entries : list of dict
        The entries (verbs and refusals), oldest first.
    """
    lines = chained_lines([header, *entries])
    write_text_atomic(path, "\n".join(lines) + "\n")


def find_scenario(header: dict[str, Any]) -> Path:
    """The scenario a log names: its path as given if it exists, else its absolute path.

    Parameters
    ----------
    header : dict
        The log's header.

    Returns
    -------
    Path
        The scenario file (it may not exist).
    """
    given, absolute = Path(str(header.get("scenario", ""))), Path(str(header.get("scenario_abs", "")))
    return given if given.exists() or not absolute.exists() else absolute
