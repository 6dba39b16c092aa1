"""Mutation testing of the suite: how each planted bug (``fixtures/mutants``) is judged, and the
full-width run.

    python -m tests.mutation_full                 # every mutant; writes reports/mutation-score.json
    python -m tests.mutation_full --only mutant-no-state --output /tmp/score.json
    python -m tests.mutation_full --sequence      # adds what sequence.any-order catches
    nox -s mutation                               # the same (tag "mutation")

The full-width run runs the whole not-slow suite (``-m "not slow"``) once per base
implementation unmutated, then once per mutant, one process at a time (``MUTATION_JOBS=2`` or
``--jobs 2`` runs two mutants at a time). A mutant is killed when its target claim's verdict is
not ``holds`` (``fails``, ``error`` or ``inconclusive``) and some case of that claim broke: went
to ``fails`` or ``error`` from another verdict in the unmutated run of the same base, or to
``inconclusive`` from ``holds`` (an inconclusive case says that another claim fails; where the
stock run already did not hold the case, it shows nothing of the planted bug). Every other
claim whose cases changed is recorded as the mutant's collateral: what else the suite sees of
the bug. The score file has one row per mutant and must say 100 %; the run exits 1 otherwise.

``--sequence`` runs only ``sequence.any-order`` (the state machine of ``suites/test_sequence.py``)
on each base and each mutant, judges it as the mutant's target, and writes the outcome into the
existing score file's rows (``sequence``): a mutant whose bug breaks an operation the machine
draws (``Mutant.drawn``) must be caught by it as well.

``tests/test_mutants.py`` judges the same way on a narrower selection: each mutant's target
claim (``--claim``) and one control claim.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.results import NON_HOLDING, ResultsError, claim_verdict, write_atomic
from harness.mutation import load as load_score
from harness.results import load as load_results
from tests.suite_runs import PROJECT_ROOT, case_verdicts, run_suite

SCORE_FILE = PROJECT_ROOT / "reports" / "mutation-score.json"
FULL_SELECTION = ("suites/", "-m", "not slow")
FULL_RUN_TIMEOUT_S = 1800


def mutants():
    from fixtures.mutants import MUTANTS

    return MUTANTS


def object_name(mutant) -> str:
    """The name under which ``fixtures.mutants`` holds the mutant (its ``--impl`` spec)."""
    import fixtures.mutants as module

    return next(name for name, value in vars(module).items()
                if value is mutant and name.isupper() and name != "MUTANTS")


def spec_of(mutant) -> str:
    return f"fixtures.mutants:{object_name(mutant)}"


def summary(message: str) -> str:
    """The finding of a case's message: its first line after the ``[claim] on impl`` header."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if lines and lines[0].startswith("["):
        lines = lines[1:]
    return lines[0][:300] if lines else ""


def claim_changes(observed: dict, reference: dict) -> dict[str, dict]:
    """Per claim with at least one case whose verdict differs from the reference: the claim's
    verdict in both runs and how many of its cases changed."""
    changes: dict[str, dict] = {}
    for nodeid, (claim, verdict) in observed.items():
        if nodeid in reference and reference[nodeid][1] != verdict:
            changes.setdefault(claim, {"reference": None, "mutant": None, "cases_changed": 0,
                                       "cases": 0})["cases_changed"] += 1
    for claim, change in changes.items():
        cases = [nodeid for nodeid, (c, _) in observed.items() if c == claim]
        change["cases"] = len(cases)
        change["mutant"] = claim_verdict(observed[n][1] for n in cases)
        change["reference"] = claim_verdict(reference[n][1] for n in cases if n in reference)
    return dict(sorted(changes.items()))


def breaks_case(verdict: str, reference: str | None) -> bool:
    """Whether a case that went from ``reference`` (the unmutated run) to ``verdict`` shows the
    planted bug: ``inconclusive`` names another claim that fails, which counts only where the
    stock run held the case."""
    if verdict == "inconclusive":
        return reference == "holds"
    return verdict in NON_HOLDING


