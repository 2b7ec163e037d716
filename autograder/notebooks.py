"""What the grader does to notebooks around nbgrader's own steps, one transformation per preprocessor (nbconvert's
``Preprocessor``, as nbgrader's own are), each ``preprocess(nb, resources)``:

* ``RestoreTestCells``: the test cells a student deleted or unmarked, put back; registered in nbgrader's autograde
  (``nbgrader_config.py``), before nbgrader's own ``OverwriteCells``;
* ``WithReferenceSolutions``: the reference solutions in the solution cells (the notebook that times the cells);
* ``HeadedBy``: a note for formgrader at the top of a page (a stand-in, the reasons for review);
* ``SafeForBrowser``: the graded notebook made safe to show in the TA's browser.

``transform(path, ...)`` reads a notebook once, applies them in order, and writes it once. ``unreadable`` says why a
file is not a notebook.
"""
import nbformat
from nbconvert.preprocessors import Preprocessor
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbgrader.preprocessors import NbGraderPreprocessor

from autograder import catalogue


def transform(path, *preprocessors, nb=None):
    """Apply ``preprocessors`` in order to the notebook at ``path`` (or to ``nb``, written there instead)."""
    nb = nb or nbformat.read(path, as_version=4)
    resources = {}
    for preprocessor in preprocessors:
        nb, resources = preprocessor.preprocess(nb, resources)
    nbformat.write(nb, path)


def missing_test_cells(nb, assignment):
    """The exercises of ``assignment`` whose test cell the notebook ``nb`` lacks (deleted, or its grading metadata
    removed)."""
    graded = {catalogue.grade_id(cell) for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")}
    return [name for name in assignment.exercises if catalogue.test_cell(name) not in graded]


class RestoreTestCells(NbGraderPreprocessor):
    """Put back each test cell the student deleted or unmarked, as the release has it, after its exercise's solution
    cell (at the end if that is gone too).

    nbgrader restores the hidden tests of a test cell the student edited (``OverwriteCells``), not of one they
    deleted or whose grading metadata they removed: put back before it, the cell is then checked, run and scored
    as any other (its hidden tests included), and the TA sees and can change its score in formgrader. nbgrader's
    own ``OverwriteCells.add_missing_cells`` does not serve: it fails on a cell whose neighbour is gone too.
    The assignment is nbgrader's, from ``resources``, or given.
    """

    def __init__(self, assignment=None, **kwargs):
        super().__init__(**kwargs)
        self.assignment = assignment

    def preprocess(self, nb, resources):
        assignment = self.assignment or catalogue.get(resources["nbgrader"]["assignment"])
        release = {catalogue.grade_id(c): c for c in nbformat.read(assignment.release_notebook, as_version=4).cells}
        for name in missing_test_cells(nb, assignment):
            test = release[catalogue.test_cell(name)]
            cell = nbformat.v4.new_code_cell(test.source, metadata=test.metadata)  # a new cell id: no duplicate
            ids = [catalogue.grade_id(c) for c in nb.cells]
            where = assignment.solution_cell[name]
            nb.cells.insert(ids.index(where) + 1 if where in ids else len(nb.cells), cell)
        return nb, resources


class WithReferenceSolutions(Preprocessor):
    """The reference solutions of ``assignment`` in the notebook's solution cells."""

    def __init__(self, assignment, **kwargs):
        super().__init__(**kwargs)
        self.assignment = assignment

    def preprocess(self, nb, resources):
        from tools.build import solution_cells

        solutions = solution_cells(self.assignment.source)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("solution") and catalogue.grade_id(cell) in solutions:
                cell.source = solutions[catalogue.grade_id(cell)]
        return nb, resources


class HeadedBy(Preprocessor):
    """A markdown cell with ``text`` at the top of the notebook: what formgrader's page shows first."""

    def __init__(self, text, **kwargs):
        super().__init__(**kwargs)
        self.text = text

    def preprocess(self, nb, resources):
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(self.text))
        return nb, resources


def reference_notebook(assignment):
    """The release notebook of ``assignment`` with the reference solutions in its solution cells, as bytes."""
    nb, _ = WithReferenceSolutions(assignment).preprocess(nbformat.read(assignment.release_notebook, as_version=4), {})
    return nbformat.writes(nb).encode()


def review_note(flags):
    """The note that heads a flagged submission's graded notebook: its reasons for review."""
    return "**Flagged for review by the grader.**\n\n" + "\n".join(f"- {flag}" for flag in flags)


class SafeForBrowser(SanitizeHTML):
    """nbconvert's sanitiser, allowing what the course's own markdown uses (figures, the exercise boxes, tables).

    formgrader renders the graded notebook into the TA's page, logged in: nbgrader's template shows markdown cells'
    HTML as it is, so a student's ``<script>`` or ``<img onerror=...>`` would run with the TA's session. Anything
    not allowed here is shown as text, escaped, so the TA sees what was tried; script outputs are dropped.
    """

    tags = ["a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3", "h4", "h5",
            "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "summary", "sup",
            "table", "tbody", "td", "th", "thead", "tr", "ul"]
    attributes = {"a": ["href", "title"], "img": ["src", "alt", "width", "height"], "div": ["class"],
                  "span": ["class"], "td": ["align"], "th": ["align"]}


def unreadable(path):
    """Why a file is not a valid notebook, in a few words; None when it is one."""
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as err:  # noqa: BLE001 (whatever nbformat raises on a broken file)
        return f"{type(err).__name__}: {str(err).splitlines()[0][:200]}" if str(err) else type(err).__name__
    return None
