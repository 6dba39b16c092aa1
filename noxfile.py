"""The version matrix: the conformance suite on each implementation at several releases.

    pip install "nox[uv]"            # or: pip install nox uv  (uv builds the environments)
    nox -l                           # the sessions
    nox                              # every release of every implementation, then the comparison
    nox -t keras-torch               # one implementation's releases (tags: the implementation
    nox -t default                   #   names, "default" for today's releases, "old" for the rest)
    nox -s "suite(keras-tensorflow-3.5)" -- -k "LSTM and bs3"   # arguments after -- go to pytest
    nox -s compare                   # reports/COMPARISON.md from the results there are
    nox -t article                   # the article's own (slow) recipes on keras-tensorflow and
                                     #   tf-keras, 70-76 minutes each on a 2-core machine
    nox -t nightly                   # keras-nightly on TensorFlow, JAX and PyTorch, tf-keras-nightly
                                     #   on tf-nightly; not part of a plain ``nox``
    nox -s history -- --claim 'carry.*'   # every Keras 3 release on each backend, every tf-keras
                                     #   from 2.15, not-slow tier: reports/history/ (see below)

Each ``suite`` session builds its own environment (Python 3.11, uv), installs exactly one
release of one implementation, runs ``pytest suites/`` on it and writes
``reports/results/<implementation>-<version>.json``. The version is the Keras release, or the
tf-keras release for ``tf-keras``. Today's releases run against the baseline
``suites/baselines/<implementation>.txt`` when that file exists, and fail the session on any
unexpected result; older releases run without a baseline: what does not hold there is a
finding, so test failures do not fail their session.

The ``nightly`` sessions install the newest nightly (``keras-nightly``, ``tf-nightly``,
``tf-keras-nightly``; jax and torch stay at the releases of the default rows), run the suite
against the release's baseline (what it does not expect fails no session) and write
``reports/results/<implementation>-nightly.json`` (the results
file records the exact dev versions; the comparison names the column by them), then gate it
against the release baseline ``suites/baselines/<implementation>.txt`` (and its reference
``.json``) into ``reports/<implementation>-nightly-gate.md``: what the next release changes.
The gate's verdict does not fail the session (a nightly may change anything; that is the news).

The ``history`` sessions are one cell each of the claims' history (``reports/HISTORY.md``):
every Keras 3 release from 3.0.0 on TensorFlow, JAX and PyTorch and every tf-keras release from
2.15, each with the backend and NumPy of its release's day (``harness/releases.py``: the list,
the pins and why). Each runs the not-slow tier, or what the arguments after ``--`` choose, and
keeps a compact copy of its results in ``reports/history/<implementation>-<release>.json``;
``python -m harness history`` turns them into HISTORY.md and its figures. With ``--claim
carry.index-i`` a keras-torch cell took 25-134 s here, median 41 s (2026-12-07, 39 cells, most of
it the install: 20-50 s once uv's cache holds the wheels), a tf-keras cell 35-81 s; the whole
not-slow tier on keras-torch 3.15.0 took 32 s. The whole history is 128 environments, hours on
one machine, which the example workflow's history job spreads over CI runners.

A session whose environment cannot be built, or whose pytest stops before writing its results,
still leaves a results file: every claim ``error``, with the reason as the message, so the
comparison shows that row instead of losing it. The session fails all the same, and nox goes on
with the next one (as it always does, unless given ``-x``).

torch is installed with pip, not uv, and pinned to 2.13.0: the project machines keep a CPU
build of it that pip finds through its own configuration, while uv would download a
multi-gigabyte CUDA build. Elsewhere, point pip at a CPU index for that step with
``PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu``.
"""

from __future__ import annotations

import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nox

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
# A plain ``nox`` runs the matrix and the comparison; the article sessions take too long for it.
nox.options.sessions = ["suite", "compare"]

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # harness.releases needs only the standard library
from harness import releases  # noqa: E402

