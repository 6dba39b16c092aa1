"""Tests for harness/report.py, harness/compare.py, harness/markdown.py, harness/mutation.py
and their commands."""

import json
from pathlib import Path

import pytest

from harness import compare, markdown, report
from harness.__main__ import main
from harness.results import ResultsError
from tests.results_factory import (
    CARRY,
    MESSAGE,
    RESET,
    benchmark,
    case,
    cells,
    claim,
    failing,
    gpu,
    instability,
    results,
    write,
)

ANCHOR = "case-suites-test-carry-py-test-index-i-lstm"
# Benchmark rows the suite wrote through Keras's inference (the file says from which runs).
INFERENCE_ROWS = json.loads((Path(__file__).parent / "data" / "keras-inference-rows.json")
                            .read_text(encoding="utf-8"))["rows"]
FIGURE = "reports/figures/fake-3.5.0/stateless.png"  # as the factory's rows name it


def mutant(name="mutant-reset-noop", breaks="reset.layer", killed=True, changed=2):
    """One mutant's row, as tests/test_mutants.py writes it."""
    return {"mutant": name, "object": "RESET_NOOP", "breaks": breaks,
            "bug": "layer.reset_states() does nothing", "killed": killed,
            "cases_changed": [f"suites/test_reset.py::test_layer[{i}]" for i in range(changed)],
            "first_message": "observed: the state kept its values", "seconds": 15.0}


def mutation_score(*mutants):
    killed = sum(row["killed"] for row in mutants)
    return {"planted": len(mutants), "killed": killed, "score": killed / len(mutants),
            "survivors": [row["mutant"] for row in mutants if not row["killed"]],
            "mutants": list(mutants)}


def section(text: str, title: str) -> str:
    """The text under the heading ``title`` up to the next heading of any level."""
    return text.split(f"{title}\n", 1)[1].split("\n#", 1)[0]


def collapsed(text: str, title: str) -> str:
    """The text of the ``<details>`` block whose summary is ``title``."""
    return text.split(f"<details><summary>{title}</summary>\n", 1)[1].split("</details>", 1)[0]


class TestHeadline:
    def test_observed_line_of_an_evidence_message(self):
        """A message from suites/check.py is summed up by its observed line."""
        assert "row 0 started from zeros" == markdown.headline(MESSAGE)

    def test_first_line_of_other_messages(self):
        """Any other message is summed up by its first non-blank line."""
        assert "ValueError: bad shape" == markdown.headline("\nValueError: bad shape\n  at x")

    def test_no_message(self):
        """A case without a message has an empty summary."""
        assert "" == markdown.headline("")


class TestVerdicts:
    """The one place a verdict's look is decided (harness/markdown.py)."""

    def test_verdict_label(self):
        """A verdict reads as its symbol and its word."""
        assert ["✅ holds", "❌ fails", "💥 error", "❔ inconclusive", "⏭ skipped"] == [
            markdown.verdict_label(verdict) for verdict in markdown.SYMBOLS]

    def test_an_observation_is_a_magnifier(self):
        """An observed claim that holds records what was seen: 🔎, not a tick."""
        observed = claim("state.saved", case(RESET, observed="zeros"), kind="observed")
        assert ("🔎", "🔎 observed") == (markdown.claim_symbol(observed),
                                         markdown.claim_label(observed))

    def test_a_failing_observation_is_a_failure(self):
        """An observed claim that does not hold shows its verdict like any other."""
        observed = claim("train.instability", case(RESET, "fails", MESSAGE), kind="measured")
        assert ("❌", "❌ fails") == (markdown.claim_symbol(observed),
                                      markdown.claim_label(observed))

    def test_verdict_counts(self):
        """Counts in the order of the symbols, the verdicts that did not occur left out."""
        assert "2 ✅ holds, 1 💥 error" == markdown.verdict_counts(["error", "holds", "holds"])


class TestTable:
    def test_short_lines_keep_their_padding(self):
        """A table whose lines fit lines its columns up."""
        assert ["| a   | b   |", "|-----|-----|", "| x   | yyy |"] == markdown.table(
            [{"a": "x", "b": "yyy"}]).splitlines()

    def test_padding_is_dropped_where_it_makes_a_line_long(self):
        """Where one padded line would be longer than PADDED_WIDTH, no cell is padded."""
        long = "z" * markdown.PADDED_WIDTH
        assert ["| a | b |", "| --- | --- |", f"| x | {long} |", "| yy |  |"] == \
            markdown.table([{"a": "x", "b": long}, {"a": "yy", "b": None}]).splitlines()


