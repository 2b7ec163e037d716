"""The class at a glance (``autograder/class_report.py``) from typed summaries, without grading a notebook: what it
counts as each mistake, and the numbers of its tables. tests/test_grading.py checks a graded class's report against
the gradebook, tests/test_browser.py opens it."""
import re

from autograder import catalogue, class_report
from autograder.results import Kind, Note, Outcome, Summary

WARMUP = catalogue.get("conv_warmup")
FLIPPED = "a convolution with the kernel flipped: Conv2D does not flip it"


def _summary(student, late_penalty=0.0, flags=(), **outcomes):
    exercises = {"output_size": Outcome(True, 1.0, "", failed={}), "conv2d": Outcome(True, 2.0, "", failed={}),
                 "max_pool2d": Outcome(True, 1.0, "")}
    exercises.update(outcomes)
    return Summary(student, exercises, list(flags), late_penalty=late_penalty, seconds={"autograde": 10, "judge": 1})


CLASS = [
    _summary("ada"),
    _summary("fay", conv2d=Outcome(False, 1.0, f"partly right: {FLIPPED}", failed={"orientation": FLIPPED}),
             max_pool2d=Outcome(False, 0.0, "has shape (7, 7)")),
    _summary("gil", conv2d=Outcome(False, 1.0, f"partly right: {FLIPPED}", failed={"orientation": FLIPPED})),
    _summary("dan", output_size=Outcome(False, 0.0, "raised NotImplementedError: ", failed={"valid": "", "same": ""}),
             flags=[Note(Kind.STOPPED, "the cell that starts 'while True:' was stopped after 20 s")]),
    _summary("zed", late_penalty=3.0),
]


def test_each_mistake_is_counted_once_per_student_with_its_reason_most_frequent_first():
    found = class_report.mistakes(WARMUP, CLASS)
    orientation = next(check.asks for check in WARMUP.rubric("conv2d") if check.name == "orientation")
    assert list(found.items()) == [(("conv2d", f"{orientation}: {FLIPPED}"), ["fay", "gil"]),
                                   (("max_pool2d", "wrong"), ["fay"]),
                                   (("output_size", "left blank"), ["dan"])]


def _table(page, heading):
    """The rows of the table under ``heading``, each as its cells' text."""
    section = page[page.index(f">{heading}<"):]
    table = section[section.index("<table>"):section.index("</table>")]
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table)[1:]]


def test_the_tables_count_the_class():
    facts = {"pages": {"dan": "/formgrader/submissions/7/"}, "questions": {"answer_cost": (2, 3)}}
    cells = {"the cell conv2d": ([0.5, 2.5, 1.0], 0.4), class_report.ADDED: ([30.0], None)}
    page = class_report.render(WARMUP, CLASS, facts, cells)
    scores = {row[0]: row[1:] for row in _table(page, "Scores")}
    assert scores["<code>conv2d</code>"] == ["2", "1.60", "3", "0"]  # points, mean, full marks, zero
    # ada 4, fay 2, gil 3, dan 3, zed 4 less his 3 late points: 1; a mean of 13 / 5, and only ada in full
    assert scores["<b>total</b>"] == ["4", "2.60", "1", "0"]
    assert _table(page, "Reasons for review") == [
        ["stopped", '<a href="/formgrader/submissions/7/">dan</a>', "the cell that starts &#x27;while True:&#x27; "
                                                                    "was stopped after 20 s"]]
    assert _table(page, "Free answers")[0][1:] == ["2", "3"]
    assert [row[:2] for row in _table(page, "The slowest cells")] == [[class_report.ADDED, "30.0"],
                                                                      ["the cell conv2d", "2.5"]]
    assert page.count('<img alt="score distributions" src="data:image/png;base64,') == 1


def test_the_cells_times_are_the_summaries_by_the_release_cells_names():
    """What each graded notebook's cells took (``Summary.cells``, measured by the job): the release's cells by name,
    the cells the students added together."""
    import dataclasses
    import json

    from autograder import budgets

    first = next(c for c in json.loads(WARMUP.release_notebook.read_text())["cells"] if c["cell_type"] == "code")
    ran = [dataclasses.replace(_summary("ada"), cells={budgets.key(first): 1.5}),
           dataclasses.replace(_summary("ben"), cells={budgets.key(first): 2.0, "ben-7": 30.0})]
    times = class_report._cell_times(WARMUP, ran)
    assert {name: seconds for name, (seconds, _) in times.items()} == {
        budgets.cell_name(first): [1.5, 2.0], class_report.ADDED: [30.0]}
