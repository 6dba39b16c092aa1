"""The gate, the comparison and the report on real results: the committed run of
tests/data/, the reference results of suites/baselines/, and every row shape the suite writes."""

import copy
import re
import shlex
from pathlib import Path

import pytest

from harness import compare, gate, report
from harness.__main__ import main
from harness.metrics import ACCURACY, TIMINGS, by_benchmark
from harness.paths import PROJECT_ROOT
from harness.results import load
from tests.results_factory import (
    benchmark,
    cells,
    gpu,
    instability,
    real,
    results,
    write,
)

BASELINES = PROJECT_ROOT / "suites" / "baselines"
MODELS = ("stateless", "stateful", "stacked", "dense")


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


def scaled(data: dict, factor: float, metrics) -> dict:
    """``data`` with every value of the figures ``metrics`` of every row times ``factor``."""
    data = copy.deepcopy(data)
    for row in data["benchmarks"]:
        for metric in metrics:
            block = row.get(metric)
            if isinstance(block, dict) and block.get("median") is not None:
                for key in ("median", "min", "max"):
                    block[key] *= factor
                block["values"] = [value * factor for value in block["values"]]
    return data


def gate_against_itself(tmp_path, capsys, current, *options) -> tuple[int, str]:
    """Gate ``current`` against a baseline taken from the real file by ``gate --update``."""
    directory = tmp_path / "baseline"
    reference = write(tmp_path / "reference.json", real())
    assert 0 == main(["gate", "--baseline", str(directory), str(reference), "--update"])
    capsys.readouterr()
    code = main(["gate", "--baseline", str(directory), str(write(tmp_path / "r.json", current)),
                 *options])
    return code, capsys.readouterr().out


def marked(summary: str, mark: str) -> list[tuple[str, str]]:
    """(what, change) of the summary rows marked ``mark``."""
    rows = [line.strip("|").split(" | ") for line in summary.splitlines()
            if line.startswith(f"| `{mark}`")]
    return [(row[1].strip(), row[2].strip()) for row in rows]


class TestRealResults:
    def test_a_real_run_against_itself_passes(self, tmp_path, capsys):
        """The committed real run gated against a baseline made from it: no change."""
        code, out = gate_against_itself(tmp_path, capsys, real(), *ci_tolerances())
        assert (0, 1) == (code, out.count("No changes."))

    def test_every_figure_times_1000_fails_the_ci_gate(self, tmp_path, capsys):
        """Every MSE, RMSE, training time and latency ×1000 fails the gate as CI runs it, with
        each figure of each model named `+`."""
        current = scaled(real(), 1000, [*ACCURACY, *TIMINGS])
        code, out = gate_against_itself(tmp_path, capsys, current, *ci_tolerances())
        named = {(what, change.split(" ")[0] + " " + change.split(" ")[1])
                 for what, change in marked(out, "+")}
        expected = {(f"benchmark {model} / fast", label)
                    for model in MODELS
                    for label in ("one-step MSE", "rollout RMSE", "train time", "step latency")}
        assert (1, expected) == (code, named)

    def test_twice_as_slow_on_every_seed_is_flagged(self, tmp_path, capsys):
        """Training and forecast steps twice as slow on each of the 3 seeds of a real run are
        `+` for every model at the default tolerance: the reference's seeds lie within ×2 of
        each other, so every slowed seed is beyond every reference seed."""
        code, out = gate_against_itself(tmp_path, capsys, scaled(real(), 2, TIMINGS))
        flagged = {(what, change.split(" ÷")[0]) for what, change in marked(out, "+")}
        assert (1, {(f"benchmark {model} / fast", label) for model in MODELS
                    for label in ("train time", "step latency")}) == (code, flagged)

    def test_removing_claims_fails_the_gate_naming_them(self, tmp_path, capsys):
        """Dropping every case of three claims fails the gate, each claim named."""
        current = real()
        gone = ("carry.index-i", "state.not-weights", "setup.equal-batches")
        for claim in current["claims"]:
            if claim["id"] in gone:
                claim["cases"] = []
        code, out = gate_against_itself(tmp_path, capsys, current)
        assert (1, {f"`{claim_id}`" for claim_id in gone}) == (
            code, {what for what, change in marked(out, "!")
                   if change.startswith("gone from the results")})

    def test_observations_are_compared_on_the_cases_that_ran(self, tmp_path, capsys):
        """keras-tensorflow's reference narrowed to the cases that `-m "not slow"` runs (no
        predict_on_batch) and reversed, as another worker order gives: no `?`. One case that
        observed something else is `?`, naming the new observation."""
        current = load(BASELINES / "keras-tensorflow.json")
        current["suite"]["pytest_args"] = ["suites/", "-m", "not slow"]
        for claim in current["claims"]:
            claim["cases"] = [case for case in reversed(claim["cases"])
                              if "predict_on_batch" not in case["nodeid"]]
        masked = next(claim for claim in current["claims"] if claim["id"] == "mask.keeps-state")
        assert "predict_on_batch" in masked["observed"]  # the claim's line is the reference's
        path = tmp_path / "keras-tensorflow.json"
        argv = ["gate", "--baseline", str(BASELINES), str(path)]
        write(path, current)
        assert (0, []) == (main(argv), marked(capsys.readouterr().out, "?"))

        masked["cases"][0]["observed"] = "call: a row whose whole batch is masked keeps its output"
        write(path, current)
        code, out = main(argv), capsys.readouterr().out
        (what, change), = marked(out, "?")
        assert (0, "`mask.keeps-state`") == (code, what)
        assert change.startswith("observed: call: a row whose whole batch is masked keeps its output")

    def test_a_keras_torch_case_from_error_to_fails(self, tmp_path, capsys):
        """A keras-torch case that could not train (error) and now trains to wrong values
        (fails) is `*` against the committed baseline; --strict fails the gate on it."""
        current = load(BASELINES / "keras-torch.json")
        nodeid = "suites/test_carry.py::test_across_epochs[LSTM-calls]"
        case = next(case for claim in current["claims"] for case in claim["cases"]
                    if case["nodeid"] == nodeid)
        assert "error" == case["verdict"]
        case.update(verdict="fails", outcome="xfailed", message="[carry.across-epochs] on "
                    "keras-torch\n  observed: state differs by 0.3")
        path = write(tmp_path / "keras-torch.json", current)
        argv = ["gate", "--baseline", str(BASELINES), str(path)]
        code, out = main(argv), capsys.readouterr().out
        (what, change), = marked(out, "*")
        assert (0, f"`{nodeid}` (carry.across-epochs)", "error → fails: state differs by 0.3; "
                "was: RuntimeError: one of the variables needed for gradient computation has "
                "been modified by an inplace operation", 1) == (
            code, what, change[:150], main([*argv, "--strict"]))