RESULTS = Path("reports/results")
HISTORY = Path("reports/history")
# A history cell's own results file, with its scripts, before it is compacted into HISTORY.
HISTORY_RUNS = Path("out/history")
BASELINES = Path("suites/baselines")
PYTHON = "3.11"  # the newest Python that every release below installs on (tensorflow 2.15)
TORCH = "torch==2.13.0"


@dataclass(frozen=True)
class Release:
    impl: str  # a built-in implementation of harness/implementations.py
    version: str  # the keras release (the tf-keras release for tf-keras)
    backend: str
    requirements: tuple[str, ...]  # installed with the project (torch comes separately)
    default: bool = False  # the release installed by default, which the baselines are about
    nightly: bool = False  # a nightly build: the latest there is when the session runs
    history: bool = False  # a cell of the history (harness/releases.py), not of the matrix

    @property
    def id(self) -> str:
        return f"{self.impl}-{self.version}"

    @property
    def results(self) -> Path:
        return (HISTORY_RUNS if self.history else RESULTS) / f"{self.id}.json"

    @property
    def article_results(self) -> Path:
        return RESULTS / f"{self.id}-article.json"

    @property
    def baseline(self) -> Path | None:
        path = BASELINES / f"{self.impl}.txt"
        # A nightly runs against the release's baseline too, as the release's run did
        # (sequence.any-order.beyond-known leaves out the operations it lists), so the gate
        # compares like with like.
        return path if (self.default or self.nightly) and path.exists() else None

    @property
    def gate_summary(self) -> Path:
        return Path("reports") / f"{self.id}-gate.md"


# Oldest first within an implementation, so that the comparison reads left to right in time.
# Each older release gets the backend and NumPy of its day, so that a difference in a claim
# comes from the release, not from a backend or NumPy years newer than it.
MATRIX = [
    # Keras 3.5 (August 2024): tensorflow 2.17 (which keeps NumPy below 2).
    Release("keras-tensorflow", "3.5", "tensorflow", ("keras==3.5.*", "tensorflow==2.17.*")),
    # Keras 3.10 (May 2025): tensorflow 2.19.
    Release("keras-tensorflow", "3.10", "tensorflow",
            ("keras==3.10.*", "tensorflow==2.19.*", "numpy<2.3")),
    Release("keras-tensorflow", "3.15", "tensorflow", ("keras==3.15.*", "tensorflow==2.21.*"),
            default=True),
    Release("keras-jax", "3.5", "jax", ("keras==3.5.*", "jax[cpu]==0.4.31", "numpy<2.1")),
    Release("keras-jax", "3.10", "jax", ("keras==3.10.*", "jax[cpu]==0.6.*", "numpy<2.3")),
    Release("keras-jax", "3.15", "jax", ("keras==3.15.*", "jax[cpu]==0.10.*"), default=True),
    # torch stays 2.13.0 everywhere (see above): only Keras changes in these rows.
    Release("keras-torch", "3.5", "torch", ("keras==3.5.*", "numpy<2.1")),
    Release("keras-torch", "3.10", "torch", ("keras==3.10.*", "numpy<2.3")),
    Release("keras-torch", "3.15", "torch", ("keras==3.15.*",), default=True),
    # tf-keras follows tensorflow's version numbers; 2.15 is the last Keras 2 bundled with TF.
    Release("tf-keras", "2.15", "tensorflow", ("tf-keras==2.15.*", "tensorflow==2.15.*")),
    Release("tf-keras", "2.17", "tensorflow", ("tf-keras==2.17.*", "tensorflow==2.17.*")),
    Release("tf-keras", "2.21", "tensorflow", ("tf-keras==2.21.*", "tensorflow==2.21.*"),
            default=True),
]


