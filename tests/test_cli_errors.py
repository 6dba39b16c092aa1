"""Tests for ``python -m harness``'s handling of bad input, its exit codes, the console's
encoding and the order of the comparison's columns (harness/__main__.py, harness/results.py's
``load``, harness/markdown.py's ``console_text``, harness/compare.py's ``column_order``).

Each bad input is a real results file of tests/data/findings/ (with its repro scripts) with one
thing made wrong: exit 2 and one ``error: <file>: <what>`` line, never a traceback.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness import report
from harness.__main__ import main
from harness.paths import PROJECT_ROOT

FINDINGS = PROJECT_ROOT / "tests" / "data" / "findings"
REAL = "keras-tensorflow-3.15.json"  # reset.model does not hold in it, carry.stacked holds
# Benchmark rows of a real run (the findings' run made none).
BENCHMARKS = json.loads(
    (PROJECT_ROOT / "reports" / "results" / REAL).read_text("utf-8"))["benchmarks"]
OTHER = FINDINGS / "tf-keras-2.21.json"
COMMANDS = ("report", "compare", "gate", "repro", "migrate", "issue")
KNOWN = "(known: fails, error, inconclusive, holds, skipped)"


@pytest.fixture
def findings(tmp_path):
    """A copy of the real results files and their repro scripts."""
    return Path(shutil.copytree(FINDINGS, tmp_path / "findings"))


def corrupted(findings: Path, change) -> Path:
    """The real results file after ``change(data)``, written back."""
    path = findings / REAL
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def claim(data: dict, claim_id: str) -> dict:
    return next(claim for claim in data["claims"] if claim["id"] == claim_id)


def argv(command: str, path: Path) -> list[str]:
    """``command`` reading the results file ``path`` (and, for migrate, a good second one)."""
    out = str(path.with_name("out.md"))
    return {"report": ["report", str(path), "-o", out],
            "compare": ["compare", str(path), "-o", out],
            "gate": ["gate", "--baseline", str(PROJECT_ROOT / "suites" / "baselines"), str(path)],
            "repro": ["repro", str(path)],
            "migrate": ["migrate", str(path), str(OTHER), "-o", out],
            "issue": ["issue", str(path), "reset.model"]}[command]


def run(capsys, arguments: list[str]) -> tuple[int, list[str], str]:
    """(exit code, stderr lines, stdout) of ``python -m harness`` in this process."""
    code = main(arguments)
    captured = capsys.readouterr()
    return code, captured.err.splitlines(), captured.out


def bad_input(capsys, arguments: list[str]) -> tuple[int, list[str], bool]:
    """(exit code, stderr lines, whether the output file was written)."""
    code, err, _ = run(capsys, arguments)
    written = "-o" in arguments and Path(arguments[arguments.index("-o") + 1]).exists()
    return code, err, written


@pytest.mark.parametrize("command", COMMANDS)
def test_results_file_not_utf8(findings, capsys, command):
    """A results file with a byte that is not UTF-8 (a cp1252 'ö' in a message)."""
    path = findings / REAL
    text = path.read_bytes().replace(b'"message": "', b'"message": "\xf6', 1)
    path.write_bytes(text)
    byte = text.index(b"\xf6")
    expected = (2, [f"error: {path}: not UTF-8 (byte {byte}): corrupt results file"], False)
    assert expected == bad_input(capsys, argv(command, path))


@pytest.mark.parametrize("command", COMMANDS)
def test_claims_not_a_list(findings, capsys, command):
    """``"claims": "oops"``."""
    path = corrupted(findings, lambda data: data.update(claims="oops"))
    expected = (2, [f"error: {path}: claims: a string, not a list"], False)
    assert expected == bad_input(capsys, argv(command, path))


def set_in_case(claim_id: str, key: str, value):
    def change(data):
        claim(data, claim_id)["cases"][0][key] = value
    return change


def case_nodeid(claim_id: str) -> str:
    data = json.loads((FINDINGS / REAL).read_text(encoding="utf-8"))
    return claim(data, claim_id)["cases"][0]["nodeid"]


# (bad input, the command that used to fail on it, the change, what the error line says)
MALFORMED = {
    "implementation without a name": (
        "report", lambda data: data["implementation"].pop("name"), "implementation: no 'name'"),
    "a claim that is a string": (
        "compare", lambda data: data["claims"].insert(0, "carry.stacked"),
        "claim #1: a string, not an object"),
    "a claim without cases": (
        "report", lambda data: claim(data, "carry.stacked").pop("cases"),
        "claim 'carry.stacked': no 'cases'"),
    "cases that are not a list": (
        "migrate", lambda data: claim(data, "reset.model").update(cases="none"),
        "claim 'reset.model': 'cases' is a string, not a list"),
    "a case without a node id": (
        "report", lambda data: claim(data, "carry.stacked")["cases"][0].pop("nodeid"),
        "claim 'carry.stacked', case #1: no 'nodeid'"),
    "a duration that is a string": (
        "report", set_in_case("carry.stacked", "duration_s", "1.5 s"),
        f"claim 'carry.stacked', case '{case_nodeid('carry.stacked')}': 'duration_s' is a "
        "string, not a number"),
    "a repro path that is a number": (
        "repro", set_in_case("reset.model", "repro", 7),
        f"claim 'reset.model', case '{case_nodeid('reset.model')}': 'repro' is a number, not "
        "a string"),
    "pytest arguments that are a number": (
        "report", lambda data: data["suite"].update(pytest_args=5),
        "suite: 'pytest_args' is a number, not a list"),
    "benchmarks that are not a list": (
        "report", lambda data: data.update(benchmarks="none"),
        "benchmarks: a string, not a list"),
    "a benchmark row whose model is a list": (
        "compare", lambda data: data.update(benchmarks=[
            BENCHMARKS[0], {**BENCHMARKS[1], "model": ["stateless"]}]),
        "benchmark row #2: 'model' is a list, not a string"),
    "a target that is a string": (
        "report", lambda data: data.update(benchmarks=[
            {**row, "target_mse": "0.012"} for row in BENCHMARKS if "dropout_floor_mse" in row]),
        "benchmark row #1: 'target_mse' is a string, not a number"),
    "an unknown claim verdict (report)": (
        "report", lambda data: claim(data, "reset.model").update(verdict="maybe"),
        f"claim 'reset.model': unknown verdict 'maybe' {KNOWN}"),
    "an unknown claim verdict (compare)": (
        "compare", lambda data: claim(data, "reset.model").update(verdict="maybe"),
        f"claim 'reset.model': unknown verdict 'maybe' {KNOWN}"),
    "an unknown claim verdict (migrate)": (
        "migrate", lambda data: claim(data, "reset.model").update(verdict="maybe"),
        f"claim 'reset.model': unknown verdict 'maybe' {KNOWN}"),
    "an unknown case verdict (issue)": (
        "issue", set_in_case("reset.model", "verdict", "maybe"),
        f"case '{case_nodeid('reset.model')}': unknown verdict 'maybe' {KNOWN}"),
}


@pytest.mark.parametrize("what", MALFORMED)
def test_malformed_results_file(findings, capsys, what):
    """Valid JSON of the wrong shape: one line naming the part and what is wrong with it."""
    command, change, said = MALFORMED[what]
    path = corrupted(findings, change)
    assert (2, [f"error: {path}: {said}"], False) == bad_input(capsys, argv(command, path))


def test_gate_fails_on_an_unknown_verdict(findings, capsys, tmp_path):
    """The gate reads a file with an unknown verdict and fails on it: exit 1, one `!` line
    naming the case (not exit 2: the run said something the gate cannot take as nothing)."""
    baseline = tmp_path / "baseline"
    assert 0 == main(["gate", "--baseline", str(baseline), str(findings / REAL), "--update"])
    path = corrupted(findings, set_in_case("carry.stacked", "verdict", "maybe"))
    capsys.readouterr()
    code, err, out = run(capsys, ["gate", "--baseline", str(baseline), str(path)])
    marked = [line for line in out.splitlines()
              if line.startswith("| `!`") and "unknown verdict 'maybe'" in line]
    assert (1, [], 1, True) == (code, err, len(marked),
                                f"`{case_nodeid('carry.stacked')}`" in marked[0])


def test_issue_of_a_claim_recorded_without_cases(findings, capsys):
    """A claim that does not hold but has no case that does not hold (nox's record of a failed
    session gives every claim but the first the verdict error and no case)."""
    def change(data):
        claim(data, "reset.model")["cases"] = []
    path = corrupted(findings, change)
    expected = (2, [f"error: {path}: claim 'reset.model' is error but has no non-holding case "
                    "(0 cases): nothing to draft"], False)
    assert expected == bad_input(capsys, argv("issue", path))


def test_issue_with_a_script_not_utf8(findings, capsys):
    """The case's standalone script is not UTF-8."""
    data = json.loads((findings / REAL).read_text(encoding="utf-8"))
    script = findings / claim(data, "reset.model")["cases"][0]["repro"]
    text = script.read_bytes().replace(b"import", b"\xf6import", 1)
    script.write_bytes(text)
    byte = text.index(b"\xf6")
    expected = (2, [f"error: {script}: not UTF-8 (byte {byte}): not a script the suite wrote"],
                False)
    assert expected == bad_input(capsys, argv("issue", findings / REAL))


