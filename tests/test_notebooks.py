"""Each notebook transformation of the grader (``autograder/notebooks.py``) alone, on the warm-up's small release."""
import nbformat

from autograder import catalogue
from autograder.notebooks import (HeadedBy, RestoreTestCells, SafeForBrowser, WithReferenceSolutions,
                                  missing_test_cells, reference_notebook, transform)

WARMUP = catalogue.get("conv_warmup")


def _release():
    return nbformat.read(WARMUP.release_notebook, as_version=4)


def _index(nb, grade_id):
    return [catalogue.grade_id(cell) for cell in nb.cells].index(grade_id)


def test_deleted_and_unmarked_test_cells_go_back_after_their_solution_cells():
    nb = _release()
    del nb.cells[_index(nb, "test_conv2d")]
    del nb.cells[_index(nb, "test_max_pool2d")].metadata["nbgrader"]  # unmarked: a plain cell for nbgrader
    assert missing_test_cells(nb, WARMUP) == ["conv2d", "max_pool2d"]
    nb, _ = RestoreTestCells().preprocess(nb, {"nbgrader": {"assignment": "conv_warmup"}})
    assert missing_test_cells(nb, WARMUP) == []
    for name in ("conv2d", "max_pool2d"):
        assert _index(nb, f"test_{name}") == _index(nb, WARMUP.solution_cell[name]) + 1
    assert len({cell.id for cell in nb.cells}) == len(nb.cells), "a restored cell has an id of its own"


def test_a_test_cell_whose_solution_cell_is_gone_too_goes_at_the_end():
    nb = _release()
    for grade_id in ("conv2d", "test_conv2d"):
        del nb.cells[_index(nb, grade_id)]
    nb, _ = RestoreTestCells(WARMUP).preprocess(nb, {})
    assert catalogue.grade_id(nb.cells[-1]) == "test_conv2d"


def test_the_reference_notebook_has_the_reference_solutions():
    nb = nbformat.reads(reference_notebook(WARMUP).decode(), as_version=4)
    assert "raise NotImplementedError" in nbformat.writes(_release())
    assert "raise NotImplementedError" not in nbformat.writes(nb)
    assert nb.cells[_index(nb, "conv2d")].source == WithReferenceSolutions(WARMUP).preprocess(_release(), {})[0].cells[
        _index(nb, "conv2d")].source


def test_a_page_is_headed_by_its_note_and_made_safe_for_the_browser(tmp_path):
    nb = _release()
    nb.cells.append(nbformat.v4.new_markdown_cell('Mine. <script>alert(1)</script><img src="x" onerror="alert(2)">'))
    path = tmp_path / "graded.ipynb"
    transform(path, SafeForBrowser(), HeadedBy("**Flagged for review by the grader.**"), nb=nb)
    written = nbformat.read(path, as_version=4)
    assert written.cells[0].source == "**Flagged for review by the grader.**"
    assert written.cells[-1].source == 'Mine. &lt;script&gt;alert(1)&lt;/script&gt;<img src="x">'  # shown, not run
