"""How results read in markdown: verdicts (symbols, words, counts: the one place that decides
how a verdict looks), one-line summaries of case messages, cells, tables and numbers. Shared by
the report, the comparison, the gate, the terminal summary and ``harness repro``."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from tabulate import tabulate

from harness.results import RECORDED_KINDS

SYMBOLS = {"holds": "✅", "fails": "❌", "error": "💥", "inconclusive": "❔", "skipped": "⏭"}
OBSERVED = "🔎"  # an observed or measured claim: no promise, the report says what was seen
LEGEND = ("✅ holds · ❌ fails (a wrong value) · 💥 error (the call raised) · ❔ inconclusive "
          "(what the claim is about did not happen, so it was not observed) · ⏭ skipped · "
          "🔎 observed or measured (no promise; what was seen)")


# How the console shows the symbols where its encoding has no room for them (cp1252), or with
# --ascii; written files stay UTF-8 and keep the symbols.
ASCII = {"✅": "[ok]", "❌": "[FAIL]", "💥": "[ERROR]", "❔": "[?]", "⏭": "[skip]", "🔎": "[seen]",
         "⚠": "[!]", "→": "->", "≤": "<=", "≥": ">=", "×": "x", "÷": "/", "–": "-", "…": "...",
         "·": "-"}


def console_text(text: str, encoding: str | None, force_ascii: bool = False) -> str:
    """``text`` as a console of ``encoding`` prints it: the symbols in ASCII (``ASCII``) where
    it cannot encode them all, or with ``force_ascii``; any other character it cannot encode
    (a message's, a path's) as ``?``."""
    encoding = encoding or "utf-8"
    try:
        "".join(ASCII).encode(encoding)
    except UnicodeEncodeError:
        force_ascii = True
    if force_ascii:
        text = text.translate(str.maketrans(ASCII))
    return text.encode(encoding, "replace").decode(encoding)


def headline(message) -> str:
    """What a case's message says happened, in one line.

    Messages written through suites/check.py start with the claim id and the versions, which
    the tables already show; their ``observed:`` line is the finding.
    """
    lines = [line.strip() for line in str(message or "").splitlines() if line.strip()]
    observed = next((line for line in lines if line.startswith("observed:")), None)
    if observed:
        return observed.removeprefix("observed:").strip()
    return lines[0] if lines else ""


def telling_case(claim: dict) -> dict | None:
    """The first case whose verdict is the claim's, when the claim does not hold."""
    if claim["verdict"] == "holds":
        return None
    return next((case for case in claim["cases"] if case["verdict"] == claim["verdict"]), None)


# -- how a verdict reads: the one place; the reports, the comparison, the terminal use these ----
def verdict_label(verdict: str) -> str:
    """A verdict as its symbol and its word: ``❌ fails``."""
    return f"{SYMBOLS[verdict]} {verdict}"


def is_observation(claim: dict) -> bool:
    """An observed or measured claim that holds: it records what was seen, it keeps no promise."""
    return claim.get("kind", "documented") in RECORDED_KINDS and claim["verdict"] == "holds"


def claim_symbol(claim: dict) -> str:
    """A claim's verdict as one symbol (🔎 where it records what was seen)."""
    return OBSERVED if is_observation(claim) else SYMBOLS[claim["verdict"]]


OBSERVED_LABEL = f"{OBSERVED} observed"


def claim_label(claim: dict) -> str:
    """A claim's verdict as its symbol and its word: ``❌ fails``, ``🔎 observed``."""
    return OBSERVED_LABEL if is_observation(claim) else verdict_label(claim["verdict"])


def verdict_text(claim: dict) -> str:
    """A claim's verdict as tables show it: the symbol, or what an observed claim saw."""
    if is_observation(claim):
        return f"{OBSERVED} {claim.get('observed') or 'recorded'}"
    return SYMBOLS[claim["verdict"]]


def verdict_counts(verdicts) -> str:
    """How many of each verdict, in the order of ``SYMBOLS``: ``36 ✅ holds, 21 ❌ fails``."""
    counts = Counter(verdicts)
    return ", ".join(f"{counts[verdict]} {verdict_label(verdict)}"
                     for verdict in SYMBOLS if counts[verdict])


def verdict_tally(verdicts) -> str:
    """How many of each verdict, symbols only: ``❌ 182 · ❔ 9``."""
    counts = Counter(verdicts)
    return " · ".join(f"{SYMBOLS[verdict]} {counts[verdict]}"
                      for verdict in SYMBOLS if counts[verdict])


def column_name(results: dict) -> str:
    """One implementation at one keras version: a column of the comparison, a gate heading."""
    implementation = results["implementation"]
    return f"{implementation['name']} (keras {implementation.get('keras', '?')})"


def cell(text) -> str:
    """Text that stays inside one markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


# The longest line a written table keeps its padding for: past it, the columns no longer line
# up on a screen anyway, and the padding of one long cell would widen every row.
PADDED_WIDTH = 200


def table(rows: list[dict]) -> str:
    """A GitHub table of ``rows`` (one dict each, its keys the headers), its columns padded to
    line up unless a line would be longer than ``PADDED_WIDTH``: then one space each side."""
    # disable_numparse: the cells are already formatted; tabulate must not reformat "3.10".
    padded = tabulate(pd.DataFrame(rows), headers="keys", tablefmt="github", showindex=False,
                      disable_numparse=True)
    if max(map(len, padded.splitlines()), default=0) <= PADDED_WIDTH:
        return padded
    headers = list(dict.fromkeys(key for row in rows for key in row))
    lines = [headers, ["---"] * len(headers)]
    lines += [["" if row.get(key) is None else str(row[key]) for key in headers] for row in rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def number(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3g}" if is_number(value) else cell(value)


def spread(block) -> str:
    """A metric block as ``median [min–max]``; a bare number as itself."""
    if isinstance(block, (int, float)) and not isinstance(block, bool):
        return number(block)
    if not isinstance(block, dict) or not is_number(block.get("median")):
        return "–"
    if is_number(block.get("min")) and is_number(block.get("max")):
        return f"{number(block['median'])} [{number(block['min'])}–{number(block['max'])}]"
    return number(block["median"])


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def mark(value) -> str:
    """A yes/no figure as a tick or a cross; a dash where it was not measured."""
    return "–" if value is None else ("✅" if value else "❌")