def test_migrate_with_a_workaround_case_of_no_python_file(tmp_path, capsys):
    """A verified workaround whose node id names a file that is not Python: the migration is
    written, and its recipe comes from the catalogue, not from the file the node id names."""
    data = json.loads((PROJECT_ROOT / "reports/results/keras-jax-3.15.json").read_text("utf-8"))
    workarounds = [c for c in data["claims"] if c["kind"] == "workaround" and c["verdict"] == "holds"]
    for workaround in workarounds:
        for case in workaround["cases"]:
            case["nodeid"] = "README.md::" + case["nodeid"].split("::", 1)[1]
    after = tmp_path / "keras-jax-3.15.json"
    after.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "migration.md"
    code, err, _ = run(capsys, ["migrate", str(FINDINGS / "tf-keras-2.21.json"), str(after),
                                "-o", str(out)])
    text = out.read_text(encoding="utf-8")
    assert (0, [], True) == (code, err, "\ndef call_batch_by_batch(model, batches):" in text)


class TestInternalError:
    """A bug of the harness: exit 3 and one line, the traceback only when asked for."""

    @pytest.fixture
    def broken_report(self, monkeypatch):
        def render(*args, **kwargs):
            raise KeyError("verdict")
        monkeypatch.setattr(report, "render", render)

    def test_one_line(self, broken_report, capsys, tmp_path):
        """Without --traceback: one line that says how to see where."""
        arguments = argv("report", FINDINGS / REAL)
        arguments[-1] = str(tmp_path / "out.md")
        expected = (3, ["internal error: KeyError: 'verdict' (run again with --traceback to "
                        "see where)"], False)
        assert expected == bad_input(capsys, arguments)

    def test_traceback_option(self, broken_report, capsys, tmp_path):
        """With --traceback: the traceback, then the line, still exit 3."""
        code, err, _ = run(capsys, ["report", str(FINDINGS / REAL), "-o",
                                    str(tmp_path / "out.md"), "--traceback"])
        assert (3, "Traceback (most recent call last):", "internal error: KeyError: 'verdict'") \
            == (code, err[0], err[-1])


