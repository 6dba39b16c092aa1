"""The factory of tests/results_factory.py writes what the suite writes: the keys and nesting of
the committed real run (tests/data/), so that the harness tests and real files cannot drift
apart. The real file predates the rows' ``kind``, which the factory's rows add."""

from harness.results import row_kind
from tests.results_factory import benchmark, claim, case, instability, real, results


def keys(mapping: dict) -> list[str]:
    return sorted(set(mapping) - {"kind"})


def first(rows, kind):
    return next(row for row in rows if row_kind(row) == kind)


class TestShape:
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
        """A benchmark row has the real file's keys, figure blocks, recipe and environment."""
        found, made = first(real()["benchmarks"], "benchmark"), benchmark()
        assert [keys(found), keys(found["one_step_mse"]), keys(found["recipe_details"]),
                keys(found["environment"])] == [keys(made), keys(made["one_step_mse"]),
                                                keys(made["recipe_details"]),
                                                keys(made["environment"])]

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

    def test_factory_rows_have_a_kind(self):
        """Rows built by harness.results carry their kind, as the suite writes them now."""
        assert ["benchmark", "measurement"] == [row["kind"] for row in results()["benchmarks"]]