def judge(mutant, data: dict, reference: dict[str, tuple[str, str]],
          claim: str | None = None) -> dict:
    """The mutant's row for the score file, from its run and the same cases on its base.

    ``reference`` is ``case_verdicts`` of the base's unmutated run on (at least) the same cases.
    ``claim``: the claim judged as the target (default: the one the mutant breaks).
    Keys read by ``harness/report.py``: mutant, breaks, bug, killed, cases_changed.
    """
    claim = claim or mutant.breaks
    observed = case_verdicts(data)
    unknown = sorted(set(observed) - set(reference))
    target = {n: v for n, (c, v) in observed.items() if c == claim}
    target_reference = {n: reference[n][1] for n in target if n in reference}
    verdict = claim_verdict(target.values())
    changed = sorted(n for n in target if target_reference.get(n) != target[n])
    broken = [n for n in changed if breaks_case(target[n], target_reference.get(n))]
    killed = bool(target) and verdict in NON_HOLDING and bool(broken)
    collateral = {n: f"{reference[n][1]} -> {v}" for n, (c, v) in sorted(observed.items())
                  if c != claim and n in reference and reference[n][1] != v}
    messages = [summary(case["message"])
                for record in data["claims"] if record["id"] == claim
                for case in record["cases"] if case["verdict"] in NON_HOLDING and case["nodeid"] in broken]
    return {
        "mutant": mutant.name,
        "object": object_name(mutant),
        "base": mutant.base,
        "breaks": mutant.breaks,
        "bug": mutant.bug,
        "killed": killed,
        "target_verdict": verdict,
        "reference_verdict": claim_verdict(target_reference.values()),
        "target_cases": len(target),
        "cases_changed": changed,
        "claims_changed": claim_changes(observed, reference),
        "other_claims": sorted({c for c, _ in observed.values() if c != claim}),
        "collateral": collateral,
        "unknown_cases": unknown,
        "first_message": messages[0] if messages else "",
        "seconds": round(data["_seconds"], 1),
    }


def broken_row(mutant, error: str) -> dict:
    """The row of a mutant whose suite run broke: not killed, with the reason."""
    return {"mutant": mutant.name, "object": object_name(mutant), "base": mutant.base,
            "breaks": mutant.breaks, "bug": mutant.bug, "killed": False,
            "target_verdict": None, "reference_verdict": None, "target_cases": 0,
            "cases_changed": [], "claims_changed": {}, "other_claims": [], "collateral": {},
            "unknown_cases": [], "first_message": "", "seconds": None,
            "broken_run": error[-3000:]}


def score(rows: list[dict], **about) -> dict:
    killed = sum(bool(row["killed"]) for row in rows)
    return {
        "planted": len(rows),
        "killed": killed,
        "score": killed / len(rows) if rows else 0.0,
        "survivors": [row["mutant"] for row in rows if not row["killed"]],
        **about,
        "mutants": rows,
    }


def say(text: str) -> None:
    print(text, flush=True)


def finished_run(path: Path, spec: str, selection=FULL_SELECTION) -> dict | None:
    """The results file of an earlier run of ``spec`` on ``selection`` at ``path``, if it
    finished."""
    try:
        data = load_results(path)
    except ResultsError:
        return None
    args = data.get("suite", {}).get("pytest_args", [])
    # A run stopped by a signal can still say complete; the case it was running gives it away.
    if not data.get("complete") or data.get("running") or data.get("interrupted") or \
            data["implementation"].get("spec") != spec or \
            list(args[:len(selection)]) != list(selection):
        return None
    data["_seconds"] = data["suite"]["duration_s"]
    data["_resumed"] = True
    return data


def suite_run(spec: str, path: Path, resume: bool, selection=FULL_SELECTION,
              extra_args=()) -> dict:
    """``extra_args``: a mutant's own (``Mutant.pytest_args``), after the selection."""
    if resume:
        data = finished_run(path, spec, selection)
        if data is not None:
            return data
    return run_suite(spec, path, *selection, *extra_args, timeout=FULL_RUN_TIMEOUT_S)


