"""Tests for ``python -m harness issue`` (harness/issue.py), for suites/upstream.py and for the
upstream threads the reports show, fed the real results files of tests/data/findings/ (see
tests/test_migrate.py for what they are)."""

import re
import shutil
from pathlib import Path

import pytest

from harness import compare, report
from harness.__main__ import main
from harness.results import NON_HOLDING, load
from suites import upstream
from suites.claims import CLAIMS

DATA = Path(__file__).parent / "data" / "findings"


@pytest.fixture
def data(tmp_path):
    shutil.copytree(DATA, tmp_path / "results")
    return tmp_path / "results"


def draft(capsys, results, claim):
    code = main(["issue", str(results), claim])
    out, err = capsys.readouterr()
    return code, out, err


def section(text: str, title: str) -> str:
    return text.split(f"### {title}\n\n", 1)[1].split("\n### ", 1)[0].strip()


class TestDraft:
    def test_title_and_environment(self, data, capsys):
        """The title names the backend, the Keras version and what was observed; the
        environment comes from the results file."""
        code, text, _ = draft(capsys, data / "keras-tensorflow-3.15.json", "setup.equal-batches")
        assert 0 == code
        assert ("## Stateful RNN (tensorflow backend, Keras 3.15.1): 7 samples through predict on "
                "a batch-3 stateful model were accepted silently") in text
        environment = section(text, "Environment")
        assert environment.startswith("- Keras: 3.15.1\n- Backend: tensorflow 2.21.0\n"
                                      "- Python: 3.11.7\n- NumPy: 2.4.6\n")
        assert "https://github.com/keras-team/keras/issues" in text.splitlines()[0]

    def test_reproduction_is_the_real_script(self, data, capsys):
        """The first non-holding case's script, whole, and how many other cases fail."""
        results = data / "keras-tensorflow-3.15.json"
        _, text, _ = draft(capsys, results, "setup.equal-batches")
        claim = next(c for c in load(results)["claims"] if c["id"] == "setup.equal-batches")
        failing = [case for case in claim["cases"] if case["verdict"] in NON_HOLDING]
        script = (data / failing[0]["repro"]).read_text()
        reproduction = section(text, "Standalone reproduction")
        assert reproduction.startswith(
            f"This is `{failing[0]['nodeid']}` (fails); {len(failing) - 1} other cases of the "
            f"same claim ({len(claim['cases'])} in all) do not hold either:")
        assert f"```python\n{script.rstrip()}\n```" in reproduction
        assert "model.predict(x, batch_size=3, verbose=0)" in reproduction.split("<details>")[0]

    def test_observed_and_expected(self, data, capsys):
        _, text, _ = draft(capsys, data / "keras-tensorflow-3.15.json", "setup.equal-batches")
        assert section(text, "Observed").startswith("7 samples through predict on a batch-3 "
                                                    "stateful model were accepted silently")
        assert "an error: the batch size is fixed at 3" == section(text, "Expected")

    def test_not_found_upstream_says_what_was_searched(self, data, capsys):
        _, text, _ = draft(capsys, data / "keras-tensorflow-3.15.json", "setup.equal-batches")
        related = section(text, "Related upstream threads")
        assert related.startswith("Not found upstream (checked 2026-12-01); searched for: "
                                  '"stateful LSTM predict last partial batch')
        assert "[keras-team/keras#9036]" in related  # related, not tracking

    def test_threads_found_upstream(self, data, capsys):
        """A finding tracked upstream lists its threads with their state."""
        _, text, _ = draft(capsys, data / "keras-jax-3.15.json", "setup.batch-size-required")
        related = section(text, "Related upstream threads")
        assert related.startswith(
            "- [keras-team/keras#20106](https://github.com/keras-team/keras/issues/20106) "
            "(issue, closed): Unrecognized keyword arguments passed to LSTM")

    def test_error_message_case(self, data, capsys):
        """A case that raised: the observed part is the error line."""
        _, text, _ = draft(capsys, data / "keras-jax-3.15.json", "reset.model")
        assert ("AttributeError: 'Functional' object has no attribute 'reset_states'"
                == section(text, "Observed"))
        assert "the only one" not in text and "2 other cases" in text

    def test_results_without_scripts(self, data, capsys):
        """tf-keras 2.21 wrote its code into the messages: the draft shows that code; the
        tracker is tf-keras's."""
        code, text, _ = draft(capsys, data / "tf-keras-2.21.json", "setup.equal-batches")
        assert 0 == code
        assert "https://github.com/keras-team/tf-keras/issues" in text.splitlines()[0]
        assert "import tf_keras as keras" in section(text, "Standalone reproduction")
        assert "<details>" not in text

    def test_script_gone(self, data, capsys):
        """The script folder removed: the draft shows the code of the case's message and says
        the script is missing."""
        shutil.rmtree(data / "keras-jax-3.15-repro")
        code, text, _ = draft(capsys, data / "keras-jax-3.15.json", "carry.stacked")
        reproduction = section(text, "Standalone reproduction")
        assert 0 == code and "<details>" not in text
        assert "inputs = keras.Input(batch_shape=(3, TIMESTEPS, FEATURES))" in reproduction
        assert reproduction.endswith("this case names is missing beside the results file; run "
                                     "the suite again with `--results`.")


