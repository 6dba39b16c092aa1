"""The README stays short and its links lead somewhere (issue 27: under 300 lines)."""

import re

from harness.paths import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 300, f"README.md has {len(lines)} lines; move detail to docs/"


def test_readme_links_exist():
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\((?!https?://)([^)#\s]+)", text)
    missing = [target for target in targets if not (PROJECT_ROOT / target).exists()]
    # The matrix screenshot is made by the site's browser test and committed with the reports.
    assert not missing, f"README.md links to missing files: {missing}"
