"""The cases of a run against its baseline: the run as a whole, each case's verdict, the cases
of the reference that its selection should have run, and what observed claims saw."""

from __future__ import annotations

from harness import baseline
from harness.gate.runs import Change, Run
from harness.markdown import headline
from harness.results import NON_HOLDING, VERDICTS


def cases_of(data: dict | None):
    for claim in (data or {}).get("claims", []):
        for case in claim.get("cases", []):
            yield claim["id"], case


def listing(names: list[str], shown: int = 3) -> str:
    text = ", ".join(f"`{name}`" for name in names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def run_changes(run: Run) -> list[Change]:
    """What makes the whole file no evidence: stopped early, no case, every case skipped. Such a
    run is not compared further (each of its missing cases would be one more line of the same)."""
    data, subject = run.results, f"`{run.path}`"
    if not data.get("complete", True):
        why = f"; {data['interrupted']}" if data.get("interrupted") else ""
        return [Change("!", subject, "incomplete results file (stopped during "
                                     f"{data.get('running')}{why}): nothing compared")]
    verdicts = [case.get("verdict") for _, case in cases_of(data)]
    if not verdicts:
        return [Change("!", subject, "no case in the results: nothing ran")]
    if all(verdict == "skipped" for verdict in verdicts):
        return [Change("!", subject, f"every one of its {counted(len(verdicts), 'case')} "
                                     "was skipped: nothing was checked")]
    return []


def case_changes(run: Run) -> list[Change]:
    """Each case against its reference case and its baseline entry."""
    before = {case["nodeid"]: case for _, case in cases_of(run.reference)}
    matched = set()
    changes = []
    for claim_id, case in cases_of(run.results):
        nodeid, verdict = case["nodeid"], case.get("verdict")
        subject = f"`{nodeid}` ({claim_id})"
        said = headline(case.get("message"))
        if verdict not in VERDICTS:
            changes.append(Change("!", subject, f"unknown verdict {verdict!r} (known: "
                                                f"{', '.join(VERDICTS)})"))
            continue
        old = before.get(nodeid)
        was = None if old is None else old.get("verdict")
        entry = baseline.first_match(run.entries, nodeid, claim_id)
        if entry is not None:
            matched.add(entry.line)
            if verdict == "holds":
                changes.append(Change("-", subject, f"fixed: holds now; baseline line {entry.line} "
                                                    f"expects it not to ({entry.reason})"))
            elif was is not None and was != verdict:
                changes.append(Change("!", subject, f"{was} → {verdict}: {said}; was: "
                                      f"{headline(old.get('message'))} (the reference says "
                                      f"{was}; retake it with gate --update-reference)"))
            elif was is not None:
                difference = failure_difference(old, case)
                if difference:
                    changes.append(Change("*", subject, difference))
        elif verdict in NON_HOLDING and was == "holds":
            changes.append(Change("!", subject, f"held, now {verdict}: {said}"))
        elif verdict in NON_HOLDING:
            changes.append(Change("!", subject, f"{verdict}, a claim without a baseline entry: "
                                                f"{said}"))
        elif verdict == "skipped" and was not in (None, "skipped"):
            changes.append(Change("!", subject, f"{was} in the reference, now skipped"
                                                + (f": {said}" if said else "")))
    unmatched = [entry for entry in run.entries if entry.line not in matched]
    if unmatched and run.narrowed:
        changes.append(Change("x", counted(len(unmatched), "baseline line"), "match no case: "
                              f"the run was narrowed ({', '.join(run.narrowed)})"))
    else:
        changes += [Change("x", f"`{entry.pattern}`",
                           f"baseline line {entry.line} matches no case in the results")
                    for entry in unmatched]
    return changes


def failure_difference(old: dict, new: dict) -> str | None:
    """Another account of what happened to a case that did not hold and still does not, with
    the same verdict: the ``observed:`` line of a check's message, else its first line; the line
    naming the claim and versions is left out, so that a new release does not mark every case."""
    said, was = headline(new.get("message")), headline(old.get("message"))
    return f"{new['verdict']} differently: {said}; was: {was}" if said != was else None


def vanished_changes(run: Run) -> list[Change]:
    """Cases of the reference that are not in the results. Those the run's selection chose are
    gone: ``!`` per claim that lost them all, else per case. Those it left out are one ``x``;
    those of which it cannot tell are one ``!``: a gate that cannot see a case cannot pass it."""
    present = {case["nodeid"] for _, case in cases_of(run.results)}
    selection = run.selection
    gone: dict[str, list[str]] = {}
    left_out: list[str] = []
    unknown: list[str] = []
    total: dict[str, int] = {}
    for claim_id, case in cases_of(run.reference):
        total[claim_id] = total.get(claim_id, 0) + 1
        if case["nodeid"] in present:
            continue
        selected = selection.selects(claim_id, case)
        if selected is None:
            unknown.append(case["nodeid"])
        elif selected:
            gone.setdefault(claim_id, []).append(case["nodeid"])
        else:
            left_out.append(claim_id)
    narrowed = ", ".join(selection.narrowing)
    changes = []
    if unknown:
        why = (f"{', '.join(selection.unknowable)} chose them while it ran" if selection.unknowable
               else "the reference records no marks per case, so -m cannot be replayed on it "
                    "(retake it with gate --update-reference)")
        changes.append(Change("!", counted(len(unknown), "case") + " of the reference",
                              f"not in the results, and the run's selection ({narrowed}) cannot "
                              f"say whether it left them out: {why}; {listing(unknown)}"))
    if left_out:
        changes.append(Change("x", counted(len(left_out), "case") + " of the reference",
                              f"not run: the run was narrowed ({narrowed}); claims "
                              f"{listing(list(dict.fromkeys(left_out)), 5)}"))
    for claim_id, nodeids in gone.items():
        if len(nodeids) == total[claim_id]:
            which = "its only case" if len(nodeids) == 1 else f"all {len(nodeids)} of its cases"
            changes.append(Change("!", f"`{claim_id}`", f"gone from the results: {which} in "
                                  f"the reference ({listing(nodeids)})"))
        else:
            changes += [Change("!", f"`{nodeid}` ({claim_id})",
                               "gone from the results: a case of the reference"
                               + (f" that the run's selection ({narrowed}) chose" if narrowed
                                  else ""))
                        for nodeid in nodeids]
    return changes


def observation_changes(run: Run) -> list[Change]:
    """What each case of both runs observed, case by case: another, a lost or a new observation
    (also one moved from one case to another) is ``?``. Compared by node id, so that another
    worker order or a narrowed run changes nothing."""
    before = {case["nodeid"]: case for _, case in cases_of(run.reference)}
    changes = []
    for claim_id, case in cases_of(run.results):
        old = before.get(case["nodeid"])
        if old is None or old.get("observed") == case.get("observed"):
            continue
        now, was = case.get("observed") or "nothing", old.get("observed") or "nothing"
        changes.append(Change("?", f"`{case['nodeid']}` ({claim_id})",
                              f"observed: {now}; was: {was}"))
    return changes


def verdict_changes(run: Run) -> list[tuple[str, str, str]]:
    """``(claim, verdict in the reference, verdict now)`` for each claim of both whose verdict
    differs: what a newer version (a nightly against the release's reference) changes, claim by
    claim. A claim a narrowed run left out entirely (skipped now) is not a change."""
    before = {claim["id"]: claim["verdict"] for claim in (run.reference or {}).get("claims", [])}
    changed = []
    for claim in run.results["claims"]:
        old, new = before.get(claim["id"]), claim["verdict"]
        if old is None or old == new or (new == "skipped" and run.narrowed):
            continue
        changed.append((claim["id"], old, new))
    return changed
