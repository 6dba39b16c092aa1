"""Tests for harness/gate/ and `python -m harness gate`: what is worse, better, not comparable."""

import itertools
import json
from pathlib import Path

import pytest

from harness import gate
from harness.__main__ import main
from harness.baseline import parse
from tests.results_factory import (
    CARRY,
    LATENCY,
    MESSAGE,
    RESET,
    TRAIN,
    benchmark,
    case,
    claim,
    failing,
    instability,
    results,
    write,
)

REASON = "carry is broken upstream"
ENTRY = f"carry.index-i  # {REASON}\n"
NODE_ID_ENTRY = f"{CARRY}  # {REASON}\n"  # the old form, which keeps working
NO_ENTRIES = "# no expected failures\n"
FASTER = (5.0, 5.2, 5.4)  # half the default train times of the factory
SLOWER = (20.0, 20.8, 21.6)  # twice them


def run_of(current, entries="", reference=None):
    return gate.Run(Path("current.json"), current, parse(entries), reference,
                    baseline_text=entries)


def changes_of(current, entries="", reference=None, tolerances=gate.Tolerances()):
    return [(change.mark, change.text)
            for change in gate.check(run_of(current, entries, reference), tolerances)]


def with_benchmark(**figures):
    return results(benchmarks=[benchmark(**figures), instability()])


class TestCases:
    def test_unchanged_results_have_no_changes(self):
        """Results equal to the reference, with no baseline entry, change nothing."""
        assert [] == changes_of(results(), reference=results())

    def test_held_case_that_fails_is_newly_failing(self):
        """A case that held in the reference and fails now is `!`, with what was observed."""
        expected = [("!", "held, now fails: row 0 started from zeros")]
        assert expected == changes_of(failing(), reference=results())

    def test_non_holding_case_without_entry_is_newly_failing(self):
        """A non-holding case that no baseline entry lists is `!`, even with no reference."""
        expected = [("!", "error, a claim without a baseline entry: ValueError: bad shape")]
        assert expected == changes_of(failing("error", message="ValueError: bad shape"))

    def test_non_holding_case_with_entry_is_no_change(self):
        """A non-holding case that the baseline lists, failing as in the reference, is expected."""
        assert [] == changes_of(failing(), ENTRY, reference=failing())

    def test_node_id_entry_still_expects_its_case(self):
        """A baseline line of the old form, a node id pattern, expects its case as before."""
        assert [] == changes_of(failing(), NODE_ID_ENTRY, reference=failing())

    def test_claim_entry_names_only_its_claim(self):
        """A line naming the case's id under another claim does not expect it: the case is
        `!`, the line `x`."""
        assert [("!", "fails, a claim without a baseline entry: row 0 started from zeros"),
                ("x", "baseline line 1 matches no case in the results")] == changes_of(
            failing(), f"reset.model[LSTM]  # {REASON}\n", reference=failing())

    def test_entry_whose_case_holds_is_fixed(self):
        """A baseline entry whose case holds now is reported fixed, marked `-`."""
        expected = [("-", f"fixed: holds now; baseline line 1 expects it not to ({REASON})")]
        assert expected == changes_of(results(), ENTRY)

    def test_held_case_now_skipped_is_newly_failing(self):
        """A case that held and is skipped now was not checked: `!`."""
        current = results(claims=[claim("carry.index-i", case(CARRY, "skipped", "no GPU")),
                                  claim("reset.model", case(RESET))])
        assert [("!", "holds in the reference, now skipped: no GPU")] == changes_of(
            current, reference=results())

    def test_unknown_verdict_is_newly_failing(self):
        """A verdict the harness does not know is `!`, naming it."""
        current = results(claims=[claim("carry.index-i", case(CARRY, "maybe")),
                                  claim("reset.model", case(RESET))])
        assert [("!", "unknown verdict 'maybe' (known: fails, error, inconclusive, holds, "
                      "skipped)")] == changes_of(current, reference=results())

    def test_entry_matching_no_case_is_not_comparable(self):
        """A baseline entry that matches no case of the results is `x`."""
        expected = [("x", "baseline line 1 matches no case in the results")]
        assert expected == changes_of(results(), "suites/test_gone.py::*  # removed\n")

    def test_another_observation_is_news(self):
        """A case that observed something else is `?`, naming both observations."""
        def saw(what):
            return results(claims=[claim("state.saved", case(CARRY, observed=what),
                                         kind="observed"),
                                   claim("reset.model", case(RESET))])
        assert [("?", "observed: zeros; was: the state it had")] == changes_of(
            saw("zeros"), reference=saw("the state it had"))

    def test_worse_changes_come_first(self):
        """Changes are ordered `!`, `+`, `?`, `*`, `x`, `~`, `-`."""
        current = failing(benchmarks=[benchmark(mse=(0.1,) * 3), benchmark(model="stacked")])
        assert ["!", "+", "x"] == [mark for mark, _ in changes_of(current, reference=results())]


