"""Tests for ``python -m harness migrate`` (harness/migrate.py), fed the committed results.

Each test copies the published results of tf-keras 2.21 and the three Keras 3.15 backends
(reports/results/, as the suite wrote them, benchmark rows included) to a scratch folder; a test
about one detail changes that detail in a real file. What the report must say is computed from
the files where it is a count, so that republished results keep the tests meaningful.
"""

import inspect
import shutil
from pathlib import Path

import pytest

from suites.claims import CLAIMS

from harness import findings, metrics, migrate
from harness.__main__ import main
from harness.paths import PROJECT_ROOT
from harness.results import NON_HOLDING, load, write_atomic
from suites import recipes
from suites.claims import WORKAROUNDS

RESULTS = PROJECT_ROOT / "reports" / "results"
FROM, TO = "tf-keras-2.21.json", "keras-jax-3.15.json"
SIBLINGS = ("keras-tensorflow-3.15.json", "keras-torch-3.15.json")
DEFAULT = "MIGRATION-tf-keras-2.21-to-keras-jax-3.15.md"
FIRST_SCREEN = 40  # lines


@pytest.fixture
def data(tmp_path, monkeypatch):
    """The real files in a scratch folder, which is also the working directory."""
    folder = tmp_path / "results"
    folder.mkdir()
    for name in (FROM, TO, *SIBLINGS):
        shutil.copy(RESULTS / name, folder / name)
    monkeypatch.chdir(tmp_path)
    return folder


