"""``python -m harness claims``: the catalogue, and ``claims explain ID``: one claim with its
verdict on every committed results file, ordered by implementation and version."""

from __future__ import annotations

import difflib
import shutil
import textwrap
from pathlib import Path

from harness import published, results
from harness.compare import column_order
from harness.markdown import column_name
from harness.paths import PROJECT_ROOT
from harness.site import cell, family
from suites.claims import CLAIMS, NO_WORKAROUND_CHECK


class UnknownClaim(Exception):
    """A claim id that is neither in the catalogue nor in the results read; one line."""


def catalogue(width: int | None = None) -> str:
    """Every claim by family: its id, kind and source on one line, its statement wrapped below."""
    width = width or shutil.get_terminal_size().columns
    lines = []
    families: dict[str, list] = {}
    for claim in CLAIMS.values():
        families.setdefault(family(claim.id), []).append(claim)
    for name, claims in families.items():
        lines.append(f"{name} ({len(claims)} claim{'s' if len(claims) > 1 else ''})")
        for claim in claims:
            lines.append(f"  {claim.id}  [{claim.kind}]")
            for text in (claim.statement, f"source: {claim.source}"):
                lines += textwrap.wrap(text, width=max(width, 40), initial_indent="      ",
                                       subsequent_indent="      ")
    lines += textwrap.wrap(f"{len(CLAIMS)} claims in {len(families)} families; `claims explain "
                           "ID` shows one with its verdicts across the committed results.",
                           width=max(width, 40))
    return "\n".join(lines) + "\n"


def committed() -> list[Path]:
    return [PROJECT_ROOT / path for path in published.results_files()]


def explain(claim_id: str, paths: list[Path]) -> str:
    """The claim's statement, source and kind, its workarounds, and its verdict on each results
    file that has it, in the comparison's order."""
    runs = sorted(((path, results.load(path, known_verdicts=True)) for path in paths),
                  key=lambda run: column_order(run[1]))
    known = CLAIMS.get(claim_id)
    records = [(path, data, next((claim for claim in data["claims"] if claim["id"] == claim_id),
                                 None)) for path, data in runs]
    if known is None and not any(record for _, _, record in records):
        close = difflib.get_close_matches(claim_id, list(CLAIMS), n=3)
        raise UnknownClaim(f"unknown claim {claim_id!r}"
                           + (f"; did you mean {', '.join(close)}?" if close
                              else "; `python -m harness claims` lists them"))
    if known is not None:
        statement, source, kind = known.statement, known.source, known.kind
    else:  # an id of an older catalogue: the results say what it was
        record = next(record for _, _, record in records if record)
        statement, source, kind = record["statement"], record["source"], record["kind"]
    lines = [claim_id, ""]
    lines += textwrap.wrap(statement, width=88, initial_indent="  ", subsequent_indent="  ")
    lines += ["", f"source: {source}",
              f"kind: {kind}" + ("" if known else " (not in today's catalogue)")]
    if known is not None and known.workaround_for:
        lines.append(f"works around: {known.workaround_for}")
    workarounds = [claim.id for claim in CLAIMS.values() if claim.workaround_for == claim_id]
    if workarounds:
        lines.append(f"workaround checks: {', '.join(workarounds)}")
    if claim_id in NO_WORKAROUND_CHECK:
        lines.append(f"no workaround check: {NO_WORKAROUND_CHECK[claim_id]}")
    lines += ["", f"Verdicts in {len(runs)} results files:"]
    for path, data, record in records:
        name = column_name(data)
        if record is None:
            lines.append(f"  {name}: not in this run ({display(path)})")
            continue
        holding = sum(case["verdict"] == "holds" for case in record["cases"])
        shown = cell(record)
        ran = (f"{holding}/{len(record['cases'])} cases hold" if record["cases"]
               else "no case ran")
        lines.append(f"  {name}: {shown['symbol']} {record['verdict']}, {ran} ({display(path)})")
        lines += textwrap.wrap(shown["said"], width=88, initial_indent="      ",
                               subsequent_indent="      ", max_lines=3)
    return "\n".join(lines) + "\n"


def display(path: Path) -> str:
    """A path as the user would type it: relative to the project where it lies inside."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
