"""Every exercise's judge gives full marks to the reference and to other correct answers, and catches the mistakes.

Each answer is recorded as a hidden test cell records it (``exercises.recording.record``), the record travels
through a file as it does from the kernel to the judge, and the judge compares it with the cached reference
answers (``autograder/references.py``). The margins written beside the map thresholds are checked here.
"""
import functools
import re
import subprocess
import sys

import nbformat
import numpy as np
import pytest

import sample_class
from assignments.sec02.exercises import gradcam, inputs, saliency_graphs, vanilla_saliency
from autograder import catalogue, exercises, hidden, references, verify
from autograder.exercises import judging, recording
from autograder.results import Verdict
from sample_class import answers as variants
from solutions import sec02 as ref

CODED = sorted(variants.CORRECT)
SEC02 = catalogue.get("sec02")


@functools.cache
def _record(name, answer):
    """What a hidden test cell records of ``answer`` to exercise ``name``: recorded once for this module's tests (a
    SmoothGrad answer takes seconds); each test that changes a record changes a copy (``dict(...)``)."""
    out = {}
    recording.record(SEC02.exercise(name), answer, out)
    return out


def _recorded(name, answer, folder):
    """Records ``answer`` as a hidden test cell does, into ``folder``."""
    recording.save(folder, name, _record(name, answer))


def _judged(name, answer, tmp_path):
    _recorded(name, answer, tmp_path)
    SEC02.exercise(name).judge(judging.load(tmp_path, name), references.load(SEC02, name))


def test_every_exercise_of_the_notebook_has_a_module_that_keeps_the_contract():
    assert sorted(CODED + list(SEC02.answer_key)) == sorted(SEC02.exercises)
    for name in SEC02.exercises:
        module = SEC02.exercise(name)
        assert exercises.check(module) == [], name
        assert set(getattr(module, "CALLS", ())) <= set(SEC02.exercises), name


def test_the_contract_check_catches_a_module_that_breaks_it():
    import types

    broken = types.SimpleNamespace(record=lambda answer: None, expected=lambda reference: {},
                                   picture="not a function", CALLS="gradcam")  # and no judge, nor PICTURED
    problems = exercises.check(broken)
    assert [problem.split()[0] for problem in problems] == ["record", "judge", "picture", "PICTURED", "CALLS"], problems


