"""The warm-up assignment (``source/conv_warmup/``): its judges give full marks to the reference and to the
sample class's other correct styles, catch its typical mistakes, and its model answer quotes what its functions
compute. Its notebook is validated with Section 2's (``tests/test_notebook.py``) and its sample class graded
end to end (``tests/test_grading.py``)."""
import re
import subprocess
import sys

import numpy as np
import pytest

import sample_class
from assignments.conv_warmup.exercises import inputs
from autograder import catalogue, exercises, hidden, references, verify
from autograder.environment import environment
from autograder.exercises import judging, recording
from sample_class import conv_warmup_answers as answers
from solutions import conv_warmup as ref

WARMUP = catalogue.get("conv_warmup")
SEC02 = catalogue.get("sec02")


def _verdict(name, answer):
    """The judge's process's verdict on ``answer`` (``verify.judge``: the record's form, then the judge)."""
    out = {}
    recording.record(WARMUP.exercise(name), answer, out)
    outcome, tampered = verify.judge(WARMUP, name, out, references.load(WARMUP, name),
                                     references.load_recorded(WARMUP, name))
    assert tampered is None, tampered
    return outcome


def test_every_exercise_has_a_module_that_keeps_the_contract():
    assert list(WARMUP.exercises) == ["output_size", "conv2d", "max_pool2d"]
    for name in WARMUP.exercises:
        assert exercises.check(WARMUP.exercise(name)) == [], name


@pytest.mark.parametrize("name", ["output_size", "conv2d", "max_pool2d"])
def test_the_reference_and_the_other_correct_styles_pass(name):
    for answer in [getattr(ref, name), *answers.CORRECT[name]]:
        verdict = _verdict(name, answer)
        assert (verdict.passed, verdict.points) == (True, WARMUP.exercises[name]), (answer, verdict)


# Each typical mistake, and the check of its judge that must catch it (a pattern of that check's message)
CAUGHT_BY = {
    "output_size_off_by_one": r"returned 10, but a Keras Conv layer gives 11",
    "conv2d_flipped": r"a convolution with the kernel flipped: Conv2D does not flip it",
    "conv2d_padding_top_left": r"padding='same'\) differs from Keras's Conv2D",
    "max_pool2d_stride_one": r"has shape \(7, 7\); Keras's MaxPooling2D gives \(4, 4\)",
}


@pytest.mark.parametrize("name, mistake", [(name, m) for name, ms in answers.MISTAKES.items() for m in ms])
def test_each_typical_mistake_gets_what_the_rubric_leaves_it(name, mistake):
    """Caught by its check, and given nothing, or for a partly right mistake (``answers.PARTLY``) the points of the
    sub-checks it does not fail."""
    outcome = _verdict(name, mistake)
    assert not outcome.passed and outcome.fault is None, outcome
    assert re.search(CAUGHT_BY[mistake.__name__], outcome.message), outcome
    assert outcome.points == sample_class.left_by(WARMUP, name, mistake) < WARMUP.exercises[name], outcome


def test_the_model_answer_quotes_what_output_size_computes():
    answer = next(source for kind, meta, source in catalogue.cells(WARMUP.source) if meta.get("grade_id") == "answer_cost")
    numbers = {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", answer)}
    side, strided = ref.output_size(128, 3), ref.output_size(128, 3, stride=2)
    assert {side, side * side * 9, strided, strided * strided * 9} <= numbers, numbers
    assert side * side * 9 / (strided * strided * 9) == pytest.approx(4, rel=0.01), "the answer says a quarter"


def test_the_hidden_checks_record_in_a_kernel_that_never_imports_tensorflow(tmp_path):
    """The warm-up's answers are numpy (``ANSWERS_USE_TENSORFLOW = False``): a fresh Python that runs its three
    hidden checks, as the grading kernel does, records every answer and loads neither TensorFlow nor Keras."""
    script = ("import sys; from autograder import hidden; from solutions import conv_warmup as ref\n"
              "for name in ('output_size', 'conv2d', 'max_pool2d'): hidden.check('conv_warmup', name, getattr(ref, name))\n"
              "print(sorted({'tensorflow', 'keras'} & set(sys.modules)))")
    run = subprocess.run([sys.executable, "-c", script], env=environment(**{hidden.RECORDS: str(tmp_path)}),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert run.stdout.strip() == "[]", f"the hidden checks imported {run.stdout.strip()}"
    for name in WARMUP.exercises:
        record = judging.load(tmp_path, name)
        assert judging.TF32 not in record and judging.well_formed(record, references.load_recorded(WARMUP, name)) is None


def test_a_tf32_flag_in_a_warm_up_record_is_one_no_recorder_writes():
    record = {str(i): np.int64(ref.output_size(*case)) for i, case in enumerate(inputs.size_cases())}
    reference = references.load_recorded(WARMUP, "output_size")
    assert judging.well_formed(record, reference) is None
    assert "never records ('tf32')" in judging.well_formed(dict(record, tf32=False), reference)


def test_its_references_are_keyed_by_its_own_libraries_only(monkeypatch):
    """A new tf-keras-vis (Section 2's SmoothGrad) computes the warm-up's references again no more."""
    before = {assignment: references.key(assignment) for assignment in (WARMUP, SEC02)}
    version = references._version
    monkeypatch.setattr(references, "_version", lambda library: "99.0" if library == "tf-keras-vis" else version(library))
    assert references.key(WARMUP) == before[WARMUP] and references.key(SEC02) != before[SEC02]