def full_run(selected, folder: Path, jobs: int = 1, resume: bool = False) -> dict:
    """The whole not-slow suite once per base of ``selected``, then once per mutant.

    ``resume``: a run whose finished results file is already in ``folder`` is not run again
    (only valid while the suite has not changed since)."""
    started = time.perf_counter()
    bases = list(dict.fromkeys(mutant.base for mutant in selected))
    references: dict[str, dict] = {}
    reference_seconds: dict[str, float] = {}
    for index, base in enumerate(bases, 1):
        say(f"reference {index} of {len(bases)}: {base} unmutated ...")
        data = suite_run(base, folder / f"reference-{base}.json", resume)
        references[base] = case_verdicts(data)
        reference_seconds[base] = round(data["_seconds"], 1)
        say(f"reference {index} of {len(bases)}: {base} ... {len(references[base])} cases "
            f"in {data['_seconds']:.0f} s" + (" (earlier run, resumed)" if "_resumed" in data else ""))

    def one(numbered):
        index, mutant = numbered
        try:
            data = suite_run(spec_of(mutant), folder / f"{mutant.name}.json", resume,
                             extra_args=mutant.pytest_args)
        except (AssertionError, OSError, subprocess.SubprocessError) as error:
            # A run that broke (pytest exit 2 or more, a crash, a timeout) proves nothing.
            say(f"mutant {index} of {len(selected)}: {mutant.name} ({mutant.base}) ... "
                f"BROKEN RUN: {str(error).strip()[:500]}")
            return broken_row(mutant, str(error))
        # The same suite ran on the base: a case it ran that this run lacks is a truncated run.
        missing = sorted(set(references[mutant.base]) - set(case_verdicts(data)))
        if missing:
            error = (f"truncated run: {len(missing)} cases of the reference run did not run, "
                     f"from {missing[0]}")
            say(f"mutant {index} of {len(selected)}: {mutant.name} ({mutant.base}) ... "
                f"BROKEN RUN: {error}")
            return broken_row(mutant, error)
        row = judge(mutant, data, references[mutant.base])
        others = sorted(set(row["claims_changed"]) - {mutant.breaks})
        say(f"mutant {index} of {len(selected)}: {mutant.name} ({mutant.base}) ... "
            f"{'killed' if row['killed'] else 'SURVIVED'} in {row['seconds']:.0f} s"
            f" ({mutant.breaks}: {row['reference_verdict']} -> {row['target_verdict']}, "
            f"{len(row['cases_changed'])} cases changed; collateral: {', '.join(others) or 'none'})"
            + (" (earlier run, resumed)" if "_resumed" in data else ""))
        return row

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = list(pool.map(one, enumerate(selected, 1)))
    for row in rows:
        row["collateral_claims"] = {claim: change for claim, change in row["claims_changed"].items()
                                    if claim != row["breaks"]}
    # The suite's own time, run by run (what a fresh full-width run costs, resumed runs included).
    suite_seconds = sum(reference_seconds.values()) + sum(row["seconds"] or 0 for row in rows)
    return score(rows, width="full", selection=" ".join(FULL_SELECTION),
                 reference_seconds=reference_seconds, suite_seconds=round(suite_seconds, 1),
                 seconds=round(time.perf_counter() - started, 1))


SEQUENCE_CLAIM = "sequence.any-order"
# Where the base's own sequence.any-order does not hold (keras-jax: most entry points carry no
# state), a mutant cannot change its verdict; the machine that leaves out the base's known
# findings must catch it instead.
BEYOND_KNOWN_CLAIM = "sequence.any-order.beyond-known"


def judge_sequence(mutant, data: dict, reference: dict[str, tuple[str, str]]) -> dict:
    """Whether the state machine caught ``mutant``: ``sequence.any-order``, or where that does
    not hold on the unmutated base, ``sequence.any-order.beyond-known``."""
    row = judge(mutant, data, reference, claim=SEQUENCE_CLAIM)
    if row["killed"] or row["reference_verdict"] == "holds":
        return row
    return judge(mutant, data, reference, claim=BEYOND_KNOWN_CLAIM)


