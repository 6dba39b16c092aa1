"""``python -m harness site``: the static site of real results files, read as HTML (the browser
test, tests/test_site_browser.py, opens it in Chromium)."""

import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from harness import results, site
from harness.__main__ import main
from harness.paths import PROJECT_ROOT
from harness.results import NON_HOLDING, ResultsError
from suites.claims import CLAIMS

# Two committed runs: one with many findings, one with benchmarks and few findings.
JAX = PROJECT_ROOT / "reports/results/keras-jax-3.15.json"
TF_KERAS = PROJECT_ROOT / "reports/results/tf-keras-2.21.json"
# A real run whose cases record their checks (tests/test_repro.py), its scripts not kept.
WITH_CHECKS = PROJECT_ROOT / "tests/data/repro/keras-jax-3.15.json"
NIGHTLY = PROJECT_ROOT / "reports/results/tf-keras-nightly.json"  # run -m "not slow": no benchmarks


class Links(HTMLParser):
    """The href and src attributes of a page."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found += [value for name, value in attrs if name in ("href", "src") and value]


def links(page: Path) -> list[str]:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.found


def local(page: Path) -> list[Path]:
    """The files a page links inside the site (anchors and web links left out)."""
    return [(page.parent / href.split("#")[0]).resolve() for href in links(page)
            if not href.startswith(("http://", "https://", "#"))]


def build(tmp_path, *paths):
    runs = [(path, results.load(path, known_verdicts=True)) for path in paths]
    return site.build(runs, tmp_path / "site"), tmp_path / "site"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(tmp_path_factory.mktemp("built"), JAX, TF_KERAS)


class TestBuild:
    def test_a_page_per_claim_linked_from_the_matrix(self, built):
        """Every claim of the results has a page, linked from the matrix, with its statement."""
        wrote, output = built
        ids = {claim["id"] for path in (JAX, TF_KERAS) for claim in results.load(path)["claims"]}
        assert wrote["claims"] == len(ids)
        pages = {path.name for path in (output / "claims").iterdir()}
        assert pages == {site.page_name(claim_id) for claim_id in ids}
        linked = {path.name for path in local(output / "index.html")
                  if path.parent.name == "claims"}
        assert linked == pages
        page = (output / "claims" / site.page_name("carry.index-i")).read_text(encoding="utf-8")
        assert CLAIMS["carry.index-i"].statement in page

    def test_every_local_link_resolves(self, built):
        """No page links a file the site does not have: it opens from disk as it is."""
        _, output = built
        for page in [output / "index.html", output / "benchmarks.html",
                     *(output / "claims").iterdir()]:
            missing = [str(path) for path in local(page) if not path.exists()]
            assert missing == [], f"{page.name} links files that are not there"

    def test_kept_scripts_are_copied_and_linked(self, tmp_path):
        """Each non-holding case whose script lies beside its results links a copy of it: a real
        run whose scripts ``harness repro --write-only`` wrote (the committed runs keep none)."""
        run = tmp_path / "run" / WITH_CHECKS.name
        run.parent.mkdir()
        shutil.copyfile(WITH_CHECKS, run)
        assert main(["repro", str(run), "--write-only"]) == 0
        wrote, output = build(tmp_path, run)
        data = results.load(run)
        scripted = [(claim["id"], case) for claim in data["claims"] for case in claim["cases"]
                    if case["verdict"] in NON_HOLDING and (run.parent / case["repro"]).is_file()]
        assert scripted, "harness repro --write-only wrote no script"
        for claim_id, case in scripted:
            page = output / "claims" / site.page_name(claim_id)
            copy = output / "repro" / run.stem / Path(case["repro"]).name
            assert copy in [path for path in local(page) if path.suffix == ".py"]
            assert copy.read_bytes() == (run.parent / case["repro"]).read_bytes()
        assert wrote["scripts"] == len(scripted) == len(list((output / "repro").rglob("*.py")))

    def test_benchmark_figures_drawn(self, built):
        """The benchmarks page shows one figure per metric the runs measured."""
        wrote, output = built
        figures = [path for path in local(output / "benchmarks.html") if path.suffix == ".png"]
        assert wrote["figures"] == len(figures) == 4  # 2 accuracy and 2 timing metrics
        assert all(path.stat().st_size > 0 for path in figures)


def test_scripts_not_kept_are_not_linked(tmp_path):
    """A results file whose scripts were not kept (copied alone) gives pages without links."""
    alone = tmp_path / TF_KERAS.name
    shutil.copyfile(TF_KERAS, alone)
    wrote, output = build(tmp_path, alone)
    assert wrote["scripts"] == 0
    assert not [href for page in (output / "claims").iterdir() for href in links(page)
                if href.endswith(".py")]


def test_runs_without_benchmarks_say_so(tmp_path):
    wrote, output = build(tmp_path, NIGHTLY)
    assert wrote["figures"] == 0
    assert "No benchmarks in these results." in (output / "benchmarks.html").read_text("utf-8")


def test_one_column_twice_is_bad_input(tmp_path):
    with pytest.raises(ResultsError, match="already in the site"):
        build(tmp_path, NIGHTLY, NIGHTLY)


def test_command_writes_the_site(tmp_path, capsys):
    """``python -m harness site RESULTS -o DIR`` exits 0 and says what it wrote."""
    assert main(["site", str(NIGHTLY), "-o", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {tmp_path / 'out' / 'index.html'}: ")
    assert (tmp_path / "out" / "site.js").exists()


def test_unreadable_results_write_no_site(tmp_path, capsys):
    """A results file that is not there: exit 2, one ``error:`` line, no page written."""
    missing = tmp_path / "missing.json"
    assert main(["site", str(NIGHTLY), str(missing), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and str(missing) in err[0]
    assert not (tmp_path / "out").exists()


def test_a_folder_of_other_files_is_left_alone(tmp_path, capsys):
    """The site replaces its own folders: a non-empty folder that holds no site is refused."""
    (tmp_path / "claims").mkdir()
    (tmp_path / "claims" / "mine.txt").write_text("not the site's", encoding="utf-8")
    assert main(["site", str(NIGHTLY), "-o", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path} is a folder with files")
    assert (tmp_path / "claims" / "mine.txt").exists()
