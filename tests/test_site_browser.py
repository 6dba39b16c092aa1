"""The site of the committed results in a real browser: headless Chromium (Debian's ``chromium``
and ``chromium-driver``, driven by selenium) opens it from disk, the matrix renders, the filters
work, a claim page links to its reproduction script, and a screenshot of the matrix is saved as
``out/site-matrix.png``.

Without the browser the test fails under CI (``CI`` set: .ci/run installs it, so a missing one
is a broken CI, not a reason to pass) and is skipped elsewhere, with the command that installs it.
"""

import os
import shutil
from pathlib import Path

import pytest

from harness import published, results, site
from harness.__main__ import main as harness_main
from harness.paths import PROJECT_ROOT
from harness.results import NON_HOLDING

SCREENSHOT = PROJECT_ROOT / "out" / "site-matrix.png"
INSTALL = "apt-get install -y chromium chromium-driver fonts-noto-color-emoji; pip install selenium"


def missing(what: str):
    message = f"{what}, needed to test the site in a browser: {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing("selenium is not installed")
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        missing("chromium or chromedriver is not on PATH")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    # --no-sandbox: CI runs as root, where Chromium refuses to start sandboxed.
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--window-size=1800,1100", "--allow-file-access-from-files"):
        options.add_argument(argument)
    # The system's chromedriver, named: selenium must not look for (download) one of its own.
    session = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    yield session
    session.quit()


@pytest.fixture(scope="module")
def committed_site(tmp_path_factory):
    """The site of the committed results, as ``nox -s reports`` builds it, and those results:
    copies, with keras-jax 3.15's scripts written on demand (``harness repro --write-only``, as a
    reader does: the repository keeps none)."""
    folder = tmp_path_factory.mktemp("results")
    paths = []
    for path in published.compared():
        paths.append(folder / Path(path).name)
        shutil.copyfile(PROJECT_ROOT / path, paths[-1])
    assert harness_main(["repro", str(folder / "keras-jax-3.15.json"), "--write-only"]) == 0
    runs = [(path, results.load(path, known_verdicts=True)) for path in paths]
    output = tmp_path_factory.mktemp("site")
    site.build(runs, output)
    return output, runs


def shown(elements):
    return [element for element in elements if element.is_displayed()]


def choose(browser, name: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", f"filter-{name}")).select_by_value(value)


def test_matrix_filters_and_repro_link(browser, committed_site):
    """The matrix shows every claim on every run; the implementation, verdict and family filters
    leave exactly the expected columns and rows; a claim page's script link opens the script."""
    output, runs = committed_site
    columns = site.columns_of(runs)
    ids = site.claim_ids(columns)
    browser.get((output / "index.html").as_uri())

    rows = browser.find_elements("css selector", "#matrix tbody tr")
    assert [row.get_attribute("data-family") for row in rows] == [site.family(i) for i in ids]
    assert len(browser.find_elements("css selector", "#matrix tbody td")) == len(ids) * len(columns)
    assert browser.find_element("id", "shown").text == f"{len(ids)} claims shown"

    choose(browser, "implementation", "keras-jax")
    headings = shown(browser.find_elements("css selector", "#matrix thead tr:first-child th.env"))
    jax = [column for column in columns if column.implementation == "keras-jax"]
    assert [heading.get_attribute("title") for heading in headings] == [c.name for c in jax]

    choose(browser, "verdict", "fails")
    failing = [claim_id for claim_id in ids
               if any(column.claims.get(claim_id, {}).get("verdict") == "fails" for column in jax)]
    assert failing, "the committed keras-jax results have no failing claim to filter on"
    visible = shown(browser.find_elements("css selector", "#matrix tbody tr"))
    assert [row.find_element("tag name", "a").text for row in visible] == failing
    assert browser.find_element("id", "shown").text == f"{len(failing)} claims shown"

    choose(browser, "verdict", "")
    choose(browser, "family", "reset")
    visible = shown(browser.find_elements("css selector", "#matrix tbody tr"))
    assert [row.find_element("tag name", "a").text for row in visible] == \
        [claim_id for claim_id in ids if site.family(claim_id) == "reset"]

    choose(browser, "family", "")
    choose(browser, "implementation", "")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))

    # A claim with a kept script, reached as a reader would: its link in the matrix.
    claim_id, column, case = next(
        (claim_id, column, case) for column in columns for claim_id in ids
        for case in column.claims.get(claim_id, {}).get("cases", [])
        if case["verdict"] in NON_HOLDING and case.get("repro")
        and (column.path.parent / case["repro"]).is_file())
    browser.find_element("link text", claim_id).click()
    assert browser.find_element("tag name", "h1").text == claim_id
    links = browser.find_elements("css selector", f"#{column.slug} a.repro")
    assert links, f"{claim_id}: no script link on {column.name}"
    script = (column.path.parent / case["repro"]).read_text(encoding="utf-8")
    href = next(link.get_attribute("href") for link in links
                if link.get_attribute("href").endswith(Path(case["repro"]).name))
    browser.get(href)
    assert browser.find_element("tag name", "body").text.strip() == script.strip()
