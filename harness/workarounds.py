"""The "Workarounds" section of a report: per claim that has workaround checks (kind
"workaround", ``workaround_for``), its own verdict and each workaround's. A workaround is offered
on an implementation only where its check holds there; where the claim does not hold and no
workaround check holds, the section says "none found" and names what was tried."""

from __future__ import annotations

from harness.markdown import cell, headline, table, telling_case, verdict_label
from harness.results import NON_HOLDING
from suites.claims import CLAIMS, NO_WORKAROUND_CHECK


def worked_around(claim: dict) -> str | None:
    """The claim a workaround claim works around: from the results file, or (files written
    before it was recorded) from the catalogue."""
    if claim.get("workaround_for"):
        return claim["workaround_for"]
    if claim.get("kind") != "workaround":
        return None
    known = CLAIMS.get(claim["id"])
    return known.workaround_for if known is not None else None


def holding(claims: list[dict]) -> dict[str, list[str]]:
    """Per claim worked around, the names of its workaround checks that hold in ``claims``
    (``workaround.<claim>.<name>``: the name), in the run's order."""
    found: dict[str, list[str]] = {}
    for claim in claims:
        target = worked_around(claim)
        if target is not None and claim["verdict"] == "holds":
            found.setdefault(target, []).append(claim["id"].removeprefix(f"workaround.{target}."))
    return found


def rows(claims: list[dict]) -> list[dict]:
    by_id = {claim["id"]: claim for claim in claims}
    groups: dict[str, list[dict]] = {}
    for claim in claims:
        target = worked_around(claim)
        if target is not None and claim["verdict"] != "skipped":
            groups.setdefault(target, []).append(claim)
    found = []
    for target, workarounds in groups.items():
        original = by_id.get(target)
        ran = original is not None and original["verdict"] != "skipped"
        original_verdict = verdict_label(original["verdict"]) if ran else "not run"
        holding = [w for w in workarounds if w["verdict"] == "holds"]
        needed = original is None or original["verdict"] != "holds"
        for workaround in workarounds:
            case = telling_case(workaround)
            if workaround["verdict"] == "holds":
                note = "offered here" if needed else "holds (the claim holds too)"
            else:
                note = "not offered here: " + (headline(case["message"]) if case else "")
            found.append({"claim": target, "claim verdict": original_verdict,
                          "workaround": workaround["id"],
                          "workaround verdict": verdict_label(workaround["verdict"]),
                          "note": cell(note)})
        if needed and ran and not holding:
            tried = ", ".join(f"`{w['id']}` ({w['verdict']})" for w in workarounds)
            found.append({"claim": target, "claim verdict": original_verdict,
                          "workaround": "none found", "workaround verdict": "–",
                          "note": cell(f"tried: {tried}")})
    # A finding without any workaround check is listed too, so that the gap shows.
    for claim in claims:
        if claim["id"] not in groups and worked_around(claim) is None \
                and claim["verdict"] in NON_HOLDING:
            tried = NO_WORKAROUND_CHECK.get(claim["id"])
            found.append({"claim": claim["id"],
                          "claim verdict": verdict_label(claim["verdict"]),
                          "workaround": "none found", "workaround verdict": "–",
                          "note": cell(f"no workaround check: {tried}" if tried
                                       else "no workaround check yet")})
    return found


def section(claims: list[dict]) -> str:
    found = rows(claims)
    if not found:
        return "No workaround checks ran."
    return ("A workaround is offered here only where its check holds here; each check verifies "
            "the behaviour the claim promises against the NumPy cells or the zero state.\n\n"
            + table(found))
