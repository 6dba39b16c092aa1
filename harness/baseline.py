"""Expected non-holding cases: a plain text file, one entry a line, each with its reason.

    # comments and blank lines are ignored
    suites/test_reset.py::test_model_reset_states[*]  # Keras 3 removed Model.reset_states

The pattern before `` # `` is a pytest node id in which ``*`` and ``?`` are wildcards;
brackets are literal, so write ids as pytest prints them. An entry without a reason is
refused: every expected failure must say why.

A comment line ``# implementation: keras-jax`` names the implementation the file was recorded
on; the plugin then refuses it for another one (a mutant may use its base's). Files without the
line are accepted for any implementation.
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


_IMPLEMENTATION_LINE = re.compile(r"#\s*implementation:\s*(\S+)\s*$")


def declared_implementation(text: str) -> str | None:
    """The implementation a baseline names in its ``# implementation: NAME`` line, if any."""
    for line in text.splitlines():
        found = _IMPLEMENTATION_LINE.match(line.strip())
        if found:
            return found.group(1)
    return None


def load(path, implementation_names: tuple[str, ...] = ()) -> list[Entry]:
    """The entries of ``path``; with ``implementation_names`` (the implementation's name first),
    a file that declares another implementation is refused."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BaselineError(f"{path}: cannot read baseline: {error}") from None
    declared = declared_implementation(text)
    if implementation_names and declared is not None and declared not in implementation_names:
        raise BaselineError(
            f"{path}: baseline of {declared}, not of {implementation_names[0]} "
            "(its '# implementation:' line)"
        )
    return parse(text, str(path))


def render(entries: list[tuple[str, str]], header: str) -> str:
    """The text of a baseline file for ``(node id, reason)`` pairs."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    width = max((len(nodeid) for nodeid, _ in entries), default=0)
    lines += [f"{nodeid.ljust(width)}  # {reason}" for nodeid, reason in sorted(entries)]
    return "\n".join(lines) + "\n"


def first_match(entries: list[Entry], nodeid: str) -> Entry | None:
    return next((entry for entry in entries if entry.matches(nodeid)), None)


__all__ = ["BaselineError", "Entry", "parse", "declared_implementation", "load", "render",
           "first_match"]
