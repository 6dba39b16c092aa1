"""``gate --update``: the baseline file rewritten from a run, line by line.

Only the lines that change are rewritten: the header, the comments, the order and the
alignment of every other line stay as they were, so that the diff of an update is what the run
changed. An entry in the claim form keeps its line while every case it names still does not
hold. The cases of the other entries that still do not hold (an entry naming some cases that
hold now, a node id line of the old form) are written again, in the claim form, where the first
of those entries stood; an entry naming nothing that does not hold goes. New non-holding cases
are added at the end with a TODO reason.

Cases are written as few lines as exactly name them: the claim alone where every case of the
claim in the run shares the reason, else wildcard patterns over the case ids (``*-predict*``),
else one line per case. A written line never names a case it was not written for: not one that
holds, is skipped or has another reason (each is tried against every case of the run).
"""

from __future__ import annotations

import itertools

from harness import baseline
from harness.baseline import Entry
from harness.gate.cases import cases_of
from harness.gate.runs import Run
from harness.markdown import headline
from harness.results import NON_HOLDING


def header(name: str) -> str:
    return (f"# implementation: {name}\n"
            f"# Expected non-holding cases of {name}: <claim>[<case pattern>]  # <reason>\n"
            "# Written by `python -m harness gate --update`; keep the reasons up to date.\n")


def updated_entries(run: Run) -> str:
    """The text of the run's baseline file after ``gate --update``."""
    cases = list(cases_of(run.results))
    kept = [entry for entry in run.entries if entry.claim is not None and still_true(entry, cases)]
    rewritten, where = cases_to_write(run.entries, kept, cases)
    of_claim = {claim["id"]: [case["nodeid"] for case in claim.get("cases", [])]
                for claim in run.results.get("claims", [])}
    written = {key: patterns(key[0], nodeids, of_claim[key[0]])
               for key, nodeids in rewritten.items()}
    width = max((len(pattern) for lines in written.values() for pattern in lines), default=0)
    text_of = {key: [f"{pattern.ljust(width)}  # {key[1]}" for pattern in lines]
               for key, lines in written.items()}
    dropped = {entry.line for entry in run.entries} - {entry.line for entry in kept}
    body = []
    for number, line in enumerate((run.baseline_text or header(run.name)).splitlines(), start=1):
        body += [new for key, at in where.items() if at == number for new in text_of[key]]
        if number not in dropped:
            body.append(line)
    added = [new for key, at in where.items() if at is None for new in text_of[key]]
    return "\n".join(body + added) + "\n"


def still_true(entry: Entry, cases) -> bool:
    """Whether the entry names some case of the run and none of them holds."""
    named = [case for claim_id, case in cases if entry.matches(case["nodeid"], claim_id)]
    return bool(named) and all(case["verdict"] != "holds" for case in named)


def cases_to_write(entries: list[Entry], kept: list[Entry], cases):
    """The cases no kept entry names that must be written again: those another entry named
    (with its reason) that do not hold, and the new non-holding ones (with a TODO reason), by
    (claim, reason); and where their lines go: the line of the first entry that named them,
    None (the end) for new ones."""
    rewritten: dict[tuple[str, str], list[str]] = {}
    where: dict[tuple[str, str], int | None] = {}
    for claim_id, case in cases:
        nodeid = case["nodeid"]
        if any(entry.matches(nodeid, claim_id) for entry in kept):
            continue
        entry = baseline.first_match(entries, nodeid, claim_id)
        if entry is not None and case["verdict"] != "holds":
            key, line = (claim_id, entry.reason), entry.line
        elif entry is None and case["verdict"] in NON_HOLDING:
            key, line = (claim_id, "TODO: explain (added by gate --update: "
                                   f"{headline(case.get('message')) or case['verdict']})"), None
        else:
            continue
        rewritten.setdefault(key, []).append(nodeid)
        where[key] = line if key not in where or line is None else min(where[key], line)
    return rewritten, where


def patterns(claim_id: str, nodeids: list[str], claim_nodeids: list[str]) -> list[str]:
    """The fewest entry patterns (found greedily) that name exactly ``nodeids`` among the cases
    ``claim_nodeids`` of the claim in the run."""
    if set(nodeids) == set(claim_nodeids):
        return [claim_id]
    wanted = set(nodeids)

    def named_by(pattern: str) -> set[str]:
        entry = Entry(pattern, "", 0)
        return {nodeid for nodeid in claim_nodeids if entry.matches(nodeid, claim_id)}

    candidates = sorted({f"{claim_id}[{case_pattern}]" for nodeid in nodeids
                         for case_pattern in case_patterns(baseline.case_id(nodeid))})
    exact = {pattern: names for pattern in candidates
             for names in [named_by(pattern)] if names <= wanted}
    chosen, left = [], list(nodeids)
    while left:
        # The most cases still to name; among those, the fewest wildcards, the most literal
        # text (``GRU-*``, not ``GRU*``), the one naming the earliest case (so that lines of
        # one case each keep the run's order).
        best = max(exact, key=lambda pattern: (
            len(exact[pattern] & set(left)), -pattern.count("*"), len(pattern),
            -min((left.index(nodeid) for nodeid in exact[pattern] if nodeid in left),
                 default=len(left))), default=None)
        if best is None or not exact[best] & set(left):
            break
        chosen.append(best)
        left = [nodeid for nodeid in left if nodeid not in exact[best]]
    # A case whose id another case of the claim shares (two checks of one claim) is named by
    # its node id.
    return chosen + left


def case_patterns(case_id: str) -> set[str]:
    """Wildcard patterns made from a case id: each of its dash-separated parts kept, kept as a
    prefix (``predict*``) or replaced by ``*``."""
    parts = case_id.split("-")
    found = set()
    for ways in itertools.product(("kept", "prefix", "any"), repeat=len(parts)):
        pattern = "-".join(part if way == "kept" else part + "*" if way == "prefix" else "*"
                           for part, way in zip(parts, ways))
        while "*-*" in pattern or "**" in pattern:
            pattern = pattern.replace("*-*", "*").replace("**", "*")
        found.add(pattern)
    return found