# The next releases: each nightly with the backend of the default row (jax 0.10, torch 2.13.0;
# tf-nightly is the backend of the TensorFlow rows). tf-nightly itself requires keras-nightly,
# never keras, and the project installs no keras of its own (only its extras do), so each of
# these environments has one ``keras`` distribution, the nightly (checked after the install).
# The ">=...dev0" lower bounds are newer than every release and let uv take dev versions.
NIGHTLIES = [
    Release("keras-tensorflow", "nightly", "tensorflow",
            ("keras-nightly>=3.16.0.dev0", "tf-nightly>=2.23.0.dev0"), nightly=True),
    Release("keras-jax", "nightly", "jax", ("keras-nightly>=3.16.0.dev0", "jax[cpu]==0.10.*"),
            nightly=True),
    Release("keras-torch", "nightly", "torch", ("keras-nightly>=3.16.0.dev0",), nightly=True),
    Release("tf-keras", "nightly", "tensorflow",
            ("tf-keras-nightly>=2.23.0.dev0", "tf-nightly>=2.23.0.dev0"), nightly=True),
]


@nox.session(python=PYTHON)
@nox.parametrize(
    "release",
    [nox.param(release, id=release.id,
               tags=[release.impl, "default" if release.default else "old"])
     for release in MATRIX],
)
def suite(session: nox.Session, release: Release) -> None:
    """Run the suite on one release of one implementation."""
    run_suite(session, release, MATRIX)


@nox.session(python=PYTHON)
@nox.parametrize("release", [nox.param(release, id=release.id, tags=["nightly"])
                             for release in NIGHTLIES])
def nightly(session: nox.Session, release: Release) -> None:
    """The suite on the newest nightly of one implementation, then the gate against the
    release baseline: ``reports/results/<implementation>-nightly.json``, its report
    ``reports/<implementation>-nightly.md`` and ``reports/<implementation>-nightly-gate.md``.

    The committed nightly results were run with ``-- -m "not slow"`` (the cosine benchmarks
    take many minutes per environment on a 2-core machine): their gate marks the benchmarks and
    slow cases ``x`` (left out), not gone. A plain ``nox -t nightly`` runs everything.
    """
    run_suite(session, release, NIGHTLIES)
    results = str(release.results)
    session.run("python", "-m", "harness", "report", results,
                "-o", str(Path("reports") / f"{release.results.stem}.md"))
    # Exit 1 is the gate's verdict (something differs for the worse), which is the news here;
    # 2 (it could not compare) still fails the session.
    session.run("python", "-m", "harness", "gate", "--baseline", str(BASELINES), results,
                "--summary", str(release.gate_summary), success_codes=[0, 1])


# The history: every release of harness/releases.py, each with the backend of its day.
HISTORY_CELLS = [Release(impl, version, releases.BACKENDS[impl],
                         releases.requirements(impl, version), history=True)
                 for impl in releases.BACKENDS for version in releases.releases(impl)]


@nox.session(python=PYTHON, tags=["history"])
@nox.parametrize("release", [nox.param(release, id=release.id) for release in HISTORY_CELLS])
def history(session: nox.Session, release: Release) -> None:
    """The not-slow tier on one release of the history: ``reports/history/<id>.json``.

    ``nox -s history`` runs every cell (tens of environments, hours on one machine: the example
    workflow runs them in parallel); ``nox -s history -k keras-torch -- --claim 'carry.*'`` the
    carry claims on keras-torch's releases. Arguments after ``--`` go to pytest after
    ``-m "not slow"``. A cell that cannot be installed or run is a results file of errors with
    the reason, as in the matrix. Then ``python -m harness history`` writes reports/HISTORY.md.
    """
    try:
        run_suite(session, release, HISTORY_CELLS, ["-m", "not slow", *session.posargs])
    finally:
        keep_history_cell(session, release)


def keep_history_cell(session: nox.Session, release: Release) -> None:
    """The cell's results file, compacted (harness.history.compact), into HISTORY."""
    from harness import history, results

    if not release.results.exists():
        return
    kept = HISTORY / release.results.name
    results.write_atomic(kept, history.compact(results.load(release.results)))
    session.log(f"{release.id}: kept in {kept} ({kept.stat().st_size // 1024} KiB)")


