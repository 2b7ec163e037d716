"""What students hand in, collected into the course (autograder/collect.py), and the CSVs the TA opens: hostile hand-ins
built by hand, no notebook graded (seconds)."""
import csv
import os
import stat
import zipfile

import pytest

from autograder import catalogue, collect, paths, reports
from autograder.environment import run_nbgrader
from autograder.grade import submission_job
from autograder.results import Outcome, Summary
from tests.conftest import ROOT

SEC02 = catalogue.get("sec02")
NOTEBOOK = SEC02.notebook


def _handed_in(folder, student):
    """A student's folder in nbgrader's layout, with a notebook, a helper of their own and a link to the reference."""
    mine = folder / student / "sec02"
    mine.mkdir(parents=True)
    (mine / NOTEBOOK).write_text('{"cells": []}')
    (mine / "helper.py").write_text("def mine(): pass\n")
    (mine / "helpers.py").symlink_to(ROOT / "solutions" / "sec02.py")  # `from helpers import gradcam`
    os.mkfifo(mine / "pipe")  # reading it would wait for ever
    return mine


def test_a_link_or_a_pipe_handed_in_is_never_read_and_flags_the_student(tmp_path):
    _handed_in(tmp_path / "class", "ivy")
    collected = collect.from_folder(tmp_path / "course", SEC02, tmp_path / "class")
    copied = tmp_path / "course" / "submitted" / "ivy" / "sec02"
    assert sorted(p.name for p in copied.iterdir()) == ["helper.py", NOTEBOOK]
    assert all(stat.S_ISREG(os.lstat(p).st_mode) for p in copied.iterdir())
    assert [note.text.split(",")[0] for note in collected["ivy"]] == ["handed in 'helpers.py'", "handed in 'pipe'"]
    assert "symbolic link" in collected["ivy"][0].text and "not read" in collected["ivy"][1].text


def test_a_link_already_in_the_course_is_not_read_either(tmp_path):
    """Submissions in place (--submissions submitted, or nbgrader's collect): the job is given regular files only."""
    _handed_in(tmp_path / "submitted", "ivy")
    (student, files, _), notes = submission_job(tmp_path, SEC02, "ivy", b"")
    assert student == "ivy" and sorted(files) == ["helper.py", NOTEBOOK] and len(notes) == 2


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as z:
        for name, data, when, mode in entries:
            info = zipfile.ZipInfo(name, date_time=when)
            info.external_attr = mode << 16
            z.writestr(info, data)
    return path


def test_a_zip_gives_only_the_notebooks_it_names_each_to_its_student(tmp_path, monkeypatch):
    monkeypatch.setattr(collect, "LARGEST_FILE", 1000)
    nested = _zip(tmp_path / "inner.zip", [(f"victim_{NOTEBOOK}", b"{}", (2026, 1, 1, 0, 0, 0), 0o644),
                                          (f"ann_{NOTEBOOK}", b"{}", (2026, 1, 2, 0, 0, 0), 0o644)])
    early, late = (2026, 12, 1, 9, 0, 0), (2026, 12, 1, 10, 0, 0)
    archive = _zip(tmp_path / "class.zip", [
        (f"ann_{NOTEBOOK}", b'{"first": 1}', early, 0o644),
        (f"late/ann_{NOTEBOOK}", b'{"second": 2}', late, 0o644),  # a second notebook of hers: the newest is graded
        ("ann_uploads.zip", nested.read_bytes(), early, 0o644),  # never unpacked
        (f"bob_{NOTEBOOK}", b"{}", early, 0o104755),  # a setuid mode: not kept
        (f"cy_{NOTEBOOK}", b"x" * 2000, early, 0o644),  # over the size limit
        (f".._{NOTEBOOK}", b"{}", early, 0o644),  # a name that would be a folder above submitted/
        (f"-x_{NOTEBOOK}", b"{}", early, 0o644),  # an id like an option: collected like any other
        ("../escape.txt", b"no", early, 0o644),
    ])
    course = tmp_path / "course"
    collected = collect.from_zip(course, SEC02, archive)
    assert sorted(collected) == ["-x", "ann", "bob", "cy"]
    assert (course / "submitted" / "ann" / "sec02" / NOTEBOOK).read_bytes() == b'{"second": 2}'
    assert "handed in 2 notebooks" in collected["ann"][0].text and collected["bob"] == [] and collected["-x"] == []
    assert "over" in collected["cy"][0].text and (course / "submitted" / "cy" / "sec02" / NOTEBOOK).read_bytes() == b""
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.relative_to(tmp_path).as_posix() for p in files if p.parent.name == "sec02"} == {
        f"course/submitted/{s}/sec02/{NOTEBOOK}" for s in collected}, "only the named notebooks were unpacked"
    assert not list(tmp_path.rglob("escape.txt")) and not list(tmp_path.rglob(f"victim_{NOTEBOOK}"))
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in (course / "submitted").rglob("*.ipynb"))


@pytest.mark.parametrize("student, problem", [("..", True), (".hidden", True), ("a/b", True), ("a\nb", True),
                                              ("-x", False), ("--force", False), ("=2+3", False), ("o'neil", False)])
def test_which_ids_can_be_a_students_folder(student, problem):
    assert (collect.id_problem(student) is not None) == problem


def test_no_csv_cell_of_the_course_starts_a_spreadsheet_formula(tmp_path):
    """The grades by exercise (reports.write_csv) and nbgrader export's grades.csv (autograder/export.py)."""
    from nbgrader.api import Gradebook

    path = paths.summary(tmp_path, SEC02, "=2+3")
    path.parent.mkdir(parents=True)
    path.write_text(Summary("=2+3", {name: Outcome(False, 0.0, "") for name in SEC02.exercises}).to_json())
    reports.write_csv(tmp_path, SEC02)
    with paths.grades_by_exercise(tmp_path, SEC02).open() as f:
        assert [row["student"] for row in csv.DictReader(f)] == ["'=2+3"]
    assert [reports.as_given(reports.spreadsheet_safe(v)) for v in ("=2+3", "o'neil", "'a")] == ["=2+3", "o'neil", "'a"]

    (tmp_path / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text().replace(
        "ROOT = pathlib.Path(__file__).resolve().parent", f"ROOT = pathlib.Path({str(tmp_path)!r})"))
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.add_assignment("sec02")
        gb.add_student("=2+3", first_name="@SUM(A1)", last_name="Doe, Jr", email="-x@example.edu")
    result = run_nbgrader("export", "--to", str(tmp_path / "grades.csv"), cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    with (tmp_path / "grades.csv").open() as f:
        (row,) = list(csv.DictReader(f))
    assert (row["student_id"], row["first_name"], row["last_name"], row["email"], row["score"]) == (
        "'=2+3", "'@SUM(A1)", "Doe, Jr", "'-x@example.edu", "0.0")
