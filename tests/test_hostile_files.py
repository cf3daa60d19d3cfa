"""Input files a careless user or an attacker might hand over: each ends fast with exit 2
and one located message, never a traceback, a hang or the machine's memory."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

RIPPLE = [sys.executable, "-m", "ripple"]


def ripple(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*RIPPLE, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def refused(done: subprocess.CompletedProcess, words: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_latin1_file_is_refused_with_its_line(tmp_path):
    (tmp_path / "s.yaml").write_bytes("id: x\nname: caf\xe9\n".encode("latin-1"))
    refused(ripple("validate", str(tmp_path / "s.yaml")), "s.yaml:2: not UTF-8 text (byte 0xe9)")


def test_a_fifo_a_directory_and_a_device_are_named_as_what_they_are(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "folder.yaml").mkdir()
    refused(ripple("validate", str(tmp_path / "pipe.yaml")), "is a FIFO (named pipe), not a regular file")
    refused(ripple("validate", str(tmp_path / "folder.yaml")), "is a directory, not a regular file")
    refused(ripple("validate", "/dev/zero"), "is a character device, not a regular file")
    refused(ripple("aar", str(tmp_path / "pipe.yaml")), "is a FIFO (named pipe), not a regular file")
    os.mkfifo(tmp_path / "net.graphml")
    (tmp_path / "g.yaml").write_text("id: x\nname: y\nclock: {duration: 1h}\nnetwork: {file: net.graphml}\n")
    refused(ripple("validate", str(tmp_path / "g.yaml")), "net.graphml: is a FIFO (named pipe)")


def test_files_above_the_size_limit_are_refused_before_reading(tmp_path):
    (tmp_path / "big.yaml").write_bytes(b"#" * 3 * 2**20)
    refused(ripple("validate", str(tmp_path / "big.yaml"), env={"RIPPLE_MAX_FILE_MB": "1"}),
            "is 3 MB, above the limit of 1 MB (set RIPPLE_MAX_FILE_MB to raise it)")


@pytest.mark.parametrize("name, text, words", [
    ("alias bomb", "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")), "(an alias bomb?)"),
    ("deep nesting", "id: x\nname: " + "[" * 5000 + "]" * 5000 + "\n", "exceeded maximum nesting depth"),
])
def test_yaml_built_to_exhaust_the_parser(tmp_path, name, text, words):
    (tmp_path / "s.yaml").write_text(text)
    refused(ripple("validate", str(tmp_path / "s.yaml")), words)


def test_an_alias_bomb_inside_valid_fields_does_not_reach_the_batch(tmp_path):
    """Validation alone stopped at the first wrong type, but a batch hashed the whole data
    first and ran out of memory: the bomb is stopped where the YAML is read."""
    tiny = (Path(__file__).parent / "data" / "tiny.yaml").read_text()
    bomb = "objectives:\n  - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"  - &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    (tmp_path / "s.yaml").write_text(tiny.replace("seed: 3\n", "seed: 3\n" + bomb))
    refused(ripple("batch", str(tmp_path / "s.yaml"), "--runs", "2", "--workers", "1", "--out", str(tmp_path / "b")),
            "(an alias bomb?)")



def test_an_unexpected_error_is_one_line_and_a_crash_file(tmp_path):
    """A bug (here: a command made to divide by zero) is not the user's fault: one line on the
    terminal naming the crash file, the traceback in the file, exit 3."""
    code = ("import sys, ripple.run as run; run.describe = lambda s: 1 / 0; "
            "sys.argv = ['ripple', 'validate', sys.argv[1]]; from ripple import main; main()")
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent / "data" / "tiny.yaml")],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "TMPDIR": str(tmp_path)})
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr and "internal error: ZeroDivisionError" in done.stderr
    crash = next(tmp_path.glob("ripple-crash-*.txt"))
    assert str(crash) in done.stderr.replace("\n", "")
    assert "command: ripple validate" in crash.read_text() and "ZeroDivisionError" in crash.read_text()