class TestRender:
    def render(self, data, output=Path("reports/fake.md"), mutation=None):
        return report.render(data, output, mutation)

    def test_summary_counts_claims_and_cases(self):
        """The report opens with how many claims and cases hold, fail, error..."""
        text = section(self.render(failing()), "## Summary")
        assert ["2 claims: 1 ✅ holds, 1 ❌ fails.", "2 cases: 1 ✅ holds, 1 ❌ fails.",
                "The run had no baseline: no case's finding is diagnosed yet."] == \
            text.strip().split("\n\n")[:3]

    def test_summary_flags_cases_the_baseline_does_not_expect(self):
        """With a baseline, a non-holding case that it does not list is news, said first."""
        data = results(claims=[claim("carry.index-i", case(CARRY, "fails", MESSAGE),
                                     case(RESET, "error", MESSAGE, True, "known"))])
        data["suite"]["baseline"] = "b.txt"
        text = section(self.render(data), "## Summary")
        assert ("⚠ 1 of the 2 non-holding cases are not in the baseline `b.txt`: new findings."
                in text.split("\n\n"))

    def test_findings_by_root_cause(self):
        """Each root cause is one line: what happened, the claims, the workaround (none here);
        an implementation that is not a built-in has no upstream threads looked up."""
        items = [line for line in section(self.render(failing()), "## Findings by root cause")
                 .splitlines() if line.startswith("- ")]
        assert ["- **row 0 started from zeros**: 1 claim, 1 case (❌ 1): `carry.index-i`; "
                "workaround: none found"] == items

    def test_no_findings(self):
        """Where everything holds, the findings section says so."""
        assert section(self.render(results()), "## Findings by root cause").strip() == \
            "None: every case that ran holds or was skipped."

    def test_details_come_after_the_benchmarks(self):
        """The first collapsed block follows the summary, the findings and the benchmarks."""
        text = self.render(failing())
        assert text.index("## Benchmarks") < text.index("<details>")

    def test_environment_names_the_project_commit(self):
        """The environment table gives the commit of this project the results came from."""
        assert ["project commit", "abc1234"] == cells(self.render(results()), "project commit")

    def test_environment_names_the_versions(self):
        """The environment table gives the keras version."""
        assert ["keras", "3.5.0"] == cells(self.render(results()), "keras")

    def test_failing_claim_row(self):
        """A failing claim shows its symbol, what was observed and a link to its case."""
        expected = ["carry.index-i", "A statement.", "❌ fails", "row 0 started from zeros",
                    f"[details](#{ANCHOR})"]
        assert expected == cells(self.render(failing()), "carry.index-i")

    def test_holding_claim_row(self):
        """A holding claim has nothing observed and no link."""
        expected = ["reset.model", "A statement.", "✅ holds", "", ""]
        assert expected == cells(self.render(failing()), "reset.model")

    def test_expected_claim_is_marked(self):
        """A non-holding case that the run's baseline listed is marked expected."""
        data = results(claims=[claim("carry.index-i", case(CARRY, "fails", MESSAGE, True, "r"))])
        assert "❌ fails (expected)" == cells(self.render(data), "carry.index-i")[2]

    def test_skipped_claim_says_why_without_link(self):
        """A skipped claim shows the skip reason and links nowhere."""
        data = results(claims=[claim("perf.cpu-vs-gpu", case(CARRY, "skipped", "no GPU"))])
        expected = ["perf.cpu-vs-gpu", "A statement.", "⏭ skipped", "no GPU", ""]
        assert expected == cells(self.render(data), "perf.cpu-vs-gpu")

    def test_pipes_stay_inside_their_cell(self):
        """A pipe in a message is escaped, so the table keeps its columns."""
        data = failing(message="shape (2|3)")
        assert "shape (2\\|3)" == cells(self.render(data), "carry.index-i")[3]

    def test_non_holding_case_section_holds_the_full_message(self):
        """The case's full message, with its reproduction snippet, sits under its anchor."""
        text = self.render(failing())
        details = text.split(f'<a id="{ANCHOR}"></a>', 1)[1]
        assert 1 == details.count(f"```text\n{MESSAGE}\n```")

    def test_benchmark_row(self):
        """A benchmark row gives median [min–max] figures (Keras's, then our twin's) and the
        time in reference units; a row without our twin's diagnostic (written before it) shows
        dashes for it."""
        expected = ["stateless", "fast", "3", "ok", "0.012 [0.01–0.014]", "0.12 [0.1–0.14]",
                    "0.012 [0.01–0.014]", "0.12 [0.1–0.14]", "10.4 [10–10.8]",
                    "0.0015 [0.0014–0.0016]", "2", "5.2", ""]
        assert expected == cells(self.render(results()), "stateless")
        older = results()
        for row in older["benchmarks"]:
            row.pop("diagnostic", None)
        assert expected[:6] + ["–", "–"] + expected[8:] == cells(self.render(older), "stateless")

    def test_benchmark_error_row(self):
        """A benchmark that raised on every seed shows its error and no figures."""
        data = results(benchmarks=[benchmark(status="error", error="ValueError: boom",
                                             mse=None, rmse=None, train=None, latency=None)])
        row = cells(self.render(data), "stateless")
        assert ["💥 ValueError: boom", "–", "–", "–", "–"] == row[3:8]

    def test_benchmark_of_another_status(self):
        """A benchmark whose status is neither ok nor error (``diverged``) says so."""
        data = results(benchmarks=[benchmark(status="diverged", mse=(3.9, 4.0, 4.1))])
        assert ["⚠ diverged", "4 [3.9–4.1]"] == cells(self.render(data), "stateless")[3:5]

    def test_keras_inference_row(self):
        """A row of a run through Keras's inference (keras-jax 3.15.1, stateful: predict carries
        no state there) shows the no-skill status, Keras's figures as the headline, our twin's
        beside them labelled as ours, and that Keras did not carry the state."""
        row = INFERENCE_ROWS["keras-jax-3.15.1"][1]
        text = self.render(results(benchmarks=[row]))

        assert row["status"] == "no-skill" and row["keras_state_carried"] is False
        assert cells(text, "stateful")[3:8] == [
            "⚠ no-skill: " + row["error"], markdown.spread(row["one_step_mse"]),
            markdown.spread(row["rollout_rmse"]),
            markdown.spread(row["diagnostic"]["one_step_mse"]),
            markdown.spread(row["diagnostic"]["rollout_rmse"])]
        header = next(line for line in text.splitlines() if line.startswith("| model "))
        assert "ours: twin one-step MSE" in header and "ours: twin rollout RMSE" in header
        targets = section(text, "## Benchmarks").split("Targets:", 1)[1]
        assert cells(targets, "stateful")[8] == "❌"  # Keras carried the state

    def test_gpu_row(self):
        """The perf.cpu-vs-gpu row is a measurement, not a benchmark: it renders, and the
        benchmarks table has no row for it."""
        data = results(benchmarks=[gpu()])
        assert "No benchmarks in this run." in self.render(data)

    def test_figure_link_when_the_figure_exists(self, tmp_path):
        """Rows of older files name no figure: figures/<impl>/<model>.png next to the report
        is linked."""
        write(tmp_path / "figures" / "fake" / "stateless.png", "png")
        data = results(benchmarks=[benchmark(figure=None)])
        text = self.render(data, tmp_path / "fake.md")
        assert "[stateless.png](figures/fake/stateless.png)" == cells(text, "stateless")[-1]

    def test_no_figure_link_without_the_figure(self, tmp_path):
        """Without the figure file the figure cell is empty."""
        assert "" == cells(self.render(results(), tmp_path / "fake.md"), "stateless")[-1]

    def test_figure_link_from_the_row(self, tmp_path, monkeypatch):
        """The figure a row names, relative to the project root, is linked relative to the
        report."""
        monkeypatch.setattr(report, "PROJECT_ROOT", tmp_path)
        write(tmp_path / FIGURE, "png")
        text = self.render(results(), tmp_path / "out" / "fake.md")
        assert "[stateless.png](../reports/figures/fake-3.5.0/stateless.png)" == cells(
            text, "stateless")[-1]

    def test_no_figure_link_when_the_named_figure_is_missing(self, tmp_path, monkeypatch):
        """A row naming a figure file that does not exist links nothing, not even the figure
        of the old folder."""
        monkeypatch.setattr(report, "PROJECT_ROOT", tmp_path)
        write(tmp_path / "reports" / "figures" / "fake" / "stateless.png", "png")
        text = self.render(results(), tmp_path / "reports" / "fake.md")
        assert ("", 0) == (cells(text, "stateless")[-1], text.count("!["))

    def test_measurement_rows_are_not_benchmarks(self, tmp_path, monkeypatch):
        """One row per benchmark: a measured claim's rows never appear as a second benchmark."""
        monkeypatch.setattr(report, "PROJECT_ROOT", tmp_path)
        write(tmp_path / FIGURE, "png")
        data = results(benchmarks=[instability(), benchmark(), gpu(model="stacked")])
        text = self.render(data, tmp_path / "reports" / "fake.md")
        assert "[stateless.png](figures/fake-3.5.0/stateless.png)" == cells(text, "stateless")[-1]
        assert 1 == sum(line.startswith("| stateless ") for line in text.splitlines()
                        if "fast" in line and "png" in line)

    def test_figures_are_shown_once_each(self, tmp_path, monkeypatch):
        """After the table each figure is shown inline once, however many rows link it."""
        monkeypatch.setattr(report, "PROJECT_ROOT", tmp_path)
        stacked = "reports/figures/fake-3.5.0/stacked.png"
        write(tmp_path / FIGURE, "png")
        write(tmp_path / stacked, "png")
        data = results(benchmarks=[benchmark(), benchmark(model="stacked"),
                                   benchmark(recipe="article"), instability()])
        text = section(self.render(data, tmp_path / "reports" / "fake.md"), "## Benchmarks")
        images = [line for line in text.splitlines() if line.startswith("![")]
        assert ["![stateless: 500-step forecast](figures/fake-3.5.0/stateless.png)",
                "![stacked: 500-step forecast](figures/fake-3.5.0/stacked.png)"] == images

    def test_mutation_score(self):
        """The mutation score is summed up in one line, and each mutant is a table row."""
        score = mutation_score(mutant(), mutant("mutant-state-dropped", "carry.index-i", changed=3))
        text = collapsed(self.render(results(), mutation=score), "Mutation score")
        expected = ("2 of 2 planted faults killed (100 %).",
                    ["mutant-state-dropped", "carry.index-i",
                     "layer.reset_states() does nothing", "✅", "3"])
        assert expected == (text.strip().splitlines()[0], cells(text, "mutant-state-dropped"))

    def test_mutation_score_with_a_survivor(self):
        """A survivor is marked and named, and the score is rounded down, never to 100 %."""
        score = mutation_score(*[mutant(f"m{i}") for i in range(199)],
                               mutant("m-survivor", killed=False))
        text = collapsed(self.render(results(), mutation=score), "Mutation score")
        expected = ("199 of 200 planted faults killed (99 %). Survived: m-survivor; the score "
                    "must be 100 %.", "❌")
        assert expected == (text.strip().splitlines()[0], cells(text, "m-survivor")[3])

    def test_mutation_score_not_measured(self):
        """Without a mutation score file the section says it was not measured."""
        text = collapsed(self.render(results()), "Mutation score")
        assert text.strip().startswith("Not measured: no mutation score file")

    def test_suite_timing(self):
        """The suite's own duration and its slowest cases are given."""
        text = collapsed(self.render(results()), "Suite timing")
        expected = ("The suite ran 2 cases in 12.5 s (`pytest suites`).",
                    [f"`{RESET}`", "holds", "0.5"])
        assert expected == (text.strip().splitlines()[0], cells(text, f"`{RESET}`"))

    def test_incomplete_results_are_flagged(self):
        """An incomplete run says where it stopped, under the title."""
        expected = (f"> ⚠ Incomplete results: the run stopped during `{CARRY}`; the verdicts "
                    "below cover only the cases that ran.")
        assert expected == self.render(failing(complete=False)).splitlines()[2]


