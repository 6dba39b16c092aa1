"""TensorFlow's start-up noise, silenced in the suite's processes.

``TF_CPP_MIN_LOG_LEVEL`` (0 all, 1 without INFO, 2 without WARNING, 3 without ERROR) is set to 2
unless the user chose a level. TensorFlow 2.21 reads it only once its logging is initialised:
before that, each of its two shared libraries, as it loads, writes absl's own notice and its
INFO lines (oneDNN, "Could not find cuda drivers") straight to file descriptor 2, whatever the
level. ``level_applied`` applies the level to those lines too, and passes anything else through.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

LEVEL = "TF_CPP_MIN_LOG_LEVEL"
# Severity letters in the order of the level: a line of severity index < level is dropped.
SEVERITIES = "IWEF"
# An absl log record: severity, date, time (before initialisation: 0000 00:00 and the seconds
# since the epoch), thread id, file:line] message.
ABSL_RECORD = re.compile(rb"(?P<severity>[IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^\]\s]+:\d+\] ")
ABSL_NOTICE = (b"WARNING: All log messages before absl::InitializeLog() is called are written "
               b"to STDERR")


def quiet_by_default() -> None:
    """Set the level for this process and the ones it starts, unless the user has set one."""
    os.environ.setdefault(LEVEL, "2")


def level() -> int:
    try:
        return int(os.environ.get(LEVEL, "0"))
    except ValueError:
        return 0


def kept_lines(text: bytes, minimum: int) -> bytes:
    """``text`` without the absl records below ``minimum`` and, from level 1, without absl's
    notice about them. Every other line is kept (the records before initialisation are one line
    each)."""
    kept = []
    for line in text.splitlines(keepends=True):
        record = ABSL_RECORD.match(line)
        if record and SEVERITIES.index(record["severity"].decode()) < minimum:
            continue
        if line.rstrip(b"\r\n") == ABSL_NOTICE and minimum >= 1:
            continue
        kept.append(line)
    return b"".join(kept)


@contextlib.contextmanager
def level_applied():
    """During the block, what is written to file descriptor 2 (by C++ libraries as by Python)
    goes to a file; after it, what the level keeps is written on. (A crash inside the block,
    not an exception, would lose those lines: only a backend's import runs here.)"""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = kept_lines(held.read(), level())
            if text:
                os.write(2, text)