def run_suite(session: nox.Session, release: Release, matrix: list[Release],
              pytest_args: list[str] | None = None) -> None:
    """Install ``release``, run the suite on it and write its results file; ``pytest_args``
    (default: the session's arguments) go to pytest after the suite's own."""
    pytest_args = session.posargs if pytest_args is None else pytest_args
    begun = progress(session, release, matrix)
    results = release.results
    # A results file of an earlier run would pass for this one's if this one wrote none.
    results.unlink(missing_ok=True)
    session.log(f"{release.id}: installing {' '.join(release.requirements)}"
                + (f" and {TORCH} (pip)" if release.backend == "torch" else ""))
    started = time.monotonic()
    try:
        install(session, release)
    except nox.command.CommandFailed as error:
        record_failure(session, release, "the install of the environment",
                       f"the environment could not be built: {error}")
        raise
    session.log(f"{release.id}: installed in {time.monotonic() - started:.0f} s")
    if release.nightly:
        # keras and keras-nightly share the import name: the nightly must be alone.
        session.run("python", "-c", ONE_KERAS, silent=False)

    # -c: this checkout's configuration and rootdir, whatever paths the arguments name.
    arguments = ["-c", "pyproject.toml", "suites/", "--impl", release.impl]
    if release.baseline is not None:
        arguments += ["--baseline", str(release.baseline)]
        # Against the baseline anything unexpected fails the session; on a nightly it is what
        # the next release changes, which the gate below reports.
        success_codes = [0, 1] if release.nightly else [0]
    else:
        success_codes = [0, 1]  # no baseline: failing claims are findings, not a broken run
    started = time.monotonic()
    try:
        # The compare session writes the published reports; no report beside the results here.
        session.run("python", "-m", "pytest", *arguments, "--results", str(results),
                    "--no-report", *pytest_args, success_codes=success_codes)
    except nox.command.CommandFailed as error:
        # A run that stopped mid-way (a crash, a hang) kept its cases in the progress file: it
        # is published as it is, marked incomplete, so the report shows how far it got. Without
        # one pytest stopped before any check.
        sys.path.insert(0, str(ROOT))  # harness.results needs only the stdlib
        from harness.results import partial_path

        progress_file = partial_path(results)
        if progress_file.exists():
            os.replace(progress_file, results)
        elif not results.exists():
            record_failure(session, release, "the start of pytest",
                           f"pytest exited with code {return_code(error)} before writing any "
                           f"result: {why_it_stopped(session, arguments + pytest_args)}")
        raise
    finally:
        session.log(f"{release.id}: suite ran in {time.monotonic() - started:.0f} s; "
                    f"results {results}")
        FINISHED[release.id] = time.monotonic() - begun


# Environments of the matrix finished in this nox run, with their wall time (install + suite).
FINISHED: dict[str, float] = {}


# Run in a nightly environment: fails unless exactly one distribution provides ``keras``
# (keras-nightly; tf-keras-nightly provides ``tf_keras``), and prints the versions installed.
ONE_KERAS = """
import importlib.metadata as metadata
names = {d.metadata["Name"].lower().replace("_", "-") for d in metadata.distributions()}
kerases = sorted(names & {"keras", "keras-nightly"})
assert kerases == ["keras-nightly"], f"keras distributions installed: {kerases}"
print(", ".join(f"{name} {metadata.version(name)}" for name in sorted(names) if name in (
    "keras-nightly", "tf-nightly", "tf-keras-nightly", "jax", "torch")))
"""


def progress(session: nox.Session, release: Release, matrix: list[Release]) -> float:
    """Say where the matrix is: which environment of how many, and what the finished ones
    took; returns the start time of this one."""
    done = ", ".join(f"{name} {seconds / 60:.1f} min" for name, seconds in FINISHED.items())
    session.log(f"environment {matrix.index(release) + 1} of {len(matrix)}: {release.id}"
                + (f" (finished: {done})" if done else ""))
    return time.monotonic()


