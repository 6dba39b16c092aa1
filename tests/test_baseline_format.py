"""The baseline file format (harness/baseline.py): lines that name a claim and a pattern over
its case ids, and the old node id lines beside them. Node ids are those of a real run
(reports/results/keras-jax-3.15.json)."""

import pytest

from harness import baseline
from harness.baseline import BaselineError, case_id, first_match, load, parse

PREDICT = "suites/test_carry.py::test_index_i[GRU-bs1-predict]"
PREDICT_ON_BATCH = "suites/test_carry.py::test_index_i[GRU-bs1-predict_on_batch]"
FIT = "suites/test_carry.py::test_index_i[GRU-bs1-fit]"
UNPARAMETRISED = "suites/test_learn.py::test_cross_batch"
SPELLING = "suites/test_setup.py::test_batch_size_spelling[LSTM-Input(batch_shape)]"


def entry(line: str) -> baseline.Entry:
    (found,) = parse(line)
    return found


class TestCaseId:
    def test_parametrised(self):
        """A case id is the bracketed part of the node id, as pytest prints it."""
        assert ("GRU-bs1-predict", "LSTM-Input(batch_shape)") == (case_id(PREDICT),
                                                                  case_id(SPELLING))

    def test_unparametrised(self):
        """An unparametrised check's case id is empty."""
        assert "" == case_id(UNPARAMETRISED)


class TestClaimEntries:
    def test_case_pattern(self):
        """`claim[pattern]` names the cases of its claim whose id fits the pattern."""
        line = entry("carry.index-i[*-predict*]  # predict carries nothing")
        assert (True, True, False) == tuple(line.matches(nodeid, "carry.index-i")
                                            for nodeid in (PREDICT, PREDICT_ON_BATCH, FIT))

    def test_one_case(self):
        """`claim[case id]` names that case only; brackets and parentheses are literal."""
        line = entry("setup.batch-size-required[LSTM-Input(batch_shape)]  # x")
        assert (True, False) == (
            line.matches(SPELLING, "setup.batch-size-required"),
            line.matches(SPELLING.replace("LSTM", "GRU"), "setup.batch-size-required"))

    def test_whole_claim(self):
        """A claim without brackets names every case of it, an unparametrised one too."""
        assert (True, True) == (entry("carry.index-i  # x").matches(FIT, "carry.index-i"),
                                entry("learn.cross-batch  # x").matches(UNPARAMETRISED,
                                                                        "learn.cross-batch"))

    def test_empty_case_pattern(self):
        """`claim[]` names only the claim's unparametrised case."""
        line = entry("learn.cross-batch[]  # x")
        assert (True, False) == (line.matches(UNPARAMETRISED, "learn.cross-batch"),
                                 line.matches(FIT, "learn.cross-batch"))

    def test_another_claim(self):
        """A case of another claim is not named, even with the same case id."""
        assert not entry("carry.unroll[*-predict*]  # x").matches(PREDICT, "carry.index-i")

    def test_without_the_claim(self):
        """Called without the case's claim (the old two-argument call), a claim line names
        nothing."""
        assert (None, "carry.index-i") == (
            first_match(parse("carry.index-i  # x"), PREDICT),
            entry("carry.index-i  # x").claim)


class TestNodeIdEntries:
    def test_old_lines_keep_working(self):
        """A node id pattern matches by node id, with or without the claim."""
        line = entry("suites/test_carry.py::test_index_i[*-predict]  # x")
        assert (True, True, False, None) == (
            line.matches(PREDICT), line.matches(PREDICT, "carry.index-i"),
            line.matches(PREDICT_ON_BATCH, "carry.index-i"), line.claim)

    def test_wildcard_without_separator(self):
        """A pattern with wildcards and no `::` is an old node id pattern, not a claim."""
        line = entry("suites/*  # x")
        assert (None, True) == (line.claim, line.matches(FIT, "carry.index-i"))


class TestFile:
    def test_first_match_in_file_order(self):
        """The first line naming a case is its entry, whatever form each line has."""
        entries = parse("carry.index-i[*-fit]  # first\n"
                        "suites/test_carry.py::test_index_i[*]  # second\n"
                        "carry.index-i  # third\n")
        assert ["first", "second", "second"] == [
            first_match(entries, nodeid, "carry.index-i").reason
            for nodeid in (FIT, PREDICT, PREDICT_ON_BATCH)]

    def test_entry_without_a_reason(self):
        """A claim line without a reason is refused, naming the line."""
        with pytest.raises(BaselineError, match=r"^x.txt:2: entry has no reason"):
            parse("# implementation: keras-jax\ncarry.index-i[*-fit]\n", "x.txt")

    def test_implementation_line_with_claim_lines(self, tmp_path):
        """A file of claim lines is refused for another implementation by its header."""
        path = tmp_path / "keras-jax.txt"
        path.write_text("# implementation: keras-jax\ncarry.index-i[*-fit]  # x\n",
                        encoding="utf-8")
        with pytest.raises(BaselineError, match="baseline of keras-jax, not of keras-torch"):
            load(path, ("keras-torch",))
        assert ["carry.index-i[*-fit]"] == [line.pattern for line in load(path, ("keras-jax",))]
