"""``bisect CLAIM --impl IMPL``: the first release where a claim's verdict changed.

A binary search over an ordered list of versions (the releases of harness/releases.py between
``--good`` and ``--bad``, or the user's own list, nightlies by date for instance): both ends are
run first, then the middle of what is left between the last release with the first end's
verdict and the first release with another, until they are neighbours. Each release it tries
gets an environment of its own, built with uv once and kept in a cache folder, where only the
claim's cases run. A release that cannot be installed or whose run writes no verdict is left
out of the search, like ``git bisect skip``: when the boundary lies next to one, the answer
names it.

``search`` is the search alone: it takes a function from a version to its ``Trial``, so that
the tests feed it recorded results instead of installs; ``Installer`` is that function for real.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from harness import releases, results
from harness.paths import PROJECT_ROOT
from harness.results import ResultsError

PYTHON = "3.11"  # as noxfile.py: the newest Python that every release installs on
TORCH = "torch==2.13.0"  # as noxfile.py: the CPU build the project machines keep
# How a verdict reads in "holds in 3.10.0, errors from 3.11.0".
PHRASES = {"holds": "holds", "fails": "fails", "error": "errors", "inconclusive": "is inconclusive",
           "skipped": "is skipped"}


class BisectError(Exception):
    """Nothing to search (the ends agree, a version unknown, an end not testable); one line."""


@dataclass(frozen=True)
class Trial:
    """What one release gave: the claim's verdict, or None when it could not be tested
    (``note`` says why); ``note`` is otherwise the first non-holding case's message."""

    version: str
    verdict: str | None
    note: str = ""
    seconds: float = 0.0


@dataclass
class Result:
    before: Trial  # the last release with the verdict of the first end
    after: Trial  # the first release after it with another verdict
    untested: list[Trial]  # releases between the two that could not be tested
    trials: list[Trial] = field(default_factory=list)  # in the order they ran

    def sentence(self) -> str:
        return (f"{PHRASES[self.before.verdict]} in {self.before.version}, "
                f"{PHRASES[self.after.verdict]} from {self.after.version}")


def search(versions: Sequence[str], trial_of: Callable[[str], Trial]) -> Result:
    """The neighbours in ``versions`` (oldest first) between which the claim's verdict first
    differs from the first version's (any other verdict counts), assuming it changes once;
    ``trial_of`` runs one version."""
    if len(versions) < 2:
        raise BisectError(f"nothing to search between {list(versions)}: give two versions or more")
    trials: list[Trial] = []

    def run(index: int) -> Trial:
        trial = trial_of(versions[index])
        trials.append(trial)
        return trial

    first, last = run(0), run(len(versions) - 1)
    for end in (first, last):
        if end.verdict is None:
            raise BisectError(f"{end.version} could not be tested: {end.note}")
    if first.verdict == last.verdict:
        raise BisectError(f"the claim {PHRASES[first.verdict]} in both {first.version} and "
                          f"{last.version}: no change to find between them")
    # Invariant: versions[good] has the first end's verdict, versions[bad] another one.
    good, bad = 0, len(versions) - 1
    before, after = first, last
    untested: dict[int, Trial] = {}
    while True:
        left = [index for index in range(good + 1, bad) if index not in untested]
        if not left:
            break
        middle = left[len(left) // 2]
        trial = run(middle)
        if trial.verdict is None:
            untested[middle] = trial
        elif trial.verdict == first.verdict:
            good, before = middle, trial
        else:
            bad, after = middle, trial
    return Result(before, after,
                  [untested[index] for index in sorted(untested) if good < index < bad], trials)


def between(impl: str, good: str | None, bad: str | None,
            versions: Sequence[str] | None = None) -> list[str]:
    """The versions from ``good`` to ``bad`` (both included) in ``versions`` (default: the
    releases of ``impl``); without ``good``/``bad``, the first/the last."""
    versions = list(versions or releases.releases(impl))
    if len(versions) < 2:
        raise BisectError(f"nothing to search in {versions}: give two versions or more")
    for end in (good, bad):
        if end is not None and end not in versions:
            raise BisectError(f"{end} is not among the versions: {', '.join(versions)}")
    start = versions.index(good) if good else 0
    stop = versions.index(bad) if bad else len(versions) - 1
    if start >= stop:
        raise BisectError(f"--good {versions[start]} must come before --bad {versions[stop]}")
    return versions[start:stop + 1]


def read_versions(text: str) -> list[str]:
    """``--versions``: a file with one version a line (# comments), or a comma-separated list."""
    path = Path(text)
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]
    return [version.strip() for version in text.split(",") if version.strip()]


def trial_from_results(version: str, data: dict, claim: str) -> Trial:
    """The claim's verdict in a results file; a file that is not a finished run of it, or
    that ran none of its cases, leaves the release untested."""
    record = next((record for record in data["claims"] if record["id"] == claim), None)
    if record is None:
        return Trial(version, None, f"the results have no claim {claim}")
    if not data.get("complete"):
        return Trial(version, None, data.get("interrupted") or "the run did not finish")
    if not record["cases"] or record["verdict"] == "skipped":
        return Trial(version, None, "none of the claim's cases ran")
    message = next((case["message"] for case in record["cases"]
                    if case["verdict"] != "holds" and case["message"]), "")
    return Trial(version, record["verdict"], message.splitlines()[0][:200] if message else "")


