"""The warm-up assignment (``source/conv_warmup/``): its judges give full marks to the reference and to the
sample class's other correct styles, catch its typical mistakes, and its model answer quotes what its functions
compute. Its notebook is validated with Section 2's (``tests/test_notebook.py``) and its sample class graded
end to end (``tests/test_grading.py``)."""
import re

import pytest

from autograder import catalogue, exercises, references, verify
from autograder.exercises import recording
from sample_class import conv_warmup_answers as answers
from solutions import conv_warmup as ref

WARMUP = catalogue.get("conv_warmup")


def _judged(name, answer):
    """Records ``answer`` as the hidden test cell does, then judges the record against the references."""
    out = {}
    recording.record(WARMUP.exercise(name), answer, out)
    WARMUP.exercise(name).judge(out, references.load(WARMUP, name))


def _verdict(name, answer):
    """The judge's process's verdict on ``answer`` (``verify.judge``: the record's form, then the judge)."""
    out = {}
    recording.record(WARMUP.exercise(name), answer, out)
    return verify.judge(WARMUP, name, out, references.load(WARMUP, name), references.load_recorded(WARMUP, name))


def test_every_exercise_has_a_module_that_keeps_the_contract():
    assert list(WARMUP.exercises) == ["output_size", "conv2d", "max_pool2d"]
    for name in WARMUP.exercises:
        assert exercises.check(WARMUP.exercise(name)) == [], name


@pytest.mark.parametrize("name", ["output_size", "conv2d", "max_pool2d"])
def test_the_reference_and_the_other_correct_styles_pass(name):
    for answer in [getattr(ref, name), *answers.CORRECT[name]]:
        assert _verdict(name, answer) == {"passed": True, "message": ""}, answer


# Each typical mistake, and the check of its judge that must catch it (a pattern of that check's message)
CAUGHT_BY = {
    "output_size_off_by_one": r"returned 10, but a Keras Conv layer gives 11",
    "conv2d_flipped": r"differs from Keras's Conv2D",
    "conv2d_padding_top_left": r"padding='same'\) differs from Keras's Conv2D",
    "max_pool2d_stride_one": r"has shape \(7, 7\); Keras's MaxPooling2D gives \(4, 4\)",
}


@pytest.mark.parametrize("name, mistake", [(name, m) for name, ms in answers.MISTAKES.items() for m in ms])
def test_each_typical_mistake_fails(name, mistake):
    with pytest.raises(AssertionError, match=CAUGHT_BY[mistake.__name__]):
        _judged(name, mistake)


def test_a_flipped_kernel_is_named_in_the_message():
    with pytest.raises(AssertionError, match="kernel flipped"):
        _judged("conv2d", answers.conv2d_flipped)


def test_the_model_answer_quotes_what_output_size_computes():
    answer = next(source for kind, meta, source in catalogue.cells(WARMUP.source) if meta.get("grade_id") == "answer_cost")
    numbers = {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", answer)}
    side, strided = ref.output_size(128, 3), ref.output_size(128, 3, stride=2)
    assert {side, side * side * 9, strided, strided * strided * 9} <= numbers, numbers
    assert side * side * 9 / (strided * strided * 9) == pytest.approx(4, rel=0.01), "the answer says a quarter"
