"""The hidden checks give full marks to the reference and to other correct answers, and catch the mistakes.

Each check is what a hidden test cell of the notebook runs at grading time, here called directly on
answers from tests/variants.py.
"""
import pytest

from autograder import checks
from solutions import sec02 as ref
from autograder import sample_answers as variants

EXERCISES = sorted(variants.CORRECT)


@pytest.mark.parametrize("name", EXERCISES)
def test_reference_passes(name):
    getattr(checks, f"check_{name}")(getattr(ref, name))


@pytest.mark.parametrize("name, answer", [(n, f) for n in EXERCISES for f in variants.CORRECT[n]],
                         ids=lambda v: getattr(v, "__name__", v))
def test_other_correct_answers_pass(name, answer):
    getattr(checks, f"check_{name}")(answer)


@pytest.mark.parametrize("name, answer", [(n, f) for n in EXERCISES for f in variants.MISTAKES[n]],
                         ids=lambda v: getattr(v, "__name__", v))
def test_mistakes_fail(name, answer):
    with pytest.raises(AssertionError):
        getattr(checks, f"check_{name}")(answer)


def test_answers_to_the_questions():
    checks.check_receptive_field_answer(ref.receptive_field_answer)
    checks.check_filter_order(ref.filter_order)
    for wrong in ("ii", "iii", "I", 1):
        with pytest.raises(AssertionError):
            checks.check_receptive_field_answer(wrong)
    for wrong in ("ABCD", "AB", None):
        with pytest.raises(AssertionError):
            checks.check_filter_order(wrong)