# The article's recipes, run beside ours, on the two implementations the issue asks figures for.
ARTICLE_RELEASES = [release for release in MATRIX
                    if release.default and release.impl in ("keras-tensorflow", "tf-keras")]


@nox.session(python=PYTHON)
@nox.parametrize("release", [nox.param(release, id=release.id, tags=["article"])
                             for release in ARTICLE_RELEASES])
def article(session: nox.Session, release: Release) -> None:
    """The four cosine models by the article's recipe and by ours, in one run; then its report.

    Both recipes run in the same process, so the fast/article training-time ratio compares
    like with like. Writes ``reports/results/<release>-article.json`` and
    ``reports/<release>-article.md``.
    """
    install(session, release)
    results = release.article_results
    session.run("python", "-m", "pytest", "-c", "pyproject.toml", "suites/test_cosine.py",
                "--impl", release.impl, "--article", "-k", "test_cosine or instability",
                "--results", str(results), *session.posargs)
    session.run("python", "-m", "harness", "report", str(results),
                "-o", str(Path("reports") / f"{results.stem}.md"))


def install(session: nox.Session, release: Release) -> None:
    """Install the project and ``release``; output goes to a log, shown and kept on failure."""
    log = Path(session.create_tmp()) / "install.log"
    with log.open("w", encoding="utf-8") as stream:
        try:
            if release.backend == "torch":
                session.install("pip", silent=False, stdout=stream)
                session.run("python", "-m", "pip", "install", TORCH, silent=False,
                            stdout=stream)
            session.install("-e", ".", *release.requirements, silent=False, stdout=stream)
        except nox.command.CommandFailed as error:
            stream.flush()
            lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            session.warn("\n".join(lines[-25:]))
            # uv and pip say why on their "error:"/"ERROR:" lines, and uv's causes after them.
            said = [line.strip() for line in lines
                    if re.match(r"\s*(?:(?:error|ERROR|cause|Because)\b|×|╰─▶)", line)]
            raise nox.command.CommandFailed(
                f"{error}: {' '.join(said[-8:] or [line.strip() for line in lines[-6:]])} "
                f"(log: {log})",
                return_code=return_code(error),
            ) from None


def return_code(error: nox.command.CommandFailed):
    return getattr(error, "return_code", None) or error.reason


def why_it_stopped(session: nox.Session, arguments: list[str]) -> str:
    """What pytest says when it only collects with the same arguments (and no results file)."""
    output = session.run("python", "-m", "pytest", *arguments, "--collect-only", "-q",
                         silent=True, log=False,
                         success_codes=range(-255, 256))
    lines = [line.strip() for line in str(output).splitlines() if line.strip()]
    said = [line for line in lines if line.startswith(("Exit:", "E ", "ERROR")) or "rror:" in line]
    if said:
        return " ".join(said[-4:])
    return "it collects without error; see the session's log for the crash"


def record_failure(session: nox.Session, release: Release, stage: str, message: str) -> None:
    """A results file in which every claim is ``error`` with ``message``, for the comparison."""
    sys.path.insert(0, str(ROOT))  # harness.results and suites.claims need only the stdlib
    from harness import results
    from harness.environment import environment
    from suites.claims import CLAIMS

    nodeid = f"nox session {session.name}"
    case = results.case_record(nodeid, "error", message, outcome="error")
    data = results.document(
        # "not run" keeps this column apart from a real run of the release ("3.5.0").
        implementation={"name": release.impl, "spec": release.impl,
                        "keras": f"{release.version}, not run", "backend": release.backend,
                        "backend_version": "?"},
        # The session's Python, not nox's; no numpy was installed for it.
        environment=environment(python=PYTHON, numpy=None),
        suite={"duration_s": 0.0, "pytest_args": list(session.posargs),
               "baseline": str(release.baseline) if release.baseline else None,
               "baseline_unmatched": []},
        # One case, on the first claim: the comparison footnotes it once, not per claim.
        claims=[results.claim_record(claim, [case] if index == 0 else [], verdict="error")
                for index, claim in enumerate(CLAIMS.values())],
        benchmarks=[], complete=False, running=stage, interrupted=message,
    )
    results.write_atomic(release.results, data)
    session.warn(f"{release.id}: recorded as a row of errors in {release.results}: {message}")