def sequence_pass(selected, folder: Path, resume: bool = False) -> dict[str, dict]:
    """``sequence.any-order`` alone on each base, then on each mutant: per mutant, whether the
    state machine caught it, and whether it had to (its bug breaks an operation it draws)."""
    def selection(base):
        # With the base's baseline, as a user runs it: the machine leaves out the operations
        # whose own checks are known not to hold there (on keras-jax, all but direct calls).
        return ("suites/", "--claim", SEQUENCE_CLAIM, "--claim", BEYOND_KNOWN_CLAIM,
                "--baseline", f"suites/baselines/{base}.txt")

    references = {}
    for base in dict.fromkeys(mutant.base for mutant in selected):
        say(f"sequence reference: {base} ...")
        references[base] = case_verdicts(suite_run(base, folder / f"sequence-{base}.json",
                                                   resume, selection(base)))
    outcomes = {}
    for index, mutant in enumerate(selected, 1):
        try:
            data = suite_run(spec_of(mutant), folder / f"sequence-{mutant.name}.json", resume,
                             selection(mutant.base), extra_args=mutant.pytest_args)
        except (AssertionError, OSError, subprocess.SubprocessError) as error:
            say(f"sequence {index} of {len(selected)}: {mutant.name} ... BROKEN RUN: "
                f"{str(error).strip()[:500]}")
            outcomes[mutant.name] = {"drawn": mutant.drawn, "caught": False, "verdict": None,
                                     "broken_run": str(error)[-2000:]}
            continue
        row = judge_sequence(mutant, data, references[mutant.base])
        outcomes[mutant.name] = {
            "drawn": mutant.drawn, "caught": row["killed"], "verdict": row["target_verdict"],
            "reference_verdict": row["reference_verdict"],
            "cases_changed": len(row["cases_changed"]), "first_message": row["first_message"],
            "seconds": row["seconds"],
        }
        say(f"sequence {index} of {len(selected)}: {mutant.name} ({mutant.base}, draws "
            f"{mutant.drawn or 'none of its operations'}) ... "
            f"{'caught' if row['killed'] else 'not caught'} ({row['reference_verdict']} -> "
            f"{row['target_verdict']})" + (" (earlier run, resumed)" if "_resumed" in data else ""))
    return outcomes


def add_sequence(score_file: Path, outcomes: dict[str, dict]) -> dict:
    """The score file with each mutant's ``sequence`` outcome and the count of those it had to
    catch; the file's other figures are kept as the full-width run wrote them."""
    data = load_score(score_file)
    for row in data["mutants"]:
        if row["mutant"] in outcomes:
            row["sequence"] = outcomes[row["mutant"]]
    must = [row for row in data["mutants"] if row.get("sequence", {}).get("drawn")]
    data["sequence_caught"] = sum(bool(row["sequence"]["caught"]) for row in must)
    data["sequence_must_catch"] = len(must)
    return data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation_full", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this mutant (repeatable); the score file then holds only these")
    parser.add_argument("--output", type=Path, default=SCORE_FILE,
                        help=f"the score file (default {SCORE_FILE.relative_to(PROJECT_ROOT)})")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS", "1")),
                        help="mutant runs at a time (default: MUTATION_JOBS or 1)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep each run's results file in DIR (default: a temporary folder)")
    parser.add_argument("--resume", action="store_true",
                        help="with --keep: reuse the finished runs already in DIR (an interrupted "
                             "run goes on where it stopped; only while the suite is unchanged)")
    parser.add_argument("--sequence", action="store_true",
                        help=f"run only {SEQUENCE_CLAIM} per base and mutant and add whether it "
                             "caught each mutant to the existing score file")
    args = parser.parse_args(argv)
    if args.resume and not args.keep:
        parser.error("--resume needs --keep DIR")

    selected = mutants()
    if args.only:
        unknown = set(args.only) - {mutant.name for mutant in selected}
        if unknown:
            parser.error(f"no mutant named {', '.join(sorted(unknown))}")
        selected = [mutant for mutant in selected if mutant.name in args.only]
    if args.sequence:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="mutation-") as folder:
            outcomes = sequence_pass(selected, args.keep or Path(folder), args.resume)
        result = add_sequence(args.output, outcomes)
        write_atomic(args.output, result)
        missed = [row["mutant"] for row in result["mutants"]
                  if row.get("sequence", {}).get("drawn") and not row["sequence"]["caught"]]
        say(f"{SEQUENCE_CLAIM} caught {result['sequence_caught']} of the "
            f"{result['sequence_must_catch']} mutants that break an operation it draws; "
            f"written to {args.output}" + (f"; missed: {', '.join(missed)}" if missed else ""))
        return 1 if missed else 0
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = full_run(selected, args.keep, args.jobs, resume=args.resume)
    else:
        with tempfile.TemporaryDirectory(prefix="mutation-") as folder:
            result = full_run(selected, Path(folder), args.jobs)
    write_atomic(args.output, result)
    say(f"mutation score: {result['killed']} of {result['planted']} killed "
        f"({100 * result['killed'] // max(1, result['planted'])} %) in {result['seconds']:.0f} s "
        f"({result['suite_seconds']:.0f} s of suite runs); "
        f"written to {args.output}")
    if result["survivors"]:
        say(f"survived: {', '.join(result['survivors'])}")
    return 0 if result["planted"] and not result["survivors"] else 1


if __name__ == "__main__":
    sys.exit(main())