class TestFailingDifferently:
    def test_error_to_fails_is_newly_failing(self):
        """An expected case that raised in the reference and gives a wrong value now has
        another verdict than the reference says: `!`."""
        reference = failing("error", message="RuntimeError: modified by an inplace operation")
        expected = [("!", "error → fails: row 0 started from zeros; was: RuntimeError: "
                          "modified by an inplace operation (the reference says error; retake "
                          "it with gate --update-reference)")]
        assert expected == changes_of(failing(), ENTRY, reference=reference)

    def test_changed_observation_has_its_own_mark(self):
        """Same verdict, another account of what happened: `*`."""
        reference = failing(message=MESSAGE.replace("row 0", "row 2"))
        expected = [("*", "fails differently: row 0 started from zeros; was: row 2 started "
                          "from zeros")]
        assert expected == changes_of(failing(), ENTRY, reference=reference)

    def test_another_version_line_is_no_change(self):
        """The first line of a check's message names the versions: a new release changes it
        for every case, and that alone is no change."""
        reference = failing(message=MESSAGE.replace("keras 3.5.0", "keras 3.4.0"))
        assert [] == changes_of(failing(), ENTRY, reference=reference)

    @pytest.mark.parametrize("before, after", [("inconclusive", "error"), ("fails", "error"),
                                               ("error", "skipped"), ("fails", "inconclusive")])
    def test_another_verdict_is_newly_failing(self, before, after):
        """A baselined case whose verdict is not the reference's is `!`, either way."""
        changes = changes_of(failing(after, message="x"), ENTRY, failing(before, message="x"))
        assert [("!", f"{before} → {after}")] == [(mark, text.split(":")[0])
                                                  for mark, text in changes]


class TestVanished:
    def test_claim_whose_cases_are_gone_is_newly_failing(self):
        """A claim of the reference with no case in the results is `!`, naming its cases."""
        current = results(claims=[claim("carry.index-i", case(CARRY))])
        expected = [("!", f"gone from the results: its only case in the reference (`{RESET}`)")]
        assert expected == changes_of(current, reference=results())

    def test_case_gone_from_a_claim_that_ran(self):
        """One case gone from a claim whose other cases ran is `!` on that case."""
        other = "suites/test_carry.py::test_index_i[GRU]"
        reference = results(claims=[claim("carry.index-i", case(CARRY), case(other)),
                                     claim("reset.model", case(RESET))])
        changes = gate.check(run_of(results(), reference=reference))
        assert [("!", f"`{other}` (carry.index-i)", "gone from the results: a case of the "
                 "reference")] == [(c.mark, c.subject, c.text) for c in changes]

    def test_deselected_on_purpose_is_not_comparable(self):
        """A run narrowed with -k says so, and its missing cases are `x`, not gone."""
        current = results(claims=[claim("carry.index-i", case(CARRY))],
                          pytest_args=["suites/", "-k", "carry"])
        expected = [("x", "not run: the run was narrowed (-k carry); claims `reset.model`")]
        assert expected == changes_of(current, reference=results())

    def test_benchmark_gone_is_newly_failing(self):
        """A benchmark of the reference missing from the results is `!`."""
        current = results(benchmarks=[])
        expected = [("!", "gone from the results: a benchmark of the reference")]
        assert expected == changes_of(current, reference=results())

    def test_benchmark_not_run_on_purpose(self):
        """`-m "not slow"` leaves the benchmarks out on purpose: `x`."""
        current = results(benchmarks=[], pytest_args=["suites/", "-m", "not slow"])
        expected = [("x", "not run; the run's selection (-m not slow) cannot say whether on "
                          "purpose")]
        assert expected == changes_of(current, reference=results())

    @pytest.mark.parametrize("args, expected", [
        (["suites/", "-q", "-p", "no:randomly", "--results", "out.json"], []),
        (["suites/", "--baseline", "suites/baselines/keras-jax.txt", "-n", "2"], []),
        (["suites/", "-k", "test_cosine or instability"], ["-k test_cosine or instability"]),
        (["-kcarry"], ["-k carry"]),
        (["-m", "not slow"], ["-m not slow"]),
        (["--claim=reset.*", "--claim", "carry.*"], ["--claim reset.*", "--claim carry.*"]),
        (["suites/test_cosine.py", "--article"], ["suites/test_cosine.py"]),
        (["suites/test_carry.py::test_index_i"], ["suites/test_carry.py::test_index_i"]),
        (["--deselect", "suites/test_a.py::test_b"], ["--deselect suites/test_a.py::test_b"]),
        (["suites/", "-x"], ["-x"]),
    ])
    def test_narrowing_arguments(self, args, expected):
        """The pytest arguments that leave cases out on purpose, and only those."""
        assert expected == gate.narrowing(results(pytest_args=args))


