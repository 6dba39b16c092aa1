"""Tests for ``python -m harness repro`` (harness/repro.py): the scripts are not kept with the
results; each case records the check that made it, and the command writes the missing scripts
from it and runs them.

tests/data/repro/keras-jax-3.15.json is a real run, without its scripts::

    pytest suites/test_carry.py suites/test_reset.py suites/test_setup.py --impl keras-jax \\
        --claim carry.stacked --claim reset.model --claim setup.shuffle-default -n 0 \\
        --results keras-jax-3.15.json --no-report

carry.stacked fails (plain parameters), reset.model errors (its ``reset`` parameter is a function
of the suite), setup.shuffle-default holds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness import repro, report, site
from harness.__main__ import main
from harness.paths import PROJECT_ROOT
from harness.results import NON_HOLDING
from suites.checks import resets
from suites.repro import script_of_check
from tests.suite_runs import run_suite

RECORDED = PROJECT_ROOT / "tests" / "data" / "repro" / "keras-jax-3.15.json"
# A real results file made before cases recorded their check, without its scripts.
BEFORE = PROJECT_ROOT / "tests" / "data" / "findings" / "tf-keras-2.21.json"


@pytest.fixture
def recorded(tmp_path) -> Path:
    return Path(shutil.copy(RECORDED, tmp_path / RECORDED.name))


def non_holding(path: Path) -> list[tuple[str, dict]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(claim["id"], case) for claim in data["claims"] for case in claim["cases"]
            if case["verdict"] in NON_HOLDING]


def test_write_only_writes_every_missing_script(recorded, capsys):
    cases = non_holding(recorded)
    assert len(cases) == 6 and all(case["check"] for _, case in cases)
    assert not (recorded.parent / f"{recorded.stem}-repro").exists()

    assert main(["repro", str(recorded), "--write-only"]) == 0

    assert "6 of 6 cases that did not hold have their script" in capsys.readouterr().out
    for claim_id, case in cases:
        script = recorded.parent / case["repro"]
        text = script.read_text(encoding="utf-8")
        compile(text, str(script), "exec")
        assert text.startswith(f'"""Reproduces {claim_id} on keras-jax: {case["nodeid"]}')
    # A function parameter is written back as the function (its source copied in), not as the
    # string that names it in the results file.
    reset_case = next(case for claim_id, case in cases if claim_id == "reset.model")
    text = (recorded.parent / reset_case["repro"]).read_text(encoding="utf-8")
    assert "cell='LSTM', reset=model_reset_states)\n" in text
    assert "\ndef model_reset_states(" in text


def test_a_script_made_again_is_the_one_the_check_made(recorded):
    """Rendered from the record, the script is the one suites/check.py renders from the check
    function and its parameters."""
    data = json.loads(recorded.read_text(encoding="utf-8"))
    claim = next(claim for claim in data["claims"] if claim["id"] == "reset.model")
    case = claim["cases"][0]
    from suites.checks import reset
    assert repro.render(data, claim["id"], case) == script_of_check(
        "keras-jax", "reset.model", case["nodeid"], reset.model_reset,
        {"cell": "LSTM", "reset": resets.model_reset_states})


def test_a_script_beside_the_results_is_used_as_it_is(recorded, capsys):
    claim_id, case = non_holding(recorded)[0]
    script = recorded.parent / case["repro"]
    script.parent.mkdir()
    script.write_text("# kept by hand\n", encoding="utf-8")
    assert main(["repro", str(recorded), "--write-only"]) == 0
    assert script.read_text(encoding="utf-8") == "# kept by hand\n"


def test_results_made_before_the_record_say_so(tmp_path, capsys):
    path = Path(shutil.copy(BEFORE, tmp_path / BEFORE.name))
    assert main(["repro", str(path), "--write-only"]) == 0
    out = capsys.readouterr().out
    assert "0 of 9 cases that did not hold have their script" in out
    assert "results made before cases recorded their check" in out
    assert not (tmp_path / f"{path.stem}-repro").exists()


def test_a_record_naming_no_function_is_bad_input(recorded, capsys):
    data = json.loads(recorded.read_text(encoding="utf-8"))
    claim = next(claim for claim in data["claims"] if claim["id"] == "carry.stacked")
    claim["cases"][0]["check"]["function"] = "suites.checks.carry:no_such_check"
    recorded.write_text(json.dumps(data), encoding="utf-8")
    assert main(["repro", str(recorded), "--write-only"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and error[0].startswith("error: ")
    assert "no function 'suites.checks.carry:no_such_check'" in error[0]


@pytest.mark.parametrize("value", [
    {},                                           # setup.fit_reorders' fit_options
    {"shuffle": True},
    resets.layer_reset_states,                    # a recipe
    (1, [2.5, "x"], None),
    {1, 2},
    {"function": "suites.checks.resets:layer_reset_states"},  # a dict that looks like a tag
])
def test_a_parameter_reads_back_as_it_was(value):
    assert repro.decode(json.loads(json.dumps(repro.encode(value)))) == value


def test_the_report_names_the_command_that_writes_a_missing_script(recorded):
    text = report.render(json.loads(recorded.read_text(encoding="utf-8")),
                         recorded.with_suffix(".md"))
    assert f"`python -m harness repro {recorded.as_posix()} --write-only`" in text


def test_the_site_names_the_command_where_the_script_is_missing(recorded, tmp_path):
    site.build([(recorded, json.loads(recorded.read_text(encoding="utf-8")))], tmp_path / "site")
    page = (tmp_path / "site" / "claims" / site.page_name("carry.stacked")).read_text("utf-8")
    assert f"<code>python -m harness repro {recorded.as_posix()} --write-only</code>" in page


@pytest.mark.system
@pytest.mark.timeout(900)
def test_scripts_written_again_equal_the_plugins_and_run(tmp_path, capsys):
    """A real run's scripts, removed and written again from the results, are byte for byte the
    plugin's; ``harness repro`` runs them and they reproduce."""
    results = tmp_path / "keras-jax.json"
    run_suite("keras-jax", results, "suites/test_reset.py",
              "-k", "test_model_reset_states and LSTM", timeout=600)
    folder = tmp_path / "keras-jax-repro"
    written = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert len(written) == 1, written
    shutil.rmtree(folder)

    assert main(["repro", str(results), "--write-only"]) == 0
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == written

    assert main(["repro", str(results)]) == 0  # every script reproduces its finding
    assert "1 of 1 scripts reproduce their finding" in capsys.readouterr().out


def test_an_issue_draft_carries_the_script_made_again(recorded):
    """``harness issue`` shows the case's script where the file is not kept."""
    from harness import issue
    text = issue.render(json.loads(recorded.read_text(encoding="utf-8")), recorded, "reset.model")
    assert "Standalone script <code>repro.py</code>" in text
    assert "cell='LSTM', reset=model_reset_states)" in text


def test_a_dict_keyed_by_seed_is_recorded():
    """train.instability passes the diverged seeds as {seed: why}: recording it once raised
    (the published keras-jax 3.15 stacked case was an error, not its failure)."""
    from harness import repro as harness_repro
    diverged = {0: "one-step MSE 0.15 is above the series' variance 0.125", 2: "nan"}
    encoded = harness_repro.encode(diverged)
    assert harness_repro.decode(json.loads(json.dumps(encoded))) == diverged