@nox.session(python=PYTHON)
def compare(session: nox.Session) -> None:
    """reports/COMPARISON.md and one report per results file, from the matrix's results
    (and a report of each article run there is).

    Arguments after ``--`` replace the results files, e.g. ``nox -s compare -- a.json b.json``.
    """
    if session.posargs:
        paths = list(session.posargs)
    else:
        # Only the matrix's files, in its order: a file from another run (reports/results/
        # keras-tensorflow.json) would be a second column of the same name and version.
        # Each implementation's nightly, when one ran, after its releases.
        rows = [release for impl in dict.fromkeys(release.impl for release in MATRIX)
                for release in MATRIX + NIGHTLIES if release.impl == impl]
        paths = [str(release.results) for release in rows if release.results.exists()]
        missing = [release.id for release in MATRIX if not release.results.exists()]
        if missing:
            session.warn(f"no results yet for {', '.join(missing)}")
    if not paths:
        session.error(f"no results files in {RESULTS}: run the suite sessions first")
    session.install("-e", ".")
    failed = []
    # The article runs get their own reports (their claims are not checked, so no column).
    articles = [] if session.posargs else [
        str(release.article_results) for release in ARTICLE_RELEASES
        if release.article_results.exists()]
    for path in paths + articles:
        try:
            session.run("python", "-m", "harness", "report", path,
                        "-o", str(Path("reports") / f"{Path(path).stem}.md"))
        except nox.command.CommandFailed:
            failed.append(path)
    session.run("python", "-m", "harness", "compare", *paths, "-o", "reports/COMPARISON.md")
    if failed:
        session.error(f"no report for {', '.join(failed)}")


@nox.session(venv_backend="none", tags=["selftest"])
def selftest(session: nox.Session) -> None:
    """The project's own tests, unit and system (real suite runs), in this environment, as CI."""
    session.run(sys.executable, "-m", "pytest", "tests/", "--system", "-n", "2", "-p",
                "no:randomly", *session.posargs, external=True)


@nox.session(venv_backend="none", tags=["mutation"])
def mutation(session: nox.Session) -> None:
    """The full-width mutation score: the whole not-slow suite on each base implementation
    unmutated and on each mutant of ``fixtures/mutants``, one process at a time, in the
    interpreter running nox (the project's environment, where the four built-ins are installed).
    Writes ``reports/mutation-score.json`` (with each mutant's collateral) and fails below 100 %.

    Arguments after ``--`` go to ``python -m tests.mutation_full``, e.g.
    ``nox -s mutation -- --only mutant-no-state --output /tmp/score.json``.
    """
    session.run(sys.executable, "-m", "tests.mutation_full", *session.posargs,
                env={"PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}, external=True)


@nox.session(python=PYTHON)
def reports(session: nox.Session) -> None:
    """Every committed report regenerated from the committed results, then the site: each
    ``reports/<stem>.md``, ``reports/COMPARISON.md``, the migration reports and the nightly gate
    summaries (``harness/published.py`` lists them with their commands), and ``out/site/``.
    ``git status`` then shows what was stale; ``tests/test_published.py`` fails on the same.
    The reproduction scripts are not committed: ``python -m harness repro RESULTS`` writes them
    from the checks each case recorded, and runs them.
    """
    sys.path.insert(0, str(ROOT))  # harness.published needs only the stdlib
    from harness import published

    session.install("-e", ".")
    for item in published.plan(ROOT):
        # The gate exits 1 when the nightly is worse than the release baseline: that is its news.
        session.run("python", "-m", "harness", *item.command,
                    success_codes=[0, 1] if item.command[0] == "gate" else [0])
    session.run("python", "-m", "harness", *published.site_command(ROOT))
