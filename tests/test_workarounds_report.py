"""The workaround claims in results and reports: kind "workaround" holds or fails like a
documented claim (never shown as "observed"), and the report's Workarounds section lists, per
claim worked around, each workaround and its verdict, or "none found" with what was tried."""

from harness import markdown, report, results, workarounds
from suites.claims import CLAIMS, Claim
from tests.results_factory import case


def workaround(claim_id, target, *cases):
    return results.claim_record(Claim(claim_id, "A workaround.", "a thread", "workaround", target),
                                cases)


def documented(claim_id, *cases):
    return results.claim_record(Claim(claim_id, "A claim.", "docs"), cases)


FAILS = "[x] on fake (keras 3, none 0)\n  observed: the state stayed non-zero\n  expected: zeros"


def test_catalogue_workarounds_name_a_catalogued_claim():
    found = [claim for claim in CLAIMS.values() if claim.kind == "workaround"]
    assert found
    for claim in found:
        assert claim.id.startswith(f"workaround.{claim.workaround_for}."), claim.id
        assert CLAIMS[claim.workaround_for].kind != "workaround"


def test_record_keeps_workaround_for_and_only_for_workarounds():
    record = workaround("workaround.reset.model.walk", "reset.model", case())
    assert record["kind"] == "workaround" and record["workaround_for"] == "reset.model"
    assert "workaround_for" not in documented("reset.model", case())


def test_a_holding_workaround_is_a_tick_not_observed():
    record = workaround("workaround.reset.model.walk", "reset.model", case())
    assert markdown.verdict_text(record) == markdown.SYMBOLS["holds"]


def test_section_offers_holding_workarounds_and_says_none_found():
    claims = [
        documented("reset.model", case(verdict="error", message=FAILS)),
        workaround("workaround.reset.model.walk", "reset.model", case()),
        documented("carry.index-i", case(verdict="fails", message=FAILS)),
        workaround("workaround.carry.index-i.calls", "carry.index-i",
                   case(verdict="fails", message=FAILS)),
        documented("reset.layer", case()),
        workaround("workaround.reset.layer.x", "reset.layer", case()),
    ]
    rows = {(row["claim"], row["workaround"]): row for row in workarounds.rows(claims)}
    assert rows[("reset.model", "workaround.reset.model.walk")]["note"] == "offered here"
    assert rows[("carry.index-i", "workaround.carry.index-i.calls")]["note"].startswith(
        "not offered here: the state stayed non-zero")
    none = rows[("carry.index-i", "none found")]
    assert "workaround.carry.index-i.calls" in none["note"] and "(fails)" in none["note"]
    assert ("reset.model", "none found") not in rows
    assert rows[("reset.layer", "workaround.reset.layer.x")]["note"].startswith("holds")


def test_section_without_workarounds_and_in_the_report(tmp_path):
    assert workarounds.section([documented("reset.model", case())]) == "No workaround checks ran."
    claims = [documented("reset.model", case(verdict="error", message=FAILS)),
              workaround("workaround.reset.model.walk", "reset.model", case())]
    data = results.document({"name": "fake", "keras": "3", "backend": "none",
                             "backend_version": "0"}, {}, {}, claims, [], complete=True)
    text = report.render(data, tmp_path / "r.md")
    assert "<summary>Workarounds</summary>" in text and "workaround.reset.model.walk" in text


def test_catalogue_fallback_for_files_without_workaround_for():
    record = workaround("workaround.reset.model.walk-layers", "reset.model", case())
    del record["workaround_for"]
    assert workarounds.worked_around(record) == "reset.model"


def test_section_lists_a_finding_without_any_workaround_check():
    claims = [documented("carry.long-range", case(verdict="fails", message=FAILS)),
              documented("reset.layer", case())]
    rows = workarounds.rows(claims)
    assert [(row["claim"], row["workaround"], row["note"]) for row in rows] == [
        ("carry.long-range", "none found", "no workaround check yet")]


def test_a_finding_without_a_check_says_what_was_tried():
    """A finding with no workaround check shows what was tried (suites.claims.NO_WORKAROUND_CHECK),
    not only "none found"; one never tried says so."""
    tried = documented("setup.shuffle-false", case(verdict="fails", message=FAILS))
    untried = documented("state.not-weights", case(verdict="fails", message=FAILS))
    notes = {row["claim"]: row["note"] for row in workarounds.rows([tried, untried])}
    assert notes["setup.shuffle-false"].startswith("no workaround check: the order fit trains in")
    assert notes["state.not-weights"] == "no workaround check yet"


def test_every_no_workaround_entry_names_a_catalogued_claim_without_a_check():
    checked = {claim.workaround_for for claim in CLAIMS.values() if claim.kind == "workaround"}
    for claim_id in workarounds.NO_WORKAROUND_CHECK:
        assert claim_id in CLAIMS and claim_id not in checked, claim_id
