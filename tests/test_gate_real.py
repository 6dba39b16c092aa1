"""The gate, the comparison and the report on real results: the committed reference results of
suites/baselines/ (copies of the published runs of reports/results/), each plant of issue 26 made
on a copy of one, and every row shape the committed results files hold."""

import copy
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from harness import baseline, compare, gate, report
from harness.baseline import parse
from harness.__main__ import main
from harness.metrics import ACCURACY, TIMINGS, by_benchmark
from harness.paths import PROJECT_ROOT
from harness.results import load, row_kind
from tests.results_factory import cells, real, results, write

BASELINES = PROJECT_ROOT / "suites" / "baselines"
PUBLISHED = PROJECT_ROOT / "reports" / "results"
MODELS = ("stateless", "stateful", "stacked", "dense")
# The latest release of each built-in, whose published run is its reference.
LATEST = ("keras-tensorflow-3.15", "keras-jax-3.15", "keras-torch-3.15", "tf-keras-2.21")


def ci_gate_options() -> list[str]:
    """The options of the gate line of .ci/run, after the results."""
    line = next(line for line in (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
                if line.startswith("python -m harness gate"))
    words = shlex.split(line.split("||")[0])
    return [word for word in words[4:] if not word.startswith("${results")]


def ci_tolerances() -> list[str]:
    """The gate options of .ci/run other than its baseline directory."""
    options = ci_gate_options()
    at = options.index("--baseline")
    return options[:at] + options[at + 2:]


def reference(name="keras-tensorflow") -> dict:
    """A fresh copy of the committed reference results of ``name``."""
    return load(BASELINES / f"{name}.json")


def scaled(data: dict, factor: float, metrics) -> dict:
    """``data`` with every value of the figures ``metrics`` of every benchmark row times
    ``factor``."""
    data = copy.deepcopy(data)
    for row in data["benchmarks"]:
        for metric in metrics:
            block = row.get(metric)
            if row_kind(row) == "benchmark" and isinstance(block, dict) and block.get("values"):
                for key in ("median", "min", "max"):
                    block[key] *= factor
                block["values"] = [value * factor for value in block["values"]]
    return data


def gate_against_baselines(tmp_path, capsys, current, *options) -> tuple[int, str]:
    """Gate ``current`` against suites/baselines as CI does, with ``options`` after CI's."""
    name = current["implementation"]["name"]
    path = write(tmp_path / f"{name}.json", current)
    code = main(["gate", "--baseline", str(BASELINES), str(path), *ci_tolerances(), *options])
    return code, capsys.readouterr().out


def marked(summary: str, mark: str) -> list[tuple[str, str]]:
    """(what, change) of the summary rows marked ``mark``."""
    rows = [line.strip("|").split(" | ") for line in summary.splitlines()
            if line.startswith(f"| `{mark}`")]
    return [(row[1].strip(), row[2].strip()) for row in rows]


def cases(data: dict):
    for claim in data["claims"]:
        for case in claim["cases"]:
            yield claim, case


def first_case(data: dict, verdict: str, kind: str | None = None) -> dict:
    return next(case for claim, case in cases(data) if case["verdict"] == verdict
                and kind in (None, claim["kind"]))


def benchmark_rows(data: dict) -> list[dict]:
    return [row for row in data["benchmarks"] if row_kind(row) == "benchmark"]


class TestCommittedResultsPass:
    @pytest.mark.parametrize("release", LATEST)
    def test_latest_release_against_its_baseline(self, release, capsys):
        """The published run of each built-in's latest release passes the gate as CI runs it,
        against suites/baselines as committed, with no change at all."""
        code = main(["gate", "--baseline", str(BASELINES), str(PUBLISHED / f"{release}.json"),
                     *ci_tolerances()])
        assert (0, 1) == (code, capsys.readouterr().out.count("No changes."))


# Each plant of issue 26 on a copy of the committed keras-tensorflow reference: what it does to
# the results file, and the (mark, start of the text) of the line that must name it.
def incomplete(data):
    data.update(complete=False, running="suites/test_carry.py::test_index_i[LSTM-bs1-call]")
    data["claims"] = data["claims"][:3]
    return "!", "incomplete results file (stopped during suites/test_carry.py"


def every_case_skipped(data):
    every = [case for _, case in cases(data)]
    for case in every:
        case.update(verdict="skipped", outcome="skipped")
    return "!", f"every one of its {len(every)} cases was skipped"


def unknown_verdict(data):
    first_case(data, "holds")["verdict"] = "maybe"
    return "!", "unknown verdict 'maybe'"


def holds_to_skipped(data):
    first_case(data, "holds").update(verdict="skipped", outcome="skipped")
    return "!", "holds in the reference, now skipped"


def workaround_to_skipped(data):
    claim = next(claim for claim in data["claims"] if claim["kind"] == "workaround"
                 and claim["verdict"] == "holds")
    for case in claim["cases"]:
        case.update(verdict="skipped", outcome="skipped")
    return "!", "holds in the reference, now skipped"


def fails_to_error(data):
    first_case(data, "fails")["verdict"] = "error"
    return "!", "fails → error"


def error_to_skipped(data):
    first_case(data, "error")["verdict"] = "skipped"
    return "!", "error → skipped"


def observation_changed(data):
    case = next(case for _, case in cases(data) if case.get("observed"))
    case["observed"] += ", changed"
    return "?", f"observed: {case['observed']}"


def observations_removed(data):
    for _, case in cases(data):
        case["observed"] = None
    return "?", "observed: nothing; was:"


def observations_swapped(data):
    claim = next(claim for claim in data["claims"]
                 if len({case["observed"] for case in claim["cases"]} - {None}) > 1)
    seen = [case for case in claim["cases"] if case["observed"]]
    seen[0]["observed"], seen[-1]["observed"] = seen[-1]["observed"], seen[0]["observed"]
    return "?", "observed:"


def recipe_changed(data):
    for row in benchmark_rows(data):
        row["recipe_details"]["epochs"] = 2
    scaled_in_place(data, 100, ["one_step_mse"])
    return "!", "recipe changed (epochs 24 → 2)"


def accuracy_deleted(data):
    for row in benchmark_rows(data):
        del row["one_step_mse"], row["rollout_rmse"]
    return "!", "one-step MSE: missing from the results"


def calibration_deleted(data):
    for row in benchmark_rows(data):
        del row["reference_seconds"]
    scaled_in_place(data, 5, ["train_seconds"])
    return "!", "train time: not comparable, reference_seconds missing"


def one_seed(data):
    for row in benchmark_rows(data):
        row["seeds"] = [0]
        for metric in (*ACCURACY, "train_seconds", "prediction_slope"):
            row[metric]["values"] = row[metric]["values"][:1]
    return "!", "seeds changed ([0, 1, 2] → [0])"


def target_missed(data):
    for row in benchmark_rows(data):
        row["beats_target"] = False
    return "+", "beats the target MSE: False, was True"


def seed_diverged(data):
    for row in benchmark_rows(data):
        row["diverged_seeds"] = [1]
    return "!", "seeds [1] diverged"


def accuracy_times_1_99(data):
    scaled_in_place(data, 1.99, ACCURACY)
    return "+", "rollout RMSE"


def mse_times_1_5(data):
    scaled_in_place(data, 1.5, ["one_step_mse"])
    return "+", "one-step MSE"


def training_times_5(data):
    scaled_in_place(data, 5, ["train_seconds"])
    return "+", "train time s (same machine)"


def training_times_2(data):
    scaled_in_place(data, 2, ["train_seconds"])
    return "+", "train time s (same machine)"


def scaled_in_place(data, factor, metrics):
    data["benchmarks"] = scaled(data, factor, metrics)["benchmarks"]


PLANTS = [incomplete, every_case_skipped, unknown_verdict, holds_to_skipped,
          workaround_to_skipped, fails_to_error, error_to_skipped, observation_changed,
          observations_removed, observations_swapped, recipe_changed, accuracy_deleted,
          calibration_deleted, one_seed, target_missed, seed_diverged, accuracy_times_1_99,
          mse_times_1_5, training_times_5, training_times_2]


class TestPlantsFailTheGate:
    @pytest.mark.parametrize("plant", PLANTS, ids=lambda plant: plant.__name__)
    def test_plant_fails_as_ci_runs_the_gate(self, plant, tmp_path, capsys):
        """Each plant on the committed keras-tensorflow reference fails the gate as .ci/run
        calls it (exit 1), with a line of the expected mark that names what got worse."""
        current = reference()
        mark, text = plant(current)
        code, out = gate_against_baselines(tmp_path, capsys, current)
        assert (1, True) == (code, any(change.startswith(text)
                                       for _, change in marked(out, mark))), out[:3000]

    def test_every_model_is_named(self, tmp_path, capsys):
        """Every MSE ×1.5 is `+` on each of the four models, though the reference's seeds
        spread up to ×1.7 from median to worst (stacked)."""
        current = reference()
        mse_times_1_5(current)
        _, out = gate_against_baselines(tmp_path, capsys, current)
        assert {f"benchmark {model} / fast" for model in MODELS} == {
            what for what, change in marked(out, "+") if change.startswith("one-step MSE")}

    def test_accepted_observations_pass(self, tmp_path, capsys):
        """--accept passes a changed observation, still listed as `?`."""
        current = reference()
        observation_changed(current)
        code, out = gate_against_baselines(tmp_path, capsys, current, "--accept")
        assert (0, 1) == (code, len(marked(out, "?")))


def slow_nodeids() -> set[str]:
    """The node ids of the suite marked slow, as pytest collects them (no Keras is loaded)."""
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/", "--collect-only", "-q", "-m", "slow",
         "--impl", "tests.fake_impl:FAKE", "-p", "no:randomly", "-p", "no:cacheprovider",
         "-n", "0"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    found = {line for line in collected.stdout.splitlines() if line.startswith("suites/")}
    assert found, collected.stdout[-2000:] + collected.stderr[-2000:]
    return found


@pytest.fixture(scope="module")
def with_marks() -> dict:
    """The committed keras-tensorflow reference with each case's marks, as the plugin records
    them now: ``slow`` from the suite's collection."""
    slow = slow_nodeids()
    data = reference()
    for _, case in cases(data):
        case["marks"] = ["claim", "slow"] if case["nodeid"] in slow else ["claim"]
    return data


def not_slow_run(data: dict) -> dict:
    """What ``-m "not slow"`` runs of ``data``: its not-slow cases, no benchmark."""
    data = copy.deepcopy(data)
    data["suite"]["pytest_args"] = ["suites/", "-q", "-n", "2", "-m", "not slow"]
    for claim in data["claims"]:
        claim["cases"] = [case for case in claim["cases"] if "slow" not in case["marks"]]
    data["benchmarks"] = []
    return data


class TestNarrowedRuns:
    def gate(self, tmp_path, capsys, current, reference_data):
        directory = tmp_path / "baselines"
        directory.mkdir()
        (directory / "keras-tensorflow.txt").write_text(
            (BASELINES / "keras-tensorflow.txt").read_text(encoding="utf-8"), encoding="utf-8")
        write(directory / "keras-tensorflow.json", reference_data)
        path = write(tmp_path / "keras-tensorflow.json", current)
        code = main(["gate", "--baseline", str(directory), str(path), *ci_tolerances()])
        return code, capsys.readouterr().out

    def test_a_not_slow_run_passes(self, with_marks, tmp_path, capsys):
        """The reference's not-slow cases, recorded as `-m "not slow"`, pass: what it left out
        is one `x` for its cases, one per benchmark, one for the baseline lines of slow cases."""
        code, out = self.gate(tmp_path, capsys, not_slow_run(with_marks), with_marks)
        left_out = sorted(re.sub(r"^\d+ ", "N ", what) for what, _ in marked(out, "x"))
        assert (0, [], sorted(["N cases of the reference", "N baseline lines",
                               *(f"benchmark {model} / fast" for model in MODELS)])) == (
            code, marked(out, "!"), left_out)

    def test_a_dropped_not_slow_case_fails(self, with_marks, tmp_path, capsys):
        """A not-slow case missing from a `-m "not slow"` run is `!`, named."""
        current = not_slow_run(with_marks)
        claim = next(claim for claim in current["claims"] if len(claim["cases"]) > 1)
        dropped = claim["cases"].pop()["nodeid"]
        code, out = self.gate(tmp_path, capsys, current, with_marks)
        assert (1, [(f"`{dropped}` ({claim['id']})", "gone from the results: a case of the "
                     "reference that the run's selection (-m not slow) chose")]) == (
            code, marked(out, "!"))

    def test_a_reference_without_marks_cannot_pass_a_narrowed_run(self, with_marks, tmp_path,
                                                                   capsys):
        """Against a reference that records no marks (the committed ones, made before the
        plugin recorded them), a `-m "not slow"` run cannot show it ran what it selected: `!`."""
        without_marks = reference()
        for _, case in cases(without_marks):
            case.pop("marks", None)
        code, out = self.gate(tmp_path, capsys, not_slow_run(with_marks), without_marks)
        (what, change), = marked(out, "!")
        assert (1, True) == (code, "the reference records no marks per case" in change)


class TestRealResults:
    def test_a_real_run_against_itself_passes(self, tmp_path, capsys):
        """The committed reference gated against itself: no change."""
        code, out = gate_against_baselines(tmp_path, capsys, reference())
        assert (0, 1) == (code, out.count("No changes."))

    def test_every_figure_times_1000_fails_the_ci_gate(self, tmp_path, capsys):
        """Every MSE, RMSE, training time and latency ×1000 fails the gate as CI runs it, with
        each figure of each model named `+`."""
        current = scaled(reference(), 1000, [*ACCURACY, *TIMINGS])
        code, out = gate_against_baselines(tmp_path, capsys, current)
        named = {(what, " ".join(change.split(" ")[:2])) for what, change in marked(out, "+")}
        expected = {(f"benchmark {model} / fast", label)
                    for model in MODELS
                    for label in ("one-step MSE", "rollout RMSE", "train time", "step latency")}
        assert (1, expected) == (code, named)

    def test_removing_claims_fails_the_gate_naming_them(self, tmp_path, capsys):
        """Dropping every case of three claims fails the gate, each claim named."""
        current = reference()
        gone = ("carry.index-i", "state.not-weights", "setup.equal-batches")
        for claim in current["claims"]:
            if claim["id"] in gone:
                claim["cases"] = []
        code, out = gate_against_baselines(tmp_path, capsys, current)
        assert (1, {f"`{claim_id}`" for claim_id in gone}) == (
            code, {what for what, change in marked(out, "!")
                   if change.startswith("gone from the results")})

    def test_another_worker_order_is_no_change(self, tmp_path, capsys):
        """The reference's cases in reverse order, as another worker order writes them: no
        change, observations included."""
        current = reference()
        for claim in current["claims"]:
            claim["cases"].reverse()
        assert (0, []) == (gate_against_baselines(tmp_path, capsys, current)[0],
                           marked(capsys.readouterr().out, "?"))

    def test_a_keras_torch_case_from_error_to_fails(self, tmp_path, capsys):
        """A keras-torch case that could not train (error) and now trains to wrong values
        (fails) is `!` against the committed baseline: its verdict is not the reference's."""
        current = reference("keras-torch")
        nodeid = "suites/test_carry.py::test_across_epochs[LSTM-calls]"
        case = next(case for _, case in cases(current) if case["nodeid"] == nodeid)
        assert "error" == case["verdict"]
        case.update(verdict="fails", outcome="xfailed", message="[carry.across-epochs] on "
                    "keras-torch\n  observed: state differs by 0.3")
        code, out = gate_against_baselines(tmp_path, capsys, current)
        (what, change), = marked(out, "!")
        assert (1, f"`{nodeid}` (carry.across-epochs)", "error → fails: state differs by 0.3; "
                "was: RuntimeError: one of the variables needed for gradient computation has "
                "been modified by an inplace operation") == (code, what, change[:150])


def updated(tmp_path, release: str, current: dict | None = None) -> Path:
    """A copy of the committed baseline of ``release``'s implementation after ``gate --update``
    from its published run (or from ``current``); returns the new ``.txt``."""
    name = release.rsplit("-", 1)[0]
    directory = tmp_path / "baselines"
    directory.mkdir(exist_ok=True)
    for suffix in (".txt", ".json"):
        target = directory / f"{name}{suffix}"
        if not target.exists():
            target.write_bytes((BASELINES / f"{name}{suffix}").read_bytes())
    path = (PUBLISHED / f"{release}.json" if current is None
            else write(tmp_path / f"{name}.json", current))
    assert 0 == main(["gate", "--baseline", str(directory), "--update", str(path)])
    return directory / f"{name}.txt"


def expected_cases(data: dict, entries) -> dict[str, str]:
    """Node id -> reason of each case of ``data`` that a baseline entry names."""
    named = {}
    for claim, case in cases(data):
        entry = baseline.first_match(entries, case["nodeid"], claim["id"])
        if entry is not None:
            named[case["nodeid"]] = entry.reason
    return named


class TestUpdate:
    @pytest.mark.parametrize("release", LATEST)
    def test_update_writes_claim_lines_naming_the_same_cases(self, release, tmp_path, capsys):
        """gate --update from the published run writes the committed baseline in the claim
        form: the same cases expected, each with the same reason, no node id line, and every
        line naming some case."""
        data = load(PUBLISHED / f"{release}.json")
        before = baseline.load(BASELINES / f"{release.rsplit('-', 1)[0]}.txt")
        after = baseline.load(updated(tmp_path, release))
        idle = [entry.pattern for entry in after
                if not any(entry.matches(case["nodeid"], claim["id"]) for claim, case in
                           cases(data))]
        assert (expected_cases(data, before), [], []) == (
            expected_cases(data, after), [entry.pattern for entry in after if entry.claim is None],
            idle)

    @pytest.mark.parametrize("release", LATEST)
    def test_update_from_an_unchanged_run_changes_nothing(self, release, tmp_path, capsys):
        """A second gate --update from the same run leaves both files byte for byte as they
        were, header and alignment included."""
        path = updated(tmp_path, release)
        first = [path.read_bytes(), path.with_suffix(".json").read_bytes()]
        updated(tmp_path, release)
        assert first == [path.read_bytes(), path.with_suffix(".json").read_bytes()]

    def test_update_rewrites_only_the_changed_lines(self, tmp_path, capsys):
        """A case that holds now rewrites the line that named it, in its place, as lines that
        name the others; nothing else of the file changes."""
        path = updated(tmp_path, "keras-jax-3.15")
        before = path.read_text(encoding="utf-8").splitlines()
        current = reference("keras-jax")
        fixed = "suites/test_carry.py::test_index_i[LSTM-bs1-predict]"
        next(case for _, case in cases(current) if case["nodeid"] == fixed).update(
            verdict="holds", outcome="xpassed", message="")
        after = updated(tmp_path, "keras-jax-3.15", current).read_text(encoding="utf-8")
        after = after.splitlines()
        at = next(number for number, line in enumerate(before)
                  if line.startswith("carry.index-i[*-predict*] "))
        end = at + 1 + len(after) - len(before)  # after the lines written in its place
        expected = expected_cases(current, parse("\n".join(before)))
        del expected[fixed]
        assert (before[:at] + before[at + 1:], True, expected) == (
            after[:at] + after[end:],
            all(line.startswith("carry.index-i[") for line in after[at:end]),
            expected_cases(current, parse("\n".join(after))))

    def test_a_case_id_two_checks_share_is_written_as_its_node_id(self, tmp_path, capsys):
        """stateless.order-free has two checks with the same case ids: one failing case among
        them is written as its node id, since `stateless.order-free[GRU]` would also name the
        other check's case, which holds."""
        current = reference("keras-tensorflow")
        failing_now = "suites/test_stateless.py::test_stateful_batch_order[GRU]"
        next(case for _, case in cases(current) if case["nodeid"] == failing_now).update(
            verdict="fails", outcome="failed", message="observed: the order changed the output")
        after = parse(updated(tmp_path, "keras-tensorflow-3.15", current).read_text())
        assert [(failing_now, "TODO: explain (added by gate --update: the order changed the "
                              "output)")] == [(entry.pattern, entry.reason) for entry in after
                                              if entry.pattern.startswith(("stateless", "suites"))]

    def test_update_into_an_empty_folder_says_it_made_the_baseline(self, tmp_path, capsys):
        """gate --update on an empty folder writes the baseline and says so (no ❌ line); the
        same run then passes against it."""
        directory = tmp_path / "baselines"
        directory.mkdir()
        path = PUBLISHED / "keras-tensorflow-3.15.json"
        code = main(["gate", "--baseline", str(directory), "--update", str(path)])
        title = capsys.readouterr().out.splitlines()[0]
        assert (0, True, 0) == (code, title.startswith("# Gate: baseline updated"),
                                main(["gate", "--baseline", str(directory), str(path)]))


class TestExitCodes:
    def test_an_empty_baseline_folder_is_bad_input(self, tmp_path, capsys):
        """gate against an empty baseline folder exits 2, saying what is missing."""
        (tmp_path / "baselines").mkdir()
        code = main(["gate", "--baseline", str(tmp_path / "baselines"),
                     str(PUBLISHED / "keras-tensorflow-3.15.json")])
        assert (2, True) == (code, "no baseline for keras-tensorflow" in capsys.readouterr().err)

    def test_a_baseline_without_reference_results_is_bad_input(self, tmp_path, capsys):
        """Expected failures without the reference .json cannot show what must be there: 2."""
        (tmp_path / "keras-tensorflow.txt").write_bytes(
            (BASELINES / "keras-tensorflow.txt").read_bytes())
        code = main(["gate", "--baseline", str(tmp_path),
                     str(PUBLISHED / "keras-tensorflow-3.15.json")])
        assert (2, True) == (code, "no reference results" in capsys.readouterr().err)

    def test_usage_error_is_2(self, capsys):
        """A tolerance under 1 is a usage error."""
        with pytest.raises(SystemExit) as exit_info:
            main(["gate", "--baseline", str(BASELINES), "--timing-tolerance", "0.5",
                  str(PUBLISHED / "keras-tensorflow-3.15.json")])
        assert 2 == exit_info.value.code

    def test_a_crash_is_3(self, monkeypatch, capsys):
        """A gate that crashes exits 3, never 0."""
        def crash(*args, **kwargs):
            raise KeyError("a bug")
        monkeypatch.setattr(gate, "check", crash)
        assert 3 == main(["gate", "--baseline", str(BASELINES),
                          str(PUBLISHED / "keras-tensorflow-3.15.json")])


class TestRealComparison:
    def test_timing_tables_from_real_files(self):
        """COMPARISON.md of two real runs has a table per timing, with a figure for each model
        in each column and the ratio to the first."""
        later = scaled(real(), 2, ["train_seconds"])
        later["implementation"]["keras"] = "3.16.0"
        text = compare.render([("a.json", real()), ("b.json", later)])
        table = text.split("### train time ÷ reference workload (median)", 1)[1].split("###")[0]
        latency = text.split("### step latency ÷ reference workload (median)", 1)[1]
        # An environment a row (keras-tensorflow 3.15 and 3.16), a model a column.
        assert [value.endswith("(×2.00)") for value in cells(table, "tf 3.16")[1:]] == \
            [True] * len(MODELS)
        assert all("–" not in cells(latency, label)[1:] for label in ("tf 3.15", "tf 3.16"))


def real_row_shapes() -> dict[str, tuple[dict, dict]]:
    """One row of each shape the committed results files hold (kind, or none in files older
    than the rows' kind; the measured claim; the status), named after where it comes from, with
    the benchmark row of its model in the same file (a measurement row follows one)."""
    shapes = {}
    for path in sorted(PUBLISHED.glob("*.json")) + [PROJECT_ROOT / "tests" / "data" /
                                                    "keras-tensorflow-3.15.json"]:
        rows = json.loads(path.read_text(encoding="utf-8"))["benchmarks"]
        for row in rows:
            shape = " ".join((row.get("kind", "no kind"), row.get("claim", "benchmark"),
                              row["status"]))
            benchmark = by_benchmark({"benchmarks": rows})[(row["model"], row["recipe"])]
            shapes[shape] = (f"{shape} ({path.stem} {row['model']})", row, benchmark)
    return {name: (row, benchmark) for name, row, benchmark in sorted(shapes.values())}


ROW_SHAPES = real_row_shapes()
@pytest.mark.parametrize("shape", ROW_SHAPES)
class TestEveryRowShape:
    """Gate and report read each row shape of the committed results files."""

    def document(self, shape, keras="3.5.0"):
        row, benchmark = copy.deepcopy(ROW_SHAPES[shape])
        rows = [row] if row_kind(row) == "benchmark" else [benchmark, row]
        return results(keras=keras, benchmarks=rows)

    def test_gate(self, shape):
        """A row against itself is no change; with its seeds cut to one, a benchmark row is
        `!` (a measurement row is the figures of a claim, not a benchmark: never compared)."""
        row, _ = ROW_SHAPES[shape]
        same = gate.check(gate.Run(Path("r.json"), self.document(shape), [],
                                   self.document(shape)))
        cut = self.document(shape)
        cut["benchmarks"][-1]["seeds"] = [0]
        changes = gate.check(gate.Run(Path("r.json"), cut, [], self.document(shape)))
        expected = ([("!", f"benchmark {row['model']} / {row['recipe']}")]
                    if row_kind(row) == "benchmark" else [])
        assert ([], expected) == (same, [(change.mark, change.subject) for change in changes])

    def test_report(self, shape, tmp_path):
        """The report has a table row for a benchmark row's model; a measurement row changes
        nothing of the report of its benchmark (its claim's observed line shows it)."""
        row, benchmark = ROW_SHAPES[shape]
        text = report.render(self.document(shape), tmp_path / "r.md")
        if row_kind(row) == "benchmark":
            assert row["model"] == cells(text, row["model"])[0]
        else:
            alone = report.render(results(benchmarks=[copy.deepcopy(benchmark)]),
                                  tmp_path / "r.md")
            assert alone == text


@pytest.mark.parametrize("shape", [shape for shape, (row, _) in ROW_SHAPES.items()
                                   if row_kind(row) == "benchmark"])
def test_comparison_shows_every_benchmark_row(shape):
    """The comparison shows each benchmark row's model in the one-step MSE table, with a value
    or its status in each column."""
    row, _ = ROW_SHAPES[shape]
    documents = [results(keras=keras, benchmarks=[copy.deepcopy(row)])
                 for keras in ("3.5.0", "3.6.0")]
    text = compare.render([("a.json", documents[0]), ("b.json", documents[1])])
    section = text.split("### one-step MSE (median)", 1)[-1].split("###")[0]
    # An environment a row, the model a column.
    assert "–" not in [cells(section, label)[1] for label in ("fake 3.5", "fake 3.6")]


def test_a_benchmark_and_its_measured_claim_are_distinct():
    """The real run's train.instability rows share (model, recipe) with the benchmarks and
    never replace them."""
    rows = by_benchmark(real())
    assert {("stateless", "fast"), ("stateful", "fast"), ("stacked", "fast"),
            ("dense", "fast")} == set(rows) and all("train_seconds" in row for row in rows.values())


def test_ci_gate_line_reads_the_baselines():
    """.ci/run gates against suites/baselines with options the gate knows."""
    options = ci_gate_options()
    assert ["--baseline", "suites/baselines"] == options[:2]
    assert all(re.fullmatch(r"--[a-z-]+|[\w./]+", option) for option in options)