class TestAccuracy:
    def test_beyond_tolerance_is_worse(self):
        """Each seed's one-step MSE 1.5 times the same seed's in the reference is `+`, though
        the reference's seeds spread ×1.4: seeds are compared with themselves."""
        current = with_benchmark(mse=(0.015, 0.018, 0.021))
        expected = [("+", "one-step MSE 0.018, was 0.012 (seed by seed ×1.50 at the median; "
                          "tolerance ×1.25)")]
        assert expected == changes_of(current, reference=results())

    def test_rollout_beyond_tolerance_is_worse(self):
        """A rollout RMSE ×1.99 on every seed is `+`."""
        expected = [("+", "rollout RMSE 0.239, was 0.12 (seed by seed ×1.99 at the median; "
                          "tolerance ×1.25)")]
        assert expected == changes_of(with_benchmark(rmse=(0.199, 0.2388, 0.2786)),
                                      reference=results())

    def test_noise_inside_tolerance_is_no_change(self):
        """Each seed ×1.2 is inside the default tolerance."""
        assert [] == changes_of(with_benchmark(mse=(0.012, 0.0144, 0.0168)), reference=results())

    def test_the_median_of_the_per_seed_ratios_counts(self):
        """The reference's values on other seeds (seed 0 has seed 2's MSE): ratios ×1.4, ×1,
        ×0.71, whose median ×1 is no change."""
        assert [] == changes_of(with_benchmark(mse=(0.014, 0.012, 0.010)), reference=results())

    def test_tolerance_is_an_option(self):
        """With a tolerance of 4, three times the reference's MSE is no change."""
        current = with_benchmark(mse=(0.030, 0.036, 0.042))
        assert [] == changes_of(current, reference=results(),
                                tolerances=gate.Tolerances(accuracy=4.0))

    def test_better_beyond_tolerance(self):
        """A third of the reference's MSE on every seed is `-`."""
        expected = [("-", "one-step MSE 0.004, was 0.012 (seed by seed ×0.33 at the median; "
                          "tolerance ×1.25)")]
        assert expected == changes_of(with_benchmark(mse=(0.0033, 0.004, 0.0046667)),
                                      reference=results())

    def test_not_finite_is_worse(self):
        """NaN on every seed where the reference had numbers is `+`, whatever the tolerance."""
        current = with_benchmark(mse=(float("nan"),) * 3)
        assert ("+", "one-step MSE nan, was 0.012: 3 seeds not finite") == changes_of(
            current, reference=results())[-1]

    def test_metric_missing_from_the_results_is_newly_failing(self):
        """A figure the reference has and the results lack is `!`."""
        expected = {("!", "rollout RMSE: missing from the results (the reference has it)"),
                    ("!", "beats the rollout goal: False in the reference, not recorded now")}
        assert expected == set(changes_of(with_benchmark(rmse=None), reference=results()))

    def test_metric_only_in_the_results_is_not_comparable(self):
        """A figure only in the results is `x`."""
        expected = [("x", "rollout RMSE: only in the results")]
        assert expected == changes_of(results(), reference=with_benchmark(rmse=None))


