"""Tests for harness/findings.py (a run's non-holding cases by root cause), fed the committed
real results, and for what it is for: a report whose first screen says which claims fail and
why, and a comparison of every published run that fits a screen."""

import re
from pathlib import Path

import pytest

from harness import compare, findings, report
from harness.markdown import verdict_counts
from harness.paths import PROJECT_ROOT
from harness.results import NON_HOLDING, load

PUBLISHED = PROJECT_ROOT / "reports" / "results"
REAL_FILES = sorted(PUBLISHED.glob("*.json")) + [PROJECT_ROOT / "tests" / "data" /
                                                 "keras-tensorflow-3.15.json"]
DIRECT_CALLS = "carry.index-i"  # keras-jax: the claim of the "direct calls only" finding


def published(stem: str) -> dict:
    return load(PUBLISHED / f"{stem}.json")


def non_holding(data: dict, claim_id: str | None = None) -> list[dict]:
    return [case for claim in data["claims"] if claim_id in (None, claim["id"])
            for case in claim["cases"] if case["verdict"] in NON_HOLDING]


def cause_of(causes: list, claim_id: str) -> findings.Cause:
    found = [cause for cause in causes if claim_id in cause.cases]
    assert len(found) == 1, f"{claim_id} is in {len(found)} causes"
    return found[0]


class TestCauses:
    @pytest.mark.parametrize("path", REAL_FILES, ids=lambda path: path.stem)
    def test_each_non_holding_case_has_one_cause(self, path):
        """Every case that does not hold is explained by exactly one cause, and nothing else."""
        data = load(path)
        grouped = [case["nodeid"] for cause in findings.causes(data)
                   for cases in cause.cases.values() for case in cases]
        assert sorted(grouped) == sorted(case["nodeid"] for case in non_holding(data))

    def test_a_qualified_reason_joins_its_root(self):
        """keras-jax 3.15: the baseline's reason for carry.unroll is the direct-calls reason of
        carry.index-i with "(here with unroll=True)" added: one cause, under the shorter
        reason."""
        data = published("keras-jax-3.15")
        unroll = {case["baseline_reason"] for case in non_holding(data, "carry.unroll")}
        index = {case["baseline_reason"] for case in non_holding(data, DIRECT_CALLS)}
        assert len(unroll) == len(index) == 1 and unroll != index
        assert next(iter(unroll)).startswith(next(iter(index)) + " (here")

        causes = findings.causes(data)
        assert cause_of(causes, "carry.unroll") is cause_of(causes, DIRECT_CALLS)
        assert (cause_of(causes, DIRECT_CALLS).text, cause_of(causes, DIRECT_CALLS).diagnosed) \
            == (next(iter(index)), True)

    def test_the_cause_explaining_most_claims_comes_first(self):
        """keras-jax 3.15: the direct-calls finding explains the most claims: first, with fewer
        causes than the baseline has reasons."""
        data = published("keras-jax-3.15")
        causes = findings.causes(data)
        reasons = {case["baseline_reason"] for case in non_holding(data)}
        assert causes[0] is cause_of(causes, DIRECT_CALLS)
        assert len(causes[0].cases) == max(len(cause.cases) for cause in causes)
        assert len(causes) < len(reasons)

    def test_different_reasons_stay_apart(self):
        """keras-jax 3.15: the missing Model.reset_states() is a cause of its own."""
        causes = findings.causes(published("keras-jax-3.15"))
        assert cause_of(causes, "reset.model") is not cause_of(causes, DIRECT_CALLS)

    def test_undiagnosed_cases_group_by_their_headline_without_figures(self):
        """keras-jax 3.10 ran without a baseline: carry.long-range's cases say the same thing
        about other samples and batch counts ("sample 6 ... 2 batches earlier"): one cause,
        not diagnosed."""
        data = published("keras-jax-3.10")
        cases = non_holding(data, "carry.long-range")
        assert data["suite"]["baseline"] is None
        assert len({case["message"].split("expected:")[0] for case in cases}) > 1

        cause = cause_of(findings.causes(data), "carry.long-range")
        assert (len(cause.cases["carry.long-range"]), cause.diagnosed) == (len(cases), False)

    def test_workarounds_and_threads(self):
        """keras-jax 3.15: the model reset's cause names the workaround check that holds for it
        and the upstream threads of suites/upstream.py."""
        cause = cause_of(findings.causes(published("keras-jax-3.15")), "reset.model")
        line = findings.summary(cause)
        assert cause.workarounds == {"walk-layers": ["reset.model"]}
        assert "keras-team/keras#20327" in [thread.label for thread in cause.threads]
        assert "workaround: `walk-layers`; upstream: [keras-team/keras#20327]" in line

    def test_a_failing_workaround_check_is_offered_no_workaround(self):
        """keras-jax 3.15: a workaround check that fails is a cause of its own, with no
        workaround of its own to offer."""
        failing = "workaround.setup.equal-batches.whole-batches"
        cause = cause_of(findings.causes(published("keras-jax-3.15")), failing)
        assert (cause.worked_around, "workaround:" in findings.summary(cause)) == ([], False)

    def test_a_users_implementation_was_not_looked_up(self):
        """Upstream threads are looked up for the built-ins only: for another implementation
        the line says nothing about upstream."""
        data = published("keras-jax-3.15")
        data["implementation"]["name"] = "my-keras"
        cause = findings.causes(data)[0]
        assert (cause.threads, "upstream" in findings.summary(cause)) == (None, False)


    def test_a_cause_of_several_runs_is_one(self):
        """keras-jax 3.15 and its nightly share the direct-calls finding: one cause naming both
        runs, with the cases of both."""
        runs = {"3.15": published("keras-jax-3.15"), "dev": published("keras-jax-nightly")}
        assert all(non_holding(data, DIRECT_CALLS) for data in runs.values())

        merged = findings.across(runs)
        cause, where = next(item for item in merged if DIRECT_CALLS in item[0].cases)
        assert where == ["3.15", "dev"]
        assert len(cause.cases[DIRECT_CALLS]) == sum(
            len(non_holding(data, DIRECT_CALLS)) for data in runs.values())
        assert len({(cause.diagnosed, cause.key) for cause, _ in merged}) == len(merged)


