"""The claims summary at the end of a run (harness/summary.py), fed a real results file: a
published keras-torch run, where claims hold, fail, error, are inconclusive, skipped and observed.

The plugin's own runs (tests/test_plugin.py, TestClaimsSummary) check that a run prints it.
"""

import json
from collections import Counter
from pathlib import Path

import pytest

from harness.markdown import console_text
from harness.summary import claims_lines, cut, display_width

PUBLISHED = Path(__file__).resolve().parent.parent / "reports" / "results" / "keras-torch-3.15.json"


@pytest.fixture(scope="module")
def document():
    return json.loads(PUBLISHED.read_text(encoding="utf-8"))


def ran(document):
    return [claim for claim in document["claims"] if claim["cases"]]


def row_after(lines, claim_id):
    """The cells after a claim's id (its mark, verdict, cases held, message), on its line or, for
    an id too long for the width, the next."""
    index = next(i for i, line in enumerate(lines) if line.split()[:1] == [claim_id])
    cells = lines[index].split()[1:] or lines[index + 1].split()
    return cells


@pytest.mark.parametrize("width", [80, 60])
def test_fits_the_width_and_keeps_ids_and_verdicts(document, width):
    lines = claims_lines(document, width, lambda text: console_text(text, "utf-8"))
    assert max(display_width(line) for line in lines) <= width, "\n".join(lines)
    assert {claim["verdict"] for claim in ran(document)} >= {"holds", "fails", "error",
                                                              "inconclusive", "skipped"}
    for claim in ran(document):
        cells = row_after(lines, claim["id"])
        observed = claim.get("kind") in ("observed", "measured") and claim["verdict"] == "holds"
        held = sum(case["verdict"] == "holds" for case in claim["cases"])
        assert cells[1:3] == ["observed" if observed else claim["verdict"],
                              f"{held}/{len(claim['cases'])}"], (claim["id"], cells)


def test_grouped_by_family_with_one_tally_last(document):
    lines = claims_lines(document, 80)
    headings = [line for line in lines if not line.startswith(" ")]
    families = list(dict.fromkeys(claim["id"].split(".")[0] for claim in ran(document)))
    assert [heading.split(":")[0] for heading in headings[:-1]] == families
    for family in families:  # every row of a family under its heading, before the next one
        start = lines.index(next(h for h in headings if h.startswith(f"{family}:")))
        block = []
        for line in lines[start + 1:]:
            if not line.startswith(" "):
                break
            block += line.split()[:1]
        members = [claim["id"] for claim in ran(document) if claim["id"].split(".")[0] == family]
        assert [word for word in block if word in members] == members
    counts = Counter(claim["verdict"] for claim in ran(document))
    assert headings[-1] == f"{len(ran(document))} claims: " + ", ".join(
        f"{counts[verdict]} {symbol} {verdict}" for verdict, symbol in [
            ("holds", "✅"), ("fails", "❌"), ("error", "💥"), ("inconclusive", "❔"),
            ("skipped", "⏭")] if counts[verdict])


def test_verdicts_line_up_within_a_family(document):
    """The verdict word of every row of a family starts at the same column on the terminal,
    whatever the width of its mark."""
    lines = claims_lines(document, 80)
    columns = {}
    family = None
    for line in lines:
        if not line.startswith(" "):
            family = line.split(":")[0]
            continue
        words = line.split()
        verdict = next((word for word in words if word in (
            "holds", "fails", "error", "inconclusive", "skipped", "observed")), None)
        if verdict is not None:
            columns.setdefault(family, set()).add(display_width(line[:line.index(f" {verdict} ")]))
    assert columns and all(len(found) == 1 for found in columns.values()), columns


def test_ascii_console(document):
    """Where the console cannot encode the symbols: harness/markdown.py's ASCII marks, in
    columns measured after the translation."""
    lines = claims_lines(document, 80, lambda text: console_text(text, "cp1252"))
    text = "\n".join(lines)
    text.encode("ascii")
    assert "[ERROR] error" in text and "[ok]" in text and "[skip] skipped" in text
    assert max(len(line) for line in lines) <= 80


def test_cut_counts_columns():
    assert display_width("✅ ⏭") == 4
    assert cut("💥 error: a long message", 10, "…") == "💥 error:…"
    assert display_width(cut("💥 error: a long message", 10, "…")) <= 10
