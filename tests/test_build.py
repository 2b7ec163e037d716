"""Everything generated is up to date (the release and solutions from the instructor notebook, the class-scale
benchmark's report and README figures from its JSON), and the release gives nothing away."""
import json
import shutil

import nbformat
import pytest

from autograder import catalogue
from tests.conftest import ROOT
from tools import build

RELEASE = ROOT / "release" / "sec02"


def test_solutions_module_is_generated_from_the_notebook():
    for assignment in map(catalogue.get, catalogue.names()):
        assert build.solutions_path(assignment).read_text() == build.solutions_text(assignment.source), \
            "run: python -m tools.build"


def test_rubrics_are_written_from_the_exercise_modules():
    """Each rubric, in its exercise's hidden tests and in the README's table, as its module states it."""
    for assignment in map(catalogue.get, catalogue.names()):
        text = assignment.source.read_text()
        assert build.notebook_text(build.with_rubrics(assignment, json.loads(text))) == text, "run: python -m tools.build"
    readme = (ROOT / "README.md").read_text()
    assert build.readme_with_rubrics(readme) == readme, "run: python -m tools.build"
    assert "| `sec02` | `gradcam` | 3 | the ReLU of the weighted sum of the channels | 1 |" in readme


def test_filter_order_solution_matches_the_figures_answer_key():
    from solutions import sec02

    key = json.loads((ROOT / "assignments" / "sec02" / "answer_key.json").read_text())["filter_order"]
    assert sec02.filter_order == key, "the solution cell disagrees with tools/make_figures.py's key"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """A fresh nbgrader release of every assignment's current source, made in a scratch copy of the course."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source", course / "source", ignore=shutil.ignore_patterns("__pycache__", "*.best.keras"))
    for name in catalogue.names():
        build.generate_release(catalogue.get(name), course)
    return course / "release"


def _files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def test_release_is_up_to_date(regenerated):
    released = ROOT / "release"
    assert _files(released) == _files(regenerated), "run: python -m tools.build"
    for path in _files(regenerated):
        assert (released / path).read_bytes() == (regenerated / path).read_bytes(), f"{path} is stale: run python -m tools.build"


@pytest.mark.parametrize("name", catalogue.names())
def test_release_gives_nothing_away(name):
    folder = ROOT / "release" / name
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "checks.check_", "autograder", "Rubric",
                   "Model answer", "answer_key"):
        assert secret not in text, f"the release notebook contains {secret!r}"
    assert not any("solution" in str(p) or "answer" in str(p) for p in _files(folder))


def test_section_2_ships_its_notebook_code_models_and_figures():
    assert {p.parts[0] for p in _files(RELEASE)} == {"sec02.ipynb", "cnnlab", "data", "fig"}


def _points(notebook):
    """{grade_id: points} of the cells nbgrader grades."""
    meta = [cell.metadata.get("nbgrader", {}) for cell in notebook.cells]
    return {m["grade_id"]: m["points"] for m in meta if m.get("grade")}


def test_every_exercise_has_points_and_stubs():
    nb = nbformat.read(RELEASE / "sec02.ipynb", as_version=4)
    meta = [cell.metadata.get("nbgrader", {}) for cell in nb.cells]
    # The release grades what the instructor notebook grades, for the points the course's catalogue totals.
    points = _points(nb)
    sec02 = catalogue.get("sec02")
    assert points == _points(nbformat.read(sec02.source, as_version=4))
    assert sum(points.values()) == sum(sec02.exercises.values()) + sum(p for p, _ in sec02.questions.values())
    stubs = [cell for cell, m in zip(nb.cells, meta) if m.get("solution") and cell.cell_type == "code"]
    assert stubs and all("raise NotImplementedError()" in cell.source for cell in stubs)


def test_benchmark_report_and_readme_match_the_measured_figures():
    from benchmarks import class_scale

    result = json.loads((class_scale.RESULTS / "class_scale.json").read_text())
    assert (class_scale.RESULTS / "class_scale.md").read_text() == class_scale.report(result), (
        "run: python benchmarks/class_scale.py --render")
    assert class_scale.readme_section(result) in (ROOT / "README.md").read_text(), (
        "run: python benchmarks/class_scale.py --render")


def test_the_sample_class_is_written_the_same_every_time(tmp_path):
    """Byte for byte, from two processes: a second grading of the unchanged class regrades nobody."""
    import subprocess
    import sys

    for run in ("first", "second"):
        subprocess.run([sys.executable, "-m", "sample_class", str(tmp_path / run)], cwd=ROOT, check=True,
                       capture_output=True)
    first = {p.relative_to(tmp_path / "first"): p.read_bytes() for p in (tmp_path / "first").rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path / "second"): p.read_bytes() for p in (tmp_path / "second").rglob("*") if p.is_file()}
    assert first.keys() == second.keys() and len(first) > 26
    assert [path for path in first if first[path] != second[path]] == []
