"""Tests for ``python -m harness history`` (harness/history.py), the history's cells in
noxfile.py and their pins (harness/releases.py). Fed the real cells of tests/data/history/
(``nox -s history -- --claim carry.index-i`` on keras-torch, 2026-12-07), a published results
file, and the noxfile's own record of a cell that could not be installed."""

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from harness import history, releases, results
from harness.__main__ import main
from suites.claims import CLAIMS

ROOT = Path(__file__).resolve().parent.parent
HISTORY = Path(__file__).parent / "data" / "history"
PUBLISHED = ROOT / "reports" / "results"


@pytest.fixture(scope="module")
def noxfile():
    registry = pytest.importorskip("nox.registry")
    # Loading the noxfile registers its sessions; tests/test_noxfile.py loads it too, and nox
    # warns about a session registered twice in one process. No test reads the registry.
    registry.reset()
    spec = importlib.util.spec_from_file_location("noxfile_of_the_history", ROOT / "noxfile.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)
    registry.reset()


@pytest.fixture
def cells(tmp_path):
    folder = tmp_path / "history"
    shutil.copytree(HISTORY, folder)
    return folder


class FakeSession:
    name = "history(keras-torch-3.0.0)"
    posargs = ["--claim", "carry.index-i"]

    def warn(self, message):
        pass

    log = warn


def not_installed(noxfile, folder: Path, monkeypatch) -> Path:
    """The file the noxfile writes for a cell whose environment could not be built, and keeps
    in ``folder`` (as the history session does: compacted)."""
    monkeypatch.setattr(noxfile, "HISTORY_RUNS", folder / "runs")
    monkeypatch.setattr(noxfile, "HISTORY", folder)
    release = next(cell for cell in noxfile.HISTORY_CELLS if cell.id == "keras-torch-3.0.0")
    noxfile.record_failure(FakeSession(), release, "the install of the environment",
                           "the environment could not be built: no matching distribution")
    noxfile.keep_history_cell(FakeSession(), release)
    return folder / release.results.name


class TestCompact:
    def test_keeps_every_verdict_of_what_ran_and_is_a_results_file(self):
        path = PUBLISHED / "keras-torch-3.15.json"
        data = results.load(path)
        compacted = history.compact(data)
        assert results.problem(compacted) is None
        ran = {claim["id"]: claim["verdict"] for claim in data["claims"] if claim["cases"]}
        assert {claim["id"]: claim["verdict"] for claim in compacted["claims"]} == ran
        cases = [case for claim in compacted["claims"] for case in claim["cases"]]
        assert cases and all("\n" not in case["message"] and case["repro"] is None
                             for case in cases)
        assert len(json.dumps(compacted)) < len(json.dumps(data))


class TestRender:
    def test_names_each_change_with_its_release_notes_and_threads(self, cells, tmp_path):
        output, figures = tmp_path / "HISTORY.md", tmp_path / "figures"
        assert main(["history", str(cells), "-o", str(output), "--figures", str(figures)]) == 0
        text = output.read_text(encoding="utf-8")
        section = text.split("## keras-torch\n", 1)[1]
        # The change, then its threads one a line below it.
        change, threads = section.split("- `carry.index-i`: holds in 3.13.2", 1)[1] \
            .split("\n", 1)
        threads = threads.split("\n- ", 1)[0]
        assert "errors from [3.14.0](https://github.com/keras-team/keras/releases/tag/v3.14.0)" \
            in change
        assert "inplace operation" in change
        assert "[keras-team/keras#22470](https://github.com/keras-team/keras/pull/22470)" \
            in threads  # the change's own thread
        assert "keras-team/keras#20875" in threads  # the finding's (suites/upstream.py)
        assert "| `carry.index-i` |" in section
        assert "![keras-torch: claims × releases](figures/keras-torch.png)" in section

    def test_the_figure_has_a_row_per_claim_and_a_column_per_release(self, cells, tmp_path):
        [line] = history.load(cells)
        squares = history.colours(line)
        assert len(squares) == len(line.claims)
        for claim, row in zip(line.claims, squares):
            assert row == [history.COLOURS[cell.verdicts[claim]] for cell in line.cells]
        path = tmp_path / "keras-torch.png"
        history.figure(line, path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_a_cell_that_was_not_installed_is_listed_with_its_reason(self, noxfile, cells,
                                                                     tmp_path, monkeypatch):
        not_installed(noxfile, cells, monkeypatch)
        lines = history.load(cells)
        cell = next(cell for cell in lines[0].cells if cell.release == "3.0.0")
        assert cell.verdicts == {} and "no matching distribution" in cell.not_run
        text = history.render(lines, tmp_path / "HISTORY.md", {})
        assert "- 3.0.0 not run: the environment could not be built: no matching distribution" \
            in text
        # The releases around it keep their ranges: 3.0.0 is in none.
        assert not re.search(r"3\.0\.0[–,]", text.split("### Every claim", 1)[1])

    def test_an_empty_folder_is_bad_input(self, tmp_path, capsys):
        assert main(["history", str(tmp_path), "-o", str(tmp_path / "H.md")]) == 2
        assert "no results files" in capsys.readouterr().err
        assert not (tmp_path / "H.md").exists()


class TestLine:
    def test_ranges_and_changes_skip_releases_that_did_not_run_the_claim(self):
        cell = lambda release, verdict: history.Cell(  # noqa: E731
            "keras-torch", release, {"carry.index-i": verdict} if verdict else {}, {})
        line = history.Line("keras-torch", [cell("3.9.2", "holds"), cell("3.10.0", None),
                                            cell("3.11.0", "holds"), cell("3.14.0", "error")])
        assert line.ranges("carry.index-i") == [("holds", "3.9.2", "3.11.0"),
                                                ("error", "3.14.0", "3.14.0")]
        [change] = line.changes()
        assert (change.before, change.after, change.old, change.new) == \
            ("3.11.0", "3.14.0", "holds", "error")

    def test_a_change_links_the_threads_whose_patterns_match_it(self):
        change = history.Change("setup.equal-batches", "3.11.3", "3.12.0", "fails", "holds")
        on_jax = " ".join(history.threads("keras-jax", change))
        on_tensorflow = " ".join(history.threads("keras-tensorflow", change))
        assert "keras-team/keras#21742" in on_jax and "keras-team/keras#21942" not in on_jax
        assert "keras-team/keras#21742" in on_tensorflow and "keras-team/keras#21942" in on_tensorflow
        # The same claim changing in another release is not that change.
        later = history.Change("setup.equal-batches", "3.13.2", "3.14.0", "error", "fails")
        assert "keras-team/keras#21742" not in " ".join(history.threads("keras-jax", later))

    def test_releases_sort_by_number(self):
        ordered = sorted(["3.10.0", "3.9.2", "3.16.0.dev2026100104", "3.15.1"],
                         key=history.release_key)
        assert ordered == ["3.9.2", "3.10.0", "3.15.1", "3.16.0.dev2026100104"]


class TestCells:
    def test_every_release_of_every_built_in_is_a_cell(self, noxfile):
        ids = [cell.id for cell in noxfile.HISTORY_CELLS]
        assert len(ids) == len(set(ids))
        for impl in releases.BACKENDS:
            assert [cell.version for cell in noxfile.HISTORY_CELLS if cell.impl == impl] == \
                list(releases.releases(impl))
        assert releases.KERAS_3[0] == "3.0.0" and releases.TF_KERAS[0] == "2.15.0"
        for cell in noxfile.HISTORY_CELLS:
            assert cell.history and not cell.default and cell.baseline is None
            assert cell.results == noxfile.HISTORY_RUNS / f"{cell.id}.json"
            # torch is installed with pip, pinned (an unpinned one downloads CUDA).
            assert not any("torch" in requirement for requirement in cell.requirements)

    def test_the_matrix_rows_run_on_the_backends_of_their_history_cells(self, noxfile):
        """3.5, 3.10 and 3.15 (and tf-keras 2.15, 2.17, 2.21) keep the matrix's backends, so
        the history and the published runs agree where they meet."""
        def backend_pins(requirements):
            return {requirement for requirement in requirements
                    if re.match(r"(tensorflow|jax)\b", requirement)}

        for row in noxfile.MATRIX:
            version = next(version for version in releases.releases(row.impl)
                           if releases.minor(version) == row.version)
            assert backend_pins(releases.requirements(row.impl, version)) == \
                backend_pins(row.requirements), row.id

    def test_keras_lines_pin_backends_of_their_day(self):
        """Each line's TensorFlow takes Keras 3 (2.16 is the first), its JAX and TensorFlow
        never go back in time from one line to the next."""
        lines = list(releases.KERAS_LINES.values())
        assert all(tensorflow >= "2.16" for _, tensorflow, _, _ in lines)
        dates = [date for date, _, _, _ in lines]
        assert dates == sorted(dates)
        for impl in ("keras-tensorflow", "keras-jax", "keras-torch"):
            for version in releases.KERAS_3:
                assert releases.requirements(impl, version)[0] == f"keras=={version}"
        with pytest.raises(releases.UnknownRelease, match="no pins for the 3.99 line"):
            releases.requirements("keras-jax", "3.99.0")

    def test_a_cell_not_installed_is_a_results_file_of_errors(self, noxfile, tmp_path,
                                                             monkeypatch):
        kept = not_installed(noxfile, tmp_path, monkeypatch)
        data = results.load(kept)
        assert data["implementation"]["keras"] == "3.0.0, not run"
        assert data["complete"] is False
        assert "no matching distribution" in data["interrupted"]
        assert {claim["verdict"] for claim in data["claims"]} == {"error"}
        assert data["claims"][0]["id"] == next(iter(CLAIMS))
