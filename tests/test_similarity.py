"""Submissions too alike (``autograder/similarity.py``), on the sample class's own notebooks without grading them:
the planted copies are found, disguised as they are, and no pair of students who wrote their code apart is; the
normalisation forgets what a copier changes. tests/test_grading.py checks the graded class's report and formgrader
notes."""
import json

import nbformat
import pytest

import sample_class
from autograder import catalogue, similarity
from tools.build import solution_cells

SEC02 = catalogue.get("sec02")


@pytest.fixture(scope="module")
def codes():
    """{student: own code} of every student of the sample class's Section 2 with a notebook."""
    references = solution_cells(SEC02.source)
    return {s.id: similarity.own_code(json.loads(nbformat.writes(sample_class.fill(s, references=references))), SEC02)
            for s in sample_class.CLASS if s.raw is None}


def test_the_planted_copies_are_found_and_no_pair_written_apart(codes):
    pairs = similarity.alike(codes, similarity.boilerplate(SEC02))
    assert sorted(pair.students for pair in pairs) == [("ben", "nat"), ("ben", "pia"), ("nat", "pia")]
    ben_nat = next(pair for pair in pairs if pair.students == ("ben", "nat"))
    assert min(ben_nat.shares) > 0.9 and ben_nat.common[0] and ben_nat.common[1]


def test_what_the_reference_and_the_release_hold_is_nobodys_own(codes):
    """ada hands in the reference solutions: nothing of hers is left to compare."""
    prints = similarity.fingerprints({"ada": codes["ada"]}, similarity.boilerplate(SEC02))
    assert prints["ada"].hashes == set()


def test_normalising_forgets_comments_formatting_and_literal_values():
    one = "x = compute(3, 'a')  # three\nif x > 2:\n    print( x )\n"
    other = "x=compute(7,\n  'b')\n\nif x>5: print(x)\n"
    assert similarity.normalised(one) == similarity.normalised(other)
    assert similarity.normalised("%matplotlib inline\ny = 1") == similarity.normalised("y = 2")
