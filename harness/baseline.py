"""Expected non-holding cases: a plain text file, one entry a line, each with its reason.

    # comments and blank lines are ignored
    suites/test_reset.py::test_model_reset_states[*]  # Keras 3 removed Model.reset_states

The pattern before `` # `` is a pytest node id in which ``*`` and ``?`` are wildcards;
brackets are literal, so write ids as pytest prints them. An entry without a reason is
refused: every expected failure must say why.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path


class BaselineError(Exception):
    """A baseline file that is missing or malformed; message is one line."""


@dataclass
class Entry:
    pattern: str
    reason: str
    line: int
    matched: list[str] = field(default_factory=list)

    def matches(self, nodeid: str) -> bool:
        return _compiled(self.pattern).fullmatch(nodeid) is not None


@functools.lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern:
    # Node ids contain literal brackets; only * and ? are wildcards here. Compiled once: a
    # baseline of 200 entries is matched against every case of a run.
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


def parse(text: str, source: str = "<baseline>") -> list[Entry]:
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pattern, separator, reason = line.partition(" # ")
        if not separator or not reason.strip():
            raise BaselineError(f"{source}:{number}: entry has no reason ('<node id>  # <reason>')")
        entries.append(Entry(pattern.strip(), reason.strip(), number))
    return entries


def load(path) -> list[Entry]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(f"{path}: cannot read baseline: {error}") from None
    return parse(text, str(path))


def render(entries: list[tuple[str, str]], header: str) -> str:
    """The text of a baseline file for ``(node id, reason)`` pairs."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    width = max((len(nodeid) for nodeid, _ in entries), default=0)
    lines += [f"{nodeid.ljust(width)}  # {reason}" for nodeid, reason in sorted(entries)]
    return "\n".join(lines) + "\n"


def first_match(entries: list[Entry], nodeid: str) -> Entry | None:
    return next((entry for entry in entries if entry.matches(nodeid)), None)


__all__ = ["BaselineError", "Entry", "parse", "load", "render", "first_match"]
