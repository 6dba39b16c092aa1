"""Tests for ``python -m harness bisect`` (harness/bisect.py): the search fed the verdicts of real
recorded results, no installs. tests/data/history/ holds cells of ``nox -s history -- --claim
carry.index-i`` on keras-torch (2026-12-07); reports/results/ the published runs."""

import math
from pathlib import Path

import pytest

from harness import bisect, releases, results
from harness.__main__ import main
from harness.history import Line, read_cell

ROOT = Path(__file__).resolve().parent.parent
HISTORY = Path(__file__).parent / "data" / "history"
PUBLISHED = ROOT / "reports" / "results"
CLAIM = "carry.index-i"


class Recorded:
    """A ``trial_of`` that reads each version's recorded results file and counts the calls."""

    def __init__(self, paths: dict[str, Path]):
        self.paths, self.tried = paths, []

    def __call__(self, version: str) -> bisect.Trial:
        self.tried.append(version)
        return bisect.trial_from_results(version, results.load(self.paths[version]), CLAIM)


def recorded_cells(impl: str = "keras-torch") -> dict[str, Path]:
    """The recorded cells of ``impl``, by release, in release order."""
    cells = {path.stem[len(impl) + 1:]: path for path in HISTORY.glob(f"{impl}-*.json")}
    return {version: cells[version] for version in releases.releases(impl) if version in cells}


def first_change_by_scan(paths: dict[str, Path]) -> tuple[str, str]:
    """The first change of the claim's verdict, walking every recorded release in order."""
    line = Line("keras-torch", [read_cell(path, results.load(path)) for path in paths.values()])
    change = next(change for change in line.changes() if change.claim == CLAIM)
    return change.before, change.after


class TestSearch:
    def test_finds_the_change_a_scan_of_every_release_finds(self):
        """Over the recorded releases from 3.10.0 to 3.15.1 the search names the neighbours
        that a walk over all of them names, running a logarithmic number of them."""
        paths = recorded_cells()
        versions = bisect.between("keras-torch", "3.10.0", "3.15.1", list(paths))
        assert len(versions) >= 4, "too few recorded cells for a search"
        trial_of = Recorded(paths)

        result = bisect.search(versions, trial_of)

        scanned = first_change_by_scan({version: paths[version] for version in versions})
        assert (result.before.version, result.after.version) == scanned
        assert result.before.verdict == "holds" and result.after.verdict == "error"
        assert "inplace operation" in result.after.note
        assert len(trial_of.tried) <= 2 + math.ceil(math.log2(len(versions)))
        assert len(set(trial_of.tried)) == len(trial_of.tried)  # no release run twice

    def test_training_a_stateful_lstm_on_torch_stopped_working_in_3_14_0(self):
        """The recorded answer to the issue's question: holds in 3.13.2, errors from 3.14.0."""
        paths = recorded_cells()
        result = bisect.search(bisect.between("keras-torch", "3.10.0", "3.15.1", list(paths)),
                               Recorded(paths))
        assert result.sentence() == "holds in 3.13.2, errors from 3.14.0"

    def test_a_change_towards_holding_is_found_too(self):
        """The published runs: carry.index-i errors on keras-torch 3.5 and holds on 3.10."""
        paths = {version: PUBLISHED / f"keras-torch-{version}.json" for version in ("3.5", "3.10")}
        result = bisect.search(["3.5", "3.10"], Recorded(paths))
        assert result.sentence() == "errors in 3.5, holds from 3.10"

    def test_ends_with_the_same_verdict_leave_nothing_to_search(self):
        """3.5 and 3.15 both error (the published runs): an error, not a made-up boundary."""
        paths = {version: PUBLISHED / f"keras-torch-{version}.json"
                 for version in ("3.5", "3.10", "3.15")}
        with pytest.raises(bisect.BisectError, match="errors in both 3.5 and 3.15"):
            bisect.search(["3.5", "3.10", "3.15"], Recorded(paths))

    def test_a_release_that_could_not_be_tested_is_stepped_over_and_named(self):
        """A release that could not be installed (the trial ``Installer`` returns then) is
        stepped over like ``git bisect skip``; the answer names it when the boundary may lie
        there."""
        paths = recorded_cells()
        versions = bisect.between("keras-torch", "3.10.0", "3.15.1", list(paths))
        recorded = Recorded(paths)
        before, after = first_change_by_scan({version: paths[version] for version in versions})

        def trial_of(version):
            if version == after:  # the first bad release could not be tested
                return bisect.Trial(version, None, "not installed: no matching distribution")
            return recorded(version)

        result = bisect.search(versions, trial_of)
        assert result.before.version == before
        assert [trial.version for trial in result.untested] == [after]
        assert result.after.version == versions[versions.index(after) + 1]
        assert "may lie in: " + after in bisect.render(result, "keras-torch", CLAIM)

    def test_an_unfinished_run_is_not_a_verdict(self):
        data = results.load(PUBLISHED / "keras-torch-3.15.json")
        unfinished = {**data, "complete": False, "interrupted": "the run was interrupted"}
        trial = bisect.trial_from_results("3.15", unfinished, CLAIM)
        assert trial.verdict is None and trial.note == "the run was interrupted"
        assert bisect.trial_from_results("3.15", data, CLAIM).verdict == "error"


