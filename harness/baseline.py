"""Expected non-holding cases: a plain text file, one entry a line, each with its reason.

    # comments and blank lines are ignored
    reset.model                    # Keras 3 removed Model.reset_states
    carry.index-i[*-predict*]      # predict leaves the state where it was
    carry.index-i[GRU-bs1-fit]     # ...

An entry names a claim (its id in suites/claims.py), then, in brackets, a pattern over the
ids of its cases: the ``[...]`` part of a node id as pytest prints it, ``""`` for an
unparametrised check. ``*`` and ``?`` are the only wildcards; without brackets the entry
names every case of the claim. A case belongs to a claim by its ``@pytest.mark.claim`` marker.

Any other entry is a pytest node id pattern, the form of the first baseline files
(``suites/test_reset.py::test_model_reset_states[*]``, brackets literal): such lines keep
working, and ``gate --update`` rewrites them in the claim form. An entry without a reason is
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


# A claim id, literal, then an optional case pattern in brackets. Anything else is a node id
# pattern: one of the old form can only match a node id through its "::" or a wildcard.
_CLAIM_ENTRY = re.compile(r"(?P<claim>[^\s\[\]*?:/]+)(?:\[(?P<cases>.*)\])?")


@dataclass
class Entry:
    pattern: str  # as written: ``claim[case pattern]``, ``claim`` or a node id pattern
    reason: str
    line: int
    matched: list[str] = field(default_factory=list)

    @property
    def claim(self) -> str | None:
        """The claim the entry names; None for a node id pattern."""
        claim_entry = _claim_entry(self.pattern)
        return None if claim_entry is None else claim_entry[0]

    def matches(self, nodeid: str, claim: str | None = None) -> bool:
        """Whether the case ``nodeid`` of ``claim`` is one the entry names. Without the claim
        only a node id pattern can match."""
        claim_entry = _claim_entry(self.pattern)
        if claim_entry is None:
            return _compiled(self.pattern).fullmatch(nodeid) is not None
        own_claim, cases = claim_entry
        return own_claim == claim and (
            cases is None or _compiled(cases).fullmatch(case_id(nodeid)) is not None)


def is_nodeid_pattern(pattern: str) -> bool:
    return _claim_entry(pattern) is None


def case_id(nodeid: str) -> str:
    """The id of a case within its check: ``GRU-bs1-fit`` of ``...::test_index_i[GRU-bs1-fit]``,
    ``""`` for an unparametrised check."""
    name = nodeid.rpartition("::")[2]
    return name.partition("[")[2][:-1]


@functools.lru_cache(maxsize=None)
def _claim_entry(pattern: str) -> tuple[str, str | None] | None:
    """(claim, case pattern or None) of a claim entry; None for a node id pattern."""
    found = _CLAIM_ENTRY.fullmatch(pattern)
    return None if found is None else (found.group("claim"), found.group("cases"))


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
            raise BaselineError(f"{source}:{number}: entry has no reason "
                                "('<claim>[<case pattern>]  # <reason>')")
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


def first_match(entries: list[Entry], nodeid: str, claim: str | None = None) -> Entry | None:
    """The entry that names the case ``nodeid`` of ``claim`` (the first, as the file is read);
    without the claim, only node id patterns are looked at."""
    return next((entry for entry in entries if entry.matches(nodeid, claim)), None)


__all__ = ["BaselineError", "Entry", "parse", "declared_implementation", "load", "first_match",
           "case_id", "is_nodeid_pattern"]
