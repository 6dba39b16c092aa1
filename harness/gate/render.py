"""The gate's markdown summary: per results file, its baseline, its changes, its claims'
verdicts against the reference."""

from __future__ import annotations

from pathlib import Path

from harness.gate.cases import verdict_changes
from harness.gate.runs import Run
from harness.markdown import cell, column_name, table

MARKS = ("`!` newly failing, gone, or not made as the reference was · `+` worse · "
         "`?` an observation changed (worse unless --accept) · "
         "`*` fails differently (worse under --strict) · `-` better or fixed · "
         "`~` beyond tolerance but not significant · `x` not comparable")


def summary(runs: list[Run], directory, strict: bool = False, accept: bool = False,
            update: bool = False) -> str:
    from harness.gate.judge import worse_marks

    worse = worse_marks(strict, accept)
    count = sum(change.mark in worse for run in runs for change in run.changes)
    noun = "change" if count == 1 else "changes"
    if update:
        title = f"baseline updated from these results ({count} {noun} taken in)"
    else:
        title = f"❌ {count} {noun} for the worse" if count else "✅ nothing got worse"
    sections = [f"# Gate: {title}", f"Marks: {MARKS}."]
    for run in runs:
        sources = [f"`{Path(directory) / (run.name + '.txt')}` (entries: {len(run.entries)})"]
        sources.append(f"`{Path(directory) / (run.name + '.json')}`" if run.reference is not None
                       else "no reference results yet")
        sections += [f"## {column_name(run.results)}: `{run.path}`",
                     "Baseline: " + ", ".join(sources) + "."]
        if run.narrowed:
            sections.append(f"The run was narrowed ({cell(', '.join(run.narrowed))}): it is "
                            "compared with what it selected; what it left out is marked `x`.")
        sections.append(table([{"": f"`{change.mark}`", "what": cell(change.subject),
                                "change": cell(change.text)} for change in run.changes])
                        if run.changes else "No changes.")
        sections += verdict_section(run)
    return "\n\n".join(sections) + "\n"


def verdict_section(run: Run) -> list[str]:
    if run.reference is None or not run.results.get("complete", True):
        return []
    heading = (f"Claims whose verdict differs from the reference, "
               f"{column_name(run.reference)} → {column_name(run.results)}:")
    changed = verdict_changes(run)
    if not changed:
        return [f"{heading} none."]
    return [heading, table([{"claim": f"`{claim}`", "reference": old, "now": new}
                            for claim, old, new in changed])]
