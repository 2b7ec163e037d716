"""What the grader does to notebooks around nbgrader's own steps: the reference notebook that times the cells,
test cells put back where a student deleted them, pages headed by a note for formgrader (a stand-in, the reasons
for review), the graded notebook made safe to show in the TA's browser, and why a file is not a notebook."""
import nbformat
from nbconvert.preprocessors.sanitize import SanitizeHTML

from autograder import catalogue


def reference_notebook(assignment):
    """The release notebook of ``assignment`` with the reference solutions in its solution cells, as bytes."""
    from tools.build import solution_cells

    nb = nbformat.read(assignment.release_notebook, as_version=4)
    solutions = solution_cells(assignment.source)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("solution") and catalogue.grade_id(cell) in solutions:
            cell.source = solutions[catalogue.grade_id(cell)]
    return nbformat.writes(nb).encode()


def restore_test_cells(path, assignment):
    """Put back the test cells the student deleted or unmarked; return a note on each.

    nbgrader restores the hidden tests of a test cell the student edited, not of one they deleted or whose
    grading metadata they removed. The release's test cell goes back after its solution cell, so nbgrader
    runs and scores it as any other (its hidden tests included), and the TA sees and can change its score
    in formgrader; the notes flag the submission for review.
    """
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 (not a notebook: nbgrader and the judge say so)
        return []
    graded = {catalogue.grade_id(cell) for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")}
    missing = [name for name in assignment.exercises if catalogue.test_cell(name) not in graded]
    release = {catalogue.grade_id(c): c for c in nbformat.read(assignment.release_notebook, as_version=4).cells}
    for name in missing:
        test = release[catalogue.test_cell(name)]
        cell = nbformat.v4.new_code_cell(test.source, metadata=test.metadata)  # a new cell id: no duplicate
        ids = [catalogue.grade_id(c) for c in nb.cells]
        where = assignment.solution_cell[name]
        nb.cells.insert(ids.index(where) + 1 if where in ids else len(nb.cells), cell)
    if missing:
        nbformat.write(nb, path)
    return [f"{name}: its test cell was missing (deleted, or its grading metadata removed); the grader put it back"
            for name in missing]


def head(path, text, nb=None):
    """Write the notebook ``nb`` (default: the one at ``path``) to ``path``, headed by a markdown cell."""
    nb = nb or nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(text))
    nbformat.write(nb, path)


def unreadable(path):
    """Why a file is not a valid notebook, in a few words; None when it is one."""
    try:
        nbformat.validate(nbformat.read(path, as_version=4))
    except Exception as err:  # noqa: BLE001 (whatever nbformat raises on a broken file)
        return f"{type(err).__name__}: {str(err).splitlines()[0][:200]}" if str(err) else type(err).__name__
    return None


def review_notes(notebook, flags):
    """Heads the graded notebook, which formgrader shows, with the reasons for review (if any)."""
    if flags and notebook.exists():
        head(notebook, "**Flagged for review by the grader.**\n\n" + "\n".join(f"- {flag}" for flag in flags))


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


def make_safe(path):
    """Sanitise the notebook at ``path`` in place for formgrader (``SafeForBrowser``)."""
    nb = nbformat.read(path, as_version=4)
    SafeForBrowser().preprocess(nb, {})
    nbformat.write(nb, path)
