"""Command line: ``python -m harness report|compare|gate|repro|migrate|issue|history|bisect``
(installed as ``stateful-rnn``).

Exit codes: 0 done (for ``gate``: nothing got worse; for ``repro``: every script still
reproduces its finding), 1 the gate found something worse or a script no longer reproduces,
2 bad input or usage, with one ``error: ...`` line on stderr and no file written, 3 a bug of
the harness: one ``internal error: ...`` line (``--traceback`` shows where), 130 interrupted.
What reaches the console has ASCII verdict marks where its encoding cannot show the symbols
(``--ascii`` forces them); the files written keep them.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from harness import compare, gate, issue, migrate, mutation, report, repro, results
from harness import bisect, history, releases
from harness import claims_cli, site
from harness.baseline import BaselineError
from harness.markdown import console_text
from harness.mutation import MutationScoreError
from harness.results import ResultsError
from harness.results import write_text_atomic as write_text
from suites.claims import CLAIMS

# Where tests/test_mutants.py writes the mutation score, from the project root like the reports.
MUTATION_SCORE = Path("reports/mutation-score.json")


def show(args, text: str, end: str = "\n", stream=None) -> None:
    """Print what the console can show (``console_text``)."""
    stream = stream or sys.stdout
    print(console_text(text, getattr(stream, "encoding", None), args.ascii), end=end, file=stream)


def load(path) -> dict:
    """A results file for a command that shows its verdicts: an unknown verdict is bad input
    (the gate loads its own and fails on one)."""
    return results.load(path, known_verdicts=True)


def mutation_score(args) -> dict | None:
    """The ``--mutation-score`` file, else the default one where it exists; None: not measured."""
    if args.mutation_score is None and not MUTATION_SCORE.exists():
        return None
    return mutation.load(args.mutation_score or MUTATION_SCORE)


def run_report(args) -> int:
    data = load(args.results)
    output = args.output or args.results.with_suffix(".md")
    write_text(output, report.render(data, output, mutation_score(args)))
    show(args, f"wrote {output}")
    return 0


def run_compare(args) -> int:
    text = compare.render([(path, load(path)) for path in args.results],
                          mutation_score(args), args.output)
    write_text(args.output, text)
    show(args, f"wrote {args.output}")
    return 0


def run_gate(args) -> int:
    update = args.update or args.update_reference
    runs = gate.load(args.results, args.baseline, update=update)
    tolerances = gate.Tolerances(args.accuracy_tolerance, args.timing_tolerance, args.alpha)
    for run in runs:
        run.changes = gate.check(run, tolerances)
    text = gate.summary(runs, args.baseline, strict=args.strict, accept=args.accept,
                        update=update)
    if update:
        for run in runs:
            if args.update:
                write_text(args.baseline / f"{run.name}.txt", gate.updated_entries(run))
            results.write_atomic(args.baseline / f"{run.name}.json", run.results)
        taken = "baseline" if args.update else "reference results (.json)"
        text += f"\n{taken.capitalize()} updated in `{args.baseline}` from these results.\n"
    if args.summary:
        write_text(args.summary, text)
    show(args, text, end="")
    worse = any(change.mark in gate.worse_marks(args.strict, args.accept)
                for run in runs for change in run.changes)
    return 1 if worse and not update else 0


def run_repro(args) -> int:
    data = load(args.results)
    text, rows = repro.run(data, args.results, timeout=args.timeout, jobs=args.jobs,
                           progress=lambda line: show(args, line), write_only=args.write_only)
    if args.output:
        write_text(args.output, text)
    show(args, text, end="")
    if args.write_only:
        return 0
    return 0 if all(row["outcome"] == repro.OUTCOMES[1] for row in rows) else 1


def run_migrate(args) -> int:
    sides = [(path, load(path)) for path in (args.before, args.after)]
    migrate.check_pair(*sides)
    output = args.output or migrate.default_output(sides[0][1], sides[1][1])
    write_text(output, migrate.render(*sides))
    show(args, f"wrote {output}")
    return 0


def run_issue(args) -> int:
    show(args, issue.render(load(args.results), args.results, args.claim), end="")
    return 0


def run_site(args) -> int:
    wrote = site.build([(path, load(path)) for path in args.results], args.output)
    show(args, f"wrote {args.output / 'index.html'}: {wrote['claims']} claim pages, "
         f"{wrote['figures']} benchmark figures, {wrote['scripts']} reproduction scripts")
    return 0


def run_claims(args) -> int:
    if args.action is None:
        show(args, claims_cli.catalogue(), end="")
        return 0
    if args.claim is None:
        show(args, "error: claims explain needs a claim ID, e.g. carry.index-i", stream=sys.stderr)
        return 2
    try:
        text = claims_cli.explain(args.claim, args.results or claims_cli.committed())
    except claims_cli.UnknownClaim as error:
        show(args, f"error: {error}", stream=sys.stderr)
        return 2
    show(args, text, end="")
    return 0


def run_history(args) -> int:
    written = history.build(args.folder, args.output, args.figures)
    show(args, f"wrote {', '.join(str(path) for path in written)}")
    return 0


def run_bisect(args) -> int:
    if args.claim not in CLAIMS:
        raise bisect.BisectError(f"{args.claim!r} is not a claim id (suites/claims.py)")
    versions = bisect.between(args.impl, args.good, args.bad,
                              bisect.read_versions(args.versions) if args.versions else None)
    show(args, f"{args.claim} on {args.impl}: searching {len(versions)} versions, "
         f"{versions[0]} to {versions[-1]}; environments in {args.cache}")
    trial_of = bisect.Installer(args.impl, args.claim, args.cache,
                                progress=lambda line: show(args, line))
    result = bisect.search(versions, trial_of)
    show(args, bisect.render(result, args.impl, args.claim), end="")
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
    # Options of every command, given after its name.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--ascii", action="store_true",
                        help="verdict marks in ASCII ([ok], [FAIL]...) on the console (the "
                        "default where its encoding cannot show the symbols); files written "
                        "keep the symbols")
    common.add_argument("--traceback", action="store_true",
                        help="on an internal error (exit 3), print the traceback")
    commands = main_parser.add_subparsers(dest="command", required=True)

    command = commands.add_parser("report", parents=[common],
                                  help="markdown report of one results file")
    command.add_argument("results", type=Path, metavar="RESULTS.json")
    command.add_argument("-o", "--output", type=Path, metavar="OUT.md",
                         help="default: beside the results file, RESULTS.md")
    add_mutation_score(command)
    command.set_defaults(run=run_report)

    command = commands.add_parser("compare", parents=[common],
                                  help="claims and benchmarks side by side")
    command.add_argument("results", type=Path, nargs="+", metavar="RESULTS")
    command.add_argument("-o", "--output", type=Path, default=Path("reports/COMPARISON.md"),
                         metavar="OUT.md", help="default: %(default)s")
    add_mutation_score(command)
    command.set_defaults(run=run_compare)

    command = commands.add_parser(
        "gate", parents=[common], help="exit 1 when anything got worse than the baseline",
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
    command.add_argument("--accept", action="store_true",
                         help="pass observations that changed (`?`): read them, then retake "
                         "the reference")
    command.add_argument("--summary", type=Path, metavar="OUT.md",
                         help="also write the summary to this file")
    defaults = gate.Tolerances()
    command.add_argument("--accuracy-tolerance", type=factor, default=defaults.accuracy,
                         metavar="FACTOR", help="error growth, seed by seed (the median "
                         "of the per-seed ratios), that is worse (default %(default)s)")
    command.add_argument("--timing-tolerance", type=factor, default=defaults.timing,
                         metavar="FACTOR", help="relative time growth that is worse, when "
                         "significant (default %(default)s)")
    command.add_argument("--alpha", type=float, default=defaults.alpha, metavar="P",
                         help="significance level of the Mann-Whitney U test over the per-seed "
                         "values; where the seeds are too few to reach it (3 against 3), every "
                         "value must lie beyond every reference value (default %(default)s)")
    command.set_defaults(run=run_gate)

    command = commands.add_parser(
        "repro", parents=[common],
        help="write and run every reproduction script of a results file in a fresh process",
        description="Write each non-holding case's standalone reproduction script where it is "
        "missing (from the check the case recorded), run them again and tabulate which "
        "still reproduce (exit 1) and which hold now (exit 0).")
    command.add_argument("results", type=Path, metavar="RESULTS.json")
    command.add_argument("-o", "--output", type=Path, metavar="OUT.md",
                         help="also write the table to this file")
    command.add_argument("--write-only", action="store_true",
                         help="write the scripts missing beside the results file (from each "
                         "case's recorded check), run none")
    command.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                         help="per script (default %(default)s)")
    command.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                         help="scripts run at once (default: the number of CPUs)")
    command.set_defaults(run=run_repro)

    command = commands.add_parser(
        "migrate", parents=[common],
        help="what changes, claim by claim, from one results file to another",
        description="Write a migration report: each claim's verdict before and after, the code "
        "of the changed claims and the verified workaround on the TO side.")
    command.add_argument("before", type=Path, metavar="FROM.json")
    command.add_argument("after", type=Path, metavar="TO.json")
    command.add_argument("-o", "--output", type=Path, metavar="OUT.md",
                         help="default: reports/MIGRATION-<from>-to-<to>.md, e.g. "
                         "reports/MIGRATION-tf-keras-2.21-to-keras-jax-3.15.md")
    command.set_defaults(run=run_migrate)

    command = commands.add_parser(
        "issue", parents=[common],
        help="print a draft issue for the Keras tracker about one finding",
        description="Print, in markdown, a draft issue about a claim that does not hold in "
        "RESULTS: title, environment, standalone reproduction, observed, expected, related "
        "upstream threads.")
    command.add_argument("results", type=Path, metavar="RESULTS.json")
    command.add_argument("claim", metavar="CLAIM", help="a claim id, e.g. carry.index-i")
    command.set_defaults(run=run_issue)

    command = commands.add_parser(
        "site", parents=[common], help="a static HTML site of results files (opens from disk)",
        description="Write a browsable site: the claims matrix with filters, a page per claim "
        "(cases, messages, reproduction scripts, workarounds, upstream threads) and the "
        "benchmark figures across releases.")
    command.add_argument("results", type=Path, nargs="+", metavar="RESULTS")
    command.add_argument("-o", "--output", type=Path, default=Path("out/site"), metavar="DIR",
                         help="default: %(default)s")
    command.set_defaults(run=run_site)

    command = commands.add_parser(
        "claims", parents=[common], help="the catalogue of claims; `claims explain ID`: one "
        "claim's verdicts across the committed results")
    # `explain` is a word, not a sub-command: argparse's nested sub-commands would reset
    # --ascii given before it.
    command.add_argument("action", nargs="?", choices=["explain"],
                         help="explain ID: one claim's statement, source, kind, workarounds and "
                         "its verdict in each results file, by implementation and version")
    command.add_argument("claim", nargs="?", metavar="ID", help="a claim id, e.g. carry.index-i")
    command.add_argument("results", type=Path, nargs="*", metavar="RESULTS",
                         help="for explain (default: the committed results, "
                         "reports/results/*.json)")
    command.set_defaults(run=run_claims)

    command = commands.add_parser(
        "history", parents=[common], help="the claims across releases: HISTORY.md and figures",
        description="From the results files of `nox -s history` (one per implementation and "
        "release), write each claim's verdict across releases, the releases where it changed "
        "with the upstream threads, and one figure per implementation.")
    command.add_argument("folder", type=Path, nargs="?", default=history.FOLDER, metavar="DIR",
                         help="the history's results files (default: %(default)s)")
    command.add_argument("-o", "--output", type=Path, default=history.OUTPUT, metavar="OUT.md",
                         help="default: %(default)s")
    command.add_argument("--figures", type=Path, default=history.FIGURES, metavar="DIR",
                         help="one <implementation>.png each (default: %(default)s)")
    command.set_defaults(run=run_history)

    command = commands.add_parser(
        "bisect", parents=[common],
        help="the first release where a claim's verdict changed (installs the releases it tries)",
        description="Binary search over the releases from --good to --bad: each release it "
        "tries is installed once in a cached environment (uv), where only the claim's cases "
        "run; prints 'holds in A, fails from B' with both releases' notes.")
    command.add_argument("claim", metavar="CLAIM", help="a claim id, e.g. carry.index-i")
    command.add_argument("--impl", required=True, choices=sorted(releases.BACKENDS),
                         help="a built-in implementation")
    command.add_argument("--good", metavar="V", help="the first version searched (default: the "
                         "oldest), e.g. 3.10.0")
    command.add_argument("--bad", metavar="V", help="the last version searched (default: the "
                         "newest), e.g. 3.15.1")
    command.add_argument("--versions", metavar="FILE|LIST",
                         help="the versions to search, oldest first, instead of the releases "
                         "in harness/releases.py: a file with one a line or a comma-separated "
                         "list (nightlies by date: 3.16.0.dev2026100104,...)")
    command.add_argument("--cache", type=Path, default=bisect.default_cache(), metavar="DIR",
                         help="where the environments are kept (default: %(default)s)")
    command.set_defaults(run=run_bisect)
    return main_parser


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (ResultsError, BaselineError, MutationScoreError, bisect.BisectError,
            releases.UnknownRelease) as error:
        show(args, f"error: {error}", stream=sys.stderr)
    except OSError as error:  # an output that cannot be written, a script that cannot be read
        show(args, f"error: {error.filename}: {error.strerror}" if error.filename
             else f"error: {error}", stream=sys.stderr)
    except KeyboardInterrupt:
        show(args, "interrupted", stream=sys.stderr)
        return 130
    except Exception as error:  # a bug of the harness, not of the input: say so in one line
        if args.traceback:
            traceback.print_exc()
        show(args, f"internal error: {type(error).__name__}: {' '.join(str(error).split())}"
             + ("" if args.traceback else " (run again with --traceback to see where)"),
             stream=sys.stderr)
        return 3
    return 2


if __name__ == "__main__":
    sys.exit(main())