class TestRealComparison:
    def test_timing_tables_from_real_files(self):
        """COMPARISON.md of two real runs has a table per timing, with a figure for each model
        in each column and the ratio to the first."""
        later = scaled(real(), 2, ["train_seconds"])
        later["implementation"]["keras"] = "3.16.0"
        text = compare.render([("a.json", real()), ("b.json", later)])
        table = text.split("### train time ÷ reference workload (median)", 1)[1].split("###")[0]
        latency = text.split("### step latency ÷ reference workload (median)", 1)[1]
        assert [cells(table, model)[-1].endswith("(×2.00)") for model in MODELS] == [True] * 4
        assert all("–" not in cells(latency, model)[2:4] for model in MODELS)


ROW_SHAPES = {
    "benchmark": benchmark(),
    "benchmark raised on every seed": benchmark(
        status="error", error="seed 0: RuntimeError: inplace", mse=None, rmse=None, train=None,
        latency=None, figure=None),
    "benchmark raised on one seed": benchmark(
        status="error", error="seed 2: RuntimeError: inplace", mse=(0.01, 0.02),
        rmse=(0.1, 0.2), train=(10.0, 11.0), latency=(0.001, 0.002)),
    "benchmark diverged": benchmark(status="diverged", mse=(float("nan"), float("inf"), 4.0),
                                    rmse=(13.0, 14.0, float("nan"))),
    "benchmark with latency rounds": {
        **benchmark(), "step_latency_s": {
            "median": 0.0015, "min": 0.0014, "max": 0.003, "mean": 0.0016, "stddev": 0.0002,
            "rounds": 200, "iterations": 10, "values": [0.0014 + i * 1e-6 for i in range(200)]}},
    "benchmark without kind (older files)": {
        key: value for key, value in benchmark().items() if key != "kind"},
    "benchmark of an unknown status, no figures": {
        "kind": "benchmark", "model": "stateless", "recipe": "fast+refit", "status": "skipped"},
    "benchmark with bare numbers": {**benchmark(), "train_seconds": 10.0, "step_latency_s": None},
    "train.instability": instability(),
    "perf.cpu-vs-gpu": gpu(),
    "perf.cpu-vs-gpu that raised": gpu(status="error", error="gpu: RuntimeError: CUDA"),
    "perf.cpu-vs-gpu of older files": {
        "claim": "perf.cpu-vs-gpu", "model": "stateless", "recipe": "fast", "seeds": [0],
        "status": "ok", "error": None, "train_seconds": {"fast/cpu": 4.0, "fast/gpu": 8.0},
        "reference_seconds": 2.0},
}


@pytest.mark.parametrize("shape", ROW_SHAPES)
class TestEveryRowShape:
    """Gate, comparison and report read each row shape the suite writes, on either side."""

    def documents(self, shape):
        row = copy.deepcopy(ROW_SHAPES[shape])
        alone = results(benchmarks=[row])
        mixed = results(keras="3.6.0", benchmarks=[benchmark(), instability(), row])
        return alone, mixed

    def test_gate(self, shape):
        """The gate compares it with a plain benchmark and with itself, both ways."""
        alone, mixed = self.documents(shape)
        for current, reference in ((alone, mixed), (mixed, alone), (alone, alone)):
            gate.check(gate.Run(Path("r.json"), current, [], reference))

    def test_comparison(self, shape):
        """The comparison shows it beside a plain run."""
        alone, mixed = self.documents(shape)
        compare.render([("a.json", alone), ("b.json", mixed)])

    def test_report(self, shape, tmp_path):
        """The report shows it."""
        for data in self.documents(shape):
            report.render(data, tmp_path / "r.md")


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