def run(capsys, *argv):
    code = main(["migrate", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def migration(data: Path, before: str = FROM, after: str = TO) -> str:
    return migrate.render((data / before, load(data / before)), (data / after, load(data / after)))


def section(text: str, title: str) -> str:
    """The text of the ``## `` section whose title starts with ``title``."""
    return text.split(f"\n## {title}", 1)[1].split("\n## ", 1)[0]


def change(path: Path, edit) -> None:
    """``edit(data)`` on a real results file, written back."""
    data = load(path)
    edit(data)
    write_atomic(path, data)


def claim(data: dict, claim_id: str) -> dict:
    return next(claim for claim in data["claims"] if claim["id"] == claim_id)


def stop_holding(data: Path) -> list[str]:
    """The claims (not workaround checks) that hold in FROM and not in TO."""
    before = {c["id"]: c["verdict"] for c in load(data / FROM)["claims"]
              if c["kind"] != "workaround"}
    return [c["id"] for c in load(data / TO)["claims"] if c["kind"] != "workaround"
            and before.get(c["id"]) == "holds" and c["verdict"] in NON_HOLDING]


class TestCommand:
    def test_default_output_named_after_the_releases(self, data, capsys):
        """Without -o the report goes to reports/MIGRATION-<from>-to-<to>.md."""
        code, out, _ = run(capsys, data / FROM, data / TO)
        assert (0, f"wrote reports/{DEFAULT}\n") == (code, out)
        assert Path("reports", DEFAULT).read_text().startswith(
            "# Migrating stateful RNNs from tf-keras 2.21.0 to keras-jax 3.15.1\n")

    def test_output_option(self, data, capsys):
        """-o names the report."""
        code, _, _ = run(capsys, data / FROM, data / SIBLINGS[0], "-o", "out/m.md")
        assert 0 == code and Path("out/m.md").is_file()

    def test_missing_file(self, data, capsys):
        """A missing file: one error line, exit 2, nothing written."""
        code, out, err = run(capsys, data / "nope.json", data / TO)
        assert (2, "", f"error: {data / 'nope.json'}: no such results file\n") == (code, out, err)
        assert not Path("reports").exists()

    def test_corrupt_file(self, data, capsys):
        """A file cut short: one error line, exit 2."""
        path = data / TO
        path.write_text(path.read_text()[:500])
        code, _, err = run(capsys, data / FROM, path)
        assert 2 == code and err.startswith(f"error: {path}: not valid JSON")
        assert 1 == len(err.splitlines())

    def test_same_implementation_and_release(self, data, capsys):
        """Two files of the same implementation and version: nothing to migrate."""
        copy = data / "again.json"
        shutil.copy(data / TO, copy)
        code, _, err = run(capsys, data / TO, copy)
        assert 2 == code
        assert err == (f"error: {data / TO} and {copy} are both keras-jax 3.15.1: a migration "
                       "needs two implementations or two releases\n")


class TestFirstScreen:
    @pytest.fixture
    def text(self, data):
        return migration(data)

    def test_counts(self, text, data):
        """How many claims change, and how many of them stop holding."""
        stopped = stop_holding(data)
        assert f" change ({len(stopped)} stop holding, " in text.split("\n## ", 1)[0]

    def test_names_the_root_cause_and_the_recipe(self, text, data):
        """The first screen names TO's main root cause (its baseline's reason), how many claims
        it breaks and the recipe to write instead."""
        first = "\n".join(text.splitlines()[:FIRST_SCREEN])
        cause = findings.causes(load(data / TO))[0]
        line = next(line for line in first.splitlines() if line.startswith("1. "))
        assert line.startswith(f"1. **{cause.text}**: ")
        assert "carries the state only through direct calls" in cause.text
        broken = [claim_id for claim_id in cause.claims if claim_id in stop_holding(data)]
        assert f"**: {len(broken)} claims stop holding; write instead: `call_batch_by_batch` (" \
            in line

    def test_every_cause_of_a_claim_that_stops_holding_is_listed(self, text, data):
        listed = section(text, "What does not hold on")
        for claim_id in stop_holding(data):
            causes = [cause for cause in findings.causes(load(data / TO))
                      if claim_id in cause.claims]
            assert all(f"**{migrate.cause_text(cause, migrate.CAUSE_WIDTH)}**" in listed
                       for cause in causes), claim_id

    def test_claims_that_start_holding(self, text):
        """setup.equal-batches fails on tf-keras (a partial batch answered) and holds on JAX."""
        fixed = section(text, "What starts holding on keras-jax 3.15.1")
        assert ("- **predict pads a last partial batch silently: 7 samples in, 9 rows out**; "
                "**evaluate accepts a last partial batch silently and returns a loss**; **fit "
                "accepts a last partial batch silently**: `setup.equal-batches` now holds\n") \
            in fixed

    def test_unchanged_last_one_line_per_verdict(self, text):
        unchanged = text.split("\n## Unchanged\n\n", 1)[1]
        lines = unchanged.splitlines()
        assert lines and all(line.startswith("- ") and " on both: `" in line for line in lines)
        assert len(lines) == len({line.split(" on both")[0] for line in lines})
        assert "- ✅ holds on both: " in unchanged and "`reset.layer`" in unchanged


class TestRecipes:
    def test_recipe_is_the_users_code_from_the_catalogue(self, data):
        """The code under a root cause is the workaround's recipe as suites/recipes.py has it,
        with the imports it needs, not the suite's check."""
        details = section(migration(data), "The root causes on keras-jax 3.15.1 in detail")
        code = migrate.recipe_code(WORKAROUNDS["workaround.reset.with-values.assign-states"])
        assert code.startswith("import numpy as np\n\n\n")
        assert f"```python\n{code}\n```" in details
        assert inspect.getsource(recipes.assign_states) in code
        assert "DIRECT_CALLS" not in details and "check." not in details

    def test_offered_with_the_checks_that_verify_it(self, data):
        details = section(migration(data), "The root causes on keras-jax 3.15.1 in detail")
        assert ("**Write instead: `assign_states`**, for `reset.with-values`; verified on "
                "keras-jax 3.15.1 by `workaround.reset.with-values.assign-states` (✅ holds).") \
            in details

    def test_code_shown_once(self, data):
        """A recipe offered under several causes shows its code under the first."""
        text = migration(data)
        assert 1 == text.count("\ndef call_batch_by_batch(")

    def test_workaround_that_does_not_hold_is_not_offered(self, data):
        """With its direct-calls check failing on TO, carry.long-range gets no recipe: it is
        listed as tried, the other claims keep theirs."""
        def fail(results):
            workaround = claim(results, "workaround.carry.long-range.direct-calls")
            workaround["verdict"] = "fails"
            for case in workaround["cases"]:
                case.update(verdict="fails", message="observed: state differs")
        change(data / TO, fail)
        cause = section(migration(data), "The root causes on").split("\n### 2. ", 1)[0]
        offered = next(line for line in cause.splitlines()
                       if line.startswith("**Write instead: `call_batch_by_batch`**"))
        assert "`carry.index-i`" in offered and "`carry.long-range`" not in offered
        assert ("- `carry.long-range`: tried here, not holding: "
                "`workaround.carry.long-range.direct-calls` (fails)") in cause

    def test_workaround_gone_from_the_catalogue(self, data, monkeypatch):
        """Results older than the catalogue: a verified workaround it no longer has is named,
        without code."""
        monkeypatch.delitem(WORKAROUNDS, "workaround.reset.with-values.assign-states")
        details = section(migration(data), "The root causes on keras-jax 3.15.1 in detail")
        assert ("**Write instead: `workaround.reset.with-values.assign-states`**, for "
                "`reset.with-values`; verified on keras-jax 3.15.1 by "
                "`workaround.reset.with-values.assign-states` (✅ holds).\nsuites/claims.py has "
                "no such workaround any more") in details

    def test_no_workaround_check_says_what_was_tried(self, data):
        cause = section(migration(data), "The root causes on").split("\n### 2. ", 1)[0]
        assert "**No verified workaround on keras-jax 3.15.1** for:" in cause
        assert "- `carry.rows-isolated`: inconclusive, not failing: " in cause


class TestBenchmarks:
    def row(self, text: str, model: str) -> list[str]:
        line = next(line for line in section(text, "Benchmarks").splitlines()
                    if line.startswith(f"| {model} "))
        return [part.strip() for part in line.strip("|").split("|")]

    def test_same_machine_in_seconds(self, data):
        """Both runs were timed on the same machine: their seconds compare."""
        before, after = (metrics.by_benchmark(load(data / name))[("stateful", "fast")]
                         for name in (FROM, TO))
        was, now = (metrics.median(row, "train_seconds") for row in (before, after))
        mse = [metrics.median(row, "one_step_mse") for row in (before, after)]
        cells = self.row(migration(data), "stateful")
        assert cells[3].startswith(f"{mse[0]:.3g} → {mse[1]:.3g} (×")
        assert cells[5].startswith(f"{was:.3g} s → {now:.3g} s (×{now / was:.2f}), ")

    def test_other_machine_in_calibration_units(self, data):
        """Timed on another machine: in units of each run's calibration workload."""
        def elsewhere(results):
            for row in results["benchmarks"]:
                row["environment"]["platform"] = "Darwin-23.0-arm64"
        change(data / TO, elsewhere)
        before, after = (metrics.by_benchmark(load(data / name))[("stateful", "fast")]
                         for name in (FROM, TO))
        was, now = (metrics.relative_median(row, "train_seconds") for row in (before, after))
        assert self.row(migration(data), "stateful")[5].startswith(
            f"{was:.3g} ÷ reference → {now:.3g} ÷ reference (×")

    def test_status_change(self, data):
        statuses = [metrics.by_benchmark(load(data / name))[("stacked", "fast")]["status"]
                    for name in (FROM, TO)]
        assert f"{statuses[0]} → {statuses[1]}" == self.row(migration(data), "stacked")[2]

    def test_no_rows(self, data):
        for name in (FROM, TO):
            change(data / name, lambda results: results.update(benchmarks=[]))
        assert "\nNeither results file has benchmark rows.\n" in migration(data)


class TestAlternatives:
    def rows(self, text: str) -> dict[str, list[str]]:
        lines = [line for line in section(text, "The alternatives").splitlines()
                 if line.startswith("| keras-")]
        return {line.split("|")[1].strip(): [part.strip() for part in line.strip("|").split("|")]
                for line in lines}

    def test_three_backends_from_the_files_beside_to(self, data):
        text = migration(data)
        rows = self.rows(text)
        assert ["keras-tensorflow 3.15.1", "keras-jax 3.15.1", "keras-torch 3.15.1"] == list(rows)
        assert f"`{data / SIBLINGS[1]}`" == rows["keras-torch 3.15.1"][1]
        assert "Not compared" not in section(text, "The alternatives")

    def test_claims_that_still_hold(self, data):
        """Of the claims that hold on FROM, how many hold on each backend."""
        holding = {c["id"] for c in load(data / FROM)["claims"]
                   if c["kind"] != "workaround" and c["verdict"] == "holds"}
        tensorflow = load(data / SIBLINGS[0])
        still = sum(claim(tensorflow, claim_id)["verdict"] == "holds" for claim_id in holding)
        assert (f"{still} of {len(holding)}"
                == self.rows(migration(data))["keras-tensorflow 3.15.1"][3])

    def test_missing_and_corrupt_siblings_are_named(self, data):
        (data / SIBLINGS[0]).unlink()
        (data / SIBLINGS[1]).write_text("{", encoding="utf-8")
        text = migration(data)
        assert ["keras-jax 3.15.1"] == list(self.rows(text))
        note = section(text, "The alternatives").split("Not compared: ", 1)[1]
        assert note.startswith(f"`{data / SIBLINGS[0]}`: no such file; not used: "
                               f"{data / SIBLINGS[1]}: not valid JSON")

    def test_another_release_is_not_used(self, data):
        """A file named for 3.15 that holds another release is left out, and said so."""
        change(data / SIBLINGS[0], lambda results: results["implementation"].update(
            keras="3.10.0"))
        text = migration(data)
        assert "keras-tensorflow 3.15.1" not in self.rows(text)
        assert f"`{data / SIBLINGS[0]}`: not used, it is keras-tensorflow 3.10.0" in text

    def test_to_not_a_keras_3_backend(self, data):
        text = migration(data, TO, FROM)
        assert ("tf-keras is not a Keras 3 backend: no alternatives compared"
                in section(text, "The alternatives"))


def test_report_is_short(data):
    """The JAX migration's report (952 lines for 67 claims before it was grouped by root cause)
    stays short: under six lines per claim of the catalogue (442 lines for 75 claims)."""
    assert len(migration(data).splitlines()) < 6 * len(CLAIMS)


def test_incomplete_results_are_flagged(data):
    change(data / TO, lambda results: results.update(complete=False, running="carry.unroll"))
    assert ("> ⚠ Incomplete results for keras-jax 3.15.1: the run stopped during "
            "`carry.unroll`") in migration(data)