class TestBadInput:
    def test_claim_that_holds(self, data, capsys):
        assert (2, "", "error: nothing to report: reset.layer holds on keras-jax (keras 3.15.1)\n"
                ) == draft(capsys, data / "keras-jax-3.15.json", "reset.layer")

    def test_claim_not_in_the_results(self, data, capsys):
        path = data / "keras-jax-3.15.json"
        assert (2, "", f"error: {path}: no claim 'carry.index-i' in this results file\n"
                ) == draft(capsys, path, "carry.index-i")

    def test_skipped_claim(self, data, capsys):
        code, _, err = draft(capsys, data / "keras-jax-3.15.json", "perf.cpu-vs-gpu")
        assert (2, "error: nothing to report: perf.cpu-vs-gpu skipped on keras-jax "
                "(keras 3.15.1)\n") == (code, err)

    def test_missing_file(self, data, capsys):
        path = data / "keras-torch-3.15.json"
        assert (2, "", f"error: {path}: no such results file\n") == draft(capsys, path,
                                                                          "reset.model")


class TestUpstream:
    def test_every_finding_of_the_real_files_was_looked_up(self):
        """Each non-holding claim of the real files has an entry."""
        for path in DATA.glob("*.json"):
            results = load(path)
            name = results["implementation"]["name"]
            for claim in results["claims"]:
                if claim["verdict"] in NON_HOLDING:
                    assert upstream.finding(claim["id"], name) is not None, (path, claim["id"])

    def test_entries_name_catalogue_claims_and_real_threads(self):
        """Claim ids of the catalogue; threads with a repository, a number, a state; a finding
        not found upstream says what was searched for."""
        for entry in upstream.FINDINGS:
            assert entry.claim in CLAIMS
            assert set(entry.implementations) <= {"keras-tensorflow", "keras-jax",
                                                  "keras-torch", "tf-keras"}
            assert entry.found or entry.searched
            for thread in entry.threads:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+", thread.repository)
                assert thread.state in {"open", "closed", "merged"}
                assert thread.relation in {"tracks", "related"}

    def test_report_shows_threads_beside_the_verdict(self):
        """The report of a built-in: an upstream column next to the verdict, filled for
        non-holding claims only."""
        results = load(DATA / "keras-jax-3.15.json")
        text = report.render(results, DATA / "keras-jax-3.15.md")
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("| claim"))
        header = lines[start]
        assert [part.strip() for part in header.strip("|").split("|")][2:4] == [
            "verdict", "upstream"]
        # The claims table only (the Workarounds section below also starts rows with a claim).
        table = lines[start:lines.index("", start)] if "" in lines[start:] else lines[start:]
        rows = {line.split("|")[1].strip(): [p.strip() for p in line.strip("|").split("|")]
                for line in table if line.startswith("| ")}
        assert "not found upstream" == rows["carry.stacked"][3]
        assert rows["setup.batch-size-required"][3].startswith(
            "[keras-team/keras#20106](https://github.com/keras-team/keras/issues/20106) (closed)")
        assert "" == rows["reset.layer"][3]

    def test_comparison_findings(self):
        text = compare.render([(DATA / "tf-keras-2.21.json", load(DATA / "tf-keras-2.21.json")),
                               (DATA / "keras-jax-3.15.json", load(DATA / "keras-jax-3.15.json"))])
        findings = text.split("## Findings by root cause", 1)[1].split("\n## ", 1)[0]
        cause = next(item for item in findings.split("\n- ") if "`carry.stacked`" in item)
        assert " ".join(cause.split()).endswith("upstream: not found upstream")