def default_cache() -> Path:
    """Where the environments are kept: $STATEFUL_RNN_CACHE, else stateful-rnn/ in
    $XDG_CACHE_HOME or ~/.cache."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get("STATEFUL_RNN_CACHE") or Path(base) / "stateful-rnn")


def uv_environment() -> dict[str, str]:
    """uv reads no pip configuration: hand it pip's find-links, where the project machines keep
    the CPU build of torch (as .ci/run does). Elsewhere, set UV_EXTRA_INDEX_URL to a CPU index
    (https://download.pytorch.org/whl/cpu) for keras-torch."""
    environment = dict(os.environ)
    if "UV_FIND_LINKS" not in environment:
        find_links = environment.get("PIP_FIND_LINKS") or subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.find-links"],
            capture_output=True, text=True).stdout.strip()
        if find_links:
            environment["UV_FIND_LINKS"] = find_links
    return environment


class Installer:
    """A release's verdict for real: its environment (cached), then the claim's cases in it."""

    def __init__(self, impl: str, claim: str, cache: Path, requirements_of=None,
                 progress: Callable[[str], None] = print):
        self.impl, self.claim, self.cache, self.progress = impl, claim, cache, progress
        self.requirements_of = requirements_of or (
            lambda version: releases.requirements(impl, version))
        self.uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))

    def __call__(self, version: str) -> Trial:
        started = time.monotonic()
        try:
            python = self.environment(version)
        except subprocess.CalledProcessError as error:
            trial = Trial(version, None, f"not installed: {last_lines(error.stderr)}")
        else:
            trial = self.run(version, python)
        trial = Trial(trial.version, trial.verdict, trial.note, time.monotonic() - started)
        self.progress(f"{version}: {trial.verdict or 'not tested'} ({trial.seconds:.0f} s)"
                      + (f": {trial.note}" if trial.note else ""))
        return trial

    def environment(self, version: str) -> Path:
        """The environment of ``version``, built once: its folder is named by the release and
        a digest of what it installs, so new pins build a new one."""
        requirements = list(self.requirements_of(version))
        if releases.BACKENDS.get(self.impl) == "torch":
            requirements.append(TORCH)
        # The project is installed editable: one environment per checkout.
        key = "\n".join([PYTHON, str(PROJECT_ROOT), *requirements])
        digest = hashlib.sha256(key.encode()).hexdigest()[:10]
        folder = self.cache / "envs" / f"{self.impl}-{version}-{digest}"
        python = folder / "bin" / "python"
        if (folder / ".complete").exists():
            return python
        self.progress(f"{version}: installing {' '.join(requirements)} in {folder}")
        shutil.rmtree(folder, ignore_errors=True)  # an install that stopped half-way
        environment = uv_environment()
        subprocess.run([self.uv, "venv", "-q", "--python", PYTHON, str(folder)], check=True,
                       capture_output=True, text=True, env=environment)
        # A nightly is a dev version, which uv takes only when asked.
        prerelease = ["--prerelease", "allow"] if releases.nightly(version) else []
        subprocess.run([self.uv, "pip", "install", "-q", "--python", str(python), *prerelease,
                        "-e", str(PROJECT_ROOT), *requirements],
                       check=True, capture_output=True, text=True, env=environment)
        (folder / ".complete").touch()
        return python

    def run(self, version: str, python: Path) -> Trial:
        """The claim's cases on ``version``, in its environment, one process."""
        with tempfile.TemporaryDirectory(prefix="stateful-rnn-bisect-") as folder:
            path = Path(folder) / f"{self.impl}-{version}.json"
            command = [str(python), "-m", "pytest", "-c", "pyproject.toml", "suites/",
                       "--impl", self.impl, "--claim", self.claim, "--results", str(path),
                       "--no-report", "-p", "no:randomly", "-q", "-n", "0"]
            done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True,
                                  env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
            try:
                data = results.load(path)
            except ResultsError:
                return Trial(version, None, f"pytest exited with code {done.returncode} and no "
                             f"results: {last_lines(done.stdout + done.stderr)}")
            return trial_from_results(version, data, self.claim)


def last_lines(text: str | None, count: int = 3) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return " / ".join(lines[-count:]) or "no output"


def render(result: Result, impl: str, claim: str, changelog=None) -> str:
    """The answer, the two releases' release notes, and every release tried."""
    changelog = changelog or (lambda version: releases.changelog(impl, version))
    lines = [f"{claim} on {impl}: {result.sentence()}",
             f"  {result.before.version}: {changelog(result.before.version)}",
             f"  {result.after.version}: {changelog(result.after.version)}"]
    if result.after.note:
        lines.append(f"  {result.after.version} says: {result.after.note}")
    if result.untested:
        lines.append("  could not be tested between them, so the change may lie in: "
                     + "; ".join(f"{trial.version} ({trial.note})" for trial in result.untested))
    lines.append(f"tried {len(result.trials)} releases in "
                 f"{sum(trial.seconds for trial in result.trials):.0f} s: "
                 + ", ".join(f"{trial.version} {trial.verdict or 'not tested'}"
                             for trial in result.trials))
    return "\n".join(lines) + "\n"