class TestCompare:
    def render(self, *datas, mutation=None):
        return compare.render([(f"r{index}.json", data) for index, data in enumerate(datas)],
                              mutation, Path("COMPARISON.md"))

    def test_columns_are_implementation_and_keras_version(self):
        """The same implementation at two keras versions is two columns (a built-in first),
        under short labels that the environments table spells out."""
        text = self.render(results(), results(keras="3.6.0"), results(name="keras-jax"))
        assert (["claim", "jax 3.5", "fake 3.5", "fake 3.6"],
                ["jax 3.5", "keras-jax (keras 3.5.0)", "none 0.0", "[r2.md](r2.md)"]) == (
            cells(text, "claim"), cells(text, "jax 3.5"))

    def test_labels_of_a_dev_release_and_of_a_shared_label(self):
        """A dev release (a nightly) is labelled ``dev``; two versions that would share a
        label keep their whole version."""
        text = self.render(results(keras="3.16.0.dev2026102704"), results(keras="3.5.0"),
                           results(keras="3.5.1"))
        assert ["claim", "fake 3.5.0", "fake 3.5.1", "fake dev"] == cells(text, "claim")

    def test_one_symbol_per_verdict(self):
        """Each verdict is its symbol alone; the messages are in the runs' reports."""
        text = self.render(results(), failing(name="keras-jax"),
                           failing("error", message="TypeError: x", name="keras-torch"))
        assert ["carry.index-i", "❌", "💥", "✅"] == cells(text, "carry.index-i")

    def test_counts_per_column(self):
        """Above the claims, each column counts its claims by verdict."""
        text = self.render(results(), failing(name="keras-jax"))
        assert (["**✅ holds**", "1", "2"], ["**❌ fails**", "1", "0"]) == (
            cells(text, "**✅ holds**"), cells(text, "**❌ fails**"))

    def test_findings_by_root_cause(self):
        """A run's root cause is one item: where it is found, the baseline's reason, the claims,
        and, for a built-in implementation, the upstream threads (suites/upstream.py)."""
        diagnosed = results(name="keras-jax", claims=[
            claim("carry.index-i", case(CARRY, "fails", MESSAGE, True, "state is not carried")),
            claim("reset.model", case(RESET))])
        diagnosed["suite"]["baseline"] = "suites/baselines/keras-jax.txt"
        items = [line for line in section(self.render(results(), diagnosed),
                                          "## Findings by root cause").splitlines()
                 if line.startswith("- ")]
        assert ["- jax 3.5: **state is not carried**: 1 claim, 1 case (❌ 1): `carry.index-i`; "
                "workaround: none found; upstream: not found upstream"] == items

    def test_runs_without_a_baseline_are_counted_not_listed(self):
        """The causes of a run without a baseline are what its messages say: counted, with the
        run's report to read them in."""
        text = section(self.render(results(), failing(name="keras-jax")),
                       "## Findings by root cause")
        assert text.strip().endswith("Runs without a baseline, their causes not diagnosed (each "
                                     "report lists them by what the messages say): jax 3.5 (1)")

    def test_incomplete_run_says_where_it_stopped(self):
        """An incomplete run is named with where it stopped and why."""
        data = failing(complete=False)
        data["interrupted"] = "KeyboardInterrupt"
        assert f"> - fake 3.5: during `{CARRY}`: KeyboardInterrupt" in self.render(data)

    def test_legend(self):
        """The claims table comes with a legend of the symbols."""
        assert markdown.LEGEND in " ".join(self.render(results()).split())

    def test_timings_relative_to_the_first_column(self):
        """Train times are in units of each run's reference and compared with the first
        environment's: an environment a row, a benchmark a column."""
        text = self.render(results(), results(keras="3.6.0", benchmarks=[
            benchmark(train=(20.0, 20.8, 21.6)), instability()]))
        table = section(text, "### train time ÷ reference workload (median)")
        assert (["environment", "stateless fast"], ["fake 3.5", "5.2"],
                ["fake 3.6", "10.4 (×2.00)"]) == (
            cells(table, "environment"), cells(table, "fake 3.5"), cells(table, "fake 3.6"))

    def test_benchmark_error_and_missing(self):
        """A benchmark that raised shows the error symbol; one not run shows a dash."""
        text = self.render(
            results(benchmarks=[benchmark(status="error", error="boom", mse=None, rmse=None,
                                          train=None, latency=None)]),
            results(keras="3.6.0", benchmarks=[benchmark(model="stacked")]))
        table = section(text, "### one-step MSE (median)")
        assert (["environment", "stateless fast", "stacked fast"], ["fake 3.5", "💥 error", "–"],
                ["fake 3.6", "–", "0.012"]) == (
            cells(table, "environment"), cells(table, "fake 3.5"), cells(table, "fake 3.6"))

    def test_benchmark_of_another_status(self):
        """A benchmark that diverged shows its status, not its figures."""
        text = self.render(results(), results(keras="3.6.0", benchmarks=[
            benchmark(status="diverged", mse=(4.0,) * 3)]))
        table = section(text, "### one-step MSE (median)")
        assert (["fake 3.5", "0.012"], ["fake 3.6", "⚠ diverged"]) == (
            cells(table, "fake 3.5"), cells(table, "fake 3.6"))

    def test_no_skill_keeps_its_figures(self):
        """A no-skill row (keras-jax 3.15.1, stateless) is measured and plausible: its figure is
        shown, and compared, beside its status."""
        row = INFERENCE_ROWS["keras-jax-3.15.1"][0]
        text = self.render(results(), results(keras="3.6.0", benchmarks=[row]))
        table = section(text, "### rollout RMSE (median)")
        rmse = row["rollout_rmse"]["median"]

        assert row["status"] == "no-skill"
        shown = f"{markdown.number(rmse)} ⚠ no-skill (×{rmse / 0.12:.2f})"
        assert cells(table, "fake 3.6") == ["fake 3.6", shown]

    def test_mutation_score_once(self):
        """The mutation score is about the suite: one summary for all columns; the table of
        the planted faults, its lines too long here, is in the runs' reports."""
        text = self.render(results(), results(name="keras-jax"), mutation=mutation_score(mutant()))
        assert (1, 1, "mutant-reset-noop" in text) == (
            text.count("## Mutation score"), text.count("1 of 1 planted faults killed (100 %)."),
            False)

    def test_same_column_twice_is_refused(self):
        """Two results of one implementation at one version cannot both be columns."""
        with pytest.raises(ResultsError) as error:
            self.render(results(), results())
        assert "r1.json: fake (keras 3.5.0) is already compared, from r0.json" == str(error.value)