def test_the_catalogue_holds_every_graded_cell_of_the_notebook_and_its_points():
    """Read apart from the catalogue's own reading: nbformat, every cell nbgrader grades."""
    graded = {}
    for cell in nbformat.read(SEC02.source, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            graded[meta["grade_id"]] = meta["points"]
    listed = {f"test_{name}": points for name, points in SEC02.exercises.items()}
    listed.update({grade_id: points for grade_id, (points, _) in SEC02.questions.items()})
    assert listed == graded
    assert all(points > 0 for points in graded.values())


@pytest.fixture(scope="module")
def reference_records(tmp_path_factory):
    """The records of the reference's answers to every exercise, as the grading kernel writes them."""
    folder = tmp_path_factory.mktemp("records")
    for name in SEC02.exercises:
        _recorded(name, getattr(ref, name), folder)
    return folder


def _right(name, outcome):
    """Whether ``outcome`` is full marks: passed, all the exercise's points, no message, no sub-check failed."""
    full = SEC02.exercises[name]
    return (outcome.passed, outcome.points, outcome.message, outcome.failed or {}) == (True, full, "", {})


@pytest.mark.parametrize("name", list(SEC02.exercises))
def test_reference_passes(name, reference_records):
    assert _right(name, _judge(name, judging.load(reference_records, name)))


JUDGE_PROCESS = """
import runpy, sys
sys.argv = ["autograder.verify", *sys.argv[1:]]
runpy.run_module("autograder.verify", run_name="__main__")
print(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras_vis")))
"""


def test_the_judge_process_passes_the_references_without_importing_tensorflow(reference_records, tmp_path):
    """``python -m autograder.verify`` as the batch runs it, on real records: plain numpy, every exercise judged."""
    references.compute_all(SEC02)  # computed here if no test before did
    command = [sys.executable, "-c", JUDGE_PROCESS, str(SEC02.source), "--assignment", "sec02",
               "--records", str(reference_records),
               "--references", str(references.folder(SEC02)), "--out", str(tmp_path)]
    done = subprocess.run(command, cwd=catalogue.ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]", f"the judge's process imported {done.stdout.splitlines()[-1]}"
    verdict = Verdict.from_json((tmp_path / "verdict.json").read_text()).exercises
    assert [name for name, outcome in verdict.items() if not _right(name, outcome)] == []


@pytest.mark.parametrize("name, answer", [(n, f) for n in CODED for f in variants.CORRECT[n]],
                         ids=lambda v: getattr(v, "__name__", v))
def test_other_correct_answers_pass(name, answer, tmp_path):
    _recorded(name, answer, tmp_path)
    assert _right(name, _judge(name, judging.load(tmp_path, name)))


# Each mistake, and the check of its judge that must catch it (a pattern of that check's message)
CAUGHT_BY = {
    "conv_output_size_off_by_one": r"returned 16, expected 17",
    "conv_output_size_no_dilation": r"returned 18, expected 17",
    "get_feature_maps_transposed": r"shape \(17, 31, 31\), expected \(height, width, channels\)",
    "get_feature_maps_wrong_layer": r"shape \(63, 63, 16\), expected \(height, width, channels\) = \(31, 31, 17\)",
    "gradcam_no_relu": r"partly right: the weighted sum of the channels is not passed through a ReLU",
    "gradcam_through_softmax": r"partly right: the channel weights are not the class score's gradient",
    "gradcam_nearest": r"partly right: the map is not upsampled bilinearly",
    "gradcam_wrong_layer": r"does not match the expected map",
    "model_modifier_no_return": r"should return the model",
    "model_modifier_relu": r"not the class scores before the softmax",
    "prepare_image_no_cast": r"dtype float64, expected float32",
    "prepare_image_channels_first": r"shape \(1, 3, 128, 128\), expected \(1, 128, 128, 3\)",
    "receptive_field_no_dilation": r"returned 5, but the gradient of a real Keras model",
    "receptive_field_no_stride": r"returned 10, but the gradient of a real Keras model",
    "saliency_graphs_no_abs": r"does not match the expected SmoothGrad map",
    "saliency_graphs_softmax": r"does not match the expected SmoothGrad map",
    "saliency_graphs_inverted_positive": r"positive_gradients=True.*does not match the expected SmoothGrad map",
    "saliency_graphs_two_classes": r"shape \(2, 128, 128\), expected \(3, 128, 128\)",
    "vanilla_saliency_no_abs": r"partly right: the gradient's sign is kept",
    "vanilla_saliency_channel_mean": r"partly right: the colour channels are not reduced by their maximum",
    "vanilla_saliency_softmax": r"partly right: the gradient is not the class score's",
}


@pytest.mark.parametrize("name, answer", [(n, f) for n in CODED for f in variants.MISTAKES[n]],
                         ids=lambda v: getattr(v, "__name__", v))
def test_each_mistake_gets_what_the_rubric_leaves_it(name, answer):
    """Caught by its check, and given nothing, or for a partly right mistake (``answers.PARTLY``) the points of the
    sub-checks it does not fail."""
    out = dict(_record(name, answer))
    outcome = _judge(name, out)
    assert not outcome.passed and outcome.fault is None, outcome
    assert re.search(CAUGHT_BY[answer.__name__], outcome.message), outcome  # by the check that must catch it
    assert outcome.points == sample_class.left_by(SEC02, name, answer) < SEC02.exercises[name], outcome
    assert set(outcome.failed or {}) == variants.PARTLY.get(answer, set(outcome.failed or {})), outcome


def test_every_rubric_shares_out_its_exercises_points():
    for assignment in map(catalogue.get, catalogue.names()):
        for name, points in assignment.exercises.items():
            rubric = assignment.rubric(name)
            assert not rubric or sum(check.points for check in rubric) == points, (name, rubric)


def test_a_right_map_out_of_0_1_loses_only_the_scaling():
    out = dict(_record("gradcam", ref.gradcam))
    out.update({key: value * 5 for key, value in out.items() if key.isdigit()})  # right, up to its scale
    outcome = _judge("gradcam", out)
    assert outcome.points == 2.5 and set(outcome.failed) == {"scaling"}, outcome


def test_a_map_left_at_the_layers_resolution_loses_only_the_upsampling():
    expected = references.load(SEC02, "gradcam")
    out = dict(_record("gradcam", ref.gradcam))
    out.update({str(i): judging.rescaled(expected[str(i)]) for i in range(len(inputs.MAP_CASES))})
    outcome = _judge("gradcam", out)
    assert outcome.points == 2.5 and set(outcome.failed) == {"upsampling"}, outcome


@pytest.mark.parametrize("constant", [0.0, 1.0])
def test_a_constant_map_gets_nothing_from_a_sub_check(constant):
    """Where a mistake's map is flat a constant answer matches it: it must match where the mistake shows too."""
    for name in ("gradcam", "vanilla_saliency"):
        out = dict(_record(name, getattr(ref, name)))
        out.update({key: np.full_like(value, constant) for key, value in out.items() if key.isdigit()})
        outcome = _judge(name, out)
        assert outcome.points == 0 and outcome.fault is None, outcome


def test_a_judge_naming_a_sub_check_its_rubric_lacks_is_a_fault(monkeypatch):
    def judge(record, expected):
        raise judging.PartlyRight({"style": "not in the rubric"})

    monkeypatch.setattr(SEC02.exercise("gradcam"), "judge", judge)
    outcome = _judge("gradcam", {})
    assert outcome.points == 0 and "style" in outcome.fault, outcome


def test_answers_to_the_questions(tmp_path):
    for wrong, why in (("ii", "not the receptive field"), ("iii", "not the receptive field"),
                       ("I", 'should be "i", "ii" or "iii"'), (1, 'should be "i", "ii" or "iii"')):
        with pytest.raises(AssertionError, match=why):
            _judged("receptive_field_answer", wrong, tmp_path)
    letters = "should be the letters A, B, C in some order"
    for wrong, why in (("ABCD", letters), ("AB", letters), (None, letters),
                       (SEC02.answer_key["filter_order"][::-1], "not in shallow-to-deep order")):
        with pytest.raises(AssertionError, match=why):
            _judged("filter_order", wrong, tmp_path)


def _map_differences(name, answer):
    """The judge's largest pixel difference on each map case with positive evidence."""
    out, expected = _record(name, answer), references.load(SEC02, name)
    if name == "gradcam":
        return [gradcam.difference(out[str(i)], expected[str(i)], (128, 128))
                for i in range(len(inputs.MAP_CASES)) if expected[str(i)].max() > 0]
    return [vanilla_saliency.difference(out[str(i)], expected[str(i)]) for i in range(len(inputs.MAP_CASES))]


@pytest.mark.parametrize("name", ["vanilla_saliency", "gradcam"])
def test_map_margins_are_the_ones_written_beside_the_threshold(name):
    tolerance = SEC02.exercise(name).MAP_ATOL
    for answer in [getattr(ref, name)] + variants.CORRECT[name]:
        assert max(_map_differences(name, answer)) < 1e-4, answer.__name__
    for answer in variants.MISTAKES[name]:
        assert max(_map_differences(name, answer)) >= 0.38 > 2 * tolerance, answer.__name__


def _smoothgrad_correlations(answer):
    """Per case, the judge's lowest correlation over the classes (-1 for maps of the wrong shape)."""
    out, expected = _record("saliency_graphs", answer), references.load(SEC02, "saliency_graphs")
    lowest = []
    for i in range(len(saliency_graphs.CASES)):
        want, maps = expected[str(i)], np.asarray(out[str(i)])
        lowest.append(min(judging.correlation(maps[c], want[c]) for c in range(len(want)))
                      if maps.shape == want.shape else -1.0)
    return lowest


def test_smoothgrad_margins_are_the_ones_written_beside_the_threshold():
    for answer in [ref.saliency_graphs] + variants.CORRECT["saliency_graphs"]:
        assert min(_smoothgrad_correlations(answer)) >= 0.94 > saliency_graphs.MIN_R, answer.__name__
    for answer in variants.MISTAKES["saliency_graphs"]:
        assert min(_smoothgrad_correlations(answer)) < 0.45, answer.__name__


def test_bilinear_conventions_differ_more_than_the_tolerance():
    """Why the judge tries each convention: one convention's grid would fail a correct answer."""
    coarse = references.load(SEC02, "gradcam")["1"]
    half, corners = (gradcam.upsample(coarse, (128, 128), c) for c in ("half_pixel", "align_corners"))
    assert np.abs(judging.rescaled(half) - judging.rescaled(corners)).max() > 2 * gradcam.MAP_ATOL


def test_a_forged_record_fails(tmp_path):
    out = dict(_record("receptive_field", ref.receptive_field))
    out["20"] = out["20"] + 1  # one answer off: passing needs every value the reference gives
    recording.save(tmp_path, "receptive_field", out)
    with pytest.raises(AssertionError, match="expected"):
        SEC02.exercise("receptive_field").judge(judging.load(tmp_path, "receptive_field"), references.load(SEC02, "receptive_field"))


def test_records_never_unpickle(tmp_path):
    np.savez(tmp_path / "gradcam.npz", trained=np.array([object()], dtype=object))  # what only pickle can load
    with pytest.raises(ValueError, match="allow_pickle"):
        judging.load(tmp_path, "gradcam")


def test_a_record_that_is_a_link_is_refused(tmp_path):
    """A link to the reference answers would be a record equal to them: only plain files are read."""
    (tmp_path / "get_feature_maps.npz").symlink_to(references.folder(SEC02) / "get_feature_maps.npz")
    with pytest.raises(ValueError, match="not a plain file"):
        judging.load(tmp_path, "get_feature_maps")


def _judge(name, record, expected=None):
    """verify.judge's outcome, as the judge's process reaches it, against the reference answers and the reference's
    record."""
    return _judge_and_note(name, record, expected)[0]


def _judge_and_note(name, record, expected=None):
    """verify.judge's outcome and its note on a record the student's code wrote (None if the grader wrote it)."""
    expected = references.load(SEC02, name) if expected is None else expected
    return verify.judge(SEC02, name, record, expected, references.load_recorded(SEC02, name))


def test_a_missing_record_fails_with_a_reason():
    outcome = _judge("gradcam", None)
    assert not outcome.passed and "not checked" in outcome.message and outcome.fault is None


# Records the student's code wrote: no recorder writes them. Each is the student's (0 for that exercise, flagged
# as tampering), never a fault of the grader's, which would leave the student "not judged" and regraded forever.
FORGED = {"text where numbers go": ("gradcam", {"0": np.array(["text"]), "trained": np.zeros(3)}),
          "numbers where a flag goes": ("saliency_graphs", {"0.pair": np.ones(3), "tf32": False}),
          "a key no recorder writes": ("gradcam", {"0": np.ones((128, 128)), "answer": np.ones(3)}),
          "TF32 said on, which the recorder switches off": ("conv_output_size", {"0": np.int64(3), "tf32": True}),
          "a value beside the answer's": ("filter_order", {"str": "BCA", "repr": "'BCA'", "tf32": False, "1": np.ones(2)})}


@pytest.mark.parametrize("name, forged", FORGED.values(), ids=list(FORGED))
def test_a_record_no_recorder_writes_is_the_students_doing(name, forged):
    outcome, tampered = _judge_and_note(name, forged)
    assert not outcome.passed and outcome.fault is None and tampered.exercise == name, outcome


def test_a_keyed_record_missing_a_value_is_a_wrong_answer_not_a_fault():
    # no "repr": the judge cannot quote it
    outcome, tampered = _judge_and_note("filter_order", {"str": "XYZ", "tf32": False})
    assert not outcome.passed and outcome.fault is None and tampered is None, outcome


def test_an_answer_of_another_shape_is_wrong_even_where_the_judge_cannot_compare_it():
    out = dict(_record("gradcam", ref.gradcam))
    out["random"] = out["random"][:64]  # the map on the randomised model of another shape: no correlation exists
    outcome, tampered = _judge_and_note("gradcam", out)
    assert not outcome.passed and outcome.fault is None and tampered is None
    assert "shape" in outcome.message, outcome


def test_a_judge_that_fails_for_its_own_reason_is_a_fault_of_the_grader_not_a_zero(tmp_path):
    out = dict(_record("gradcam", ref.gradcam))  # a correct answer
    flat = dict(references.load(SEC02, "gradcam"), **{str(i): np.zeros((8, 8)) for i in range(len(inputs.MAP_CASES))})
    outcome = _judge("gradcam", out, flat)  # grading inputs with no positive evidence left to judge by
    assert not outcome.passed and outcome.message == verify.NOT_JUDGED
    assert "RuntimeError" in outcome.fault
    assert _right("gradcam", _judge("gradcam", out))


def test_record_files_past_their_bounds_are_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(judging, "RECORD_KEYS", 50)
    monkeypatch.setattr(judging, "RECORD_BYTES", 4 << 20)
    np.savez(tmp_path / "many.npz", **{f"k{i}": np.zeros(1) for i in range(51)})
    np.savez_compressed(tmp_path / "bomb.npz", a=np.zeros(1 << 20))  # 8 MB inflated, a few kB on disk
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    for name, why in (("many", "at most 50 values"), ("bomb", "over 50 values or 4 MB"), ("junk", "not an archive")):
        with pytest.raises(judging.Malformed, match=why):
            judging.load(tmp_path, name)


def test_answers_are_recorded_and_references_computed_in_full_float32(monkeypatch):
    import tensorflow as tf

    tf.config.experimental.enable_tensor_float_32_execution(True)  # as on an NVIDIA GPU, by default
    out = {}
    recording.record(SEC02.exercise("conv_output_size"), ref.conv_output_size, out)
    assert out[judging.TF32] is False and not tf.config.experimental.tensor_float_32_execution_enabled()

    tf.config.experimental.enable_tensor_float_32_execution(True)
    seen = []
    monkeypatch.setattr(SEC02.exercise("conv_output_size"), "expected",
                        lambda reference: seen.append(tf.config.experimental.tensor_float_32_execution_enabled()))
    references.compute(SEC02, "conv_output_size")
    assert seen == [False], "the references must be computed with TF32 off"


def test_the_grading_kernel_is_told_to_stay_in_float32():
    from autograder import job
    from autograder.environment import environment

    assert environment()["NVIDIA_TF32_OVERRIDE"] == "0"
    assert "NVIDIA_TF32_OVERRIDE" in job.SANDBOX_ENV, "the sandbox must pass it on to the kernel"


def test_in_the_batch_the_hidden_check_only_records(tmp_path, monkeypatch):
    monkeypatch.setenv(hidden.RECORDS, str(tmp_path))
    hidden.check("sec02", "gradcam", variants.MISTAKES["gradcam"][0])  # wrong, but nothing judges it here
    assert judging.load(tmp_path, "gradcam")["0"].shape == (128, 128)


def test_references_are_computed_once_and_keyed_by_what_they_depend_on(monkeypatch, tmp_path):
    folder = references.folder(SEC02)
    assert judging.load(folder, "gradcam") is not None  # computed by the tests above, reused here
    before = references.key(SEC02)
    monkeypatch.setattr(SEC02.grading, "REFERENCE_LIBRARIES", SEC02.grading.REFERENCE_LIBRARIES[:-1])
    assert references.key(SEC02) != before, "another library version must mean other references"


def test_every_assignment_declares_what_the_grader_reads_from_its_package():
    """``assignments/__init__.py``: the grader names no assignment, and reads these from each one's package."""
    for name in catalogue.names():
        grading = catalogue.get(name).grading
        assert callable(grading.prepare) and isinstance(grading.kernel_data(), dict), name
        assert isinstance(grading.ANSWERS_USE_TENSORFLOW, bool), name
        assert grading.REFERENCE_LIBRARIES and all(isinstance(lib, str) for lib in grading.REFERENCE_LIBRARIES), name
        assert isinstance(grading.WORKER_MEMORY_GB, float) and grading.WORKER_MEMORY_GB > 0, name