class TestRealReport:
    def test_the_first_screen_says_which_claims_fail_and_why(self):
        """keras-jax 3.15's report: before the first collapsed block, at most 150 lines, which
        give the counts, every claim that does not hold, each with its root cause (the
        baseline's reasons), and the benchmarks."""
        data = published("keras-jax-3.15")
        text = report.render(data, PROJECT_ROOT / "reports" / "keras-jax-3.15.md")
        main = text.split("<details>", 1)[0]
        assert len(main.splitlines()) <= 150

        failing = [claim["id"] for claim in data["claims"] if claim["verdict"] in NON_HOLDING]
        reasons = {case["baseline_reason"] for case in non_holding(data)}
        found = main.split("## Findings by root cause", 1)[1].split("\n## ", 1)[0]
        causes = findings.causes(data)
        counts = verdict_counts(claim["verdict"] for claim in data["claims"])
        assert f"{len(data['claims'])} claims: {counts}." in main
        assert [claim_id for claim_id in failing if f"`{claim_id}`" not in found] == []
        assert {cause.text for cause in causes} <= reasons
        assert [cause.text for cause in causes if f"**{cause.text}**" not in found] == []
        assert "## Benchmarks" in main and "| stateful " in main

    def test_every_case_is_in_the_collapsed_details(self):
        """Each non-holding case's message sits under its anchor, below the first screen."""
        data = published("keras-jax-3.15")
        details = report.render(data, Path("keras-jax-3.15.md")).split("<details>", 1)[1]
        missing = [case["nodeid"] for case in non_holding(data)
                   if f'<a id="{report.anchor(case["nodeid"])}"></a>' not in details]
        assert missing == []


class TestRealComparison:
    @pytest.fixture(scope="class")
    def runs(self):
        return [(path, load(path)) for path in sorted(PUBLISHED.glob("*.json"))]

    def links(self, text: str, output: Path) -> list[Path]:
        return sorted((output.parent / link).resolve()
                      for link in re.findall(r"\]\(([^)]+\.md)\)", text))

    def test_fits_a_screen_and_links_every_report(self, runs):
        """COMPARISON.md of every published run: no line over 200 characters, and a link to
        each run's report (reports/<stem>.md)."""
        output = PROJECT_ROOT / "reports" / "COMPARISON.md"
        text = compare.render(runs, None, output)
        lines = text.splitlines()
        assert len(runs) == 16
        assert [len(line) for line in lines if len(line) > 200] == []
        assert self.links(text, output) == sorted(
            (PROJECT_ROOT / "reports" / f"{path.stem}.md").resolve() for path, _ in runs)

    def test_links_are_relative_to_where_it_is_written(self, runs, tmp_path):
        """Written elsewhere, the comparison still links the reports where they are."""
        output = tmp_path / "out" / "COMPARISON.md"
        text = compare.render(runs[:2], None, output)
        assert self.links(text, output) == sorted(
            report.report_path(path).resolve() for path, _ in runs[:2])