class TestMain:
    def test_report_default_output(self, tmp_path, capsys, monkeypatch):
        """`report` writes the report beside the results file by default."""
        monkeypatch.chdir(tmp_path)
        write(tmp_path / "fake.json", results())
        code = main(["report", "fake.json"])
        text = (tmp_path / "fake.md").read_text(encoding="utf-8")
        assert (0, "# Stateful RNN conformance: fake (keras 3.5.0)") == (code, text.splitlines()[0])

    def test_report_output_option(self, tmp_path, capsys):
        """`report -o` writes where it is told."""
        path = write(tmp_path / "fake.json", results())
        code = main(["report", str(path), "-o", str(tmp_path / "out" / "r.md")])
        assert (0, True) == (code, (tmp_path / "out" / "r.md").is_file())

    def test_compare_default_output(self, tmp_path, capsys, monkeypatch):
        """`compare` writes reports/COMPARISON.md by default."""
        monkeypatch.chdir(tmp_path)
        write(tmp_path / "a.json", results())
        write(tmp_path / "b.json", results(keras="3.6.0"))
        code = main(["compare", "a.json", "b.json"])
        assert (0, True) == (code, (tmp_path / "reports" / "COMPARISON.md").is_file())

    def test_report_of_a_missing_file(self, tmp_path, capsys):
        """A missing results file is one error line and exit code 2."""
        code = main(["report", str(tmp_path / "nope.json")])
        expected = (2, [f"error: {tmp_path / 'nope.json'}: no such results file"])
        assert expected == (code, capsys.readouterr().err.splitlines())

    def test_report_keeps_the_previous_report_on_bad_input(self, tmp_path, capsys):
        """A corrupt results file leaves an existing report untouched."""
        out = write(tmp_path / "r.md", "previous report")
        path = write(tmp_path / "fake.json", "{\"schema_version\": 1,")
        code = main(["report", str(path), "-o", str(out)])
        assert (2, 1, "previous report") == (
            code, len(capsys.readouterr().err.splitlines()), out.read_text(encoding="utf-8"))

    def test_compare_of_different_schema_versions(self, tmp_path, capsys):
        """Results of another schema version are one error line and exit code 2."""
        a = write(tmp_path / "a.json", results())
        b = write(tmp_path / "b.json", {**results(keras="3.6.0"), "schema_version": 2})
        code = main(["compare", str(a), str(b), "-o", str(tmp_path / "c.md")])
        expected = (2, [f"error: {b}: schema version 2 is not 1; re-run the suite with this "
                        "version of the harness"], False)
        assert expected == (code, capsys.readouterr().err.splitlines(),
                            (tmp_path / "c.md").exists())

    def test_compare_of_the_same_column_twice(self, tmp_path, capsys):
        """The same implementation and version twice is one error line and exit code 2."""
        a = write(tmp_path / "a.json", results())
        b = write(tmp_path / "b.json", results())
        code = main(["compare", str(a), str(b), "-o", str(tmp_path / "c.md")])
        expected = (2, [f"error: {b}: fake (keras 3.5.0) is already compared, from {a}"])
        assert expected == (code, capsys.readouterr().err.splitlines())

    def test_report_takes_the_default_mutation_score(self, tmp_path, capsys, monkeypatch):
        """`report` reads reports/mutation-score.json from the current directory by default."""
        monkeypatch.chdir(tmp_path)
        write(tmp_path / "fake.json", results())
        write(tmp_path / "reports" / "mutation-score.json", mutation_score(mutant()))
        code = main(["report", "fake.json"])
        text = (tmp_path / "fake.md").read_text(encoding="utf-8")
        assert (0, "1 of 1 planted faults killed (100 %).") == (
            code, collapsed(text, "Mutation score").strip().splitlines()[0])

    def test_report_without_a_mutation_score(self, tmp_path, capsys, monkeypatch):
        """Without reports/mutation-score.json the report says the score was not measured."""
        monkeypatch.chdir(tmp_path)
        write(tmp_path / "fake.json", results())
        code = main(["report", "fake.json"])
        text = (tmp_path / "fake.md").read_text(encoding="utf-8")
        assert (0, True) == (code, collapsed(text, "Mutation score").strip().startswith(
            "Not measured"))

    def test_compare_mutation_score_option(self, tmp_path, capsys):
        """`compare --mutation-score` takes the score from the file it names."""
        a = write(tmp_path / "a.json", results())
        score = write(tmp_path / "score.json", mutation_score(mutant(), mutant("m2")))
        code = main(["compare", str(a), "-o", str(tmp_path / "c.md"),
                     "--mutation-score", str(score)])
        text = (tmp_path / "c.md").read_text(encoding="utf-8")
        assert (0, 1) == (code, text.count("2 of 2 planted faults killed (100 %)."))

    def test_missing_mutation_score_named_by_the_option(self, tmp_path, capsys):
        """A mutation score file named by the option must exist: one error line, exit code 2."""
        path = write(tmp_path / "fake.json", results())
        code = main(["report", str(path), "-o", str(tmp_path / "r.md"),
                     "--mutation-score", str(tmp_path / "nope.json")])
        expected = (2, [f"error: {tmp_path / 'nope.json'}: no such mutation score file"], False)
        assert expected == (code, capsys.readouterr().err.splitlines(),
                            (tmp_path / "r.md").exists())

    @pytest.mark.parametrize("command", ["report", "compare"])
    def test_corrupt_mutation_score(self, tmp_path, capsys, command):
        """A corrupt mutation score file is one error line, exit code 2, and leaves the previous
        output untouched."""
        out = write(tmp_path / "r.md", "previous report")
        path = write(tmp_path / "fake.json", results())
        score = write(tmp_path / "score.json", '{"planted": 12, "mutants": [')
        code = main([command, str(path), "-o", str(out), "--mutation-score", str(score)])
        expected = (2, [f"error: {score}: not valid JSON: corrupt mutation score file"],
                    "previous report")
        assert expected == (code, capsys.readouterr().err.splitlines(),
                            out.read_text(encoding="utf-8"))

    def test_mutation_score_of_another_shape(self, tmp_path, capsys):
        """Valid JSON that is not a mutation score file is one error line and exit code 2."""
        path = write(tmp_path / "fake.json", results())
        score = write(tmp_path / "score.json", {"planted": 1, "mutants": [{"mutant": "m"}]})
        code = main(["report", str(path), "-o", str(tmp_path / "r.md"),
                     "--mutation-score", str(score)])
        expected = (2, [f"error: {score}: not a mutation score file (needs mutants, each with "
                        "mutant, breaks, bug, killed, cases_changed)"], False)
        assert expected == (code, capsys.readouterr().err.splitlines(),
                            (tmp_path / "r.md").exists())
