"""The hidden checks give full marks to the reference and to other correct answers, and catch the mistakes.

``checks.check`` records an answer with its probe and judges the record, as a hidden test cell does
with the grading code at hand; here it is called directly on the answers of autograder/sample_answers.py.
The records also travel through files, as between the two processes of the independent check.
"""
import numpy as np
import pytest

from autograder import checks, probes
from solutions import sec02 as ref
from autograder import sample_answers as variants

EXERCISES = sorted(variants.CORRECT)


@pytest.mark.parametrize("name", EXERCISES)
def test_reference_passes(name):
    checks.check(name, getattr(ref, name))


@pytest.mark.parametrize("name, answer", [(n, f) for n in EXERCISES for f in variants.CORRECT[n]],
                         ids=lambda v: getattr(v, "__name__", v))
def test_other_correct_answers_pass(name, answer):
    checks.check(name, answer)


@pytest.mark.parametrize("name, answer", [(n, f) for n in EXERCISES for f in variants.MISTAKES[n]],
                         ids=lambda v: getattr(v, "__name__", v))
def test_mistakes_fail(name, answer):
    with pytest.raises(AssertionError):
        checks.check(name, answer)


def test_answers_to_the_questions():
    checks.check("receptive_field_answer", ref.receptive_field_answer)
    checks.check("filter_order", ref.filter_order)
    for wrong in ("ii", "iii", "I", 1):
        with pytest.raises(AssertionError):
            checks.check("receptive_field_answer", wrong)
    for wrong in ("ABCD", "AB", None):
        with pytest.raises(AssertionError):
            checks.check("filter_order", wrong)


def test_a_record_judged_from_its_file_passes(tmp_path):
    probes.save(tmp_path, "gradcam", probes.record("gradcam", ref.gradcam))
    checks.judge("gradcam", probes.load(tmp_path, "gradcam"))


def test_a_forged_record_fails(tmp_path):
    record = probes.record("receptive_field", ref.receptive_field)
    record["20"] = record["20"] + 1  # one answer off: passing needs every value the reference gives
    probes.save(tmp_path, "receptive_field", record)
    with pytest.raises(AssertionError, match="expected"):
        checks.judge("receptive_field", probes.load(tmp_path, "receptive_field"))


def test_records_never_unpickle(tmp_path):
    np.savez(tmp_path / "gradcam.npz", trained=np.array([object()], dtype=object))  # what only pickle can load
    with pytest.raises(ValueError, match="allow_pickle"):
        probes.load(tmp_path, "gradcam")


def test_a_missing_record_fails():
    with pytest.raises(AssertionError, match="stopped before this exercise"):
        checks.judge("gradcam", None)


def test_a_record_in_a_shape_no_probe_makes_fails_without_stopping_the_judge():
    from autograder import verify

    for forged in ({"0": np.array(["text"]), "trained": np.zeros(3)}, {"0": np.zeros((2, 2, 2, 2))}):
        passed, message = verify.judge("gradcam", forged)
        assert not passed and message