class TestTiming:
    def test_twice_as_slow_on_every_seed_is_worse(self):
        """Training twice as long on each of 3 seeds is `+`: every value beyond every
        reference value is the strongest evidence 3 against 3 can give."""
        expected = [("+", "train time s (same machine) 20.8, was 10.4 (×2.00; tolerance ×1.5; "
                          "every one of 3 values beyond every one of 3 reference values; "
                          "Mann-Whitney p ≥ 0.05 with so few)")]
        assert expected == changes_of(with_benchmark(train=SLOWER), reference=results())

    def test_twice_as_fast_on_every_seed_is_better(self):
        """Training in half the time on each seed is `-`."""
        assert ["-"] == [mark for mark, _ in changes_of(with_benchmark(train=FASTER),
                                                        reference=results())]

    def test_slower_median_with_overlapping_seeds_is_not_significant(self):
        """A slower median whose seeds overlap the reference's is `~`, not worse."""
        current = with_benchmark(train=(10.0, 21.0, 30.0))
        assert ["~"] == [mark for mark, _ in changes_of(current, reference=results())]

    def test_noise_inside_tolerance_is_no_change(self):
        """Training 1.3 times as long on every seed is inside the default tolerance."""
        current = with_benchmark(train=tuple(1.3 * value for value in TRAIN))
        assert [] == changes_of(current, reference=results())

    def test_timings_are_relative_to_the_reference_workload(self):
        """On another machine, twice the time where the calibration takes twice as long is
        no change."""
        current = with_benchmark(train=SLOWER, latency=tuple(2 * v for v in LATENCY),
                                 reference=4.0)
        for row in current["benchmarks"]:
            row["environment"] = {**row["environment"], "platform": "another machine"}
        assert [] == changes_of(current, reference=results())

    def test_on_the_same_machine_the_seconds_compare(self):
        """On the same machine and software the seconds themselves compare: a calibration that
        took half as long (as it does here when the other pytest-xdist worker is idle) does
        not make the same training times twice as slow, and twice the seconds are `+` whatever
        the calibration says."""
        noisy_calibration = with_benchmark(reference=1.0)
        assert [] == changes_of(noisy_calibration, reference=results())
        slower = with_benchmark(train=SLOWER, reference=4.0)
        assert ["+"] == [mark for mark, _ in changes_of(slower, reference=results())]

    def test_many_rounds_use_the_mann_whitney_test(self):
        """A latency measured over many rounds is tested with Mann-Whitney at alpha."""
        before = tuple(0.0010 + 0.00001 * i for i in range(20))
        reference = with_benchmark(latency=before)
        current = with_benchmark(latency=tuple(2 * value for value in before))
        (mark, text), = changes_of(current, reference=reference)
        assert ("+", "Mann-Whitney p=0.000, 20 vs 20 values)") == (mark, text[-38:])

    def test_false_alarm_rate_of_three_against_three(self):
        """Of the 20 equally likely ways 6 exchangeable timings split 3 against 3, exactly one
        is flagged slower: the rule's false-alarm rate is 1/20 before the tolerance."""
        values = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5]
        flagged = [after for after in itertools.combinations(values, 3)
                   if gate.significant(list(after), [v for v in values if v not in after],
                                       True, 0.05)[0]]
        assert [(1.3, 1.4, 1.5)] == flagged

    def test_missing_reference_workload_is_newly_failing(self):
        """A row without reference_seconds cannot put its timings in machine units: `!`, so
        that a slowdown cannot hide behind a lost calibration."""
        current = with_benchmark(reference=None, train=tuple(5 * value for value in TRAIN))
        assert {("!", f"{label}: not comparable, reference_seconds missing from the results "
                      "(the reference has it)") for label in ("train time", "step latency")} == set(
            changes_of(current, reference=results()))


