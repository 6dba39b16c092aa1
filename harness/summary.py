"""What the terminal shows of a run: the header (implementation, baseline, results file) and,
at the end, the claims summary.

The summary has one row per claim that ran, grouped by family (the id up to its first dot), each
family headed by its tally, and one tally of all claims last. A row fits the terminal's width
(``COLUMNS``): its message is cut, never the claim id, the verdict or the cases held; an id too
long for the id column takes a line of its own. Symbols are the reports' (harness/markdown.py),
in ASCII where the console cannot encode them or with ``--ascii``.
"""

from __future__ import annotations

import platform
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest

from harness import results
from harness.markdown import (SYMBOLS, claim_symbol, console_text, headline, is_observation,
                              verdict_label)
from harness.stash import COLLECTOR

# The encoding of the console the terminal writes to, as it was when pytest started.
CONSOLE_ENCODING = pytest.StashKey[object]()
INDENT = "  "
# The least room for a message beside its row: with less, it takes the next line.
MESSAGE_ROOM = 16


def pytest_configure(config):
    config.stash[CONSOLE_ENCODING] = getattr(sys.stdout, "encoding", None)


def pytest_report_header(config):
    collector = config.stash.get(COLLECTOR, None)
    if collector is None:
        return None
    h = collector.header
    lines = [
        f"implementation: {h['name']} (keras {h['keras']}, backend {h['backend']} "
        f"{h['backend_version']}, numpy {np.__version__}, python {platform.python_version()})"
    ]
    if config.option.baseline:
        lines.append(f"baseline: {config.option.baseline} ({len(collector.entries)} entries)")
    if collector.path:
        lines.append(f"results: {collector.path} (until the run finishes: {collector.partial})")
    return lines


def pytest_terminal_summary(terminalreporter, config):
    collector = config.stash.get(COLLECTOR, None)
    if collector is None:
        return
    # One line, not one per entry: a run narrowed to a few claims leaves most entries
    # unmatched (tests/test_baselines.py checks that each matches some case of the suite).
    unmatched = [entry for entry in collector.entries if not entry.matched]
    if unmatched:
        first = unmatched[0]
        terminalreporter.write_line(
            f"warning: {len(unmatched)} baseline "
            f"{'line matches' if len(unmatched) == 1 else 'lines match'} no case of this "
            f"selection (the first: line {first.line}, {first.pattern!r})")
    if config.get_verbosity() >= -1 and collector.cases:  # -q keeps it, -qq drops it
        write_claims_summary(terminalreporter, config, collector)


def write_claims_summary(terminalreporter, config, collector) -> None:
    def show(text: str) -> str:
        return console_text(text, config.stash.get(CONSOLE_ENCODING, None), config.option.ascii)

    h = collector.header
    terminalreporter.write_sep(
        "=", show(f"claims on {h['name']} (keras {h['keras']}, {h['backend']} "
                  f"{h['backend_version']})"))
    document = collector.as_dict(complete=True)
    width = config.get_terminal_writer().fullwidth
    for line in claims_lines(document, width, show, expected_known=bool(collector.entries)):
        terminalreporter.write_line(line)
    if collector.path and collector.interrupted is None:
        terminalreporter.write_line(show(f"results: {collector.path}"))
        if config.option.report:
            terminalreporter.write_line(show(f"report:  {collector.path.with_suffix('.md')}"))
    elif collector.path:
        terminalreporter.write_line(show(f"results: {collector.path} left as it was (the run "
                                         f"did not finish); this run's cases: {collector.partial}"))


@dataclass
class Row:
    claim: str
    mark: str  # as the console shows it
    verdict: str
    held: str
    message: str  # as the console shows it


def row_of(claim: dict, show, expected_known: bool) -> Row:
    """A claim's row: its verdict (or ``observed``), the cases held, and what was seen: the
    first non-holding case's finding, and whether the baseline expected it."""
    cases = claim["cases"]
    held = sum(case["verdict"] == "holds" for case in cases)
    not_holding = [case for case in cases if case["verdict"] in results.NON_HOLDING]
    message = (claim.get("observed") or "") if is_observation(claim) else ""
    if not_holding:
        message = headline(not_holding[0]["message"])
        if expected_known:
            unexpected = sum(not case["expected"] for case in not_holding)
            message = (f"{'expected' if not unexpected else f'{unexpected} not in the baseline'}; "
                       f"{message}")
    return Row(claim["id"], show(claim_symbol(claim)),
               "observed" if is_observation(claim) else claim["verdict"],
               f"{held}/{len(cases)}", show(message))


