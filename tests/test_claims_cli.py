"""``python -m harness claims`` and ``claims explain ID`` on the catalogue and the committed
results."""

import pytest

from harness import published, results
from harness.__main__ import main
from harness.compare import column_order
from harness.markdown import ASCII, SYMBOLS, column_name
from harness.paths import PROJECT_ROOT
from harness.site import family
from suites.claims import CLAIMS


def test_lists_the_catalogue_within_the_terminal(monkeypatch, capsys):
    """Every claim with its family heading, kind, statement and source; no line over COLUMNS."""
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["claims"]) == 0
    out = capsys.readouterr().out
    for claim in CLAIMS.values():
        assert f"  {claim.id}  [{claim.kind}]" in out
        assert " ".join(claim.statement.split()[:6]) in " ".join(out.split())
    assert {line.split(" (")[0] for line in out.splitlines() if not line.startswith(" ")} >= \
        {family(claim_id) for claim_id in CLAIMS}
    assert max(len(line) for line in out.splitlines()) <= 80


def test_explain_gives_the_verdict_on_every_committed_run_in_order(capsys):
    """One line per committed results file, by implementation and version, with its verdict."""
    assert main(["claims", "explain", "carry.index-i"]) == 0
    out = capsys.readouterr().out
    runs = sorted((results.load(PROJECT_ROOT / path) for path in published.results_files()),
                  key=column_order)
    assert runs, "no committed results"
    lines = [line for line in out.splitlines() if line.startswith("  ") and "): " in line]
    assert [line.split(": ")[0].strip() for line in lines] == [column_name(run) for run in runs]
    for line, run in zip(lines, runs):
        verdict = next(claim["verdict"] for claim in run["claims"]
                       if claim["id"] == "carry.index-i")
        assert f" {verdict}, " in line
    assert CLAIMS["carry.index-i"].source in out
    assert "workaround.carry.index-i.direct-calls" in out


def test_explain_given_results_reads_only_those(capsys):
    path = PROJECT_ROOT / "reports/results/keras-jax-3.15.json"
    assert main(["claims", "explain", "reset.model", str(path)]) == 0
    out = capsys.readouterr().out
    run = results.load(path)
    verdict = next(claim["verdict"] for claim in run["claims"] if claim["id"] == "reset.model")
    assert "Verdicts in 1 results files:" in out
    assert f"  {column_name(run)}: " in out and f" {verdict}, " in out


@pytest.mark.parametrize("claim_id", ["carry.index", "no-such-claim"])
def test_unknown_id_is_one_line_and_exit_2(claim_id, capsys):
    assert main(["claims", "explain", claim_id]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: unknown claim '{claim_id}'")
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize("before", [True, False])
def test_ascii_before_or_after_explain(before, capsys):
    """``--ascii`` given before ``explain`` or after it shows the verdicts in ASCII."""
    path = PROJECT_ROOT / "reports/results/keras-jax-3.15.json"
    arguments = ["explain", "reset.model", str(path)]
    arguments = ["--ascii", *arguments] if before else [*arguments, "--ascii"]
    assert main(["claims", *arguments]) == 0
    out = capsys.readouterr().out
    verdict = next(claim["verdict"] for claim in results.load(path)["claims"]
                   if claim["id"] == "reset.model")
    assert f"{ASCII[SYMBOLS[verdict]]} {verdict}, " in out
    assert SYMBOLS[verdict] not in out


def test_explain_without_an_id_is_one_line_and_exit_2(capsys):
    assert main(["claims", "explain"]) == 2
    assert capsys.readouterr().err == "error: claims explain needs a claim ID, e.g. carry.index-i\n"