def harness(*arguments: str, encoding: str) -> subprocess.CompletedProcess:
    """``python -m harness`` in a fresh process whose console has ``encoding``."""
    return subprocess.run([sys.executable, "-m", "harness", *arguments], capture_output=True,
                          cwd=PROJECT_ROOT, env={**os.environ, "PYTHONIOENCODING": encoding})


class TestConsoleEncoding:
    """A console that cannot encode the verdict symbols (cp1252) gets ASCII marks."""

    def test_gate_on_cp1252(self, tmp_path, capsys):
        """The gate's verdict line in ASCII, exit 0 (not a crash with exit 1, the code of
        "got worse")."""
        baseline = tmp_path / "baseline"
        assert 0 == main(["gate", "--baseline", str(baseline), str(FINDINGS / REAL), "--update"])
        completed = harness("gate", "--baseline", str(baseline), str(FINDINGS / REAL),
                            encoding="cp1252")
        first = completed.stdout.decode("cp1252").splitlines()[0]
        assert (0, b"", "# Gate: [ok] nothing got worse") == (
            completed.returncode, completed.stderr, first)

    def test_issue_on_cp1252(self):
        """The draft issue prints whole, its arrows as ``->``."""
        completed = harness("issue", str(FINDINGS / REAL), "setup.equal-batches",
                            encoding="cp1252")
        text = completed.stdout.decode("cp1252")
        assert (0, b"", True) == (completed.returncode, completed.stderr,
                                  "``Input(batch_shape)`` -> ``layers`` RNNs" in text)

    def test_ascii_option(self, tmp_path, capsys):
        """--ascii forces the ASCII marks on a console that has the symbols; the summary file
        keeps them."""
        baseline, summary = tmp_path / "baseline", tmp_path / "summary.md"
        main(["gate", "--baseline", str(baseline), str(FINDINGS / REAL), "--update"])
        capsys.readouterr()
        arguments = ["gate", "--baseline", str(baseline), str(FINDINGS / REAL)]
        _, _, symbols = run(capsys, arguments)
        _, _, marks = run(capsys, [*arguments, "--ascii", "--summary", str(summary)])
        assert ("# Gate: ✅ nothing got worse", "# Gate: [ok] nothing got worse",
                "# Gate: ✅ nothing got worse") == (
            symbols.splitlines()[0], marks.splitlines()[0],
            summary.read_text(encoding="utf-8").splitlines()[0])


def test_compare_orders_columns_by_implementation_and_version(tmp_path, capsys):
    """Files in the shell's glob order (3.10, 3.15, 3.5, nightly) give columns in release
    order, nightly last, the built-in implementations in their order."""
    results = PROJECT_ROOT / "reports" / "results"
    names = ["keras-jax-3.10", "keras-jax-3.15", "keras-jax-3.5", "keras-jax-nightly",
             "keras-tensorflow-3.15", "tf-keras-2.15"]
    out = tmp_path / "COMPARISON.md"
    code, _, _ = run(capsys, ["compare", *(str(results / f"{name}.json") for name in names),
                              "-o", str(out)])
    header = next(line for line in out.read_text(encoding="utf-8").splitlines()
                  if line.startswith("| claim"))
    columns = [cell.strip() for cell in header.strip("|").split("|")][1:]
    # The short labels of keras-tensorflow 3.15.1, keras-jax 3.5.0, 3.10.0, 3.15.1, the
    # 3.16.0.dev2026102704 nightly and tf-keras 2.15.1.
    assert (0, ["tf 3.15", "jax 3.5", "jax 3.10", "jax 3.15", "jax dev", "tfk 2.15"]) == (
        code, columns)