class TestBenchmarkStatus:
    def test_benchmark_only_in_the_results_is_not_comparable(self):
        """A new benchmark has no reference figures: `x`, saying how to take them."""
        current = results(benchmarks=[benchmark(), benchmark(model="stacked")])
        expected = [("x", "only in the results: no reference figures (take them with "
                          "gate --update-reference)")]
        assert expected == changes_of(current, reference=results())

    def test_benchmark_that_now_raises_is_newly_failing(self):
        """An ok benchmark that raises now is `!` with its error."""
        current = with_benchmark(status="error", error="seed 0: ValueError: boom; seed 1: ...",
                                 mse=None, rmse=None, train=None, latency=None)
        expected = [("!", "ok in the reference, now error: seed 0: ValueError: boom; seed 1: ...")]
        assert expected == changes_of(current, reference=results())

    def test_benchmark_that_now_diverges_is_newly_failing(self):
        """A status the gate does not know (``diverged``) is not ok: `!`, figures not compared."""
        current = with_benchmark(status="diverged", mse=(4.0, 4.1, 3.9))
        assert [("!", "ok in the reference, now diverged: ")] == changes_of(
            current, reference=results())

    def test_benchmark_failing_the_same_way_is_no_change(self):
        """A benchmark that raised in the reference and raises the same way now: nothing."""
        broken = with_benchmark(status="error", error="RuntimeError: inplace", mse=None,
                                rmse=None, train=None, latency=None)
        assert [] == changes_of(broken, reference=broken)

    def test_benchmark_failing_differently(self):
        """A benchmark that raised and now diverges is `*`."""
        broken = with_benchmark(status="error", error="RuntimeError: inplace", mse=None,
                                rmse=None, train=None, latency=None)
        expected = [("*", "error → diverged: ; was: RuntimeError: inplace")]
        assert expected == changes_of(with_benchmark(status="diverged"), reference=broken)

    def test_benchmark_raising_differently(self):
        """A benchmark that raises another error than in the reference is `*`."""
        def broken(error):
            return with_benchmark(status="error", error=error, mse=None, rmse=None, train=None,
                                  latency=None)
        assert [("*", "error differently: TypeError: b; was: RuntimeError: a")] == changes_of(
            broken("TypeError: b"), reference=broken("RuntimeError: a"))

    def test_benchmark_fixed(self):
        """A benchmark that raised in the reference and runs now is `-`."""
        broken = with_benchmark(status="error", error="RuntimeError: inplace", mse=None,
                                rmse=None, train=None, latency=None)
        expected = [("-", "fixed: error in the reference (RuntimeError: inplace), ok now")]
        assert expected == changes_of(results(), reference=broken)

    def test_recipe_changed_is_newly_failing(self):
        """Figures of another recipe are `!`, naming what changed, and are not compared."""
        current = with_benchmark(mse=(1.0,) * 3)
        current["benchmarks"][0]["recipe_details"]["epochs"] = 2
        expected = [("!", "recipe changed (epochs 24 → 2): figures not comparable; retake the "
                          "reference with gate --update-reference")]
        assert expected == changes_of(current, reference=results())

    def test_fewer_seeds_is_newly_failing(self):
        """A row over one seed against the reference's three is `!`, not a better figure."""
        current = with_benchmark(train=TRAIN[:1], mse=(0.001,), rmse=(0.01,))
        current["benchmarks"][0]["seeds"] = [0]
        expected = [("!", "seeds changed ([0, 1, 2] → [0]): figures not comparable; retake the "
                          "reference with gate --update-reference")]
        assert expected == changes_of(current, reference=results())

    def test_a_seed_that_diverges_is_newly_failing(self):
        """A seed that diverges now and did not in the reference is `!`."""
        current = results()
        current["benchmarks"][0]["diverged_seeds"] = [2]
        expected = [("!", "seeds [2] diverged; diverged in the reference: none")]
        assert expected == changes_of(current, reference=results())

    def test_a_target_no_longer_beaten_is_worse(self):
        """beats_target turning false is `+`, and turning true `-`."""
        beaten = results()
        beaten["benchmarks"][0]["beats_target"] = True
        assert ([("+", "beats the target MSE: False, was True")],
                [("-", "beats the target MSE: True, was False")]) == (
            changes_of(results(), reference=beaten), changes_of(beaten, reference=results()))

    def test_measurement_rows_never_shadow_a_benchmark(self):
        """The train.instability row of a model comes after its benchmark row and has no
        timings; a slowdown of the benchmark is still seen."""
        assert ["+"] == [mark for mark, _ in changes_of(with_benchmark(train=SLOWER),
                                                        reference=results())]

    def test_incomplete_results_are_newly_failing(self):
        """An incomplete results file is one `!` and is not compared further."""
        expected = [("!", f"incomplete results file (stopped during {CARRY}): nothing compared")]
        assert expected == changes_of(failing(complete=False), reference=results())

    def test_results_without_cases_are_newly_failing(self):
        """A results file in which no case ran is one `!`."""
        current = results(claims=[claim("carry.index-i"), claim("reset.model")])
        assert [("!", "no case in the results: nothing ran")] == changes_of(
            current, reference=results())

    def test_results_with_every_case_skipped_are_newly_failing(self):
        """A results file whose every case was skipped is one `!`."""
        current = results(claims=[claim("carry.index-i", case(CARRY, "skipped")),
                                  claim("reset.model", case(RESET, "skipped"))])
        assert [("!", "every one of its 2 cases was skipped: nothing was checked")] == (
            changes_of(current, reference=results()))


class TestUpdatedEntries:
    def entries_after(self, current, entries):
        text = gate.updated_entries(run_of(current, entries))
        return [(entry.pattern, entry.reason) for entry in parse(text)]

    def test_entry_still_matching_keeps_its_reason(self):
        """An entry whose case still does not hold stays as it was."""
        assert [("carry.index-i", REASON)] == self.entries_after(failing(), ENTRY)

    def test_node_id_entry_is_rewritten_as_its_claim(self):
        """A line of the old form is written again in the claim form, with its reason."""
        assert [("carry.index-i", REASON)] == self.entries_after(failing(), NODE_ID_ENTRY)

    def test_new_non_holding_case_gets_a_todo_reason(self):
        """A non-holding case without an entry is added with a TODO and what was observed."""
        expected = [("carry.index-i",
                     "TODO: explain (added by gate --update: row 0 started from zeros)")]
        assert expected == self.entries_after(failing(), "")

    def test_fixed_entry_is_dropped(self):
        """An entry whose case holds now is removed."""
        assert [] == self.entries_after(results(), ENTRY)

    def test_wildcard_with_a_fixed_case_is_narrowed(self):
        """A pattern matching a fixed case and a failing one becomes the failing case."""
        current = results(claims=[claim("reset.model", case(RESET), case(CARRY, "fails"))])
        assert [("reset.model[LSTM]", "both broken")] == self.entries_after(
            current, "suites/*  # both broken")