def claims_lines(document: dict, width: int, show=lambda text: text,
                 expected_known: bool = False) -> list[str]:
    """The summary's lines for a results document, none wider than ``width`` except where a
    claim id alone is: per family, its tally and its rows; then the tally of all claims."""
    claims = [claim for claim in document["claims"] if claim["cases"]]
    families: dict[str, list[dict]] = {}
    for claim in claims:
        families.setdefault(claim["id"].split(".")[0], []).append(claim)
    lines = []
    for family, members in families.items():
        lines += wrapped(f"{family}: ", tally(members, show), width)
        lines += rows_lines([row_of(claim, show, expected_known) for claim in members], width,
                            show("…"))
    if claims:
        count = f"{len(claims)} claim{'s' if len(claims) > 1 else ''}"
        lines += wrapped(f"{count}: ", tally(claims, show), width)
    return lines


def rows_lines(rows: list[Row], width: int, ellipsis: str) -> list[str]:
    """Rows in columns (id, mark, verdict, cases held, message) as wide as their widest cell.
    An id too long for the width takes a line of its own, the verdict staying in its column;
    a message with less than ``MESSAGE_ROOM`` left takes the next line."""
    mark_width = max(display_width(row.mark) for row in rows)
    verdict_width = max(len(row.verdict) for row in rows)
    held_width = max(len(row.held) for row in rows)
    # After the id column: two spaces, the mark, the verdict, two spaces, "<held>/<run> held".
    after_id = 2 + mark_width + 1 + verdict_width + 2 + held_width + len(" held")
    id_width = max((len(row.claim) for row in rows
                    if len(INDENT) + len(row.claim) + after_id <= width), default=0)
    lines = []
    for row in rows:
        if len(row.claim) > id_width:
            lines.append(INDENT + row.claim)
            line = INDENT + " " * id_width
        else:
            line = INDENT + row.claim.ljust(id_width)
        padding = " " * (mark_width - display_width(row.mark))
        line += (f"  {row.mark}{padding} {row.verdict:<{verdict_width}}  "
                 f"{row.held:>{held_width}} held")
        room = width - display_width(line) - 2
        if row.message and room >= MESSAGE_ROOM:
            line += "  " + cut(row.message, room, ellipsis)
        elif row.message:
            lines.append(line)
            line = 2 * INDENT + cut(row.message, width - 2 * len(INDENT), ellipsis)
        lines.append(line)
    return lines


def tally(claims: list[dict], show) -> list[str]:
    """How many claims have each verdict, in the order of ``SYMBOLS``: ``40 ✅ holds``."""
    counts = Counter(claim["verdict"] for claim in claims)
    return [show(f"{counts[verdict]} {verdict_label(verdict)}") for verdict in SYMBOLS
            if counts[verdict]]


def wrapped(head: str, parts: list[str], width: int) -> list[str]:
    """``head`` then ``parts`` joined by commas, over as many lines as ``width`` needs (a part
    is never split); the lines after the first indented."""
    items = [part + ("," if index < len(parts) - 1 else "") for index, part in enumerate(parts)]
    lines, line = [], head + (items[0] if items else "")
    for item in items[1:]:
        if display_width(f"{line} {item}") > width:
            lines.append(line)
            line = INDENT + item
        else:
            line = f"{line} {item}"
    return [*lines, line]


def display_width(text: str) -> int:
    """The columns ``text`` takes on a terminal: two for a wide character (✅ ❌ 💥 ❔ 🔎),
    one for ⏭ and most others (its East Asian width is neutral: terminals draw it narrow), none
    for a combining mark or a format character (a variation selector)."""
    return sum(character_width(character) for character in text)


def character_width(character: str) -> int:
    if unicodedata.combining(character) or unicodedata.category(character) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1


def cut(text: str, room: int, ellipsis: str) -> str:
    """``text`` in at most ``room`` columns, ending with ``ellipsis`` where it was cut."""
    if display_width(text) <= room:
        return text
    room -= display_width(ellipsis)
    kept, used = [], 0
    for character in text:
        used += character_width(character)
        if used > room:
            break
        kept.append(character)
    return "".join(kept).rstrip() + ellipsis