class TestVersions:
    def test_between_takes_both_ends_of_the_release_list(self):
        versions = bisect.between("keras-torch", "3.13.2", "3.14.1")
        assert versions == ["3.13.2", "3.14.0", "3.14.1"]
        assert bisect.between("tf-keras", None, None) == list(releases.TF_KERAS)

    def test_a_users_own_list_of_nightlies(self, tmp_path):
        listing = tmp_path / "nightlies.txt"
        listing.write_text("# keras-nightly, by date\n3.16.0.dev2026100104\n"
                           "3.16.0.dev2026101404  # the week after\n3.16.0.dev2026102704\n",
                           encoding="utf-8")
        versions = bisect.read_versions(str(listing))
        assert versions == ["3.16.0.dev2026100104", "3.16.0.dev2026101404",
                            "3.16.0.dev2026102704"]
        assert bisect.read_versions(",".join(versions)) == versions
        assert bisect.between("keras-torch", versions[1], None, versions) == versions[1:]
        assert releases.requirements("keras-torch", versions[0])[0] == \
            "keras-nightly==3.16.0.dev2026100104"
        assert "keras-nightly" in releases.changelog("keras-torch", versions[0])

    def test_an_unknown_end_is_refused(self):
        with pytest.raises(bisect.BisectError, match="3.99.0 is not among the versions"):
            bisect.between("keras-torch", "3.10.0", "3.99.0")


class TestRender:
    def test_names_both_releases_notes(self):
        result = bisect.Result(bisect.Trial("3.13.2", "holds"),
                               bisect.Trial("3.14.0", "error", "RuntimeError: inplace"), [],
                               [bisect.Trial("3.13.2", "holds", seconds=20.0),
                                bisect.Trial("3.14.0", "error", seconds=22.0)])
        text = bisect.render(result, "keras-torch", CLAIM)
        assert text.splitlines()[0] == "carry.index-i on keras-torch: holds in 3.13.2, " \
            "errors from 3.14.0"
        assert "https://github.com/keras-team/keras/releases/tag/v3.13.2" in text
        assert "https://github.com/keras-team/keras/releases/tag/v3.14.0" in text
        assert "tried 2 releases in 42 s" in text


class TestCommand:
    @pytest.mark.parametrize("arguments, said", [
        (["bisect", "carry.nope", "--impl", "keras-torch"], "'carry.nope' is not a claim id"),
        (["bisect", CLAIM, "--impl", "keras-torch", "--good", "3.15.1", "--bad", "3.10.0"],
         "--good 3.15.1 must come before --bad 3.10.0"),
        (["bisect", CLAIM, "--impl", "keras-torch", "--versions", "3.10.0"],
         "give two versions or more"),
    ])
    def test_bad_input_exits_2_with_one_line_and_installs_nothing(self, arguments, said,
                                                                   capsys, tmp_path):
        code = main([*arguments, "--cache", str(tmp_path)])
        err = capsys.readouterr().err
        assert code == 2
        assert said in err and len(err.strip().splitlines()) == 1
        assert not any(tmp_path.iterdir())
