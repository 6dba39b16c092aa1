"""Command line: ``python -m harness report|compare|gate|repro|migrate|issue`` (installed as
``stateful-rnn``).

Exit codes: 0 done (for ``gate``: nothing got worse; for ``repro``: every script still
reproduces its finding), 1 the gate found something worse or a script no longer reproduces,
2 bad input, with one ``error: ...`` line on stderr and no file written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import compare, gate, issue, migrate, mutation, report, repro, results
from harness.baseline import BaselineError
from harness.mutation import MutationScoreError
from harness.results import ResultsError
from harness.results import write_text_atomic as write_text

# Where tests/test_mutants.py writes the mutation score, from the project root like the reports.
MUTATION_SCORE = Path("reports/mutation-score.json")


def mutation_score(args) -> dict | None:
    """The ``--mutation-score`` file, else the default one where it exists; None: not measured."""
    if args.mutation_score is None and not MUTATION_SCORE.exists():
        return None
    return mutation.load(args.mutation_score or MUTATION_SCORE)


def run_report(args) -> int:
    data = results.load(args.results)
    output = args.output or args.results.with_suffix(".md")
    write_text(output, report.render(data, output, mutation_score(args)))
    print(f"wrote {output}")
    return 0


def run_compare(args) -> int:
    text = compare.render([(path, results.load(path)) for path in args.results],
                          mutation_score(args))
    write_text(args.output, text)
    print(f"wrote {args.output}")
    return 0


def run_gate(args) -> int:
    update = args.update or args.update_reference
    runs = gate.load(args.results, args.baseline, update=update)
    tolerances = gate.Tolerances(args.accuracy_tolerance, args.timing_tolerance, args.alpha)
    for run in runs:
        run.changes = gate.check(run, tolerances)
    text = gate.summary(runs, args.baseline, strict=args.strict)
    if update:
        for run in runs:
            if args.update:
                write_text(args.baseline / f"{run.name}.txt", gate.updated_entries(run))
            results.write_atomic(args.baseline / f"{run.name}.json", run.results)
        taken = "baseline" if args.update else "reference results (.json)"
        text += f"\n{taken.capitalize()} updated in `{args.baseline}` from these results.\n"
    if args.summary:
        write_text(args.summary, text)
    print(text, end="")
    worse = any(change.mark in gate.worse_marks(args.strict)
                for run in runs for change in run.changes)
    return 1 if worse and not update else 0


def run_repro(args) -> int:
    data = results.load(args.results)
    text, rows = repro.run(data, args.results, timeout=args.timeout, jobs=args.jobs)
    if args.output:
        write_text(args.output, text)
    print(text, end="")
    return 0 if all(row["outcome"] == repro.OUTCOMES[1] for row in rows) else 1


def run_migrate(args) -> int:
    sides = [(path, results.load(path)) for path in (args.before, args.after)]
    migrate.check_pair(*sides)
    output = args.output or migrate.default_output(sides[0][1], sides[1][1])
    write_text(output, migrate.render(*sides))
    print(f"wrote {output}")
    return 0


def run_issue(args) -> int:
    print(issue.render(results.load(args.results), args.results, args.claim), end="")
    return 0


def factor(text: str) -> float:
    value = float(text)
    if not value > 1:
        raise argparse.ArgumentTypeError(f"a tolerance is a factor above 1, not {text}")
    return value


def add_mutation_score(command) -> None:
    command.add_argument("--mutation-score", type=Path, metavar="PATH",
                         help="mutation score file of tests/test_mutants.py (default: "
                         f"{MUTATION_SCORE} where it exists, otherwise the mutation score is "
                         "reported as not measured)")


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog="python -m harness", description="Reports, comparisons and the regression gate "
        "for the results files of the stateful RNN conformance suite.")
    commands = main_parser.add_subparsers(dest="command", required=True)

    command = commands.add_parser("report", help="markdown report of one results file")
    command.add_argument("results", type=Path, metavar="RESULTS.json")
    command.add_argument("-o", "--output", type=Path, metavar="OUT.md",
                         help="default: beside the results file, RESULTS.md")
    add_mutation_score(command)
    command.set_defaults(run=run_report)

    command = commands.add_parser("compare", help="claims and benchmarks side by side")
    command.add_argument("results", type=Path, nargs="+", metavar="RESULTS")
    command.add_argument("-o", "--output", type=Path, default=Path("reports/COMPARISON.md"),
                         metavar="OUT.md", help="default: %(default)s")
    add_mutation_score(command)
    command.set_defaults(run=run_compare)

    command = commands.add_parser(
        "gate", help="exit 1 when anything got worse than the baseline",
        description="Exit 0 when nothing got worse than the baseline, 1 otherwise; prints a "
        "markdown summary of the changes.")
    command.add_argument("--baseline", type=Path, required=True, metavar="DIR",
                         help="holds <implementation>.txt (expected failures) and "
                         "<implementation>.json (reference results: cases and benchmark figures)")
    command.add_argument("results", type=Path, nargs="+", metavar="RESULTS")
    updating = command.add_mutually_exclusive_group()
    updating.add_argument("--update", action="store_true",
                          help="rewrite the baseline from these results: the .txt (keeps the "
                          "reasons) and the .json")
    updating.add_argument("--update-reference", action="store_true",
                          help="rewrite only the .json (the reference results) from these "
                          "results; the expected failures stay as they are")
    command.add_argument("--strict", action="store_true",
                         help="also fail when a non-holding case fails differently (`*`)")
    command.add_argument("--summary", type=Path, metavar="OUT.md",
                         help="also write the summary to this file")
    defaults = gate.Tolerances()
    command.add_argument("--accuracy-tolerance", type=factor, default=defaults.accuracy,
                         metavar="FACTOR", help="median error growth that is worse "
                         "(default %(default)s)")
    command.add_argument("--timing-tolerance", type=factor, default=defaults.timing,
                         metavar="FACTOR", help="relative time growth that is worse, when "
                         "significant (default %(default)s)")
    command.add_argument("--alpha", type=float, default=defaults.alpha, metavar="P",
                         help="significance level of the Mann-Whitney U test over the per-seed "
                         "values; where the seeds are too few to reach it (3 against 3), every "
                         "value must lie beyond every reference value (default %(default)s)")
    command.set_defaults(run=run_gate)

    command = commands.add_parser(
        "repro", help="run every reproduction script of a results file in a fresh process",
        description="Run each case's standalone reproduction script again and tabulate which "
        "still reproduce (exit 1) and which hold now (exit 0).")
    command.add_argument("results", type=Path, metavar="RESULTS.json")
    command.add_argument("-o", "--output", type=Path, metavar="OUT.md",
                         help="also write the table to this file")
    command.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                         help="per script (default %(default)s)")
    command.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                         help="scripts run at once (default: the number of CPUs)")
    command.set_defaults(run=run_repro)

    command = commands.add_parser(
        "migrate", help="what changes, claim by claim, from one results file to another",
        description="Write a migration report: each claim's verdict before and after, the code "
        "of the changed claims and the verified workaround on the TO side.")
    command.add_argument("before", type=Path, metavar="FROM.json")
    command.add_argument("after", type=Path, metavar="TO.json")
    command.add_argument("-o", "--output", type=Path, metavar="OUT.md",
                         help="default: reports/MIGRATION-<from>-to-<to>.md, e.g. "
                         "reports/MIGRATION-tf-keras-2.21-to-keras-jax-3.15.md")
    command.set_defaults(run=run_migrate)

    command = commands.add_parser(
        "issue", help="print a draft issue for the Keras tracker about one finding",
        description="Print, in markdown, a draft issue about a claim that does not hold in "
        "RESULTS: title, environment, standalone reproduction, observed, expected, related "
        "upstream threads.")
    command.add_argument("results", type=Path, metavar="RESULTS.json")
    command.add_argument("claim", metavar="CLAIM", help="a claim id, e.g. carry.index-i")
    command.set_defaults(run=run_issue)
    return main_parser


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (ResultsError, BaselineError, MutationScoreError) as error:
        print(f"error: {error}", file=sys.stderr)
    except OSError as error:
        print(f"error: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
