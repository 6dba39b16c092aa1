"""The factory of tests/results_factory.py writes what the suite writes: the keys and nesting of
the latest published real run (reports/results/keras-tensorflow-3.15.json), so that the harness
tests and real files cannot drift apart."""

from harness.results import row_kind
from tests.results_factory import (REAL, benchmark, case, claim, instability, real, results,
                                   timing)

# Keys the plugin writes that the published run predates (it was made before the plugin recorded
# them); once the published runs are retaken they are in both and this set can go.
WRITTEN_SINCE = {"marks", "check"}


def keys(mapping: dict) -> list[str]:
    return sorted(set(mapping) - WRITTEN_SINCE)


def first(rows, kind):
    return next(row for row in rows if row_kind(row) == kind)


class TestShape:
    def test_the_real_file_is_the_latest_published_run(self):
        """The factory follows the run that suites/baselines/keras-tensorflow.json holds."""
        assert (REAL.parent.name, REAL.name) == ("results", "keras-tensorflow-3.15.json")

    def test_document(self):
        """The results file has the real file's sections, and each section its keys."""
        made, found = results(), real()
        assert [keys(found), keys(found["implementation"]), keys(found["environment"]),
                keys(found["suite"])] == [keys(made), keys(made["implementation"]),
                                          keys(made["environment"]), keys(made["suite"])]

    def test_claims_and_cases(self):
        """A claim and a case have the real file's keys."""
        found = real()["claims"][0]
        assert (keys(found), keys(found["cases"][0])) == (
            keys(claim("carry.index-i", case())), keys(case()))

    def test_benchmark_row(self):
        """A benchmark row has the real file's keys, figure and timing blocks, recipe,
        estimate of the article's training time and environment."""
        found, made = first(real()["benchmarks"], "benchmark"), benchmark()
        parts = ("one_step_mse", "step_latency_s", "recipe_details", "article_train_estimate",
                 "environment")
        assert [keys(found)] + [keys(found[part]) for part in parts] == (
            [keys(made)] + [keys(made[part]) for part in parts])

    def test_timing_block(self):
        """The factory's timing block has the keys of the real forecast-step latency."""
        assert keys(first(real()["benchmarks"], "benchmark")["naive_step_latency_s"]) == keys(
            timing([0.001, 0.002, 0.003]))

    def test_measurement_row(self):
        """The train.instability row has the real file's keys."""
        found = first(real()["benchmarks"], "measurement")
        assert (found["claim"], keys(found)) == ("train.instability", keys(instability()))

    def test_seeds_recipe_and_row_order(self):
        """Three seeds, the fast recipe, benchmark rows before the measurement rows of the same
        models: in the real file and in the factory's."""
        def shape(data):
            rows = data["benchmarks"]
            return ({tuple(row["seeds"]) for row in rows}, {row["recipe"] for row in rows},
                    sorted(row_kind(row) for row in rows) == [row_kind(row) for row in rows])
        assert shape(real()) == shape(results()) == ({(0, 1, 2)}, {"fast"}, True)

    def test_rows_have_a_kind(self):
        """Every row has its kind, in the real file and in the factory's."""
        assert ({row["kind"] for row in real()["benchmarks"]}
                == {row["kind"] for row in results()["benchmarks"]}
                == {"benchmark", "measurement"})
