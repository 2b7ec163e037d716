"""What a student and a TA are told of a partly right answer: formgrader's comment box (``gradebook.comments``) and
the student's feedback page (``feedback.render``) list each sub-check of its rubric with its points, and why the
failed ones failed."""
import dataclasses

from autograder import catalogue, feedback
from autograder.gradebook import comments
from autograder.results import Outcome, StaffMarks, Summary

SEC02 = catalogue.get("sec02")
WHY = "the weighted sum of the channels is not passed through a ReLU: negative evidence shows"


def _summary():
    exercises = {name: Outcome(True, float(points), "") for name, points in SEC02.exercises.items()}
    exercises["gradcam"] = Outcome(False, 2.0, f"partly right: {WHY}", failed={"relu": WHY})
    exercises["receptive_field"] = Outcome(False, 0.0, "receptive_field([]) raised TypeError",
                                           failed={"strides": "", "dilation": ""})
    return Summary("fay", exercises)


def test_the_comment_box_lists_each_sub_check_with_its_points():
    box = comments(SEC02, _summary().exercises, [])[SEC02.solution_cell["gradcam"]]
    assert f"Autograder, gradcam: 2/3 points. partly right: {WHY}" in box
    assert ("Rubric: channel weights: the gradient of the class score (before the softmax), averaged over the map, "
            "1/1; the ReLU of the weighted sum of the channels, 0/1; bilinear upsampling to the image's size, 0.5/0.5; "
            "the map scaled into [0, 1], 0.5/0.5.") in box


def test_the_feedback_lists_each_sub_check_and_why_it_failed():
    page = feedback.render(SEC02, _summary(), StaffMarks())
    assert '<td class="part">2 / 3</td><td>partly right<ul class="rubric">' in page
    assert f'<li class="bad">the ReLU of the weighted sum of the channels: 0 / 1 ({WHY})</li>' in page
    assert "<li class=\"ok\">bilinear upsampling to the image&#x27;s size: 0.5 / 0.5</li>" in page
    assert '<td class="bad">0 / 2</td><td>receptive_field([]) raised TypeError<ul class="rubric">' in page
    assert '<td class="ok">2 / 2</td><td>correct</td>' in page  # conv_output_size: no rubric shown without a verdict


def test_the_feedback_page_is_written_where_nbgrader_releases_it_with_their_maps_inside(tmp_path):
    from autograder import paths

    checked = paths.verification(tmp_path, SEC02, "fay")
    checked.mkdir(parents=True)
    (checked / "gradcam.png").write_bytes(b"\x89PNG\r\n\x1a\n a picture")
    summary = dataclasses.replace(_summary(), pictures={"gradcam": "gradcam.png", "vanilla_saliency": "missing.png"})
    staff = StaffMarks({"answer_fmaps": 1.5}, {"answer_fmaps": "Say <why>.", SEC02.solution_cell["gradcam"]: "Nearly."})
    written = feedback.write_report(tmp_path, SEC02, summary, staff)
    page = written.read_text()
    assert written == tmp_path / "feedback" / "fay" / "sec02" / "sec02.html"  # nbgrader's name for it
    assert page.count('<img alt="maps" src="data:image/png;base64,') == 1  # self-contained: opens offline
    assert "1.5 / 2" in page and "to be graded by the course staff" in page  # answer_fmaps graded, the others not
    assert "Course staff: Say &lt;why&gt;." in page and "Course staff: Nearly." in page

    # Not handed in through the exchange: a key of its own, kept from run to run, that release_feedback needs
    secret = (written.parent / "submission_secret.txt").read_text()
    assert len(secret) == 128 and (written.parent / "timestamp.txt").read_text().endswith("UTC")
    feedback.write_report(tmp_path, SEC02, summary, staff)
    assert (written.parent / "submission_secret.txt").read_text() == secret
    # Handed in through it: the graded submission's own timestamp and key
    (checked.parent / "submission_secret.txt").write_text("the student's key")
    (checked.parent / "timestamp.txt").write_text("2026-12-01 09:00:00.000000 UTC")
    feedback.write_report(tmp_path, SEC02, summary, staff)
    assert (written.parent / "submission_secret.txt").read_text() == "the student's key"
    assert (written.parent / "timestamp.txt").read_text() == "2026-12-01 09:00:00.000000 UTC"


def test_the_feedback_says_how_late_and_what_it_cost_by_the_courses_rule():
    from autograder.late import LateRule

    late = dataclasses.replace(_summary(), seconds_late=2 * 3600 + 15 * 60, late_penalty=3.0)
    page = feedback.render(SEC02, late, StaffMarks(), late_rule=LateRule(points_per_hour=1, max_points=5))
    assert ("Handed in 2 h 15 min after the due date: 3 points off (1 point off for each hour begun after the due "
            "date, at most 5).") in page
    assert "after the due date" not in feedback.render(SEC02, _summary(), StaffMarks())