class TestMain:
    def make_baseline(self, tmp_path, current, baseline_text=ENTRY, reference=None):
        """A baseline directory and a results file; returns (directory, results path)."""
        directory = tmp_path / "baseline"
        write(directory / "fake.txt", baseline_text)
        if reference is not None:
            write(directory / "fake.json", reference)
        return directory, write(tmp_path / "fake.json", current)

    def test_nothing_worse_exits_0(self, tmp_path, capsys):
        """Results as expected by the baseline pass, and the summary says so."""
        directory, path = self.make_baseline(tmp_path, failing(), reference=failing())
        code = main(["gate", "--baseline", str(directory), str(path)])
        first_line = capsys.readouterr().out.splitlines()[0]
        assert (0, "# Gate: ✅ nothing got worse") == (code, first_line)

    def test_regression_exits_1_with_summary(self, tmp_path, capsys):
        """A case that held and fails now fails the gate; --summary holds the printed text."""
        directory, path = self.make_baseline(tmp_path, failing(), NO_ENTRIES, reference=results())
        summary = tmp_path / "summary.md"
        code = main(["gate", "--baseline", str(directory), str(path), "--summary", str(summary)])
        out = capsys.readouterr().out
        assert (1, "# Gate: ❌ 1 change for the worse") == (code, out.splitlines()[0])
        assert out == summary.read_text(encoding="utf-8")

    def test_summary_lists_the_change_with_its_mark(self, tmp_path, capsys):
        """The summary table row gives the mark, the case and what changed."""
        directory, path = self.make_baseline(tmp_path, failing(), NO_ENTRIES, reference=results())
        main(["gate", "--baseline", str(directory), str(path)])
        lines = capsys.readouterr().out.splitlines()
        row = next(line for line in lines if line.startswith("| `!`"))
        expected = ["`!`", f"`{CARRY}` (carry.index-i)",
                    "held, now fails: row 0 started from zeros"]
        assert expected == [cell.strip() for cell in row.strip("|").split(" | ")]

    def test_improvement_passes_and_is_reported(self, tmp_path, capsys):
        """A fixed case passes the gate and is listed as `-` fixed."""
        directory, path = self.make_baseline(tmp_path, results(), reference=failing())
        code = main(["gate", "--baseline", str(directory), str(path)])
        rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| `-`")]
        assert (0, 1, True) == (code, len(rows), "fixed: holds now" in rows[0])

    def test_failing_differently_fails_only_under_strict(self, tmp_path, capsys):
        """`*` passes the gate, and fails it with --strict."""
        reference = failing(message=MESSAGE.replace("row 0", "row 2"))
        directory, path = self.make_baseline(tmp_path, failing(), reference=reference)
        argv = ["gate", "--baseline", str(directory), str(path)]
        assert (0, 1) == (main(argv), main([*argv, "--strict"]))

    def test_narrowed_run_is_said_in_the_summary(self, tmp_path, capsys):
        """The summary says that a narrowed run's missing cases are `x`."""
        current = failing(pytest_args=["suites/", "--claim", "carry.*"])
        directory, path = self.make_baseline(tmp_path, current, reference=failing())
        code = main(["gate", "--baseline", str(directory), str(path)])
        assert (0, True) == (code, "The run was narrowed (--claim carry.*)" in
                             capsys.readouterr().out)

    def test_timing_tolerance_is_an_option(self, tmp_path, capsys):
        """--timing-tolerance 3 lets training twice as long pass."""
        current = failing(benchmarks=[benchmark(train=SLOWER), instability()])
        directory, path = self.make_baseline(tmp_path, current, reference=failing())
        argv = ["gate", "--baseline", str(directory), str(path)]
        assert (1, 0) == (main(argv), main([*argv, "--timing-tolerance", "3"]))

    def test_update_keeps_reasons_and_replaces_the_reference(self, tmp_path, capsys):
        """--update exits 0, keeps the reasons, adds new cases and writes the results as .json."""
        current = results(claims=[claim("carry.index-i", case(CARRY, "fails", "observed: a")),
                                  claim("reset.model", case(RESET, "error", "TypeError: b"))])
        directory, path = self.make_baseline(tmp_path, current, reference=results())
        code = main(["gate", "--baseline", str(directory), str(path), "--update"])
        entries = parse((directory / "fake.txt").read_text(encoding="utf-8"))
        expected = [("carry.index-i", REASON),
                    ("reset.model", "TODO: explain (added by gate --update: TypeError: b)")]
        assert (0, expected, current) == (
            code, [(entry.pattern, entry.reason) for entry in entries],
            json.loads((directory / "fake.json").read_text(encoding="utf-8")))

    def test_update_reference_writes_only_the_json(self, tmp_path, capsys):
        """--update-reference replaces the .json and leaves the expected failures alone."""
        current = failing(benchmarks=[benchmark(train=SLOWER), instability()])
        directory, path = self.make_baseline(tmp_path, current, NO_ENTRIES, reference=results())
        code = main(["gate", "--baseline", str(directory), str(path), "--update-reference"])
        assert (0, NO_ENTRIES, current) == (
            code, (directory / "fake.txt").read_text(encoding="utf-8"),
            json.loads((directory / "fake.json").read_text(encoding="utf-8")))

    def test_updated_baseline_passes_the_gate(self, tmp_path, capsys):
        """After --update the same results pass."""
        directory, path = self.make_baseline(tmp_path, failing(), NO_ENTRIES, reference=results())
        argv = ["gate", "--baseline", str(directory), str(path)]
        assert (1, 0, 0) == (main(argv), main([*argv, "--update"]), main(argv))

    def test_update_creates_a_missing_baseline(self, tmp_path, capsys):
        """--update writes the baseline of an implementation that has none yet."""
        path = write(tmp_path / "fake.json", failing())
        code = main(["gate", "--baseline", str(tmp_path / "new"), str(path), "--update"])
        assert (0, ["fake.json", "fake.txt"]) == (
            code, sorted(p.name for p in (tmp_path / "new").iterdir()))


    def test_a_newer_version_is_gated_against_the_release_reference(self, tmp_path, capsys):
        """A nightly (another keras version) is compared with the reference of the release,
        and the summary ends with the claims whose verdict it changes."""
        nightly = failing(keras="3.16.0.dev2026102704")
        directory, path = self.make_baseline(tmp_path, nightly, NO_ENTRIES,
                                             reference=results(keras="3.15.1"))
        code = main(["gate", "--baseline", str(directory), str(path)])
        out = capsys.readouterr().out
        assert code == 1
        assert "## fake (keras 3.16.0.dev2026102704)" in out
        assert ("Claims whose verdict differs from the reference, fake (keras 3.15.1) → "
                "fake (keras 3.16.0.dev2026102704):") in out
        row = next(line for line in out.splitlines() if line.startswith("| `carry.index-i`"))
        assert ["`carry.index-i`", "holds", "fails"] == [
            cell.strip() for cell in row.strip("|").split(" | ")]

    def test_no_verdict_changes_are_said_in_one_line(self, tmp_path, capsys):
        directory, path = self.make_baseline(tmp_path, results(keras="3.16.0.dev1"), NO_ENTRIES,
                                             reference=results())
        assert 0 == main(["gate", "--baseline", str(directory), str(path)])
        assert ("fake (keras 3.5.0) → fake (keras 3.16.0.dev1): none."
                in capsys.readouterr().out)

    def test_a_claim_a_narrowed_run_left_out_is_no_verdict_change(self):
        current = results(claims=[claim("carry.index-i", case(CARRY, "skipped")),
                                  claim("reset.model", case(RESET))],
                          pytest_args=("suites", "-m", "not slow"))
        assert [] == gate.verdict_changes(run_of(current, reference=results()))


