"""Tests for ``python -m harness migrate`` (harness/migrate.py), fed real results files.

tests/data/findings/ holds copies of the published results of tf-keras 2.21, keras-tensorflow
3.15 and keras-jax 3.15 (as committed in reports/results/), cut down to eight claims (all their
cases, every key as the suite wrote it, no benchmark rows) with the repro scripts their cases
name. tf-keras 2.21 predates the scripts: its cases carry the code in their messages.
"""

import shutil
from pathlib import Path

import pytest

from harness import migrate
from harness.__main__ import main
from harness.results import case_record, claim_record, load, write_atomic
from suites.claims import CLAIMS, Claim

DATA = Path(__file__).parent / "data" / "findings"
DEFAULT = "MIGRATION-tf-keras-2.21-to-keras-jax-3.15.md"


@pytest.fixture
def data(tmp_path, monkeypatch):
    """The real files in a scratch folder, which is also the working directory."""
    shutil.copytree(DATA, tmp_path / "results")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "results"


def run(capsys, *argv):
    code = main(["migrate", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def claim_section(text: str, claim: str) -> str:
    return text.split(f"### `{claim}`", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]


def migration(data: Path) -> str:
    """The migration from tf-keras 2.21 to keras-jax 3.15."""
    return migrate.render((data / "tf-keras-2.21.json", load(data / "tf-keras-2.21.json")),
                          (data / "keras-jax-3.15.json", load(data / "keras-jax-3.15.json")))


def with_workaround(path: Path, verdict: str) -> None:
    """Add to a real results file the record of a workaround check of reset.model, as the
    plugin writes it (one case, through harness/results.py's builders)."""
    data = load(path)
    claim = CLAIMS["workaround.reset.model.walk"]
    case = case_record("suites/test_reset.py::test_layer_reset_states[LSTM]", verdict,
                       "" if verdict == "holds" else "AttributeError: no")
    data["claims"].append(claim_record(claim, [case]))
    write_atomic(path, data)


@pytest.fixture
def workaround_claim(monkeypatch):
    monkeypatch.setitem(CLAIMS, "workaround.reset.model.walk", Claim(
        "workaround.reset.model.walk", "Resetting every stateful layer by walking the model "
        "resets them all.", "ours", kind="workaround", workaround_for="reset.model"))


class TestCommand:
    def test_default_output_named_after_the_releases(self, data, capsys):
        """Without -o the report goes to reports/MIGRATION-<from>-to-<to>.md."""
        code, out, _ = run(capsys, data / "tf-keras-2.21.json", data / "keras-jax-3.15.json")
        assert (0, f"wrote reports/{DEFAULT}\n") == (code, out)
        assert Path("reports", DEFAULT).read_text().startswith(
            "# Migrating stateful RNNs from tf-keras 2.21.0 to keras-jax 3.15.1\n")

    def test_output_option(self, data, capsys):
        """-o names the report."""
        code, _, _ = run(capsys, data / "tf-keras-2.21.json", data / "keras-tensorflow-3.15.json",
                         "-o", "out/m.md")
        assert 0 == code and Path("out/m.md").is_file()

    def test_missing_file(self, data, capsys):
        """A missing file: one error line, exit 2, nothing written."""
        code, out, err = run(capsys, data / "nope.json", data / "keras-jax-3.15.json")
        assert (2, "", f"error: {data / 'nope.json'}: no such results file\n") == (code, out, err)
        assert not Path("reports").exists()

    def test_corrupt_file(self, data, capsys):
        """A file cut short: one error line, exit 2."""
        path = data / "keras-jax-3.15.json"
        path.write_text(path.read_text()[:500])
        code, _, err = run(capsys, data / "tf-keras-2.21.json", path)
        assert 2 == code and err.startswith(f"error: {path}: not valid JSON")
        assert 1 == len(err.splitlines())

    def test_same_implementation_and_release(self, data, capsys):
        """Two files of the same implementation and version: nothing to migrate."""
        copy = data / "again.json"
        shutil.copy(data / "keras-jax-3.15.json", copy)
        code, _, err = run(capsys, data / "keras-jax-3.15.json", copy)
        assert 2 == code
        assert err == (f"error: {data / 'keras-jax-3.15.json'} and {copy} are both keras-jax "
                       "3.15.1: a migration needs two implementations or two releases\n")


class TestReport:
    @pytest.fixture
    def text(self, data):
        return migration(data)

    def test_summary_and_table(self, text):
        """The counts, then one row per changed claim with both verdicts."""
        assert ("8 claims: 6 change (4 stop holding, 1 records something else, 1 starts "
                "holding), 2 unchanged.") in text
        row = next(line for line in text.splitlines() if line.startswith("| `reset.model`"))
        assert ["`reset.model`", "stops holding", "✅ holds", "💥 error"] == [
            part.strip() for part in row.strip("|").split("|")]

    def test_claim_that_stops_holding(self, text):
        """Verdicts and messages of both sides, the upstream threads, the user's code from the
        TO side's script, and no workaround where none is verified."""
        section = claim_section(text, "reset.model")
        assert section.startswith(": ✅ holds → 💥 error\n")
        assert "- before, tf-keras 2.21.0: ✅ holds (3 of 3 cases hold)" in section
        assert ("- after, keras-jax 3.15.1: 💥 error (0 of 3 cases hold): AttributeError: "
                "'Functional' object has no attribute 'reset_states'") in section
        assert ("[keras-team/keras#20327](https://github.com/keras-team/keras/issues/20327)"
                in section)
        assert "\nmodel.reset_states()\n" in section
        assert section.rstrip().endswith("**On keras-jax 3.15.1: no verified workaround**.")

    def test_claim_that_starts_holding(self, text):
        """The FROM side's code comes from its message (tf-keras 2.21 wrote no scripts)."""
        section = claim_section(text, "setup.equal-batches")
        assert section.startswith(": ❌ fails → ✅ holds\n")
        assert "x = x[:7]  # the model's batch size is 3" in section
        assert "**On keras-jax 3.15.1** the same code holds: nothing to change." in section

    def test_unchanged_listed_compactly(self, text):
        """Unchanged claims: one line per verdict."""
        assert text.endswith("## Unchanged\n\n- ✅ holds on both: `reset.layer`\n"
                             "- ⏭ skipped on both: `perf.cpu-vs-gpu`\n")

    def test_verified_workaround_offered(self, data, workaround_claim):
        """A workaround whose own check holds on the TO side is offered with its code."""
        with_workaround(data / "keras-jax-3.15.json", "holds")
        text = migration(data)
        section = claim_section(text, "reset.model")
        assert ("**What to write on keras-jax 3.15.1**: `workaround.reset.model.walk`") in section
        assert "checked by `suites/test_reset.py::test_layer_reset_states[LSTM]`" in section
        assert "```python\n" in section.split("What to write", 1)[1]
        assert "workaround.reset.model.walk" not in text.split("## Unchanged", 1)[1]

    def test_workaround_that_does_not_hold_is_not_offered(self, data, workaround_claim):
        """A workaround that does not hold on the TO side is named as tried, not offered."""
        with_workaround(data / "keras-jax-3.15.json", "error")
        text = migration(data)
        assert ("**On keras-jax 3.15.1: no verified workaround** (tried here, not holding: "
                "`workaround.reset.model.walk` (error)).") in claim_section(text, "reset.model")
