"""The README stays short, its links lead somewhere (issue 27: under 300 lines) and its table of
findings says what the published comparison says."""

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


def table_rows(path, pattern) -> dict[str, list[str]]:
    """Claim id -> the cells of its first table row in ``path``."""
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(pattern, line)
        if found and found.group(1) not in rows:
            rows[found.group(1)] = [cell.strip() for cell in found.group(2).split("|")]
    return rows


def test_readme_findings_are_the_published_verdicts():
    """Each verdict of README's table is the one of reports/COMPARISON.md for that release (whose
    every fourth column is a nightly, which the README leaves out)."""
    published = table_rows(PROJECT_ROOT / "reports" / "COMPARISON.md", r"\| ([a-z][\w.-]+) \|(.*)\|\s*$")
    readme = table_rows(README, r"\| ([a-z][\w.-]+\.[\w.-]+)\s+\|(.*)\|\s*$")
    assert len(readme) >= 4, "README.md has no table of findings"
    for claim_id, verdicts in readme.items():
        releases = [cell for index, cell in enumerate(published[claim_id]) if index % 4 != 3]
        assert verdicts == releases, f"README.md's row {claim_id} is not COMPARISON.md's"