class TestMainBadInput:
    """Each bad input is one `error: ...` line on stderr, exit code 2, and nothing written."""

    def error_of(self, capsys, argv):
        code = main(argv)
        captured = capsys.readouterr()
        return code, captured.err.splitlines(), captured.out

    def gate_error(self, tmp_path, capsys, current, baseline_text=ENTRY, reference=None):
        directory = tmp_path / "baseline"
        if baseline_text is not None:
            write(directory / "fake.txt", baseline_text)
        if reference is not None:
            write(directory / "fake.json", reference)
        directory.mkdir(exist_ok=True)
        path = tmp_path / "fake.json"
        if current is not None:
            write(path, current)
        summary = write(tmp_path / "summary.md", "previous summary")
        code, err, out = self.error_of(
            capsys, ["gate", "--baseline", str(directory), str(path), "--summary", str(summary)])
        assert "previous summary" == summary.read_text(encoding="utf-8")
        return code, err, out

    def test_missing_results_file(self, tmp_path, capsys):
        """A results file that does not exist."""
        expected = (2, [f"error: {tmp_path / 'fake.json'}: no such results file"], "")
        assert expected == self.gate_error(tmp_path, capsys, None)

    def test_empty_results_file(self, tmp_path, capsys):
        """An empty results file."""
        expected = (2, [f"error: {tmp_path / 'fake.json'}: empty results file"], "")
        assert expected == self.gate_error(tmp_path, capsys, "")

    def test_corrupt_results_file(self, tmp_path, capsys):
        """A results file cut short while it was written by something else."""
        expected = (2, [f"error: {tmp_path / 'fake.json'}: not valid JSON (line 1): "
                        "corrupt results file"], "")
        assert expected == self.gate_error(tmp_path, capsys, json.dumps(results())[:200])

    def test_results_of_another_schema_version(self, tmp_path, capsys):
        """A results file written by another version of the harness."""
        expected = (2, [f"error: {tmp_path / 'fake.json'}: schema version 2 is not 1; "
                        "re-run the suite with this version of the harness"], "")
        assert expected == self.gate_error(tmp_path, capsys, {**results(), "schema_version": 2})

    def test_reference_of_another_schema_version(self, tmp_path, capsys):
        """A baseline .json of another schema version than the results."""
        reference = {**results(), "schema_version": 2}
        code, err, _ = self.gate_error(tmp_path, capsys, results(), reference=reference)
        assert (2, 1, True) == (code, len(err), "schema version 2 is not 1" in err[0])

    def test_baseline_of_another_implementation(self, tmp_path, capsys):
        """A baseline .json whose implementation is not the results'."""
        reference = results(name="keras-jax")
        expected = (2, [f"error: {tmp_path / 'baseline' / 'fake.json'}: baseline of keras-jax, "
                        "not of fake"], "")
        assert expected == self.gate_error(tmp_path, capsys, results(), reference=reference)

    def test_no_baseline_for_the_implementation(self, tmp_path, capsys):
        """A baseline directory without the implementation's .txt."""
        expected = (2, [f"error: {tmp_path / 'baseline' / 'fake.txt'}: no baseline for fake "
                        "(create it with gate --update)"], "")
        assert expected == self.gate_error(tmp_path, capsys, results(), baseline_text=None)

    def test_missing_baseline_directory(self, tmp_path, capsys):
        """A baseline directory that does not exist."""
        path = write(tmp_path / "fake.json", results())
        expected = (2, [f"error: {tmp_path / 'nowhere'}: no such baseline directory"], "")
        assert expected == self.error_of(
            capsys, ["gate", "--baseline", str(tmp_path / "nowhere"), str(path)])

    def test_empty_baseline_file(self, tmp_path, capsys):
        """A zero-length baseline .txt."""
        expected = (2, [f"error: {tmp_path / 'baseline' / 'fake.txt'}: empty baseline file"], "")
        assert expected == self.gate_error(tmp_path, capsys, results(), baseline_text="")

    def test_corrupt_baseline_file(self, tmp_path, capsys):
        """A baseline .txt entry without a reason."""
        expected = (2, [f"error: {tmp_path / 'baseline' / 'fake.txt'}:1: entry has no reason "
                        "('<claim>[<case pattern>]  # <reason>')"], "")
        assert expected == self.gate_error(tmp_path, capsys, results(), baseline_text=CARRY)

    def test_corrupt_reference_file(self, tmp_path, capsys):
        """A baseline .json that is not JSON."""
        expected = (2, [f"error: {tmp_path / 'baseline' / 'fake.json'}: not valid JSON (line 1): "
                        "corrupt results file"], "")
        assert expected == self.gate_error(tmp_path, capsys, results(), reference="{")

    def test_update_with_bad_input_writes_nothing(self, tmp_path, capsys):
        """--update with one corrupt results file leaves the baseline as it was."""
        directory = tmp_path / "baseline"
        write(directory / "fake.txt", ENTRY)
        good = write(tmp_path / "fake.json", results())
        bad = write(tmp_path / "jax.json", "{")
        code, err, _ = self.error_of(
            capsys, ["gate", "--baseline", str(directory), str(good), str(bad), "--update"])
        assert (2, 1, ENTRY, ["fake.txt"]) == (
            code, len(err), (directory / "fake.txt").read_text(encoding="utf-8"),
            [p.name for p in directory.iterdir()])

    def test_update_from_incomplete_results(self, tmp_path, capsys):
        """--update refuses an incomplete results file."""
        path = write(tmp_path / "fake.json", failing(complete=False))
        expected = (2, [f"error: {path}: incomplete results file; refusing to update the "
                        "baseline from it"], "")
        assert expected == self.error_of(
            capsys, ["gate", "--baseline", str(tmp_path), str(path), "--update"])

    def test_update_from_a_narrowed_run(self, tmp_path, capsys):
        """--update-reference refuses a run that left cases out: the reference would lose
        them."""
        path = write(tmp_path / "fake.json", results(pytest_args=["suites/", "-m", "not slow"]))
        expected = (2, [f"error: {path}: the run was narrowed (-m not slow); refusing to "
                        "update the baseline from it"], "")
        assert expected == self.error_of(
            capsys, ["gate", "--baseline", str(tmp_path), str(path), "--update-reference"])
